// The 3MF package (OPC): which ZIP entry is the start model part (the 3dmodel relationship in `_rels/.rels`, else
// `3D/3dmodel.model`), and which entry a part name from the relationships or a production p:path stands for.
import { BAD_MODEL, P2PrintError } from '../errors.js'
import { XmlError, XmlReader } from './xml.js'
import type { ZipEntry } from './zip.js'

const NS_RELS = 'http://schemas.openxmlformats.org/package/2006/relationships'
const REL_3DMODEL = 'http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel'
const DEFAULT_MODEL_PART = '3D/3dmodel.model'

// The ZIP entry paths a part name from _rels/.rels or p:path ("/3D/x.model") may stand for: as written, and
// percent-decoded (part names are URIs; writers disagree on whether ZIP item names keep the encoding).
export function partCandidates (target: string, fail: (why: string) => never): string[] {
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

export function findPart (files: Map<string, ZipEntry>, target: string, fail: (why: string) => never): ZipEntry | undefined {
  for (const c of partCandidates(target, fail)) {
    const e = files.get(c.toLowerCase())
    if (e !== undefined) return e
  }
  return undefined
}

export function findStartPart (files: Map<string, ZipEntry>, label: string): ZipEntry {
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
