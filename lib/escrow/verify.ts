// What apply checks of money, from the log alone: that a signature an op carries is the author's, on exactly the
// transaction every peer rebuilds from the job's record (context.ts), valid for its sighash; and that every payout
// path of an escrow can be paid at its fee rate with an output for each party. Pure and deterministic.
import * as bitcoin from 'bitcoinjs-lib'
import * as ecc from 'tiny-secp256k1'
import b4a from 'b4a'
import c from 'compact-encoding'
import { escrowParty, type JobRecord, type EscrowSig, type SignKind, type SignerRole } from '../schema.js'
import { escrowContext, buildFor, signerKey, encodeSigSet, type PartialSig, type EscrowCtx } from './context.js'
import { unsignedTx } from './psbt.js'
import { feeForVsize, txOverheadWeight, WEIGHT, effectiveFeeRate } from './fees.js'
import { checkSignature } from './witness.js'
import { bytesEqual } from './script.js'
import { escrowAmounts, payoutOutputs, DUST_SATS, type EscrowAmounts, type PayoutPath } from './amounts.js'

// The author's signature of `kind` for this job, checked against the rebuilt transaction: the PSBT must be of
// exactly that unsigned transaction, carry no finalized input, and hold exactly one valid SIGHASH_ALL signature on
// each input the author signs (the escrow input, by its escrow key; for the funding, each coin it brought, by the
// key that owns it) and none elsewhere. Returns the record's entry — the author's signatures only (context.ts
// encodeSigSet), so nothing else the op carried is kept — or null. Cheap checks come first: bytes that are not a
// PSBT of the right shape cost no rebuild.
// `fromChain`: a signature read from a transaction on chain (the printer's release relayed by the client), taken with
// any hash type: the client's SIGHASH_ALL signature already fixes the whole transaction.
export function verifySig (job: JobRecord, kind: SignKind, role: SignerRole, bytes: Uint8Array, o: { fromChain?: boolean } = {}): EscrowSig | null {
  try {
    const e = job.escrow ?? null
    if (e === null || e.client === null) return null
    const got = bitcoin.Psbt.fromBuffer(b4a.from(bytes))
    const inputs = kind === 'funding' ? e.client.inputs.length + e.printer.inputs.length : 1
    if (got.inputCount !== inputs || (kind === 'funding' && role === 'arbitrator')) return null
    for (const d of got.data.inputs) if (d.finalScriptWitness !== undefined || d.finalScriptSig !== undefined || (d.partialSig ?? []).length > 1) return null
    const { ctx, tx, prevout } = expected(job, kind)
    let prevouts: Array<{ script: Uint8Array, value: bigint, witnessScript?: Uint8Array }>
    let signs: number[]
    if (kind === 'funding') {
      prevouts = ctx.fundingPrevouts
      signs = role === 'client' ? ctx.fundingPlan.client.inputIndexes : ctx.fundingPlan.printer.inputIndexes
    } else {
      prevouts = [prevout as NonNullable<typeof prevout>]
      signs = [0]
    }
    if (!bytesEqual(unsignedTx(got).toBuffer(), tx.toBuffer())) return null
    const key = kind === 'funding' ? null : signerKey(ctx, role)
    const sigs: PartialSig[] = []
    for (let i = 0; i < inputs; i++) {
      const ps = got.data.inputs[i].partialSig ?? []
      if (!signs.includes(i)) {
        if (ps.length > 0) return null
        continue
      }
      if (ps.length !== 1) return null
      const sig = ps[0]
      if (key !== null && !bytesEqual(sig.pubkey, key)) return null
      const prev = prevouts[i]
      if (checkSignature(tx, i, prev.script, prev.value, prev.witnessScript, sig.pubkey, sig.signature, { anyHashType: o.fromChain === true && kind === 'release' }) !== null) return null
      sigs.push({ input: i, pubkey: b4a.from(sig.pubkey), signature: b4a.from(sig.signature) })
    }
    return { kind, role, psbt: encodeSigSet(sigs), txid: b4a.from(tx.getHash()).reverse() }
  } catch {
    return null
  }
}

// The transaction a record defines for a kind, and the record's context, remembered for the last few records: a
// peer fed many ops against one escrow rebuilds it once. What defines the transaction is the key, so a hit is
// always the same result (apply stays deterministic).
type Rebuilt = { ctx: EscrowCtx, tx: bitcoin.Transaction, prevout: { script: Uint8Array, value: bigint, witnessScript?: Uint8Array } | null }
const remembered = new Map<string, Rebuilt>()
function expected (job: JobRecord, kind: SignKind): Rebuilt {
  const e = job.escrow as NonNullable<JobRecord['escrow']>
  const d = job.dispute ?? null
  const key = [kind, b4a.toString(job.id, 'hex'), job.bountySats, e.depositPct, e.arbitrationFeePct, b4a.toString(e.arbitratorPubkey, 'hex'),
    b4a.toString(c.encode(escrowParty, e.printer), 'hex'), e.client === null ? '' : b4a.toString(c.encode(escrowParty, e.client), 'hex'), e.client?.lockHeight ?? 0,
    e.ruling === null ? '' : b4a.toString(e.ruling.feeScript, 'hex') + e.ruling.winner, d?.ruling?.printerPct ?? '',
    d?.proposal == null ? '' : `${d.proposal.printerPct}/${d.proposal.feeSats}/${b4a.toString(d.proposal.feeScript, 'hex')}`,
    (job.milestones ?? []).map(m => m.pct).join(','), (job.releases ?? []).map(r => b4a.toString(r.txid, 'hex')).join(',')].join('|')
  let hit = remembered.get(key)
  if (hit === undefined) {
    const ctx = escrowContext(job)
    if (kind === 'funding') {
      hit = { ctx, tx: ctx.fundingTx, prevout: null }
    } else {
      // the coin a payout spends is the one its rebuild names: this stage's escrow output, or (next-refund) the next's
      const psbt = buildFor(ctx, kind)
      const d = psbt.data.inputs[0]
      const w = d.witnessUtxo as { script: Uint8Array, value: bigint }
      hit = { ctx, tx: unsignedTx(psbt), prevout: { script: w.script, value: w.value, witnessScript: d.witnessScript } }
    }
    if (remembered.size >= 64) remembered.delete(remembered.keys().next().value as string)
    remembered.set(key, hit)
  }
  return hit
}

// --- escrow keys bound to their job ---------------------------------------------------------------------------------

// What a party's escrow key signs when it is put into a job (the printer's accept, the client's proposal): the job,
// the writer that puts it there and the role. Without it, anyone could copy another party's key, coins and
// signatures from one job into a job of its own, where the same funding would be spendable by other rulings.
export function keyBindingHash (jobId: Uint8Array, author: Uint8Array, role: 'client' | 'printer'): Uint8Array {
  return bitcoin.crypto.sha256(b4a.concat([b4a.from('p2print/escrow-key/v1'), jobId, author, b4a.from(role)]))
}

export function keyBound (pubkey: Uint8Array, proof: Uint8Array | null | undefined, jobId: Uint8Array, author: Uint8Array, role: 'client' | 'printer'): boolean {
  if (proof == null || proof.byteLength !== 64) return false
  try {
    return ecc.verify(keyBindingHash(jobId, author, role), pubkey, proof, true)
  } catch {
    return false
  }
}

// --- every payout path payable ------------------------------------------------------------------------------------

// Weights of the largest payouts (the refund, complete and cancel have two P2WPKH outputs; a split or ruling adds a
// third output of up to a 34-byte script), so a check at these sizes holds for every real payout.
const TWO_OUTPUTS = txOverheadWeight(1, 2) + WEIGHT.escrowInput + 2 * 124
const THREE_OUTPUTS = txOverheadWeight(1, 3) + WEIGHT.escrowInput + 2 * 124 + 172

export interface PathTerms {
  bountySats: number
  depositPct: number
  arbitrationFeePct: number
  feeRate: number // sat/vB, the funding's: every payout pays it
  maxMediatorFeePct: number
}

// Why some payout path of these terms cannot be paid with an output of at least the dust limit to both the client
// and the printer (so each can bump its payout with CPFP), or null when all can: complete, cancel, refund, and the
// split and the ruling at every whole percentage (the split with the largest mediator fee allowed).
export function unpayablePath (t: PathTerms): string | null {
  let amounts: EscrowAmounts
  let rate: number
  try {
    amounts = escrowAmounts({ bountySats: BigInt(t.bountySats), depositPct: BigInt(t.depositPct) })
    rate = effectiveFeeRate(t.feeRate)
  } catch (err) {
    return (err as Error).message
  }
  const two = feeForVsize(TWO_OUTPUTS, rate)
  const three = feeForVsize(THREE_OUTPUTS, rate)
  const mediatorFee = amounts.bountySats * BigInt(t.maxMediatorFeePct) / 100n
  const check = (path: PayoutPath, feeSats: bigint, what: string): string | null => {
    try {
      const plan = payoutOutputs(path, { amounts, feeSats, clientAddress: 'client', printerAddress: 'printer' })
      for (const role of ['client', 'printer'] as const) {
        const o = plan.outputs.find(x => x.role === role)
        if (o === undefined || o.valueSats < DUST_SATS) return `the ${what} would leave the ${role} no output of at least ${DUST_SATS} sats at ${rate} sat/vB`
      }
      return null
    } catch (err) {
      return `the ${what} cannot be paid at ${rate} sat/vB: ${(err as Error).message}`
    }
  }
  for (const kind of ['complete', 'cancel', 'refund'] as const) {
    const why = check({ kind }, two, kind === 'complete' ? 'completion payout' : kind)
    if (why !== null) return why
  }
  for (let pct = 0; pct <= 100; pct++) {
    const p = BigInt(pct)
    const split = check({ kind: 'split', printerPct: p, mediatorFeeSats: mediatorFee, mediatorAddress: 'mediator', maxMediatorFeePct: BigInt(t.maxMediatorFeePct) }, three, `mediated split at ${pct} %`)
    if (split !== null) return split
    const ruling = check({ kind: 'ruling', printerPct: p, arbitratorAddress: 'arbitrator', arbitrationFeePct: BigInt(t.arbitrationFeePct) }, three, `ruling at ${pct} %`)
    if (ruling !== null) return ruling
  }
  return null
}

// The smallest bounty (sats) whose every path is payable at this fee rate, or null above 21 million BTC.
export function minPayableBounty (t: Omit<PathTerms, 'bountySats'>): number | null {
  let lo = 1
  let hi = Math.floor(2_100_000_000_000_000 * 100 / (100 + 2 * t.depositPct)) // the largest bounty whose escrow fits in 21 M BTC
  if (unpayablePath({ ...t, bountySats: hi }) !== null) return null
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2)
    if (unpayablePath({ ...t, bountySats: mid }) === null) hi = mid
    else lo = mid + 1
  }
  return lo
}
