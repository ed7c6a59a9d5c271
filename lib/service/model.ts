import path from '#path'
import { analyzeBytesAsync, readLimited } from '../files/analyze.js'
import { summarize } from '../files/summary.js'
import { DEFAULT_LIMITS, type FileAnalysis, type Mesh } from '../files/model.js'
import { FILE_NOT_FOUND, P2PrintError } from '../errors.js'
import type { FileSummary } from '../schema.js'

export interface LoadedModel {
  bytes: Uint8Array
  name: string
  analysis: FileAnalysis
  meshes: Array<{ name: string, mesh: Mesh }>
  summary: FileSummary
}

// Reads and analyses a model file from disk; the size is checked before anything is read.
export async function loadModelFile (file: string): Promise<LoadedModel> {
  const name = path.basename(file)
  let bytes: Uint8Array
  try {
    bytes = await readLimited(file, name, DEFAULT_LIMITS.maxFileBytes)
  } catch (err) {
    if (err instanceof P2PrintError) throw err
    throw FILE_NOT_FOUND(file, err)
  }
  const { analysis, meshes } = await analyzeBytesAsync(bytes, name, DEFAULT_LIMITS)
  return { bytes, name, analysis, meshes, summary: summarize(analysis) }
}
