// Shared test helpers: temporary storage, a local DHT testnet, and markets on real Corestores.
// Everything created here is closed in t.teardown, in order: swarms/markets → stores → testnet → directories.
import fs from 'fs'
import { NODE_HEAP_FLAGS } from '../lib/heap.js'
import os from 'os'
import path from 'path'
import { pathToFileURL } from 'url'
import Corestore from 'corestore'
import { spawn, type ChildProcess } from 'child_process'
import createTestnet from '@hyperswarm/testnet'
import type { Testnet } from '@hyperswarm/testnet'
import Hyperbee from 'hyperbee'
import type { Duplex } from 'stream'
import { Market, type MarketOptions } from '../lib/market/market.js'
import { P2PrintError } from '../lib/errors.js'
import type { View } from '../lib/market/view.js'

// What the helpers need of brittle's per-test object (its types do not export that interface by name).
export interface Test { teardown (fn: () => unknown, options?: { order?: number }): void }

export async function tmpDir (t: Test): Promise<string> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'p2print-test-'))
  t.teardown(() => fs.promises.rm(dir, { recursive: true, force: true }), { order: 100 })
  return dir
}

export async function testnet (t: Test, size = 5): Promise<Testnet> {
  const tn = await createTestnet(size)
  t.teardown(() => tn.destroy(), { order: 90 })
  return tn
}

export interface TestPeer {
  market: Market
  store: Corestore
  dir: string
}

// What the markets tests create ask of a new writer: a writer/admit like any market's, with little work (256 hashes)
// so that a test's peers are not slowed; test/admission.test.ts checks the market default.
export const TEST_ADMISSION_BITS = 8

// Opens a market on its own Corestore. key = null creates a new market (this peer is its first indexer).
export async function openMarket (t: Test, dir: string, key: Uint8Array | null, opts: MarketOptions = {}): Promise<TestPeer> {
  const store = new Corestore(dir)
  const market = new Market(store.namespace('market'), key, { admissionBits: TEST_ADMISSION_BITS, ...opts })
  t.teardown(async () => {
    await market.close()
    await store.close()
  }, { order: 10 })
  await market.ready()
  return { market, store, dir }
}

// Creates a market and n - 1 peers that join it, all on one local testnet.
export async function openMarkets (t: Test, n: number, opts: MarketOptions = {}): Promise<{ peers: TestPeer[], testnet: Testnet }> {
  const tn = await testnet(t)
  const root = await tmpDir(t)
  const first = await openMarket(t, path.join(root, 'p0'), null, { bootstrap: tn.bootstrap, ...opts })
  const peers = [first]
  for (let i = 1; i < n; i++) peers.push(await openMarket(t, path.join(root, 'p' + i), first.market.key, { bootstrap: tn.bootstrap, ...opts }))
  return { peers, testnet: tn }
}

export function sleep (ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

// Polls `fn` until it returns true or the time is up; returns the last result.
export async function eventually (fn: () => Promise<boolean> | boolean, timeoutMs = 20_000, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await fn()) return true
    await sleep(stepMs)
  }
  return fn()
}

const ROOT = path.join(path.dirname(new URL(import.meta.url).pathname), '..')
const ENTRY = path.join(ROOT, 'index.ts')
// tsx by its file URL: a command run from another directory (opts.cwd) must still find it
const TSX = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href

export interface CliRun { code: number | null, stdout: string, stderr: string, json: any }

// Runs the p2print command line (from source) as a separate process.
// opts.env: added to the command's environment (e.g. faketime's, test/faketime.ts)
export function p2print (args: string[], opts: { timeoutMs?: number, cwd?: string, stdin?: string, env?: Record<string, string> } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    // P2PRINT_TEST_TIMES=1: each command's wall time and its phases (P2PRINT_TRACE) on the test's stderr
    const times = process.env.P2PRINT_TEST_TIMES === '1'
    const started = Date.now()
    const child = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], { cwd: opts.cwd ?? ROOT, stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: { ...process.env, ...(times ? { P2PRINT_TRACE: '1' } : {}), ...opts.env } })
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d) => { stdout += d })
    child.stderr!.on('data', (d) => { stderr += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      if (times) process.stderr.write(`[time] ${Date.now() - started} ms: ${args.filter(a => !a.includes('/')).join(' ')}\n${stderr.split('\n').filter(l => l.startsWith('[trace]')).map(l => '    ' + l + '\n').join('')}`)
      let json: any = null
      try { json = JSON.parse(stdout) } catch {}
      resolve({ code, stdout, stderr, json })
    })
  })
}

// Starts `p2print … --json seed` and collects its JSON event lines; killed in teardown if still running.
export function startSeed (t: Test, args: string[], env: Record<string, string> = {}): SeedProcess {
  // with the V8 flags the p2print command passes (lib/heap.ts), as a user's seeder runs
  return watchJsonLines(t, spawn(process.execPath, [...NODE_HEAP_FLAGS, '--import', 'tsx', ENTRY, ...args, '--json', 'seed'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } }))
}

export interface SeedProcess { child: ChildProcess, lines: any[], exited: Promise<number | null>, stderr: () => string }

// Collects a child's JSON lines from stdout and the last 20 000 characters of its stderr (for a failing test to
// show); with `t`, kills it in teardown if it still runs.
export function watchJsonLines (t: Test | null, child: ChildProcess): SeedProcess {
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

// Three CLI peers' storage and bootstrap flags on the testnet `tn`, in a fresh directory.
export async function cliPeers (t: Test, tn: { bootstrap: Array<{ host: string, port: number }> }): Promise<{ dir: string, A: string[], B: string[], C: string[] }> {
  const dir = await tmpDir(t)
  const bootstrap = tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')
  const peer = (name: string): string[] => ['--storage', path.join(dir, name), '--bootstrap', bootstrap, '--sync-timeout', '15']
  return { dir, A: peer('a'), B: peer('b'), C: peer('c') }
}

// A market view (a Hyperbee on a real Corestore) for tests that drive the reducer without Autobase.
export async function openBee (t: Test): Promise<View> {
  const dir = await tmpDir(t)
  const store = new Corestore(path.join(dir, 'store'))
  const bee: View = new Hyperbee(store.get({ name: 'view' }), { keyEncoding: 'binary', valueEncoding: 'binary' })
  t.teardown(async () => {
    await bee.close()
    await store.close()
  }, { order: 10 })
  await bee.ready()
  return bee
}

// Two markets replicating over an in-process pipe (no DHT); returns what ends it.
export function pipe (a: Market, b: Market): () => void {
  const s1 = a.replicate(true) as Duplex
  const s2 = b.replicate(false) as Duplex
  s1.on('error', () => {})
  s2.on('error', () => {})
  s1.pipe(s2).pipe(s1)
  return () => { s1.destroy(); s2.destroy() }
}

// The same, ended in t.teardown.
export function connect (t: Test, a: Market, b: Market): void {
  t.teardown(pipe(a, b), { order: 5 })
}

// Asserts that a promise is refused with a P2PrintError of `code` whose message matches `re`.
export async function refusesAsync (t: { fail: (m: string) => void, is: (a: unknown, b: unknown, m?: string) => void, ok: (v: unknown, m?: string) => void }, p: Promise<unknown>, code: string, re: RegExp, label: string): Promise<void> {
  try {
    await p
    t.fail(`${label}: accepted, expected ${code}`)
  } catch (err) {
    if (!(err instanceof P2PrintError)) { t.fail(`${label}: threw ${String(err)}`); return }
    t.is(err.code, code, `${label}: code ${code}`)
    t.ok(re.test(err.message), `${label}: message ${JSON.stringify(err.message)} matches ${String(re)}`)
  }
}
