// The seeder under Bare against the seeder under Node, in the same run: time from spawn to the 'seeding' event
// (storage open, market open, swarm joined) and the process's RSS after 3 s of idle seeding, on a market created for
// the bench on a local testnet. Three series alternate per round: Node with the V8 flags the p2print command passes
// (lib/heap.ts), Node with V8's defaults, and Bare (bare/p2print-seed.mjs). Medians of BENCH_RUNS (5) each; needs
// `npm run build` first. RESULT line: the figures and the Bare / Node ratios.
import fs from 'fs'
import path from 'path'
import { spawn, spawnSync } from 'child_process'
import createTestnet from '@hyperswarm/testnet'
import { NODE_HEAP_FLAGS } from '../lib/heap.js'
import { tmpDir, rmDir, median, round, nowMs, sleep } from './_util.js'
import { bareBinary, BARE_SEED } from '../test/bare-helpers.js'

const ROOT = path.join(path.dirname(new URL(import.meta.url).pathname), '..')
const ENTRY = path.join(ROOT, 'dist', 'index.js')
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const IDLE_MS = 3000

interface Sample { startMs: number, rssMb: number }

function rssMb (pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (m === null) throw new Error(`no VmRSS for ${pid}`)
  return Number(m[1]) / 1024
}

async function run (cmd: string, args: string[]): Promise<Sample> {
  const t0 = nowMs()
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr.on('data', d => { err += d })
  const exited = new Promise<number | null>(resolve => child.on('close', resolve))
  const startMs = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', d => {
      out += d
      if (out.includes('"tag":"seeding"')) resolve(nowMs() - t0)
    })
    child.on('close', code => reject(new Error(`${cmd} exited ${code} before seeding: ${err}`)))
  })
  await sleep(IDLE_MS)
  const rss = rssMb(child.pid!)
  child.kill('SIGTERM')
  const code = await exited
  if (code !== 0) throw new Error(`${cmd} exited ${code} on SIGTERM: ${err}`)
  return { startMs, rssMb: rss }
}

async function main (): Promise<void> {
  if (!fs.existsSync(ENTRY) || !fs.existsSync(path.join(ROOT, 'dist', 'bare', 'main.js'))) throw new Error('run `npm run build` first')
  const bare = bareBinary()
  if (bare.bin === null) throw new Error(bare.reason)
  const tn = await createTestnet(5)
  const dir = await tmpDir('bare')
  try {
    const bootstrap = tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')
    const storage = path.join(dir, 'seeder')
    const common = ['--storage', storage, '--bootstrap', bootstrap, '--json']
    const created = spawnSync(process.execPath, [ENTRY, ...common, 'market', 'create', '--admission-bits', '8', '--name', 'bench'], { encoding: 'utf8' })
    if (created.status !== 0) throw new Error(created.stderr)
    const series: Record<string, () => Promise<Sample>> = {
      'node (heap flags)': async () => await run(process.execPath, [...NODE_HEAP_FLAGS, ENTRY, ...common, 'seed']),
      'node (V8 defaults)': async () => await run(process.execPath, [ENTRY, ...common, 'seed']),
      bare: async () => await run(bare.bin, [BARE_SEED, ...common])
    }
    const got: Record<string, Sample[]> = Object.fromEntries(Object.keys(series).map(k => [k, []]))
    for (const k of Object.keys(series)) await series[k]() // one untimed run each (disk caches)
    for (let r = 0; r < RUNS; r++) {
      for (const k of Object.keys(series)) got[k].push(await series[k]())
    }
    console.log(`seeder start-up (spawn → seeding) and RSS after ${IDLE_MS / 1000} s idle, median of ${RUNS}; ${bare.version}, node ${process.version}`)
    const figures: Record<string, { startMs: number, rssMb: number }> = {}
    for (const [k, xs] of Object.entries(got)) {
      figures[k] = { startMs: round(median(xs.map(x => x.startMs)), 0), rssMb: round(median(xs.map(x => x.rssMb)), 1) }
      console.log(`  ${k.padEnd(20)} ${String(figures[k].startMs).padStart(6)} ms   ${figures[k].rssMb.toFixed(1).padStart(6)} MB`)
    }
    const base = figures['node (heap flags)']
    const ratios = { startup: round(figures.bare.startMs / base.startMs), rss: round(figures.bare.rssMb / base.rssMb) }
    console.log(`  bare / node (heap flags): start-up ${ratios.startup}×, RSS ${ratios.rss}×`)
    console.log('RESULT ' + JSON.stringify({ bench: 'bare', runs: RUNS, figures, ratios, goal: 'none: prints the figures', goalMet: true }))
  } finally {
    await tn.destroy()
    await rmDir(dir)
  }
}

main().catch(err => { console.error(err); process.exit(1) })
