// 3MF model parts: one part's XML read into its objects (a mesh, or components referring to other objects) and its
// build items, vertices still in the part's unit and transforms as written. threemf.ts resolves and places them.
import { BAD_MODEL, TOO_MANY_FACETS } from '../errors.js'
import type { FileLimits } from './model.js'
import { parseNumberString, XmlError, XmlReader } from './xml.js'
import { partCandidates } from './threemf-package.js'

export const NS_CORE = 'http://schemas.microsoft.com/3dmanufacturing/core/2015/02'
export const NS_PRODUCTION = 'http://schemas.microsoft.com/3dmanufacturing/production/2015/06'
export const NS_MATERIAL = 'http://schemas.microsoft.com/3dmanufacturing/material/2015/02'
export const NS_TRIANGLESETS = 'http://schemas.microsoft.com/3dmanufacturing/trianglesets/2021/07'

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

// Row-vector affine transform: [m00 m01 m02 m10 m11 m12 m20 m21 m22 m30 m31 m32].
export type Matrix = Float64Array

export const IDENTITY: Matrix = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0])

// a then b: p·La·Lb + (ta·Lb + tb)
export function compose (a: Matrix, b: Matrix): Matrix {
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

export interface Ref {
  objectid: number
  path: string | null // a model part (production extension), null for this part
  transform: Matrix | null // translation still in the referring part's unit
  what: string // for messages: 'build item 2', 'component 1 of object 5'
}

export interface Obj {
  id: number
  name: string | null
  part: Part
  vertices: Float64Array | null // in the part's unit
  triangles: Uint32Array | null
  components: Ref[] | null
}

export interface Part {
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

export function parsePart (bytes: Uint8Array, path: string, label: string, limits: FileLimits): Part {
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
