// Reading a job's escrow record: who is who, which signatures it holds, what the dispute allows. Pure functions on
// the record, shared by the reducers (lib/market/apply.ts, lib/disputes/apply.ts) and the escrow engine.
import b4a from 'b4a'
import * as bitcoin from 'bitcoinjs-lib'
import type { JobRecord, EscrowRecord, EscrowSig, SignKind, SignerRole } from '../schema.js'

export type PartyRole = 'client' | 'printer'

export function sigOf (e: EscrowRecord, kind: SignKind, role: SignerRole): EscrowSig | undefined {
  return e.sigs.find(s => s.kind === kind && s.role === role)
}

// Both parties' signatures of a kind, when they are for the same transaction. The arbitrator's signature stands in
// for one party's in two cases only, each checked in apply: a cancel of a printer past its ship-by time
// (lateCancelDue: the client's and the arbitrator's) and the complete payout once the client's delivery window
// has passed without a dispute (releaseDue: the printer's and the arbitrator's).
export function pairOf (e: EscrowRecord, kind: SignKind): [EscrowSig, EscrowSig] | null {
  const arb = kind === 'cancel' || kind === 'complete' ? sigOf(e, kind, 'arbitrator') : undefined
  const c = sigOf(e, kind, 'client') ?? (kind === 'complete' ? arb : undefined)
  const p = sigOf(e, kind, 'printer') ?? (kind === 'cancel' ? arb : undefined)
  if (c === undefined || p === undefined || !b4a.equals(c.txid, p.txid)) return null
  return [c, p]
}

// A deal made with a lead time (an accepted quote's, lib/market/quotes.ts) has a ship-by time in market time: the
// funding timeout from the acceptance, then the lead time, then SHIP_GRACE_DAYS. Past it, a job still not shipped
// can be cancelled by the client alone: the arbitrator's engine co-signs the cancel in the printer's place (no
// judgment: the record and market time say it is due). null: no lead time was agreed, no ship-by time.
export const SHIP_GRACE_DAYS = 3
const DAY_MS = 86_400_000

export function shipBy (job: Pick<JobRecord, 'escrow' | 'leadDays'>): number | null {
  const e = job.escrow ?? null
  const lead = job.leadDays ?? 0
  if (e === null || lead <= 0) return null
  return e.acceptedAt + e.fundingTimeoutSecs * 1000 + (lead + SHIP_GRACE_DAYS) * DAY_MS
}

// Whether the arbitrator may co-sign the client's cancel now: the job is funded and not shipped, its ship-by time
// has passed in market time, the client signed the cancel and the printer did not (and nothing else settled it).
export function lateCancelDue (job: Pick<JobRecord, 'status' | 'escrow' | 'leadDays' | 'cancelVoided'>, now: Passed): boolean {
  const e = job.escrow ?? null
  return e !== null && lateCancelOpen(job, now) && sigOf(e, 'cancel', 'client') !== undefined && sigOf(e, 'cancel', 'printer') === undefined && sigOf(e, 'cancel', 'arbitrator') === undefined
}

// Past ship-by, unshipped, the client's cancel in (or voided by a release the printer put out late, until the client
// signs it again): from here apply takes no ship and no dispute from either side, so nothing ordered after the
// arbitrator's signature (which the chain accepts whatever apply says) can contradict it.
export function lateCancelOpen (job: Pick<JobRecord, 'status' | 'escrow' | 'leadDays' | 'cancelVoided'>, now: Passed): boolean {
  const e = job.escrow ?? null
  const by = shipBy(job)
  if (e === null || by === null || job.status !== 'active' || e.fundingTxid === null || e.closed !== null || now.clocked === false) return false
  return now.passed(e.acceptedAt, by - e.acceptedAt) && (sigOf(e, 'cancel', 'client') !== undefined || (job.cancelVoided ?? 0) > 0)
}

// Market time as apply and the engines read it (lib/market/clock.ts MarketNow); clocked false: a market without a
// clock, where the time is an op's own and no deadline lets one side act alone.
type Passed = { passed: (start: number, ms: number) => boolean, clocked?: boolean }

// The client's delivery window: a deal accepted with one (schema v9: the market's `deliveryDays`, copied at the
// accept) and shipped has a release time, shippedAt (market time at the ship) + the window. null: no window.
export function releaseAt (job: Pick<JobRecord, 'deliveryDays' | 'shippedAt'>): number | null {
  const days = job.deliveryDays ?? 0
  const at = job.shippedAt ?? 0
  return days <= 0 || at <= 0 ? null : at + days * DAY_MS
}

// Whether the window is over: the client may no longer dispute the shipped job, and the printer's payout is due.
export function windowOver (job: Pick<JobRecord, 'status' | 'deliveryDays' | 'shippedAt'>, now: Passed): boolean {
  const at = releaseAt(job)
  return job.status === 'shipped' && at !== null && now.clocked !== false && now.passed(job.shippedAt ?? 0, at - (job.shippedAt ?? 0))
}

// Whether the arbitrator may co-sign the complete payout in the client's place: shipped, funded, the window over, the
// printer's signature in (it came with the ship), neither the client's nor an earlier arbitrator's.
export function releaseDue (job: Pick<JobRecord, 'status' | 'escrow' | 'deliveryDays' | 'shippedAt'>, now: Passed): boolean {
  const e = job.escrow ?? null
  if (e === null || e.fundingTxid === null || e.closed !== null || !windowOver(job, now)) return false
  return sigOf(e, 'complete', 'printer') !== undefined && sigOf(e, 'complete', 'client') === undefined && sigOf(e, 'complete', 'arbitrator') === undefined
}

// The client or the printer of the job, or null for anyone else.
export function roleIn (job: Pick<JobRecord, 'client' | 'printer'>, author: Uint8Array): PartyRole | null {
  if (b4a.equals(job.client, author)) return 'client'
  if (job.printer !== null && b4a.equals(job.printer, author)) return 'printer'
  return null
}

export function isCompressedKey (k: Uint8Array): boolean {
  return k.byteLength === 33 && (k[0] === 0x02 || k[0] === 0x03)
}

export function isP2wpkh (s: Uint8Array): boolean {
  return s.byteLength === 22 && s[0] === 0x00 && s[1] === 0x14
}

// P2WPKH, P2WSH, P2TR (segwit v0/v1 programs of 20 or 32 bytes): what a mediator or arbitrator may be paid to.
export function isStandardPayout (s: Uint8Array): boolean {
  if (s.byteLength === 22) return s[0] === 0x00 && s[1] === 0x14
  if (s.byteLength === 34) return (s[0] === 0x00 || s[0] === 0x51) && s[1] === 0x20
  return false
}

// u32be(sha256(data)) mod n: how a job's arbitrator and mediator are picked, the same on every peer.
export function pickIndex (data: Uint8Array, n: number): number {
  const h = bitcoin.crypto.sha256(data)
  return (((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0) % n
}

// The printer's share of the bounty in the arbitrator's ruling.
export function rulingPrinterPct (job: Pick<JobRecord, 'escrow' | 'dispute'>): number | null {
  const d = job.dispute ?? null
  if (d?.ruling != null) return d.ruling.printerPct
  const r = job.escrow?.ruling ?? null
  return r === null ? null : r.winner === 'printer' ? 100 : 0
}

// Once both sides signed the cancel, its payout can go out at any time: nothing else may settle the escrow.
export function cancelAgreed (job: Pick<JobRecord, 'escrow'>): boolean {
  return job.escrow != null && pairOf(job.escrow, 'cancel') !== null
}

// Client and printer may cancel by agreement (both sign: everyone gets back what they put in) while the job is
// active, or disputed and nothing else has settled it: the way out when the arbitrator (or the mediator) is gone.
export function cancelAllowed (job: Pick<JobRecord, 'status' | 'escrow' | 'dispute'>): boolean {
  if (job.status === 'active') return true
  if (job.status !== 'disputed') return false
  const d = job.dispute ?? null
  return (job.escrow?.ruling ?? null) === null && (d === null || d.stage === 'mediation' || d.stage === 'proposed' || d.stage === 'arbitration')
}

// Whether the arbitrator may rule now: a disputed job without a dispute record (logs from before v4), or one whose
// mediation has ended without agreement, and not once both sides signed the cancel.
export function rulingAllowed (job: Pick<JobRecord, 'escrow' | 'dispute'>): boolean {
  const d = job.dispute ?? null
  return (d === null || d.stage === 'arbitration') && !cancelAgreed(job)
}

// The payout every signer of the record has agreed to, when it is complete (anyone may broadcast it): the complete
// payout both signed, the cancel or split pair, or the arbitrator's ruling countersigned by a party. At most one
// exists (apply refuses a second); null when none.
export function agreedPayout (job: Pick<JobRecord, 'escrow' | 'dispute'>): { kind: 'complete' | 'cancel' | 'split' | 'ruling', sigs: EscrowSig[] } | null {
  const e = job.escrow ?? null
  if (e === null) return null
  for (const kind of ['complete', 'cancel', 'split'] as const) {
    const pair = pairOf(e, kind)
    if (pair !== null) return { kind, sigs: pair }
  }
  const arb = sigOf(e, 'ruling', 'arbitrator')
  if (arb !== undefined && e.ruling !== null) {
    const party = sigOf(e, 'ruling', 'client') ?? sigOf(e, 'ruling', 'printer')
    if (party !== undefined && b4a.equals(party.txid, arb.txid)) return { kind: 'ruling', sigs: [arb, party] }
  }
  return null
}
