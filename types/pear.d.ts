// pear-runtime 1.1.1 (no types of its own): what pear/ uses. PearRuntime.run starts a Bare worker (bare-sidecar,
// with its own Bare binary); the updater (pear-runtime-updater 3) follows the app's upgrade drive.
declare module 'pear-runtime' {
  import type { Duplex, Readable, Writable } from 'stream'
  import type { EventEmitter } from 'events'
  import type Corestore from 'corestore'
  import type Hyperswarm from 'hyperswarm'

  interface Sidecar extends Duplex {
    readonly stdin: Writable
    readonly stdout: Readable
    readonly stderr: Readable
    on (event: 'exit', fn: (code: number | null, signal: number | null) => void): this
    on (event: string, fn: (...args: any[]) => void): this
  }

  interface Updater extends EventEmitter {
    readonly updated: boolean
    readonly next: string | null
    readonly drive: { key: Uint8Array, discoveryKey: Uint8Array, core: { length: number } }
    applyUpdate (): Promise<void>
  }

  interface PearRuntimeOptions {
    dir: string
    upgrade: string
    name: string
    version?: string
    app?: string
    bundled?: boolean
    updates?: boolean
    storage?: string
    store?: Corestore
    swarm?: Hyperswarm
    bootstrap?: Array<{ host: string, port: number }>
  }

  class PearRuntime extends EventEmitter {
    constructor (opts: PearRuntimeOptions)
    static run (entry: string, args?: string[], opts?: Record<string, unknown>): Sidecar
    run (entry: string, args?: string[], opts?: Record<string, unknown>): Sidecar
    readonly updater: Updater
    readonly storage: string
    ready (): Promise<void>
    close (): Promise<void>
  }
  export default PearRuntime
  export type { Sidecar, Updater, PearRuntimeOptions }
}
