// analyze PATH | job download ID | job preview ID.
// `analyze` loads only the model readers: the market (Holepunch, Bitcoin) is imported by the job commands alone.
import type { Ctx, Result, Session } from './context.js'
import { analyzeModelFile } from '../files/analyze.js'

export async function analyzeCommand (ctx: Ctx, file: string, opts: { preview: boolean, width: number, color: boolean }): Promise<Result> {
  if (!opts.preview) return { kind: 'analysis', data: { file, ...await analyzeModelFile(file) } }
  // The drawing needs the meshes, so the file is read whole.
  const [{ loadModelFile }, { renderPreview }] = await Promise.all([import('../service/model.js'), import('../files/preview.js')])
  const model = await loadModelFile(file)
  const previews = model.meshes.map(m => ({ name: m.name, text: renderPreview(m.mesh, { width: opts.width, color: opts.color }) }))
  return { kind: 'analysis', data: { file, ...model.analysis, previews } }
}

async function withMarket<T> (ctx: Ctx, fn: (s: Session) => Promise<T>): Promise<T> {
  return await (await import('./context.js')).withMarket(ctx, fn)
}

// `job preview ID`: the model fetched into memory (nothing written to disk), analysed and drawn in the terminal.
export async function jobPreview (ctx: Ctx, idText: string, opts: { width: number, color: boolean }): Promise<Result> {
  return withMarket(ctx, async (p) => {
    const { file, analysis, previews } = await p.preview(idText, opts)
    return { kind: 'analysis', data: { file, ...analysis, previews } }
  })
}

export async function jobDownload (ctx: Ctx, idText: string, outDir: string): Promise<Result> {
  return withMarket(ctx, async (p) => ({ kind: 'download', data: await p.download(idText, outDir) }))
}
