// The funding of an escrow, by the engine (engine.ts) of the client or the printer: the client's proposal, the
// printer's checks of it, the refund signed by both before anyone signs the funding, the funding itself, the lapse
// of an acceptance that is not funded in time, and refunds kept beside the wallet. Every counterparty signature is
// checked against this peer's own rebuild of the transaction before anything further is signed.
import b4a from 'b4a'
import * as bitcoin from 'bitcoinjs-lib'
import { OP, JOB_ID_BYTES, type JobRecord, type EscrowRecord, type EscrowSig, type SignKind, type ProposeEscrow } from '../schema.js'
import { jobIdString, parseJobIdPrefix } from '../ids.js'
import { escrowAmounts } from './amounts.js'
import { fromHex, toHex } from './script.js'
import { buildPayout } from './psbt.js'
import { checkPsbt } from './psbt-check.js'
import { combine, finalize, type Finalized } from './psbt-sign.js'
import { effectiveFeeRate } from './fees.js'
import { escrowContext, expectedFor, buildFor, type EscrowCtx, type Signer } from './context.js'
import { sigOf, pairOf, shipBy } from './record.js'
import { selectFundingCoins } from './wallet.js'
import { keyBindingHash } from './verify.js'
import { keepRefund as keep, keptRefunds, dropRefund } from './reservations.js'
import type { EscrowEngine, StepReport } from './engine.js'
import { PSBT_REFUSED } from '../errors.js'
import { outsideLimits } from './limits.js'


export async function propose (engine: EscrowEngine, job: JobRecord, out: StepReport[]): Promise<void> {
  const e = job.escrow as EscrowRecord
  const id = jobIdString(job.id)
  if (engine.isPending(job, 'propose')) return
  const past = outsideLimits({ ...e, deliveryDays: job.deliveryDays ?? 0 }, engine.limits)
  if (past !== null) {
    // terms this peer's user did not agree to (the market's creator changed its settings since the job was posted)
    engine.refuse(out, job, 'funding', new Error(`not funding: the escrow terms go past your own limits: ${past}`))
    await maybeLapse(engine, job, null, out)
    return
  }
  try {
    // the funding never pays more than twice this node's own estimate: a printer that names more gets this
    // node's estimate proposed instead (its coins, chosen for its higher rate, still cover it)
    const named = effectiveFeeRate(e.printer.feeRate)
    const estimate = effectiveFeeRate(await engine.chain.feeRate(engine.feeTarget))
    let feeRate = named
    let detail: string | undefined
    if (named > 2 * estimate || named > engine.maxFeeRate) {
      feeRate = Math.min(named, estimate, engine.maxFeeRate)
      // a deal with a ship-by time is funded at no less than half the printer's rate (apply refuses less)
      if (shipBy(job) !== null) feeRate = Math.max(feeRate, named / 2)
      if (feeRate > engine.maxFeeRate) throw new Error(`the printer named ${named} sat/vB and a deal with a lead time is funded at no less than half of it, more than your cap of ${engine.maxFeeRate} sat/vB`)
      detail = `the printer named ${named} sat/vB, more than twice this node's estimate of ${estimate} sat/vB: proposing ${feeRate} sat/vB`
    }
    const amounts = escrowAmounts({ bountySats: BigInt(job.bountySats), depositPct: BigInt(e.depositPct) })
    const tip = await engine.chain.tipHeight()
    const coins = await engine.spendable()
    const sel = selectFundingCoins(coins, 'client', amounts, feeRate)
    const key = engine.wallet.escrowKey(id, 'client')
    const escrow: ProposeEscrow = {
      pubkey: key.publicKey,
      payoutScript: (await engine.wallet.nextReceiveAddress()).script,
      changeScript: (await engine.wallet.nextChangeAddress()).script,
      inputs: sel.utxos.map(u => ({ txid: fromHex(u.txid), vout: u.vout, valueSats: Number(u.valueSats), script: fromHex(u.scriptPubKeyHex) })),
      feeRate,
      lockHeight: tip + e.refundDelayBlocks,
      keyProof: key.sign(keyBindingHash(job.id, engine.me, 'client'))
    }
    // the whole escrow must build before anything is written
    escrowContext({ ...job, escrow: { ...e, client: escrow } }, engine.network)
    // held until the funding timeout by this peer's clock too (market time may lag it: the coins must not go into
    // another escrow while this one's funding can still be completed)
    await engine.reserve(sel.utxos, id, Math.max(e.acceptedAt, engine.now()) + e.fundingTimeoutSecs * 1000)
    if (await engine.appendOnce(job, 'propose', { type: OP.ESCROW_PROPOSE, jobId: job.id, escrow })) out.push({ jobId: id, action: 'propose', detail })
  } catch (err) {
    if ((await engine.market.clock()).passed(e.acceptedAt, e.fundingTimeoutSecs * 1000)) await maybeLapse(engine, job, null, out)
    else out.push({ jobId: id, action: 'error', kind: 'funding', detail: (err as Error).message })
  }
}

export async function stepFunding (engine: EscrowEngine, ctx: EscrowCtx, role: 'client' | 'printer', out: StepReport[]): Promise<void> {
  const e = ctx.e
  const other: Signer = role === 'client' ? 'printer' : 'client'
  const mine = (k: SignKind): EscrowSig | undefined => sigOf(e, k, role)
  const theirs = (k: SignKind): EscrowSig | undefined => sigOf(e, k, other)
  const fundingPair = pairOf(e, 'funding')

  if (fundingPair !== null) {
    // both funding signatures: put it on chain, then record it once deep enough
    let tx: Finalized
    try {
      tx = finalize(combine(engine.verified(ctx, fundingPair[0], 'client'), engine.verified(ctx, fundingPair[1], 'printer')))
    } catch (err) {
      engine.refuse(out, ctx.job, 'funding', err)
      return
    }
    const st = await engine.chain.txStatus(tx.txid)
    if (!st.found) {
      try {
        await engine.chain.broadcast(tx.hex)
        out.push({ jobId: ctx.id, action: 'broadcast', kind: 'funding', txid: tx.txid })
      } catch (err) {
        out.push({ jobId: ctx.id, action: 'error', kind: 'funding', txid: tx.txid, detail: (err as Error).message })
      }
      return
    }
    if (st.depth >= e.fundingDepth) {
      if (await engine.appendOnce(ctx.job, 'funded', { type: OP.ESCROW_FUNDED, jobId: ctx.job.id, txid: fromHex(tx.txid) })) {
        out.push({ jobId: ctx.id, action: 'funded', txid: tx.txid, detail: `${st.depth} confirmation${st.depth === 1 ? '' : 's'}` })
      }
    }
    return
  }

  if (await maybeLapse(engine, ctx.job, ctx, out)) return

  if (mine('refund') === undefined) {
    try {
      if (role === 'printer') {
        await checkProposal(engine, ctx)
      } else {
        const t = theirs('refund')
        if (t === undefined) return // the printer signs the refund first
        engine.verified(ctx, t, 'printer')
        await checkCoins(engine, ctx.e.printer.inputs, 'printer')
      }
    } catch (err) {
      engine.refuse(out, ctx.job, 'refund', err)
      return
    }
    await engine.sign(ctx, 'refund', role, out)
    // the client signs its funding inputs in the same pass: apply takes them once both refund signatures are in
    if (role === 'client') await signFunding(engine, ctx, role, out)
    return
  }
  if (mine('funding') !== undefined) return
  const tr = theirs('refund')
  if (tr === undefined) return
  if (role === 'printer' && theirs('funding') === undefined) return // the client signs the funding first
  try {
    // the refund must be complete (finalizable) before this side signs the funding
    finalize(combine(engine.verified(ctx, tr, other), engine.verified(ctx, mine('refund') as EscrowSig, role)))
    const tf = theirs('funding')
    if (tf !== undefined) engine.verified(ctx, tf, other)
    await checkCoins(engine, role === 'client' ? ctx.e.printer.inputs : ctx.client.inputs, other as 'client' | 'printer')
  } catch (err) {
    engine.refuse(out, ctx.job, 'funding', err)
    return
  }
  await signFunding(engine, ctx, role, out)
}

// Signs this side's funding inputs, but only once the complete refund is kept beside the wallet (a disk error
// is retried on the next pass, not a refusal).
export async function signFunding (engine: EscrowEngine, ctx: EscrowCtx, role: 'client' | 'printer', out: StepReport[]): Promise<void> {
  try {
    await keepRefund(engine, ctx, role)
  } catch (err) {
    out.push({ jobId: ctx.id, action: 'error', kind: 'funding', detail: `the refund could not be kept beside the wallet, so the funding is not signed yet: ${(err as Error).message}` })
    return
  }
  await engine.sign(ctx, 'funding', role, out)
}

// Before this side signs a funding: the complete refund, finalized from the other side's verified signature and
// this side's own, saved beside the wallet (lib/escrow/reservations.ts) in case the job's record loses it.
export async function keepRefund (engine: EscrowEngine, ctx: EscrowCtx, role: 'client' | 'printer'): Promise<void> {
  const t = sigOf(ctx.e, 'refund', role === 'client' ? 'printer' : 'client')
  if (t === undefined) throw PSBT_REFUSED('the refund is not signed by both sides yet')
  const tx = finalize(combine(engine.verified(ctx, t, role === 'client' ? 'printer' : 'client'), engine.signOwn(ctx, 'refund', role)))
  const mine = role === 'client' ? ctx.e.client?.inputs ?? [] : ctx.e.printer.inputs
  await keep(engine.wallet.dir, {
    market: b4a.toString(engine.market.key, 'hex'),
    network: engine.network.bech32,
    job: ctx.id,
    fundingTxid: ctx.fundingTxid,
    vout: ctx.escrow.vout,
    inputs: mine.map(c => `${toHex(c.txid)}:${c.vout}`),
    lockHeight: ctx.client.lockHeight,
    hex: tx.hex
  })
}

// Kept refunds whose job no longer carries that escrow (its acceptance lapsed): if the funding reached the chain
// anyway, the refund goes out at its lock height. Entries are dropped once the escrow output is spent (by the
// refund or a payout), or one of this wallet's inputs to the funding was spent elsewhere (then that funding can
// never confirm).
export async function stepKeptRefunds (engine: EscrowEngine, out: StepReport[]): Promise<void> {
  const market = b4a.toString(engine.market.key, 'hex')
  for (const r of await keptRefunds(engine.wallet.dir)) {
    if (r.market !== market || r.network !== engine.network.bech32) continue
    try {
      const id = parseJobIdPrefix(r.job)
      const v = id === null || id.bytes.byteLength !== JOB_ID_BYTES ? null : await engine.market.getJob(id.bytes)
      if (v !== null && v.job.escrow != null) {
        const ctx = (() => { try { return escrowContext(v.job, engine.network) } catch { return null } })()
        if (ctx !== null && ctx.fundingTxid === r.fundingTxid) continue // the record still has it: the steps above watch it
      }
      const tip = await engine.chain.tipHeight()
      const st = await engine.chain.txStatus(r.fundingTxid)
      if (!st.confirmed) {
        if (!st.found && tip >= r.lockHeight) {
          for (const k of r.inputs) {
            const [txid, vout] = k.split(':')
            const spender = await engine.chain.outspend(txid, Number(vout))
            if (spender !== null && spender.txid !== r.fundingTxid) { await dropRefund(engine.wallet.dir, r.fundingTxid); break }
          }
        }
        continue
      }
      if (tip < r.lockHeight) continue
      const refundTxid = bitcoin.Transaction.fromHex(r.hex).getId()
      const spent = await engine.chain.outspend(r.fundingTxid, r.vout)
      if (spent === null) {
        await engine.chain.broadcast(r.hex)
        out.push({ jobId: r.job, action: 'broadcast', kind: 'refund', txid: refundTxid, detail: 'the funding reached the chain after the acceptance lapsed' })
      } else {
        await dropRefund(engine.wallet.dir, r.fundingTxid) // refunded, or spent by a payout both signed
      }
    } catch (err) {
      out.push({ jobId: r.job, action: 'error', kind: 'refund', detail: (err as Error).message })
    }
  }
}

// The printer's checks of the client's proposal (its own side is its accept, already in the record).
// The other side's coins, as this peer's own node sees them: confirmed, unspent, of the value and script the record
// states. Coins that do not exist would make a funding that can never confirm, and keep this side's coins held.
export async function checkCoins (engine: EscrowEngine, coins: EscrowRecord['printer']['inputs'], who: 'client' | 'printer'): Promise<void> {
  for (const c of coins) {
    const txid = toHex(c.txid)
    const where = `the ${who}'s coin ${txid}:${c.vout}`
    const st = await engine.chain.txStatus(txid)
    const hex = st.confirmed ? await engine.chain.txHex(txid) : null
    if (hex === null) throw PSBT_REFUSED(`${where} is not confirmed on this node's chain`)
    const out = bitcoin.Transaction.fromHex(hex).outs[c.vout]
    if (out === undefined || out.value !== BigInt(c.valueSats) || toHex(out.script) !== toHex(c.script)) throw PSBT_REFUSED(`${where} is not the output the record says (value or script differ)`)
    if (await engine.chain.outspend(txid, c.vout) !== null) throw PSBT_REFUSED(`${where} is already spent`)
  }
}

export async function checkProposal (engine: EscrowEngine, ctx: EscrowCtx): Promise<void> {
  await checkCoins(engine, ctx.client.inputs, 'client')
  const c = ctx.client
  const rate = effectiveFeeRate(c.feeRate)
  if (rate > effectiveFeeRate(ctx.e.printer.feeRate)) throw PSBT_REFUSED(`the proposed fee rate ${rate} sat/vB is above the ${ctx.e.printer.feeRate} sat/vB the printer accepted`)
  if (rate > engine.maxFeeRate) throw PSBT_REFUSED(`the proposed fee rate ${rate} sat/vB is above the cap of ${engine.maxFeeRate} sat/vB`)
  const tip = await engine.chain.tipHeight()
  const min = tip + Math.ceil(ctx.e.refundDelayBlocks * 0.9)
  const max = tip + Math.ceil(ctx.e.refundDelayBlocks * 1.1) + 6
  if (c.lockHeight < min) throw PSBT_REFUSED(`the refund's lock height ${c.lockHeight} is too soon (at least ${min})`)
  if (c.lockHeight > max) throw PSBT_REFUSED(`the refund's lock height ${c.lockHeight} is too late (at most ${max})`)
  // the funding and the refund as the record defines them are what this side will sign
  checkPsbt(expectedFor(ctx, 'funding', engine.network), buildFor(ctx, 'funding', engine.network), { maxFeeRate: engine.maxFeeRate })
  checkPsbt(expectedFor(ctx, 'refund', engine.network), buildFor(ctx, 'refund', engine.network), { maxFeeRate: engine.maxFeeRate })
  const refund = buildPayout({ kind: 'refund' }, { ...ctx.payout, lockHeight: c.lockHeight }).plan
  const mine = refund.outputs.find(o => o.role === 'printer')
  if (mine === undefined || mine.valueSats < ctx.amounts.printerDepositSats - refund.printerFeeSats) throw PSBT_REFUSED('the refund does not return the printer\'s deposit')
}

// A job whose acceptance was not funded by its funding timeout (in market time, lib/market/clock.ts) goes back to
// open.
export async function maybeLapse (engine: EscrowEngine, job: JobRecord, ctx: EscrowCtx | null, out: StepReport[]): Promise<boolean> {
  const e = job.escrow as EscrowRecord
  if (job.status !== 'accepted' || pairOf(e, 'funding') !== null) return false
  if (!(await engine.market.clock()).passed(e.acceptedAt, e.fundingTimeoutSecs * 1000)) return false
  if (ctx !== null) {
    const st = await engine.chain.txStatus(ctx.fundingTxid)
    if (st.found) return false // never lapse a job whose funding is out there
  }
  if (await engine.appendOnce(job, 'lapse', { type: OP.JOB_LAPSE, jobId: job.id })) out.push({ jobId: jobIdString(job.id), action: 'lapse' })
  return true
}
