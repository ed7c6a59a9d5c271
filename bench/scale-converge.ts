// bench/scale.ts, section `converge`: N peer processes (bench/_converge-peer.ts) on the local testnet, one of them
// the market's creator and only indexer, each posting JOBS_EACH jobs at the same moment. Measured per N: the time
// from the posts until every peer's view holds every job, is wholly confirmed (signed length = length) and has the
// same tree hash at that length; the CPU of all the processes over that time divided by the number of jobs (CPU per
// op), and that divided by N (CPU per op per peer: every peer applies every op, so the sum over processes grows with
// N by construction, and it is the per-peer figure that says whether each op costs each peer more in a larger
// market); and the jobs missing when it gave up (lost ops: must be 0). Goal (issue 14): CPU per op per peer at the
// largest N ≤ 2× that at the smallest.
import path from 'path'
import readline from 'readline'
import { spawn, type ChildProcess } from 'child_process'
import { fileURLToPath } from 'url'
import { tmpDir, rmDir, round, sleep } from './_util.js'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const JOBS_EACH = 5
const GIVE_UP_MS = Number(process.env.BENCH_CONVERGE_GIVE_UP_MS ?? 600_000) // from the posts on

interface Reply { [k: string]: any }

class Peer {
  readonly child: ChildProcess
  private readonly lines: AsyncIterator<string>
  constructor (dir: string, key: string, boot: string, ackMs: number) {
    // BENCH_CPU_PROF=DIR: every peer process writes a V8 CPU profile there (bench/_profile-summary.ts sums them)
    const prof = process.env.BENCH_CPU_PROF !== undefined && process.env.BENCH_CPU_PROF !== '' ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []
    this.child = spawn(process.execPath, [...prof, '--import', 'tsx', path.join(HERE, '_converge-peer.ts'), dir, key, boot, String(ackMs)], { stdio: ['pipe', 'pipe', 'inherit'] })
    this.lines = readline.createInterface({ input: this.child.stdout! })[Symbol.asyncIterator]()
  }

  async ask (cmd: string): Promise<Reply> {
    this.child.stdin!.write(cmd + '\n')
    const r = await this.lines.next()
    if (r.done === true) throw new Error(`a peer process ended before answering ${cmd}`)
    return JSON.parse(r.value)
  }

  async quit (): Promise<void> {
    const exited = new Promise(resolve => this.child.once('exit', resolve))
    this.child.stdin!.end('quit\n')
    await exited
  }
}

export interface ConvergeResult { peers: number, jobs: number, ms: number, cpuPerOpMs: number | null, cpuPerOpPerPeerMs: number | null, lost: number | null, converged: boolean, polls: number }

export async function converge (n: number, boot: string, ackMs: number): Promise<ConvergeResult> {
  const dir = await tmpDir('scale-converge')
  const peers: Peer[] = []
  try {
    const creator = new Peer(path.join(dir, 'p0'), 'new', boot, ackMs)
    peers.push(creator)
    const { key } = await creator.ask('ready')
    for (let i = 1; i < n; i++) peers.push(new Peer(path.join(dir, 'p' + i), key, boot, ackMs))
    await Promise.all(peers.slice(1).map(async p => await p.ask('ready')))
    const total = n * JOBS_EACH
    await Promise.all(peers.map(async p => await p.ask(`expect ${total}`)))
    const before = await Promise.all(peers.map(async p => await p.ask('state')))
    const t0 = Date.now()
    await Promise.all(peers.map(async p => await p.ask(`post ${JOBS_EACH}`)))
    let states: Reply[] = before
    let converged = false
    let polls = 0
    while (Date.now() - t0 < GIVE_UP_MS) {
      await sleep(250)
      states = await Promise.all(peers.map(async p => await p.ask('state')))
      polls++
      const hash = states[0].hash
      converged = hash !== null && states.every(s => s.jobs === total && s.signed === s.length && s.hash === hash)
      if (converged) break
    }
    const ms = Date.now() - t0
    // with no poll answered (every process too busy to answer before the give-up time) nothing is known
    if (polls === 0) return { peers: n, jobs: total, ms, cpuPerOpMs: null, cpuPerOpPerPeerMs: null, lost: null, converged, polls }
    const cpu = states.reduce((sum, s, i) => sum + s.cpuMs - before[i].cpuMs, 0)
    const least = Math.min(...states.map(s => s.jobs))
    return { peers: n, jobs: total, ms, cpuPerOpMs: round(cpu / total, 1), cpuPerOpPerPeerMs: round(cpu / total / n, 2), lost: converged ? 0 : total - least, converged, polls }
  } finally {
    await Promise.all(peers.map(async p => await p.quit().catch(() => p.child.kill('SIGKILL'))))
    await rmDir(dir)
  }
}
