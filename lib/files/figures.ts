// The figures of one model (ModelAnalysis), computed from its facets fed in file order, whole or chunk by chunk:
// bounding box, signed volume and area on the way, vertex ids for the topology, then fits and weights at the end.
// analyzeMesh (analyze.ts) feeds a whole Mesh at once, the binary STL stream (stl-stream.ts) feeds chunks of the
// file; the arithmetic is the same, in the same order, so both give identical numbers.
import { MATERIALS, type Material } from '../schema/constants.js'
import { BEDS, DENSITY } from './beds.js'
import type { ModelAnalysis, Vec3 } from './model.js'
import { VertexIndex, edgeTopology } from './topology.js'

export class MeshFigures {
  private readonly vertices: VertexIndex
  private facets = 0
  // Volume: the sum of the tetrahedra from a reference point to each facet, in float64; the reference point is the
  // first vertex, which keeps the terms small and the sum accurate far from the origin.
  private ox = 0; private oy = 0; private oz = 0
  private minX = 0; private minY = 0; private minZ = 0
  private maxX = 0; private maxY = 0; private maxZ = 0
  private vol = 0
  private area = 0

  constructor (readonly expectedFacets: number, slots = expectedFacets) {
    if (expectedFacets >= 65536 && !primed) primeJit()
    this.vertices = new VertexIndex(expectedFacets, slots)
  }

  // Adds the first n facets of `t` (9 coordinates each); `bits` is the same memory as int32 (float32 bit patterns).
  // The geometry and the vertex merge are two functions with a loop each, so V8 optimises each on its own (a short
  // compile each) instead of one large function with the merge inlined.
  addFacets (t: Float32Array, bits: Int32Array, n: number): void {
    if (n === 0) return
    this.geometry(t, n)
    this.vertices.addCorners(bits, n)
    this.facets += n
  }

  private geometry (t: Float32Array, n: number): void {
    if (this.facets === 0) {
      this.ox = this.minX = this.maxX = t[0]
      this.oy = this.minY = this.maxY = t[1]
      this.oz = this.minZ = this.maxZ = t[2]
    }
    const ox = this.ox; const oy = this.oy; const oz = this.oz
    let minX = this.minX; let minY = this.minY; let minZ = this.minZ
    let maxX = this.maxX; let maxY = this.maxY; let maxZ = this.maxZ
    let vol = this.vol
    let area = this.area
    for (let i = 0, end = 9 * n; i < end; i += 9) {
      const x0 = t[i]; const y0 = t[i + 1]; const z0 = t[i + 2]
      const x1 = t[i + 3]; const y1 = t[i + 4]; const z1 = t[i + 5]
      const x2 = t[i + 6]; const y2 = t[i + 7]; const z2 = t[i + 8]
      if (x0 < minX) minX = x0; if (x0 > maxX) maxX = x0
      if (y0 < minY) minY = y0; if (y0 > maxY) maxY = y0
      if (z0 < minZ) minZ = z0; if (z0 > maxZ) maxZ = z0
      if (x1 < minX) minX = x1; if (x1 > maxX) maxX = x1
      if (y1 < minY) minY = y1; if (y1 > maxY) maxY = y1
      if (z1 < minZ) minZ = z1; if (z1 > maxZ) maxZ = z1
      if (x2 < minX) minX = x2; if (x2 > maxX) maxX = x2
      if (y2 < minY) minY = y2; if (y2 > maxY) maxY = y2
      if (z2 < minZ) minZ = z2; if (z2 > maxZ) maxZ = z2
      const ax = x0 - ox; const ay = y0 - oy; const az = z0 - oz
      const bx = x1 - ox; const by = y1 - oy; const bz = z1 - oz
      const cx = x2 - ox; const cy = y2 - oy; const cz = z2 - oz
      vol += ax * (by * cz - bz * cy) + ay * (bz * cx - bx * cz) + az * (bx * cy - by * cx)
      const ux = bx - ax; const uy = by - ay; const uz = bz - az
      const vx = cx - ax; const vy = cy - ay; const vz = cz - az
      const nx = uy * vz - uz * vy; const ny = uz * vx - ux * vz; const nz = ux * vy - uy * vx
      area += Math.sqrt(nx * nx + ny * ny + nz * nz)
    }
    this.minX = minX; this.minY = minY; this.minZ = minZ
    this.maxX = maxX; this.maxY = maxY; this.maxZ = maxZ
    this.vol = vol
    this.area = area
  }

  finish (): ModelAnalysis {
    const n = this.facets
    if (n !== this.expectedFacets) throw new Error(`MeshFigures: ${n} facets added, ${this.expectedFacets} announced`)
    const v = this.vertices
    const topo = edgeTopology(v.ids, v.count, v.release())
    const min: Vec3 = [this.minX, this.minY, this.minZ]
    const max: Vec3 = [this.maxX, this.maxY, this.maxZ]
    const sizeMm: Vec3 = [max[0] - min[0], max[1] - min[1], max[2] - min[2]]
    const volumeCm3 = this.vol / 6 / 1000
    const weightGrams = {} as Record<Material, number>
    for (const m of MATERIALS) weightGrams[m] = Math.round(Math.abs(volumeCm3) * DENSITY[m] * 100) / 100
    return {
      facets: n,
      bbox: { min, max },
      sizeMm,
      volumeCm3,
      areaCm2: this.area / 2 / 100,
      shells: topo.shells,
      closed: topo.closed,
      manifold: topo.manifold,
      weightGrams,
      fits: fits(sizeMm)
    }
  }
}

// V8 optimises a hot loop with the type feedback gathered so far; code first reached later (the lines after the loop
// of a chunked call, a probe collision in the vertex table, its growth, a vertex shared by many facets, a degenerate
// facet) deoptimises it back to the interpreter until it is hot again. Seen here on the 1 000 000-facet torus: 128
// deoptimisations (about one per chunk) and ~8 % more time without this, one or none with it. So before the first
// large model of a process, a small mesh that takes every path is analysed a few times (~1 ms).
let primed = false

function primeJit (): void {
  primed = true
  const t = new Float32Array(PRIMING_MESH)
  const bits = new Int32Array(t.buffer)
  const n = t.length / 9
  for (let round = 0; round < 10; round++) {
    const f = new MeshFigures(n, 16)
    for (let first = 0; first < n; first += 8) {
      const k = Math.min(8, n - first)
      f.addFacets(t.subarray(9 * first), bits.subarray(9 * first), k)
    }
    f.finish()
  }
}

// A cube, a second cube with one facet turned over, a degenerate facet touching −0, and 40 facets fanned around one
// edge (a vertex with 80 edges: the sorted grouping).
const PRIMING_MESH = ((): number[] => {
  const cube = (x0: number): number[] => {
    const p = [[x0, 0, 0], [x0 + 1, 0, 0], [x0 + 1, 1, 0], [x0, 1, 0], [x0, 0, 1], [x0 + 1, 0, 1], [x0 + 1, 1, 1], [x0, 1, 1]]
    const quads = [[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [2, 3, 7, 6], [1, 2, 6, 5], [3, 0, 4, 7]]
    return quads.flatMap(([a, b, c, d]) => [...p[a], ...p[b], ...p[c], ...p[a], ...p[c], ...p[d]])
  }
  const out = [...cube(0), ...cube(3)]
  const f = 12 * 9 + 3 * 9 // facet 3 of the second cube: swap two corners
  for (let k = 0; k < 3; k++) [out[f + 3 + k], out[f + 6 + k]] = [out[f + 6 + k], out[f + 3 + k]]
  out.push(-0, 0, 0, 0, -0, 0, 2, 0, 0)
  for (let i = 0; i < 40; i++) out.push(10, 10, 10, 10, 10, 11, 10 + Math.cos(i / 7), 10 + Math.sin(i / 7), 10.5)
  return out
})()

// Names of the beds (beds.ts) the box fits in some axis-aligned orientation. Rotating a box by multiples of 90°
// about the axes permutes its dimensions, and a box fits in another in some permutation exactly when its sorted
// dimensions are each ≤ the other's sorted dimensions, so both are sorted and compared pairwise.
export function fits (sizeMm: Vec3): string[] {
  const s = [...sizeMm].sort((a, b) => a - b)
  const out: string[] = []
  for (const bed of BEDS) {
    const b = [bed.x, bed.y, bed.z].sort((a, b) => a - b)
    if (s[0] <= b[0] && s[1] <= b[1] && s[2] <= b[2]) out.push(bed.name)
  }
  return out
}
