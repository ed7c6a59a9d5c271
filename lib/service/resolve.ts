import type { Market, JobView } from '../market/market.js'
import { parseJobIdPrefix, jobIdString } from '../ids.js'
import { JOB_NOT_FOUND, AMBIGUOUS_JOB } from '../errors.js'

// A job by its full id or a unique prefix of at least 4 characters.
export async function resolveJob (market: Market, idText: string): Promise<JobView> {
  const parsed = parseJobIdPrefix(idText)
  if (parsed === null || parsed.text.length < 4) throw JOB_NOT_FOUND(idText)
  if (parsed.bytes.byteLength === 16) {
    const v = await market.getJob(parsed.bytes)
    if (v === null) throw JOB_NOT_FOUND(idText)
    return v
  }
  const candidates = (await market.jobsWithIdPrefix(parsed.bytes, 100_000)).filter(j => jobIdString(j.id).startsWith(parsed.text))
  if (candidates.length === 0) throw JOB_NOT_FOUND(idText)
  if (candidates.length > 1) throw AMBIGUOUS_JOB(idText, candidates.length)
  const v = await market.getJob(candidates[0].id)
  if (v === null) throw JOB_NOT_FOUND(idText)
  return v
}
