// Builders and checkers for every escrow transaction, all pure (no network, no clock).
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
//
// Funding fee (decided): each side pays for what it adds: its own inputs (272 WU each) and its own change output;
// the shared part (version, counts, nLockTime, segwit marker, the escrow output, plus 3 WU of padding that covers
// rounding the weight up to whole vbytes) is split evenly, the client paying the odd satoshi. A side's cost does
// not depend on how many coins the other side brings, and the escrow output always holds exactly amounts.total.
// At most MAX_FUNDING_INPUTS_PER_SIDE inputs per side (so the input count's varint stays 1 byte).
//
// Payout fee: ceil(feeRate × vsize), with the vsize of the transaction holding every output the path may have;
// split between the deposits by amounts.ts. Dust dropped into the fee only raises the real fee rate.
//
// Sizes (weight units; vbytes = weight / 4), worst case with 72-byte signatures (71-byte low-S DER + sighash):
//   overhead       4 × (4 version + 1 input count + 1 output count + 4 locktime) + 2 (segwit marker, flag) = 42
//   P2WPKH input   4 × (36 outpoint + 1 empty scriptSig + 4 sequence) = 164, witness 1 + (1+72) + (1+33) = 108
//                  → 272 WU = 68 vB
//   escrow input   164 + witness 1 (count) + 1 (empty dummy for CHECKMULTISIG) + 2 × (1+72) + (1+105) = 254
//                  → 418 WU = 104.5 vB
//   output         4 × (8 value + 1 script length + script): P2WPKH 124 WU (31 vB), P2WSH/P2TR 172 (43 vB)
//   so a payout to two P2WPKH addresses is 42 + 418 + 2 × 124 = 708 WU = 177 vB.
// Fee rates are sat/vB, taken to 1/1000 sat/vB, never below MIN_FEE_RATE (the relay floor).
import * as bitcoin from 'bitcoinjs-lib'
import * as ecc from 'tiny-secp256k1'
import {
  DUST_SATS, payoutOutputs, payoutRoles, splitFee,
  type EscrowAmounts, type PayoutPath, type PayoutPlan, type PayoutOutput
} from './amounts.js'
import { bytesEqual, fromHex, p2wshOutputScript, parseEscrowScript, toHex, type EscrowScript } from './script.js'
import { BAD_ESCROW, INSUFFICIENT_FUNDS, PSBT_REFUSED } from '../errors.js'
import { checkSignature, verifyInput, verifyTx, witnessToBytes, witnessFromBytes } from './witness.js'

export { checkSignature, verifyInput, verifyTx, witnessToBytes, witnessFromBytes }

bitcoin.initEccLib(ecc)

const SIGHASH_ALL = bitcoin.Transaction.SIGHASH_ALL

export const MIN_FEE_RATE = 1 // sat/vB
export const DEFAULT_MAX_FEE_RATE = 500 // sat/vB: checkPsbt refuses anything above (an inflated fee)
export const MAX_FUNDING_INPUTS_PER_SIDE = 100
export const SEQUENCE_FUNDING = 0xffffffff
export const SEQUENCE_PAYOUT = 0xfffffffd
export const SEQUENCE_REFUND = 0xfffffffe
export const TX_VERSION = 2

export const WEIGHT = {
  overhead: 42,
  p2wpkhInput: 272,
  escrowInput: 418,
  sharedPadding: 3
} as const

export function varIntLength (n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9
}

export function outputWeight (script: Uint8Array): number {
  return 4 * (8 + varIntLength(script.length) + script.length)
}

export function txOverheadWeight (nIn: number, nOut: number): number {
  return 4 * (4 + varIntLength(nIn) + varIntLength(nOut) + 4) + 2
}

export function vsizeOf (weight: number): number {
  return Math.ceil(weight / 4)
}

// The fee rate actually used: the estimate, never below the floor. Kept to 1/1000 sat/vB.
export function effectiveFeeRate (feeRate: number): number {
  if (typeof feeRate !== 'number' || !Number.isFinite(feeRate) || feeRate < 0) throw BAD_ESCROW(`invalid fee rate ${String(feeRate)} (sat/vB)`)
  return Math.max(MIN_FEE_RATE, Math.round(feeRate * 1000) / 1000)
}

function milliRate (feeRate: number): bigint {
  return BigInt(Math.round(effectiveFeeRate(feeRate) * 1000))
}

// ceil(feeRate × weight / 4): the fee for a part of a transaction, in sats.
export function feeForWeight (weight: number, feeRate: number): bigint {
  const num = BigInt(weight) * milliRate(feeRate)
  return (num + 3999n) / 4000n
}

// ceil(feeRate × vsize): the fee for a whole transaction of this weight.
export function feeForVsize (weight: number, feeRate: number): bigint {
  const num = BigInt(vsizeOf(weight)) * milliRate(feeRate)
  return (num + 999n) / 1000n
}

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

// The shared part of a funding transaction's fee, before it is split: see the header.
export function fundingSharedFee (feeRate: number, escrowOutputScriptLength = 34): bigint {
  const weight = txOverheadWeight(2 * MAX_FUNDING_INPUTS_PER_SIDE, 3) + 4 * (8 + 1 + escrowOutputScriptLength) + WEIGHT.sharedPadding
  return feeForWeight(weight, feeRate)
}

// What one side pays of the shared part (client: the odd satoshi).
export function fundingSharedShare (role: 'client' | 'printer', feeRate: number): bigint {
  const s = splitFee(fundingSharedFee(feeRate))
  return role === 'client' ? s.clientFeeSats : s.printerFeeSats
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

// ---------------------------------------------------------------------------------------------------------------
// Checking what a counterparty sends

export type Expected =
  | { kind: 'funding', params: FundingParams }
  | { kind: 'payout', path: PayoutPath, params: PayoutTxParams }

export interface CheckBounds {
  minFeeRate?: number // sat/vB, default MIN_FEE_RATE
  maxFeeRate?: number // sat/vB, default DEFAULT_MAX_FEE_RATE
}

export interface CheckResult {
  feeSats: bigint
  feeRate: number // fee / estimated vsize
  vsize: number
  txid: string
}

function describeOutput (script: Uint8Array, value: bigint, network: bitcoin.Network, label?: string): string {
  return `${value} sats to ${addressOf(script, network)}${label === undefined ? '' : ` (${label})`}`
}

// Rebuilds the transaction from trusted parameters and refuses the PSBT unless it is exactly that transaction:
// same version, nLockTime, inputs (outpoints, sequences, and the coin each claims to spend), outputs (scripts and
// amounts, in order), with a fee within [minFeeRate, maxFeeRate], only SIGHASH_ALL signatures and only valid
// ones. Throws PSBT_REFUSED listing every difference; returns the fee on success.
export function checkPsbt (expected: Expected, psbt: bitcoin.Psbt, bounds: CheckBounds = {}): CheckResult {
  const minRate = bounds.minFeeRate ?? MIN_FEE_RATE
  const maxRate = bounds.maxFeeRate ?? DEFAULT_MAX_FEE_RATE
  const params = expected.params
  const network = params.network
  const diffs: string[] = []
  const agreedRate = effectiveFeeRate(params.feeRate)
  if (agreedRate > maxRate) diffs.push(`the fee rate ${agreedRate} sat/vB is above the cap of ${maxRate} sat/vB`)
  if (agreedRate < minRate) diffs.push(`the fee rate ${agreedRate} sat/vB is below the floor of ${minRate} sat/vB`)
  if (diffs.length > 0) throw PSBT_REFUSED(diffs.join('; ')) // nothing to rebuild from

  let want: bitcoin.Psbt
  let labels: string[]
  let vsize: number
  if (expected.kind === 'funding') {
    const built = buildFunding(expected.params)
    want = built.psbt
    vsize = built.plan.vsize
    labels = ['escrow']
    if (built.plan.client.changeVout !== null) labels.push('client change')
    if (built.plan.printer.changeVout !== null) labels.push('printer change')
  } else {
    const built = buildPayout(expected.path, expected.params)
    want = built.psbt
    vsize = built.plan.vsize
    labels = built.plan.outputs.map((o: PayoutOutput) => o.role)
  }

  if (psbt.version !== want.version) diffs.push(`version ${psbt.version}, expected ${want.version}`)
  if (psbt.locktime !== want.locktime) diffs.push(`nLockTime ${psbt.locktime}, expected ${want.locktime}`)

  const gotIn = psbt.txInputs
  const wantIn = want.txInputs
  if (gotIn.length !== wantIn.length) diffs.push(`${gotIn.length} inputs, expected ${wantIn.length}`)
  for (let i = 0; i < Math.max(gotIn.length, wantIn.length); i++) {
    const g = gotIn[i]
    const w = wantIn[i]
    if (g === undefined) { diffs.push(`input ${i} (${outpoint(w.hash, w.index)}) is missing`); continue }
    if (w === undefined) { diffs.push(`extra input ${i} (${outpoint(g.hash, g.index)})`); continue }
    if (!bytesEqual(g.hash, w.hash) || g.index !== w.index) diffs.push(`input ${i} spends ${outpoint(g.hash, g.index)}, expected ${outpoint(w.hash, w.index)}`)
    if (g.sequence !== w.sequence) diffs.push(`input ${i} has sequence 0x${(g.sequence ?? 0xffffffff).toString(16)}, expected 0x${(w.sequence ?? 0xffffffff).toString(16)}`)
    const gd = psbt.data.inputs[i]
    const wd = want.data.inputs[i]
    if (gd.witnessUtxo === undefined) diffs.push(`input ${i} has no witnessUtxo (the coin it spends)`)
    else if (wd.witnessUtxo !== undefined && (!bytesEqual(gd.witnessUtxo.script, wd.witnessUtxo.script) || gd.witnessUtxo.value !== wd.witnessUtxo.value)) {
      diffs.push(`input ${i} claims to spend ${describeOutput(gd.witnessUtxo.script, gd.witnessUtxo.value, network)}, expected ${describeOutput(wd.witnessUtxo.script, wd.witnessUtxo.value, network)}`)
    }
    if (gd.nonWitnessUtxo !== undefined) diffs.push(`input ${i} carries a nonWitnessUtxo; only segwit coins are expected`)
    if (wd.witnessScript !== undefined && (gd.witnessScript === undefined || !bytesEqual(gd.witnessScript, wd.witnessScript))) {
      diffs.push(`input ${i} has ${gd.witnessScript === undefined ? 'no' : 'a different'} witness script, expected the escrow's 2-of-3`)
    }
    if (wd.witnessScript === undefined && gd.witnessScript !== undefined) diffs.push(`input ${i} carries an unexpected witness script`)
    if (gd.redeemScript !== undefined) diffs.push(`input ${i} carries an unexpected redeem script`)
    if (gd.sighashType !== undefined && gd.sighashType !== SIGHASH_ALL) diffs.push(`input ${i} asks for sighash type 0x${gd.sighashType.toString(16)}; only SIGHASH_ALL is signed`)
  }

  const gotOut = psbt.txOutputs
  const wantOut = want.txOutputs
  for (let i = 0; i < Math.max(gotOut.length, wantOut.length); i++) {
    const g = gotOut[i]
    const w = wantOut[i]
    if (g === undefined) { diffs.push(`output ${i} is missing: expected ${describeOutput(w.script, w.value, network, labels[i])}`); continue }
    if (w === undefined) { diffs.push(`extra output ${i}: ${describeOutput(g.script, g.value, network)}`); continue }
    if (!bytesEqual(g.script, w.script)) diffs.push(`output ${i} pays ${describeOutput(g.script, g.value, network)}, expected ${describeOutput(w.script, w.value, network, labels[i])} (changed address)`)
    else if (g.value !== w.value) diffs.push(`output ${i} pays ${g.value} sats, expected ${w.value} sats to ${addressOf(w.script, network)} (${labels[i]}) (changed amount)`)
  }

  // The fee as the PSBT would pay it (with the coins the PSBT claims to spend), against the bounds.
  let inSats = 0n
  let known = true
  for (const d of psbt.data.inputs) {
    if (d.witnessUtxo === undefined) known = false
    else inSats += d.witnessUtxo.value
  }
  let outSats = 0n
  for (const o of gotOut) outSats += o.value
  const feeSats = inSats - outSats
  const rate = Number(feeSats) / vsize
  if (known) {
    if (feeSats < 0n) diffs.push(`the outputs (${outSats} sats) exceed the inputs (${inSats} sats)`)
    else if (rate > maxRate) diffs.push(`the fee of ${feeSats} sats (${rate.toFixed(2)} sat/vB) is above the cap of ${maxRate} sat/vB (inflated fee)`)
    else if (rate < minRate) diffs.push(`the fee of ${feeSats} sats (${rate.toFixed(2)} sat/vB) is below the floor of ${minRate} sat/vB`)
    let wantIn = 0n
    for (const d of want.data.inputs) wantIn += d.witnessUtxo?.value ?? 0n
    let wantOutSats = 0n
    for (const o of wantOut) wantOutSats += o.value
    if (feeSats !== wantIn - wantOutSats) diffs.push(`the fee is ${feeSats} sats, expected ${wantIn - wantOutSats} sats`)
  }

  // Signatures already present must be SIGHASH_ALL, from keys that belong to the input, and valid.
  if (diffs.length === 0) {
    const tx = unsignedTx(psbt)
    for (let i = 0; i < psbt.data.inputs.length; i++) {
      const d = psbt.data.inputs[i]
      const prev = d.witnessUtxo
      if (prev === undefined) continue
      for (const ps of d.partialSig ?? []) {
        const why = checkSignature(tx, i, prev.script, prev.value, d.witnessScript, ps.pubkey, ps.signature)
        if (why !== null) diffs.push(`input ${i}: signature by ${toHex(ps.pubkey)}: ${why}`)
      }
      if (d.finalScriptWitness !== undefined) {
        const why = verifyInput(tx, i, prev.script, prev.value, witnessFromBytes(d.finalScriptWitness))
        if (why !== null) diffs.push(`input ${i}: its final witness is invalid: ${why}`)
      }
      if (d.finalScriptSig !== undefined && d.finalScriptSig.length > 0) diffs.push(`input ${i} has a scriptSig; segwit inputs have none`)
    }
  }

  if (diffs.length > 0) throw PSBT_REFUSED(diffs.join('; '))
  return { feeSats, feeRate: rate, vsize, txid: unsignedTx(psbt).getId() }
}

function outpoint (hash: Uint8Array, index: number): string {
  return `${toHex(hash.slice().reverse())}:${index}`
}

// ---------------------------------------------------------------------------------------------------------------
// Signing, combining, finalizing

// Signs the given inputs with SIGHASH_ALL (and nothing else). The key must belong to each input.
export function signInputs (psbt: bitcoin.Psbt, keyPair: bitcoin.Signer, inputIndexes: number[]): bitcoin.Psbt {
  for (const i of inputIndexes) {
    if (!Number.isInteger(i) || i < 0 || i >= psbt.inputCount) throw BAD_ESCROW(`no input ${i} to sign (the transaction has ${psbt.inputCount})`)
    const d = psbt.data.inputs[i]
    if (d.sighashType !== undefined && d.sighashType !== SIGHASH_ALL) throw PSBT_REFUSED(`input ${i} asks for sighash type 0x${d.sighashType.toString(16)}; only SIGHASH_ALL is signed`)
    try {
      psbt.signInput(i, keyPair, [SIGHASH_ALL])
    } catch (err) {
      throw BAD_ESCROW(`cannot sign input ${i} with key ${toHex(keyPair.publicKey)}: ${(err as Error).message}`)
    }
  }
  return psbt
}

function unsignedBytes (psbt: bitcoin.Psbt): Uint8Array {
  return unsignedTx(psbt).toBuffer()
}

// Merges signatures from PSBTs of the same transaction into a new PSBT (the inputs are not modified).
export function combine (first: bitcoin.Psbt, ...others: bitcoin.Psbt[]): bitcoin.Psbt {
  const base = first.clone()
  const want = unsignedBytes(first)
  for (const o of others) {
    if (!bytesEqual(unsignedBytes(o), want)) throw PSBT_REFUSED('cannot combine signatures of two different transactions')
  }
  if (others.length > 0) base.combine(...others)
  return base
}

export interface Finalized {
  hex: string
  txid: string
  vsize: number
  weight: number
  feeSats: bigint
}

// Finalizes every input (the escrow's P2WSH 2-of-3 from two valid signatures of keys in the script, in script
// order; P2WPKH from its one signature), extracts the transaction, and verifies every input's witness against the
// coin it spends before returning the hex. Signatures of keys that are not in the escrow script (a mediator's, say)
// do not count: with only one party's signature besides such a key, finalizing throws PSBT_REFUSED.
export function finalize (psbt: bitcoin.Psbt): Finalized {
  const p = psbt.clone()
  const tx = unsignedTx(p)
  for (let i = 0; i < p.inputCount; i++) {
    const d = p.data.inputs[i]
    if (d.finalScriptWitness !== undefined) continue
    const prev = d.witnessUtxo
    if (prev === undefined) throw PSBT_REFUSED(`input ${i} has no witnessUtxo`)
    const sigs = d.partialSig ?? []
    let stack: Uint8Array[]
    if (d.witnessScript !== undefined) {
      const keys = parseEscrowScript(d.witnessScript)
      if (keys === null) throw PSBT_REFUSED(`input ${i}: the witness script is not a 2-of-3 escrow`)
      if (!bytesEqual(prev.script, p2wshOutputScript(d.witnessScript))) throw PSBT_REFUSED(`input ${i}: the witness script does not match the coin it spends`)
      const ordered: Uint8Array[] = []
      let ignored = 0
      for (const k of keys) {
        const s = sigs.find(ps => bytesEqual(ps.pubkey, k))
        if (s !== undefined && checkSignature(tx, i, prev.script, prev.value, d.witnessScript, s.pubkey, s.signature) === null) ordered.push(s.signature)
      }
      for (const ps of sigs) if (!keys.some(k => bytesEqual(k, ps.pubkey))) ignored++
      if (ordered.length < 2) {
        throw PSBT_REFUSED(`input ${i} has valid signatures from ${ordered.length} of the 3 escrow keys; 2 are needed` +
          (ignored > 0 ? ` (${ignored} signature${ignored === 1 ? '' : 's'} from keys not in the escrow script ignored)` : ''))
      }
      stack = [new Uint8Array(0), ordered[0], ordered[1], d.witnessScript]
    } else if (isP2wpkhScript(prev.script)) {
      const s = sigs.find(ps => bytesEqual(bitcoin.crypto.hash160(ps.pubkey), prev.script.subarray(2)))
      if (s === undefined) throw PSBT_REFUSED(`input ${i} (P2WPKH) is not signed yet`)
      const why = checkSignature(tx, i, prev.script, prev.value, undefined, s.pubkey, s.signature)
      if (why !== null) throw PSBT_REFUSED(`input ${i}: ${why}`)
      stack = [s.signature, s.pubkey]
    } else {
      throw PSBT_REFUSED(`input ${i} spends a kind of output this wallet does not finalize`)
    }
    const witness = witnessToBytes(stack)
    p.finalizeInput(i, () => ({ finalScriptSig: undefined, finalScriptWitness: witness }))
  }
  const final = p.extractTransaction()
  const prevouts = p.data.inputs.map(d => d.witnessUtxo as { script: Uint8Array, value: bigint })
  const errors = verifyTx(final, prevouts)
  if (errors.length > 0) throw PSBT_REFUSED(`the finalized transaction does not verify: ${errors.join('; ')}`)
  let inSats = 0n
  for (const pv of prevouts) inSats += pv.value
  let outSats = 0n
  for (const o of final.outs) outSats += o.value
  return { hex: final.toHex(), txid: final.getId(), vsize: final.virtualSize(), weight: final.weight(), feeSats: inSats - outSats }
}
