// The models in a ZIP archive, read with the checks of zip.ts: every .stl, .obj and .3mf entry is a model (a 3MF with
// several build items gives several models, named `entry#object`). macOS junk (`__MACOSX/`, `.DS_Store`, `._*`) is
// skipped, and any other file (README.txt, photos, a licence) is allowed and ignored; an archive without any model is
// NOT_A_MODEL. Nested .zip files are not opened, and the ignored files are checked but never inflated.
import path from '#path'
import { DEFAULT_LIMITS, type FileLimits, type Mesh, type ModelKind } from './model.js'
import { NOT_A_MODEL } from '../errors.js'
import { readZip } from './zip.js'
import { parseStl } from './stl.js'
import { parseObj } from './obj.js'
import { parse3mf } from './threemf.js'

export interface ZipModel {
  name: string
  kind: ModelKind
  mesh: Mesh
}

function isJunk (p: string): boolean {
  const segs = p.split('/')
  const base = segs[segs.length - 1]
  return segs.includes('__MACOSX') || base === '.DS_Store' || base.startsWith('._') || base === 'Thumbs.db' || base === 'desktop.ini'
}

export function modelKindOf (p: string): ModelKind | null {
  const ext = path.posix.extname(p).toLowerCase()
  if (ext === '.stl') return 'stl'
  if (ext === '.obj') return 'obj'
  if (ext === '.3mf') return '3mf'
  return null
}

// Every model in a ZIP archive. Files that are not models (README, photos) are ignored; none at all is NOT_A_MODEL.
export async function readZipModels (bytes: Uint8Array, name: string, limits: FileLimits = DEFAULT_LIMITS): Promise<ZipModel[]> {
  const isModel = (p: string): boolean => !isJunk(p) && modelKindOf(p) !== null
  const { paths, entries } = await readZip(bytes, name, limits, isModel)
  const models: ZipModel[] = []
  const others = paths.filter(p => !isJunk(p) && !isModel(p))
  for (const e of entries) {
    const kind = modelKindOf(e.path)
    const label = `${e.path} in ${name}`
    if (kind === 'stl') models.push({ name: e.path, kind, mesh: parseStl(e.bytes, label, limits) })
    else if (kind === 'obj') models.push({ name: e.path, kind, mesh: parseObj(e.bytes, label, limits) })
    else if (kind === '3mf') {
      const objects = await parse3mf(e.bytes, label, limits)
      for (const o of objects) models.push({ name: objects.length === 1 ? e.path : `${e.path}#${o.name}`, kind, mesh: o.mesh })
    }
  }
  if (models.length === 0) {
    if (others.length === 0) throw NOT_A_MODEL(name, 'the ZIP archive holds no files')
    const shown = others.slice(0, 5).map(p => JSON.stringify(p)).join(', ') + (others.length > 5 ? ', …' : '')
    throw NOT_A_MODEL(name, `the ZIP archive holds ${others.length} file${others.length === 1 ? '' : 's'} but no .stl, .obj or .3mf: ${shown}`)
  }
  return models
}
