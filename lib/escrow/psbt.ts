// Builders for every escrow transaction, all pure (no network, no clock). Their sizes and fees are in fees.ts,
// the checks of what a counterparty sends in psbt-check.ts, signing and finalizing in psbt-sign.ts.
//
// Transactions
//   funding   inputs: the client's P2WPKH coins, then the printer's (each side signs only its own);
//             outputs: [0] the escrow (P2WSH 2-of-3, exactly amounts.total), [1] the client's change, [2] the
//             printer's change (a change below dust is left out and goes to the fee). Version 2, nLockTime 0,
//             sequence 0xffffffff: the pre-signed refund spends this txid, so the funding must not be replaced;
//             a stuck funding is bumped with CPFP from either side's change output.
//   payout    one input (the escrow, sequence 0xfffffffd), nLockTime 0; outputs from amounts.payoutOutputs in the
//             order client, printer, mediator/arbitrator.
//   refund    the same as a cancel payout, but nLockTime = lockHeight (a block height) and sequence 0xfffffffe
//             so the lock time is enforced. Both sides sign it before anyone signs the funding.
import * as bitcoin from 'bitcoinjs-lib'
import * as ecc from 'tiny-secp256k1'
import {
  DUST_SATS, payoutOutputs, payoutRoles, splitFee,
  type EscrowAmounts, type PayoutPath, type PayoutPlan
} from './amounts.js'
import { bytesEqual, fromHex, p2wshOutputScript, parseEscrowScript, toHex, type EscrowScript } from './script.js'
import {
  MAX_FUNDING_INPUTS_PER_SIDE, WEIGHT, effectiveFeeRate, feeForVsize, feeForWeight, fundingSharedFee, outputWeight,
  txOverheadWeight, vsizeOf
} from './fees.js'
import { BAD_ESCROW, INSUFFICIENT_FUNDS } from '../errors.js'

bitcoin.initEccLib(ecc)

export const SEQUENCE_FUNDING = 0xffffffff
export const SEQUENCE_PAYOUT = 0xfffffffd
export const SEQUENCE_REFUND = 0xfffffffe
export const TX_VERSION = 2

export function outputScriptFor (address: string, network: bitcoin.Network): Uint8Array {
  try {
    return bitcoin.address.toOutputScript(address, network)
  } catch (err) {
    throw BAD_ESCROW(`${JSON.stringify(address)} is not a valid address on this network (${(err as Error).message})`)
  }
}

export function addressOf (script: Uint8Array, network: bitcoin.Network): string {
  try {
    return bitcoin.address.fromOutputScript(script, network)
  } catch {
    return `script ${toHex(script)}`
  }
}

export function isP2wpkhScript (script: Uint8Array): boolean {
  return script.length === 22 && script[0] === 0x00 && script[1] === 0x14
}

// ---------------------------------------------------------------------------------------------------------------
// Funding

export interface FundingUtxo {
  txid: string
  vout: number
  valueSats: bigint
  scriptPubKeyHex: string // P2WPKH only
}

export interface FundingParams {
  clientUtxos: FundingUtxo[]
  printerUtxos: FundingUtxo[]
  clientChange: string // address
  printerChange: string // address
  escrow: EscrowScript
  amounts: EscrowAmounts
  feeRate: number // sat/vB
  network: bitcoin.Network
}

export interface FundingSide {
  inputIndexes: number[]
  inputSats: bigint
  contributionSats: bigint // what goes into the escrow
  feeSats: bigint // this side's share of the miner fee (own part + half the shared part + any dust change)
  changeSats: bigint // 0n when there is no change output
  changeVout: number | null
}

export interface FundingPlan {
  escrowVout: 0
  escrowSats: bigint
  feeSats: bigint
  feeRate: number
  vsize: number // estimate (worst-case signatures)
  client: FundingSide
  printer: FundingSide
}

function checkFundingUtxo (u: FundingUtxo, who: string): Uint8Array {
  if (typeof u.txid !== 'string' || !/^[0-9a-fA-F]{64}$/.test(u.txid)) throw BAD_ESCROW(`${who} coin: bad txid ${JSON.stringify(u.txid)}`)
  if (!Number.isInteger(u.vout) || u.vout < 0 || u.vout > 0xffffffff) throw BAD_ESCROW(`${who} coin ${u.txid}: bad output index`)
  if (typeof u.valueSats !== 'bigint' || u.valueSats <= 0n) throw BAD_ESCROW(`${who} coin ${u.txid}:${u.vout}: bad value`)
  const script = fromHex(u.scriptPubKeyHex)
  if (!isP2wpkhScript(script)) throw BAD_ESCROW(`${who} coin ${u.txid}:${u.vout} is not a P2WPKH output: only native segwit v0 key-hash coins can fund an escrow`)
  return script
}

function planSide (utxos: FundingUtxo[], contribution: bigint, changeScript: Uint8Array, sharedShare: bigint, feeRate: number, who: string) {
  if (utxos.length === 0) throw BAD_ESCROW(`the ${who} brings no coins to the funding transaction`)
  if (utxos.length > MAX_FUNDING_INPUTS_PER_SIDE) throw BAD_ESCROW(`the ${who} brings ${utxos.length} coins; at most ${MAX_FUNDING_INPUTS_PER_SIDE} per side`)
  let inputSats = 0n
  for (const u of utxos) { checkFundingUtxo(u, who); inputSats += u.valueSats }
  const inputsWeight = utxos.length * WEIGHT.p2wpkhInput
  const feeWithChange = feeForWeight(inputsWeight + outputWeight(changeScript), feeRate) + sharedShare
  const change = inputSats - contribution - feeWithChange
  if (change >= DUST_SATS) return { inputSats, feeSats: feeWithChange, changeSats: change, weight: inputsWeight + outputWeight(changeScript) }
  const feeNoChange = feeForWeight(inputsWeight, feeRate) + sharedShare
  const left = inputSats - contribution - feeNoChange
  if (left < 0n) throw INSUFFICIENT_FUNDS(contribution + feeNoChange, inputSats)
  return { inputSats, feeSats: feeNoChange + left, changeSats: 0n, weight: inputsWeight }
}

// The funding transaction unsigned, with its plan and the coin each input spends, without a PSBT: building a
// PSBT costs about a millisecond per input (bitcoinjs validates every addInput), this does not. apply uses it.
export function fundingTx (p: FundingParams): { tx: bitcoin.Transaction, plan: FundingPlan, prevouts: Array<{ script: Uint8Array, value: bigint }> } {
  const feeRate = effectiveFeeRate(p.feeRate)
  const seen = new Set<string>()
  for (const u of [...p.clientUtxos, ...p.printerUtxos]) {
    const k = `${String(u.txid).toLowerCase()}:${u.vout}`
    if (seen.has(k)) throw BAD_ESCROW(`coin ${k} appears twice in the funding transaction`)
    seen.add(k)
  }
  if (!bytesEqual(p.escrow.outputScript, p2wshOutputScript(p.escrow.witnessScript)) || parseEscrowScript(p.escrow.witnessScript) === null) {
    throw BAD_ESCROW('the escrow script is not a well-formed 2-of-3 escrow')
  }
  const clientChange = outputScriptFor(p.clientChange, p.network)
  const printerChange = outputScriptFor(p.printerChange, p.network)
  const shared = splitFee(fundingSharedFee(feeRate, p.escrow.outputScript.length))
  const c = planSide(p.clientUtxos, p.amounts.clientIn, clientChange, shared.clientFeeSats, feeRate, 'client')
  const q = planSide(p.printerUtxos, p.amounts.printerIn, printerChange, shared.printerFeeSats, feeRate, 'printer')

  const tx = new bitcoin.Transaction()
  tx.version = TX_VERSION
  tx.locktime = 0
  const prevouts: Array<{ script: Uint8Array, value: bigint }> = []
  for (const u of [...p.clientUtxos, ...p.printerUtxos]) {
    tx.addInput(fromHex(u.txid.toLowerCase()).reverse(), u.vout, SEQUENCE_FUNDING)
    prevouts.push({ script: fromHex(u.scriptPubKeyHex), value: u.valueSats })
  }
  tx.addOutput(p.escrow.outputScript, p.amounts.total)
  let vout = 1
  let clientVout: number | null = null
  let printerVout: number | null = null
  if (c.changeSats > 0n) { tx.addOutput(clientChange, c.changeSats); clientVout = vout++ }
  if (q.changeSats > 0n) { tx.addOutput(printerChange, q.changeSats); printerVout = vout++ }

  const nIn = p.clientUtxos.length + p.printerUtxos.length
  const weight = txOverheadWeight(nIn, vout) + outputWeight(p.escrow.outputScript) + c.weight + q.weight
  const nc = p.clientUtxos.length
  const plan: FundingPlan = {
    escrowVout: 0,
    escrowSats: p.amounts.total,
    feeSats: c.feeSats + q.feeSats,
    feeRate,
    vsize: vsizeOf(weight),
    client: { inputIndexes: range(0, nc), inputSats: c.inputSats, contributionSats: p.amounts.clientIn, feeSats: c.feeSats, changeSats: c.changeSats, changeVout: clientVout },
    printer: { inputIndexes: range(nc, nIn), inputSats: q.inputSats, contributionSats: p.amounts.printerIn, feeSats: q.feeSats, changeSats: q.changeSats, changeVout: printerVout }
  }
  if (plan.client.inputSats + plan.printer.inputSats !== plan.escrowSats + c.changeSats + q.changeSats + plan.feeSats) throw new Error('invariant: funding does not balance')
  return { tx, plan, prevouts }
}

export function buildFunding (p: FundingParams): { psbt: bitcoin.Psbt, plan: FundingPlan } {
  const { tx, plan, prevouts } = fundingTx(p)
  const psbt = new bitcoin.Psbt({ network: p.network })
  psbt.setVersion(tx.version)
  psbt.setLocktime(tx.locktime)
  tx.ins.forEach((inp, i) => psbt.addInput({ hash: inp.hash, index: inp.index, sequence: inp.sequence, witnessUtxo: prevouts[i] }))
  for (const o of tx.outs) psbt.addOutput({ script: o.script, value: o.value })
  return { psbt, plan }
}

function range (a: number, b: number): number[] {
  const out: number[] = []
  for (let i = a; i < b; i++) out.push(i)
  return out
}

// The unsigned transaction of a PSBT (its txid is final: every input is segwit).
export function unsignedTx (psbt: bitcoin.Psbt): bitcoin.Transaction {
  const tx = new bitcoin.Transaction()
  tx.version = psbt.version
  tx.locktime = psbt.locktime
  for (const i of psbt.txInputs) tx.addInput(i.hash, i.index, i.sequence)
  for (const o of psbt.txOutputs) tx.addOutput(o.script, o.value)
  return tx
}

export interface EscrowUtxo {
  txid: string
  vout: number
  valueSats: bigint
  script: EscrowScript
}

// The escrow output a funding PSBT creates (for building the refund and payouts before it is signed).
export function escrowUtxoOf (fundingPsbt: bitcoin.Psbt, script: EscrowScript): EscrowUtxo {
  const outs = fundingPsbt.txOutputs
  const vout = outs.findIndex(o => bytesEqual(o.script, script.outputScript))
  if (vout < 0) throw BAD_ESCROW('the funding transaction has no output to this escrow')
  return { txid: unsignedTx(fundingPsbt).getId(), vout, valueSats: outs[vout].value, script }
}

// ---------------------------------------------------------------------------------------------------------------
// Payouts and the refund

export interface PayoutTxParams {
  escrow: EscrowUtxo
  amounts: EscrowAmounts
  clientAddress: string
  printerAddress: string
  feeRate: number // sat/vB
  network: bitcoin.Network
  lockHeight?: number // refund only: the block height from which it is valid
}

export interface PayoutTxPlan extends PayoutPlan {
  feeRate: number
  vsize: number // estimate (worst-case signatures)
  locktime: number
  sequence: number
}

function checkEscrowUtxo (e: EscrowUtxo, amounts: EscrowAmounts): void {
  if (typeof e.txid !== 'string' || !/^[0-9a-fA-F]{64}$/.test(e.txid)) throw BAD_ESCROW(`bad escrow txid ${JSON.stringify(e.txid)}`)
  if (!Number.isInteger(e.vout) || e.vout < 0) throw BAD_ESCROW('bad escrow output index')
  if (parseEscrowScript(e.script.witnessScript) === null || !bytesEqual(e.script.outputScript, p2wshOutputScript(e.script.witnessScript))) {
    throw BAD_ESCROW('the escrow script is not a well-formed 2-of-3 escrow')
  }
  if (e.valueSats !== amounts.total) throw BAD_ESCROW(`the escrow output holds ${e.valueSats} sats but the job's amounts add up to ${amounts.total} sats`)
}

function roleAddress (role: string, path: PayoutPath, p: PayoutTxParams): string {
  if (role === 'client') return p.clientAddress
  if (role === 'printer') return p.printerAddress
  if (role === 'mediator' && path.kind === 'split') return path.mediatorAddress
  if (role === 'arbitrator' && path.kind === 'ruling') return path.arbitratorAddress
  throw BAD_ESCROW(`no address for ${role}`)
}

export function buildPayout (path: PayoutPath, p: PayoutTxParams): { psbt: bitcoin.Psbt, plan: PayoutTxPlan } {
  checkEscrowUtxo(p.escrow, p.amounts)
  const feeRate = effectiveFeeRate(p.feeRate)
  let locktime = 0
  let sequence = SEQUENCE_PAYOUT
  if (path.kind === 'refund') {
    const h = p.lockHeight
    if (h === undefined || !Number.isInteger(h) || h <= 0 || h >= 500_000_000) throw BAD_ESCROW('a refund needs lockHeight: a block height (1 … 499 999 999)')
    locktime = h
    sequence = SEQUENCE_REFUND
  } else if (p.lockHeight !== undefined) {
    throw BAD_ESCROW(`lockHeight is only for the refund, not a ${path.kind} payout`)
  }
  // Size the transaction with every output the path can have (an upper bound: dropping dust only shrinks it).
  const roles = payoutRoles(path, p.amounts)
  const scripts = roles.map(r => outputScriptFor(roleAddress(r, path, p), p.network))
  const weight = txOverheadWeight(1, roles.length) + WEIGHT.escrowInput + scripts.reduce((s, sc) => s + outputWeight(sc), 0)
  const feeSats = feeForVsize(weight, feeRate)
  const plan = payoutOutputs(path, { amounts: p.amounts, feeSats, clientAddress: p.clientAddress, printerAddress: p.printerAddress })

  const psbt = new bitcoin.Psbt({ network: p.network })
  psbt.setVersion(TX_VERSION)
  psbt.setLocktime(locktime)
  psbt.addInput({
    hash: p.escrow.txid.toLowerCase(),
    index: p.escrow.vout,
    sequence,
    witnessUtxo: { script: p.escrow.script.outputScript, value: p.escrow.valueSats },
    witnessScript: p.escrow.script.witnessScript
  })
  for (const o of plan.outputs) psbt.addOutput({ script: outputScriptFor(o.address, p.network), value: o.valueSats })
  return { psbt, plan: { ...plan, feeRate, vsize: vsizeOf(weight), locktime, sequence } }
}

export function buildRefund (p: PayoutTxParams & { lockHeight: number }): { psbt: bitcoin.Psbt, plan: PayoutTxPlan } {
  return buildPayout({ kind: 'refund' }, p)
}
