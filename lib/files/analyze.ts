// Model analysis: size, volume, area, weight, printer fit and topology (shells, closed, manifold) of a mesh, and the
// entry points that read a file or bytes and analyse every model in it.
//
// Determinism: two peers must compute identical numbers from the same bytes. Every figure comes from the float32
// coordinates with float64 arithmetic in a fixed order (facet order of the file), using only + − × ÷ and sqrt, which
// IEEE 754 defines exactly; no parallelism, no hash-order dependence (the hash tables below only decide *which*
// vertices are equal, never the order of a sum).
//
// Topology, step by step:
//  1. Vertices are merged by exact float32 bit pattern (ADMesh's "exact" check does the same), except that −0 and +0
//     are the same vertex. No tolerance: near-coincident vertices stay distinct.
//  2. A facet with two corners on the same merged vertex is *degenerate* (zero-length edge; ADMesh removes such
//     facets). Degenerate facets take no part in edges or shells, and any degenerate facet makes the mesh
//     non-manifold. (Zero-area facets with three distinct collinear vertices are ordinary facets here.)
//  3. Edges: each facet (a, b, c) has the directed edges a→b, b→c, c→a. closed = every undirected edge is used by
//     exactly two facets. manifold = closed, and every directed edge occurs exactly once (the two facets at an edge
//     run it in opposite directions: consistent orientation), and no degenerate facet.
//  4. Shells: connected components of the (non-degenerate) facets, two facets being connected when they share an
//     undirected edge (union-find). Facets touching at a single vertex are separate shells.
//
// Implementation: vertices go through an open-addressing hash table (typed arrays, linear probing); edges are grouped
// by their lower vertex id in a CSR layout (counting sort), which turns edge matching into short scans over a few
// entries per vertex and, since vertex ids follow first use in the file, into mostly sequential memory access.
import fs from 'fs'
import path from 'path'
import { BAD_MODEL, FILE_TOO_LARGE, NOT_A_MODEL, TOO_MANY_FACETS } from '../errors.js'
import { MATERIALS, type Material } from '../schema.js'
import { BEDS, DENSITY } from './beds.js'
import { DEFAULT_LIMITS, type FileAnalysis, type FileLimits, type Mesh, type ModelAnalysis, type NamedAnalysis, type Vec3 } from './model.js'
import { parseObj } from './obj.js'
import { isZip, parseStl, sniffForeign } from './stl.js'

export interface Topology {
  shells: number
  closed: boolean
  manifold: boolean
  vertices: number // distinct vertices after the exact merge
  edges: number // distinct undirected edges (of non-degenerate facets)
  degenerate: number // facets with two corners on the same vertex
  openEdges: number // undirected edges not used by exactly two facets
  misorientedEdges: number // edges used by two facets in the same direction
}

export function analyzeMesh (mesh: Mesh): ModelAnalysis {
  const t = mesh.triangles
  if (t.length % 9 !== 0) throw new Error(`mesh has ${t.length} coordinates, not a multiple of 9`)
  const n = t.length / 9
  const g = geometry(t, n)
  const topo = topology(mesh)
  const sizeMm: Vec3 = [g.max[0] - g.min[0], g.max[1] - g.min[1], g.max[2] - g.min[2]]
  const volumeCm3 = g.volumeMm3 / 1000
  const weightGrams = {} as Record<Material, number>
  for (const m of MATERIALS) weightGrams[m] = Math.round(Math.abs(volumeCm3) * DENSITY[m] * 100) / 100
  return {
    facets: n,
    bbox: { min: g.min, max: g.max },
    sizeMm,
    volumeCm3,
    areaCm2: g.areaMm2 / 100,
    shells: topo.shells,
    closed: topo.closed,
    manifold: topo.manifold,
    weightGrams,
    fits: fits(sizeMm)
  }
}

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

interface Geometry { min: Vec3, max: Vec3, volumeMm3: number, areaMm2: number }

// Bounding box, signed volume (sum of the tetrahedra from a reference point to each facet, float64; the reference
// point is the first vertex, which keeps the terms small and the sum accurate far from the origin) and area.
function geometry (t: Float32Array, n: number): Geometry {
  if (n === 0) return { min: [0, 0, 0], max: [0, 0, 0], volumeMm3: 0, areaMm2: 0 }
  const ox = t[0]; const oy = t[1]; const oz = t[2]
  let minX = ox; let minY = oy; let minZ = oz
  let maxX = ox; let maxY = oy; let maxZ = oz
  let vol = 0
  let area = 0
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
  return { min: [minX, minY, minZ], max: [maxX, maxY, maxZ], volumeMm3: vol / 6, areaMm2: area / 2 }
}

function pow2AtLeast (x: number): number {
  let p = 16
  while (p < x) p *= 2
  return p
}

// Merges vertices (exact bit pattern, −0 = +0): returns each corner's vertex id (ids in order of first use) and the
// number of distinct vertices.
export function mergeVertices (mesh: Mesh): { ids: Int32Array, count: number } {
  const t = mesh.triangles
  const corners = t.length / 3
  const bits = new Int32Array(t.buffer, t.byteOffset, t.length)
  const ids = new Int32Array(corners)
  // Closed meshes have about half as many vertices as facets (corners / 6); start at ≤ 25 % load for them and
  // double when more than half full.
  let cap = pow2AtLeast(Math.max(16, Math.ceil(corners * 2 / 3)))
  let mask = cap - 1
  let table = new Int32Array(cap) // vertex id + 1, 0 = empty
  let vcap = Math.max(16, Math.ceil(corners / 4))
  let vx = new Int32Array(3 * vcap) // x, y, z bits per vertex id
  let count = 0
  let limit = cap >>> 1
  for (let c = 0, o = 0; c < corners; c++, o += 3) {
    let x = bits[o]; let y = bits[o + 1]; let z = bits[o + 2]
    if (x === -2147483648) x = 0
    if (y === -2147483648) y = 0
    if (z === -2147483648) z = 0
    let h = Math.imul(x, 0x9e3779b1) ^ Math.imul(y ^ (y >>> 15), 0x85ebca77) ^ Math.imul(z ^ (z >>> 13), 0xc2b2ae3d)
    h ^= h >>> 16
    h = Math.imul(h, 0x7feb352d)
    h ^= h >>> 15
    h &= mask
    for (;;) {
      const s = table[h]
      if (s === 0) {
        if (count === vcap) {
          vcap *= 2
          const bigger = new Int32Array(3 * vcap)
          bigger.set(vx)
          vx = bigger
        }
        const k = 3 * count
        vx[k] = x; vx[k + 1] = y; vx[k + 2] = z
        table[h] = ++count
        ids[c] = count - 1
        if (count > limit) { // grow and rehash
          cap *= 2
          mask = cap - 1
          limit = cap >>> 1
          table = new Int32Array(cap)
          for (let v = 0; v < count; v++) {
            const a = vx[3 * v]; const b = vx[3 * v + 1]; const d = vx[3 * v + 2]
            let g = Math.imul(a, 0x9e3779b1) ^ Math.imul(b ^ (b >>> 15), 0x85ebca77) ^ Math.imul(d ^ (d >>> 13), 0xc2b2ae3d)
            g ^= g >>> 16
            g = Math.imul(g, 0x7feb352d)
            g ^= g >>> 15
            g &= mask
            while (table[g] !== 0) g = (g + 1) & mask
            table[g] = v + 1
          }
        }
        break
      }
      const k = 3 * (s - 1)
      if (vx[k] === x && vx[k + 1] === y && vx[k + 2] === z) { ids[c] = s - 1; break }
      h = (h + 1) & mask
    }
  }
  return { ids, count }
}

export function topology (mesh: Mesh): Topology {
  const n = mesh.triangles.length / 9
  const { ids, count: V } = mergeVertices(mesh)

  // Pass 1: degenerate facets, and the number of edges per lower vertex id.
  const start = new Int32Array(V + 1)
  let degenerate = 0
  let deg: Uint8Array | null = null
  for (let f = 0, o = 0; f < n; f++, o += 3) {
    const a = ids[o]; const b = ids[o + 1]; const c = ids[o + 2]
    if (a === b || b === c || a === c) {
      degenerate++
      if (deg === null) deg = new Uint8Array(n)
      deg[f] = 1
      continue
    }
    start[a < b ? a : b]++
    start[b < c ? b : c]++
    start[c < a ? c : a]++
  }
  // Counts → start offsets (start[v] = first entry of vertex v; start[V] = total).
  let sum = 0
  for (let v = 0; v < V; v++) { const k = start[v]; start[v] = sum; sum += k }
  start[V] = sum

  // Pass 2: fill. entry = (higher vertex id << 1) | direction (0: lower → higher as the facet runs it), facet id.
  const ent = new Int32Array(sum)
  const fac = new Int32Array(sum)
  const next = start.slice(0, V)
  for (let f = 0, o = 0; f < n; f++, o += 3) {
    if (deg !== null && deg[f] === 1) continue
    const a = ids[o]; const b = ids[o + 1]; const c = ids[o + 2]
    let p: number
    if (a < b) { p = next[a]++; ent[p] = b << 1 } else { p = next[b]++; ent[p] = (a << 1) | 1 }
    fac[p] = f
    if (b < c) { p = next[b]++; ent[p] = c << 1 } else { p = next[c]++; ent[p] = (b << 1) | 1 }
    fac[p] = f
    if (c < a) { p = next[c]++; ent[p] = a << 1 } else { p = next[a]++; ent[p] = (c << 1) | 1 }
    fac[p] = f
  }

  // Pass 3: per lower vertex, group its entries by higher vertex (a handful each), count directions, join facets.
  const parent = new Int32Array(n)
  for (let f = 0; f < n; f++) parent[f] = f
  let shells = n - degenerate
  let edges = 0
  let openEdges = 0
  let misoriented = 0
  for (let v = 0; v < V; v++) {
    const s = start[v]
    const e = start[v + 1]
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
        if (ej < 0 || (ej >> 1) !== hi) continue
        if ((ej & 1) === 0) fwd++; else bwd++
        ent[j] = -1
        let r = fac[j]
        while (parent[r] !== r) { parent[r] = parent[parent[r]]; r = parent[r] }
        if (r !== root) {
          // The smaller id becomes the root (deterministic, and keeps `root` valid for the next match).
          if (r < root) { parent[root] = r; root = r } else parent[r] = root
          shells--
        }
      }
      edges++
      if (fwd + bwd !== 2) openEdges++
      else if (fwd !== 1) misoriented++
    }
  }
  const closed = openEdges === 0 && n - degenerate > 0
  return {
    shells,
    closed,
    manifold: closed && misoriented === 0 && degenerate === 0,
    vertices: V,
    edges,
    degenerate,
    openEdges,
    misorientedEdges: misoriented
  }
}

// ---- files ----

export interface AnalyzedFile {
  analysis: FileAnalysis
  meshes: Array<{ name: string, mesh: Mesh }>
}

function extension (name: string): string {
  return path.extname(name).toLowerCase()
}

// Checks a mesh that came from another reader (ZIP entries, 3MF objects): whole facets, at least one, within the
// facet limit, finite coordinates.
export function checkMesh (mesh: Mesh, name: string, limits: FileLimits = DEFAULT_LIMITS): void {
  const t = mesh.triangles
  if (t.length % 9 !== 0) throw BAD_MODEL(name, `the mesh has ${t.length} coordinates, not whole triangles`)
  const n = t.length / 9
  if (n === 0) throw BAD_MODEL(name, 'the model has zero facets')
  if (n > limits.maxFacets) throw TOO_MANY_FACETS(name, n, limits.maxFacets)
  for (let i = 0; i < t.length; i++) {
    const v = t[i]
    if (v - v !== 0) { // NaN or ±Infinity
      throw BAD_MODEL(name, `facet ${Math.floor(i / 9) + 1}: vertex ${Math.floor((i % 9) / 3) + 1} has a non-finite ${'xyz'[i % 3]} coordinate (${String(v)})`)
    }
  }
}

// Reads one .stl or .obj model from memory (synchronous). ZIP and 3MF need analyzeBytesAsync / analyzeFile.
export function analyzeBytes (bytes: Uint8Array, name: string, limits: FileLimits = DEFAULT_LIMITS): AnalyzedFile {
  if (bytes.byteLength > limits.maxFileBytes) throw FILE_TOO_LARGE(name, bytes.byteLength, limits.maxFileBytes)
  const ext = extension(name)
  let kind: 'stl' | 'obj'
  let mesh: Mesh
  if (ext === '.stl') {
    if (isZip(bytes)) throw NOT_A_MODEL(name, 'the name says .stl but the content is a ZIP archive; if it holds models, name it .zip (or .3mf if it is one)')
    kind = 'stl'
    mesh = parseStl(bytes, name, limits)
  } else if (ext === '.obj') {
    if (isZip(bytes)) throw NOT_A_MODEL(name, 'the name says .obj but the content is a ZIP archive; if it holds models, name it .zip (or .3mf if it is one)')
    kind = 'obj'
    mesh = parseObj(bytes, name, limits)
  } else if (ext === '.zip' || ext === '.3mf') {
    throw new Error(`analyzeBytes reads .stl and .obj only; use analyzeBytesAsync or analyzeFile for ${ext}`)
  } else {
    throw unknownType(bytes, name, ext)
  }
  return { analysis: { kind, ...analyzeMesh(mesh) }, meshes: [{ name, mesh }] }
}

function unknownType (bytes: Uint8Array, name: string, ext: string): Error {
  const foreign = sniffForeign(bytes)
  const what = ext === '' ? 'the name has no extension' : `unknown file type ${JSON.stringify(ext)}`
  return NOT_A_MODEL(name, foreign === null ? what : `${what}; the content looks like ${foreign}`)
}

// Any supported file from memory: .stl, .obj, .3mf, .zip (by extension). The ZIP and 3MF readers are loaded on first
// use (lib/files/archive.ts, threemf.ts), so reading an STL does not load yauzl.
export async function analyzeBytesAsync (bytes: Uint8Array, name: string, limits: FileLimits = DEFAULT_LIMITS): Promise<AnalyzedFile> {
  if (bytes.byteLength > limits.maxFileBytes) throw FILE_TOO_LARGE(name, bytes.byteLength, limits.maxFileBytes)
  const ext = extension(name)
  if (ext === '.zip') {
    if (bytes.byteLength === 0) throw BAD_MODEL(name, 'the file is empty (0 bytes)')
    if (!isZip(bytes)) {
      const foreign = sniffForeign(bytes)
      throw NOT_A_MODEL(name, `the name says .zip but the content is not a ZIP archive${foreign === null ? '' : ` (it looks like ${foreign})`}`)
    }
    const { readZipModels } = await import('./archive.js')
    const entries = await readZipModels(bytes, name, limits)
    const models: NamedAnalysis[] = []
    for (const e of entries) {
      const entryName = `${name}: ${e.name}`
      checkMesh(e.mesh, entryName, limits)
      models.push({ name: e.name, kind: e.kind, ...analyzeMesh(e.mesh) })
    }
    return { analysis: { kind: 'zip', models }, meshes: entries.map(e => ({ name: e.name, mesh: e.mesh })) }
  }
  if (ext === '.3mf') {
    if (bytes.byteLength === 0) throw BAD_MODEL(name, 'the file is empty (0 bytes)')
    if (!isZip(bytes)) {
      const foreign = sniffForeign(bytes)
      throw NOT_A_MODEL(name, `the name says .3mf but the content is not a 3MF package (a 3MF is a ZIP archive)${foreign === null ? '' : `; it looks like ${foreign}`}`)
    }
    const { parse3mf } = await import('./threemf.js')
    const objects = await parse3mf(bytes, name, limits)
    for (const o of objects) checkMesh(o.mesh, objects.length === 1 ? name : `${name}: ${o.name}`, limits)
    if (objects.length === 1) return { analysis: { kind: '3mf', ...analyzeMesh(objects[0].mesh) }, meshes: objects }
    const models: NamedAnalysis[] = objects.map(o => ({ name: o.name, kind: '3mf' as const, ...analyzeMesh(o.mesh) }))
    return { analysis: { kind: 'zip', models }, meshes: objects }
  }
  return analyzeBytes(bytes, name, limits)
}

// Reads and analyses a model file. The size is checked (fstat of the opened file) before anything is read, and the
// read stops at that size, so a file growing meanwhile cannot exceed the limit either.
export async function analyzeFile (file: string, limits: FileLimits = DEFAULT_LIMITS): Promise<AnalyzedFile> {
  const name = path.basename(file)
  const bytes = await readLimited(file, name, limits.maxFileBytes)
  return analyzeBytesAsync(bytes, name, limits)
}

export async function readLimited (file: string, name: string, maxBytes: number): Promise<Uint8Array> {
  const st = await fs.promises.stat(file)
  if (st.isDirectory()) throw NOT_A_MODEL(name, 'it is a directory')
  if (!st.isFile()) throw NOT_A_MODEL(name, 'it is not a regular file')
  if (st.size > maxBytes) throw FILE_TOO_LARGE(name, st.size, maxBytes)
  const fh = await fs.promises.open(file, 'r')
  try {
    const size = (await fh.stat()).size
    if (size > maxBytes) throw FILE_TOO_LARGE(name, size, maxBytes)
    const buf = Buffer.allocUnsafeSlow(size)
    let off = 0
    while (off < size) {
      const { bytesRead } = await fh.read(buf, off, Math.min(size - off, 16 * 1024 * 1024), off)
      if (bytesRead === 0) break // the file shrank meanwhile
      off += bytesRead
    }
    return off === size ? buf : buf.subarray(0, off)
  } finally {
    await fh.close()
  }
}
