// The reputation part of the reducer: job/review and printer/profile ops, and the stats hook that `commit` in
// lib/market/apply.ts calls on every job transition. Same rules as the reducer: deterministic, view-only I/O, no
// throwing on input; an op that fails a check changes nothing.
//
// "Signed": every op is a block of its author's Autobase writer core, signed with that core's key, so a review is
// signed by its author. It is bound to the author (node.from.key, never a key inside the op) and to the job (its
// id; the subject is derived from the job: the other party). "Once": a second review by the same author for the
// same job is refused.
import b4a from 'b4a'
import c from 'compact-encoding'
import { OP, MATERIALS, REPUTATION_LIMITS, type Op, type JobRecord, type WriterRecord } from '../schema.js'
import { FINAL_STATUSES, roleOf, newEntries } from '../job/state.js'
import { outcomeOf } from '../job/outcome.js'
import { isCountryCode } from '../countries.js'
import { getJob, putWriter } from '../market/view.js'
import {
  SHIP_SAMPLES, keys, getPeerStats, putPeerStats, getReview, getProfile, profileIndexKeys,
  reviewRecord, profileRecord, type Batch, type PeerStats, type ReviewRecord, type ProfileRecord
} from './records.js'

type ReviewOp = Extract<Op, { type: typeof OP.JOB_REVIEW }>
type ProfileOp = Extract<Op, { type: typeof OP.PRINTER_PROFILE }>

const MARK = b4a.from([1])

export async function applyReputation (b: Batch, op: ReviewOp | ProfileOp, author: Uint8Array, writer: WriterRecord): Promise<boolean> {
  const ok = op.type === OP.JOB_REVIEW ? await applyReview(b, op, author) : await applyProfile(b, op, author)
  if (ok) await putWriter(b, author, { ...writer, ops: writer.ops + 1 })
  return ok
}

// Why a review would be refused, or null. Shared by apply and the command (which refuses locally first).
export function reviewRefusal (job: JobRecord, author: Uint8Array, rating: number): string | null {
  if (!Number.isInteger(rating) || rating < 1 || rating > 5) return 'the rating must be a whole number from 1 to 5'
  if (roleOf(job, author) === 'other') return 'only the client and the printer of a job can review it'
  if (!FINAL_STATUSES.includes(job.status)) return `a job can be reviewed once it is closed (${FINAL_STATUSES.join(' or ')}); this one is ${job.status}`
  if (job.printer === null) return 'this job closed before a printer accepted it: there is no other side to review'
  return null
}

async function applyReview (b: Batch, op: ReviewOp, author: Uint8Array): Promise<boolean> {
  const job = await getJob(b, op.jobId)
  if (job === null || job.printer === null) return false
  if (reviewRefusal(job, author, op.rating) !== null) return false
  if ((await getReview(b, job.id, author)) !== null) return false
  const role = roleOf(job, author) === 'client' ? 'client' : 'printer'
  const subject = role === 'client' ? job.printer : job.client
  const stats = await getPeerStats(b, subject)
  const n = stats.clientRatingCount + stats.printerRatingCount
  const review: ReviewRecord = { jobId: job.id, author, subject, role, rating: op.rating, text: op.text, at: op.at }
  const value = c.encode(reviewRecord, review)
  await b.put(keys.byJob(job.id, author), value)
  await b.put(keys.bySubject(subject, n), value)
  if (role === 'client') {
    stats.printerRatingSum += op.rating
    stats.printerRatingCount++
  } else {
    stats.clientRatingSum += op.rating
    stats.clientRatingCount++
  }
  await putPeerStats(b, subject, stats)
  return true
}

export function profileRefusal (p: ProfileOp['profile']): string | null {
  if (p.materials.length === 0) return null // unlisting
  if (new Set(p.materials).size !== p.materials.length || p.materials.some(m => !MATERIALS.includes(m))) return 'materials must be distinct, from ' + MATERIALS.join(', ')
  if (p.bedMm.some(n => !Number.isSafeInteger(n) || n < 1 || n > REPUTATION_LIMITS.bedMmMax)) return `bed size must be three whole numbers of millimetres from 1 to ${REPUTATION_LIMITS.bedMmMax}`
  if (!isCountryCode(p.country)) return `country ${JSON.stringify(p.country)} is not an ISO 3166 alpha-2 code (e.g. DE, US, JP)`
  return null
}

// Latest per writer, in log order, wins. An empty materials list removes the profile and its index entries.
async function applyProfile (b: Batch, op: ProfileOp, author: Uint8Array): Promise<boolean> {
  if (profileRefusal(op.profile) !== null) return false
  const prev = await getProfile(b, author)
  const next: ProfileRecord | null = op.profile.materials.length === 0
    ? null
    : { ...op.profile, materials: MATERIALS.filter(m => op.profile.materials.includes(m)), writer: author, updatedAt: op.at }
  if (prev === null && next === null) return false
  const nextKeys = next === null ? [] : profileIndexKeys(next)
  if (prev !== null) {
    for (const k of profileIndexKeys(prev)) if (!nextKeys.some(n => b4a.equals(n, k))) await b.del(k)
  }
  for (const k of nextKeys) await b.put(k, MARK)
  if (next === null) await b.del(keys.profile(author))
  else await b.put(keys.profile(author), c.encode(profileRecord, next))
  return true
}

// --- stats hook ---------------------------------------------------------------------------------------------------

// A ruling's outcome: the escrow ruling's winner today; a split given as the printer's percentage if the ruling
// carries one (< 50: the printer lost, > 50: the client lost, 50: nobody did).
export interface RulingOutcome { winner?: 'client' | 'printer', printerPct?: number }

export function loserOf (r: RulingOutcome): 'client' | 'printer' | null {
  if (typeof r.printerPct === 'number') return r.printerPct < 50 ? 'printer' : r.printerPct > 50 ? 'client' : null
  if (r.winner === 'client') return 'printer'
  if (r.winner === 'printer') return 'client'
  return null
}

// Called by `commit` in lib/market/apply.ts with a job before and after every transition it applies. Reads only
// the two records and the stats of the peers it changes; writes each changed peer's stats once.
export async function reputationOnJob (b: Batch, prev: JobRecord, next: JobRecord): Promise<void> {
  const touched = new Map<string, { key: Uint8Array, stats: PeerStats }>()
  const stats = async (key: Uint8Array): Promise<PeerStats> => {
    const hex = b4a.toString(key, 'hex')
    let t = touched.get(hex)
    if (t === undefined) {
      t = { key, stats: await getPeerStats(b, key) }
      touched.set(hex, t)
    }
    return t.stats
  }

  const added = newEntries(prev, next)
  for (let i = next.history.length - added.length; i < next.history.length; i++) {
    const h = next.history[i]
    if (h.action === OP.JOB_SHIP && next.printer !== null) {
      let acceptedAt: number | null = null
      for (let k = i - 1; k >= 0; k--) {
        if (next.history[k].action === OP.JOB_ACCEPT) { acceptedAt = next.history[k].at; break }
      }
      const s = await stats(next.printer)
      s.printerShipped++
      if (acceptedAt !== null) {
        s.shipMs.push(Math.max(0, h.at - acceptedAt))
        if (s.shipMs.length > SHIP_SAMPLES) s.shipMs.splice(0, s.shipMs.length - SHIP_SAMPLES)
      }
    } else if (h.action === OP.JOB_DISPUTE) {
      (await stats(h.by)).disputesOpened++
    }
  }

  if (next.status !== prev.status && next.printer !== null) {
    const outcome = outcomeOf(next)
    if (outcome?.kind === 'split') {
      // a split of the bounty is neither a completion nor a cancellation: each side's share is on its record
      const client = await stats(next.client)
      client.clientSplit++
      client.clientSplitPctSum += 100 - outcome.printerPct
      const printer = await stats(next.printer)
      printer.printerSplit++
      printer.printerSplitPctSum += outcome.printerPct
    } else if (next.status === 'completed') {
      (await stats(next.client)).clientCompleted++
      ;(await stats(next.printer)).printerCompleted++
    } else if (next.status === 'cancelled') {
      (await stats(next.client)).clientCancelled++
      ;(await stats(next.printer)).printerCancelled++
    }
  }

  const prevRuling = rulingOf(prev)
  const nextRuling = rulingOf(next)
  if (prevRuling === null && nextRuling !== null && next.printer !== null) await countRuling(next, nextRuling, stats)

  for (const t of touched.values()) await putPeerStats(b, t.key, t.stats)
}

// A job's ruling, if it has one: the mediation record's (printer %) first, else the escrow record's (winner, or a
// printer % if it carries one). Counted once per job, when the first of them appears.
type RuledJob = JobRecord & { dispute?: { ruling?: { printerPct: number } | null } | null }
export function rulingOf (job: JobRecord): RulingOutcome | null {
  const d = (job as RuledJob).dispute?.ruling ?? null
  if (d !== null) return { printerPct: d.printerPct }
  const e = job.escrow?.ruling ?? null
  return e === null ? null : e as RulingOutcome
}

async function countRuling (job: JobRecord, r: RulingOutcome, stats: (key: Uint8Array) => Promise<PeerStats>): Promise<void> {
  if (job.printer === null) return
  const loser = loserOf(r)
  if (loser === null) return
  const [lost, won] = loser === 'client' ? [job.client, job.printer] : [job.printer, job.client]
  ;(await stats(lost)).disputesLost++
  ;(await stats(won)).disputesWon++
}

// For a ruling recorded outside the escrow record (e.g. by mediation ops): counts it on both parties' stats.
export async function countRulingOn (b: Batch, job: JobRecord, r: RulingOutcome): Promise<void> {
  const touched: Array<[Uint8Array, PeerStats]> = []
  await countRuling(job, r, async (key) => {
    const s = await getPeerStats(b, key)
    touched.push([key, s])
    return s
  })
  for (const [k, s] of touched) await putPeerStats(b, k, s)
}
