// What this peer signed for a job's escrow, read from its own log: its ops as written, whatever apply made of them.
// A signature apply refused (ordered after an op of the other side's that closed its way) is still readable there,
// and the other side can combine it with its own later: this peer's engine must not act as if it had not signed.
import * as bitcoin from 'bitcoinjs-lib'
import b4a from 'b4a'
import { OP, type SignKind } from '../schema.js'
import { readOwnOp } from '../market/admission.js'
import { unsignedTx } from './psbt.js'
import type { Market } from '../market/market.js'

// The unsigned txids of every signature this peer wrote for `jobId`, by kind.
export async function ownSignedTxids (market: Pick<Market, 'base'>, jobId: Uint8Array): Promise<Map<SignKind, Set<string>>> {
  const local = market.base.local
  const out = new Map<SignKind, Set<string>>()
  for (let i = 0; i < local.length; i++) {
    const op = await readOwnOp(local, i)
    if (op === null || op.type !== OP.ESCROW_SIGN || !b4a.equals(op.jobId, jobId)) continue
    try {
      const txid = unsignedTx(bitcoin.Psbt.fromBuffer(b4a.from(op.psbt))).getId()
      out.set(op.kind, (out.get(op.kind) ?? new Set<string>()).add(txid))
    } catch {}
  }
  return out
}
