// The bare-* modules the Bare entries (bare/) import by name; lib/ reaches the others only through package.json's
// '#name' imports (types/builtins.d.ts). Declared: what bare/ uses.
declare module 'bare-process' {
  interface BareProcess {
    argv: string[]
    env: Record<string, string | undefined>
    pid: number
    exitCode: number
    stdout: { write: (s: string) => boolean }
    stderr: { write: (s: string) => boolean }
    cwd: () => string
    exit: (code?: number) => never
    on: (event: 'SIGINT' | 'SIGTERM' | 'exit', fn: () => void) => BareProcess
    memoryUsage: () => { rss: number, heapTotal: number, heapUsed: number, external: number }
  }
  const process: BareProcess
  export default process
}

declare module 'bare-encoding' {
  export const TextEncoder: typeof globalThis.TextEncoder
  export const TextDecoder: typeof globalThis.TextDecoder
}

declare module 'bare-crypto' {
  export const webcrypto: { getRandomValues: <T extends ArrayBufferView | null>(array: T) => T }
}
