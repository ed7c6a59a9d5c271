// The sizes and fees of the escrow transactions (psbt.ts builds them), as integer arithmetic on weight units and
// satoshis. Pure.
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
import { splitFee } from './amounts.js'
import { BAD_ESCROW } from '../errors.js'

export const MIN_FEE_RATE = 1 // sat/vB
export const MAX_FUNDING_INPUTS_PER_SIDE = 100

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
