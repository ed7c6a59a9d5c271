// A peer's escrow engine: reads the market's CONFIRMED job records, and for every escrowed job where this peer is
// the client, the printer or the arbitrator, does what lib/escrow/PROTOCOL.md says is due from it: proposes,
// checks and signs (refund before funding), broadcasts, records funding and payouts. Every PSBT a counterparty
// wrote is rebuilt from the record and compared (checkPsbt) before anything is signed; a refusal is reported and
// nothing further is signed for that job. The helpers at the end are what the command line calls for the steps a
// person decides (accept, ship, complete, cancel, rule).
import b4a from 'b4a'
import * as bitcoin from 'bitcoinjs-lib'
import type { Market } from '../market/market.js'
import { OP, JOB_ID_BYTES, type JobRecord, type EscrowRecord, type EscrowParty, type EscrowCoin, type EscrowSig, type SignKind, type Winner, type ProposeEscrow } from '../schema.js'
import { pairOf, sigOf } from '../market/apply.js'
import { getSettings } from '../market/view.js'
import { jobIdString, parseJobIdPrefix } from '../ids.js'
import { escrowAmounts, type EscrowAmounts, type PayoutPath, type PayoutOutput } from './amounts.js'
import { escrowScript, escrowAddress, toHex, fromHex, bytesEqual, type EscrowScript } from './script.js'
import {
  buildFunding, buildPayout, checkPsbt, combine, finalize, escrowUtxoOf, signInputs, addressOf, effectiveFeeRate, unsignedTx,
  DEFAULT_MAX_FEE_RATE, type Expected, type FundingParams, type FundingPlan, type PayoutTxParams, type FundingUtxo, type Finalized, type EscrowUtxo
} from './psbt.js'
import { selectFundingCoins, type Wallet } from './wallet.js'
import { reservedCoins, reserveCoins, keepRefund, keptRefunds, dropRefund } from './reservations.js'
import { rulingPrinterPct, cancelAllowed, cancelAgreed, MAX_MEDIATOR_FEE_PCT } from '../disputes/apply.js'
import type { ChainBackend } from './chain.js'
import { BAD_ESCROW, PSBT_REFUSED, NOT_ALLOWED, BAD_TRANSITION, JOB_NOT_FOUND } from '../errors.js'

// The arbitrator's key is one key per wallet (named in the market settings), not per job: it is derived at the
// escrow path of this fixed label in the arbitrator role (wallet.ts).
export const ARBITRATOR_KEY_LABEL = 'p2print/arbitrator'

export function arbitratorKey (wallet: Wallet): ReturnType<Wallet['escrowKey']> {
  return wallet.escrowKey(ARBITRATOR_KEY_LABEL, 'arbitrator')
}

export function arbitratorPubkey (wallet: Wallet): Uint8Array {
  return arbitratorKey(wallet).publicKey
}

export interface EngineOptions {
  market: Market
  wallet: Wallet
  chain: ChainBackend
  network: bitcoin.Network
  now?: () => number
  maxFeeRate?: number // sat/vB: the highest funding/payout fee rate this peer signs (default psbt.ts's cap)
  feeTarget?: number // blocks, for the fee estimate at accept (default 2)
}

export interface StepReport {
  jobId: string
  action: 'propose' | 'sign' | 'broadcast' | 'funded' | 'paid' | 'lapse' | 'escalate' | 'refuse' | 'error'
  kind?: SignKind | 'refund' | 'cancel' | 'ruling' | 'funding' | 'split'
  txid?: string
  detail?: string
}

export type EscrowState =
  | 'awaiting-proposal' | 'awaiting-refund-signatures' | 'awaiting-funding-signatures' | 'funding'
  | 'funded' | 'shipped' | 'disputed' | 'ruled' | 'closed'

export interface PathSummary { kind: PayoutPath['kind'], outputs: Array<{ role: string, address: string, valueSats: string }>, feeSats: string }

export interface EscrowSummary {
  state: EscrowState
  address: string | null
  arbitrator: string
  amounts: { bountySats: string, depositPct: number, clientDepositSats: string, printerDepositSats: string, clientInSats: string, printerInSats: string, totalSats: string } | null
  feeRate: number | null
  fundedBy: { client: boolean, printer: boolean } // funding signatures given
  refundSigned: { client: boolean, printer: boolean }
  cancelSigned: { client: boolean, printer: boolean }
  fundingTxid: string | null
  fundingDepth: number | null // confirmations (describe only)
  requiredDepth: number
  paths: PathSummary[]
  ruling: { winner: Winner, printerPct: number, feeAddress: string } | null
  payout: { kind: string, txid: string } | null
  deadlines: { lapseAt: string, lockHeight: number | null, tipHeight: number | null }
}

// Everything the record determines: the amounts, the script, the funding and every payout. Throws BAD_ESCROW /
// ESCROW_AMOUNTS when the record cannot make a valid escrow (a bad proposal).
export interface EscrowCtx {
  id: string
  job: JobRecord
  e: EscrowRecord
  amounts: EscrowAmounts
  client: ProposeEscrow
  script: EscrowScript
  funding: FundingParams
  fundingPlan: FundingPlan
  fundingTxid: string
  escrow: EscrowUtxo
  payout: PayoutTxParams
}

function coinToUtxo (c: EscrowCoin): FundingUtxo {
  return { txid: toHex(c.txid), vout: c.vout, valueSats: BigInt(c.valueSats), scriptPubKeyHex: toHex(c.script) }
}

export function escrowContext (job: JobRecord, network: bitcoin.Network): EscrowCtx {
  const e = job.escrow ?? null
  if (e === null) throw BAD_ESCROW('this job has no escrow')
  if (e.client === null) throw BAD_ESCROW('the client has not proposed the escrow yet')
  const amounts = escrowAmounts({ bountySats: BigInt(job.bountySats), depositPct: BigInt(e.depositPct) })
  const script = escrowScript({ client: e.client.pubkey, printer: e.printer.pubkey, arbitrator: e.arbitratorPubkey })
  const funding: FundingParams = {
    clientUtxos: e.client.inputs.map(coinToUtxo),
    printerUtxos: e.printer.inputs.map(coinToUtxo),
    clientChange: addressOf(e.client.changeScript, network),
    printerChange: addressOf(e.printer.changeScript, network),
    escrow: script,
    amounts,
    feeRate: e.client.feeRate,
    network
  }
  const built = buildFunding(funding)
  const escrow = escrowUtxoOf(built.psbt, script)
  const payout: PayoutTxParams = {
    escrow,
    amounts,
    clientAddress: addressOf(e.client.payoutScript, network),
    printerAddress: addressOf(e.printer.payoutScript, network),
    feeRate: e.client.feeRate,
    network
  }
  return { id: jobIdString(job.id), job, e, amounts, client: e.client, script, funding, fundingPlan: built.plan, fundingTxid: escrow.txid, escrow, payout }
}

function pathFor (ctx: EscrowCtx, kind: SignKind, network: bitcoin.Network): PayoutPath | null {
  if (kind === 'refund' || kind === 'cancel' || kind === 'complete') return { kind }
  if (kind === 'ruling') {
    const r = ctx.e.ruling
    const pct = rulingPrinterPct(ctx.job)
    if (r === null || pct === null) return null
    return { kind: 'ruling', printerPct: BigInt(pct), arbitratorAddress: addressOf(r.feeScript, network), arbitrationFeePct: BigInt(ctx.e.arbitrationFeePct) }
  }
  if (kind === 'split') {
    const p = ctx.job.dispute?.proposal ?? null
    if (p == null) return null
    return { kind: 'split', printerPct: BigInt(p.printerPct), mediatorFeeSats: BigInt(p.feeSats), mediatorAddress: addressOf(p.feeScript, network), maxMediatorFeePct: BigInt(MAX_MEDIATOR_FEE_PCT) }
  }
  return null
}

export function expectedFor (ctx: EscrowCtx, kind: SignKind, network: bitcoin.Network): Expected {
  if (kind === 'funding') return { kind: 'funding', params: ctx.funding }
  const path = pathFor(ctx, kind, network)
  if (path === null) throw BAD_ESCROW(`no ${kind} transaction for this job yet`)
  if (kind === 'refund') return { kind: 'payout', path, params: { ...ctx.payout, lockHeight: ctx.client.lockHeight } }
  return { kind: 'payout', path, params: ctx.payout }
}

export function buildFor (ctx: EscrowCtx, kind: SignKind, network: bitcoin.Network): bitcoin.Psbt {
  const x = expectedFor(ctx, kind, network)
  return x.kind === 'funding' ? buildFunding(x.params).psbt : buildPayout(x.path, x.params).psbt
}

type Party = 'client' | 'printer' | 'arbitrator'

function partyKey (ctx: EscrowCtx, who: Party): Uint8Array {
  return who === 'client' ? ctx.client.pubkey : who === 'printer' ? ctx.e.printer.pubkey : ctx.e.arbitratorPubkey
}

export class EscrowEngine {
  readonly market: Market
  readonly wallet: Wallet
  readonly chain: ChainBackend
  readonly network: bitcoin.Network
  readonly now: () => number
  readonly maxFeeRate: number
  readonly feeTarget: number
  // a job (and stage) this peer refused: nothing more is signed for it; reported once
  readonly refused = new Map<string, string>()
  // ops appended and not yet visible in the confirmed record: key → when
  private readonly pending = new Map<string, number>()
  // coins put into an accept or proposal that the record may not show yet
  private readonly reserved = new Map<string, number>() // outpoint → reserved until (ms)

  constructor (o: EngineOptions) {
    this.market = o.market
    this.wallet = o.wallet
    this.chain = o.chain
    this.network = o.network
    this.now = o.now ?? Date.now
    this.maxFeeRate = o.maxFeeRate ?? DEFAULT_MAX_FEE_RATE
    this.feeTarget = o.feeTarget ?? 2
  }

  private get me (): Uint8Array { return this.market.writerKey }

  private roleIn (job: JobRecord): Party | null {
    if (b4a.equals(job.client, this.me)) return 'client'
    if (job.printer !== null && b4a.equals(job.printer, this.me)) return 'printer'
    if (job.escrow != null && b4a.equals(job.escrow.arbitrator, this.me)) return 'arbitrator'
    return null
  }

  // --- the loop ----------------------------------------------------------------------------------------------------

  // One pass at a time: a UI session's background steps and a command's steps may ask at once.
  private stepping: Promise<unknown> = Promise.resolve()
  async step (): Promise<StepReport[]> {
    const run = this.stepping.then(async () => await this.stepOnce(), async () => await this.stepOnce())
    this.stepping = run.catch(() => {})
    return await run
  }

  private async stepOnce (): Promise<StepReport[]> {
    await this.market.update()
    const out: StepReport[] = []
    const ids: Uint8Array[] = []
    for await (const job of this.market.allJobs()) {
      if (job.escrow != null && job.escrow.closed === null && this.roleIn(job) !== null) ids.push(job.id)
    }
    for (const id of ids) {
      const v = await this.market.getJob(id)
      if (v === null || !v.confirmed) continue // act on confirmed records only
      try {
        await this.stepJob(v.job, out)
      } catch (err) {
        out.push({ jobId: jobIdString(id), action: 'error', detail: (err as Error).message })
      }
    }
    await this.stepKeptRefunds(out)
    return out
  }

  // Steps until a pass does nothing (and nothing is waiting to be confirmed) or the time is up.
  async runUntilIdle (timeoutMs: number, stepMs = 100): Promise<StepReport[]> {
    const deadline = Date.now() + timeoutMs
    const all: StepReport[] = []
    while (Date.now() < deadline) {
      const r = await this.step()
      all.push(...r)
      await this.market.update()
      if (r.length === 0 && this.pending.size === 0) break
      await new Promise(resolve => setTimeout(resolve, stepMs))
    }
    return all
  }

  private pendingKey (job: JobRecord, what: string): string {
    return `${b4a.toString(job.id, 'hex')}:${job.history.length}:${what}`
  }

  // Appends once per confirmed record state (retries after 30 s if the op never shows).
  private async appendOnce (job: JobRecord, what: string, op: Parameters<Market['append']>[0]): Promise<boolean> {
    const k = this.pendingKey(job, what)
    const at = this.pending.get(k)
    if (at !== undefined && Date.now() - at < 30_000) return false
    this.pending.set(k, Date.now())
    await this.market.append(op)
    return true
  }

  private refuse (out: StepReport[], ctxId: string, stage: string, err: unknown): void {
    const key = `${ctxId}:${stage}`
    if (this.refused.has(key)) return
    const why = (err as Error).message
    this.refused.set(key, why)
    out.push({ jobId: ctxId, action: 'refuse', kind: stage as StepReport['kind'], detail: why })
  }

  private isRefused (id: string): boolean {
    for (const k of this.refused.keys()) if (k.startsWith(id + ':')) return true
    return false
  }

  private async stepJob (job: JobRecord, out: StepReport[]): Promise<void> {
    const e = job.escrow as EscrowRecord
    const role = this.roleIn(job)
    const id = jobIdString(job.id)
    // drop pending markers of earlier record states of this job
    const prefix = `${b4a.toString(job.id, 'hex')}:${job.history.length}:`
    for (const k of [...this.pending.keys()]) if (k.startsWith(b4a.toString(job.id, 'hex') + ':') && !k.startsWith(prefix)) this.pending.delete(k)
    if (role === null || role === 'arbitrator') return
    if (this.isRefused(id)) return

    if (job.status === 'accepted' && e.client === null) {
      if (role === 'client') await this.propose(job, out)
      else await this.maybeLapse(job, null, out)
      return
    }
    if (e.client === null) return
    let ctx: EscrowCtx
    try {
      ctx = escrowContext(job, this.network)
    } catch (err) {
      this.refuse(out, id, 'funding', err)
      return
    }

    // a refund that is due goes first, whatever else is pending
    if (await this.maybeRefund(ctx, out)) return

    if (job.status === 'accepted') {
      await this.stepFunding(ctx, role, out)
      return
    }
    if (cancelAllowed(job) && pairOf(e, 'cancel') !== null) {
      await this.payout(ctx, 'cancel', out)
      return
    }
    if (job.status === 'disputed') await this.stepDispute(ctx, role, out)
  }

  // --- funding -----------------------------------------------------------------------------------------------------

  private async propose (job: JobRecord, out: StepReport[]): Promise<void> {
    const e = job.escrow as EscrowRecord
    const id = jobIdString(job.id)
    if (this.pending.has(this.pendingKey(job, 'propose'))) return
    try {
      const feeRate = effectiveFeeRate(e.printer.feeRate)
      if (feeRate > this.maxFeeRate) throw PSBT_REFUSED(`the printer's fee rate ${feeRate} sat/vB is above the cap of ${this.maxFeeRate} sat/vB`)
      const amounts = escrowAmounts({ bountySats: BigInt(job.bountySats), depositPct: BigInt(e.depositPct) })
      const tip = await this.chain.tipHeight()
      const coins = await this.spendable()
      const sel = selectFundingCoins(coins, 'client', amounts, feeRate)
      const escrow: ProposeEscrow = {
        pubkey: this.wallet.escrowPubkey(id, 'client'),
        payoutScript: (await this.wallet.nextReceiveAddress()).script,
        changeScript: (await this.wallet.nextChangeAddress()).script,
        inputs: sel.utxos.map(u => ({ txid: fromHex(u.txid), vout: u.vout, valueSats: Number(u.valueSats), script: fromHex(u.scriptPubKeyHex) })),
        feeRate,
        lockHeight: tip + e.refundDelayBlocks
      }
      // the whole escrow must build before anything is written
      escrowContext({ ...job, escrow: { ...e, client: escrow } }, this.network)
      await this.reserve(sel.utxos, id, e.acceptedAt + e.fundingTimeoutSecs * 1000)
      if (await this.appendOnce(job, 'propose', { type: OP.ESCROW_PROPOSE, jobId: job.id, escrow })) out.push({ jobId: id, action: 'propose' })
    } catch (err) {
      if (this.now() >= e.acceptedAt + e.fundingTimeoutSecs * 1000) await this.maybeLapse(job, null, out)
      else out.push({ jobId: id, action: 'error', kind: 'funding', detail: (err as Error).message })
    }
  }

  // A counterparty's signature of `kind`, checked against our own rebuild; throws PSBT_REFUSED.
  private verified (ctx: EscrowCtx, sig: EscrowSig, who: Party): bitcoin.Psbt {
    const psbt = bitcoin.Psbt.fromBuffer(b4a.from(sig.psbt), { network: this.network })
    checkPsbt(expectedFor(ctx, sig.kind, this.network), psbt, { maxFeeRate: this.maxFeeRate })
    if (sig.kind === 'funding') {
      const idx = who === 'client' ? ctx.fundingPlan.client.inputIndexes : ctx.fundingPlan.printer.inputIndexes
      for (const i of idx) if ((psbt.data.inputs[i].partialSig ?? []).length === 0) throw PSBT_REFUSED(`the ${who} did not sign its funding input ${i}`)
    } else {
      const key = partyKey(ctx, who)
      if (!(psbt.data.inputs[0].partialSig ?? []).some(ps => bytesEqual(ps.pubkey, key))) throw PSBT_REFUSED(`no signature by the ${who}'s escrow key`)
    }
    return psbt
  }

  private signOwn (ctx: EscrowCtx, kind: SignKind, role: 'client' | 'printer'): bitcoin.Psbt {
    const psbt = buildFor(ctx, kind, this.network)
    if (kind === 'funding') {
      const idx = role === 'client' ? ctx.fundingPlan.client.inputIndexes : ctx.fundingPlan.printer.inputIndexes
      this.wallet.signPsbt(psbt, idx)
    } else {
      this.wallet.signEscrow(psbt, ctx.id, role)
    }
    return psbt
  }

  private async sign (ctx: EscrowCtx, kind: SignKind, role: 'client' | 'printer', out: StepReport[]): Promise<void> {
    const psbt = this.signOwn(ctx, kind, role)
    if (await this.appendOnce(ctx.job, `sign:${kind}`, { type: OP.ESCROW_SIGN, jobId: ctx.job.id, kind, psbt: psbt.toBuffer() })) {
      out.push({ jobId: ctx.id, action: 'sign', kind, txid: unsignedTx(psbt).getId() })
    }
  }

  private async stepFunding (ctx: EscrowCtx, role: 'client' | 'printer', out: StepReport[]): Promise<void> {
    const e = ctx.e
    const other: Party = role === 'client' ? 'printer' : 'client'
    const mine = (k: SignKind): EscrowSig | undefined => sigOf(e, k, role)
    const theirs = (k: SignKind): EscrowSig | undefined => sigOf(e, k, other)
    const fundingPair = pairOf(e, 'funding')

    if (fundingPair !== null) {
      // both funding signatures: put it on chain, then record it once deep enough
      let tx: Finalized
      try {
        const a = this.verified(ctx, fundingPair[0], 'client')
        const b = this.verified(ctx, fundingPair[1], 'printer')
        tx = finalize(combine(a, b))
      } catch (err) {
        this.refuse(out, ctx.id, 'funding', err)
        return
      }
      const st = await this.chain.txStatus(tx.txid)
      if (!st.found) {
        try {
          await this.chain.broadcast(tx.hex)
          out.push({ jobId: ctx.id, action: 'broadcast', kind: 'funding', txid: tx.txid })
        } catch (err) {
          out.push({ jobId: ctx.id, action: 'error', kind: 'funding', txid: tx.txid, detail: (err as Error).message })
        }
        return
      }
      if (st.depth >= e.fundingDepth) {
        if (await this.appendOnce(ctx.job, 'funded', { type: OP.ESCROW_FUNDED, jobId: ctx.job.id, txid: fromHex(tx.txid) })) {
          out.push({ jobId: ctx.id, action: 'funded', txid: tx.txid, detail: `${st.depth} confirmations` })
        }
      }
      return
    }

    if (await this.maybeLapse(ctx.job, ctx, out)) return

    if (mine('refund') === undefined) {
      try {
        if (role === 'printer') {
          await this.checkProposal(ctx)
        } else {
          const t = theirs('refund')
          if (t === undefined) return // the printer signs the refund first
          this.verified(ctx, t, 'printer')
        }
      } catch (err) {
        this.refuse(out, ctx.id, 'refund', err)
        return
      }
      await this.sign(ctx, 'refund', role, out)
      // the client signs its funding inputs in the same pass: apply takes them once both refund signatures are in
      if (role === 'client') await this.signFunding(ctx, role, out)
      return
    }
    if (mine('funding') !== undefined) return
    const tr = theirs('refund')
    if (tr === undefined) return
    if (role === 'printer' && theirs('funding') === undefined) return // the client signs the funding first
    try {
      // the refund must be complete (finalizable) before this side signs the funding
      const a = this.verified(ctx, tr, other)
      const own = this.verified(ctx, mine('refund') as EscrowSig, role)
      finalize(combine(a, own))
      const tf = theirs('funding')
      if (tf !== undefined) this.verified(ctx, tf, other)
    } catch (err) {
      this.refuse(out, ctx.id, 'funding', err)
      return
    }
    await this.signFunding(ctx, role, out)
  }

  // Signs this side's funding inputs, but only once the complete refund is kept beside the wallet (a disk error
  // is retried on the next pass, not a refusal).
  private async signFunding (ctx: EscrowCtx, role: 'client' | 'printer', out: StepReport[]): Promise<void> {
    try {
      await this.keepRefund(ctx, role)
    } catch (err) {
      out.push({ jobId: ctx.id, action: 'error', kind: 'funding', detail: `the refund could not be kept beside the wallet, so the funding is not signed yet: ${(err as Error).message}` })
      return
    }
    await this.sign(ctx, 'funding', role, out)
  }

  // Before this side signs a funding: the complete refund, finalized from the other side's verified signature and
  // this side's own, saved beside the wallet (lib/escrow/reservations.ts) in case the job's record loses it.
  private async keepRefund (ctx: EscrowCtx, role: 'client' | 'printer'): Promise<void> {
    const t = sigOf(ctx.e, 'refund', role === 'client' ? 'printer' : 'client')
    if (t === undefined) throw PSBT_REFUSED('the refund is not signed by both sides yet')
    const tx = finalize(combine(this.verified(ctx, t, role === 'client' ? 'printer' : 'client'), this.signOwn(ctx, 'refund', role)))
    const mine = role === 'client' ? ctx.e.client?.inputs ?? [] : ctx.e.printer.inputs
    await keepRefund(this.wallet.dir, {
      market: b4a.toString(this.market.key, 'hex'),
      network: this.network.bech32,
      job: ctx.id,
      fundingTxid: ctx.fundingTxid,
      vout: ctx.escrow.vout,
      inputs: mine.map(c => `${toHex(c.txid)}:${c.vout}`),
      lockHeight: ctx.client.lockHeight,
      hex: tx.hex
    })
  }

  // Kept refunds whose job no longer carries that escrow (its acceptance lapsed): if the funding reached the chain
  // anyway, the refund goes out at its lock height. Entries are dropped once their escrow closed, the escrow output
  // is spent (by the refund or a payout), or one of this wallet's inputs to the funding was spent elsewhere (then
  // that funding can never confirm).
  private async stepKeptRefunds (out: StepReport[]): Promise<void> {
    const market = b4a.toString(this.market.key, 'hex')
    for (const r of await keptRefunds(this.wallet.dir)) {
      if (r.market !== market || r.network !== this.network.bech32) continue
      try {
        const id = parseJobIdPrefix(r.job)
        const v = id === null || id.bytes.byteLength !== JOB_ID_BYTES ? null : await this.market.getJob(id.bytes)
        const e = v?.job.escrow ?? null
        if (v !== null && e !== null) {
          const ctx = (() => { try { return escrowContext(v.job, this.network) } catch { return null } })()
          if (ctx !== null && ctx.fundingTxid === r.fundingTxid) {
            if (e.closed !== null) await dropRefund(this.wallet.dir, r.fundingTxid)
            continue // the record still has it: the ordinary steps handle it
          }
        }
        const tip = await this.chain.tipHeight()
        const st = await this.chain.txStatus(r.fundingTxid)
        if (!st.confirmed) {
          if (!st.found && tip >= r.lockHeight) {
            for (const k of r.inputs) {
              const [txid, vout] = k.split(':')
              const spender = await this.chain.outspend(txid, Number(vout))
              if (spender !== null && spender.txid !== r.fundingTxid) { await dropRefund(this.wallet.dir, r.fundingTxid); break }
            }
          }
          continue
        }
        if (tip < r.lockHeight) continue
        const refundTxid = bitcoin.Transaction.fromHex(r.hex).getId()
        const spent = await this.chain.outspend(r.fundingTxid, r.vout)
        if (spent === null) {
          await this.chain.broadcast(r.hex)
          out.push({ jobId: r.job, action: 'broadcast', kind: 'refund', txid: refundTxid, detail: 'the funding reached the chain after the acceptance lapsed' })
        } else {
          await dropRefund(this.wallet.dir, r.fundingTxid) // refunded, or spent by a payout both signed
        }
      } catch (err) {
        out.push({ jobId: r.job, action: 'error', kind: 'refund', detail: (err as Error).message })
      }
    }
  }

  // The printer's checks of the client's proposal (its own side is its accept, already in the record).
  private async checkProposal (ctx: EscrowCtx): Promise<void> {
    const c = ctx.client
    const rate = effectiveFeeRate(c.feeRate)
    if (rate > effectiveFeeRate(ctx.e.printer.feeRate)) throw PSBT_REFUSED(`the proposed fee rate ${rate} sat/vB is above the ${ctx.e.printer.feeRate} sat/vB the printer accepted`)
    if (rate > this.maxFeeRate) throw PSBT_REFUSED(`the proposed fee rate ${rate} sat/vB is above the cap of ${this.maxFeeRate} sat/vB`)
    const tip = await this.chain.tipHeight()
    const min = tip + Math.ceil(ctx.e.refundDelayBlocks * 0.9)
    const max = tip + Math.ceil(ctx.e.refundDelayBlocks * 1.1) + 6
    if (c.lockHeight < min) throw PSBT_REFUSED(`the refund's lock height ${c.lockHeight} is too soon (at least ${min})`)
    if (c.lockHeight > max) throw PSBT_REFUSED(`the refund's lock height ${c.lockHeight} is too late (at most ${max})`)
    // the funding and the refund as the record defines them are what this side will sign
    checkPsbt(expectedFor(ctx, 'funding', this.network), buildFor(ctx, 'funding', this.network), { maxFeeRate: this.maxFeeRate })
    checkPsbt(expectedFor(ctx, 'refund', this.network), buildFor(ctx, 'refund', this.network), { maxFeeRate: this.maxFeeRate })
    const refund = buildPayout({ kind: 'refund' }, { ...ctx.payout, lockHeight: c.lockHeight }).plan
    const mine = refund.outputs.find(o => o.role === 'printer')
    if (mine === undefined || mine.valueSats < ctx.amounts.printerDepositSats - refund.printerFeeSats) throw PSBT_REFUSED('the refund does not return the printer\'s deposit')
  }

  private async maybeLapse (job: JobRecord, ctx: EscrowCtx | null, out: StepReport[]): Promise<boolean> {
    const e = job.escrow as EscrowRecord
    if (job.status !== 'accepted' || pairOf(e, 'funding') !== null) return false
    if (this.now() < e.acceptedAt + e.fundingTimeoutSecs * 1000) return false
    if (ctx !== null) {
      const st = await this.chain.txStatus(ctx.fundingTxid)
      if (st.found) return false // never lapse a job whose funding is out there
    }
    if (await this.appendOnce(job, 'lapse', { type: OP.JOB_LAPSE, jobId: job.id })) out.push({ jobId: jobIdString(job.id), action: 'lapse' })
    return true
  }

  // --- payouts -----------------------------------------------------------------------------------------------------

  // The refund, finalized from both recorded signatures (valid on chain from lockHeight).
  refundFor (ctx: EscrowCtx): Finalized {
    const pair = pairOf(ctx.e, 'refund')
    if (pair === null) throw BAD_ESCROW('the refund is not signed by both yet')
    return finalize(combine(this.verified(ctx, pair[0], 'client'), this.verified(ctx, pair[1], 'printer')))
  }

  async refundTx (jobId: Uint8Array | string): Promise<Finalized> {
    const job = await this.jobFor(jobId)
    return this.refundFor(escrowContext(job, this.network))
  }

  private async maybeRefund (ctx: EscrowCtx, out: StepReport[]): Promise<boolean> {
    const e = ctx.e
    if (pairOf(e, 'refund') === null) return false
    // no funding pair in the record does not mean no funding: a party may have completed and broadcast it outside
    // the protocol; the chain says (below) whether the escrow output exists
    const tip = await this.chain.tipHeight()
    if (tip < ctx.client.lockHeight) return false
    const st = await this.chain.txStatus(ctx.fundingTxid)
    if (!st.confirmed) return false
    let tx: Finalized
    try {
      tx = this.refundFor(ctx)
    } catch (err) {
      this.refuse(out, ctx.id, 'refund', err)
      return false
    }
    const spent = await this.chain.outspend(ctx.escrow.txid, ctx.escrow.vout)
    if (spent !== null && spent.txid !== tx.txid) return false // spent by another payout
    if (spent === null) {
      try {
        await this.chain.broadcast(tx.hex)
        out.push({ jobId: ctx.id, action: 'broadcast', kind: 'refund', txid: tx.txid })
      } catch (err) {
        out.push({ jobId: ctx.id, action: 'error', kind: 'refund', txid: tx.txid, detail: (err as Error).message })
        return true
      }
    }
    if (await this.appendOnce(ctx.job, 'paid:refund', { type: OP.ESCROW_PAID, jobId: ctx.job.id, kind: 'refund', txid: fromHex(tx.txid) })) {
      out.push({ jobId: ctx.id, action: 'paid', kind: 'refund', txid: tx.txid })
    }
    return true
  }

  // A dispute (lib/disputes): escalate when a deadline has passed by this engine's clock (apply checks the op's
  // `at` against the same deadline), pay out a split both accepted, countersign the arbitrator's ruling.
  private async stepDispute (ctx: EscrowCtx, role: 'client' | 'printer', out: StepReport[]): Promise<void> {
    const d = ctx.job.dispute ?? null
    if (ctx.e.ruling !== null && sigOf(ctx.e, 'ruling', 'arbitrator') !== undefined) {
      // apply takes the payout countersigned by either party; this engine countersigns when its side gets at
      // least half of the bounty (both at 50 %): the side that gains from it has every reason to, the other none
      const pct = rulingPrinterPct(ctx.job) ?? 0
      if ((role === 'printer' && pct >= 50) || (role === 'client' && pct <= 50)) await this.payout(ctx, 'ruling', out, role)
      return
    }
    if (d === null) return
    if (d.stage === 'settled' && pairOf(ctx.e, 'split') !== null) {
      await this.payout(ctx, 'split', out, role)
      return
    }
    const due = (d.stage === 'mediation' && this.now() >= d.proposeBy) ||
      (d.stage === 'proposed' && d.proposal !== null && this.now() >= d.proposal.answerBy)
    if (due && await this.appendOnce(ctx.job, 'escalate', { type: OP.DISPUTE_ESCALATE, jobId: ctx.job.id })) {
      out.push({ jobId: ctx.id, action: 'escalate', detail: d.stage === 'mediation' ? 'the mediator missed its deadline' : 'the proposal was not accepted in time' })
    }
  }

  private async payout (ctx: EscrowCtx, kind: 'cancel' | 'ruling' | 'split', out: StepReport[], role?: 'client' | 'printer'): Promise<void> {
    let tx: Finalized
    try {
      if (kind === 'cancel' || kind === 'split') {
        const pair = pairOf(ctx.e, kind) as [EscrowSig, EscrowSig]
        tx = finalize(combine(this.verified(ctx, pair[0], 'client'), this.verified(ctx, pair[1], 'printer')))
      } else {
        const arb = sigOf(ctx.e, 'ruling', 'arbitrator')
        if (arb === undefined || role === undefined) return
        const a = this.verified(ctx, arb, 'arbitrator')
        tx = finalize(combine(a, this.signOwn(ctx, 'ruling', role)))
      }
    } catch (err) {
      this.refuse(out, ctx.id, kind, err)
      return
    }
    const spent = await this.chain.outspend(ctx.escrow.txid, ctx.escrow.vout)
    if (spent !== null && spent.txid !== tx.txid) {
      out.push({ jobId: ctx.id, action: 'error', kind, detail: `the escrow output is already spent by ${spent.txid}` })
      return
    }
    if (spent === null) {
      try {
        await this.chain.broadcast(tx.hex)
        out.push({ jobId: ctx.id, action: 'broadcast', kind, txid: tx.txid })
      } catch (err) {
        out.push({ jobId: ctx.id, action: 'error', kind, txid: tx.txid, detail: (err as Error).message })
        return
      }
    }
    if (await this.appendOnce(ctx.job, `paid:${kind}`, { type: OP.ESCROW_PAID, jobId: ctx.job.id, kind, txid: fromHex(tx.txid) })) {
      out.push({ jobId: ctx.id, action: 'paid', kind, txid: tx.txid })
    }
  }

  // --- what the command line calls ---------------------------------------------------------------------------------

  private async jobFor (jobId: Uint8Array | string, { confirmed = true } = {}): Promise<JobRecord> {
    await this.market.update()
    let id: Uint8Array
    if (typeof jobId === 'string') {
      const p = parseJobIdPrefix(jobId)
      if (p === null || p.text.length !== 26) throw JOB_NOT_FOUND(jobId)
      id = p.bytes
    } else {
      id = jobId
    }
    const v = await this.market.getJob(id)
    if (v === null) throw JOB_NOT_FOUND(typeof jobId === 'string' ? jobId : jobIdString(jobId))
    if (confirmed && !v.confirmed) throw BAD_TRANSITION('the job\'s latest change is not confirmed yet; wait for the market to sync')
    return v.job
  }

  // Coins put into an accept or a proposal: held in memory and in reserved.json until the funding timeout has
  // passed (plus an hour), so neither this engine after a restart nor `wallet send` spends them meanwhile.
  private async reserve (utxos: Array<{ txid: string, vout: number }>, jobId: string, fundingDeadline: number): Promise<void> {
    const keys = utxos.map(u => `${u.txid}:${u.vout}`)
    for (const k of keys) this.reserved.set(k, fundingDeadline + 3600_000)
    await reserveCoins(this.wallet.dir, keys, jobId, fundingDeadline + 3600_000, this.now())
  }

  // Coins this wallet can put into a new escrow: confirmed, and not already in an accept or proposal.
  private async spendable (): Promise<Awaited<ReturnType<Wallet['listUtxos']>>> {
    const now = this.now()
    for (const [k, until] of this.reserved) if (until <= now) this.reserved.delete(k)
    const used = new Set([...this.reserved.keys(), ...await reservedCoins(this.wallet.dir, now)])
    for await (const j of this.market.allJobs()) {
      const e = j.escrow
      if (e == null || e.closed !== null || e.fundingTxid !== null) continue
      for (const c of [...e.printer.inputs, ...(e.client?.inputs ?? [])]) used.add(`${toHex(c.txid)}:${c.vout}`)
    }
    const coins = await this.wallet.listUtxos(this.chain)
    return coins.filter(u => u.height !== null && !used.has(`${u.txid}:${u.vout}`))
  }

  // The printer's side of a job/accept in a market with escrow: its key, addresses and coins for its deposit and
  // its share of the funding fee. Append as { type: OP.JOB_ACCEPT, jobId, escrow }.
  async prepareAccept (jobId: Uint8Array | string): Promise<EscrowParty> {
    const job = await this.jobFor(jobId, { confirmed: false })
    if (job.status !== 'open') throw BAD_TRANSITION(`cannot accept a job that is ${job.status}`)
    if (b4a.equals(job.client, this.me)) throw NOT_ALLOWED('you are its client')
    const settings = await getSettings(this.market.view)
    if (settings.chain === '') throw BAD_ESCROW('this market has no escrow (no chain in its settings)')
    if (settings.arbitrators.length === 0) throw BAD_ESCROW('this market has no arbitrator: escrowed jobs cannot be accepted')
    const id = jobIdString(job.id)
    const amounts = escrowAmounts({ bountySats: BigInt(job.bountySats), depositPct: BigInt(settings.depositPct) })
    const feeRate = effectiveFeeRate(await this.chain.feeRate(this.feeTarget))
    if (feeRate > this.maxFeeRate) throw BAD_ESCROW(`the fee estimate ${feeRate} sat/vB is above the cap of ${this.maxFeeRate} sat/vB`)
    const sel = selectFundingCoins(await this.spendable(), 'printer', amounts, feeRate)
    await this.reserve(sel.utxos, id, this.now() + settings.fundingTimeoutSecs * 1000)
    return {
      pubkey: this.wallet.escrowPubkey(id, 'printer'),
      payoutScript: (await this.wallet.nextReceiveAddress()).script,
      changeScript: (await this.wallet.nextChangeAddress()).script,
      inputs: sel.utxos.map(u => ({ txid: fromHex(u.txid), vout: u.vout, valueSats: Number(u.valueSats), script: fromHex(u.scriptPubKeyHex) })),
      feeRate
    }
  }

  // The printer's signature on the `complete` payout, to carry in job/ship: { type: OP.JOB_SHIP, jobId, note, psbt }.
  async prepareShip (jobId: Uint8Array | string): Promise<{ psbt: Uint8Array, txid: string }> {
    const job = await this.jobFor(jobId)
    if (this.roleIn(job) !== 'printer') throw NOT_ALLOWED('only the job\'s printer ships it')
    if (job.status !== 'active') throw BAD_TRANSITION(`cannot ship a job that is ${job.status}`)
    // a signature cannot be taken back: with the printer's cancel signature the client could pay itself back after
    // the print arrived
    if (sigOf(job.escrow as EscrowRecord, 'cancel', 'printer') !== undefined) throw NOT_ALLOWED('you signed a cancel of this job, and a signature cannot be withdrawn: with it the client could take the bounty back after delivery. Do not ship; ask the client to sign the cancel too (`job cancel`), or open a dispute')
    const ctx = escrowContext(job, this.network)
    const psbt = this.signOwn(ctx, 'complete', 'printer')
    return { psbt: psbt.toBuffer(), txid: unsignedTx(psbt).getId() }
  }

  // The client completes a shipped job: checks the printer's payout signature, countersigns, broadcasts the payout,
  // and records it with job/complete. Throws PSBT_REFUSED (and signs nothing) if the payout is not the agreed one.
  async complete (jobId: Uint8Array | string): Promise<{ txid: string }> {
    const job = await this.jobFor(jobId)
    if (this.roleIn(job) !== 'client') throw NOT_ALLOWED('only the job\'s client completes it')
    if (job.status !== 'shipped') throw BAD_TRANSITION(`cannot complete a job that is ${job.status}`)
    const ctx = escrowContext(job, this.network)
    const sig = sigOf(ctx.e, 'complete', 'printer')
    if (sig === undefined) throw BAD_ESCROW('the printer\'s payout signature is missing')
    const theirs = this.verified(ctx, sig, 'printer')
    const tx = finalize(combine(theirs, this.signOwn(ctx, 'complete', 'client')))
    const spent = await this.chain.outspend(ctx.escrow.txid, ctx.escrow.vout)
    if (spent === null) await this.chain.broadcast(tx.hex)
    else if (spent.txid !== tx.txid) throw BAD_ESCROW(`the escrow output is already spent by ${spent.txid}`)
    await this.market.append({ type: OP.JOB_COMPLETE, jobId: job.id, payoutTxid: fromHex(tx.txid) })
    return { txid: tx.txid }
  }

  // Client or printer asks to cancel an active (funded, not shipped) job, or a disputed one nobody has ruled or
  // settled: signs the cancel payout. With both signatures the engines pay it out.
  async requestCancel (jobId: Uint8Array | string): Promise<{ txid: string }> {
    const job = await this.jobFor(jobId)
    const role = this.roleIn(job)
    if (role !== 'client' && role !== 'printer') throw NOT_ALLOWED('only the client or the printer can cancel an escrowed job')
    if (!cancelAllowed(job)) throw BAD_TRANSITION(job.status === 'disputed' ? 'this dispute is already ruled or settled: it can no longer be cancelled' : `an escrowed job can be cancelled by both only while active (funded, not shipped) or disputed; it is ${job.status}`)
    const ctx = escrowContext(job, this.network)
    const psbt = this.signOwn(ctx, 'cancel', role)
    await this.market.append({ type: OP.ESCROW_SIGN, jobId: job.id, kind: 'cancel', psbt: psbt.toBuffer() })
    return { txid: unsignedTx(psbt).getId() }
  }

  // The arbitrator rules a disputed job (once mediation has ended: lib/disputes): signs the ruling payout — the
  // printer gets printerPct % of the bounty (a winner is 0 or 100), the arbitration fee comes out of the deposit of
  // the side that gets less than half (both halves at 50 %) to this wallet. Either party's engine countersigns and
  // broadcasts.
  async rule (jobId: Uint8Array | string, ruling: Winner | number, note = ''): Promise<{ txid: string, printerPct: number }> {
    const job = await this.jobFor(jobId)
    if (this.roleIn(job) !== 'arbitrator') throw NOT_ALLOWED('only the job\'s arbitrator rules')
    if (job.status !== 'disputed') throw BAD_TRANSITION(`cannot rule on a job that is ${job.status}`)
    const d = job.dispute ?? null
    if (d !== null && d.stage !== 'arbitration') throw BAD_TRANSITION(`the dispute is in ${d.stage}: the arbitrator rules only after the mediation has failed (a rejection or a missed deadline)`)
    if (cancelAgreed(job)) throw BAD_TRANSITION('client and printer both signed the cancel of this job: it is being paid back, there is nothing to rule')
    const printerPct = ruling === 'printer' ? 100 : ruling === 'client' ? 0 : ruling
    if (!Number.isInteger(printerPct) || printerPct < 0 || printerPct > 100) throw BAD_ESCROW('the printer\'s share must be a whole percentage from 0 to 100')
    const e = job.escrow as EscrowRecord
    const key = arbitratorKey(this.wallet)
    if (!bytesEqual(key.publicKey, e.arbitratorPubkey)) throw NOT_ALLOWED('this wallet does not hold the arbitrator key named in the market settings')
    const feeScript = (await this.wallet.nextReceiveAddress()).script
    const winner: Winner = printerPct >= 50 ? 'printer' : 'client'
    const ruled: JobRecord = { ...job, escrow: { ...e, ruling: { winner, feeScript } }, dispute: d === null ? null : { ...d, ruling: { printerPct, note, at: 0 } } }
    const ctx = escrowContext(ruled, this.network)
    const psbt = buildFor(ctx, 'ruling', this.network)
    signInputs(psbt, key, [0])
    if (d === null && (printerPct === 0 || printerPct === 100)) {
      await this.market.append({ type: OP.DISPUTE_RULING, jobId: job.id, winner, feeScript, psbt: psbt.toBuffer() })
    } else {
      await this.market.append({ type: OP.DISPUTE_RULE, jobId: job.id, printerPct, note, feeScript, psbt: psbt.toBuffer() })
    }
    return { txid: unsignedTx(psbt).getId(), printerPct }
  }

  // Client or printer accepts the mediator's proposal: signs the split payout (the mediator's fee included) and
  // writes dispute/accept. With both signatures the engines pay it out. The payout is rebuilt from the record, so
  // what is signed is exactly what the proposal says.
  async acceptProposal (jobId: Uint8Array | string): Promise<{ txid: string }> {
    const job = await this.jobFor(jobId)
    const role = this.roleIn(job)
    if (role !== 'client' && role !== 'printer') throw NOT_ALLOWED('only the client or the printer answers a proposal')
    const d = job.dispute ?? null
    if (job.status !== 'disputed' || d === null || d.stage !== 'proposed' || d.proposal === null) throw BAD_TRANSITION('there is no proposal waiting for an answer')
    if (this.now() >= d.proposal.answerBy) throw BAD_TRANSITION('the time to answer this proposal is over')
    if (cancelAgreed(job)) throw BAD_TRANSITION('both sides signed the cancel of this job: it is being paid back instead')
    const ctx = escrowContext(job, this.network)
    const psbt = this.signOwn(ctx, 'split', role)
    await this.market.append({ type: OP.DISPUTE_ACCEPT, jobId: job.id, psbt: psbt.toBuffer() })
    return { txid: unsignedTx(psbt).getId() }
  }

  // For `escrow ID`: the record's summary plus what the chain says (tip, the funding's depth).
  async describe (job: JobRecord): Promise<EscrowSummary> {
    const s = summarizeEscrow(job, this.network)
    if (s === null) throw BAD_ESCROW('this job has no escrow')
    s.deadlines.tipHeight = await this.chain.tipHeight()
    const txid = s.fundingTxid ?? (s.state === 'funding' ? escrowContext(job, this.network).fundingTxid : null)
    if (txid !== null) s.fundingDepth = (await this.chain.txStatus(txid)).depth
    return s
  }
}

// What the record says about a job's escrow, without the chain (job JSON uses it). null for a job without escrow.
export function summarizeEscrow (job: JobRecord, network: bitcoin.Network | null): EscrowSummary | null {
  const e = job.escrow ?? null
  if (e === null) return null
  const signed = (k: SignKind): { client: boolean, printer: boolean } => ({ client: sigOf(e, k, 'client') !== undefined, printer: sigOf(e, k, 'printer') !== undefined })
  let state: EscrowState
  if (e.closed !== null) state = 'closed'
  else if (e.ruling !== null) state = 'ruled'
  else if (job.status === 'disputed') state = 'disputed'
  else if (job.status === 'shipped') state = 'shipped'
  else if (e.fundingTxid !== null) state = 'funded'
  else if (e.client === null) state = 'awaiting-proposal'
  else if (pairOf(e, 'refund') === null) state = 'awaiting-refund-signatures'
  else if (pairOf(e, 'funding') === null) state = 'awaiting-funding-signatures'
  else state = 'funding'
  let ctx: EscrowCtx | null = null
  if (network !== null && e.client !== null) {
    try { ctx = escrowContext(job, network) } catch { ctx = null }
  }
  let amounts: EscrowSummary['amounts'] = null
  try {
    const a = escrowAmounts({ bountySats: BigInt(job.bountySats), depositPct: BigInt(e.depositPct) })
    amounts = { bountySats: String(a.bountySats), depositPct: e.depositPct, clientDepositSats: String(a.clientDepositSats), printerDepositSats: String(a.printerDepositSats), clientInSats: String(a.clientIn), printerInSats: String(a.printerIn), totalSats: String(a.total) }
  } catch {}
  const paths: PathSummary[] = []
  if (ctx !== null && network !== null) {
    const kinds: SignKind[] = ['complete', 'cancel', 'refund']
    if (e.ruling !== null) kinds.push('ruling')
    if (job.dispute?.proposal != null) kinds.push('split')
    for (const k of kinds) {
      try {
        const x = expectedFor(ctx, k, network)
        if (x.kind !== 'payout') continue
        const plan = buildPayout(x.path, x.params).plan
        paths.push({ kind: x.path.kind, feeSats: String(plan.feeSats), outputs: plan.outputs.map((o: PayoutOutput) => ({ role: o.role, address: o.address, valueSats: String(o.valueSats) })) })
      } catch {}
    }
  }
  return {
    state,
    address: ctx !== null && network !== null ? escrowAddress(ctx.script, network) : null,
    arbitrator: b4a.toString(e.arbitrator, 'hex'),
    amounts,
    feeRate: e.client?.feeRate ?? null,
    fundedBy: signed('funding'),
    refundSigned: signed('refund'),
    cancelSigned: signed('cancel'),
    fundingTxid: e.fundingTxid !== null ? toHex(e.fundingTxid) : null,
    fundingDepth: null,
    requiredDepth: e.fundingDepth,
    paths,
    ruling: e.ruling === null ? null : { winner: e.ruling.winner, printerPct: rulingPrinterPct(job) ?? 0, feeAddress: network === null ? toHex(e.ruling.feeScript) : addressOf(e.ruling.feeScript, network) },
    payout: e.closed === null ? null : { kind: e.closed.kind, txid: toHex(e.closed.txid) },
    deadlines: { lapseAt: new Date(e.acceptedAt + e.fundingTimeoutSecs * 1000).toISOString(), lockHeight: e.client?.lockHeight ?? null, tipHeight: null }
  }
}
