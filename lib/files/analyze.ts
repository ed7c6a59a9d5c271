// Model analysis: size, volume, area, weight, printer fit and topology (shells, closed, manifold) of a mesh, and the
// entry points that read a file or bytes and analyse every model in it.
//
// Determinism: two peers must compute identical numbers from the same bytes. Every figure comes from the float32
// coordinates with float64 arithmetic in a fixed order (facet order of the file), using only + − × ÷ and sqrt, which
// IEEE 754 defines exactly; no parallelism, no hash-order dependence (the hash tables in topology.ts only decide *which*
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
// Implementation: figures.ts (geometry, fed facets in file order), topology.ts (vertex hash, edges in a CSR layout),
// stl-stream.ts (a binary STL analysed from its file chunk by chunk, for analyzeModelFile).
import fs from '#fs'
import path from '#path'
import { BAD_MODEL, FILE_NOT_FOUND, FILE_TOO_LARGE, NOT_A_MODEL, TOO_MANY_FACETS } from '../errors.js'
import { MeshFigures } from './figures.js'
import { DEFAULT_LIMITS, type FileAnalysis, type FileLimits, type Mesh, type ModelAnalysis, type NamedAnalysis } from './model.js'
import { parseObj } from './obj.js'
import { isZip, parseStl, sniffForeign } from './stl.js'
import { streamBinaryStl } from './stl-stream.js'

export type { Topology } from './topology.js'
export { topology, mergeVertices } from './topology.js'
export { fits } from './figures.js'

export function analyzeMesh (mesh: Mesh): ModelAnalysis {
  const t = mesh.triangles
  if (t.length % 9 !== 0) throw new Error(`mesh has ${t.length} coordinates, not a multiple of 9`)
  const n = t.length / 9
  const figures = new MeshFigures(n)
  figures.addFacets(t, new Int32Array(t.buffer, t.byteOffset, t.length), n)
  return figures.finish()
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
// use (lib/files/archive.ts, threemf.ts), so reading an STL does not load the ZIP reader.
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

// The figures of a model file, without its meshes (`analyze` without --preview): a binary STL is analysed as it is
// read, in chunks, so neither the file nor the mesh is held whole; other files go through analyzeFile. A file that
// cannot be opened or read is FILE_NOT_FOUND, with the system's reason.
export async function analyzeModelFile (file: string, limits: FileLimits = DEFAULT_LIMITS): Promise<FileAnalysis> {
  const name = path.basename(file)
  try {
    if (extension(name) === '.stl') {
      const streamed = streamBinaryStl(file, name, limits)
      if (streamed !== null) return { kind: 'stl', ...streamed }
    }
    return (await analyzeFile(file, limits)).analysis
  } catch (err) {
    if (typeof (err as NodeJS.ErrnoException)?.syscall === 'string') throw FILE_NOT_FOUND(file, err)
    throw err
  }
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
