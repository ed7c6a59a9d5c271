// Bench: `p2print analyze FILE` as a whole process, as a user runs it, against ADMesh (`admesh FILE`) on the same
// 1 000 000-facet binary STL: wall time and peak RSS of each process. Also the fixed cost: `analyze` of a 12-facet
// cube against `node -e 0`, with `p2print --help` (the entry point's own imports, no command) between the two.
//
// The model is bench/analyze.ts's torus (R 40 mm, r 15 mm, 1000 × 500 quads: 1 000 000 facets, 50 000 084 bytes).
// Runs `node dist/index.js` (build first: `npm run build`). Each command runs once untimed (page cache, loader), then
// BENCH_RUNS times (3), the commands alternating: admesh, analyze, analyze --json, … Median of each.
// Wall time: process.hrtime around spawnSync, from spawn to exit, output piped. Peak RSS: the child's ru_maxrss as
// the kernel reports it when the process is reaped, through GNU time (`/usr/bin/time -f %M`, KB); without it, a
// python3 wrapper reads getrusage(RUSAGE_CHILDREN) after waiting for the child; with neither, RSS is not measured.
// Both commands run through the same wrapper, so its cost is in both times. The wrapper also gives each child's CPU
// time (user + sys), printed as well: on a shared, loaded machine it says more than wall time (not a goal).
// Goals: analyze's median time ≤ 1.0 × ADMesh's, its median peak RSS ≤ 1.5 × ADMesh's.
//
//   npm run build && node --import tsx bench/analyze-process.ts     (BENCH_RUNS=3)
import fs from 'fs'
import os from 'os'
import path from 'path'
import { spawnSync } from 'child_process'
import { fileURLToPath } from 'url'
import { binaryStl, box, torus } from '../test/fixtures/meshes.js'
import { tmpDir, rmDir, nowMs, median, round, printResult, exitGuard, env } from './_util.js'

const RUNS = env('BENCH_RUNS', 3)
const GOAL_TIME = 1.0
const GOAL_RSS = 1.5
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const CLI = path.join(ROOT, 'dist', 'index.js')

interface Run { ms: number, rssKb: number | null, cpuMs: number | null, stdout: string }

type Wrapper = { kind: 'gnu-time' | 'python' | 'none', wrap: (cmd: string[], out: string) => string[] }

function findWrapper (): Wrapper {
  if (spawnSync('/usr/bin/time', ['-f', '%M', 'true'], { stdio: 'ignore' }).status === 0) {
    return { kind: 'gnu-time', wrap: (cmd, out) => ['/usr/bin/time', '-f', '%M %U %S', '-o', out, ...cmd] }
  }
  const py = 'import resource,subprocess,sys\nr=subprocess.run(sys.argv[2:])\nu=resource.getrusage(resource.RUSAGE_CHILDREN)\nopen(sys.argv[1],"w").write("%d %f %f" % (u.ru_maxrss, u.ru_utime, u.ru_stime))\nsys.exit(r.returncode)'
  if (spawnSync('python3', ['-c', 'import resource'], { stdio: 'ignore' }).status === 0) {
    return { kind: 'python', wrap: (cmd, out) => ['python3', '-c', py, out, ...cmd] }
  }
  return { kind: 'none', wrap: (cmd) => cmd }
}

function run (w: Wrapper, cmd: string[], rssFile: string): Run {
  const argv = w.wrap(cmd, rssFile)
  const t0 = nowMs()
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const ms = nowMs() - t0
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited with ${String(r.status)}: ${r.stderr}`)
  let rssKb: number | null = null
  let cpuMs: number | null = null
  if (w.kind !== 'none') {
    const last = fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop() ?? ''
    const [kb, user, sys] = last.split(' ').map(Number)
    if (!Number.isFinite(kb) || !Number.isFinite(user) || !Number.isFinite(sys)) throw new Error(`no peak RSS and CPU time in ${JSON.stringify(last)}`)
    rssKb = kb
    cpuMs = (user + sys) * 1000
  }
  return { ms, rssKb, cpuMs, stdout: r.stdout }
}

function summary (runs: Run[]): { ms: number, rssMb: number | null, cpuMs: number | null, all: string } {
  const rss = runs.every(r => r.rssKb !== null) ? median(runs.map(r => r.rssKb as number)) / 1024 : null
  const cpu = runs.every(r => r.cpuMs !== null) ? median(runs.map(r => r.cpuMs as number)) : null
  return { ms: median(runs.map(r => r.ms)), rssMb: rss, cpuMs: cpu, all: runs.map(r => `${round(r.ms, 0)} ms${r.rssKb === null ? '' : ` ${round(r.rssKb / 1024, 1)} MB`}`).join(', ') }
}

async function main (): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`)
  const stale = ['index.ts', 'lib/commands/files.ts', 'lib/files/analyze.ts', 'lib/files/stl-stream.ts', 'lib/files/topology.ts']
    .filter(f => fs.statSync(path.join(ROOT, f)).mtimeMs > fs.statSync(path.join(ROOT, 'dist', f.replace(/\.ts$/, '.js'))).mtimeMs)
  if (stale.length > 0) console.log(`warning: dist/ is older than ${stale.join(', ')}: run \`npm run build\` first`)
  if (spawnSync('admesh', ['--help'], { stdio: 'ignore' }).error !== undefined) throw new Error('admesh is not installed (not on PATH): this bench compares against it')
  const w = findWrapper()
  console.log(`peak RSS measured with: ${w.kind === 'gnu-time' ? '/usr/bin/time -f %M (ru_maxrss of the child)' : w.kind === 'python' ? 'python3 getrusage(RUSAGE_CHILDREN) (ru_maxrss of the child)' : 'nothing (neither /usr/bin/time nor python3 found): RSS not measured'}`)
  const dir = await tmpDir('analyze-process')
  try {
    const file = path.join(dir, 'torus-1m.stl')
    const cube = path.join(dir, 'cube.stl')
    const rssFile = path.join(dir, 'rss.txt')
    await fs.promises.writeFile(file, binaryStl(torus(40, 15, 1000, 500)))
    await fs.promises.writeFile(cube, binaryStl(box(10, 10, 10)))
    console.log(`model: torus, 1000000 facets, ${(await fs.promises.stat(file)).size} bytes; cube, 12 facets; ${os.cpus().length} cores, load ${os.loadavg().map(l => l.toFixed(2)).join(' ')}`)

    const commands = {
      admesh: ['admesh', file],
      analyze: [process.execPath, CLI, 'analyze', file],
      analyzeJson: [process.execPath, CLI, '--json', 'analyze', file],
      cube: [process.execPath, CLI, 'analyze', cube],
      help: [process.execPath, CLI, '--help'],
      nodeE0: [process.execPath, '-e', '0']
    }
    const runs: Record<keyof typeof commands, Run[]> = { admesh: [], analyze: [], analyzeJson: [], cube: [], help: [], nodeE0: [] }
    const names = Object.keys(commands) as Array<keyof typeof commands>
    for (const name of names) run(w, commands[name], rssFile) // warm-up, untimed
    for (let i = 0; i < RUNS; i++) for (const name of names) runs[name].push(run(w, commands[name], rssFile))

    // The figures must be right, or the times mean nothing.
    const ad = runs.admesh[0].stdout
    const adVolume = Number(/Volume\s*:\s*(\S+)/.exec(ad)?.[1])
    const adFacets = Number(/Number of facets\s*:\s*(\d+)/.exec(ad)?.[1])
    const ours = JSON.parse(runs.analyzeJson[0].stdout)
    if (ours.facets !== 1_000_000 || adFacets !== 1_000_000) throw new Error(`facets: ours ${String(ours.facets)}, admesh ${adFacets}`)
    const volDiff = Math.abs(Math.abs(ours.volumeCm3) * 1000 - adVolume) / adVolume
    if (!(volDiff < 1e-4)) throw new Error(`volumes differ: ours ${String(ours.volumeCm3)} cm³, admesh ${adVolume} mm³`)
    if (!runs.analyze[0].stdout.includes('facets     1000000')) throw new Error('unexpected text output:\n' + runs.analyze[0].stdout)

    const s = Object.fromEntries(names.map(n => [n, summary(runs[n])])) as Record<keyof typeof commands, ReturnType<typeof summary>>
    const mb = (x: number | null): string => x === null ? '—' : `${round(x, 1)} MB`
    for (const n of names) console.log(`${n.padEnd(12)} median ${round(s[n].ms, 0)} ms (CPU ${s[n].cpuMs === null ? '—' : `${round(s[n].cpuMs as number, 0)} ms`}), peak RSS ${mb(s[n].rssMb)}   [${s[n].all}]`)
    const ratio = (a: number | null, b: number | null): number | null => a === null || b === null ? null : round(a / b, 3)
    const timeRatio = ratio(s.analyze.ms, s.admesh.ms) as number
    const timeRatioJson = ratio(s.analyzeJson.ms, s.admesh.ms) as number
    const rssRatio = ratio(s.analyze.rssMb, s.admesh.rssMb)
    const rssRatioJson = ratio(s.analyzeJson.rssMb, s.admesh.rssMb)
    const met = (x: number | null, goal: number): string => x === null ? 'not measured' : x <= goal ? 'met' : 'NOT met'
    console.log(`time  analyze / admesh: ${timeRatio}× (--json ${timeRatioJson}×), goal ≤ ${GOAL_TIME}×: ${met(Math.max(timeRatio, timeRatioJson), GOAL_TIME)}`)
    console.log(`RSS   analyze / admesh: ${rssRatio ?? '—'}× (--json ${rssRatioJson ?? '—'}×), goal ≤ ${GOAL_RSS}×: ${met(rssRatio === null || rssRatioJson === null ? null : Math.max(rssRatio, rssRatioJson), GOAL_RSS)}`)
    console.log(`CPU   analyze / admesh: ${ratio(s.analyze.cpuMs, s.admesh.cpuMs) ?? '—'}× (user + sys; less sensitive than wall time to other load on the machine)`)
    console.log(`fixed cost: analyze of the cube ${round(s.cube.ms, 0)} ms vs node -e 0 ${round(s.nodeE0.ms, 0)} ms (${ratio(s.cube.ms, s.nodeE0.ms)}×, +${round(s.cube.ms - s.nodeE0.ms, 0)} ms), RSS ${mb(s.cube.rssMb)} vs ${mb(s.nodeE0.rssMb)}; \`p2print --help\` (index.ts and its imports, no command) ${round(s.help.ms, 0)} ms`)
    const goalMet = Math.max(timeRatio, timeRatioJson) <= GOAL_TIME && rssRatio !== null && rssRatioJson !== null && Math.max(rssRatio, rssRatioJson) <= GOAL_RSS
    printResult({
      bench: 'analyze-process',
      facets: 1_000_000,
      rssBy: w.kind,
      admeshMs: round(s.admesh.ms, 1),
      analyzeMs: round(s.analyze.ms, 1),
      analyzeJsonMs: round(s.analyzeJson.ms, 1),
      admeshRssMb: s.admesh.rssMb === null ? null : round(s.admesh.rssMb, 1),
      analyzeRssMb: s.analyze.rssMb === null ? null : round(s.analyze.rssMb, 1),
      analyzeJsonRssMb: s.analyzeJson.rssMb === null ? null : round(s.analyzeJson.rssMb, 1),
      timeRatio,
      timeRatioJson,
      cpuRatio: ratio(s.analyze.cpuMs, s.admesh.cpuMs),
      rssRatio,
      rssRatioJson,
      goalTime: GOAL_TIME,
      goalRss: GOAL_RSS,
      cubeMs: round(s.cube.ms, 1),
      nodeE0Ms: round(s.nodeE0.ms, 1),
      cubeRatio: ratio(s.cube.ms, s.nodeE0.ms),
      helpMs: round(s.help.ms, 1),
      cubeRssMb: s.cube.rssMb === null ? null : round(s.cube.rssMb, 1),
      nodeE0RssMb: s.nodeE0.rssMb === null ? null : round(s.nodeE0.rssMb, 1),
      volumeRelDiff: volDiff,
      goalMet
    })
  } finally {
    await rmDir(dir)
  }
}

main().then(() => exitGuard(), err => {
  console.error(err)
  process.exitCode = 1
})
