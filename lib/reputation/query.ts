// Reading reputation: a peer's record (stats, reviews received, profile) and the printer listing, as JSON.
import c from 'compact-encoding'
import type { Material, JobRecord } from '../schema.js'
import { peerId, jobIdString } from '../ids.js'
import { isoTime } from '../text.js'
import { keys, prefixEnd, getPeerStats, getProfile, reviewRecord, profileRecord, type View, type Reader, type PeerStats, type ProfileRecord, type ReviewRecord } from './records.js'
import { printable } from '../text.js'

export interface RatingJSON { average: number | null, count: number }

// Jobs that ended in a split of the bounty (a mediator's proposal both accepted, or an arbitrator's ruling): neither
// completed nor cancelled. averageSharePct: the % of the bounty this side got in them, on average.
export interface SplitJSON { count: number, averageSharePct: number | null }

export interface PeerSummaryJSON {
  id: string
  asClient: { completed: number, cancelled: number, split: SplitJSON, rating: RatingJSON }
  asPrinter: { completed: number, cancelled: number, split: SplitJSON, shipped: number, medianShipHours: number | null, shipSamples: number, rating: RatingJSON }
  disputesOpened: number
  disputesLost: number
  disputesWon: number
  rating: RatingJSON
}

export interface ReviewJSON { job: string, by: string, role: 'client' | 'printer', rating: number, text: string, at: string }

export interface ProfileJSON { id: string, materials: Material[], bedMm: [number, number, number], country: string, note: string, updatedAt: string }

export interface PeerJSON extends PeerSummaryJSON {
  reviews: ReviewJSON[]
  profile: ProfileJSON | null
}

// The median of a list of numbers (the mean of the two middle ones for an even count); null when empty.
export function median (values: number[]): number | null {
  if (values.length === 0) return null
  const s = values.slice().sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

function split (count: number, pctSum: number): SplitJSON {
  return { count, averageSharePct: count === 0 ? null : Math.round(pctSum / count) }
}

function rating (sum: number, count: number): RatingJSON {
  return { average: count === 0 ? null : Math.round((sum / count) * 100) / 100, count }
}

export function summaryJSON (peer: Uint8Array, s: PeerStats): PeerSummaryJSON {
  const med = median(s.shipMs)
  return {
    id: peerId(peer),
    asClient: { completed: s.clientCompleted, cancelled: s.clientCancelled, split: split(s.clientSplit, s.clientSplitPctSum), rating: rating(s.clientRatingSum, s.clientRatingCount) },
    asPrinter: {
      completed: s.printerCompleted,
      cancelled: s.printerCancelled,
      split: split(s.printerSplit, s.printerSplitPctSum),
      shipped: s.printerShipped,
      medianShipHours: med === null ? null : Math.round((med / 3_600_000) * 100) / 100,
      shipSamples: s.shipMs.length,
      rating: rating(s.printerRatingSum, s.printerRatingCount)
    },
    disputesOpened: s.disputesOpened,
    disputesLost: s.disputesLost,
    disputesWon: s.disputesWon,
    rating: rating(s.clientRatingSum + s.printerRatingSum, s.clientRatingCount + s.printerRatingCount)
  }
}

export function reviewJSON (r: ReviewRecord): ReviewJSON {
  return { job: jobIdString(r.jobId), by: peerId(r.author), role: r.role, rating: r.rating, text: printable(r.text, true), at: isoTime(r.at) }
}

export function profileJSON (p: ProfileRecord): ProfileJSON {
  return { id: peerId(p.writer), materials: p.materials, bedMm: p.bedMm, country: p.country, note: printable(p.note, true), updatedAt: isoTime(p.updatedAt) }
}

export async function peerSummary (v: Reader, peer: Uint8Array): Promise<PeerSummaryJSON> {
  return summaryJSON(peer, await getPeerStats(v, peer))
}

// Reviews of a peer, newest first (in log order of the reviews).
export async function reviewsOf (view: View, peer: Uint8Array, limit = 50): Promise<ReviewRecord[]> {
  const gte = keys.bySubject(peer)
  const out: ReviewRecord[] = []
  for await (const e of view.createReadStream({ gte, lt: prefixEnd(gte), limit })) out.push(c.decode(reviewRecord, e.value))
  return out
}

export async function peerRecord (view: View, peer: Uint8Array, opts: { reviews?: number } = {}): Promise<PeerJSON> {
  const profile = await getProfile(view, peer)
  return {
    ...(await peerSummary(view, peer)),
    reviews: (await reviewsOf(view, peer, opts.reviews ?? 50)).map(reviewJSON),
    profile: profile === null ? null : profileJSON(profile)
  }
}

// The records of both sides of a job, for job views.
export async function jobRecords (view: View, job: JobRecord): Promise<{ clientRecord: PeerSummaryJSON, printerRecord: PeerSummaryJSON | null }> {
  return {
    clientRecord: await peerSummary(view, job.client),
    printerRecord: job.printer === null ? null : await peerSummary(view, job.printer)
  }
}

export interface PrinterQuery { material?: Material, country?: string, limit?: number }

// Listed printers, in writer-key order. Each filter combination is one range read over an index whose entries are
// exactly the matching printers, so it stops after `limit` entries.
export async function listPrinters (view: View, q: PrinterQuery): Promise<ProfileRecord[]> {
  const limit = q.limit ?? 50
  const out: ProfileRecord[] = []
  if (limit <= 0) return out
  if (q.material === undefined && q.country === undefined) {
    const gte = keys.profile()
    for await (const e of view.createReadStream({ gte, lt: prefixEnd(gte), limit })) out.push(c.decode(profileRecord, e.value))
    return out
  }
  const gte = q.material !== undefined ? keys.byMaterialCountry(q.material, q.country) : keys.byCountry(q.country as string)
  for await (const e of view.createReadStream({ gte, lt: prefixEnd(gte), limit })) {
    const writer = e.key.subarray(e.key.byteLength - 32)
    const p = await getProfile(view, writer)
    if (p !== null) out.push(p)
  }
  return out
}
