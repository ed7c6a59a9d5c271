// A job's fields, a patch of them, and the reference to its model file (job/create, job/update, the job record).
import c from 'compact-encoding'
import { boundedString, boundedArray, boundedUint, boundedFinite, enumOf, optional, safeUint, sats } from '../codec.js'
import { LIMITS } from './limits.js'
import { SchemaError, country, key, material, type Material } from './common.js'

export interface JobFields {
  title: string
  material: Material
  colors: string[]
  bountySats: number
  country: string
  notes: string
}

export type JobPatch = Partial<JobFields>

export const MODEL_KINDS = ['stl', 'obj', '3mf', 'zip'] as const
export type FileKind = typeof MODEL_KINDS[number]

// What a job says about its model, so printers can filter and decide before downloading anything. For a ZIP the
// figures are over all its models: facets, volume and area summed, size the largest of each axis, closed and
// manifold only if every model is, fits only the beds every model fits.
export interface FileSummary {
  kind: FileKind
  models: number
  facets: number
  sizeMm: [number, number, number]
  volumeCm3: number
  areaCm2: number
  shells: number
  closed: boolean
  manifold: boolean
  fits: string[]
}

// Where the model is: a path in the client's Hyperdrive, and what the bytes must be.
export interface FileRef {
  drive: Uint8Array
  path: string
  name: string // the file name the client attached
  byteLength: number
  sha256: Uint8Array
  summary: FileSummary
}

const title = boundedString(LIMITS.titleChars)
const notes = boundedString(LIMITS.notesChars)
const colors = boundedArray(boundedString(LIMITS.colorChars), LIMITS.colors)

export const jobFields: c.Encoder<JobFields> = {
  preencode (state, j) {
    title.preencode(state, j.title)
    material.preencode(state, j.material)
    colors.preencode(state, j.colors)
    sats.preencode(state, j.bountySats)
    country.preencode(state, j.country)
    notes.preencode(state, j.notes)
  },
  encode (state, j) {
    title.encode(state, j.title)
    material.encode(state, j.material)
    colors.encode(state, j.colors)
    sats.encode(state, j.bountySats)
    country.encode(state, j.country)
    notes.encode(state, j.notes)
  },
  decode (state) {
    return {
      title: title.decode(state),
      material: material.decode(state),
      colors: colors.decode(state),
      bountySats: sats.decode(state),
      country: country.decode(state),
      notes: notes.decode(state)
    }
  }
}

// A patch is a bitfield of present fields followed by those fields, in jobFields order.
const PATCH_FIELDS = ['title', 'material', 'colors', 'bountySats', 'country', 'notes'] as const
const PATCH_ENCODERS: { [K in keyof JobFields]: c.Encoder<JobFields[K]> } = {
  title, material, colors, bountySats: sats, country, notes
}

export const jobPatch: c.Encoder<JobPatch> = {
  preencode (state, p) {
    c.uint.preencode(state, patchFlags(p))
    for (const f of PATCH_FIELDS) if (p[f] !== undefined) (PATCH_ENCODERS[f] as c.Encoder<unknown>).preencode(state, p[f])
  },
  encode (state, p) {
    c.uint.encode(state, patchFlags(p))
    for (const f of PATCH_FIELDS) if (p[f] !== undefined) (PATCH_ENCODERS[f] as c.Encoder<unknown>).encode(state, p[f])
  },
  decode (state) {
    const flags = c.uint.decode(state)
    if (flags === 0 || flags >= (1 << PATCH_FIELDS.length)) throw new SchemaError('bad patch flags')
    const p: Record<string, unknown> = {}
    PATCH_FIELDS.forEach((f, i) => {
      if (flags & (1 << i)) p[f] = PATCH_ENCODERS[f].decode(state)
    })
    return p as JobPatch
  }
}

function patchFlags (p: JobPatch): number {
  let flags = 0
  PATCH_FIELDS.forEach((f, i) => { if (p[f] !== undefined) flags |= 1 << i })
  return flags
}

const fileKind = enumOf(MODEL_KINDS)
const count32 = boundedUint(0xffffffff)
const measure = boundedFinite(-1e15, 1e15)
const bedNames = boundedArray(boundedString(LIMITS.bedNameChars), LIMITS.bedNames)

const fileSummary: c.Encoder<FileSummary> = {
  preencode (state, f) {
    fileKind.preencode(state, f.kind)
    c.uint.preencode(state, f.models)
    c.uint.preencode(state, f.facets)
    for (let i = 0; i < 3; i++) measure.preencode(state, f.sizeMm[i])
    measure.preencode(state, f.volumeCm3)
    measure.preencode(state, f.areaCm2)
    c.uint.preencode(state, f.shells)
    c.bool.preencode(state, f.closed)
    c.bool.preencode(state, f.manifold)
    bedNames.preencode(state, f.fits)
  },
  encode (state, f) {
    fileKind.encode(state, f.kind)
    c.uint.encode(state, f.models)
    c.uint.encode(state, f.facets)
    for (let i = 0; i < 3; i++) measure.encode(state, f.sizeMm[i])
    measure.encode(state, f.volumeCm3)
    measure.encode(state, f.areaCm2)
    c.uint.encode(state, f.shells)
    c.bool.encode(state, f.closed)
    c.bool.encode(state, f.manifold)
    bedNames.encode(state, f.fits)
  },
  decode (state) {
    return {
      kind: fileKind.decode(state),
      models: count32.decode(state),
      facets: count32.decode(state),
      sizeMm: [measure.decode(state), measure.decode(state), measure.decode(state)],
      volumeCm3: measure.decode(state),
      areaCm2: measure.decode(state),
      shells: count32.decode(state),
      closed: c.bool.decode(state),
      manifold: c.bool.decode(state),
      fits: bedNames.decode(state)
    }
  }
}

const filePath = boundedString(LIMITS.pathChars)
const fileName = boundedString(LIMITS.fileNameChars)

export const fileRef: c.Encoder<FileRef> = {
  preencode (state, f) {
    key.preencode(state, f.drive)
    filePath.preencode(state, f.path)
    fileName.preencode(state, f.name)
    safeUint.preencode(state, f.byteLength)
    c.fixed32.preencode(state, f.sha256)
    fileSummary.preencode(state, f.summary)
  },
  encode (state, f) {
    key.encode(state, f.drive)
    filePath.encode(state, f.path)
    fileName.encode(state, f.name)
    safeUint.encode(state, f.byteLength)
    c.fixed32.encode(state, f.sha256)
    fileSummary.encode(state, f.summary)
  },
  decode (state) {
    return {
      drive: key.decode(state),
      path: filePath.decode(state),
      name: fileName.decode(state),
      byteLength: boundedUint(2 ** 48).decode(state),
      sha256: c.fixed32.decode(state),
      summary: fileSummary.decode(state)
    }
  }
}
export const optionalFileRef = optional(fileRef)
