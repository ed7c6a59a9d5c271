// Milestone releases in apply (schema v10, lib/escrow/milestones.ts). Two signature kinds reach it, each from the
// client or the printer only, each verified against the transaction every peer rebuilds from the record:
//  - 'next-refund': the refund of the output the next release leaves locked (the same lock height as the funding's
//    refund). Both are in before the release pair can be complete: money is never locked without a way back.
//  - 'release': the release of the next part. When both are in, the release is fully signed (anyone can broadcast
//    it) and the escrow moves to the next stage: the release pair and the stage's refund pair go into
//    job.releases, the next-refund pair becomes the stage's refund, and every later payout is rebuilt on the output
//    the release leaves locked.
// Order: the printer's next refund (its engine signs it by itself), then the client's (its ask: from there the job is
// held, releasePending), then, once its ask is confirmed, the client's release, then the printer's (the payee signs
// last, so the client never holds a release it could complete alone later). Only while releaseOpen: funded, active
// (not shipped, not disputed), parts left, nobody's cancel in, no refund claimed. While the hold lasts apply takes no
// cancel, ship, dispute or refund claim: nothing that spends the same output can be ordered between the client's
// release and the printer's. An ask whose hold passed without the printer's completion may be made again (the
// client's next refund, signed anew; its release, if in, stays), up to RELEASE_ASKS asks a stage.
// The printer's completing signature counts whenever releaseCompletable (the client's release in, nothing closed):
// as the printer's own op inside the hold, after that only relayed by the client from the release it saw confirmed
// on chain (its signature taken with any hash type there: the client's SIGHASH_ALL one fixes the transaction). A
// release is valid on chain whatever the record says, so the record follows it to the next stage: the stage's
// cancel, split, ruling and complete signatures it made void are dropped, the arbitrator signs its ruling again on
// the next stage's output, an agreed split goes to the arbitrator, the client's cancel is signed again by its engine
// and stands meanwhile (cancelVoided).
import b4a from 'b4a'
import type { JobRecord, EscrowRecord, SignKind } from '../schema.js'
import { sigOf } from '../escrow/record.js'
import { verifySig } from '../escrow/verify.js'
import { releaseOpen, releasePending, releaseCompletable, RELEASE_ASKS, stageOf, partSats, milestonesOf } from '../escrow/milestones.js'
import type { MarketNow } from './clock.js'
import type { Step } from './escrow-apply.js'

export function releaseStep (job: JobRecord, next: JobRecord, e: EscrowRecord, kind: SignKind, psbt: Uint8Array, role: 'client' | 'printer' | null, note: (n: string) => void, now: MarketNow): Step {
  if (role === null || now.clocked === false) return null
  const client = sigOf(e, 'release', 'client') !== undefined
  const asked = sigOf(e, 'next-refund', 'client') !== undefined
  let again = false // the client asks again: its ask's hold passed without its release
  // the printer's completion: its own op, or the client's relay of the signature read from the release on chain
  const completes = kind === 'release' && (role === 'printer' || (role === 'client' && client))
  if (completes) {
    if (!releaseCompletable(job)) return null
    // the printer's own op only inside the hold (where its engine signs): after that only the client's relay of the
    // release it saw on chain moves the record (a completion the printer kept back could otherwise move it past a
    // payout the chain already took, a refund from the lock height included, to a stage whose output never exists)
    if (role === 'printer' && !releasePending(job, now)) return null
  } else {
    if (!releaseOpen(job)) return null
    if (kind === 'next-refund' && role === 'printer' && sigOf(e, kind, role) !== undefined) return null
    if (kind === 'next-refund' && role === 'client') {
      // an ask again after a lapsed hold, the client's release in or not (a printer offline through the hold completes
      // it in the new one)
      if (sigOf(e, 'next-refund', 'printer') === undefined || (job.releaseAsks ?? 0) >= RELEASE_ASKS) return null
      again = asked
      if (again && releasePending(job, now)) return null
    }
    if (kind === 'release' && (client || !releasePending(job, now))) return null
  }
  const sig = verifySig(job, kind, completes ? 'printer' : role, psbt, { fromChain: completes && role === 'client' })
  if (sig === null) return null
  const sigs = [...e.sigs.filter(s => !(again && s.kind === 'next-refund' && s.role === 'client')), sig]
  const stage = stageOf(job)
  const m = milestonesOf(job)[stage]
  if (!completes) {
    next.escrow = { ...e, sigs }
    if (kind === 'next-refund' && role === 'client') {
      next.releaseAskedAt = now.now
      next.releaseAsks = (job.releaseAsks ?? 0) + 1
    }
    note(kind === 'release' ? `release of milestone ${stage + 1} signed by the client` : `next refund (milestone ${stage + 1}) signed by the ${role}`)
    return { next, clientOpenDelta: 0 }
  }
  // the printer completed the pair: the next stage. Only the funding's signatures carry over; any other payout of
  // the stage spends the output the release spent, so its signatures and refund claims are void.
  const release = sigs.filter(s => s.kind === 'release')
  const refund = sigs.filter(s => s.kind === 'refund')
  const kept = sigs.filter(s => s.kind === 'funding')
  const fresh = sigs.filter(s => s.kind === 'next-refund').map(s => ({ ...s, kind: 'refund' as const }))
  const voided = [...new Set(sigs.filter(s => !['funding', 'refund', 'next-refund', 'release'].includes(s.kind)).map(s => s.kind))]
  next.escrow = { ...e, sigs: [...kept, ...fresh] }
  next.claims = job.claims.filter(c => c.kind !== 'refund')
  next.releaseAskedAt = 0
  next.releaseAsks = 0
  // the client's cancel stands as its word until it signs it again (lateCancelOpen: no ship, no dispute past ship-by)
  if (sigOf(e, 'cancel', 'client') !== undefined) next.cancelVoided = 1
  next.releases = [...(job.releases ?? []), { txid: b4a.from(release[0].txid), sigs: [...release, ...refund] }]
  const d = job.dispute ?? null
  // a split proposed or agreed on the old stage's amounts cannot be paid: the arbitrator decides the rest
  if (d !== null && (d.stage === 'proposed' || d.stage === 'settled')) next.dispute = { ...d, stage: 'arbitration', escalation: 'rejected' }
  const paid = `milestone ${stage + 1} released${m === undefined ? '' : ` ("${m.label}")`}: ${partSats(BigInt(job.bountySats), milestonesOf(job), stage + 1)} sats to the printer`
  note(voided.length === 0 ? paid : `${paid}; the stage's ${voided.join(', ')} signatures are void (they spent the same output)`)
  return { next, clientOpenDelta: 0 }
}
