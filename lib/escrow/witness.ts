// Checking witnesses and signatures the way a node does for the two kinds of script the escrow spends (P2WPKH
// coins, the P2WSH 2-of-3), so a wrong signature or finalization is caught here, not by the network. Pure.
import * as bitcoin from 'bitcoinjs-lib'
import b4a from 'b4a'
import * as ecc from 'tiny-secp256k1'
import { bytesEqual, p2wshOutputScript, parseEscrowScript } from './script.js'
import { PSBT_REFUSED } from '../errors.js'

const SIGHASH_ALL = bitcoin.Transaction.SIGHASH_ALL

function isP2wpkhScript (script: Uint8Array): boolean {
  return script.length === 22 && script[0] === 0x00 && script[1] === 0x14
}

function scriptCodeFor (prevScript: Uint8Array, witnessScript: Uint8Array | undefined): Uint8Array | null {
  if (isP2wpkhScript(prevScript)) {
    // BIP143: the script code of a P2WPKH input is the P2PKH script of its key hash
    const code = new Uint8Array(25)
    code.set([0x76, 0xa9, 0x14], 0)
    code.set(prevScript.subarray(2), 3)
    code.set([0x88, 0xac], 23)
    return code
  }
  if (witnessScript !== undefined && bytesEqual(prevScript, p2wshOutputScript(witnessScript))) return witnessScript
  return null
}

// null when `signature` (DER + sighash byte) by `pubkey` is a valid SIGHASH_ALL signature for input i that this
// key may give (its hash is the P2WPKH program, or it is one of the escrow keys); otherwise why not. `anyHashType`:
// any hash type and a high S too, as consensus takes them (a signature read from a transaction the chain holds).
export function checkSignature (tx: bitcoin.Transaction, i: number, prevScript: Uint8Array, value: bigint,
  witnessScript: Uint8Array | undefined, pubkey: Uint8Array, signature: Uint8Array, o: { anyHashType?: boolean } = {}): string | null {
  const code = scriptCodeFor(prevScript, witnessScript)
  if (code === null) return 'the coin is neither P2WPKH nor this escrow'
  if (isP2wpkhScript(prevScript)) {
    if (!bytesEqual(bitcoin.crypto.hash160(pubkey), prevScript.subarray(2))) return 'the key does not own this coin'
  } else {
    const keys = parseEscrowScript(code)
    if (keys === null || !keys.some(k => bytesEqual(k, pubkey))) return 'the key is not in the escrow script'
  }
  const any = o.anyHashType === true
  if (signature.byteLength < 2) return 'not a DER signature'
  // consensus takes any last byte as the hash type of a segwit v0 signature (bitcoinjs decodes only the defined ones)
  const hashType = signature[signature.byteLength - 1]
  let dec
  try {
    dec = bitcoin.script.signature.decode(any ? b4a.concat([signature.subarray(0, -1), b4a.from([SIGHASH_ALL])]) : signature)
  } catch {
    return 'not a DER signature'
  }
  if (hashType !== SIGHASH_ALL && !any) return `sighash type 0x${hashType.toString(16)}, only SIGHASH_ALL is accepted`
  const hash = tx.hashForWitnessV0(i, code, value, hashType)
  if (!ecc.verify(hash, pubkey, dec.signature, !any)) return 'the signature does not verify'
  return null
}

// Checks one input's witness against the coin it spends: P2WPKH, or the escrow's P2WSH 2-of-3 (CHECKMULTISIG
// semantics: signatures in key order, NULLDUMMY, exactly 2). null when valid, otherwise why not.
export function verifyInput (tx: bitcoin.Transaction, i: number, prevScript: Uint8Array, value: bigint, witness: Uint8Array[]): string | null {
  if (isP2wpkhScript(prevScript)) {
    if (witness.length !== 2) return `a P2WPKH witness has 2 items, not ${witness.length}`
    return checkSignature(tx, i, prevScript, value, undefined, witness[1], witness[0])
  }
  if (prevScript.length !== 34 || prevScript[0] !== 0x00 || prevScript[1] !== 0x20) return 'the coin is neither P2WPKH nor P2WSH'
  if (witness.length !== 4) return `an escrow witness has 4 items (dummy, 2 signatures, script), not ${witness.length}`
  const ws = witness[3]
  if (!bytesEqual(prevScript, p2wshOutputScript(ws))) return 'the witness script does not hash to the coin\'s script'
  const keys = parseEscrowScript(ws)
  if (keys === null) return 'the witness script is not a 2-of-3 escrow'
  if (witness[0].length !== 0) return 'the CHECKMULTISIG dummy is not empty (NULLDUMMY)'
  let k = 0
  for (const sig of [witness[1], witness[2]]) {
    let ok = false
    while (k < keys.length && !ok) {
      ok = checkSignature(tx, i, prevScript, value, ws, keys[k], sig) === null
      k++
    }
    if (!ok) return 'the signatures do not match two of the escrow keys in script order (CHECKMULTISIG fails)'
  }
  return null
}

// Verifies every input of a finalized transaction; returns the problems (empty when valid).
export function verifyTx (tx: bitcoin.Transaction | string, prevouts: Array<{ script: Uint8Array, value: bigint }>): string[] {
  const t = typeof tx === 'string' ? bitcoin.Transaction.fromHex(tx) : tx
  const errors: string[] = []
  if (prevouts.length !== t.ins.length) return [`${t.ins.length} inputs but ${prevouts.length} coins given`]
  for (let i = 0; i < t.ins.length; i++) {
    const pv = prevouts[i]
    if (pv === undefined) { errors.push(`input ${i}: unknown coin`); continue }
    if (t.ins[i].script.length > 0) { errors.push(`input ${i}: non-empty scriptSig`); continue }
    const why = verifyInput(t, i, pv.script, pv.value, t.ins[i].witness)
    if (why !== null) errors.push(`input ${i}: ${why}`)
  }
  return errors
}

export function witnessToBytes (stack: Uint8Array[]): Uint8Array {
  const parts: number[] = []
  const pushVarInt = (n: number): void => {
    if (n < 0xfd) parts.push(n)
    else if (n <= 0xffff) parts.push(0xfd, n & 0xff, n >> 8)
    else throw new Error('witness item too large')
  }
  pushVarInt(stack.length)
  for (const item of stack) {
    pushVarInt(item.length)
    for (const b of item) parts.push(b)
  }
  return Uint8Array.from(parts)
}

export function witnessFromBytes (bytes: Uint8Array): Uint8Array[] {
  let pos = 0
  const readVarInt = (): number => {
    const b = bytes[pos++]
    if (b < 0xfd) return b
    if (b === 0xfd) { const v = bytes[pos] | (bytes[pos + 1] << 8); pos += 2; return v }
    throw new Error('witness item too large')
  }
  const n = readVarInt()
  const out: Uint8Array[] = []
  for (let i = 0; i < n; i++) {
    const len = readVarInt()
    if (pos + len > bytes.length) throw PSBT_REFUSED('truncated witness')
    out.push(bytes.slice(pos, pos + len))
    pos += len
  }
  return out
}
