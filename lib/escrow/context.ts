// Everything a job's escrow record determines, rebuilt the same way by every peer: the amounts, the 2-of-3 script,
// the funding transaction and every payout. apply rebuilds these to check each signature an op carries; the engine
// rebuilds them before it signs anything. Pure: no chain, no clock.
import b4a from 'b4a'
import c from 'compact-encoding'
import * as bitcoin from 'bitcoinjs-lib'
import type { JobRecord, EscrowRecord, EscrowCoin, EscrowSig, ProposeEscrow, SignKind } from '../schema.js'
import { jobIdString } from '../ids.js'
import { escrowAmounts, type EscrowAmounts, type PayoutPath } from './amounts.js'
import { escrowScript, toHex, type EscrowScript } from './script.js'
import {
  buildFunding, buildPayout, fundingTx, addressOf, unsignedTx,
  type FundingParams, type FundingPlan, type PayoutTxParams, type FundingUtxo, type EscrowUtxo
} from './psbt.js'
import type { Expected } from './psbt-check.js'
import { rulingPrinterPct } from './record.js'
import { buildRelease, milestonesOf, partSats, releasedSats, stageAmounts, stageOf, type ReleaseParams } from './milestones.js'
import type { Milestone } from '../schema.js'
import { BAD_ESCROW } from '../errors.js'

// A mediator's fee is at most this % of the bounty.
export const MAX_MEDIATOR_FEE_PCT = 5

// Output scripts are all that a rebuild needs; addresses are only the builders' way of naming them, and any
// network's encoding round-trips a script. apply, which has no network, rebuilds with this one.
export const REBUILD_NETWORK = bitcoin.networks.testnet

export interface EscrowCtx {
  id: string
  job: JobRecord
  e: EscrowRecord
  amounts: EscrowAmounts
  client: ProposeEscrow
  script: EscrowScript
  funding: FundingParams
  fundingPlan: FundingPlan
  fundingTxid: string
  fundingTx: bitcoin.Transaction // unsigned
  fundingPrevouts: Array<{ script: Uint8Array, value: bigint }> // the coin each funding input spends
  escrow: EscrowUtxo // this stage's escrow output: the funding's, or the latest release's
  payout: PayoutTxParams
  // milestones (lib/escrow/milestones.ts): the stage is the releases done; `base` the amounts the funding locked
  stage: number
  base: EscrowAmounts
  milestones: Milestone[]
}

function coinToUtxo (c: EscrowCoin): FundingUtxo {
  return { txid: toHex(c.txid), vout: c.vout, valueSats: BigInt(c.valueSats), scriptPubKeyHex: toHex(c.script) }
}

// Throws BAD_ESCROW / ESCROW_AMOUNTS when the record cannot make a valid escrow (no proposal yet, a bad one).
// `stage` (default: the releases done) rebuilds an earlier stage, e.g. to put out a release still unconfirmed.
export function escrowContext (job: JobRecord, network: bitcoin.Network = REBUILD_NETWORK, stage = stageOf(job)): EscrowCtx {
  const e = job.escrow ?? null
  if (e === null) throw BAD_ESCROW('this job has no escrow')
  if (e.client === null) throw BAD_ESCROW('the client has not proposed the escrow yet')
  const base = escrowAmounts({ bountySats: BigInt(job.bountySats), depositPct: BigInt(e.depositPct) })
  const milestones = milestonesOf(job)
  if (stage < 0 || stage > stageOf(job)) throw BAD_ESCROW(`no stage ${stage}: ${stageOf(job)} releases done`)
  const amounts = stageAmounts(base, releasedSats(base.bountySats, milestones, stage))
  const script = escrowScript({ client: e.client.pubkey, printer: e.printer.pubkey, arbitrator: e.arbitratorPubkey })
  const funding: FundingParams = {
    clientUtxos: e.client.inputs.map(coinToUtxo),
    printerUtxos: e.printer.inputs.map(coinToUtxo),
    clientChange: addressOf(e.client.changeScript, network),
    printerChange: addressOf(e.printer.changeScript, network),
    escrow: script,
    amounts: base,
    feeRate: e.client.feeRate,
    network
  }
  const built = fundingTx(funding)
  const vout = built.tx.outs.findIndex(o => b4a.equals(o.script, script.outputScript))
  if (vout < 0) throw BAD_ESCROW('the funding transaction has no output to this escrow')
  const funded: EscrowUtxo = { txid: built.tx.getId(), vout, valueSats: built.tx.outs[vout].value, script }
  const escrow: EscrowUtxo = stage === 0 ? funded : { txid: toHex((job.releases ?? [])[stage - 1].txid), vout: 0, valueSats: amounts.total, script }
  const payout: PayoutTxParams = {
    escrow,
    amounts,
    clientAddress: addressOf(e.client.payoutScript, network),
    printerAddress: addressOf(e.printer.payoutScript, network),
    feeRate: e.client.feeRate,
    network
  }
  return { id: jobIdString(job.id), job, e, amounts, client: e.client, script, funding, fundingPlan: built.plan, fundingTxid: funded.txid, fundingTx: built.tx, fundingPrevouts: built.prevouts, escrow, payout, stage, base, milestones }
}

// The release of the next part from this stage.
export function releaseParams (ctx: EscrowCtx): ReleaseParams {
  return { escrow: ctx.escrow, amounts: ctx.amounts, partSats: partSats(ctx.base.bountySats, ctx.milestones, ctx.stage + 1), printerAddress: ctx.payout.printerAddress, feeRate: ctx.payout.feeRate, network: ctx.payout.network }
}

// The payouts of the stage a release leads to: its escrow output is the release's output 0.
export function nextPayout (ctx: EscrowCtx): PayoutTxParams {
  const built = buildRelease(releaseParams(ctx))
  const amounts = stageAmounts(ctx.base, releasedSats(ctx.base.bountySats, ctx.milestones, ctx.stage + 1))
  const txid = unsignedTx(built.psbt).getId()
  return { ...ctx.payout, amounts, escrow: { txid, vout: 0, valueSats: amounts.total, script: ctx.script } }
}


function pathFor (ctx: EscrowCtx, kind: SignKind, network: bitcoin.Network): PayoutPath | null {
  if (kind === 'refund' || kind === 'cancel' || kind === 'complete') return { kind }
  if (kind === 'ruling') {
    const r = ctx.e.ruling
    const pct = rulingPrinterPct(ctx.job)
    if (r === null || pct === null) return null
    return { kind: 'ruling', printerPct: BigInt(pct), arbitratorAddress: addressOf(r.feeScript, network), arbitrationFeePct: BigInt(ctx.e.arbitrationFeePct) }
  }
  if (kind === 'split') {
    const p = ctx.job.dispute?.proposal ?? null
    if (p == null) return null
    return { kind: 'split', printerPct: BigInt(p.printerPct), mediatorFeeSats: BigInt(p.feeSats), mediatorAddress: addressOf(p.feeScript, network), maxMediatorFeePct: BigInt(MAX_MEDIATOR_FEE_PCT) }
  }
  return null
}

export function expectedFor (ctx: EscrowCtx, kind: SignKind, network: bitcoin.Network = REBUILD_NETWORK): Expected {
  if (kind === 'funding') return { kind: 'funding', params: ctx.funding }
  if (kind === 'release') return { kind: 'release', params: releaseParams(ctx) }
  if (kind === 'next-refund') return { kind: 'payout', path: { kind: 'refund' }, params: { ...nextPayout(ctx), lockHeight: ctx.client.lockHeight } }
  const path = pathFor(ctx, kind, network)
  if (path === null) throw BAD_ESCROW(`no ${kind} transaction for this job yet`)
  if (kind === 'refund') return { kind: 'payout', path, params: { ...ctx.payout, lockHeight: ctx.client.lockHeight } }
  return { kind: 'payout', path, params: ctx.payout }
}

// The unsigned transaction of this kind, as a PSBT with every coin it spends.
export function buildFor (ctx: EscrowCtx, kind: SignKind, network: bitcoin.Network = REBUILD_NETWORK): bitcoin.Psbt {
  const x = expectedFor(ctx, kind, network)
  return x.kind === 'funding' ? buildFunding(x.params).psbt : x.kind === 'release' ? buildRelease(x.params).psbt : buildPayout(x.path, x.params).psbt
}

export type Signer = 'client' | 'printer' | 'arbitrator'

export function signerKey (ctx: EscrowCtx, who: Signer): Uint8Array {
  return who === 'client' ? ctx.client.pubkey : who === 'printer' ? ctx.e.printer.pubkey : ctx.e.arbitratorPubkey
}

// How a record keeps a signature: the signer's partial signatures only ({ input, pubkey, signature }…), behind a
// 0x00 byte; the transaction they sign is the record's to rebuild. (Records written before this held a PSBT.)
export interface PartialSig { input: number, pubkey: Uint8Array, signature: Uint8Array }
const sigSet = c.array({
  preencode (state: c.State, s: PartialSig) { c.uint.preencode(state, s.input); c.fixed(33).preencode(state, s.pubkey); c.buffer.preencode(state, s.signature) },
  encode (state: c.State, s: PartialSig) { c.uint.encode(state, s.input); c.fixed(33).encode(state, s.pubkey); c.buffer.encode(state, s.signature) },
  decode (state: c.State): PartialSig { return { input: c.uint.decode(state), pubkey: c.fixed(33).decode(state), signature: c.buffer.decode(state) as Uint8Array } }
})

export function encodeSigSet (sigs: PartialSig[]): Uint8Array {
  return b4a.concat([b4a.from([0]), c.encode(sigSet, sigs)])
}

export function decodeSigSet (bytes: Uint8Array): PartialSig[] {
  return c.decode(sigSet, bytes.subarray(1))
}

// A recorded signature as a PSBT of the transaction it signs, rebuilt from the record.
export function psbtOf (sig: EscrowSig, ctx: EscrowCtx, network: bitcoin.Network = REBUILD_NETWORK): bitcoin.Psbt {
  if (sig.psbt[0] !== 0) return bitcoin.Psbt.fromBuffer(b4a.from(sig.psbt), { network })
  const psbt = buildFor(ctx, sig.kind, network)
  for (const s of decodeSigSet(sig.psbt)) psbt.updateInput(s.input, { partialSig: [{ pubkey: b4a.from(s.pubkey), signature: b4a.from(s.signature) }] })
  return psbt
}
