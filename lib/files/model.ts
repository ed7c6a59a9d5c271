// The shared vocabulary of model files: meshes, analyses, limits. Parsers (stl.ts, obj.ts, threemf.ts), the ZIP
// reader (zip.ts), the analysis (analyze.ts) and the preview (preview.ts) all speak it.
import type { Material } from '../schema.js'

// A triangle soup: facet i has its three vertices at triangles[9i .. 9i+8] (x, y, z each), in millimetres.
// Float32, as binary STL stores them, so that every peer computes from the same numbers.
export interface Mesh {
  triangles: Float32Array
}

export type Vec3 = [number, number, number]

export interface ModelAnalysis {
  facets: number
  bbox: { min: Vec3, max: Vec3 }
  sizeMm: Vec3
  volumeCm3: number
  areaCm2: number
  shells: number // connected parts (facets joined through shared edges)
  closed: boolean // every edge is shared by exactly two facets
  manifold: boolean // closed, and every edge is used once in each direction (consistent orientation)
  weightGrams: Record<Material, number> // solid weight (volume × density)
  fits: string[] // names of the printer beds (lib/files/beds.ts) the bounding box fits, in any axis-aligned rotation
}

export type ModelKind = 'stl' | 'obj' | '3mf'

export interface NamedAnalysis extends ModelAnalysis {
  name: string
  kind: ModelKind
}

// A file's analysis: a single model's, or { models } for a ZIP (or a 3MF with several objects).
export type FileAnalysis = (ModelAnalysis & { kind: ModelKind }) | { kind: 'zip', models: NamedAnalysis[] }

// What `analyze --json` and `job preview --json` print: the file, then its analysis at the top level
// ({ file, kind, facets, bbox, … } or { file, kind: 'zip', models }), and the drawings when there are any.
export type AnalysisJSON = FileAnalysis & { file: string, previews?: Array<{ name: string, text: string }> }

export interface FileLimits {
  maxFileBytes: number // the file as attached or downloaded
  maxFacets: number // per model
  maxZipEntries: number
  maxUnpackedBytes: number // all entries of a ZIP together
  maxCompressionRatio: number // unpacked / packed, per entry and overall
}

export const DEFAULT_LIMITS: FileLimits = {
  maxFileBytes: 256 * 1024 * 1024,
  maxFacets: 20_000_000,
  maxZipEntries: 256,
  maxUnpackedBytes: 1024 * 1024 * 1024,
  maxCompressionRatio: 100
}
