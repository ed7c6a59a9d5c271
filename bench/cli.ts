// Bench: the wall time of one-shot commands as a user types them, with the market's seeder up.
//
// Set-up, on one local testnet (in this process) with every peer a separate `node dist/index.js` process: A creates
// a market and runs `p2print seed` (the seeder); U joins it; P joins and posts the jobs U accepts. Timed, each as its own process, on U's storage:
//   jobs · job show ID · job create · job accept ID (a job A posted) · sync
// in two series, alternating per round:
//   alone    — nothing runs on U's storage: the command opens it, connects, catches up, acts, closes;
//   through  — `p2print seed` runs on U's storage too: the command goes through it (lib/sidecar).
// Baseline in the same run, alternating: `node -e 0`. Median of ROUNDS per command and series.
// Goals (issue 13): through ≤ 3 × node -e 0; alone ≤ 2 s; no command alone takes its whole --sync-timeout (10 s)
// while the seeder is connected and holds everything.
//
//   npm run build && node --import tsx bench/cli.ts     (BENCH_ROUNDS=5)
import { spawn, type ChildProcess } from 'child_process'
import fs from 'fs'
import path from 'path'
import createTestnet from '@hyperswarm/testnet'
import { tmpDir, rmDir, nowMs, median, round, printResult, exitGuard, sleep } from './_util.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const SYNC_TIMEOUT_S = 10
// P2PRINT_ENTRY: another build's index.js (e.g. a worktree of an older commit) for the alone series
const ENTRY = process.env.P2PRINT_ENTRY ?? path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'dist', 'index.js')
const ALONE_ONLY = process.env.BENCH_ALONE_ONLY === '1' // builds without the command host
const COMMANDS = ['jobs', 'job show', 'job create', 'job accept', 'sync'] as const
type Command = typeof COMMANDS[number]

// Spawned without blocking: this process runs the testnet's DHT nodes, which must keep answering meanwhile.
async function run (args: string[]): Promise<{ ms: number, code: number | null, stdout: string, stderr: string }> {
  const t0 = nowMs()
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => { stdout += String(d) })
  child.stderr.on('data', (d) => { stderr += String(d) })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  return { ms: nowMs() - t0, code, stdout, stderr }
}

async function cli (storage: string, boot: string, args: string[], json = true): Promise<{ ms: number, json: any, stderr: string }> {
  const r = await run([ENTRY, '--storage', storage, '--bootstrap', boot, '--sync-timeout', String(SYNC_TIMEOUT_S), ...(json ? ['--json'] : []), ...args])
  if (r.code !== 0) throw new Error(`p2print ${args.join(' ')} exited ${String(r.code)}: ${r.stderr}`)
  return { ms: r.ms, json: json ? JSON.parse(r.stdout) : null, stderr: r.stderr }
}

function startSeed (storage: string, boot: string): { child: ChildProcess, ready: Promise<void>, stop: () => Promise<void> } {
  const child = spawn(process.execPath, [ENTRY, '--storage', storage, '--bootstrap', boot, '--json', 'seed'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<void>(resolve => child.on('close', () => resolve()))
  const ready = new Promise<void>((resolve, reject) => {
    let buf = ''
    child.stdout!.on('data', (d) => {
      buf += String(d)
      if (buf.includes('"tag":"seeding"')) resolve()
    })
    child.on('close', () => reject(new Error('the seeder exited before it started')))
  })
  return { child, ready, stop: async () => { child.kill('SIGTERM'); await exited } }
}

async function main (): Promise<void> {
  if (!fs.existsSync(ENTRY)) throw new Error('dist/index.js is missing: run `npm run build` first')
  const tn = await createTestnet(5)
  const boot = tn.bootstrap.map((b: { host: string, port: number }) => `${b.host}:${b.port}`).join(',')
  const dir = await tmpDir('cli')
  const A = path.join(dir, 'creator')
  const U = path.join(dir, 'user')
  const seeds: Array<{ stop: () => Promise<void> }> = []
  try {
    const { key } = (await cli(A, boot, ['market', 'create', '--admission-bits', '8', '--name', 'bench'])).json
    const seederA = startSeed(A, boot)
    seeds.push(seederA)
    await seederA.ready
    await cli(U, boot, ['market', 'join', key])
    // U posts once so it is a writer, and the seeder holds U's log before timing starts
    const first = (await cli(U, boot, ['job', 'create', '--title', 'warm-up', '--material', 'PLA', '--bounty', '0.0001', '--country', 'DE'])).json
    await cli(U, boot, ['sync'])
    // jobs for U to accept: posted by a third peer, one per timed accept
    const P = path.join(dir, 'poster')
    await cli(P, boot, ['market', 'join', key])
    const toAccept: string[] = []
    for (let i = 0; i < 2 * ROUNDS; i++) toAccept.push((await cli(P, boot, ['job', 'create', '--title', `part ${i}`, '--material', 'PETG', '--bounty', '0.0002', '--country', 'NL'])).json.id)
    await cli(U, boot, ['sync'])

    const samples: Record<'alone' | 'through', Record<Command, number[]>> = { alone: emptyRecord(), through: emptyRecord() }
    const base: number[] = []
    let fullTimeouts = 0
    const timeOne = async (series: 'alone' | 'through', c: Command): Promise<void> => {
      const args = c === 'jobs'
        ? ['jobs']
        : c === 'job show'
          ? ['job', 'show', first.id]
          : c === 'job create'
            ? ['job', 'create', '--title', 'timed', '--material', 'PLA', '--bounty', '0.0001', '--country', 'DE']
            : c === 'job accept' ? ['job', 'accept', toAccept.shift()!] : ['sync']
      const r = await cli(U, boot, args)
      samples[series][c].push(r.ms)
      if (process.env.P2PRINT_TRACE === '1') console.log(`${series} ${c}: ${round(r.ms, 0)} ms\n${r.stderr.split('\n').filter(l => l.startsWith('[trace]')).map(l => '  ' + l).join('\n')}`)
      if (series === 'alone' && r.ms >= SYNC_TIMEOUT_S * 1000) fullTimeouts++
      if (c === 'job create') await cli(U, boot, ['job', 'cancel', r.json.id]) // stay under the open-jobs limit (untimed)
    }
    for (let round = 0; round < ROUNDS; round++) {
      base.push((await run(['-e', '0'])).ms)
      for (const c of COMMANDS) await timeOne('alone', c)
      if (ALONE_ONLY) continue
      const seederU = startSeed(U, boot)
      await seederU.ready
      await sleep(500)
      // untimed: the commands below must go through this seeder, not open the storage themselves
      if (!/Through the p2print running on this storage/.test((await cli(U, boot, ['jobs'], false)).stderr)) throw new Error('a command did not go through the seeder running on its storage')
      for (const c of COMMANDS) await timeOne('through', c)
      await seederU.stop()
      base.push((await run(['-e', '0'])).ms)
    }

    const nodeMs = median(base)
    console.log(`node -e 0: median ${round(nodeMs, 1)} ms of ${base.length}`)
    const rows: Record<string, { aloneMs: number, throughMs: number, throughRatio: number }> = {}
    for (const c of COMMANDS) {
      const alone = median(samples.alone[c])
      const through = median(samples.through[c])
      rows[c] = { aloneMs: round(alone, 0), throughMs: round(through, 0), throughRatio: round(through / nodeMs, 2) }
      console.log(`${c.padEnd(11)} alone ${String(round(alone, 0)).padStart(6)} ms   through the running seed ${String(round(through, 0)).padStart(5)} ms = ${round(through / nodeMs, 2)} × node -e 0`)
    }
    const worstThrough = Math.max(...COMMANDS.map(c => rows[c].throughRatio))
    const worstAlone = Math.max(...COMMANDS.map(c => rows[c].aloneMs))
    console.log(`alone commands that took the whole ${SYNC_TIMEOUT_S} s sync timeout: ${fullTimeouts}`)
    printResult({
      bench: 'cli',
      rounds: ROUNDS,
      nodeMs: round(nodeMs, 1),
      commands: rows,
      worstThroughRatio: worstThrough,
      worstAloneMs: worstAlone,
      fullTimeouts,
      goal: { throughRatio: 3, aloneMs: 2000, fullTimeouts: 0 },
      goalMet: worstThrough <= 3 && worstAlone <= 2000 && fullTimeouts === 0
    })
  } finally {
    for (const s of seeds) await s.stop().catch(() => {})
    await tn.destroy()
    await rmDir(dir)
  }
}

function emptyRecord (): Record<Command, number[]> {
  return { jobs: [], 'job show': [], 'job create': [], 'job accept': [], sync: [] }
}

main().then(() => exitGuard(), (err) => { console.error(err); process.exit(1) })
