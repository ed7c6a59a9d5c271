// Milestones in the escrow engine (lib/escrow/milestones.ts, PROTOCOL.md "Milestones"):
//  - the printer's engine signs, by itself, the next refund while the job is active;
//  - the client releases a part (`job release ID`): it checks the printer's next refund on its own rebuild and its
//    own node's view of the escrow output, then signs its next refund and the release;
//  - the printer's engine completes the release (the payee signs last: the client never holds a release it could put
//    out alone after a ship or a ruling);
//  - every engine puts out, in order, the releases a CONFIRMED record holds fully signed that its node does not show,
//    before anything that spends the output they leave locked; a release is never broadcast from an unconfirmed
//    record (an op ordered before it could still make apply refuse it while the chain took it);
//  - an output spent by the stage's own release that the view never recorded is followed: with the client's release
//    in the record, the printer's signature is read from the chain and written into the record, which moves to the
//    next stage (relayRelease); either way the next refund goes out from the lock height, with this engine's own
//    signature if the record holds only the other side's.
import * as bitcoin from 'bitcoinjs-lib'
import { OP, type JobRecord } from '../schema.js'
import type { MarketNow } from '../market/clock.js'
import type { EscrowEngine, StepReport } from './engine.js'
import { escrowContext, buildFor, releaseParams, signerKey, type EscrowCtx } from './context.js'
import { checkSignature } from './witness.js'
import { sigOf } from './record.js'
import { unsignedTx } from './psbt.js'
import { combine, finalize, type Finalized } from './psbt-sign.js'
import { toHex } from './script.js'
import { milestonesOf, partSats, releaseCompletable, releaseOpen, releasePending, releasesPlanned, stageOf, buildRelease, RELEASE_HOLD_MS, RELEASE_MARGIN_BLOCKS, RELEASE_ASKS, RELEASE_SIGN_MARGIN_MS } from './milestones.js'
import { BAD_TRANSITION, NOT_ALLOWED, BAD_ESCROW } from '../errors.js'

// An active job's milestones: the printer's signatures (presign); the client's cancel once more when a release the
// printer put out late moved the escrow past it (its cancel stands meanwhile: record.ts lateCancelOpen).
export async function stepActive (engine: EscrowEngine, ctx: EscrowCtx, role: 'client' | 'printer', out: StepReport[]): Promise<void> {
  if (role === 'printer') await presign(engine, ctx, out)
  else if ((ctx.job.cancelVoided ?? 0) > 0 && sigOf(ctx.e, 'cancel', 'client') === undefined) await engine.sign(ctx, 'cancel', 'client', out)
}

// The printer's engine, from a confirmed record: its next refund while the job is active; and once the client has
// signed the release, its own signature, which completes it (checked on its own rebuild, with its own node showing
// the stage's output there and unspent, and the confirmed view's market time saying apply takes it). The engines
// put it out once that record is confirmed.
export async function presign (engine: EscrowEngine, ctx: EscrowCtx, out: StepReport[]): Promise<void> {
  const job = ctx.job
  if (engine.isRefused(job)) return
  try {
    if (sigOf(ctx.e, 'next-refund', 'printer') === undefined) {
      if (releaseOpen(job)) await engine.sign(ctx, 'next-refund', 'printer', out)
      return
    }
    const client = sigOf(ctx.e, 'release', 'client')
    if (client === undefined || sigOf(ctx.e, 'release', 'printer') !== undefined) return
    // only inside the hold, with a margin: a completion ordered after it could be refused (a refund claim, a cancel or
    // a dispute of the client's ordered first) while the client could still combine it with its own signature
    const state = await engine.market.confirmedState(job.id)
    if (state === null || state.job.rev !== job.rev || !releasePending(state.job, state.now)) return
    if (!holdLeft(engine, state)) return
    if (await engine.chain.tipHeight() >= ctx.client.lockHeight - RELEASE_MARGIN_BLOCKS) return // the stage's refund could win
    const theirs = engine.verified(ctx, client, 'client')
    if (ctx.stage > 0 && !(await engine.chain.txStatus(ctx.escrow.txid)).found) return // the earlier release first
    if (await engine.chain.outspend(ctx.escrow.txid, ctx.escrow.vout) !== null) return
    const own = engine.signOwn(ctx, 'release', 'printer')
    const tx = finalize(combine(theirs, own))
    if (!await engine.appendOnce(job, 'sign:release', { type: OP.ESCROW_SIGN, jobId: job.id, kind: 'release', psbt: own.toBuffer() })) return
    out.push({ jobId: ctx.id, action: 'sign', kind: 'release', txid: tx.txid })
    // and out at once: both signatures are readable in the logs from now on, so the release is settled on chain, not
    // left as an option for whoever could use it later (if apply refuses this signature after all, the rest comes
    // home from the lock height: strayRelease)
    try {
      await engine.chain.broadcast(tx.hex)
      out.push({ jobId: ctx.id, action: 'broadcast', kind: 'release', txid: tx.txid, detail: `milestone ${ctx.stage + 1}` })
    } catch (err) {
      out.push({ jobId: ctx.id, action: 'error', kind: 'release', txid: tx.txid, detail: (err as Error).message }) // followReleases tries again
    }
  } catch (err) {
    // a signature or transaction that fails the checks is refused for good; anything else (the node, the market) is
    // reported and tried again on the next step
    if ((err as { code?: string }).code === 'PSBT_REFUSED') engine.refuse(out, job, 'release', err)
    else out.push({ jobId: ctx.id, action: 'error', kind: 'release', detail: (err as Error).message })
  }
}

// Whether at least RELEASE_SIGN_MARGIN_MS of the ask's hold is left, by the confirmed view's market time and by this
// peer's own clock both (a view stale after a sleep or a restart can show time that has gone).
function holdLeft (engine: EscrowEngine, state: { job: JobRecord, now: MarketNow }): boolean {
  const end = (state.job.releaseAskedAt ?? 0) + RELEASE_HOLD_MS - RELEASE_SIGN_MARGIN_MS
  return !state.now.passed(end, 0) && engine.now() < end
}

// Puts out the first release the chain does not show yet; true when the stage's output is not there to act on.
export async function followReleases (engine: EscrowEngine, ctx: EscrowCtx, confirmed: boolean, out: StepReport[]): Promise<boolean> {
  const job = ctx.job
  for (let j = 0; j < ctx.stage; j++) {
    const rec = (job.releases ?? [])[j]
    const txid = toHex(rec.txid)
    if ((await engine.chain.txStatus(txid)).found) continue
    const at = escrowContext(job, engine.network, j)
    const spent = await engine.chain.outspend(at.escrow.txid, at.escrow.vout)
    const refund = rec.sigs.filter(s => s.kind === 'refund')
    if (spent !== null) {
      // the only other transaction both signed on that output is its stage's refund: the money went home by it
      if (refund.length === 2 && toHex(refund[0].txid) === spent.txid) {
        if ((await engine.chain.txStatus(spent.txid)).depth >= Math.max(1, ctx.e.fundingDepth)) await engine.markSettled(ctx, spent.txid, out, 'refund')
        return true
      }
      out.push({ jobId: ctx.id, action: 'error', txid: spent.txid, detail: `the output of stage ${j} was spent by ${spent.txid}, not by the release of milestone ${j + 1}` })
      return true
    }
    const put = async (kind: 'release' | 'refund', pair: typeof refund, detail: string): Promise<boolean> => {
      try {
        const tx = finalize(combine(engine.verified(at, pair[0], pair[0].role), engine.verified(at, pair[1], pair[1].role)))
        await engine.chain.broadcast(tx.hex)
        out.push({ jobId: ctx.id, action: 'broadcast', kind, txid: tx.txid, detail })
        return true
      } catch (err) {
        out.push({ jobId: ctx.id, action: 'error', kind, txid, detail: (err as Error).message })
        return false
      }
    }
    if (confirmed && await put('release', rec.sigs.filter(s => s.kind === 'release'), `milestone ${j + 1}`)) return true
    // a release in a record no indexer confirmed (none left, say) is not put out, nor one that cannot be (a printer's
    // signature relayed from the chain under another hash type, the release since reorganised away): from the lock
    // height that stage's refund goes out instead
    if (refund.length === 2 && await engine.chain.tipHeight() >= ctx.client.lockHeight) await put('refund', refund, `the refund of stage ${j}: its release never reached the chain`)
    return true
  }
  return false
}

// The stage's output was spent by the stage's own release, which the view does not hold as done: the remainder
// comes home by the next refund (both signed it before either release signature counted), from the lock height.
// True when this is the case (handled).
export async function strayRelease (engine: EscrowEngine, ctx: EscrowCtx, spentBy: string, out: StepReport[]): Promise<boolean> {
  if (ctx.stage >= releasesPlanned(ctx.job)) return false
  let releaseTxid: string
  try {
    releaseTxid = unsignedTx(buildFor(ctx, 'release', engine.network)).getId()
  } catch {
    return false
  }
  if (releaseTxid !== spentBy) return false
  // the printer's signature is on chain: the record follows it to the next stage (a ruling or cancel the release
  // made void is signed again there), and meanwhile the next refund below stays the way home
  if (releaseCompletable(ctx.job)) await relayRelease(engine, ctx, spentBy, out)
  // the refund of what it left locked: both next-refund signatures from the record, or the other side's and this
  // engine's own (a release apply refused can still have been put out with this side's logged signature)
  const role = engine.roleIn(ctx.job) as 'client' | 'printer'
  const other = role === 'client' ? 'printer' : 'client'
  const theirs = sigOf(ctx.e, 'next-refund', other)
  if (theirs === undefined) {
    out.push({ jobId: ctx.id, action: 'error', kind: 'release', txid: spentBy, detail: `the release is on chain but the record holds no refund signature of the ${other}'s for what it left locked` })
    return true
  }
  const left = await engine.chain.outspend(spentBy, 0)
  if (left !== null) {
    if ((await engine.chain.txStatus(left.txid)).depth >= Math.max(1, ctx.e.fundingDepth)) await engine.markSettled(ctx, left.txid, out)
    return true
  }
  if (await engine.chain.tipHeight() < ctx.client.lockHeight) return true
  try {
    const refund: Finalized = finalize(combine(engine.verified(ctx, theirs, other), engine.signOwn(ctx, 'next-refund', role)))
    await engine.chain.broadcast(refund.hex)
    out.push({ jobId: ctx.id, action: 'broadcast', kind: 'refund', txid: refund.txid, detail: 'the refund of what a release the view does not hold left locked' })
  } catch (err) {
    out.push({ jobId: ctx.id, action: 'error', kind: 'refund', detail: (err as Error).message })
  }
  return true
}

// Writes the printer's release signature, read from the release's witness on chain, into the record: apply takes it
// from either party like the printer's own (release-apply.ts), so a printer that held its completion back and put the
// release out later cannot leave the record on a stage whose ruling or cancel can no longer be paid.
async function relayRelease (engine: EscrowEngine, ctx: EscrowCtx, txid: string, out: StepReport[]): Promise<void> {
  if (engine.isPending(ctx.job, 'relay:release')) return
  try {
    // a release still in the mempool, or shallow, could yet be replaced by a payout of the same output: the record
    // waits for the funding's depth
    if ((await engine.chain.txStatus(txid)).depth < Math.max(1, ctx.e.fundingDepth)) return
    const hex = await engine.chain.txHex(txid)
    if (hex === null) return
    const witness = bitcoin.Transaction.fromHex(hex).ins[0].witness
    const psbt = buildFor(ctx, 'release', engine.network)
    const input = psbt.data.inputs[0]
    const prev = input.witnessUtxo as { script: Uint8Array, value: bigint }
    const key = signerKey(ctx, 'printer')
    const sig = witness.slice(1, -1).find(w => checkSignature(unsignedTx(psbt), 0, prev.script, prev.value, input.witnessScript, key, w, { anyHashType: true }) === null)
    if (sig === undefined) {
      out.push({ jobId: ctx.id, action: 'error', kind: 'release', txid, detail: 'the release on chain carries no signature of the printer\'s this peer can check' })
      return
    }
    psbt.updateInput(0, { partialSig: [{ pubkey: key, signature: sig }] })
    if (await engine.appendOnce(ctx.job, 'relay:release', { type: OP.ESCROW_SIGN, jobId: ctx.job.id, kind: 'release', psbt: psbt.toBuffer() })) {
      out.push({ jobId: ctx.id, action: 'sign', kind: 'release', txid, detail: `the printer's release of milestone ${ctx.stage + 1} is on chain: its signature, read from there, goes into the record` })
    }
  } catch (err) {
    out.push({ jobId: ctx.id, action: 'error', kind: 'release', txid, detail: (err as Error).message })
  }
}

// Waits for the client's ask to be in the confirmed view, holding the job.
async function askConfirmed (engine: EscrowEngine, id: Uint8Array, rev: number): Promise<{ job: JobRecord, now: MarketNow }> {
  const deadline = Date.now() + ASK_WAIT_MS
  for (;;) {
    await engine.market.update()
    const state = await engine.market.confirmedState(id)
    if (state !== null && state.job.rev > rev) {
      if (releasePending(state.job, state.now)) return state
      if (!releaseOpen(state.job)) throw BAD_TRANSITION('the market did not take your ask for this release (the job changed meanwhile): look at the job and try again')
    }
    if (Date.now() > deadline) throw BAD_TRANSITION(`no indexer confirmed your ask for this release in ${ASK_WAIT_MS / 1000} s: run the command again once the market has synced (the ask is written; it is asked again if it lapsed)`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}
const ASK_WAIT_MS = 30_000

export interface Released {
  milestone: number // 1-based
  label: string
  partSats: bigint
  printerSats: bigint
  feeSats: bigint
  lockedSats: bigint // the escrow output left locked (the rest of the bounty and both deposits)
  txid: string
}

// Why the next part cannot be released now, in words, or null.
function closedReason (job: JobRecord): string | null {
  const n = releasesPlanned(job)
  if (n === 0) return 'this job has no milestones'
  if (stageOf(job) >= n) return 'every milestone but the last is released: the last is paid when you complete the job'
  if (releaseOpen(job)) return null
  if (job.status !== 'active') return `a milestone is released while the job is active (funded, not shipped, not disputed); it is ${job.status}`
  return 'a cancel (or another payout) is signed for this escrow, or a refund claimed: no release can be'
}

// The client releases the next part, from a confirmed record, with this peer's own node showing the escrow output
// there and unspent: first its ask (its next refund, with the printer's already in, checked on this peer's rebuild),
// which holds the job (no ship, dispute or cancel can be ordered after it for RELEASE_HOLD_MS of market time); once
// the ask is confirmed, its release signature. The printer's engine completes the release; the engines put it out
// once that record is confirmed.
export async function releaseMilestone (engine: EscrowEngine, jobId: Uint8Array | string): Promise<Released> {
  let job = await engine.jobFor(jobId)
  if (engine.roleIn(job) !== 'client') throw NOT_ALLOWED('only the job\'s client releases a milestone')
  const why = closedReason(job)
  if (why !== null) throw BAD_TRANSITION(why)
  let ctx = escrowContext(job, engine.network)
  const funding = await engine.chain.txStatus(ctx.fundingTxid)
  if (funding.depth < Math.max(1, ctx.e.fundingDepth)) throw BAD_ESCROW(`this node does not show the escrow funded at ${ctx.e.fundingDepth} confirmations yet`)
  if (ctx.stage > 0 && !(await engine.chain.txStatus(ctx.escrow.txid)).found) throw BAD_ESCROW('the previous release is not on chain yet: wait for the engines to put it out')
  if (await engine.chain.outspend(ctx.escrow.txid, ctx.escrow.vout) !== null) throw BAD_ESCROW('this node shows the escrow output already spent')
  if (await engine.chain.tipHeight() >= ctx.client.lockHeight - RELEASE_MARGIN_BLOCKS) throw BAD_ESCROW(`the escrow's refund is valid from block ${ctx.client.lockHeight}: too close to release a part now (the refund could win the race)`)
  const refund = sigOf(ctx.e, 'next-refund', 'printer')
  if (refund === undefined) throw BAD_TRANSITION('the printer\'s engine has not signed the refund of what this release leaves locked yet (it does so by itself while the job is active): try again in a minute')
  engine.verified(ctx, refund, 'printer')
  // released already, and the printer's engine did not complete it in the hold (offline, say): asked again, the
  // release the record holds is completed in the new hold
  const released = sigOf(ctx.e, 'release', 'client') !== undefined
  let state = await engine.market.confirmedState(job.id)
  if (released && state !== null && releasePending(state.job, state.now)) throw BAD_TRANSITION(`you released milestone ${ctx.stage + 1} already: the printer's engine completes it (the job is held for it until ${new Date((state.job.releaseAskedAt ?? 0) + RELEASE_HOLD_MS).toISOString()}, market time; after that you may ask again)`)
  if (state === null || !releasePending(state.job, state.now)) {
    if ((job.releaseAsks ?? 0) >= RELEASE_ASKS) throw BAD_TRANSITION(`you asked for milestone ${ctx.stage + 1} ${RELEASE_ASKS} times without releasing it: its part is paid when you complete the job`)
    const own = engine.signOwn(ctx, 'next-refund', 'client')
    finalize(combine(engine.verified(ctx, refund, 'printer'), own)) // the refund is valid with both before anything is released
    await engine.market.append({ type: OP.ESCROW_SIGN, jobId: job.id, kind: 'next-refund', psbt: own.toBuffer() })
    state = await askConfirmed(engine, job.id, job.rev)
    job = state.job
    ctx = escrowContext(job, engine.network)
  }
  const own = engine.signOwn(ctx, 'release', 'client')
  if (!released) {
    // the release must be ordered inside the hold: with a few minutes of it left, not at its very end
    if (!holdLeft(engine, state)) throw BAD_TRANSITION('your ask for this release is about to lapse: run the command again in a while to ask anew')
    await engine.market.append({ type: OP.ESCROW_SIGN, jobId: job.id, kind: 'release', psbt: own.toBuffer() })
  }
  const built = buildRelease(releaseParams(ctx))
  const k = ctx.stage + 1
  return {
    milestone: k,
    label: milestonesOf(job)[k - 1]?.label ?? '',
    partSats: partSats(ctx.base.bountySats, ctx.milestones, k),
    printerSats: built.plan.printerSats,
    feeSats: built.plan.feeSats,
    lockedSats: built.plan.lockedSats,
    txid: unsignedTx(own).getId()
  }
}
