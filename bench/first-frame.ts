// Bench: time to the first frame of the market screen, with 10 000 jobs in the view, in a real terminal (tmux).
//
// Set-up (not timed): a Peer storage whose market (the creator, swarm: false) holds BENCH_JOBS jobs, appended in
// batches as create → cancel pairs (one writer may hold only LIMITS.openJobsPerClient open jobs), the last 20 left
// open. Timed: from spawning `p2print --storage DIR --bootstrap (local testnet) ui --status all` in a tmux pane
// until the pane shows the market table with its first row (capture-pane polled every 5 ms); the app also writes
// the time its first page was loaded (P2PRINT_UI_FIRST_FRAME). Baseline: `node -e 0`, spawned in the same run.
// Runs the built dist/index.js when present (as `npx p2print` would), else index.ts through tsx.
// Goal: first frame ≤ 1 000 ms.
//
//   node --import tsx bench/first-frame.ts     (BENCH_JOBS=10000 BENCH_RUNS=3)
import fs from 'fs'
import path from 'path'
import { spawnSync } from 'child_process'
import createTestnet from '@hyperswarm/testnet'
import { Peer } from '../lib/peer.js'
import { jobIdFor } from '../lib/market/apply.js'
import { OP, encodeOp, LIMITS } from '../lib/schema.js'
import { tmpDir, rmDir, nowMs, median, round, sampleJob, printResult, exitGuard, env, sleep } from './_util.js'

const JOBS = env('BENCH_JOBS', 10_000)
const RUNS = env('BENCH_RUNS', 3)
const GOAL_MS = 1000
const ROOT = path.join(path.dirname(new URL(import.meta.url).pathname), '..')
const SOCK = `p2print-bench-${process.pid}`

async function build (dir: string): Promise<void> {
  const peer = new Peer(dir, { swarm: false })
  await peer.ready()
  const market = await peer.createMarket('Bench market')
  const writer = market.writerKey
  const append = market.base.append.bind(market.base) as unknown as (v: Uint8Array[]) => Promise<number>
  const open = Math.min(LIMITS.openJobsPerClient, JOBS)
  const pairs = JOBS - open
  const BATCH = 50
  const at = Date.now()
  for (let i = 0; i < pairs; i += BATCH) {
    const n = Math.min(BATCH, pairs - i)
    const start = market.base.local.length
    const values: Uint8Array[] = []
    for (let k = 0; k < n; k++) {
      values.push(encodeOp({ type: OP.JOB_CREATE, job: sampleJob(i + k) }, at))
      values.push(encodeOp({ type: OP.JOB_CANCEL, jobId: jobIdFor(writer, start + 2 * k + 1) }, at))
    }
    const end = await append(values)
    if (end !== start + values.length) throw new Error(`an ack slipped into the batch (${start} + ${values.length} ≠ ${end})`)
  }
  await append(Array.from({ length: open }, (_, k) => encodeOp({ type: OP.JOB_CREATE, job: sampleJob(pairs + k) }, at)))
  await market.update()
  const count = await market.jobCount()
  const byStatus = await market.statusCounts()
  if (count !== JOBS) throw new Error(`the view has ${count} jobs, not ${JOBS}`)
  console.log(`view: ${count} jobs (${byStatus.open} open, ${byStatus.cancelled} cancelled)`)
  await peer.close()
}

function tmux (...args: string[]): string {
  return spawnSync('tmux', ['-L', SOCK, ...args], { encoding: 'utf8' }).stdout ?? ''
}

function spawnMs (cmd: string, args: string[]): number {
  const t0 = nowMs()
  spawnSync(cmd, args, { stdio: 'ignore' })
  return nowMs() - t0
}

async function main (): Promise<void> {
  exitGuard(300_000)
  if (spawnSync('tmux', ['-V']).status !== 0) {
    console.log('tmux is not installed: this bench needs a real terminal; skipped')
    printResult({ bench: 'first-frame', skipped: 'no tmux' })
    return
  }
  const dir = await tmpDir('first-frame')
  const tn = await createTestnet(4)
  try {
    const t0 = nowMs()
    await build(path.join(dir, 'peer'))
    console.log(`built in ${round((nowMs() - t0) / 1000, 1)} s`)
    const dist = path.join(ROOT, 'dist', 'index.js')
    const useDist = fs.existsSync(dist)
    const entry = useDist ? [dist] : ['--import', 'tsx', path.join(ROOT, 'index.ts')]
    console.log(`running ${useDist ? 'dist/index.js' : 'index.ts through tsx (run `npm run build` to time the built app)'}`)

    const frames: number[] = []
    const loads: number[] = []
    const nodes: number[] = []
    for (let run = 0; run < RUNS; run++) {
      nodes.push(spawnMs(process.execPath, ['-e', '0']))
      const mark = path.join(dir, `frame-${run}`)
      const cmd = `P2PRINT_UI_FIRST_FRAME=${mark} ${process.execPath} ${entry.join(' ')} --storage ${path.join(dir, 'peer')} --bootstrap 127.0.0.1:${tn.bootstrap[0].port} ui --status all`
      const wall = Date.now()
      const start = nowMs()
      tmux('new-session', '-d', '-s', 'ff', '-x', '150', '-y', '40', cmd)
      let frame = NaN
      while (nowMs() - start < 20_000) {
        const text = tmux('capture-pane', '-p', '-t', 'ff')
        if (/› \S/.test(text) && text.includes('TITLE')) { frame = nowMs() - start; break }
        await sleep(5)
      }
      const loaded = fs.existsSync(mark) ? Number(fs.readFileSync(mark, 'utf8')) - wall : NaN
      frames.push(frame)
      loads.push(loaded)
      nodes.push(spawnMs(process.execPath, ['-e', '0']))
      console.log(`run ${run + 1}: first frame ${round(frame)} ms (page loaded in the app at ${loaded} ms)`)
      tmux('send-keys', '-t', 'ff', 'q')
      for (let i = 0; i < 200 && tmux('list-sessions').includes('ff:'); i++) await sleep(25) // the app closes, the pane ends
      tmux('kill-server')
    }
    const firstFrameMs = median(frames)
    const nodeMs = median(nodes)
    const ratio = firstFrameMs / nodeMs
    console.log(`first frame (median of ${RUNS}): ${round(firstFrameMs)} ms; node -e 0: ${round(nodeMs)} ms; ratio ${round(ratio, 1)}×`)
    printResult({ bench: 'first-frame', jobs: JOBS, runs: RUNS, entry: useDist ? 'dist' : 'tsx', firstFrameMs: round(firstFrameMs), firstFramesMs: frames.map(x => round(x)), appLoadedMs: median(loads), nodeMs: round(nodeMs), ratio: round(ratio, 2), goalMs: GOAL_MS, goalMet: firstFrameMs <= GOAL_MS })
  } finally {
    tmux('kill-server')
    await tn.destroy()
    await rmDir(dir)
  }
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1) })
