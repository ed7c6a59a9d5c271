// Checking what a counterparty sends: a PSBT is refused unless it is exactly the transaction this peer rebuilds
// (psbt.ts) from trusted parameters. Pure.
import * as bitcoin from 'bitcoinjs-lib'
import type { PayoutPath, PayoutOutput } from './amounts.js'
import { bytesEqual, toHex } from './script.js'
import { MIN_FEE_RATE, effectiveFeeRate } from './fees.js'
import { addressOf, buildFunding, buildPayout, unsignedTx, type FundingParams, type PayoutTxParams } from './psbt.js'
import { checkSignature, verifyInput, witnessFromBytes } from './witness.js'
import { buildRelease, type ReleaseParams } from './milestones.js'
import { PSBT_REFUSED } from '../errors.js'

const SIGHASH_ALL = bitcoin.Transaction.SIGHASH_ALL

export const DEFAULT_MAX_FEE_RATE = 500 // sat/vB: checkPsbt refuses anything above (an inflated fee)

export type Expected =
  | { kind: 'funding', params: FundingParams }
  | { kind: 'payout', path: PayoutPath, params: PayoutTxParams }
  | { kind: 'release', params: ReleaseParams }

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
  } else if (expected.kind === 'release') {
    const built = buildRelease(expected.params)
    want = built.psbt
    vsize = built.plan.vsize
    labels = ['escrow (still locked)', 'printer']
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
