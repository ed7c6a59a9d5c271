// Signing, combining and finalizing the escrow's PSBTs: only SIGHASH_ALL, and nothing is returned that does not
// verify against the coins it spends. Pure.
import * as bitcoin from 'bitcoinjs-lib'
import { bytesEqual, p2wshOutputScript, parseEscrowScript, toHex } from './script.js'
import { isP2wpkhScript, unsignedTx } from './psbt.js'
import { checkSignature, verifyTx, witnessToBytes } from './witness.js'
import { BAD_ESCROW, PSBT_REFUSED } from '../errors.js'

const SIGHASH_ALL = bitcoin.Transaction.SIGHASH_ALL

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
