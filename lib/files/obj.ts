// Wavefront OBJ reader: the geometry only. `v x y z [w | r g b]` vertices and `f` faces (corners written v, v/vt,
// v/vt/vn or v//vn; 1-based indices, negative ones counting back from the last vertex defined so far); polygons are
// triangulated as fans from their first corner. Every other statement (vt, vn, o, g, s, usemtl, mtllib, l, p, curves…)
// and comments are ignored; a backslash at the end of a line continues it. Positive indices may refer to vertices
// defined later in the file (some exporters write them last); all are checked once the file is read.
// Coordinates are taken as millimetres and rounded to float32 like every Mesh.
import { BAD_MODEL, NOT_A_MODEL, TOO_MANY_FACETS } from '../errors.js'
import { DEFAULT_LIMITS, type FileLimits, type Mesh } from './model.js'
import { looksLikeText, parseNumber, sniffForeign } from './stl.js'

export function parseObj (bytes: Uint8Array, name: string, limits: FileLimits = DEFAULT_LIMITS): Mesh {
  const size = bytes.byteLength
  if (size === 0) throw BAD_MODEL(name, 'the file is empty (0 bytes)')
  const foreign = sniffForeign(bytes)
  if (foreign !== null) throw NOT_A_MODEL(name, `this looks like ${foreign}, not an OBJ file`)
  if (!looksLikeText(bytes, 0, 4096)) throw NOT_A_MODEL(name, 'it is a binary file, and an OBJ file is text')

  let vcap = 3 * 1024
  let verts = new Float64Array(vcap) // x, y, z per vertex (float32 values)
  let nv = 0
  let icap = 3 * 1024
  let idx = new Int32Array(icap) // three 0-based vertex indices per triangle
  let ni = 0
  let maxIndex = -1 // largest 0-based positive-index reference, checked at the end
  let maxIndexLine = 0
  let faceCorners = new Int32Array(16)

  const end = size
  let p = 0
  let line = 1
  // Token bounds of the current line (after joining continuations).
  const ts: number[] = []
  const te: number[] = []
  const text = (i: number): string => {
    const s = Buffer.from(bytes.buffer, bytes.byteOffset + ts[i], Math.min(te[i] - ts[i], 40)).toString('latin1')
    return JSON.stringify(te[i] - ts[i] > 40 ? s + '…' : s)
  }
  while (p < end) {
    const lineNo = line
    ts.length = 0
    te.length = 0
    // Tokenize one logical line.
    for (;;) {
      let c = 0
      while (p < end && (c = bytes[p]) !== 0x0a && c <= 0x20) p++
      if (p >= end) break
      if (c === 0x0a) { p++; line++; break }
      if (c === 0x23) { // comment: to the end of the line
        while (p < end && bytes[p] !== 0x0a) p++
        continue
      }
      const s = p
      while (p < end && bytes[p] > 0x20) p++
      if (p - s === 1 && bytes[s] === 0x5c) { // "\" continuation: rest of this line is whitespace, join the next
        let q = p
        while (q < end && bytes[q] !== 0x0a && bytes[q] <= 0x20) q++
        if (q >= end || bytes[q] === 0x0a) { p = q < end ? q + 1 : q; line++; continue }
      }
      ts.push(s)
      te.push(p)
    }
    if (ts.length === 0) continue
    const k0 = ts[0]
    const klen = te[0] - k0
    const k1 = bytes[k0]
    if (klen === 1 && k1 === 0x76) { // v
      if (ts.length < 4) throw BAD_MODEL(name, `line ${lineNo}: a vertex ("v") needs x, y and z, found ${ts.length - 1} numbers`)
      if (nv * 3 + 3 > vcap) {
        vcap *= 2
        const bigger = new Float64Array(vcap)
        bigger.set(verts)
        verts = bigger
      }
      for (let a = 0; a < 3; a++) {
        const v = parseNumber(bytes, ts[a + 1], te[a + 1])
        if (v === undefined) throw BAD_MODEL(name, `line ${lineNo}: expected a number for the vertex's ${'xyz'[a]} coordinate, found ${text(a + 1)}`)
        const f = Math.fround(v)
        if (!Number.isFinite(f)) {
          const what = Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? `${text(a + 1)}, too large for a 32-bit float` : (v > 0 ? 'Infinity' : '-Infinity')
          throw BAD_MODEL(name, `line ${lineNo}: vertex ${nv + 1} has a non-finite ${'xyz'[a]} coordinate (${what})`)
        }
        verts[nv * 3 + a] = f
      }
      nv++
    } else if (klen === 1 && k1 === 0x66) { // f
      const corners = ts.length - 1
      if (corners < 3) throw BAD_MODEL(name, `line ${lineNo}: a face ("f") needs at least 3 vertices, found ${corners}`)
      if (corners > faceCorners.length) faceCorners = new Int32Array(corners * 2)
      for (let i = 0; i < corners; i++) {
        const s = ts[i + 1]
        const e = te[i + 1]
        // The vertex index is the part before the first '/'.
        let q = s
        let neg = false
        if (q < e && (bytes[q] === 0x2d || bytes[q] === 0x2b)) { neg = bytes[q] === 0x2d; q++ }
        let v = 0
        let digits = 0
        let c = 0
        while (q < e && (c = bytes[q] - 0x30) >= 0 && c <= 9) { if (v < 1e12) v = v * 10 + c; digits++; q++ }
        if (digits === 0 || (q < e && bytes[q] !== 0x2f) || !restIsIndices(bytes, q, e)) {
          throw BAD_MODEL(name, `line ${lineNo}: face vertex ${i + 1} is ${text(i + 1)}, expected v, v/vt, v/vt/vn or v//vn with whole-number indices`)
        }
        if (v === 0) throw BAD_MODEL(name, `line ${lineNo}: face vertex ${i + 1} has index 0 (OBJ indices start at 1; negative ones count back from the last vertex)`)
        let at: number
        if (neg) {
          at = nv - v
          if (at < 0) throw BAD_MODEL(name, `line ${lineNo}: face vertex ${i + 1} has index -${v}, but only ${nv} vertices are defined before this line`)
        } else {
          at = v - 1
          if (at > maxIndex) { maxIndex = at; maxIndexLine = lineNo }
        }
        faceCorners[i] = at
      }
      const tris = corners - 2
      if (ni / 3 + tris > limits.maxFacets) throw TOO_MANY_FACETS(name, ni / 3 + tris, limits.maxFacets)
      while (ni + 3 * tris > icap) {
        icap *= 2
        const bigger = new Int32Array(icap)
        bigger.set(idx)
        idx = bigger
      }
      for (let i = 1; i + 1 < corners; i++) {
        idx[ni++] = faceCorners[0]
        idx[ni++] = faceCorners[i]
        idx[ni++] = faceCorners[i + 1]
      }
    }
    // everything else: ignored
  }
  if (ni === 0) throw BAD_MODEL(name, nv === 0 ? 'the OBJ file has no vertices and no faces ("v" and "f" lines)' : `the OBJ file has ${nv} vertices but no faces ("f" lines)`)
  if (maxIndex >= nv) throw BAD_MODEL(name, `line ${maxIndexLine}: a face refers to vertex ${maxIndex + 1}, but the file defines only ${nv} vertices`)
  const triangles = new Float32Array(ni * 3)
  for (let i = 0; i < ni; i++) {
    const v = idx[i] * 3
    triangles[3 * i] = verts[v]
    triangles[3 * i + 1] = verts[v + 1]
    triangles[3 * i + 2] = verts[v + 2]
  }
  return { triangles }
}

// After the vertex index: nothing, or "/vt", "/vt/vn", "//vn" with (possibly negative) integers.
function restIsIndices (b: Uint8Array, q: number, e: number): boolean {
  if (q === e) return true
  let slashes = 0
  let digitsSince = 0
  while (q < e) {
    const c = b[q]
    if (c === 0x2f) {
      slashes++
      if (slashes > 2) return false
      if (slashes === 2 || digitsSince > 0) digitsSince = 0
      q++
      continue
    }
    if (c === 0x2d || c === 0x2b) {
      if (b[q - 1] !== 0x2f) return false
      q++
      continue
    }
    if (c < 0x30 || c > 0x39) return false
    digitsSince++
    q++
  }
  // "v/" alone or "v/vt/" alone is malformed; "v//vn" needs the vn digits.
  return digitsSince > 0
}
