// STL reader: binary and ASCII, into the shared Mesh (float32 triangle soup, see model.ts).
//
// Which kind a file is: a binary STL is exactly 84 + 50·n bytes, n being the uint32 at byte 80. That test comes
// first, because many binary exporters start their 80-byte header with "solid" too (SolidWorks among them), so the
// header alone proves nothing. A file that fails it is read as ASCII only if it starts with "solid" and looks like
// text; ASCII must then parse completely (`facet normal … outer loop vertex ×3 endloop endfacet` per facet,
// `endsolid` at the end), or it is refused with the line number. Everything else is refused with what it looks like
// (another file type, a truncated binary STL, …). Stored normals are read past and ignored.
import { BAD_MODEL, NOT_A_MODEL, TOO_MANY_FACETS } from '../errors.js'
import { DEFAULT_LIMITS, type FileLimits, type Mesh } from './model.js'

// Magic numbers of files people attach by mistake. Each entry: bytes at offset 0 (null = any byte), description.
const MAGIC: Array<[Array<number | null>, string]> = [
  [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG image'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x47, 0x49, 0x46, 0x38], 'a GIF image'],
  [[0x52, 0x49, 0x46, 0x46, null, null, null, null, 0x57, 0x45, 0x42, 0x50], 'a WebP image'],
  [[0x49, 0x49, 0x2a, 0x00], 'a TIFF image'],
  [[0x4d, 0x4d, 0x00, 0x2a], 'a TIFF image'],
  [[0x25, 0x50, 0x44, 0x46, 0x2d], 'a PDF document'],
  [[0x50, 0x4b, 0x03, 0x04], 'a ZIP archive (a .zip, or a .3mf which is a ZIP too)'],
  [[0x50, 0x4b, 0x05, 0x06], 'an empty ZIP archive'],
  [[0x1f, 0x8b], 'a gzip-compressed file'],
  [[0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], 'a 7-Zip archive'],
  [[0x52, 0x61, 0x72, 0x21, 0x1a, 0x07], 'a RAR archive'],
  [[0x42, 0x5a, 0x68], 'a bzip2-compressed file'],
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'an xz-compressed file'],
  [[0x7f, 0x45, 0x4c, 0x46], 'an ELF executable'],
  [[0x4d, 0x5a], 'a Windows executable'],
  [[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], 'a Microsoft Office (OLE) document'],
  [[0x3c, 0x3f, 0x78, 0x6d, 0x6c], 'an XML document'],
  [[0x3c, 0x21, 0x44, 0x4f, 0x43, 0x54, 0x59, 0x50, 0x45], 'an HTML page'],
  [[0x3c, 0x68, 0x74, 0x6d, 0x6c], 'an HTML page'],
  [[0x7b, 0x22], 'a JSON document'],
  [[0x67, 0x6c, 0x54, 0x46], 'a glTF binary model (.glb); export it as STL, OBJ or 3MF'],
  [[0x49, 0x44, 0x33], 'an MP3 audio file'],
  [[0x1a, 0x45, 0xdf, 0xa3], 'a Matroska/WebM video']
]

// What a file looks like if it starts with a known magic number, e.g. "a PNG image"; null if none matches.
// The two-byte magics (gzip, MZ, bzip2's three) are only trusted when the file is not a well-formed binary STL
// (`binaryStl`: whether it is, for a caller that holds only the head of the file).
export function sniffForeign (bytes: Uint8Array, binaryStl?: boolean): string | null {
  for (const [magic, what] of MAGIC) {
    if (bytes.byteLength < magic.length) continue
    let ok = true
    for (let i = 0; i < magic.length; i++) {
      const m = magic[i]
      if (m !== null && bytes[i] !== m) { ok = false; break }
    }
    if (!ok) continue
    if (magic.length <= 3 && (binaryStl ?? isBinaryStlSize(bytes))) continue
    return what
  }
  return null
}

export function isZip (bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6)
}

// True when the size is exactly what the facet count at byte 80 says (84 + 50·n): the binary STL test.
export function isBinaryStlSize (bytes: Uint8Array): boolean {
  if (bytes.byteLength < 84) return false
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(80, true)
  return 84 + 50 * n === bytes.byteLength
}

// A control byte that does not occur in text (tab, LF, VT, FF, CR are text).
function isBinaryByte (b: number): boolean {
  return b < 0x09 || (b > 0x0d && b < 0x20) || b === 0x7f
}

// True if the first `n` bytes from `from` contain no control bytes.
export function looksLikeText (bytes: Uint8Array, from = 0, n = 1024): boolean {
  const end = Math.min(bytes.byteLength, from + n)
  for (let i = from; i < end; i++) if (isBinaryByte(bytes[i])) return false
  return true
}

function startsWithSolid (bytes: Uint8Array): number {
  let i = 0
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3 // UTF-8 byte order mark
  while (i < bytes.byteLength && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0d || bytes[i] === 0x0a)) i++
  const s = [0x73, 0x6f, 0x6c, 0x69, 0x64] // "solid"
  if (bytes.byteLength < i + 5) return -1
  for (let k = 0; k < 5; k++) if ((bytes[i + k] | 0x20) !== s[k]) return -1
  return i
}

export function parseStl (bytes: Uint8Array, name: string, limits: FileLimits = DEFAULT_LIMITS): Mesh {
  const size = bytes.byteLength
  if (size === 0) throw BAD_MODEL(name, 'the file is empty (0 bytes)')
  if (isBinaryStlSize(bytes)) {
    const foreign = sniffForeign(bytes)
    if (foreign !== null) throw NOT_A_MODEL(name, `this looks like ${foreign}, not an STL file`)
    return parseBinary(bytes, name, limits)
  }
  const foreign = sniffForeign(bytes)
  if (foreign !== null) throw NOT_A_MODEL(name, `this looks like ${foreign}, not an STL file`)
  const solid = startsWithSolid(bytes)
  // ASCII if it starts with "solid" and what follows the header line is text. A binary STL whose header starts with
  // "solid" has float data (zero bytes, nearly always) right after byte 84.
  if (solid >= 0 && looksLikeText(bytes, 0, 80) && looksLikeText(bytes, 84, 4096)) return parseAscii(bytes, name, limits, solid)
  if (size < 84) {
    if (looksLikeText(bytes)) throw NOT_A_MODEL(name, `it is ${size} bytes of text that does not start with "solid" (an ASCII STL starts with "solid")`)
    throw BAD_MODEL(name, `truncated STL: ${size} bytes is shorter than the 84-byte header of a binary STL`)
  }
  if (solid < 0 && looksLikeText(bytes, 0, 4096)) {
    throw NOT_A_MODEL(name, 'it is a text file that does not start with "solid" (an ASCII STL starts with "solid", and it is not a binary STL either)')
  }
  const n = new DataView(bytes.buffer, bytes.byteOffset, size).getUint32(80, true)
  const expected = 84 + 50 * n
  if (expected > size) {
    throw BAD_MODEL(name, `truncated binary STL: the header says ${n} facets, which take ${expected} bytes (84 + 50 × ${n}), but the file has only ${size} bytes`)
  }
  throw BAD_MODEL(name, `malformed binary STL: the header says ${n} facets, which take ${expected} bytes (84 + 50 × ${n}), but the file has ${size} bytes (${size - expected} bytes too many)`)
}

const EXP_MASK = 0x7f800000

function parseBinary (bytes: Uint8Array, name: string, limits: FileLimits): Mesh {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const n = dv.getUint32(80, true)
  if (n === 0) throw BAD_MODEL(name, 'the binary STL has zero facets')
  if (n > limits.maxFacets) throw TOO_MANY_FACETS(name, n, limits.maxFacets)
  const triangles = new Float32Array(9 * n)
  copyBinaryFacets(dv, 84, triangles, new Int32Array(triangles.buffer), n, 0, name)
  return { triangles }
}

// Copies `count` 50-byte facet records that start at byte `at` of `dv` into `tris` (9 float32 per facet; `bits` is
// the same memory as int32), skipping the stored normals, and refuses a non-finite coordinate (naming the facet as
// firstFacet + its index, counted from 1).
export function copyBinaryFacets (dv: DataView, at: number, tris: Float32Array, bits: Int32Array, count: number, firstFacet: number, name: string): void {
  // Copy the bit patterns (little-endian in the file, native in the array) and check each for Inf/NaN on the way:
  // a float32 is not finite exactly when all exponent bits are set.
  let o = at + 12 // first vertex of the first facet (the stored normal is skipped)
  let t = 0
  for (let f = 0; f < count; f++) {
    const a = dv.getInt32(o, true); const b = dv.getInt32(o + 4, true); const c = dv.getInt32(o + 8, true)
    const d = dv.getInt32(o + 12, true); const e = dv.getInt32(o + 16, true); const g = dv.getInt32(o + 20, true)
    const h = dv.getInt32(o + 24, true); const i = dv.getInt32(o + 28, true); const j = dv.getInt32(o + 32, true)
    bits[t] = a; bits[t + 1] = b; bits[t + 2] = c
    bits[t + 3] = d; bits[t + 4] = e; bits[t + 5] = g
    bits[t + 6] = h; bits[t + 7] = i; bits[t + 8] = j
    // (x & EXP_MASK) + 2^23 reaches bit 31 only when all exponent bits are set: one test for the nine values.
    const z = ((a & EXP_MASK) + 0x800000) | ((b & EXP_MASK) + 0x800000) | ((c & EXP_MASK) + 0x800000) |
      ((d & EXP_MASK) + 0x800000) | ((e & EXP_MASK) + 0x800000) | ((g & EXP_MASK) + 0x800000) |
      ((h & EXP_MASK) + 0x800000) | ((i & EXP_MASK) + 0x800000) | ((j & EXP_MASK) + 0x800000)
    if ((z & 0x80000000) !== 0) throw nonFinite(name, tris, f, firstFacet)
    o += 50
    t += 9
  }
}

function nonFinite (name: string, tris: Float32Array, f: number, firstFacet: number): Error {
  const axis = ['x', 'y', 'z']
  for (let k = 0; k < 9; k++) {
    const v = tris[9 * f + k]
    if (!Number.isFinite(v)) {
      const what = Number.isNaN(v) ? 'NaN' : (v > 0 ? 'Infinity' : '-Infinity')
      return BAD_MODEL(name, `facet ${firstFacet + f + 1}: vertex ${Math.floor(k / 3) + 1} has a non-finite ${axis[k % 3]} coordinate (${what})`)
    }
  }
  return BAD_MODEL(name, `facet ${firstFacet + f + 1} has a non-finite coordinate`)
}

// ---- ASCII ----

const C_SPACE = 0x20
const C_NL = 0x0a

// A small scanner over the bytes: whitespace-separated tokens with their line numbers.
class Scanner {
  pos: number
  line = 1
  tokStart = 0
  tokEnd = 0
  tokLine = 1
  constructor (readonly b: Uint8Array, start: number) {
    this.pos = start
    // count the lines before `start` (only whitespace and a BOM can precede "solid")
    for (let i = 0; i < start; i++) if (b[i] === C_NL) this.line++
  }

  // Advances to the next token; false at the end of the input.
  next (): boolean {
    const b = this.b
    const end = b.length
    let p = this.pos
    let c = 0
    while (p < end && ((c = b[p]) <= C_SPACE)) {
      if (c === C_NL) this.line++
      p++
    }
    if (p >= end) { this.pos = p; return false }
    this.tokStart = p
    this.tokLine = this.line
    while (p < end && b[p] > C_SPACE) p++
    this.tokEnd = p
    this.pos = p
    return true
  }

  // Skips the rest of the current line (the name after solid / endsolid).
  skipLine (): void {
    const b = this.b
    let p = this.pos
    while (p < b.length && b[p] !== C_NL) p++
    this.pos = p
  }

  is (word: Uint8Array): boolean {
    if (this.tokEnd - this.tokStart !== word.length) return false
    const b = this.b
    for (let i = 0; i < word.length; i++) if ((b[this.tokStart + i] | 0x20) !== word[i]) return false
    return true
  }

  text (): string {
    const len = this.tokEnd - this.tokStart
    const s = Buffer.from(this.b.buffer, this.b.byteOffset + this.tokStart, Math.min(len, 40)).toString('latin1')
    return JSON.stringify(len > 40 ? s + '…' : s)
  }
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const W_SOLID = enc('solid')
const W_ENDSOLID = enc('endsolid')
const W_FACET = enc('facet')
const W_NORMAL = enc('normal')
const W_OUTER = enc('outer')
const W_LOOP = enc('loop')
const W_VERTEX = enc('vertex')
const W_ENDLOOP = enc('endloop')
const W_ENDFACET = enc('endfacet')

const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

// Parses a decimal number token to float64, exactly as Number() would (correctly rounded). Fast path (Clinger): at
// most 15 significant digits and a decimal exponent within ±22 make m × 10^e (or m / 10^−e) exact in one rounding.
// Anything else goes through Number(). Returns undefined for a token that is not a decimal number; NaN / ±Infinity
// for the spellings nan, inf, infinity (any case, with a sign) so the caller can name them.
export function parseNumber (b: Uint8Array, s: number, e: number): number | undefined {
  let p = s
  let neg = false
  if (p < e && (b[p] === 0x2d || b[p] === 0x2b)) { neg = b[p] === 0x2d; p++ }
  let mant = 0
  let digits = 0 // significant digits accumulated in mant
  let anyDigit = false
  let exp = 0
  let c = 0
  while (p < e && (c = b[p] - 0x30) >= 0 && c <= 9) {
    anyDigit = true
    if (digits > 0 || c !== 0) { if (digits < 16) { mant = mant * 10 + c } else exp++; digits++ }
    p++
  }
  if (p < e && b[p] === 0x2e) {
    p++
    while (p < e && (c = b[p] - 0x30) >= 0 && c <= 9) {
      anyDigit = true
      if (digits > 0 || c !== 0) { if (digits < 16) { mant = mant * 10 + c; exp-- } digits++ } else exp--
      p++
    }
  }
  if (!anyDigit) return special(b, s, e)
  if (p < e && (b[p] | 0x20) === 0x65) {
    p++
    let eneg = false
    if (p < e && (b[p] === 0x2d || b[p] === 0x2b)) { eneg = b[p] === 0x2d; p++ }
    let ev = 0
    let any = false
    while (p < e && (c = b[p] - 0x30) >= 0 && c <= 9) { if (ev < 100000) ev = ev * 10 + c; any = true; p++ }
    if (!any) return undefined
    exp += eneg ? -ev : ev
  }
  if (p !== e) return undefined
  if (mant === 0) return neg ? -0 : 0
  let v: number
  if (digits <= 15 && exp >= -22 && exp <= 22) {
    v = exp >= 0 ? mant * POW10[exp] : mant / POW10[-exp]
  } else {
    v = Number(Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1'))
    return v
  }
  return neg ? -v : v
}

function special (b: Uint8Array, s: number, e: number): number | undefined {
  const t = Buffer.from(b.buffer, b.byteOffset + s, Math.min(e - s, 12)).toString('latin1').toLowerCase()
  const body = t.replace(/^[+-]/, '')
  if (body === 'nan' || body === 'nan(ind)') return NaN
  if (body === 'inf' || body === 'infinity' || body === '1.#inf') return t.startsWith('-') ? -Infinity : Infinity
  return undefined
}

function parseAscii (bytes: Uint8Array, name: string, limits: FileLimits, solidAt: number): Mesh {
  const sc = new Scanner(bytes, solidAt)
  const fail = (what: string): Error => {
    const atEnd = sc.tokEnd >= bytes.byteLength ? ' at the very end of the file (truncated?)' : ''
    return BAD_MODEL(name, `malformed ASCII STL at line ${sc.tokLine}: ${what}${atEnd}`)
  }
  const expect = (word: Uint8Array, after: string): void => {
    if (!sc.next()) throw BAD_MODEL(name, `malformed ASCII STL: the file ends at line ${sc.line} where "${new TextDecoder().decode(word)}" was expected (after ${after}); truncated?`)
    if (!sc.is(word)) throw fail(`expected "${new TextDecoder().decode(word)}" after ${after}, found ${sc.text()}`)
  }
  // Number or NaN/Infinity; a token that is no number at all is a syntax error.
  const number = (what: string): number => {
    if (!sc.next()) throw BAD_MODEL(name, `malformed ASCII STL: the file ends at line ${sc.line} in the middle of ${what}; truncated?`)
    const v = parseNumber(bytes, sc.tokStart, sc.tokEnd)
    if (v === undefined) throw fail(`expected a number in ${what}, found ${sc.text()}`)
    return v
  }

  let cap = Math.max(16, Math.min(limits.maxFacets, Math.floor(bytes.byteLength / 200) + 16)) * 9
  let tris = new Float32Array(cap)
  let n = 0
  let solids = 0
  while (sc.next()) {
    if (!sc.is(W_SOLID)) {
      throw fail(solids === 0 ? `expected "solid", found ${sc.text()}` : `expected "solid" or the end of the file after "endsolid", found ${sc.text()}`)
    }
    solids++
    sc.skipLine()
    for (;;) {
      if (!sc.next()) throw BAD_MODEL(name, `malformed ASCII STL: the file ends at line ${sc.line} without "endsolid" (truncated?)`)
      if (sc.is(W_ENDSOLID)) { sc.skipLine(); break }
      if (!sc.is(W_FACET)) throw fail(`expected "facet" or "endsolid", found ${sc.text()}`)
      const facetLine = sc.tokLine
      expect(W_NORMAL, '"facet"')
      number('the facet normal'); number('the facet normal'); number('the facet normal') // ignored
      expect(W_OUTER, 'the facet normal')
      expect(W_LOOP, '"outer"')
      if (n >= limits.maxFacets) throw TOO_MANY_FACETS(name, n + 1, limits.maxFacets)
      if ((n + 1) * 9 > cap) {
        cap = Math.min(cap * 2, limits.maxFacets * 9)
        const bigger = new Float32Array(cap)
        bigger.set(tris)
        tris = bigger
      }
      const t = n * 9
      for (let k = 0; k < 3; k++) {
        expect(W_VERTEX, k === 0 ? '"outer loop"' : `vertex ${k}`)
        const vLine = sc.tokLine
        for (let a = 0; a < 3; a++) {
          const v = number(`vertex ${k + 1} of the facet that starts at line ${facetLine}`)
          const f = Math.fround(v)
          if (!Number.isFinite(f)) {
            const what = Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? `${sc.text()}, too large for a 32-bit float` : (v > 0 ? 'Infinity' : '-Infinity')
            throw BAD_MODEL(name, `facet ${n + 1} (line ${vLine}): vertex ${k + 1} has a non-finite ${'xyz'[a]} coordinate (${what})`)
          }
          tris[t + 3 * k + a] = f
        }
      }
      expect(W_ENDLOOP, 'the third vertex (a facet has exactly 3 vertices)')
      expect(W_ENDFACET, '"endloop"')
      n++
    }
  }
  if (solids === 0) throw BAD_MODEL(name, 'the file has no "solid"')
  if (n === 0) throw BAD_MODEL(name, 'the ASCII STL has zero facets')
  return { triangles: tris.length === n * 9 ? tris : tris.slice(0, n * 9) }
}
