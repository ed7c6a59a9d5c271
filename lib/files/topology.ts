// Topology of a triangle soup: exact vertex merge, edges, shells, closed, manifold (the rules are in analyze.ts).
// Both the in-memory path (a Mesh) and the streamed binary STL (stl-stream.ts) feed facets to the same two pieces,
// so they give identical figures:
//  - VertexIndex takes facets chunk by chunk (float32 bit patterns) and gives every corner a vertex id, in order of
//    first use. Open addressing with linear probing; a slot holds the id and the three coordinates side by side, so a
//    probe touches one cache line, and the coordinates need no array of their own.
//  - edgeTopology works on the corner ids alone: directed edges grouped by their lower vertex (CSR, counting sort),
//    which turns edge matching into short scans over a few entries per vertex and, since vertex ids follow first use
//    in the file, into mostly sequential memory access.
import type { Mesh } from './model.js'

export interface Topology {
  shells: number
  closed: boolean
  manifold: boolean
  vertices: number // distinct vertices after the exact merge
  edges: number // distinct undirected edges (of non-degenerate facets)
  degenerate: number // facets with two corners on the same vertex
  openEdges: number // undirected edges not used by exactly two facets
  misorientedEdges: number // edges shared by two facets that run it in the same direction
}

const NEG_ZERO = -2147483648 // bit pattern of −0 as an int32
const SLOT = 4 // ints per slot: id + 1 (0 = empty), x, y, z
const RECENT_MAX = 1 << 12 // entries of the recent-vertex cache (64 KB)

function pow2AtLeast (x: number): number {
  let p = 16
  while (p < x) p *= 2
  return p
}

function hash (x: number, y: number, z: number): number {
  let h = Math.imul(x, 0x9e3779b1) ^ Math.imul(y ^ (y >>> 15), 0x85ebca77) ^ Math.imul(z ^ (z >>> 13), 0xc2b2ae3d)
  h ^= h >>> 16
  h = Math.imul(h, 0x7feb352d)
  return h ^ (h >>> 15)
}

// Exact merge (bit pattern, −0 = +0) of the corners of `facets` facets, added in file order.
export class VertexIndex {
  readonly ids: Int32Array // vertex id of each corner
  corners = 0 // corners added so far
  count = 0 // distinct vertices so far
  private table: Int32Array
  // A small direct-mapped cache of recently seen vertices (RECENT_MAX): most corners repeat a vertex of a facet
  // read shortly before, and this saves them a probe of the large table (a cache and TLB miss).
  private readonly recent: Int32Array
  private readonly recentMask: number
  private mask: number
  private limit: number

  // `slots`: the table's initial size (a closed mesh has about facets / 2 vertices: room for that at ≤ 50 % load);
  // it grows past 70 %.
  constructor (facets: number, slots = facets) {
    this.ids = new Int32Array(3 * facets)
    this.recentMask = Math.min(RECENT_MAX, pow2AtLeast(facets)) - 1
    this.recent = new Int32Array(SLOT * (this.recentMask + 1))
    const cap = pow2AtLeast(Math.ceil(slots))
    this.table = new Int32Array(SLOT * cap)
    this.mask = cap - 1
    this.limit = Math.floor(cap * 0.7)
  }

  // `bits`: float32 bit patterns, 9 per facet; adds the first n facets.
  addCorners (bits: Int32Array, n: number): void {
    const ids = this.ids
    if (this.corners + 3 * n > ids.length) throw new Error('VertexIndex: more facets than announced')
    let table = this.table
    let mask = this.mask
    let smask = table.length - 1
    let count = this.count
    let c = this.corners
    const recent = this.recent
    const recentMask = this.recentMask
    for (let o = 0, end = 9 * n; o < end; o += 3, c++) {
      let x = bits[o]; let y = bits[o + 1]; let z = bits[o + 2]
      if (x === NEG_ZERO) x = 0
      if (y === NEG_ZERO) y = 0
      if (z === NEG_ZERO) z = 0
      const h = hash(x, y, z)
      const r = ((h >>> 8) & recentMask) * SLOT
      const known = recent[r]
      if (known !== 0 && recent[r + 1] === x && recent[r + 2] === y && recent[r + 3] === z) { ids[c] = known - 1; continue }
      let s = (h & mask) * SLOT
      let id = 0
      for (;;) {
        id = table[s]
        if (id === 0) {
          table[s] = id = ++count; table[s + 1] = x; table[s + 2] = y; table[s + 3] = z
          if (count > this.limit) {
            this.count = count
            this.grow()
            table = this.table
            mask = this.mask
            smask = table.length - 1
          }
          break
        }
        if (table[s + 1] === x && table[s + 2] === y && table[s + 3] === z) break
        s = (s + SLOT) & smask
      }
      ids[c] = id - 1
      recent[r] = id; recent[r + 1] = x; recent[r + 2] = y; recent[r + 3] = z
    }
    this.count = count
    this.corners = c
  }

  private grow (): void {
    const old = this.table
    const cap = 2 * (this.mask + 1)
    const mask = cap - 1
    const table = new Int32Array(SLOT * cap)
    for (let s = 0; s < old.length; s += SLOT) {
      if (old[s] === 0) continue
      let t = (hash(old[s + 1], old[s + 2], old[s + 3]) & mask) * SLOT
      while (table[t] !== 0) t = (t + SLOT) & (table.length - 1)
      table[t] = old[s]; table[t + 1] = old[s + 1]; table[t + 2] = old[s + 2]; table[t + 3] = old[s + 3]
    }
    this.table = table
    this.mask = mask
    this.limit = Math.floor(cap * 0.7)
  }

  // Once every corner has its id the table is no longer needed: hands its memory over (to edgeTopology, as scratch).
  release (): Int32Array {
    const t = this.table
    this.table = new Int32Array(0)
    return t
  }
}

// Merges the vertices of an in-memory mesh: each corner's vertex id (ids in order of first use) and the count.
export function mergeVertices (mesh: Mesh): { ids: Int32Array, count: number } {
  const t = mesh.triangles
  const n = Math.floor(t.length / 9)
  const index = new VertexIndex(n)
  index.addCorners(new Int32Array(t.buffer, t.byteOffset, 9 * n), n)
  return { ids: index.ids, count: index.count }
}

export function topology (mesh: Mesh): Topology {
  const t = mesh.triangles
  const n = Math.floor(t.length / 9)
  const index = new VertexIndex(n)
  index.addCorners(new Int32Array(t.buffer, t.byteOffset, 9 * n), n)
  return edgeTopology(index.ids, index.count, index.release())
}

// Edges, shells, closed and manifold from the corner ids (3 per facet) and the number of distinct vertices V.
// `scratch`, if given and large enough, holds the edge entries and the union-find forest (the vertex table of a
// VertexIndex is: 4 ints per slot, at least one slot per facet, so 4 per facet for 3 entries and 1 parent).
// Each pass is a function of its own: a loop V8 optimises while it runs (OSR) then leaves into nothing but a return,
// instead of into the next pass's code, which it would not have type feedback for (a deoptimisation per pass).
export function edgeTopology (ids: Int32Array, V: number, scratch: Int32Array = new Int32Array(0)): Topology {
  const n = Math.floor(ids.length / 3)
  // start[v]: first entry of lower vertex v (start[V] = the total), once fillEdges has counted down from the ends.
  const start = new Int32Array(V + 1)
  const degenerate = countEdges(ids, n, start)
  const sum = endOffsets(start, V)
  const fits = scratch.length >= sum + n
  const ent = fits ? scratch.subarray(0, sum) : new Int32Array(sum)
  const fac = new Int32Array(sum)
  fillEdges(ids, n, start, ent, fac)
  const parent = fits ? scratch.subarray(sum, sum + n) : new Int32Array(n)
  const g = groupEdges(start, V, ent, fac, parent)
  const shells = n - degenerate - g.joins
  const closed = g.openEdges === 0 && n - degenerate > 0
  return {
    shells,
    closed,
    manifold: closed && g.misoriented === 0 && degenerate === 0,
    vertices: V,
    edges: g.edges,
    degenerate,
    openEdges: g.openEdges,
    misorientedEdges: g.misoriented
  }
}

// Pass 1: counts the edges of each lower vertex id into start[]; returns the number of degenerate facets.
function countEdges (ids: Int32Array, n: number, start: Int32Array): number {
  let degenerate = 0
  for (let o = 0, end = 3 * n; o < end; o += 3) {
    const a = ids[o]; const b = ids[o + 1]; const c = ids[o + 2]
    if (a === b || b === c || a === c) { degenerate++; continue }
    start[a < b ? a : b]++
    start[b < c ? b : c]++
    start[c < a ? c : a]++
  }
  return degenerate
}

// Counts → end offsets (fillEdges counts each down to its start offset); returns the total.
function endOffsets (start: Int32Array, V: number): number {
  let sum = 0
  for (let v = 0; v < V; v++) { sum += start[v]; start[v] = sum }
  start[V] = sum
  return sum
}

// Pass 2: entry = (higher vertex << 1) | direction (0: lower → higher as the facet runs it), and its facet.
function fillEdges (ids: Int32Array, n: number, start: Int32Array, ent: Int32Array, fac: Int32Array): void {
  for (let f = 0, o = 0; f < n; f++, o += 3) {
    const a = ids[o]; const b = ids[o + 1]; const c = ids[o + 2]
    if (a === b || b === c || a === c) continue
    let p: number
    if (a < b) { p = --start[a]; ent[p] = b << 1 } else { p = --start[b]; ent[p] = (a << 1) | 1 }
    fac[p] = f
    if (b < c) { p = --start[b]; ent[p] = c << 1 } else { p = --start[c]; ent[p] = (b << 1) | 1 }
    fac[p] = f
    if (c < a) { p = --start[c]; ent[p] = a << 1 } else { p = --start[a]; ent[p] = (c << 1) | 1 }
    fac[p] = f
  }
}

// Pass 3: per lower vertex, groups its entries by higher vertex (a handful each), counts directions and joins the
// facets of each edge (union-find; `joins` = how many times two shells became one).
function groupEdges (start: Int32Array, V: number, ent: Int32Array, fac: Int32Array, parent: Int32Array): { edges: number, openEdges: number, misoriented: number, joins: number } {
  initForest(parent)
  let joins = 0
  let edges = 0
  let openEdges = 0
  let misoriented = 0
  for (let v = 0; v < V; v++) {
    const s = start[v]
    const e = start[v + 1]
    const sorted = e - s > 32
    if (sorted) sortGroup(ent, fac, s, e) // a vertex shared by many facets: sort instead of comparing all pairs
    for (let i = s; i < e; i++) {
      const ei = ent[i]
      if (ei < 0) continue
      const hi = ei >> 1
      let fwd = 0
      let bwd = 0
      if ((ei & 1) === 0) fwd++; else bwd++
      let root = fac[i]
      while (parent[root] !== root) { parent[root] = parent[parent[root]]; root = parent[root] }
      for (let j = i + 1; j < e; j++) {
        const ej = ent[j]
        if (ej < 0 || (ej >> 1) !== hi) {
          if (sorted) break // the run of this edge has ended
          continue
        }
        if ((ej & 1) === 0) fwd++; else bwd++
        ent[j] = -1
        let r = fac[j]
        while (parent[r] !== r) { parent[r] = parent[parent[r]]; r = parent[r] }
        if (r !== root) {
          // The smaller id becomes the root (deterministic, and keeps `root` valid for the next match).
          if (r < root) { parent[root] = r; root = r } else parent[r] = root
          joins++
        }
      }
      edges++
      if (fwd + bwd !== 2) openEdges++
      else if (fwd !== 1) misoriented++
    }
  }
  return { edges, openEdges, misoriented, joins }
}

function initForest (parent: Int32Array): void {
  for (let f = 0; f < parent.length; f++) parent[f] = f
}

// Sorts entries s … e−1 of ent by value, fac alongside.
function sortGroup (ent: Int32Array, fac: Int32Array, s: number, e: number): void {
  const len = e - s
  const order = Array.from({ length: len }, (_, i) => s + i).sort((a, b) => ent[a] - ent[b] || fac[a] - fac[b])
  const k = ent.slice(s, e)
  const f = fac.slice(s, e)
  for (let i = 0; i < len; i++) { ent[s + i] = k[order[i] - s]; fac[s + i] = f[order[i] - s] }
}
