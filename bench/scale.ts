// Bench (issue 14, scale), in sections (BENCH_SCALE_SECTIONS=converge,seeder):
//
// Section `converge` (bench/scale-converge.ts): N peer processes (BENCH_SCALE_PEERS, default 5,10,20,50) each post
// 5 jobs at once; time until every view holds every job, confirmed, with the same hash; CPU per op; lost ops.
//
// Section `size` (bench/scale-size.ts): the view's bytes per job against a plain Hyperbee of the same final entries
// (BENCH_SIZE_JOBS, default 1000,10000).
//
// Section `join` (bench/scale-join.ts): a fresh peer joins a market of W writers (BENCH_JOIN_WRITERS, default
// 10,100) and J jobs (BENCH_JOIN_JOBS, default 1000,10000), against a plain Hyperbee of the same entries.
//
// Section `seeder`: the seeder's work per incoming op on a large market against a small one, same run. for each size J (BENCH_SCALE_JOBS, default 1000 and 100000) the
// creator A (this process, on a local testnet) builds a market of J jobs, every one with a model in A's drive:
// J − 19 as create → cancel pairs in batches (closed jobs, as most of a real market's are) and 19 left open. A
// seeder S, a separate process (bench/_scale-seeder.ts), joins, catches up and starts the file seeder as `p2print
// seed` does; then A appends OPS (100) ops one at a time (a create with a model, then its cancel, alternating),
// each waited for until S's view holds it and S's file seeder has handled it. Printed per size: S's catch-up and
// first pass, its CPU per incoming op (process CPU of S over the OPS ops / OPS: replication, apply and the file
// seeder), its RSS after catching up, after the ops and after 5 s idle, its idle CPU over 5 s, and, for scale, the
// CPU of one read of every job record (what the seeder did on every update before it followed the view's changes).
// S runs with the V8 flags the p2print command passes (lib/heap.ts; BENCH_SEEDER_HEAP=0: V8's defaults).
// Goals (issue 14): CPU per op at the largest size ≤ 2 × at the smallest; RSS ≤ 200 MB (the largest of the three
// points); idle CPU ~0.
//
//   node --import tsx bench/scale.ts     (BENCH_SCALE_SECTIONS=converge,seeder BENCH_SCALE_PEERS=5,10,20,50
//                                         BENCH_ACK_MS=1000 BENCH_SCALE_JOBS=1000,100000 BENCH_OPS=100)
import path from 'path'
import readline from 'readline'
import { spawn, type ChildProcess } from 'child_process'
import { NODE_HEAP_FLAGS } from '../lib/heap.js'
import { fileURLToPath } from 'url'
import b4a from 'b4a'
import Corestore from 'corestore'
import createTestnet from '@hyperswarm/testnet'
import { Market } from '../lib/market/market.js'
import { OP, LIMITS, encodeOp, type FileRef } from '../lib/schema.js'
import { tmpDir, rmDir, round, sampleJob, printResult, exitGuard, env } from './_util.js'
import { converge, type ConvergeResult } from './scale-converge.js'
import { viewSize, type SizeResult } from './scale-size.js'
import { joinMarket, buildMarket, type JoinResult } from './scale-join.js'

const SIZES = (process.env.BENCH_SCALE_JOBS ?? '1000,100000').split(',').map(Number).filter(n => Number.isInteger(n) && n >= 40)
const OPS = Math.max(2, Math.floor(env('BENCH_OPS', 100) / 2) * 2)
const OPEN = LIMITS.openJobsPerClient - 1 // jobs left open: one under the limit, for the creates of the timed ops
const BATCH = 200
const GOAL_CPU = 2
const GOAL_RSS_MB = 200
const HERE = path.dirname(fileURLToPath(import.meta.url))
const SECTIONS = (process.env.BENCH_SCALE_SECTIONS ?? 'converge,size,join,seeder').split(',')
const SIZE_JOBS = (process.env.BENCH_SIZE_JOBS ?? '1000,10000').split(',').map(Number).filter(n => Number.isInteger(n) && n >= 40)
const GOAL_SIZE = 1.5
const JOIN_JOBS = (process.env.BENCH_JOIN_JOBS ?? '1000,10000').split(',').map(Number).filter(n => Number.isInteger(n) && n >= 20)
const JOIN_WRITERS = (process.env.BENCH_JOIN_WRITERS ?? '10,100').split(',').map(Number).filter(n => Number.isInteger(n) && n >= 1)
const GOAL_JOIN = 2
const PEERS = (process.env.BENCH_SCALE_PEERS ?? '5,10,20,50').split(',').map(Number).filter(n => Number.isInteger(n) && n >= 2)
const ACK_MS = env('BENCH_ACK_MS', 1000) // the Market's default ackInterval

interface Reply { [k: string]: any }

class Seeder {
  readonly child: ChildProcess
  private readonly lines: AsyncIterator<string>
  constructor (dir: string, key: Uint8Array, boot: string) {
    // the seeder runs with the flags the p2print command passes (lib/heap.ts); BENCH_SEEDER_HEAP=0: V8's defaults;
    // BENCH_SEEDER_NODE_FLAGS: other Node flags instead, to compare
    const flags = process.env.BENCH_SEEDER_NODE_FLAGS !== undefined ? process.env.BENCH_SEEDER_NODE_FLAGS.split(' ').filter(f => f.length > 0) : process.env.BENCH_SEEDER_HEAP === '0' ? [] : [...NODE_HEAP_FLAGS]
    this.child = spawn(process.execPath, [...flags, '--import', 'tsx', path.join(HERE, '_scale-seeder.ts'), dir, b4a.toString(key, 'hex'), boot], { stdio: ['pipe', 'pipe', 'inherit'] })
    this.lines = readline.createInterface({ input: this.child.stdout! })[Symbol.asyncIterator]()
  }

  async ask (cmd: string): Promise<Reply> {
    this.child.stdin!.write(cmd + '\n')
    const r = await this.lines.next()
    if (r.done === true) throw new Error(`the seeder process ended before answering ${cmd}`)
    return JSON.parse(r.value)
  }

  async quit (): Promise<void> {
    const exited = new Promise(resolve => this.child.once('exit', resolve))
    this.child.stdin!.end('quit\n')
    await exited
  }
}

async function size (jobs: number, boot: string, bootstrap: Array<{ host: string, port: number }>): Promise<Reply> {
  const dir = await tmpDir('scale-seeder')
  const store = new Corestore(path.join(dir, 'creator'))
  const market = new Market(store.namespace('market'), null, { bootstrap, name: 'scale', admissionBits: 8 })
  let seeder: Seeder | null = null
  try {
    await market.ready()
    const model = b4a.alloc(64 * 1024, 7)
    const file = await market.files.attach(model, 'part.stl', { kind: 'stl', models: 1, facets: 12, sizeMm: [10, 10, 10], volumeCm3: 1, areaCm2: 6, shells: 1, closed: true, manifold: true, fits: [] })
    const b0 = Date.now()
    // as many writers as the ops per writer limit asks for (each job is a create and a cancel)
    const writers = Math.ceil(jobs / Math.floor((LIMITS.opsPerWriter - 100) / 2))
    await buildMarket(market, dir, writers, jobs, file)
    while (await market.jobCount() < jobs) await market.update()
    console.log(`${jobs} jobs: built by ${writers} writer(s) in ${round((Date.now() - b0) / 1000, 1)} s (view length ${market.view.core.length})`)
    seeder = new Seeder(path.join(dir, 'seeder'), market.key, boot)
    let cancelled = jobs - OPEN
    const ready = await seeder.ask(`wait ${jobs} ${cancelled}`)
    const idle = await seeder.ask('idle 5000')
    const ops: number[] = []
    let count = jobs
    let cpu = ready.cpuMs
    let last: Reply = ready
    for (let i = 0; i < OPS; i += 2) {
      const { jobId } = await market.append({ type: OP.JOB_CREATE, job: sampleJob(jobs + i), file })
      last = await seeder.ask(`wait ${++count} ${cancelled}`)
      ops.push(last.cpuMs - cpu); cpu = last.cpuMs
      await market.append({ type: OP.JOB_CANCEL, jobId: jobId! })
      last = await seeder.ask(`wait ${count} ${++cancelled}`)
      ops.push(last.cpuMs - cpu); cpu = last.cpuMs
    }
    const scan = await seeder.ask('scan')
    const perOp = (last.cpuMs - ready.cpuMs) / OPS
    const r = { jobs, catchUpMs: ready.caughtUp.ms, firstPassMs: ready.firstPass.ms, firstPassCpuMs: round(ready.firstPass.cpuMs, 0), cpuPerOpMs: round(perOp, 2), rssReadyMb: round(ready.rssMb, 1), rssAfterOpsMb: round(last.rssMb, 1), rssIdleMb: round(idle.rssMb, 1), idleCpuPct: round(idle.cpuMs / 5000 * 100, 2), fullReadCpuMs: round(scan.cpuMs, 0), mirrored: last.mirrored, unavailable: last.unavailable }
    console.log(`  seeder: caught up in ${r.catchUpMs} ms, first pass ${r.firstPassMs} ms (CPU ${r.firstPassCpuMs} ms), ${r.mirrored} model(s) mirrored`)
    console.log(`  CPU per incoming op ${r.cpuPerOpMs} ms (median of single ops ${round(ops.slice().sort((a, b) => a - b)[ops.length >> 1], 2)} ms); RSS ${r.rssReadyMb} MB caught up, ${r.rssAfterOpsMb} MB after ${OPS} ops (JS heap ${last.heapMb} MB, buffers ${last.externalMb} MB, the rest native), ${r.rssIdleMb} MB after 5 s idle; idle CPU ${r.idleCpuPct} %`)
    console.log(`  for scale: one read of every job record costs ${r.fullReadCpuMs} ms of CPU here (the old seeder did that, twice, on every update)`)
    return r
  } finally {
    if (seeder !== null) await seeder.quit().catch(() => seeder?.child.kill('SIGKILL'))
    await market.close()
    await store.close()
    await rmDir(dir)
  }
}

async function main (): Promise<void> {
  const tn = await createTestnet(5) // fewer nodes were seen to connect peers that then never replicated
  try {
    const boot = tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')
    if (SECTIONS.includes('converge')) await convergeSection(boot)
    if (SECTIONS.includes('size')) await sizeSection()
    if (SECTIONS.includes('join')) await joinSection(tn.bootstrap)
    if (SECTIONS.includes('seeder')) await seederSection(boot, tn.bootstrap)
  } finally {
    await tn.destroy()
  }
}

async function convergeSection (boot: string): Promise<void> {
  const results: ConvergeResult[] = []
  for (const n of PEERS) {
    const r = await converge(n, boot, ACK_MS)
    console.log(`${n} peers × 5 jobs: ${r.converged ? 'converged' : 'NOT converged'} in ${r.ms} ms; CPU per op ${r.cpuPerOpMs ?? '?'} ms (all processes), ${r.cpuPerOpPerPeerMs ?? '?'} ms per peer; ${r.converged ? 'lost 0' : r.lost === null ? 'no state answered in time' : `${r.lost} jobs missing at the slowest peer when it gave up`}`)
    results.push(r)
  }
  const done = results.filter(r => r.converged)
  const first = done[0] ?? results[0]
  const last = done[done.length - 1] ?? results[results.length - 1]
  const ratio = round((last.cpuPerOpPerPeerMs ?? NaN) / (first.cpuPerOpPerPeerMs ?? NaN), 2)
  const sumRatio = round((last.cpuPerOpMs ?? NaN) / (first.cpuPerOpMs ?? NaN), 2)
  const timeRatio = round((last.ms / last.peers) / (first.ms / first.peers), 2)
  const lost = results.reduce((s, r) => s + (r.lost ?? 0), 0)
  if (done.length < results.length) console.log(`not converged within the give-up time: ${results.filter(r => !r.converged).map(r => `${r.peers} peers`).join(', ')} (the ratios below compare the sizes that did)`)
  console.log(`CPU per op per peer: ${last.peers} peers / ${first.peers} peers = ${ratio}× (goal ≤ ${GOAL_CPU}×: ${ratio <= GOAL_CPU ? 'met' : 'NOT met'}); summed over processes ${sumRatio}×; time per peer ${timeRatio}×; lost ops ${lost}`)
  printResult({ bench: 'scale', section: 'converge', ackMs: ACK_MS, sizes: results, cpuPerPeerRatio: ratio, cpuSumRatio: sumRatio, timePerPeerRatio: timeRatio, goalCpu: GOAL_CPU, lost, goalMet: ratio <= GOAL_CPU && lost === 0 && done.length === results.length })
}

async function sizeSection (): Promise<void> {
  const results: SizeResult[] = []
  for (const jobs of SIZE_JOBS) {
    const r = await viewSize(jobs)
    console.log(`${jobs} jobs: view ${r.viewBlocks} blocks, ${r.bytesPerJob} bytes per job; a plain Hyperbee of the same ${r.plainBlocks} entries ${r.plainBytesPerJob} bytes per job; ${r.ratio}×. Floors: the same entries put one at a time ${r.incrementalBytesPerJob} bytes per job (view ${r.ratioToIncremental}×); the view's ${r.replayBlocks} puts and deletes replayed into a plain Hyperbee ${r.replayBytesPerJob} bytes per job (view ${r.ratioToReplay}×: Autobase's own cost)`)
    results.push(r)
  }
  const ratio = Math.max(...results.map(r => r.ratio))
  console.log(`view size against a plain Hyperbee: ${ratio}× (goal ≤ ${GOAL_SIZE}×: ${ratio <= GOAL_SIZE ? 'met' : 'NOT met'})`)
  printResult({ bench: 'scale', section: 'size', sizes: results, ratio, goal: GOAL_SIZE, goalMet: ratio <= GOAL_SIZE })
}

async function joinSection (bootstrap: Array<{ host: string, port: number }>): Promise<void> {
  const results: JoinResult[] = []
  for (const jobs of JOIN_JOBS) {
    for (const writers of JOIN_WRITERS) {
      if (writers > jobs) continue
      const r = await joinMarket(writers, jobs, bootstrap)
      console.log(`${writers} writers, ${jobs} jobs (built in ${round(r.buildMs / 1000, 1)} s, view ${r.viewBlocks} blocks): a fresh peer holds every job in ${r.joinMs} ms, a plain Hyperbee of the same entries is read in ${r.plainMs} ms: ${r.ratio}×; writer-log blocks the joiner downloaded: ${r.writerBlocksDownloaded}`)
      results.push(r)
    }
  }
  const ratio = Math.max(...results.map(r => r.ratio))
  console.log(`joiner against a plain Hyperbee: up to ${ratio}× (goal ≤ ${GOAL_JOIN}×: ${ratio <= GOAL_JOIN ? 'met' : 'NOT met'})`)
  printResult({ bench: 'scale', section: 'join', sizes: results, ratio, goal: GOAL_JOIN, goalMet: ratio <= GOAL_JOIN })
}

async function seederSection (boot: string, bootstrap: Array<{ host: string, port: number }>): Promise<void> {
  {
    const results: Reply[] = []
    for (const jobs of SIZES) results.push(await size(jobs, boot, bootstrap))
    const small = results[0]
    const large = results[results.length - 1]
    const cpuRatio = round(large.cpuPerOpMs / small.cpuPerOpMs, 2)
    const rss = Math.max(...results.map(r => Math.max(r.rssReadyMb, r.rssAfterOpsMb, r.rssIdleMb))) // the largest seen at any of the three points
    console.log(`CPU per op: ${large.jobs} jobs / ${small.jobs} jobs = ${cpuRatio}× (goal ≤ ${GOAL_CPU}×: ${cpuRatio <= GOAL_CPU ? 'met' : 'NOT met'}); largest RSS ${rss} MB (goal ≤ ${GOAL_RSS_MB} MB: ${rss <= GOAL_RSS_MB ? 'met' : 'NOT met'})`)
    printResult({ bench: 'scale', section: 'seeder', ops: OPS, sizes: results, cpuRatio, goalCpu: GOAL_CPU, maxRssMb: rss, goalRssMb: GOAL_RSS_MB, goalMet: cpuRatio <= GOAL_CPU && rss <= GOAL_RSS_MB })
  }
}

main().then(() => exitGuard(), err => {
  console.error(err)
  process.exitCode = 1
})
