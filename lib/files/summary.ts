// The part of a file's analysis that a job carries (schema FileSummary): one line of figures for the whole file.
import type { FileAnalysis, ModelAnalysis } from './model.js'
import type { FileSummary } from '../schema.js'
import { LIMITS } from '../schema.js'

export function summarize (a: FileAnalysis): FileSummary {
  const models: ModelAnalysis[] = a.kind === 'zip' ? a.models : [a]
  const size: [number, number, number] = [0, 0, 0]
  for (const m of models) for (let i = 0; i < 3; i++) size[i] = Math.max(size[i], m.sizeMm[i])
  const fits = models.length === 0 ? [] : models[0].fits.filter(bed => models.every(m => m.fits.includes(bed)))
  return {
    kind: a.kind,
    models: models.length,
    facets: models.reduce((n, m) => n + m.facets, 0),
    sizeMm: size.map(round3) as [number, number, number],
    volumeCm3: round3(models.reduce((n, m) => n + m.volumeCm3, 0)),
    areaCm2: round3(models.reduce((n, m) => n + m.areaCm2, 0)),
    shells: models.reduce((n, m) => n + m.shells, 0),
    closed: models.every(m => m.closed),
    manifold: models.every(m => m.manifold),
    fits: fits.slice(0, LIMITS.bedNames).map(f => f.slice(0, LIMITS.bedNameChars))
  }
}

function round3 (n: number): number {
  return Math.round(n * 1000) / 1000
}
