// Reputation on an open market: a peer's record, the printers listed, a review of a closed job, a printer's profile.
import type { Market } from '../market/market.js'
import { OP, MATERIALS, REPUTATION_LIMITS, type PrinterProfile } from '../schema.js'
import { parseKey, jobIdString, peerId } from '../ids.js'
import { BAD_ARGUMENT, NOT_ALLOWED, BAD_TRANSITION, OP_REJECTED, LIMIT_REACHED } from '../errors.js'
import { reviewRefusal } from '../reputation/apply.js'
import { getReview, getProfile } from '../reputation/records.js'
import { peerRecord, peerSummary, listPrinters, profileJSON, reviewJSON, type PeerJSON, type ProfileJSON, type ReviewJSON, type PeerSummaryJSON, type PrinterQuery } from '../reputation/query.js'
import { resolveJob } from './resolve.js'

export type PostedReview = ReviewJSON & { subject: string, record: PeerSummaryJSON }

function parsePeer (market: Market, idText: string | undefined): Uint8Array {
  if (idText === undefined) return market.writerKey
  const key = parseKey(idText)
  if (key === null || key.byteLength !== 32) throw BAD_ARGUMENT(`${JSON.stringify(idText)} is not a peer id (the 52-character id \`p2print id\` shows)`)
  return key
}

export async function peerOf (market: Market, idText?: string): Promise<PeerJSON> {
  return peerRecord(market.view, parsePeer(market, idText))
}

export async function printersOf (market: Market, q: PrinterQuery): Promise<Array<ProfileJSON & { record: PeerSummaryJSON }>> {
  const list = await listPrinters(market.view, q)
  const out: Array<ProfileJSON & { record: PeerSummaryJSON }> = []
  for (const p of list) out.push({ ...profileJSON(p), record: await peerSummary(market.view, p.writer) })
  return out
}

export async function reviewOn (market: Market, idText: string, rating: number, text: string): Promise<PostedReview> {
  if (text.length > REPUTATION_LIMITS.reviewChars) throw BAD_ARGUMENT(`the review is longer than ${REPUTATION_LIMITS.reviewChars} characters`)
  const v = await resolveJob(market, idText)
  const me = market.writerKey
  const bad = reviewRefusal(v.job, me, rating)
  if (bad !== null) throw bad.startsWith('only') || bad.startsWith('this job closed') ? NOT_ALLOWED(bad) : BAD_TRANSITION(bad)
  if ((await getReview(market.view, v.job.id, me)) !== null) throw LIMIT_REACHED(`you already reviewed job ${jobIdString(v.job.id)}: a review is left once`)
  await market.append({ type: OP.JOB_REVIEW, jobId: v.job.id, rating, text })
  await market.update()
  const r = await getReview(market.view, v.job.id, me)
  if (r === null) throw OP_REJECTED('the market did not take the review; run `p2print job show` and try again')
  return { ...reviewJSON(r), subject: peerId(r.subject), record: await peerSummary(market.view, r.subject) }
}

export async function publishProfile (market: Market, profile: PrinterProfile): Promise<ProfileJSON | null> {
  const unlisting = profile.materials.length === 0
  if (unlisting && (await getProfile(market.view, market.writerKey)) === null) return null
  await market.append({ type: OP.PRINTER_PROFILE, profile })
  await market.update()
  const p = await getProfile(market.view, market.writerKey)
  const took = unlisting
    ? p === null
    : p !== null && p.country === profile.country && p.note === profile.note && p.bedMm.every((n, i) => n === profile.bedMm[i]) &&
      p.materials.join() === MATERIALS.filter(m => profile.materials.includes(m)).join()
  if (!took) throw OP_REJECTED('the market did not take the profile')
  return p === null ? null : profileJSON(p)
}
