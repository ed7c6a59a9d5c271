// A job's model on a P2Print: fetched from the peers that hold it, checked, analysed, drawn or saved.
import fs from '#fs'
import path from '#path'
import b4a from 'b4a'
import type { P2Print } from './p2print.js'
import { analyzeBytesAsync } from '../files/analyze.js'
import { renderPreview } from '../files/preview.js'
import { extractZip } from '../files/zip.js'
import { DEFAULT_LIMITS, type FileAnalysis, type Mesh } from '../files/model.js'
import { NO_FILE, TOO_MANY_FACETS, ZIP_REFUSED } from '../errors.js'
import { jobIdString } from '../ids.js'
import type { FileRef, JobRecord } from '../schema.js'

export interface DownloadProgress { bytes: number, total: number, rate: number, etaSecs: number | null }
export type OnProgress = (p: DownloadProgress) => void
export interface Downloaded { id: string, file: string, files: string[], bytes: number, sha256: string, ms: number }
export interface Preview { file: string, analysis: FileAnalysis, previews: Array<{ name: string, text: string }> }

// What the job declares is checked against this peer's limits before a byte is fetched, the bytes against the
// declared sha256 and size, and they must be a model this peer can read.
async function fetchModel (p: P2Print, job: JobRecord, onProgress?: OnProgress): Promise<{ ref: FileRef, bytes: Uint8Array, meshes: Array<{ name: string, mesh: Mesh }>, analysis: FileAnalysis, ms: number }> {
  const ref = job.file
  if (ref === null) throw NO_FILE(jobIdString(job.id))
  if (ref.summary.facets > DEFAULT_LIMITS.maxFacets) throw TOO_MANY_FACETS(ref.name, ref.summary.facets, DEFAULT_LIMITS.maxFacets)
  if (ref.summary.models > DEFAULT_LIMITS.maxZipEntries) throw ZIP_REFUSED(ref.name, `it declares ${ref.summary.models} models, more than the limit of ${DEFAULT_LIMITS.maxZipEntries} entries`)
  const t0 = Date.now()
  p.event('download-start', { name: ref.name, total: ref.byteLength })
  onProgress?.({ bytes: 0, total: ref.byteLength, rate: 0, etaSecs: null })
  const bytes = await p.market.files.fetch(ref, {
    maxBytes: DEFAULT_LIMITS.maxFileBytes,
    stallMs: Math.max(p.opts.syncTimeoutMs, 5000),
    onProgress: (f) => {
      const elapsed = (Date.now() - t0) / 1000
      const rate = elapsed > 0 ? f.downloaded / elapsed : 0
      const d: DownloadProgress = { bytes: f.bytes, total: f.total, rate, etaSecs: rate > 0 ? (f.total - f.bytes) / rate : null }
      p.event('download-progress', { ...d })
      onProgress?.(d)
    }
  })
  const { analysis, meshes } = await analyzeBytesAsync(bytes, ref.name, DEFAULT_LIMITS)
  return { ref, bytes, meshes, analysis, ms: Date.now() - t0 }
}

// The model fetched into memory (nothing written to disk), analysed and drawn for a terminal.
export async function preview (p: P2Print, idText: string, o: { width: number, color: boolean, onProgress?: OnProgress }): Promise<Preview> {
  const v = await p.job(idText)
  const { ref, meshes, analysis } = await fetchModel(p, v.job, o.onProgress)
  return { file: ref.name, analysis, previews: meshes.map(m => ({ name: m.name, text: renderPreview(m.mesh, { width: o.width, color: o.color }) })) }
}

// The model saved in outDir (a zip is also extracted into a folder of its name).
export async function download (p: P2Print, idText: string, outDir: string, onProgress?: OnProgress): Promise<Downloaded> {
  const v = await p.job(idText)
  const { ref, bytes, ms } = await fetchModel(p, v.job, onProgress)
  await fs.promises.mkdir(outDir, { recursive: true })
  const out = path.join(outDir, ref.name)
  const tmp = out + '.part-' + process.pid
  await fs.promises.writeFile(tmp, bytes)
  await fs.promises.rename(tmp, out)
  const files = [out]
  if (ref.summary.kind === 'zip') {
    const folder = path.join(outDir, ref.name.replace(/\.zip$/i, ''))
    files.push(...await extractZip(bytes, ref.name, folder, DEFAULT_LIMITS))
  }
  return { id: jobIdString(v.job.id), file: out, files, bytes: bytes.byteLength, sha256: b4a.toString(ref.sha256, 'hex'), ms }
}
