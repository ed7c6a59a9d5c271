// Mediation in the reducer: mediator registration, the pick, proposals, answers, escalation, the arbitrator's
// ruling, and each mediator's record with its revocation. Called from lib/market/apply.ts; the same rules hold:
// deterministic (every deadline starts and ends on market time, lib/market/clock.ts, never on the op's `at`), no
// I/O besides the view,
// never throws on input. lib/escrow/PROTOCOL.md ("Disputes") describes the flow; the rules are summed up in
// README.md ("Mediation").
import b4a from 'b4a'
import c from 'compact-encoding'
import type { BeeBatch } from 'hyperbee'
import { OP, type JobRecord, type Op, type WriterRecord } from '../schema.js'
import { putWriter, getSettings } from '../market/view.js'
import { addHistory } from '../job/state.js'
import { roleIn, isStandardPayout, pickIndex, cancelAgreed, rulingAllowed } from '../escrow/record.js'
import { verifySig } from '../escrow/verify.js'
import { lockedBountySats } from '../escrow/milestones.js'
import { MAX_MEDIATOR_FEE_PCT, escrowContext, buildFor } from '../escrow/context.js'
import { mediatorList, DISPUTE_LIMITS, type DisputeRecord, type MediatorRecord } from './codec.js'
import type { MarketNow } from '../market/clock.js'

export { MAX_MEDIATOR_FEE_PCT }
export { cancelAllowed, cancelAgreed, rulingAllowed, rulingPrinterPct } from '../escrow/record.js'

type Batch = BeeBatch<Uint8Array, Uint8Array>
type Reader = { get: (key: Uint8Array) => Promise<{ value: Uint8Array } | null> }

// Deadlines, in market time (lib/market/clock.ts).
export const DEADLINES = {
  proposeSecs: 72 * 3600, // the mediator proposes within 72 h of job/dispute
  answerSecs: 48 * 3600 // both parties accept within 48 h of the proposal
} as const
// A rejected (or unanswered) proposal is "overturned" when the ruling's printer % differs from it by more than this.
export const OVERTURN_PCT = 10

// The revocation rule (README "Mediation"): a mediator loses its privilege, for good, when
//   R2  at least 2 of its proposals were overturned and overturned ≥ accepted + upheld (at least half of its
//       decided proposals went against it).
// Missed deadlines are counted and shown, but do not revoke (R1 was withdrawn). Deadlines are now measured on market
// time (lib/market/clock.ts), so nobody can fake one in 1970; but the two parties of a dispute they made up between
// them can still let a mediator's deadline run out on purpose, and a strike shows that it did not answer in time,
// not that it was wrong. Only the arbitrators, named by the market's creator, can overturn a proposal. The creator
// removes a mediator that misses its deadlines from the settings.
// Returns '' for a mediator in good standing, otherwise the rule.
export function revocationReason (m: Pick<MediatorRecord, 'missed' | 'overturned' | 'accepted' | 'upheld'>): string {
  if (m.overturned >= 2 && m.overturned >= m.accepted + m.upheld) return `R2: ${m.overturned} proposals overturned against ${m.accepted} accepted and ${m.upheld} upheld`
  return ''
}

const MEDIATORS_KEY = b4a.from('x/mediators')

export async function getMediators (r: Reader): Promise<MediatorRecord[]> {
  const e = await r.get(MEDIATORS_KEY)
  return e === null ? [] : c.decode(mediatorList, e.value)
}

async function putMediators (b: Batch, list: MediatorRecord[]): Promise<void> {
  await b.put(MEDIATORS_KEY, c.encode(mediatorList, list))
}

async function updateMediator (b: Batch, key: Uint8Array, fn: (m: MediatorRecord) => void): Promise<void> {
  const list = await getMediators(b)
  const m = list.find(x => b4a.equals(x.key, key))
  if (m === undefined) return
  fn(m)
  if (m.revoked === '') m.revoked = revocationReason(m)
  await putMediators(b, list)
}

type Of<T extends number> = Extract<Op, { type: T }>

// mediator/register: only a writer the market's creator names in the settings (so nobody can register mediators by
// the thousand and take the picks); the fee is capped; registering again changes the fee (for later picks only).
// A revoked mediator stays revoked.
export async function registerMediator (b: Batch, op: Of<typeof OP.MEDIATOR_REGISTER>, author: Uint8Array, writer: WriterRecord): Promise<boolean> {
  if (!Number.isInteger(op.feePct) || op.feePct < 0 || op.feePct > MAX_MEDIATOR_FEE_PCT) return false
  if (!(await getSettings(b)).mediators.some(k => b4a.equals(k, author))) return false
  const list = await getMediators(b)
  const m = list.find(x => b4a.equals(x.key, author))
  if (m !== undefined) m.feePct = op.feePct
  else {
    if (list.length >= DISPUTE_LIMITS.mediators) return false
    list.push({ key: author, feePct: op.feePct, registeredAt: op.at, taken: 0, proposed: 0, accepted: 0, overturned: 0, upheld: 0, missed: 0, responseMsTotal: 0, revoked: '' })
  }
  await putMediators(b, list)
  await putWriter(b, author, { ...writer, ops: writer.ops + 1 })
  return true
}

// The pick (decided: deterministic, not by agreement): among registered, non-revoked mediators that are neither
// the client, the printer nor the job's arbitrator, sorted by key, the one at u32be(sha256('p2print/mediator' ‖
// jobId)) mod n. Every peer computes the same one from the log; neither party chooses, and nobody waits for an
// agreement that may never come. A party that distrusts the proposal simply rejects it (→ the arbitrator).
export function pickMediator (jobId: Uint8Array, eligible: MediatorRecord[]): MediatorRecord | null {
  if (eligible.length === 0) return null
  const sorted = eligible.slice().sort((x, y) => b4a.compare(x.key, y.key))
  return sorted[pickIndex(b4a.concat([b4a.from('p2print/mediator'), jobId]), sorted.length)]
}

// job/dispute of an escrowed job (after jobStep moved it to disputed): opens mediation, or goes straight to the
// arbitrator when no mediator is eligible.
export async function openDispute (b: Batch, next: JobRecord, at: number, author: Uint8Array): Promise<JobRecord> {
  const e = next.escrow ?? null
  if (e === null) return next
  const named = (await getSettings(b)).mediators
  const list = await getMediators(b)
  const eligible = list.filter(m => m.revoked === '' && named.some(k => b4a.equals(k, m.key)) && !b4a.equals(m.key, next.client) && !(next.printer !== null && b4a.equals(m.key, next.printer)) && !b4a.equals(m.key, e.arbitrator))
  const m = pickMediator(next.id, eligible)
  const d: DisputeRecord = {
    stage: m === null ? 'arbitration' : 'mediation',
    openedAt: at,
    openedBy: author,
    mediator: m === null ? null : m.key,
    mediatorFeePct: m === null ? 0 : m.feePct,
    proposeBy: at + DEADLINES.proposeSecs * 1000,
    proposal: null,
    acceptedClient: false,
    acceptedPrinter: false,
    escalation: m === null ? 'no-mediator' : 'none',
    ruling: null
  }
  if (m !== null) await updateMediator(b, m.key, x => { x.taken++ })
  return { ...next, dispute: d }
}

// Records a ruling (dispute/rule or the legacy dispute/ruling) in the dispute record and the mediator's record.
export async function recordRuling (b: Batch, job: JobRecord, printerPct: number, note: string, at: number): Promise<DisputeRecord | null> {
  const d = job.dispute ?? null
  if (d === null) return null
  const p = d.proposal
  // a split both accepted counted for the mediator already; it reaches a ruling only when a milestone's release
  // voided it (lib/market/release-apply.ts)
  if (p !== null && d.mediator !== null && !(d.acceptedClient && d.acceptedPrinter)) {
    const overturned = Math.abs(p.printerPct - printerPct) > OVERTURN_PCT
    await updateMediator(b, d.mediator, x => { if (overturned) x.overturned++; else x.upheld++ })
  }
  return { ...d, stage: 'ruled', ruling: { printerPct, note, at } }
}

// dispute/propose, accept, reject, escalate, rule. Returns the next record, or null when the op changes nothing.
export async function disputeStep (b: Batch, job: JobRecord, op: Op, author: Uint8Array, clock: MarketNow): Promise<JobRecord | null> {
  const now = clock.now
  const proposeMs = DEADLINES.proposeSecs * 1000
  const answerMs = DEADLINES.answerSecs * 1000
  const e = job.escrow ?? null
  if (e === null || e.closed !== null || job.status !== 'disputed' || e.fundingTxid === null) return null
  const role = roleIn(job, author)
  const next: JobRecord = { ...job, updatedAt: op.at, history: job.history.slice() }
  const log = (note: string): void => addHistory(next, { action: op.type, from: job.status, to: job.status, by: author, at: op.at, note })
  if (op.type === OP.DISPUTE_RULE) {
    if (!b4a.equals(author, e.arbitrator) || !rulingAllowed(job) || e.ruling !== null) return null
    if (!isStandardPayout(op.feeScript)) return null
    // the arbitrator's signature must be on the ruling payout this ruling defines
    const ruling = { winner: op.printerPct >= 50 ? 'printer' as const : 'client' as const, feeScript: op.feeScript }
    const ruled: JobRecord = { ...job, escrow: { ...e, ruling }, dispute: job.dispute == null ? null : { ...job.dispute, ruling: { printerPct: op.printerPct, note: op.note, at: op.at } } }
    const sig = verifySig(ruled, 'ruling', 'arbitrator', op.psbt)
    if (sig === null) return null
    next.escrow = { ...e, ruling, sigs: [...e.sigs, sig] }
    next.dispute = await recordRuling(b, job, op.printerPct, op.note, op.at)
    log(`printer ${op.printerPct} %`)
    return next
  }
  const d = job.dispute ?? null
  if (d === null) return null
  switch (op.type) {
    case OP.DISPUTE_PROPOSE: {
      if (d.stage !== 'mediation' || d.mediator === null || !b4a.equals(author, d.mediator)) return null
      if (clock.passed(d.proposeBy - proposeMs, proposeMs) || !isStandardPayout(op.feeScript)) return null
      const feeSats = Math.floor(lockedBountySats(job) * d.mediatorFeePct / 100) // of what is still locked (milestones)
      const at = Math.max(now, d.openedAt)
      next.dispute = { ...d, stage: 'proposed', proposal: { printerPct: op.printerPct, note: op.note, feeScript: op.feeScript, feeSats, at: op.at, answerBy: at + DEADLINES.answerSecs * 1000 } }
      // the split it proposes must be a transaction the parties can sign (a fee script that is no address is not)
      try {
        buildFor(escrowContext(next), 'split')
      } catch {
        return null
      }
      await updateMediator(b, d.mediator, x => { x.proposed++; x.responseMsTotal = Math.min(Number.MAX_SAFE_INTEGER, x.responseMsTotal + (at - d.openedAt)) })
      log(`printer ${op.printerPct} %`)
      return next
    }
    case OP.DISPUTE_ACCEPT: {
      if (role === null || d.stage !== 'proposed' || d.proposal === null || clock.passed(d.proposal.answerBy - answerMs, answerMs) || cancelAgreed(job)) return null
      if (role === 'client' ? d.acceptedClient : d.acceptedPrinter) return null
      // the author's signature of exactly the split this proposal defines: an accept commits to that payout
      const sig = verifySig(job, 'split', role, op.psbt)
      if (sig === null) return null
      const nd: DisputeRecord = { ...d, acceptedClient: d.acceptedClient || role === 'client', acceptedPrinter: d.acceptedPrinter || role === 'printer' }
      if (nd.acceptedClient && nd.acceptedPrinter) {
        nd.stage = 'settled'
        if (d.mediator !== null) await updateMediator(b, d.mediator, x => { x.accepted++ })
      }
      next.escrow = { ...e, sigs: [...e.sigs, sig] }
      next.dispute = nd
      log('accepted')
      return next
    }
    case OP.DISPUTE_REJECT: {
      if (role === null || d.stage !== 'proposed') return null
      if (role === 'client' ? d.acceptedClient : d.acceptedPrinter) return null // an accept is final
      next.dispute = { ...d, stage: 'arbitration', escalation: 'rejected' }
      log(op.note)
      return next
    }
    case OP.DISPUTE_ESCALATE: {
      if (role === null) return null
      if (d.stage === 'mediation' && clock.passed(d.proposeBy - proposeMs, proposeMs)) {
        next.dispute = { ...d, stage: 'arbitration', escalation: 'missed-proposal' }
        if (d.mediator !== null) await updateMediator(b, d.mediator, x => { x.missed++ })
        log('the mediator missed its deadline')
        return next
      }
      if (d.stage === 'proposed' && d.proposal !== null && clock.passed(d.proposal.answerBy - answerMs, answerMs)) {
        next.dispute = { ...d, stage: 'arbitration', escalation: 'no-answer' }
        log('the proposal was not accepted in time')
        return next
      }
      return null
    }
  }
  return null
}
