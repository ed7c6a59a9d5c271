// Everything a job's escrow record determines, rebuilt the same way by every peer: the amounts, the 2-of-3 script,
// the funding transaction and every payout. apply rebuilds these to check each signature an op carries; the engine
// rebuilds them before it signs anything. Pure: no chain, no clock.
import b4a from 'b4a'
import * as bitcoin from 'bitcoinjs-lib'
import type { JobRecord, EscrowRecord, EscrowCoin, EscrowSig, ProposeEscrow, SignKind } from '../schema.js'
import { jobIdString } from '../ids.js'
import { escrowAmounts, type EscrowAmounts, type PayoutPath } from './amounts.js'
import { escrowScript, toHex, type EscrowScript } from './script.js'
import {
  buildFunding, buildPayout, escrowUtxoOf, addressOf,
  type Expected, type FundingParams, type FundingPlan, type PayoutTxParams, type FundingUtxo, type EscrowUtxo
} from './psbt.js'
import { rulingPrinterPct } from './record.js'
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
  escrow: EscrowUtxo
  payout: PayoutTxParams
}

function coinToUtxo (c: EscrowCoin): FundingUtxo {
  return { txid: toHex(c.txid), vout: c.vout, valueSats: BigInt(c.valueSats), scriptPubKeyHex: toHex(c.script) }
}

// Throws BAD_ESCROW / ESCROW_AMOUNTS when the record cannot make a valid escrow (no proposal yet, a bad one).
export function escrowContext (job: JobRecord, network: bitcoin.Network = REBUILD_NETWORK): EscrowCtx {
  const e = job.escrow ?? null
  if (e === null) throw BAD_ESCROW('this job has no escrow')
  if (e.client === null) throw BAD_ESCROW('the client has not proposed the escrow yet')
  const amounts = escrowAmounts({ bountySats: BigInt(job.bountySats), depositPct: BigInt(e.depositPct) })
  const script = escrowScript({ client: e.client.pubkey, printer: e.printer.pubkey, arbitrator: e.arbitratorPubkey })
  const funding: FundingParams = {
    clientUtxos: e.client.inputs.map(coinToUtxo),
    printerUtxos: e.printer.inputs.map(coinToUtxo),
    clientChange: addressOf(e.client.changeScript, network),
    printerChange: addressOf(e.printer.changeScript, network),
    escrow: script,
    amounts,
    feeRate: e.client.feeRate,
    network
  }
  const built = buildFunding(funding)
  const escrow = escrowUtxoOf(built.psbt, script)
  const payout: PayoutTxParams = {
    escrow,
    amounts,
    clientAddress: addressOf(e.client.payoutScript, network),
    printerAddress: addressOf(e.printer.payoutScript, network),
    feeRate: e.client.feeRate,
    network
  }
  return { id: jobIdString(job.id), job, e, amounts, client: e.client, script, funding, fundingPlan: built.plan, fundingTxid: escrow.txid, escrow, payout }
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
  const path = pathFor(ctx, kind, network)
  if (path === null) throw BAD_ESCROW(`no ${kind} transaction for this job yet`)
  if (kind === 'refund') return { kind: 'payout', path, params: { ...ctx.payout, lockHeight: ctx.client.lockHeight } }
  return { kind: 'payout', path, params: ctx.payout }
}

// The unsigned transaction of this kind, as a PSBT with every coin it spends.
export function buildFor (ctx: EscrowCtx, kind: SignKind, network: bitcoin.Network = REBUILD_NETWORK): bitcoin.Psbt {
  const x = expectedFor(ctx, kind, network)
  return x.kind === 'funding' ? buildFunding(x.params).psbt : buildPayout(x.path, x.params).psbt
}

export type Signer = 'client' | 'printer' | 'arbitrator'

export function signerKey (ctx: EscrowCtx, who: Signer): Uint8Array {
  return who === 'client' ? ctx.client.pubkey : who === 'printer' ? ctx.e.printer.pubkey : ctx.e.arbitratorPubkey
}

// A recorded signature as a PSBT of the transaction it signs (apply stores each as the rebuilt PSBT plus the
// signer's partial signatures only).
export function psbtOf (sig: EscrowSig, network: bitcoin.Network = REBUILD_NETWORK): bitcoin.Psbt {
  return bitcoin.Psbt.fromBuffer(b4a.from(sig.psbt), { network })
}
