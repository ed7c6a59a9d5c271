// 3MF reader: a ZIP (read with the same limits and checks as any ZIP, see zip.ts) holding an OPC package whose
// start part (named by the 3dmodel relationship in `_rels/.rels`, else `3D/3dmodel.model`) is 3MF core XML:
//
//   <model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">
//     <resources>
//       <object id="1" name="cube" type="model"><mesh>
//         <vertices><vertex x="0" y="0" z="0"/>…</vertices>
//         <triangles><triangle v1="0" v2="1" v3="2"/>…</triangles>
//       </mesh></object>
//       <object id="2"><components><component objectid="1" transform="…"/></components></object>
//     </resources>
//     <build><item objectid="2" transform="…"/></build>
//   </model>
//
// One mesh per build item, in millimetres: vertices are scaled by the part's unit, component transforms are applied
// recursively (cycles and excessive nesting refused) and then the item's transform. Transforms are 3MF's 3×4 affine
// matrices "m00 m01 m02 m10 m11 m12 m20 m21 m22 m30 m31 m32" in the row-vector convention:
// x' = x·m00 + y·m10 + z·m20 + m30 (and so on for y', z'). The production extension's p:path (components and items
// that live in other model parts, as Bambu Studio and others write them) is followed. Elements of other namespaces
// (materials, colours, slicer metadata) are skipped; a file that *requires* an extension we cannot honour (beam
// lattices, slices, encryption …) is refused rather than misread.
//
// The XML is read by a small strict pull tokenizer working on the bytes (no giant string; numbers are parsed from
// the bytes): elements, attributes, self-closing tags, the five named entities and character references, comments,
// processing instructions, CDATA and the XML declaration. DOCTYPEs are refused (no entity expansion, ever).
import { BAD_MODEL, P2PrintError, TOO_MANY_FACETS } from '../errors.js'
import { DEFAULT_LIMITS, type FileLimits, type Mesh } from './model.js'
import { readZipEntries, type ZipEntry } from './zip.js'

export const NS_CORE = 'http://schemas.microsoft.com/3dmanufacturing/core/2015/02'
export const NS_PRODUCTION = 'http://schemas.microsoft.com/3dmanufacturing/production/2015/06'
export const NS_MATERIAL = 'http://schemas.microsoft.com/3dmanufacturing/material/2015/02'
export const NS_TRIANGLESETS = 'http://schemas.microsoft.com/3dmanufacturing/trianglesets/2021/07'
const NS_XML = 'http://www.w3.org/XML/1998/namespace'
const NS_RELS = 'http://schemas.openxmlformats.org/package/2006/relationships'
const REL_3DMODEL = 'http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel'
const DEFAULT_MODEL_PART = '3D/3dmodel.model'

// Extensions whose `requiredextensions` we can honour: production (p:path is followed), materials and triangle sets
// (they colour or group triangles, which does not change the geometry).
const SUPPORTED_REQUIRED = new Set([NS_PRODUCTION, NS_MATERIAL, NS_TRIANGLESETS])

const UNITS: Record<string, number> = {
  micron: 0.001,
  millimeter: 1,
  centimeter: 10,
  inch: 25.4,
  foot: 304.8,
  meter: 1000
}

const MAX_COMPONENT_DEPTH = 256

// ---------------------------------------------------------------------------------------------------------------
// XML pull tokenizer

export class XmlError extends Error {}

// Bytes that end a name: whitespace, controls, and / > = < " ' &.
const NAME_END = new Uint8Array(256)
for (let c = 0; c <= 0x20; c++) NAME_END[c] = 1
for (const ch of '/>=<"\'&') NAME_END[ch.charCodeAt(0)] = 1

function isSpace (c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d
}

export type XmlEvent = 'open' | 'close' | 'end'

// Reads one element at a time: next() returns 'open' (name, ns, local and the attributes describe the element; a
// self-closing element is followed by its 'close'), 'close' (name, ns, local of the element closed) or 'end'.
// Text content is skipped (3MF geometry has none). Throws XmlError with a line number on anything malformed.
export class XmlReader {
  private readonly b: Uint8Array
  private readonly buf: Buffer
  private pos = 0
  private readonly start: number
  private readonly stack: string[] = [] // qualified names of the open elements
  private readonly nsStack: Array<string | null> = [] // their namespaces
  private readonly scopes: Array<Map<string, string>> = [] // the prefix bindings outside each of them
  private pendingClose = false
  private rootSeen = false

  name = '' // qualified name, as written
  local = '' // without its prefix
  ns: string | null = null // namespace URI, null for none
  attrCount = 0
  readonly attrNames: string[] = []
  private readonly attrStart: number[] = []
  private readonly attrEnd: number[] = []
  private readonly attrEntity: boolean[] = []
  private scope: Map<string, string> = new Map([['xml', NS_XML]])

  constructor (bytes: Uint8Array) {
    this.b = bytes
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const b = bytes
    if ((b[0] === 0xfe && b[1] === 0xff) || (b[0] === 0xff && b[1] === 0xfe)) throw new XmlError('it is UTF-16 encoded; 3MF requires UTF-8')
    if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) this.pos = 3
    this.start = this.pos
  }

  get depth (): number {
    return this.stack.length
  }

  line (at = this.pos): number {
    let n = 1
    const end = Math.min(at, this.b.length)
    for (let i = 0; i < end; i++) if (this.b[i] === 0x0a) n++
    return n
  }

  private fail (why: string, at = this.pos): never {
    throw new XmlError(`line ${this.line(at)}: ${why}`)
  }

  private str (s: number, e: number): string {
    for (let i = s; i < e; i++) if (this.b[i] >= 0x80) return this.buf.toString('utf8', s, e)
    return this.buf.toString('latin1', s, e)
  }

  // Element and attribute names repeat millions of times (vertex, x, y, z …): short ones are interned.
  private readonly names = new Map<number, string>()
  private name_ (s: number, e: number): string {
    const len = e - s
    if (len > 24) return this.str(s, e)
    const b = this.b
    let h = len
    for (let i = s; i < e; i++) h = Math.imul(h ^ b[i], 0x01000193)
    const known = this.names.get(h)
    if (known !== undefined && known.length === len) {
      let same = true
      for (let i = 0; i < len; i++) if (known.charCodeAt(i) !== b[s + i]) { same = false; break }
      if (same) return known
    }
    const str = this.str(s, e)
    if (this.names.size < 4096) this.names.set(h, str)
    return str
  }

  private find (seq: string, from: number): number {
    const i = this.buf.indexOf(seq, from, 'latin1')
    return i
  }

  private startsWith (seq: string, at: number): boolean {
    for (let i = 0; i < seq.length; i++) if (this.b[at + i] !== seq.charCodeAt(i)) return false
    return true
  }

  private checkName (name: string, at: number): void {
    const c = name.charCodeAt(0)
    if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e) this.fail(`invalid name ${JSON.stringify(name)}`, at)
    const colon = name.indexOf(':')
    if (colon === 0 || colon === name.length - 1 || (colon !== -1 && name.indexOf(':', colon + 1) !== -1)) this.fail(`invalid name ${JSON.stringify(name)}`, at)
  }

  private resolve (prefix: string, at: number): string {
    const uri = this.scope.get(prefix)
    if (uri === undefined) this.fail(`undeclared namespace prefix ${JSON.stringify(prefix)}`, at)
    return uri
  }

  next (): XmlEvent {
    const b = this.b
    const n = b.length
    if (this.pendingClose) {
      this.pendingClose = false
      return this.closeTop()
    }
    while (true) {
      const lt = b.indexOf(0x3c, this.pos)
      const textEnd = lt === -1 ? n : lt
      if (this.stack.length === 0) {
        for (let i = this.pos; i < textEnd; i++) if (!isSpace(b[i])) this.fail('text outside the root element', i)
      }
      if (lt === -1) {
        this.pos = n
        if (this.stack.length > 0) this.fail(`unexpected end of the document: <${this.stack[this.stack.length - 1]}> is not closed`)
        if (!this.rootSeen) this.fail('no root element')
        return 'end'
      }
      this.pos = lt
      const c = b[lt + 1]
      if (c === 0x3f) { // <? … ?>
        const end = this.find('?>', lt + 2)
        if (end === -1) this.fail('unterminated processing instruction')
        let p = lt + 2
        while (p < end && NAME_END[b[p]] === 0 && b[p] !== 0x3f) p++
        const target = this.str(lt + 2, p)
        if (target.toLowerCase() === 'xml') {
          if (target !== 'xml' || lt !== this.start) this.fail('the XML declaration must come first')
          const decl = this.str(p, end)
          const enc = /encoding\s*=\s*["']([^"']*)["']/.exec(decl)
          if (enc !== null && !/^(utf-?8|us-ascii)$/i.test(enc[1])) this.fail(`it is declared as ${enc[1]}; 3MF requires UTF-8`)
        } else if (target === '') this.fail('processing instruction without a target')
        this.pos = end + 2
        continue
      }
      if (c === 0x21) { // <!
        if (this.startsWith('<!--', lt)) {
          const end = this.find('-->', lt + 4)
          if (end === -1) this.fail('unterminated comment')
          this.pos = end + 3
          continue
        }
        if (this.startsWith('<![CDATA[', lt)) {
          if (this.stack.length === 0) this.fail('CDATA outside the root element')
          const end = this.find(']]>', lt + 9)
          if (end === -1) this.fail('unterminated CDATA section')
          this.pos = end + 3
          continue
        }
        if (this.startsWith('<!DOCTYPE', lt)) this.fail('DOCTYPE declarations are not allowed in 3MF (they could expand entities)')
        this.fail('unexpected "<!"')
      }
      if (c === 0x2f) { // </name>
        let p = lt + 2
        const s = p
        while (p < n && NAME_END[b[p]] === 0) p++
        const name = this.name_(s, p)
        while (p < n && isSpace(b[p])) p++
        if (b[p] !== 0x3e) this.fail(`malformed end tag </${name}`)
        const open = this.stack[this.stack.length - 1]
        if (open === undefined) this.fail(`end tag </${name}> without a start tag`, lt)
        if (open !== name) this.fail(`end tag </${name}> does not match <${open}>`, lt)
        this.pos = p + 1
        return this.closeTop()
      }
      return this.openTag(lt)
    }
  }

  private closeTop (): 'close' {
    const name = this.stack.pop() as string
    this.ns = this.nsStack.pop() ?? null
    this.scope = this.scopes.pop() as Map<string, string>
    this.attrCount = 0
    this.name = name
    const colon = name.indexOf(':')
    this.local = colon === -1 ? name : name.slice(colon + 1)
    return 'close'
  }

  private openTag (lt: number): 'open' {
    const b = this.b
    const n = b.length
    if (this.stack.length === 0 && this.rootSeen) this.fail('content after the root element')
    let p = lt + 1
    const s = p
    while (p < n && NAME_END[b[p]] === 0) p++
    if (p === s) this.fail('expected an element name after "<"', lt)
    const name = this.name_(s, p)
    this.checkName(name, lt)
    let count = 0
    let selfClosing = false
    let newScope: Map<string, string> | null = null
    let seen: Set<string> | null = null
    while (true) {
      const ws = p
      while (p < n && isSpace(b[p])) p++
      if (p >= n) this.fail(`unterminated tag <${name}`, lt)
      const c = b[p]
      if (c === 0x3e) { p++; break }
      if (c === 0x2f) {
        if (b[p + 1] !== 0x3e) this.fail(`expected "/>" in <${name}`, p)
        selfClosing = true
        p += 2
        break
      }
      if (p === ws) this.fail(`missing whitespace before an attribute in <${name}`, p)
      const as = p
      while (p < n && NAME_END[b[p]] === 0) p++
      if (p === as) this.fail(`unexpected character ${JSON.stringify(String.fromCharCode(b[p]))} in <${name}`, p)
      const aname = this.name_(as, p)
      this.checkName(aname, as)
      while (p < n && isSpace(b[p])) p++
      if (b[p] !== 0x3d) this.fail(`attribute ${aname} in <${name} has no "="`, p)
      p++
      while (p < n && isSpace(b[p])) p++
      const q = b[p]
      if (q !== 0x22 && q !== 0x27) this.fail(`attribute ${aname} in <${name} is not quoted`, p)
      p++
      const vs = p
      let entity = false
      while (p < n && b[p] !== q) {
        const v = b[p]
        if (v === 0x3c) this.fail(`"<" in the value of attribute ${aname}`, p)
        if (v === 0x26) entity = true
        p++
      }
      if (p >= n) this.fail(`unterminated value of attribute ${aname}`, vs)
      // Duplicates: a linear scan for the usual handful of attributes, a set beyond (no quadratic blow-up).
      if (count < 16) {
        for (let i = 0; i < count; i++) if (this.attrNames[i] === aname) this.fail(`attribute ${aname} appears twice in <${name}>`, as)
      } else {
        if (seen === null) seen = new Set(this.attrNames.slice(0, count))
        if (seen.has(aname)) this.fail(`attribute ${aname} appears twice in <${name}>`, as)
        seen.add(aname)
      }
      this.attrNames[count] = aname
      this.attrStart[count] = vs
      this.attrEnd[count] = p
      this.attrEntity[count] = entity
      count++
      p++
      if (aname === 'xmlns' || aname.startsWith('xmlns:')) {
        if (newScope === null) newScope = new Map(this.scope)
        const prefix = aname === 'xmlns' ? '' : aname.slice(6)
        const uri = this.value(count - 1)
        if (prefix === 'xmlns' || (prefix === 'xml' && uri !== NS_XML)) this.fail(`the prefix ${prefix} cannot be declared`, as)
        if (prefix !== '' && uri === '') this.fail(`the prefix ${prefix} cannot be undeclared`, as)
        newScope.set(prefix, uri)
      }
    }
    this.attrCount = count
    this.pos = p
    this.scopes.push(this.scope)
    if (newScope !== null) this.scope = newScope
    this.name = name
    const colon = name.indexOf(':')
    if (colon === -1) {
      this.local = name
      const d = this.scope.get('')
      this.ns = d === undefined || d === '' ? null : d
    } else {
      this.local = name.slice(colon + 1)
      this.ns = this.resolve(name.slice(0, colon), lt)
    }
    for (let i = 0; i < count; i++) {
      const a = this.attrNames[i]
      const ac = a.indexOf(':')
      if (ac !== -1 && a.slice(0, ac) !== 'xmlns') this.resolve(a.slice(0, ac), lt)
    }
    this.stack.push(name)
    this.nsStack.push(this.ns)
    this.rootSeen = true
    if (selfClosing) this.pendingClose = true
    return 'open'
  }

  // The namespace URI a prefix is bound to in the current element, or undefined.
  lookupPrefix (prefix: string): string | undefined {
    return this.scope.get(prefix)
  }

  // Index of the attribute with this local name in this namespace (null: unprefixed), or -1.
  index (local: string, ns: string | null = null): number {
    for (let i = 0; i < this.attrCount; i++) {
      const a = this.attrNames[i]
      const colon = a.indexOf(':')
      if (ns === null) {
        if (colon === -1 && a === local) return i
      } else if (colon !== -1 && a.slice(colon + 1) === local) {
        const prefix = a.slice(0, colon)
        if (prefix !== 'xmlns' && this.scope.get(prefix) === ns) return i
      }
    }
    return -1
  }

  // The attribute's value, entities decoded and whitespace characters normalised to spaces (XML §3.3.3).
  value (i: number): string {
    const s = this.attrStart[i]
    const e = this.attrEnd[i]
    const raw = this.str(s, e)
    const norm = raw.replace(/[\t\n\r]/g, ' ')
    if (!this.attrEntity[i]) return norm
    return norm.replace(/&([^;]*);?/g, (m: string, ref: string) => {
      if (!m.endsWith(';')) this.fail(`unterminated entity reference in attribute ${this.attrNames[i]}`, s)
      switch (ref) {
        case 'amp': return '&'
        case 'lt': return '<'
        case 'gt': return '>'
        case 'quot': return '"'
        case 'apos': return '\''
      }
      let cp = NaN
      if (/^#[0-9]+$/.test(ref)) cp = parseInt(ref.slice(1), 10)
      else if (/^#x[0-9a-fA-F]+$/.test(ref)) cp = parseInt(ref.slice(2), 16)
      else this.fail(`unknown entity &${ref}; in attribute ${this.attrNames[i]}`, s)
      if (!(cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff))) {
        this.fail(`invalid character reference &${ref}; in attribute ${this.attrNames[i]}`, s)
      }
      return String.fromCodePoint(cp)
    })
  }

  attr (local: string, ns: string | null = null): string | undefined {
    const i = this.index(local, ns)
    return i === -1 ? undefined : this.value(i)
  }

  // A number (xsd:double syntax without INF/NaN) parsed straight from the bytes; NaN if malformed or not finite.
  number (i: number): number {
    if (this.attrEntity[i]) return parseNumberString(this.value(i))
    let s = this.attrStart[i]
    let e = this.attrEnd[i]
    const b = this.b
    while (s < e && isSpace(b[s])) s++
    while (e > s && isSpace(b[e - 1])) e--
    if (!validNumber(b, s, e)) return NaN
    const fast = fastNumber(b, s, e)
    if (!Number.isNaN(fast)) return fast
    const v = Number(this.buf.toString('latin1', s, e))
    return Number.isFinite(v) ? v : NaN
  }

  // A non-negative integer parsed from the bytes; -1 if malformed or ≥ 2^32.
  uint (i: number): number {
    if (this.attrEntity[i]) {
      const v = this.value(i).trim()
      return /^[0-9]+$/.test(v) && Number(v) < 2 ** 32 ? Number(v) : -1
    }
    let s = this.attrStart[i]
    let e = this.attrEnd[i]
    const b = this.b
    while (s < e && isSpace(b[s])) s++
    while (e > s && isSpace(b[e - 1])) e--
    if (s === e || e - s > 10) return -1
    let v = 0
    for (let k = s; k < e; k++) {
      const d = b[k] - 0x30
      if (d < 0 || d > 9) return -1
      v = v * 10 + d
    }
    return v < 2 ** 32 ? v : -1
  }
}

// (+|-)? (digits (. digits?)? | . digits) ((e|E) (+|-)? digits)?
function validNumber (b: Uint8Array, s: number, e: number): boolean {
  let p = s
  if (p < e && (b[p] === 0x2b || b[p] === 0x2d)) p++
  let digits = 0
  while (p < e && b[p] >= 0x30 && b[p] <= 0x39) { p++; digits++ }
  if (p < e && b[p] === 0x2e) {
    p++
    while (p < e && b[p] >= 0x30 && b[p] <= 0x39) { p++; digits++ }
  }
  if (digits === 0) return false
  if (p < e && (b[p] === 0x65 || b[p] === 0x45)) {
    p++
    if (p < e && (b[p] === 0x2b || b[p] === 0x2d)) p++
    let exp = 0
    while (p < e && b[p] >= 0x30 && b[p] <= 0x39) { p++; exp++ }
    if (exp === 0) return false
  }
  return p === e
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i) // exact doubles

// A valid number with at most 15 significant digits and a decimal exponent within ±22 is exactly m·10^k or m/10^k
// with both operands exact, so one correctly rounded operation gives the same double as Number() (Clinger's fast
// path). Anything else: NaN, and the caller falls back to Number().
function fastNumber (b: Uint8Array, s: number, e: number): number {
  let p = s
  let neg = false
  if (b[p] === 0x2d) { neg = true; p++ } else if (b[p] === 0x2b) p++
  let m = 0
  let digits = 0
  let scale = 0
  while (p < e && b[p] >= 0x30 && b[p] <= 0x39) {
    if (digits > 0 || b[p] !== 0x30) digits++
    m = m * 10 + (b[p] - 0x30)
    p++
  }
  if (p < e && b[p] === 0x2e) {
    p++
    while (p < e && b[p] >= 0x30 && b[p] <= 0x39) {
      if (digits > 0 || b[p] !== 0x30) digits++
      m = m * 10 + (b[p] - 0x30)
      scale--
      p++
    }
  }
  if (p !== e || digits > 15 || scale < -22) return NaN // an exponent part, or too many digits
  const v = scale === 0 ? m : m / POW10[-scale]
  return neg ? -v : v
}

function parseNumberString (str: string): number {
  const t = str.trim()
  const bytes = Buffer.from(t, 'latin1')
  if (!validNumber(bytes, 0, bytes.length) || /[^\x00-\x7f]/.test(t)) return NaN
  const v = Number(t)
  return Number.isFinite(v) ? v : NaN
}

// ---------------------------------------------------------------------------------------------------------------
// 3MF model parts

// Row-vector affine transform: [m00 m01 m02 m10 m11 m12 m20 m21 m22 m30 m31 m32].
type Matrix = Float64Array

const IDENTITY: Matrix = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0])

// a then b: p·La·Lb + (ta·Lb + tb)
function compose (a: Matrix, b: Matrix): Matrix {
  const m = new Float64Array(12)
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 3; c++) {
      m[r * 3 + c] = a[r * 3] * b[c] + a[r * 3 + 1] * b[3 + c] + a[r * 3 + 2] * b[6 + c] + (r === 3 ? b[9 + c] : 0)
    }
  }
  return m
}

class Grow64 {
  data = new Float64Array(3 * 1024)
  length = 0
  push3 (x: number, y: number, z: number): void {
    if (this.length + 3 > this.data.length) {
      const d = new Float64Array(this.data.length * 2)
      d.set(this.data)
      this.data = d
    }
    this.data[this.length++] = x
    this.data[this.length++] = y
    this.data[this.length++] = z
  }
}

class Grow32 {
  data = new Uint32Array(3 * 1024)
  length = 0
  push3 (x: number, y: number, z: number): void {
    if (this.length + 3 > this.data.length) {
      const d = new Uint32Array(this.data.length * 2)
      d.set(this.data)
      this.data = d
    }
    this.data[this.length++] = x
    this.data[this.length++] = y
    this.data[this.length++] = z
  }
}

interface Ref {
  objectid: number
  path: string | null // a model part (production extension), null for this part
  transform: Matrix | null // translation still in the referring part's unit
  what: string // for messages: 'build item 2', 'component 1 of object 5'
}

interface Obj {
  id: number
  name: string | null
  part: Part
  vertices: Float64Array | null // in the part's unit
  triangles: Uint32Array | null
  components: Ref[] | null
}

interface Part {
  path: string
  scale: number // part unit → millimetres
  objects: Map<number, Obj>
  items: Ref[]
  hasBuild: boolean
}

const enum S { Doc, Model, Resources, Object, Mesh, Vertices, Triangles, Components, Build, Leaf, Skip }

function parseTransform (str: string, what: string, fail: (why: string) => never): Matrix {
  const parts = str.trim().split(/\s+/)
  if (parts.length !== 12) fail(`the transform of ${what} has ${parts.length} numbers, expected 12 ("m00 m01 m02 m10 m11 m12 m20 m21 m22 m30 m31 m32")`)
  const m = new Float64Array(12)
  for (let i = 0; i < 12; i++) {
    const v = parseNumberString(parts[i])
    if (Number.isNaN(v)) fail(`the transform of ${what} has ${JSON.stringify(parts[i])}, not a finite number`)
    m[i] = v
  }
  return m
}

// The ZIP entry paths a part name from _rels/.rels or p:path ("/3D/x.model") may stand for: as written, and
// percent-decoded (part names are URIs; writers disagree on whether ZIP item names keep the encoding).
function partCandidates (target: string, fail: (why: string) => never): string[] {
  const norm = (t: string): string => {
    const segs: string[] = []
    for (const seg of t.split('/')) {
      if (seg === '' || seg === '.') continue
      if (seg === '..') fail(`part name ${JSON.stringify(target)} contains ".."`)
      segs.push(seg)
    }
    if (segs.length === 0) fail(`empty part name ${JSON.stringify(target)}`)
    return segs.join('/')
  }
  const raw = norm(target.trim())
  let decoded = raw
  try {
    decoded = norm(decodeURIComponent(target.trim()))
  } catch (err) {
    if (err instanceof P2PrintError) throw err
  }
  return decoded === raw ? [raw] : [raw, decoded]
}

function findPart (files: Map<string, ZipEntry>, target: string, fail: (why: string) => never): ZipEntry | undefined {
  for (const c of partCandidates(target, fail)) {
    const e = files.get(c.toLowerCase())
    if (e !== undefined) return e
  }
  return undefined
}

function parsePart (bytes: Uint8Array, path: string, label: string, limits: FileLimits): Part {
  const fail: (why: string) => never = (why) => { throw BAD_MODEL(label, `model part ${path}: ${why}`) }
  let r: XmlReader
  try {
    r = new XmlReader(bytes)
  } catch (err) {
    if (err instanceof XmlError) fail(`not well-formed XML (${err.message})`)
    throw err
  }
  const part: Part = { path, scale: 1, objects: new Map(), items: [], hasBuild: false }
  const ctx: S[] = [S.Doc]
  let obj: Obj | null = null
  let verts: Grow64 | null = null
  let tris: Grow32 | null = null
  let triCount = 0 // may exceed what is stored, once over the limit
  const maxFacets = limits.maxFacets
  const objLabel = (o: Obj): string => `object ${o.id}${o.name !== null ? ` (${JSON.stringify(o.name)})` : ''}`
  try {
    while (true) {
      const ev = r.next()
      if (ev === 'end') break
      if (ev === 'close') {
        const s = ctx.pop()
        if (s === S.Object && obj !== null) {
          if (verts !== null && tris !== null) {
            if (triCount > maxFacets) throw TOO_MANY_FACETS(`${label} ${objLabel(obj)}`, triCount, maxFacets)
            const nv = verts.length / 3
            const t = tris.data
            for (let i = 0; i < tris.length; i++) {
              if (t[i] >= nv) fail(`${objLabel(obj)}: triangle ${Math.floor(i / 3)} refers to vertex ${t[i]}, but the object has only ${nv} vertices`)
            }
            obj.vertices = verts.data.subarray(0, verts.length)
            obj.triangles = tris.data.subarray(0, tris.length)
          }
          part.objects.set(obj.id, obj)
          obj = null
          verts = null
          tris = null
        }
        continue
      }
      const parent = ctx[ctx.length - 1]
      const core = r.ns === NS_CORE || r.ns === null
      let s = S.Skip
      if (parent !== S.Skip && core) {
        const el = r.local
        switch (parent) {
          case S.Doc: {
            if (el !== 'model') fail(`the root element is <${r.name}>, not a 3MF <model>`)
            const unit = r.attr('unit')
            if (unit !== undefined) {
              const scale = UNITS[unit]
              if (scale === undefined) fail(`unknown unit ${JSON.stringify(unit)} (expected ${Object.keys(UNITS).join(', ')})`)
              part.scale = scale
            }
            const required = r.attr('requiredextensions')
            for (const prefix of (required ?? '').split(' ').filter(x => x !== '')) {
              const uri = r.lookupPrefix(prefix)
              if (uri === undefined) fail(`requiredextensions names the prefix ${JSON.stringify(prefix)}, which is not declared`)
              if (!SUPPORTED_REQUIRED.has(uri)) fail(`it requires the 3MF extension ${uri}, which p2print cannot read (only the core, production and materials specifications are supported)`)
            }
            s = S.Model
            break
          }
          case S.Model:
            if (el === 'resources') s = S.Resources
            else if (el === 'build') { s = S.Build; part.hasBuild = true }
            break
          case S.Resources:
            if (el === 'object') {
              const i = r.index('id')
              if (i === -1) fail('an <object> has no id')
              const id = r.uint(i)
              if (id <= 0) fail(`object id ${JSON.stringify(r.value(i))} is not a positive integer`)
              if (part.objects.has(id)) fail(`object id ${id} is used twice`)
              obj = { id, name: r.attr('name') ?? null, part, vertices: null, triangles: null, components: null }
              s = S.Object
            }
            break
          case S.Object:
            if (obj === null) break
            if (el === 'mesh') {
              if (obj.components !== null || verts !== null) fail(`${objLabel(obj)} has more than one <mesh> or <components>`)
              verts = new Grow64()
              tris = new Grow32()
              triCount = 0
              s = S.Mesh
            } else if (el === 'components') {
              if (obj.components !== null || verts !== null) fail(`${objLabel(obj)} has more than one <mesh> or <components>`)
              obj.components = []
              s = S.Components
            }
            break
          case S.Mesh:
            if (el === 'vertices') s = S.Vertices
            else if (el === 'triangles') s = S.Triangles
            break
          case S.Vertices:
            if (el === 'vertex' && verts !== null && obj !== null) {
              const ix = r.index('x')
              const iy = r.index('y')
              const iz = r.index('z')
              const n = verts.length / 3
              if (ix === -1 || iy === -1 || iz === -1) fail(`${objLabel(obj)}: vertex ${n} lacks its ${ix === -1 ? 'x' : iy === -1 ? 'y' : 'z'} coordinate`)
              const x = r.number(ix)
              const y = r.number(iy)
              const z = r.number(iz)
              if (Number.isNaN(x) || Number.isNaN(y) || Number.isNaN(z)) {
                const bad = Number.isNaN(x) ? ix : Number.isNaN(y) ? iy : iz
                fail(`${objLabel(obj)}: vertex ${n} has ${r.attrNames[bad]}=${JSON.stringify(r.value(bad))}, not a finite number`)
              }
              verts.push3(x, y, z)
              s = S.Leaf
            }
            break
          case S.Triangles:
            if (el === 'triangle' && tris !== null && obj !== null) {
              const i1 = r.index('v1')
              const i2 = r.index('v2')
              const i3 = r.index('v3')
              if (i1 === -1 || i2 === -1 || i3 === -1) fail(`${objLabel(obj)}: triangle ${triCount} lacks ${i1 === -1 ? 'v1' : i2 === -1 ? 'v2' : 'v3'}`)
              const a = r.uint(i1)
              const b = r.uint(i2)
              const c = r.uint(i3)
              if (a < 0 || b < 0 || c < 0) {
                const bad = a < 0 ? i1 : b < 0 ? i2 : i3
                fail(`${objLabel(obj)}: triangle ${triCount} has ${r.attrNames[bad]}=${JSON.stringify(r.value(bad))}, not a vertex index`)
              }
              triCount++
              if (triCount <= maxFacets) tris.push3(a, b, c)
              s = S.Leaf
            }
            break
          case S.Components:
            if (el === 'component' && obj !== null && obj.components !== null) {
              const what = `component ${obj.components.length} of ${objLabel(obj)}`
              obj.components.push(readRef(r, what, fail))
              s = S.Leaf
            }
            break
          case S.Build:
            if (el === 'item') {
              part.items.push(readRef(r, `build item ${part.items.length}`, fail))
              s = S.Leaf
            }
            break
        }
      }
      ctx.push(s)
    }
  } catch (err) {
    if (err instanceof XmlError) fail(`not well-formed XML (${err.message})`)
    throw err
  }
  return part
}

function readRef (r: XmlReader, what: string, fail: (why: string) => never): Ref {
  const i = r.index('objectid')
  if (i === -1) fail(`${what} has no objectid`)
  const objectid = r.uint(i)
  if (objectid <= 0) fail(`${what} has objectid ${JSON.stringify(r.value(i))}, not a positive integer`)
  const t = r.attr('transform')
  const p = r.attr('path', NS_PRODUCTION)
  if (p !== undefined) partCandidates(p, fail)
  return {
    objectid,
    path: p === undefined ? null : p,
    transform: t === undefined ? null : parseTransform(t, what, fail),
    what
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The package

function findStartPart (files: Map<string, ZipEntry>, label: string): ZipEntry {
  const fail: (why: string) => never = (why) => { throw BAD_MODEL(label, why) }
  const rels = files.get('_rels/.rels')
  if (rels !== undefined) {
    let r: XmlReader
    try {
      r = new XmlReader(rels.bytes)
      while (true) {
        const ev = r.next()
        if (ev === 'end') break
        if (ev !== 'open' || r.local !== 'Relationship' || (r.ns !== NS_RELS && r.ns !== null)) continue
        if (r.attr('Type') === REL_3DMODEL) {
          const target = r.attr('Target')
          if (target === undefined) fail('_rels/.rels has a 3D model relationship without a Target')
          const e = findPart(files, target, fail)
          if (e === undefined) fail(`the 3D model part ${JSON.stringify(target)} named by _rels/.rels is missing from the package`)
          return e
        }
      }
    } catch (err) {
      if (err instanceof XmlError) fail(`_rels/.rels is not well-formed XML (${err.message})`)
      throw err
    }
  }
  const e = files.get(DEFAULT_MODEL_PART.toLowerCase())
  if (e === undefined) fail(`no 3D model part: ${rels === undefined ? 'there is no _rels/.rels and' : '_rels/.rels names no 3D model part and'} ${DEFAULT_MODEL_PART} is missing`)
  return e
}

// Every object of a 3MF placed on the build plate, as a mesh in millimetres, named by the object's name (or id).
export async function parse3mf (bytes: Uint8Array, name: string, limits: FileLimits = DEFAULT_LIMITS): Promise<Array<{ name: string, mesh: Mesh }>> {
  let entries: ZipEntry[]
  try {
    // Only the relationships and model parts are inflated (not thumbnails, textures, slicer settings).
    entries = await readZipEntries(bytes, name, limits, p => /(^|\/)_rels\/\.rels$|\.model$/i.test(p))
  } catch (err) {
    if (err instanceof P2PrintError && err.code === 'ZIP_REFUSED' && err.message.includes('not a valid ZIP archive')) {
      throw BAD_MODEL(name, `not a valid 3MF file (a 3MF is a ZIP archive, and this one is not: ${err.message.slice(err.message.indexOf('not a valid ZIP archive: ') + 25)})`)
    }
    throw err
  }
  const files = new Map<string, ZipEntry>()
  for (const e of entries) files.set(e.path.toLowerCase(), e)
  const start = findStartPart(files, name)
  const parts = new Map<string, Part>()
  const loadEntry = (e: ZipEntry): Part => {
    const key = e.path.toLowerCase()
    let part = parts.get(key)
    if (part === undefined) {
      part = parsePart(e.bytes, e.path, name, limits)
      parts.set(key, part)
    }
    return part
  }
  const loadPart = (target: string, from: string): Part => {
    const e = findPart(files, target, (why) => { throw BAD_MODEL(name, `${from}: ${why}`) })
    if (e === undefined) throw BAD_MODEL(name, `${from} refers to the model part ${JSON.stringify(target)}, which is missing from the package`)
    return loadEntry(e)
  }
  const root = loadEntry(start)
  if (root.items.length === 0) throw BAD_MODEL(name, `model part ${root.path} has no build items: nothing is placed on the build plate`)

  const resolve = (from: Part, ref: Ref): Obj => {
    const part = ref.path === null ? from : loadPart(ref.path, `${ref.what} in ${from.path}`)
    const obj = part.objects.get(ref.objectid)
    if (obj === undefined) throw BAD_MODEL(name, `${ref.what} in ${from.path} refers to object ${ref.objectid}, which ${part.path} does not define`)
    return obj
  }
  const objName = (o: Obj): string => `object ${o.id}${o.name !== null ? ` (${JSON.stringify(o.name)})` : ''}`

  // Triangle counts, memoised; refuses cycles and excessive nesting.
  const counts = new Map<Obj, number>()
  const visiting = new Set<Obj>()
  const count = (o: Obj, trail: Obj[]): number => {
    const known = counts.get(o)
    if (known !== undefined) return known
    if (visiting.has(o)) {
      const cycle = trail.slice(trail.indexOf(o)).concat(o).map(x => x.id).join(' → ')
      throw BAD_MODEL(name, `components form a cycle (objects ${cycle})`)
    }
    if (trail.length >= MAX_COMPONENT_DEPTH) throw BAD_MODEL(name, `components are nested more than ${MAX_COMPONENT_DEPTH} deep`)
    let n = 0
    if (o.triangles !== null) n = o.triangles.length / 3
    else if (o.components !== null) {
      visiting.add(o)
      trail.push(o)
      for (const c of o.components) n += count(resolve(o.part, c), trail)
      trail.pop()
      visiting.delete(o)
    } else throw BAD_MODEL(name, `${objName(o)} in ${o.part.path} has neither a mesh nor components`)
    counts.set(o, n)
    return n
  }

  // The transform of a reference in millimetres: its translation is in the referring part's unit.
  const toMm = (m: Matrix | null, scale: number): Matrix => {
    if (m === null) return scale === 1 ? IDENTITY : new Float64Array(IDENTITY)
    if (scale === 1) return m
    const out = new Float64Array(m)
    out[9] *= scale
    out[10] *= scale
    out[11] *= scale
    return out
  }

  const emit = (o: Obj, m: Matrix, out: Float32Array, at: number): number => {
    if (o.triangles !== null && o.vertices !== null) {
      const v = o.vertices
      const t = o.triangles
      const s = o.part.scale
      for (let i = 0; i < t.length; i++) {
        const k = t[i] * 3
        const x = v[k] * s
        const y = v[k + 1] * s
        const z = v[k + 2] * s
        out[at++] = x * m[0] + y * m[3] + z * m[6] + m[9]
        out[at++] = x * m[1] + y * m[4] + z * m[7] + m[10]
        out[at++] = x * m[2] + y * m[5] + z * m[8] + m[11]
      }
      return at
    }
    for (const c of o.components ?? []) {
      at = emit(resolve(o.part, c), compose(toMm(c.transform, o.part.scale), m), out, at)
    }
    return at
  }

  const result: Array<{ name: string, mesh: Mesh }> = []
  const used = new Map<string, number>()
  for (const item of root.items) {
    const o = resolve(root, item)
    const base = o.name !== null && o.name.trim() !== '' ? o.name : String(o.id)
    const n = count(o, [])
    if (n > limits.maxFacets) throw TOO_MANY_FACETS(`${name} ${objName(o)}`, n, limits.maxFacets)
    if (n === 0) throw BAD_MODEL(name, `${item.what} places ${objName(o)}, which has no triangles`)
    const triangles = new Float32Array(n * 9)
    emit(o, toMm(item.transform, root.scale), triangles, 0)
    for (let i = 0; i < triangles.length; i++) {
      if (!Number.isFinite(triangles[i])) throw BAD_MODEL(name, `${item.what} (${objName(o)}) has coordinates too large to represent after its transforms`)
    }
    const seen = used.get(base) ?? 0
    used.set(base, seen + 1)
    result.push({ name: seen === 0 ? base : `${base} (${seen + 1})`, mesh: { triangles } })
  }
  return result
}
