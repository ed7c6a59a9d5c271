// XML for 3MF: a small strict pull tokenizer working on the bytes (no giant string; numbers are parsed from the
// bytes): elements, attributes, self-closing tags, the five named entities and character references, comments,
// processing instructions, CDATA and the XML declaration. DOCTYPEs are refused (no entity expansion, ever).

const NS_XML = 'http://www.w3.org/XML/1998/namespace'

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

export function parseNumberString (str: string): number {
  const t = str.trim()
  const bytes = Buffer.from(t, 'latin1')
  if (!validNumber(bytes, 0, bytes.length) || /[^\x00-\x7f]/.test(t)) return NaN
  const v = Number(t)
  return Number.isFinite(v) ? v : NaN
}
