// A binary STL analysed straight from its file, chunk by chunk: neither the file nor the mesh is ever held whole.
// Each chunk of facet records is read into one 800 KB buffer, copied into one float32 chunk and fed to MeshFigures,
// which computes exactly what analyzeMesh computes from the whole mesh. Reads are synchronous: reading ahead on the
// thread pool while a chunk is analysed was measured here and gained nothing over this.
// Only a well-formed binary STL is streamed; for anything else (ASCII, a wrong size, a foreign file, over a limit,
// not a readable regular file) this returns null and the caller reads the file whole, which gives the same figures
// or the same refusal.
import fs from '#fs'
import { BAD_MODEL, TOO_MANY_FACETS } from '../errors.js'
import { MeshFigures } from './figures.js'
import type { FileLimits, ModelAnalysis } from './model.js'
import { copyBinaryFacets, isZip, sniffForeign } from './stl.js'

const CHUNK_FACETS = 16384 // 800 KB of file per read

export function streamBinaryStl (file: string, name: string, limits: FileLimits): ModelAnalysis | null {
  let fd: number
  try {
    fd = fs.openSync(file, 'r')
  } catch {
    return null // the whole-file path reports it
  }
  try {
    const st = fs.fstatSync(fd)
    const size = st.size
    if (!st.isFile() || size > limits.maxFileBytes || size < 84 + 50) return null
    const head = Buffer.alloc(84)
    if (fs.readSync(fd, head, 0, 84, 0) !== 84) return null
    const n = head.readUInt32LE(80)
    if (84 + 50 * n !== size || isZip(head) || sniffForeign(head, true) !== null) return null
    if (n > limits.maxFacets) throw TOO_MANY_FACETS(name, n, limits.maxFacets)
    return analyzeChunks(fd, n, name)
  } finally {
    fs.closeSync(fd)
  }
}

function analyzeChunks (fd: number, n: number, name: string): ModelAnalysis {
  const figures = new MeshFigures(n)
  const per = Math.min(n, CHUNK_FACETS)
  const buf = Buffer.allocUnsafeSlow(50 * per)
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const tris = new Float32Array(9 * per)
  const bits = new Int32Array(tris.buffer)
  for (let first = 0; first < n; first += per) {
    const count = Math.min(per, n - first)
    const len = 50 * count
    for (let off = 0; off < len;) {
      const got = fs.readSync(fd, buf, off, len - off, 84 + 50 * first + off)
      if (got === 0) throw BAD_MODEL(name, 'the file became shorter while it was read')
      off += got
    }
    copyBinaryFacets(dv, 0, tris, bits, count, first, name)
    figures.addFacets(tris, bits, count)
  }
  return figures.finish()
}
