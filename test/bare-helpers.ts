// The Bare seeder (bare/p2print-seed.mjs on the compiled dist/) as a child process, for the tests and bench/bare.ts.
import fs from 'fs'
import path from 'path'
import { createRequire } from 'module'
import { spawn, spawnSync, type ChildProcess } from 'child_process'
import type { Test } from './helpers.js'

const ROOT = path.join(path.dirname(new URL(import.meta.url).pathname), '..')
export const BARE_SEED = path.join(ROOT, 'bare', 'p2print-seed.mjs')

// The Bare binary of bare-runtime (its prebuild for this platform), and whether it runs here: null and the reason if not.
export function bareBinary (): { bin: string, version: string } | { bin: null, reason: string } {
  let bin: string
  try {
    bin = (createRequire(import.meta.url)('bare-runtime') as (referrer?: string) => string)('bare')
  } catch (err) {
    return { bin: null, reason: `bare-runtime has no binary for ${process.platform}-${process.arch}: ${(err as Error).message}` }
  }
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 20_000 })
  if (r.status !== 0) return { bin: null, reason: `${bin} --version failed: ${r.error?.message ?? r.stderr}` }
  return { bin, version: r.stdout.trim() }
}

// The compiled entry the launcher imports; `npm run build` (or `npm ci`, through prepare) makes it.
export function builtEntry (): string | null {
  const f = path.join(ROOT, 'dist', 'bare', 'main.js')
  return fs.existsSync(f) ? f : null
}

export interface BareSeed { child: ChildProcess, lines: any[], exited: Promise<number | null>, stderr: () => string }

// Starts `p2print-seed … --json` under Bare and collects its JSON event lines; killed in teardown if still running.
export function startBareSeed (t: Test | null, bin: string, args: string[], env: Record<string, string> = {}): BareSeed {
  const child = spawn(bin, [BARE_SEED, ...args, '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  const lines: any[] = []
  let buf = ''
  child.stdout!.on('data', (d) => {
    buf += d
    let i
    while ((i = buf.indexOf('\n')) !== -1) {
      try { lines.push(JSON.parse(buf.slice(0, i))) } catch {}
      buf = buf.slice(i + 1)
    }
  })
  let err = ''
  child.stderr!.on('data', (d) => { err = (err + String(d)).slice(-20_000) })
  const exited = new Promise<number | null>(resolve => child.on('close', resolve))
  t?.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  }, { order: 1 })
  return { child, lines, exited, stderr: () => err }
}
