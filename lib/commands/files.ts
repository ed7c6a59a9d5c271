// analyze PATH | job download ID | job preview ID.
import { withMarket, type Ctx, type Result } from './context.js'
import { loadModelFile } from '../service/model.js'
import { renderPreview } from '../files/preview.js'

export async function analyzeCommand (ctx: Ctx, file: string, opts: { preview: boolean, width: number, color: boolean }): Promise<Result> {
  const model = await loadModelFile(file)
  const previews = opts.preview ? model.meshes.map(m => ({ name: m.name, text: renderPreview(m.mesh, { width: opts.width, color: opts.color }) })) : []
  return { kind: 'analysis', data: { file, analysis: model.analysis, previews } }
}

// `job preview ID`: the model fetched into memory (nothing written to disk), analysed and drawn in the terminal.
export async function jobPreview (ctx: Ctx, idText: string, opts: { width: number, color: boolean }): Promise<Result> {
  return withMarket(ctx, async (p) => ({ kind: 'analysis', data: await p.preview(idText, opts) }))
}

export async function jobDownload (ctx: Ctx, idText: string, outDir: string): Promise<Result> {
  return withMarket(ctx, async (p) => ({ kind: 'download', data: await p.download(idText, outDir) }))
}
