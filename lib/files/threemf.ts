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
// The start part is found by threemf-package.ts, each model part is read by threemf-part.ts (with the strict XML
// reader of xml.ts); here their objects are resolved across parts and flattened into meshes.
import { BAD_MODEL, P2PrintError, TOO_MANY_FACETS } from '../errors.js'
import { DEFAULT_LIMITS, type FileLimits, type Mesh } from './model.js'
import { readZipEntries, type ZipEntry } from './zip.js'
import { findPart, findStartPart } from './threemf-package.js'
import { compose, IDENTITY, parsePart, type Matrix, type Obj, type Part, type Ref } from './threemf-part.js'

const MAX_COMPONENT_DEPTH = 256

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
