// Milestones: the money of a job whose bounty is split into parts (lib/schema/milestones.ts). Pure: no chain, no clock.
//
//   released(s) = floor(bounty × (pct₁ + … + pct_s) / 100)   what the first s releases paid out of the bounty
//   part(k)     = released(k) − released(k − 1)               the k-th part (1-based); the last is what completion pays
//   stage s     = releases done (0 … n − 1): the escrow output then holds total − released(s), the deposits whole
//
// A release of part s + 1 spends the stage-s escrow output into
//   [0] the same 2-of-3 escrow script, exactly total − released(s + 1)   (the stage s + 1 output)
//   [1] the printer's payout script, part(s + 1) − fee                   (the printer pays the release's miner fee)
// version 2, nLockTime 0, sequence 0xffffffff (the next refund spends this txid; a stuck release is bumped by CPFP
// from the printer's output). Every payout of stage s (complete, cancel, refund, split, ruling) is the ordinary one of
// amounts.ts with the bounty replaced by what is still locked (stageAmounts): a cancel or a ruling applies only to
// that. Each stage's refund keeps the lock height the parties signed before the funding.
import * as bitcoin from 'bitcoinjs-lib'
import type { JobRecord, Milestone } from '../schema.js'
import { DUST_SATS, type EscrowAmounts } from './amounts.js'
import { SEQUENCE_FUNDING, TX_VERSION, outputScriptFor, type EscrowUtxo } from './psbt.js'
import { WEIGHT, effectiveFeeRate, feeForVsize, outputWeight, txOverheadWeight, vsizeOf } from './fees.js'
import { bytesEqual, p2wshOutputScript, parseEscrowScript } from './script.js'
import { BAD_ESCROW, ESCROW_AMOUNTS } from '../errors.js'

// A release: one escrow input, the escrow output (P2WSH, 34-byte script) and the printer's P2WPKH output.
export const RELEASE_WEIGHT = txOverheadWeight(1, 2) + WEIGHT.escrowInput + outputWeight(new Uint8Array(34)) + outputWeight(new Uint8Array(22))

export function milestonesOf (job: Pick<JobRecord, 'milestones'>): Milestone[] {
  return job.milestones ?? []
}

// Releases done: the escrow's stage.
export function stageOf (job: Pick<JobRecord, 'releases'>): number {
  return job.releases?.length ?? 0
}

// Releases a job can have at all: every part but the last (which completion pays).
export function releasesPlanned (job: Pick<JobRecord, 'milestones'>): number {
  const n = milestonesOf(job).length
  return n >= 2 ? n - 1 : 0
}

// What the first `stage` releases paid out of the bounty.
export function releasedSats (bountySats: bigint, list: Milestone[], stage: number): bigint {
  if (stage <= 0 || list.length === 0) return 0n
  let pct = 0
  for (let i = 0; i < Math.min(stage, list.length); i++) pct += list[i].pct
  return bountySats * BigInt(pct) / 100n
}

// What is still locked of the job's bounty: all of it before any release.
export function lockedBountySats (job: Pick<JobRecord, 'bountySats' | 'milestones' | 'releases'>): number {
  return job.bountySats - Number(releasedSats(BigInt(job.bountySats), milestonesOf(job), stageOf(job)))
}

// The k-th part (1-based).
export function partSats (bountySats: bigint, list: Milestone[], k: number): bigint {
  return releasedSats(bountySats, list, k) - releasedSats(bountySats, list, k - 1)
}

// The amounts of a stage: the bounty is what is still locked, the deposits are whole, the output holds the rest.
export function stageAmounts (a: EscrowAmounts, released: bigint): EscrowAmounts {
  if (released < 0n || released > a.bountySats) throw ESCROW_AMOUNTS(`${released} sats released of a ${a.bountySats}-sat bounty`)
  if (released === 0n) return a
  const bountySats = a.bountySats - released
  return { ...a, bountySats, clientIn: bountySats + a.clientDepositSats, total: a.total - released }
}

export interface ReleaseParams {
  escrow: EscrowUtxo // the stage's escrow output
  amounts: EscrowAmounts // the stage's amounts
  partSats: bigint // the part this release pays
  printerAddress: string
  feeRate: number
  network: bitcoin.Network
}

export interface ReleasePlan {
  feeSats: bigint
  printerSats: bigint
  lockedSats: bigint // the next stage's escrow output
  vsize: number
}

export function releaseFee (feeRate: number): bigint {
  return feeForVsize(RELEASE_WEIGHT, effectiveFeeRate(feeRate))
}

// Why a part cannot be released at this fee rate (the printer's output would be dust), or null.
export function unpayableRelease (part: bigint, feeRate: number): string | null {
  const fee = releaseFee(feeRate)
  return part - fee < DUST_SATS ? `a part of ${part} sats leaves the printer ${part - fee} sats after the release's ${fee}-sat miner fee, below the dust limit of ${DUST_SATS} sats` : null
}

export function buildRelease (p: ReleaseParams): { psbt: bitcoin.Psbt, plan: ReleasePlan } {
  if (parseEscrowScript(p.escrow.script.witnessScript) === null || !bytesEqual(p.escrow.script.outputScript, p2wshOutputScript(p.escrow.script.witnessScript))) {
    throw BAD_ESCROW('the escrow script is not a well-formed 2-of-3 escrow')
  }
  if (p.escrow.valueSats !== p.amounts.total) throw BAD_ESCROW(`the escrow output holds ${p.escrow.valueSats} sats but the stage's amounts add up to ${p.amounts.total} sats`)
  if (p.partSats <= 0n || p.partSats >= p.amounts.bountySats) throw BAD_ESCROW('nothing to release: the part is not less than what is locked')
  const feeSats = releaseFee(p.feeRate)
  const why = unpayableRelease(p.partSats, p.feeRate)
  if (why !== null) throw ESCROW_AMOUNTS(why)
  const lockedSats = p.amounts.total - p.partSats
  const printerSats = p.partSats - feeSats
  const psbt = new bitcoin.Psbt({ network: p.network })
  psbt.setVersion(TX_VERSION)
  psbt.setLocktime(0)
  psbt.addInput({
    hash: p.escrow.txid.toLowerCase(),
    index: p.escrow.vout,
    sequence: SEQUENCE_FUNDING,
    witnessUtxo: { script: p.escrow.script.outputScript, value: p.escrow.valueSats },
    witnessScript: p.escrow.script.witnessScript
  })
  psbt.addOutput({ script: p.escrow.script.outputScript, value: lockedSats })
  psbt.addOutput({ script: outputScriptFor(p.printerAddress, p.network), value: printerSats })
  if (lockedSats + printerSats + feeSats !== p.escrow.valueSats) throw new Error('invariant: a release does not balance')
  return { psbt, plan: { feeSats, printerSats, lockedSats, vsize: vsizeOf(RELEASE_WEIGHT) } }
}

// Why the bounty's parts cannot all be released at this fee rate, or null (checked at the accept, with the other
// payout paths: a milestone whose release could never be built would hold the printer's part until completion).
export function unpayableMilestones (bountySats: bigint, list: Milestone[], feeRate: number): string | null {
  for (let k = 1; k < list.length; k++) {
    const why = unpayableRelease(partSats(bountySats, list, k), feeRate)
    if (why !== null) return `milestone ${k} ("${list[k - 1].label}"): ${why}`
  }
  return null
}

// How long, in market time, a client's ask for a release holds the job (RELEASE_HOLD_MS from the ask).
export const RELEASE_HOLD_MS = 30 * 60_000
// Neither side's engine signs its release with less than this left of the hold: an op is ordered some time after it
// is written, and one ordered after the hold can be refused while its signature stays readable in the log.
export const RELEASE_SIGN_MARGIN_MS = 5 * 60_000
// Asks a client may make for one stage: each holds the printer's ship and dispute for a while, so a client cannot
// hold them for ever by asking again and again.
export const RELEASE_ASKS = 3
// A release is neither asked for nor completed by an engine this close to the refund's lock height (blocks): a
// release and the stage's refund are both valid from there, and the refund could win.
export const RELEASE_MARGIN_BLOCKS = 6

type Held = Pick<JobRecord, 'escrow' | 'releaseAskedAt'>
type Now = { passed: (start: number, ms: number) => boolean }

// The client asked for the release of this stage (its next-refund signature, the first thing it signs for it) and
// the printer has not completed it, within RELEASE_HOLD_MS of market time of the ask. Meanwhile apply takes nothing
// that would spend the same output (a cancel, a ship, a dispute, a refund claim): the client signs its release only
// once its ask is confirmed, so no ship or dispute can be ordered between them and void the release the printer can
// then put out; and the printer's completing signature always counts. Past the hold an ask without the printer's
// completion no longer holds anything: a client that asked and vanished, or a printer that never completed, stop
// nobody.
export function releasePending (job: Held, now: Now): boolean {
  const e = job.escrow ?? null
  if (e == null || e.closed !== null) return false
  if (!e.sigs.some(s => s.kind === 'next-refund' && s.role === 'client')) return false
  if (e.sigs.some(s => s.kind === 'release' && s.role === 'printer')) return false
  return !now.passed(job.releaseAskedAt ?? 0, RELEASE_HOLD_MS)
}

// The client's release of this stage is in and the printer's completing signature is not: apply takes that
// signature whenever it comes and whoever writes it (the printer, or a party that read it from the release on
// chain), as long as no payout of the stage closed the escrow. On chain the release is valid from the moment the
// printer adds its signature, whatever the record says; so the record follows it to the next stage rather than hold
// a cancel, a split or a ruling the release has made void (those are signed again on the next stage's output).
export function releaseCompletable (job: Pick<JobRecord, 'escrow' | 'milestones' | 'releases'>): boolean {
  const e = job.escrow ?? null
  if (e == null || e.client === null || e.fundingTxid === null || e.closed !== null || stageOf(job) >= releasesPlanned(job)) return false
  if (!e.sigs.some(s => s.kind === 'release' && s.role === 'client')) return false
  return !e.sigs.some(s => s.kind === 'release' && s.role === 'printer')
}

// Whether a release may be signed now: a job with parts left to release, funded and active (not shipped, not
// disputed), nothing closed, nobody's cancel signature in (a release would make it void), no refund claimed.
export function releaseOpen (job: Pick<JobRecord, 'status' | 'escrow' | 'milestones' | 'releases' | 'claims'>): boolean {
  const e = job.escrow ?? null
  if (e === null || e.client === null || e.fundingTxid === null || e.closed !== null || job.status !== 'active') return false
  if (stageOf(job) >= releasesPlanned(job)) return false
  if (e.sigs.some(s => s.kind === 'cancel' || s.kind === 'complete' || s.kind === 'split' || s.kind === 'ruling')) return false
  return !job.claims.some(c => c.kind === 'refund')
}
