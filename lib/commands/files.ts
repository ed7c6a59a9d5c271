// analyze PATH | job download ID | job preview ID — and the file half of `job create --file`.
import fs from 'fs'
import path from 'path'
import b4a from 'b4a'
import { withMarket, type Ctx, type Result } from './context.js'
import { resolveJob } from '../service/resolve.js'
import { analyzeBytesAsync } from '../files/analyze.js'
import { loadModelFile } from '../service/model.js'
import { renderPreview } from '../files/preview.js'
import { extractZip } from '../files/zip.js'
import { DEFAULT_LIMITS, type FileAnalysis, type Mesh } from '../files/model.js'
import { P2PrintError, TOO_MANY_FACETS, ZIP_REFUSED } from '../errors.js'
import { jobIdString } from '../ids.js'
import type { FileRef, JobRecord } from '../schema.js'
import type { Market } from '../market/market.js'

export async function analyzeCommand (ctx: Ctx, file: string, opts: { preview: boolean, width: number, color: boolean }): Promise<Result> {
  const model = await loadModelFile(file)
  const previews = opts.preview ? model.meshes.map(m => ({ name: m.name, text: renderPreview(m.mesh, { width: opts.width, color: opts.color }) })) : []
  return { kind: 'analysis', data: { file, analysis: model.analysis, previews } }
}

// A job's model from the peers that hold it: what the job declares is checked against this peer's limits before a
// byte is fetched, the bytes against the declared sha256 and size, and they must be a model this peer can read.
async function fetchModel (ctx: Ctx, market: Market, job: JobRecord): Promise<{ ref: FileRef, bytes: Uint8Array, meshes: Array<{ name: string, mesh: Mesh }>, analysis: FileAnalysis, ms: number }> {
  const ref = job.file
  if (ref === null) throw new P2PrintError('NO_FILE', `job ${jobIdString(job.id)} has no model file attached`)
  if (ref.summary.facets > DEFAULT_LIMITS.maxFacets) throw TOO_MANY_FACETS(ref.name, ref.summary.facets, DEFAULT_LIMITS.maxFacets)
  if (ref.summary.models > DEFAULT_LIMITS.maxZipEntries) throw ZIP_REFUSED(ref.name, `it declares ${ref.summary.models} models, more than the limit of ${DEFAULT_LIMITS.maxZipEntries} entries`)
  const t0 = Date.now()
  ctx.emit('download-start', { name: ref.name, total: ref.byteLength })
  const bytes = await market.files.fetch(ref, {
    maxBytes: DEFAULT_LIMITS.maxFileBytes,
    stallMs: Math.max(ctx.syncTimeoutMs, 5000),
    onProgress: (p) => {
      const elapsed = (Date.now() - t0) / 1000
      const rate = elapsed > 0 ? p.downloaded / elapsed : 0
      ctx.emit('download-progress', { bytes: p.bytes, total: p.total, rate, etaSecs: rate > 0 ? (p.total - p.bytes) / rate : null })
    }
  })
  const { analysis, meshes } = await analyzeBytesAsync(bytes, ref.name, DEFAULT_LIMITS)
  return { ref, bytes, meshes, analysis, ms: Date.now() - t0 }
}

// `job preview ID`: the model fetched into memory (nothing written to disk), analysed and drawn in the terminal.
export async function jobPreview (ctx: Ctx, idText: string, opts: { width: number, color: boolean }): Promise<Result> {
  return withMarket(ctx, async ({ market }) => {
    const v = await resolveJob(market, idText)
    const { ref, meshes, analysis } = await fetchModel(ctx, market, v.job)
    const previews = meshes.map(m => ({ name: m.name, text: renderPreview(m.mesh, { width: opts.width, color: opts.color }) }))
    return { kind: 'analysis', data: { file: ref.name, analysis, previews } }
  })
}

export async function jobDownload (ctx: Ctx, idText: string, outDir: string): Promise<Result> {
  return withMarket(ctx, async ({ market }) => {
    const v = await resolveJob(market, idText)
    const { ref, bytes, ms } = await fetchModel(ctx, market, v.job)
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
    return {
      kind: 'download',
      data: { id: jobIdString(v.job.id), file: out, files, bytes: bytes.byteLength, sha256: b4a.toString(ref.sha256, 'hex'), ms }
    }
  })
}
