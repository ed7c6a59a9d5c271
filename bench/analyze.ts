// Bench: full analysis of a 1 000 000-facet binary STL (read the file, parse, volume/area/bbox, vertex merge, edges,
// shells, closed/manifold, fits, weights) with analyzeFile, against ADMesh (`admesh FILE`, its default checks:
// exact vertex merge, neighbours, normals, volume) on the same file.
//
// The model is generated deterministically: a torus (R 40 mm, r 15 mm) as a 1000 × 500 grid of quads, 1 000 000
// facets, closed and manifold, 50 000 084 bytes. Timed: ADMesh spawned (wall time, process start included, output
// piped), median of 3; ours in-process, median of 3 after one untimed warm-up run (the cold first run is printed
// too). ADMesh and our runs alternate. Both volumes are printed with their relative difference. Also timed, not part
// of the goal: analyzeModelFile, the streamed path `analyze` takes (bench/analyze-process.ts times whole processes).
// Goals: our time ≤ 1.0 × ADMesh's; volumes within 1e-6 relative.
//
//   node --import tsx bench/analyze.ts     (BENCH_RUNS=3)
import fs from 'fs'
import path from 'path'
import { spawnSync } from 'child_process'
import { analyzeFile, analyzeModelFile } from '../lib/files/analyze.js'
import { binaryStl, torus } from '../test/fixtures/meshes.js'
import { tmpDir, rmDir, nowMs, median, round, printResult, exitGuard, env } from './_util.js'

const RUNS = env('BENCH_RUNS', 3)
const GOAL_RATIO = 1.0
const GOAL_VOLUME = 1e-6

function runAdmesh (file: string): { ms: number, volume: number, facets: number } {
  const t0 = nowMs()
  const r = spawnSync('admesh', [file], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })
  const ms = nowMs() - t0
  if (r.status !== 0) throw new Error(`admesh exited with ${r.status}: ${r.stderr}`)
  const vol = /Volume\s*:\s*(\S+)/.exec(r.stdout)
  const fac = /Number of facets\s*:\s*(\d+)/.exec(r.stdout)
  if (vol === null || fac === null) throw new Error('unexpected admesh output:\n' + r.stdout)
  return { ms, volume: Number(vol[1]), facets: Number(fac[1]) }
}

async function main (): Promise<void> {
  const dir = await tmpDir('analyze')
  try {
    const file = path.join(dir, 'torus-1m.stl')
    const t0 = nowMs()
    const tris = torus(40, 15, 1000, 500)
    await fs.promises.writeFile(file, binaryStl(tris))
    const size = (await fs.promises.stat(file)).size
    console.log(`model: torus, ${tris.length / 9} facets, ${size} bytes (generated in ${round(nowMs() - t0, 0)} ms)`)

    const hasAdmesh = spawnSync('admesh', ['--help'], { stdio: 'ignore' }).error === undefined
    if (!hasAdmesh) console.log('admesh is not installed (not on PATH): timing our analysis only, no comparison')

    const t1 = nowMs()
    const first = await analyzeFile(file)
    const coldMs = nowMs() - t1
    if (first.analysis.kind !== 'stl') throw new Error('unexpected kind')
    const ours = first.analysis
    console.log(`ours (cold, first run): ${round(coldMs, 1)} ms`)
    if (hasAdmesh) runAdmesh(file) // warm-up (page cache, dynamic loader)

    const oursMs: number[] = []
    const streamMs: number[] = []
    const admeshMs: number[] = []
    let admeshVolume = NaN
    let admeshFacets = NaN
    for (let i = 0; i < RUNS; i++) {
      if (hasAdmesh) {
        const a = runAdmesh(file)
        admeshMs.push(a.ms)
        admeshVolume = a.volume
        admeshFacets = a.facets
      }
      const s = nowMs()
      const r = await analyzeFile(file)
      oursMs.push(nowMs() - s)
      if (r.analysis.kind !== 'stl' || r.analysis.volumeCm3 !== ours.volumeCm3) throw new Error('analysis not deterministic')
      const s2 = nowMs()
      const streamed = await analyzeModelFile(file)
      streamMs.push(nowMs() - s2)
      if (JSON.stringify(streamed) !== JSON.stringify(r.analysis)) throw new Error('the streamed analysis differs from the whole-file one')
    }
    const oursMed = median(oursMs)
    const volumeOurs = Math.abs(ours.volumeCm3) * 1000
    console.log(`ours:   median ${round(oursMed, 1)} ms of [${oursMs.map(x => round(x, 1)).join(', ')}] — facets ${ours.facets}, shells ${ours.shells}, closed ${ours.closed}, manifold ${ours.manifold}, volume ${volumeOurs} mm³`)
    console.log(`ours, streamed (analyzeModelFile, what \`analyze\` runs): median ${round(median(streamMs), 1)} ms of [${streamMs.map(x => round(x, 1)).join(', ')}], the same figures`)
    if (!hasAdmesh) {
      printResult({ bench: 'analyze', facets: ours.facets, bytes: size, admesh: false, oursMs: round(oursMed, 1), oursColdMs: round(coldMs, 1), volumeOursMm3: volumeOurs, goalMet: null })
      return
    }
    const admeshMed = median(admeshMs)
    const ratio = oursMed / admeshMed
    const relDiff = Math.abs(volumeOurs - admeshVolume) / volumeOurs
    // ADMesh keeps its volume sum in a 32-bit float. Summing our per-facet terms into a float32 the same way shows
    // how much of the difference is that rounding.
    let s32 = 0
    const ox = tris[0]; const oy = tris[1]; const oz = tris[2]
    const f = new Float32Array(tris) // the file's float32 coordinates
    for (let i = 0; i < f.length; i += 9) {
      const ax = f[i] - ox; const ay = f[i + 1] - oy; const az = f[i + 2] - oz
      const bx = f[i + 3] - ox; const by = f[i + 4] - oy; const bz = f[i + 5] - oz
      const cx = f[i + 6] - ox; const cy = f[i + 7] - oy; const cz = f[i + 8] - oz
      s32 = Math.fround(s32 + (ax * (by * cz - bz * cy) + ay * (bz * cx - bx * cz) + az * (bx * cy - by * cx)) / 6)
    }
    const relDiffF32 = Math.abs(Math.abs(s32) - admeshVolume) / admeshVolume
    console.log(`admesh: median ${round(admeshMed, 1)} ms of [${admeshMs.map(x => round(x, 1)).join(', ')}] — facets ${admeshFacets}, volume ${admeshVolume} mm³`)
    console.log(`ratio ours / admesh: ${round(ratio, 3)}× (goal ≤ ${GOAL_RATIO}×) ${ratio <= GOAL_RATIO ? 'met' : 'NOT met'}`)
    console.log(`volume: ours ${volumeOurs} mm³ (float64 sum), admesh ${admeshVolume} mm³: relative difference ${relDiff.toExponential(3)} (goal ≤ ${GOAL_VOLUME}) ${relDiff <= GOAL_VOLUME ? 'met' : 'NOT met'}`)
    console.log(`        our per-facet terms summed in float32 as ADMesh does: ${Math.abs(s32)} mm³, ${relDiffF32.toExponential(3)} from ADMesh's figure — the difference is ADMesh's float32 running sum`)
    printResult({
      bench: 'analyze',
      facets: ours.facets,
      bytes: size,
      admeshMs: round(admeshMed, 1),
      oursMs: round(oursMed, 1),
      oursColdMs: round(coldMs, 1),
      streamMs: round(median(streamMs), 1),
      ratio: round(ratio, 3),
      goalRatio: GOAL_RATIO,
      ratioMet: ratio <= GOAL_RATIO,
      volumeOursMm3: volumeOurs,
      volumeAdmeshMm3: admeshVolume,
      volumeRelDiff: relDiff,
      volumeRelDiffFloat32Sum: relDiffF32,
      goalVolume: GOAL_VOLUME,
      volumeMet: relDiff <= GOAL_VOLUME,
      facetsMatch: admeshFacets === ours.facets,
      goalMet: ratio <= GOAL_RATIO && relDiff <= GOAL_VOLUME
    })
  } finally {
    await rmDir(dir)
  }
}

main().then(() => exitGuard(), err => {
  console.error(err)
  process.exitCode = 1
})
