// Milestone releases in apply (schema v10, lib/escrow/milestones.ts). Two signature kinds reach it, each from the
// client or the printer only, each verified against the transaction every peer rebuilds from the record:
//  - 'next-refund': the refund of the output the next release leaves locked (the same lock height as the funding's
//    refund). Both are in before the release pair can be complete: money is never locked without a way back.
//  - 'release': the release of the next part. When both are in, the release is fully signed (anyone can broadcast
//    it) and the escrow moves to the next stage: the release pair and the stage's refund pair go into
//    job.releases, the next-refund pair becomes the stage's refund, and every later payout is rebuilt on the output
//    the release leaves locked.
// Order: both next refunds, then the client's release, then the printer's (the payee signs last, so the client never
// holds a release it could complete alone later). Only while releaseOpen: funded, active (not shipped, not disputed),
// parts left, nobody's cancel in, no refund claimed. Once the client's release is in (releasePending) apply takes no
// cancel, ship or dispute until the printer completes it: the printer holds a release it can put out at any moment,
// and nothing the view takes meanwhile may spend the same output.
import b4a from 'b4a'
import type { JobRecord, EscrowRecord, SignKind } from '../schema.js'
import { sigOf, pairOf } from '../escrow/record.js'
import { verifySig } from '../escrow/verify.js'
import { releaseOpen, stageOf, partSats, milestonesOf } from '../escrow/milestones.js'
import type { Step } from './escrow-apply.js'

export function releaseStep (job: JobRecord, next: JobRecord, e: EscrowRecord, kind: SignKind, psbt: Uint8Array, role: 'client' | 'printer' | null, note: (n: string) => void): Step {
  if (role === null || sigOf(e, kind, role) !== undefined || !releaseOpen(job)) return null
  // the client signs the release once both next refunds are in; the printer, who is paid by it, signs last: so the
  // client never holds a release it could put out alone after a ship, a cancel or a ruling
  if (kind === 'release' && role === 'client' && pairOf(e, 'next-refund') === null) return null
  if (kind === 'release' && role === 'printer' && sigOf(e, 'release', 'client') === undefined) return null
  const sig = verifySig(job, kind, role, psbt)
  if (sig === null) return null
  const sigs = [...e.sigs, sig]
  const stage = stageOf(job)
  const m = milestonesOf(job)[stage]
  if (kind !== 'release' || role !== 'printer') {
    next.escrow = { ...e, sigs }
    note(kind === 'release' ? `release of milestone ${stage + 1} signed by the client` : `next refund (milestone ${stage + 1}) signed by the ${role}`)
    return { next, clientOpenDelta: 0 }
  }
  // the printer completed the pair: the next stage
  const release = sigs.filter(s => s.kind === 'release')
  const refund = sigs.filter(s => s.kind === 'refund')
  const kept = sigs.filter(s => s.kind !== 'release' && s.kind !== 'refund' && s.kind !== 'next-refund')
  const fresh = sigs.filter(s => s.kind === 'next-refund').map(s => ({ ...s, kind: 'refund' as const }))
  next.escrow = { ...e, sigs: [...kept, ...fresh] }
  next.releases = [...(job.releases ?? []), { txid: b4a.from(release[0].txid), sigs: [...release, ...refund] }]
  note(`milestone ${stage + 1} released${m === undefined ? '' : ` ("${m.label}")`}: ${partSats(BigInt(job.bountySats), milestonesOf(job), stage + 1)} sats to the printer`)
  return { next, clientOpenDelta: 0 }
}
