// The escrow's locking script: a 2-of-3 multisig of the client's, the printer's and the arbitrator's public keys,
// in a P2WSH output.
//
//   witnessScript = OP_2 <k1> <k2> <k3> OP_3 OP_CHECKMULTISIG      (105 bytes)
//
// The three keys are compressed (33 bytes) and sorted as BIP67 says: lexicographically by their bytes, so the
// script (and the address) depends only on the set of keys, not on who lists them first. Any two of the three
// can spend: client + printer (complete, cancel, mediated split: the mediator only proposes and both sign),
// printer or client + arbitrator (a ruling). The mediator has NO key in the script: a mediator plus one party
// cannot produce a valid spend. Duplicate keys are refused (they would let one key count twice).
import * as bitcoin from 'bitcoinjs-lib'
import { BAD_ESCROW } from '../errors.js'

const OPS = bitcoin.opcodes

export interface EscrowKeys {
  client: Uint8Array
  printer: Uint8Array
  arbitrator: Uint8Array
}

export interface EscrowScript {
  keys: EscrowKeys
  pubkeys: Uint8Array[] // BIP67-sorted, the order in the script
  witnessScript: Uint8Array
  outputScript: Uint8Array // OP_0 <sha256(witnessScript)>
}

export function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i]
  }
  return a.length - b.length
}

export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0
}

export function toHex (b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
}

export function fromHex (s: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(s)) throw BAD_ESCROW(`not hex: ${JSON.stringify(s.slice(0, 20))}`)
  return new Uint8Array(Buffer.from(s, 'hex'))
}

function isCompressedPubkey (k: unknown): k is Uint8Array {
  return k instanceof Uint8Array && k.length === 33 && (k[0] === 0x02 || k[0] === 0x03)
}

// BIP67: compressed keys only, sorted by their serialized bytes.
export function sortPubkeys (keys: Uint8Array[]): Uint8Array[] {
  for (const k of keys) {
    if (!isCompressedPubkey(k)) throw BAD_ESCROW('escrow keys must be compressed public keys (33 bytes, 02/03 prefix), as BIP67 requires')
  }
  const sorted = keys.slice().sort(compareBytes)
  for (let i = 1; i < sorted.length; i++) {
    if (bytesEqual(sorted[i - 1], sorted[i])) throw BAD_ESCROW('two escrow keys are the same key: each of client, printer and arbitrator needs its own')
  }
  return sorted
}

export function multisigScript (sortedPubkeys: Uint8Array[]): Uint8Array {
  return bitcoin.script.compile([OPS.OP_2, ...sortedPubkeys, OPS.OP_3, OPS.OP_CHECKMULTISIG])
}

export function escrowScript (keys: EscrowKeys): EscrowScript {
  if (!bitcoin.script.isCanonicalPubKey(keys.client) || !bitcoin.script.isCanonicalPubKey(keys.printer) || !bitcoin.script.isCanonicalPubKey(keys.arbitrator)) {
    throw BAD_ESCROW('an escrow key is not a valid public key')
  }
  const pubkeys = sortPubkeys([keys.client, keys.printer, keys.arbitrator])
  const witnessScript = multisigScript(pubkeys)
  const outputScript = p2wshOutputScript(witnessScript)
  return { keys, pubkeys, witnessScript, outputScript }
}

export function p2wshOutputScript (witnessScript: Uint8Array): Uint8Array {
  const out = bitcoin.payments.p2wsh({ redeem: { output: witnessScript } }).output
  if (out === undefined) throw BAD_ESCROW('cannot make a P2WSH output for this script')
  return out
}

export function escrowAddress (script: EscrowScript | Uint8Array, network: bitcoin.Network): string {
  const ws = script instanceof Uint8Array ? script : script.witnessScript
  const addr = bitcoin.payments.p2wsh({ redeem: { output: ws }, network }).address
  if (addr === undefined) throw BAD_ESCROW('cannot make an address for this script')
  return addr
}

// The sorted keys of a well-formed escrow script (exactly OP_2 <3 sorted, distinct compressed keys> OP_3
// OP_CHECKMULTISIG, minimally encoded), or null for anything else.
export function parseEscrowScript (witnessScript: Uint8Array): Uint8Array[] | null {
  if (!(witnessScript instanceof Uint8Array) || witnessScript.length !== 105) return null
  let chunks
  try {
    chunks = bitcoin.script.decompile(witnessScript)
  } catch {
    return null
  }
  if (chunks === null || chunks.length !== 6) return null
  if (chunks[0] !== OPS.OP_2 || chunks[4] !== OPS.OP_3 || chunks[5] !== OPS.OP_CHECKMULTISIG) return null
  const keys = chunks.slice(1, 4)
  if (!keys.every(isCompressedPubkey)) return null
  const pubkeys = keys as Uint8Array[]
  for (let i = 1; i < 3; i++) {
    if (compareBytes(pubkeys[i - 1], pubkeys[i]) >= 0) return null // not BIP67-sorted, or a duplicate
  }
  if (!bytesEqual(multisigScript(pubkeys), witnessScript)) return null // non-minimal encoding
  return pubkeys
}

export function isEscrowScript (witnessScript: Uint8Array): boolean {
  return parseEscrowScript(witnessScript) !== null
}

// Does this output script pay to this escrow (P2WSH of exactly this witness script)?
export function isEscrowOutput (outputScript: Uint8Array, script: EscrowScript | Uint8Array): boolean {
  const ws = script instanceof Uint8Array ? script : script.witnessScript
  return isEscrowScript(ws) && bytesEqual(outputScript, p2wshOutputScript(ws))
}
