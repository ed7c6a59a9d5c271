// The Bare seeder (bare/p2print-seed.mjs on the compiled dist/) as a child process, for the tests and bench/bare.ts.
import fs from 'fs'
import path from 'path'
import { createRequire } from 'module'
import { spawn, spawnSync } from 'child_process'
import { watchJsonLines, type Test, type SeedProcess } from './helpers.js'

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

export type BareSeed = SeedProcess

// Starts `p2print-seed … --json` under Bare and collects its JSON event lines; killed in teardown if still running.
export function startBareSeed (t: Test | null, bin: string, args: string[], env: Record<string, string> = {}): BareSeed {
  return watchJsonLines(t, spawn(bin, [BARE_SEED, ...args, '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } }))
}
