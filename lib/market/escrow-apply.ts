// The escrow part of the reducer (lib/escrow/PROTOCOL.md). Two kinds of op reach it:
//  - commitments: a signature that commits its author to a transaction (escrow/sign, and the signatures job/ship,
//    job/complete, dispute/accept and dispute/rule carry). Each is checked here against the transaction every peer
//    rebuilds from the record (lib/escrow/verify.ts); the record keeps only the author's verified signatures.
//  - claims: what only a Bitcoin node can confirm (escrow/funded, escrow/paid). apply records them when they name
//    the transaction the record defines, but a claim never closes an escrow on its own word unless the payout it
//    names is fully signed in the record (anyone can broadcast it), and each party's engine checks its own node.
import b4a from 'b4a'
import { OP, LIMITS, type Op, type JobRecord, type EscrowRecord, type EscrowParty, type MarketSettings, type Status, type PaidClaim } from '../schema.js'
import { addHistory } from '../job/state.js'
import { sigOf, pairOf, roleIn, agreedPayout, cancelAllowed, lateCancelDue, releaseDue, shipBy, rulingAllowed, rulingPrinterPct, isCompressedKey, isP2wpkh, isStandardPayout, pickIndex } from '../escrow/record.js'
import { escrowContext, MAX_MEDIATOR_FEE_PCT } from '../escrow/context.js'
import { verifySig, unpayablePath, keyBound } from '../escrow/verify.js'
import { escrowAmounts } from '../escrow/amounts.js'
import { MIN_FEE_RATE, WEIGHT, feeForWeight, fundingSharedShare } from '../escrow/fees.js'
import { MAX_TIME_MS } from '../codec.js'
import { milestonesOf, unpayableMilestones, releasePending, releaseCompletable } from '../escrow/milestones.js'
import { releaseStep } from './release-apply.js'
import type { MarketNow } from './clock.js'

export type Step = { next: JobRecord, clientOpenDelta: number } | null

export function checkParty (e: EscrowParty): boolean {
  if (!isCompressedKey(e.pubkey)) return false
  if (!isP2wpkh(e.payoutScript) || !isP2wpkh(e.changeScript)) return false
  if (e.inputs.length < 1) return false
  if (!(e.feeRate >= MIN_FEE_RATE && e.feeRate <= LIMITS.maxFeeRate)) return false
  const seen = new Set<string>()
  for (const c of e.inputs) {
    if (!isP2wpkh(c.script) || c.valueSats < 1) return false
    const k = b4a.toString(c.txid, 'hex') + ':' + c.vout
    if (seen.has(k)) return false
    seen.add(k)
  }
  return true
}

// The record keeps a party's fields, not the proof that came with them.
function party (e: EscrowParty): EscrowParty {
  return { pubkey: e.pubkey, payoutScript: e.payoutScript, changeScript: e.changeScript, inputs: e.inputs, feeRate: e.feeRate }
}

function inputSats (e: EscrowParty): bigint {
  let sum = 0n
  for (const c of e.inputs) sum += BigInt(c.valueSats)
  return sum
}

// The printer's side of an accept: the settings in force now are copied into the record, and every payout path
// must be payable at the printer's fee rate (otherwise a ruling or a split could never be built, and the
// arbitrator could not rule).
export function acceptEscrow (job: JobRecord, e: EscrowParty, author: Uint8Array, at: number, s: MarketSettings): EscrowRecord | null {
  if (s.arbitrators.length === 0) return null // no third key: no escrow can be built
  if (at + s.fundingTimeoutSecs * 1000 > MAX_TIME_MS) return null // its lapse must be a time an op can state
  if (!checkParty(e) || !keyBound(e.pubkey, e.keyProof, job.id, author, 'printer')) return null
  let amounts
  try {
    amounts = escrowAmounts({ bountySats: BigInt(job.bountySats), depositPct: BigInt(s.depositPct) })
  } catch {
    return null
  }
  // its coins cover its deposit and its share of the funding's fee (or the client could never build the funding)
  if (inputSats(e) < amounts.printerIn + feeForWeight(e.inputs.length * WEIGHT.p2wpkhInput, e.feeRate) + fundingSharedShare('printer', e.feeRate)) return null
  if (unpayablePath({ bountySats: job.bountySats, depositPct: s.depositPct, arbitrationFeePct: s.arbitrationFeePct, feeRate: e.feeRate, maxMediatorFeePct: MAX_MEDIATOR_FEE_PCT }) !== null) return null
  if (unpayableMilestones(amounts.bountySats, milestonesOf(job), e.feeRate) !== null) return null
  const arb = s.arbitrators[pickIndex(job.id, s.arbitrators.length)]
  if (b4a.equals(arb.pubkey, e.pubkey) || b4a.equals(arb.id, author) || b4a.equals(arb.id, job.client)) return null
  return {
    arbitrator: arb.id,
    arbitratorPubkey: arb.pubkey,
    depositPct: s.depositPct,
    arbitrationFeePct: s.arbitrationFeePct,
    fundingDepth: s.fundingDepth,
    fundingTimeoutSecs: s.fundingTimeoutSecs,
    refundDelayBlocks: s.refundDelayBlocks,
    acceptedAt: at,
    printer: party(e),
    client: null,
    sigs: [],
    fundingTxid: null,
    ruling: null,
    closed: null
  }
}

// Whether the signature that is due next in the funding is the printer's (then a lapse is the printer's doing).
function printerStalled (e: EscrowRecord): boolean {
  if (e.client === null) return false
  if (sigOf(e, 'refund', 'printer') === undefined) return true
  return sigOf(e, 'refund', 'client') !== undefined && sigOf(e, 'funding', 'client') !== undefined && sigOf(e, 'funding', 'printer') === undefined
}

function lapseAt (e: EscrowRecord): number {
  return e.acceptedAt + e.fundingTimeoutSecs * 1000
}

export function escrowStep (job: JobRecord, op: Op, author: Uint8Array, now: MarketNow): Step {
  const e = job.escrow ?? null
  if (e === null || e.closed !== null) return null
  const role = roleIn(job, author)
  const next: JobRecord = { ...job, updatedAt: op.at, history: job.history.slice() }
  const note = (n: string): void => addHistory(next, { action: op.type, from: job.status, to: job.status, by: author, at: op.at, note: n })
  const move = (to: Status, n = ''): void => {
    addHistory(next, { action: op.type, from: job.status, to, by: author, at: op.at, note: n })
    next.status = to
  }
  switch (op.type) {
    case OP.ESCROW_PROPOSE: {
      if (role !== 'client' || job.status !== 'accepted' || e.client !== null) return null
      const p = op.escrow
      if (!checkParty(p) || p.lockHeight < 1 || !keyBound(p.pubkey, p.keyProof, job.id, author, 'client')) return null
      // the printer chose its coins for its own fee rate: the funding may pay less, never more; and on a deal with a
      // ship-by time not less than half (a funding left waiting for a block would eat the printer's time to ship)
      if (p.feeRate > e.printer.feeRate) return null
      if (shipBy(job) !== null && p.feeRate * 2 < e.printer.feeRate) return null
      if (b4a.equals(p.pubkey, e.printer.pubkey) || b4a.equals(p.pubkey, e.arbitratorPubkey)) return null
      for (const c of p.inputs) {
        if (e.printer.inputs.some(q => b4a.equals(q.txid, c.txid) && q.vout === c.vout)) return null
      }
      next.escrow = { ...e, client: { ...party(p), lockHeight: p.lockHeight } }
      try {
        escrowContext(next) // the funding, and with it every payout, must build from the record
      } catch {
        return null
      }
      note('')
      return { next, clientOpenDelta: 0 }
    }
    case OP.ESCROW_SIGN: {
      // the arbitrator signs only one thing here: the cancel of a printer past its ship-by time (lateCancelDue)
      if (role === null && op.kind === 'cancel' && b4a.equals(author, e.arbitrator)) {
        if (!lateCancelDue(job, now) || releasePending(job, now)) return null
        const sig = verifySig(job, 'cancel', 'arbitrator', op.psbt)
        if (sig === null) return null
        next.escrow = { ...e, sigs: [...e.sigs, sig] }
        note('cancel: the printer is past its ship-by time')
        return { next, clientOpenDelta: 0 }
      }
      // and the complete payout the printer signed with its ship, once the client's delivery window has passed
      // without a dispute (releaseDue): the payout is then fully signed, the job completed
      if (role === null && op.kind === 'complete' && b4a.equals(author, e.arbitrator)) {
        if (!releaseDue(job, now)) return null
        const sig = verifySig(job, 'complete', 'arbitrator', op.psbt)
        const theirs = sigOf(e, 'complete', 'printer')
        if (sig === null || theirs === undefined || !b4a.equals(sig.txid, theirs.txid)) return null
        next.escrow = { ...e, sigs: [...e.sigs, sig], closed: { kind: 'complete', txid: sig.txid } }
        move('completed', 'complete: the delivery window ended without a dispute')
        return { next, clientOpenDelta: 0 }
      }
      // and its ruling once more, when a release put out after it moved the escrow to the next stage (the decision
      // stays in the record; its signature on the old stage's output was dropped)
      if (role === null && op.kind === 'ruling' && b4a.equals(author, e.arbitrator)) {
        if (job.status !== 'disputed' || e.ruling === null || (job.dispute != null && job.dispute.ruling === null) || sigOf(e, 'ruling', 'arbitrator') !== undefined) return null
        const sig = verifySig(job, 'ruling', 'arbitrator', op.psbt)
        if (sig === null) return null
        next.escrow = { ...e, sigs: [...e.sigs, sig] }
        note('ruling signed again on the output the release left locked')
        return { next, clientOpenDelta: 0 }
      }
      if (op.kind === 'release' || op.kind === 'next-refund') return releaseStep(job, next, e, op.kind, op.psbt, role, note, now)
      if (role === null || sigOf(e, op.kind, role) !== undefined) return null // a party's first signature of a kind is final
      let ok = false
      if (op.kind === 'refund') ok = job.status === 'accepted' && e.client !== null
      // the funding is signed only once both have signed the refund: money is never locked without a way back
      else if (op.kind === 'funding') ok = job.status === 'accepted' && pairOf(e, 'refund') !== null
      else if (op.kind === 'cancel') ok = cancelAllowed(job) && sigOf(e, 'complete', 'client') === undefined && !releasePending(job, now)
      // a party countersigns the arbitrator's ruling: then anyone can broadcast it
      // the printer signs its completion payout again when a release put out after its ship voided the first
      else if (op.kind === 'complete') ok = role === 'printer' && job.status === 'shipped'
      else if (op.kind === 'ruling') ok = job.status === 'disputed' && e.ruling !== null && sigOf(e, 'ruling', 'arbitrator') !== undefined && agreedPayout(job) === null
      if (!ok) return null
      const sig = verifySig(job, op.kind, role, op.psbt)
      if (sig === null) return null
      next.escrow = { ...e, sigs: [...e.sigs, sig] }
      if (op.kind === 'cancel' && role === 'client') next.cancelVoided = 0
      note(op.kind)
      return { next, clientOpenDelta: 0 }
    }
    case OP.ESCROW_FUNDED: {
      // a claim: each engine checks the funding on its own node before it acts on an active job
      if (role === null || job.status !== 'accepted' || pairOf(e, 'refund') === null) return null
      const f = pairOf(e, 'funding')
      if (f === null || !b4a.equals(f[0].txid, op.txid)) return null
      next.escrow = { ...e, fundingTxid: op.txid }
      move('active')
      return { next, clientOpenDelta: 0 }
    }
    case OP.ESCROW_PAID:
      return paid(job, next, e, op, role, move, note, now)
    case OP.JOB_LAPSE:
      return lapse(job, next, e, now, role, move)
    case OP.DISPUTE_RULING: {
      // the arbitrator's winner-takes-all ruling of schema v3 (dispute/rule replaces it)
      if (job.status !== 'disputed' || !b4a.equals(author, e.arbitrator) || e.ruling !== null || e.fundingTxid === null || !rulingAllowed(job)) return null
      if (!isStandardPayout(op.feeScript)) return null
      const pct = op.winner === 'printer' ? 100 : 0
      const ruling = { winner: op.winner, feeScript: op.feeScript }
      const ruled: JobRecord = { ...job, escrow: { ...e, ruling }, dispute: job.dispute == null ? null : { ...job.dispute, ruling: { printerPct: pct, note: '', at: op.at } } }
      const sig = verifySig(ruled, 'ruling', 'arbitrator', op.psbt)
      if (sig === null) return null
      next.escrow = { ...e, ruling, sigs: [...e.sigs, sig] }
      note(op.winner)
      return { next, clientOpenDelta: 0 }
    }
  }
  return null
}

// job/lapse: accepted → open when the funding is not signed by both by the funding timeout (in market time). Not once it is (it is funded or will be
// refunded), and not by the printer once the client signed its funding inputs (the printer could complete the
// funding alone, then walk away from the record of it).
function lapse (job: JobRecord, next: JobRecord, e: EscrowRecord, now: MarketNow, role: 'client' | 'printer' | null, move: (to: Status, n?: string) => void): Step {
  if (role === null || job.status !== 'accepted' || !now.passed(e.acceptedAt, e.fundingTimeoutSecs * 1000)) return null
  if (pairOf(e, 'funding') !== null) return null
  if (role === 'printer' && sigOf(e, 'funding', 'client') !== undefined) return null
  move('open')
  next.printer = null
  next.escrow = null
  next.claims = []
  if (printerStalled(e) && job.printer !== null) next.leavers = [...job.leavers, job.printer].slice(-LIMITS.leavers)
  return { next, clientOpenDelta: 1 }
}

// escrow/paid. A payout fully signed in the record (cancel, split, a countersigned ruling) closes the job: whoever
// claims it, the transaction is the agreed one and any party can broadcast it. The refund is signed by both before
// the funding, so its being signed proves nothing about the chain: one party's claim is recorded, and the job
// closes only on both parties' claims; in `accepted` one party's claim is taken as its job/lapse, if that would be.
function paid (job: JobRecord, next: JobRecord, e: EscrowRecord, op: Extract<Op, { type: typeof OP.ESCROW_PAID }>, role: 'client' | 'printer' | null, move: (to: Status, n?: string) => void, note: (n: string) => void, now: MarketNow): Step {
  if (role === null) return null
  const agreed = agreedPayout(job)
  if (op.kind === 'cancel' || op.kind === 'split' || op.kind === 'ruling') {
    // a printer holding back its completion of the client's release could close the record on its own word, then put
    // the release out and void that payout: while it can, only the client's claim closes (the client's engine relays
    // the release instead when it is the release the chain took)
    if (role === 'printer' && releaseCompletable(job)) return null
    if (agreed === null || agreed.kind !== op.kind || !b4a.equals(agreed.sigs[0].txid, op.txid) || job.status === 'accepted') return null
    if (op.kind === 'split' && job.dispute?.stage !== 'settled') return null
    let pct = 0
    if (op.kind === 'split') pct = job.dispute?.proposal?.printerPct ?? 0
    if (op.kind === 'ruling') pct = rulingPrinterPct(job) ?? 0
    next.escrow = { ...e, closed: { kind: op.kind, txid: op.txid } }
    move(op.kind === 'cancel' ? 'cancelled' : pct >= 50 ? 'completed' : 'cancelled', op.kind === 'cancel' ? 'cancel' : `${op.kind}: printer ${pct} %`)
    return { next, clientOpenDelta: 0 }
  }
  if (op.kind !== 'refund') return null // complete is recorded by job/complete, with the client's signature
  const pair = pairOf(e, 'refund')
  if (pair === null || !b4a.equals(pair[0].txid, op.txid)) return null
  if (!['accepted', 'active', 'shipped', 'disputed'].includes(job.status)) return null
  // while a release is held the printer may complete it: a refund claim (which closes releases) waits
  if (releasePending(job, now)) return null
  if (job.claims.some(x => x.kind === 'refund' && x.role === role)) return null
  const claims: PaidClaim[] = [...job.claims, { kind: 'refund', role, txid: op.txid }]
  const both = claims.some(x => x.kind === 'refund' && x.role === 'client') && claims.some(x => x.kind === 'refund' && x.role === 'printer')
  next.claims = claims
  if (both) {
    next.escrow = { ...e, closed: { kind: 'refund', txid: op.txid } }
    move('cancelled', 'refund')
    return { next, clientOpenDelta: 0 }
  }
  // in `accepted`, one party's word is worth what job/lapse is and does what it does (the engines still watch the
  // chain, and the kept refunds bring the money home)
  if (job.status === 'accepted') {
    const lapsed = lapse(job, next, e, now, role, move)
    if (lapsed !== null) return lapsed
  }
  note(`refund claimed by the ${role}`)
  return { next, clientOpenDelta: 0 }
}
