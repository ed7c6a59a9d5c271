// A peer's escrow engine. It finds this peer's escrows through the view's index (lib/market/view.ts escrowsOf) and
// does what lib/escrow/PROTOCOL.md says is due from it: proposes, checks and signs (refund before funding),
// broadcasts, records funding and payouts. The chain is the truth for money: the engine watches each escrow on its
// own Bitcoin backend until it sees the escrow output spent at depth, whatever the view claims meanwhile, and while
// it is unspent it broadcasts any payout fully signed in the record, or the refund from its lock height. It appends
// ops only from CONFIRMED records. Every PSBT a counterparty wrote is rebuilt from the record and compared
// (checkPsbt) before anything is signed; a refusal is reported and nothing further is signed for that job. What a
// person starts (accept, ship, complete, cancel, rule, accept a proposal) is in ./actions.ts.
import b4a from 'b4a'
import * as bitcoin from 'bitcoinjs-lib'
import type { Market } from '../market/market.js'
import { OP, type JobRecord, type EscrowRecord, type EscrowSig, type SignKind } from '../schema.js'
import { escrowsOf } from '../market/view.js'
import { jobIdString, parseJobIdPrefix } from '../ids.js'
import { fromHex, toHex, bytesEqual } from './script.js'
import { unsignedTx } from './psbt.js'
import { checkPsbt, DEFAULT_MAX_FEE_RATE } from './psbt-check.js'
import { combine, finalize, type Finalized } from './psbt-sign.js'
import { DEADLINES } from '../disputes/apply.js'
import { escrowContext, expectedFor, buildFor, signerKey, psbtOf, type EscrowCtx, type Signer } from './context.js'
import { sigOf, pairOf, agreedPayout, rulingPrinterPct } from './record.js'
import type { Wallet } from './wallet.js'
import { reservedCoins, reserveCoins, dropRefund, keptRefunds, settledEscrows, markSettled } from './reservations.js'
import type { ChainBackend } from './chain.js'
import { summarizeEscrow, type EscrowSummary } from './summary.js'
import * as actions from './actions.js'
import * as funding from './funding.js'
import * as release from './release.js'
import { releaseCompletable } from './milestones.js'
import { BAD_ESCROW, PSBT_REFUSED, BAD_TRANSITION, JOB_NOT_FOUND } from '../errors.js'
import { DEFAULT_ESCROW_LIMITS, type EscrowLimits } from './limits.js'

export { escrowContext, expectedFor, buildFor, type EscrowCtx } from './context.js'
export { summarizeEscrow, type EscrowSummary, type EscrowState, type PathSummary } from './summary.js'
export { arbitratorKey, arbitratorPubkey, ARBITRATOR_KEY_LABEL } from './actions.js'

export interface EngineOptions {
  market: Market
  wallet: Wallet
  chain: ChainBackend
  network: bitcoin.Network
  now?: () => number
  maxFeeRate?: number // sat/vB: the highest funding/payout fee rate this peer signs (default psbt.ts's cap)
  feeTarget?: number // blocks, for the fee estimate at accept (default 2)
  limits?: EscrowLimits // this peer's own limits on a job's escrow terms (default DEFAULT_ESCROW_LIMITS)
}

export interface StepReport {
  jobId: string
  action: 'propose' | 'sign' | 'broadcast' | 'funded' | 'paid' | 'settled' | 'lapse' | 'escalate' | 'refuse' | 'error'
  kind?: SignKind
  txid?: string
  detail?: string
}

// How long a step run waits for an op this engine appended to show in the record (runUntilIdle).
const OWN_OP_WAIT_MS = 3000
// How long a person's action on a job waits for the job's latest change to be confirmed (jobFor).
const CONFIRM_WAIT_MS = 30_000

export class EscrowEngine {
  readonly market: Market
  readonly wallet: Wallet
  readonly chain: ChainBackend
  readonly network: bitcoin.Network
  readonly now: () => number
  readonly maxFeeRate: number
  readonly feeTarget: number
  limits: EscrowLimits
  // a job (and stage) this peer refused: nothing more is signed for it; reported once
  readonly refused = new Map<string, string>()
  // ops appended and not yet visible in the confirmed record: key → when
  private readonly pending = new Map<string, number>()
  // coins put into an accept or proposal that the record may not show yet
  readonly reserved = new Map<string, number>() // outpoint → reserved until (ms)
  // escrows seen spent at depth (market:fundingTxid → spending txid), loaded from settled.json once
  private settled: Map<string, string> | null = null

  constructor (o: EngineOptions) {
    this.market = o.market
    this.wallet = o.wallet
    this.chain = o.chain
    this.network = o.network
    this.now = o.now ?? Date.now
    this.maxFeeRate = o.maxFeeRate ?? DEFAULT_MAX_FEE_RATE
    this.feeTarget = o.feeTarget ?? 2
    this.limits = o.limits ?? { ...DEFAULT_ESCROW_LIMITS }
  }

  get me (): Uint8Array { return this.market.writerKey }

  roleIn (job: JobRecord): Signer | null {
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
    if (this.settled === null) this.settled = await settledEscrows(this.wallet.dir)
    const out: StepReport[] = []
    for (const { id, role } of await escrowsOf(this.market.view, this.me)) {
      // the arbitrator acts when a person rules, and by itself only on a late printer's cancel or a release after the
      // delivery window (actions.ts signInPlace); a mediator holds no key
      if (role !== 'client' && role !== 'printer' && role !== 'arbitrator') continue
      const v = await this.market.getJob(id)
      if (v === null || v.job.escrow == null) continue
      try {
        if (role === 'arbitrator') {
          const signed = v.confirmed ? await actions.signInPlace(this, id) : null
          if (signed !== null) out.push({ jobId: jobIdString(id), action: 'sign', kind: signed, detail: actions.IN_PLACE[signed] })
          continue
        }
        await this.stepJob(v.job, v.confirmed, out)
      } catch (err) {
        out.push({ jobId: jobIdString(id), action: 'error', detail: (err as Error).message })
      }
    }
    await funding.stepKeptRefunds(this, out)
    return out
  }

  // Steps until a pass does nothing new (nothing, or exactly what the pass before reported) and no op this engine
  // appended is still on its way into the view, or the time is up. Reports repeated pass after pass are kept once.
  async runUntilIdle (timeoutMs: number, stepMs = 100): Promise<StepReport[]> {
    const deadline = Date.now() + timeoutMs
    const all: StepReport[] = []
    let last = ''
    while (Date.now() < deadline) {
      const r = await this.step()
      const said = JSON.stringify(r)
      const repeated = r.length > 0 && said === last
      if (!repeated) all.push(...r)
      last = said
      await this.market.update()
      if ((r.length === 0 || repeated) && !this.awaitingOwnOps()) break
      await new Promise(resolve => setTimeout(resolve, stepMs))
    }
    return all
  }

  // An op this engine appended is applied here at the next update and shows in the record within a pass or two; one
  // still missing after OWN_OP_WAIT_MS was refused by apply (or overtaken), and waiting longer only stalls a command
  // (seen: every command of a storage taking its whole 10 s escrow-step budget).
  private awaitingOwnOps (): boolean {
    const now = Date.now()
    for (const at of this.pending.values()) if (now - at < OWN_OP_WAIT_MS) return true
    return false
  }

  pendingKey (job: JobRecord, what: string): string {
    return `${b4a.toString(job.id, 'hex')}:${job.rev}:${what}`
  }

  isPending (job: JobRecord, what: string): boolean {
    return this.pending.has(this.pendingKey(job, what))
  }

  // Appends once per confirmed record state (retries after 30 s if the op never shows).
  async appendOnce (job: JobRecord, what: string, op: Parameters<Market['append']>[0], o: { at?: number } = {}): Promise<boolean> {
    const k = this.pendingKey(job, what)
    const at = this.pending.get(k)
    if (at !== undefined && Date.now() - at < 30_000) return false
    this.pending.set(k, Date.now())
    await this.market.append(op, o)
    return true
  }

  // A refusal holds for one acceptance of a job (its id and acceptance count): a later printer's acceptance of the
  // same job starts afresh.
  refuse (out: StepReport[], job: Pick<JobRecord, 'id' | 'accepts'>, stage: string, err: unknown): void {
    const id = jobIdString(job.id)
    const key = `${id}@${job.accepts}:${stage}`
    if (this.refused.has(key)) return
    const why = (err as Error).message
    this.refused.set(key, why)
    out.push({ jobId: id, action: 'refuse', kind: stage as StepReport['kind'], detail: why })
  }

  isRefused (job: Pick<JobRecord, 'id' | 'accepts'>): boolean {
    const prefix = `${jobIdString(job.id)}@${job.accepts}:`
    for (const k of this.refused.keys()) if (k.startsWith(prefix)) return true
    return false
  }

  private settledKey (ctx: EscrowCtx): string {
    return `${b4a.toString(this.market.key, 'hex')}:${ctx.fundingTxid}`
  }

  private async stepJob (job: JobRecord, confirmed: boolean, out: StepReport[]): Promise<void> {
    const e = job.escrow as EscrowRecord
    const role = this.roleIn(job)
    if (role !== 'client' && role !== 'printer') return
    // drop pending markers of earlier record states of this job
    const prefix = `${b4a.toString(job.id, 'hex')}:${job.rev}:`
    for (const k of [...this.pending.keys()]) if (k.startsWith(b4a.toString(job.id, 'hex') + ':') && !k.startsWith(prefix)) this.pending.delete(k)

    if (e.client === null) {
      if (!confirmed || job.status !== 'accepted') return
      if (role === 'client' && !this.isRefused(job)) await funding.propose(this, job, out)
      else await funding.maybeLapse(this, job, null, out)
      return
    }
    let ctx: EscrowCtx
    try {
      ctx = escrowContext(job, this.network)
    } catch (err) {
      if (confirmed) this.refuse(out, job, 'funding', err)
      return
    }
    if (this.settled?.has(this.settledKey(ctx)) === true) return

    // the chain first: a live escrow is paid out by whatever is fully signed, or refunded from its lock height
    if (await this.watchChain(ctx, role, confirmed, out)) return
    if (!confirmed || e.closed !== null) return
    if (this.isRefused(job)) {
      // nothing more is signed for it, but an acceptance this peer refused still lapses in time
      if (job.status === 'accepted') await funding.maybeLapse(this, job, ctx, out)
      return
    }
    if (job.status === 'accepted') await funding.stepFunding(this, ctx, role, out)
    else if (job.status === 'disputed') await this.stepDispute(ctx, out)
    else if (job.status === 'active') await release.stepActive(this, ctx, role, out)
  }

  // Returns true when the chain decided this pass: the escrow is spent (settled, or waiting for depth), or a payout
  // was broadcast.
  private async watchChain (ctx: EscrowCtx, role: 'client' | 'printer', confirmed: boolean, out: StepReport[]): Promise<boolean> {
    const funding = await this.chain.txStatus(ctx.fundingTxid)
    if (!funding.confirmed) {
      // active on someone's claim while the funding both signed is nowhere: put it out (accepted jobs: stepFunding)
      const pair = pairOf(ctx.e, 'funding')
      if (!funding.found && pair !== null && ctx.job.status !== 'accepted' && ctx.e.closed === null) {
        try {
          const tx = finalize(combine(this.verified(ctx, pair[0], 'client'), this.verified(ctx, pair[1], 'printer')))
          await this.chain.broadcast(tx.hex)
          out.push({ jobId: ctx.id, action: 'broadcast', kind: 'funding', txid: tx.txid })
        } catch (err) {
          this.refuse(out, ctx.job, 'funding', err) // reported once (an input spent elsewhere: it never will confirm)
        }
      }
      return false
    }
    if (ctx.stage > 0 && await release.followReleases(this, ctx, confirmed, out)) return true // milestones: in order
    const spent = await this.chain.outspend(ctx.escrow.txid, ctx.escrow.vout)
    if (spent !== null) {
      if (await release.strayRelease(this, ctx, spent.txid, out)) return true
      const st = await this.chain.txStatus(spent.txid)
      if (st.depth >= Math.max(1, ctx.e.fundingDepth)) await this.settle(ctx, role, spent.txid, confirmed, out)
      return true
    }
    const tx = this.agreedTx(ctx, role, out)
    if (tx !== null) {
      await this.broadcast(ctx, tx.kind, tx.tx, out)
      if (confirmed && tx.kind === 'ruling' && sigOf(ctx.e, 'ruling', role) === undefined && tx.own !== null) {
        // the countersignature goes into the record too: then anyone can broadcast the ruling
        await this.appendOnce(ctx.job, 'sign:ruling', { type: OP.ESCROW_SIGN, jobId: ctx.job.id, kind: 'ruling', psbt: tx.own.toBuffer() })
      }
      return true
    }
    if (pairOf(ctx.e, 'refund') !== null && await this.chain.tipHeight() >= ctx.client.lockHeight) {
      let refund: Finalized
      try {
        refund = this.refundFor(ctx)
      } catch (err) {
        this.refuse(out, ctx.job, 'refund', err)
        return false
      }
      await this.broadcast(ctx, 'refund', refund, out)
      return true
    }
    return false
  }

  // The payout the record holds complete (or completes with this party's own countersignature of a ruling): the
  // honest engine pays out what was agreed, whatever the view's status says.
  private agreedTx (ctx: EscrowCtx, role: 'client' | 'printer', out: StepReport[]): { kind: 'complete' | 'cancel' | 'split' | 'ruling', tx: Finalized, own: bitcoin.Psbt | null } | null {
    const agreed = agreedPayout(ctx.job)
    try {
      if (agreed !== null) {
        const who = (s: EscrowSig): Signer => s.role
        const tx = finalize(combine(this.verified(ctx, agreed.sigs[0], who(agreed.sigs[0])), this.verified(ctx, agreed.sigs[1], who(agreed.sigs[1]))))
        return { kind: agreed.kind, tx, own: null }
      }
      const arb = sigOf(ctx.e, 'ruling', 'arbitrator')
      if (arb !== undefined && ctx.e.ruling !== null && ctx.job.status === 'disputed') {
        // the arbitrator's ruling is final: each party's engine countersigns it, the loser's too, so whoever is
        // still there pays it out
        const own = this.signOwn(ctx, 'ruling', role)
        return { kind: 'ruling', tx: finalize(combine(this.verified(ctx, arb, 'arbitrator'), own)), own }
      }
    } catch (err) {
      this.refuse(out, ctx.job, agreed?.kind ?? 'ruling', err)
    }
    return null
  }

  private async broadcast (ctx: EscrowCtx, kind: 'complete' | 'cancel' | 'split' | 'ruling' | 'refund', tx: Finalized, out: StepReport[]): Promise<void> {
    if ((await this.chain.txStatus(tx.txid)).found) return // in the mempool already: wait for a block
    try {
      await this.chain.broadcast(tx.hex)
      out.push({ jobId: ctx.id, action: 'broadcast', kind, txid: tx.txid })
    } catch (err) {
      out.push({ jobId: ctx.id, action: 'error', kind, txid: tx.txid, detail: (err as Error).message })
    }
  }

  // The escrow output is spent at depth: this engine is done with it. If the view does not show that payout yet,
  // it says so first (a claim the others' engines check on their own nodes; a ruling paid without a countersignature
  // in the record gets this party's own, so the claim can be taken).
  private async settle (ctx: EscrowCtx, role: 'client' | 'printer', txid: string, confirmed: boolean, out: StepReport[]): Promise<void> {
    const agreed = agreedPayout(ctx.job)
    const arb = sigOf(ctx.e, 'ruling', 'arbitrator')
    const refund = pairOf(ctx.e, 'refund')
    let kind: 'complete' | 'cancel' | 'split' | 'ruling' | 'refund' | null = null
    if (agreed !== null && toHex(agreed.sigs[0].txid) === txid) kind = agreed.kind
    else if (arb !== undefined && toHex(arb.txid) === txid) kind = 'ruling'
    else if (refund !== null && toHex(refund[0].txid) === txid) kind = 'refund'
    if (kind !== null && kind !== 'complete' && ctx.e.closed === null && !(role === 'printer' && kind !== 'refund' && releaseCompletable(ctx.job))) { // (apply takes no such claim of the printer's: escrow-apply.ts paid)
      if (!confirmed) return // the claim is written from a confirmed record; the money is home meanwhile
      if (kind === 'ruling' && agreed === null) {
        if (await this.appendOnce(ctx.job, 'sign:ruling', { type: OP.ESCROW_SIGN, jobId: ctx.job.id, kind: 'ruling', psbt: this.signOwn(ctx, 'ruling', role).toBuffer() })) {
          out.push({ jobId: ctx.id, action: 'sign', kind: 'ruling', txid })
        }
        return
      }
      if (!ctx.job.claims.some(c => c.kind === kind && c.role === role)) {
        if (await this.appendOnce(ctx.job, `paid:${kind}`, { type: OP.ESCROW_PAID, jobId: ctx.job.id, kind, txid: fromHex(txid) })) {
          out.push({ jobId: ctx.id, action: 'paid', kind, txid })
        }
        return
      }
    }
    if (kind === null) out.push({ jobId: ctx.id, action: 'error', txid, detail: `the escrow output was spent by ${txid}, a transaction this job's record does not hold` })
    else if (ctx.e.closed !== null && toHex(ctx.e.closed.txid) !== txid) out.push({ jobId: ctx.id, action: 'error', kind, txid, detail: `the record says the escrow was paid by ${toHex(ctx.e.closed.txid)}, but this node sees it spent by ${txid}` })
    await this.markSettled(ctx, txid, out, kind ?? undefined)
  }

  // Done with this escrow: nothing of it is watched or kept any more.
  async markSettled (ctx: EscrowCtx, txid: string, out: StepReport[], kind?: StepReport['kind']): Promise<void> {
    this.settled?.set(this.settledKey(ctx), txid)
    await markSettled(this.wallet.dir, this.settledKey(ctx), txid)
    await dropRefund(this.wallet.dir, ctx.fundingTxid)
    out.push({ jobId: ctx.id, action: 'settled', kind, txid })
  }

  // --- signing ---------------------------------------------------------------------------------------------------

  // A signature from the record, checked against this engine's own rebuild; throws PSBT_REFUSED.
  verified (ctx: EscrowCtx, sig: EscrowSig, who: Signer): bitcoin.Psbt {
    const psbt = psbtOf(sig, ctx, this.network)
    checkPsbt(expectedFor(ctx, sig.kind, this.network), psbt, { maxFeeRate: this.maxFeeRate })
    if (sig.kind === 'funding') {
      const idx = who === 'client' ? ctx.fundingPlan.client.inputIndexes : ctx.fundingPlan.printer.inputIndexes
      for (const i of idx) if ((psbt.data.inputs[i].partialSig ?? []).length === 0) throw PSBT_REFUSED(`the ${who} did not sign its funding input ${i}`)
    } else {
      const key = signerKey(ctx, who)
      if (!(psbt.data.inputs[0].partialSig ?? []).some(ps => bytesEqual(ps.pubkey, key))) throw PSBT_REFUSED(`no signature by the ${who}'s escrow key`)
    }
    return psbt
  }

  signOwn (ctx: EscrowCtx, kind: SignKind, role: 'client' | 'printer'): bitcoin.Psbt {
    const psbt = buildFor(ctx, kind, this.network)
    if (kind === 'funding') {
      const idx = role === 'client' ? ctx.fundingPlan.client.inputIndexes : ctx.fundingPlan.printer.inputIndexes
      this.wallet.signPsbt(psbt, idx)
    } else {
      this.wallet.signEscrow(psbt, ctx.id, role)
    }
    return psbt
  }

  async sign (ctx: EscrowCtx, kind: SignKind, role: 'client' | 'printer', out: StepReport[]): Promise<void> {
    const psbt = this.signOwn(ctx, kind, role)
    if (await this.appendOnce(ctx.job, `sign:${kind}`, { type: OP.ESCROW_SIGN, jobId: ctx.job.id, kind, psbt: psbt.toBuffer() })) {
      out.push({ jobId: ctx.id, action: 'sign', kind, txid: unsignedTx(psbt).getId() })
    }
  }

  // --- payouts and disputes ----------------------------------------------------------------------------------------

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

  // A dispute (lib/disputes): escalate once a deadline has passed in market time (the time apply checks it on).
  // Paying out a split both accepted, or the ruling, is watchChain's.
  private async stepDispute (ctx: EscrowCtx, out: StepReport[]): Promise<void> {
    const d = ctx.job.dispute ?? null
    if (d === null || ctx.e.ruling !== null) return
    const clock = await this.market.clock()
    const proposeMs = DEADLINES.proposeSecs * 1000
    const answerMs = DEADLINES.answerSecs * 1000
    const due = (d.stage === 'mediation' && clock.passed(d.proposeBy - proposeMs, proposeMs)) ||
      (d.stage === 'proposed' && d.proposal !== null && clock.passed(d.proposal.answerBy - answerMs, answerMs))
    if (due && await this.appendOnce(ctx.job, 'escalate', { type: OP.DISPUTE_ESCALATE, jobId: ctx.job.id })) {
      out.push({ jobId: ctx.id, action: 'escalate', detail: d.stage === 'mediation' ? 'the mediator missed its deadline' : 'the proposal was not accepted in time' })
    }
  }

  // --- what the command line calls (./actions.ts) ------------------------------------------------------------------

  async jobFor (jobId: Uint8Array | string, { confirmed = true } = {}): Promise<JobRecord> {
    await this.market.update()
    let id: Uint8Array
    if (typeof jobId === 'string') {
      const p = parseJobIdPrefix(jobId)
      if (p === null || p.text.length !== 26) throw JOB_NOT_FOUND(jobId)
      id = p.bytes
    } else {
      id = jobId
    }
    let v = await this.market.getJob(id)
    // a change made a moment ago (the other side's answer) is confirmed once an indexer has it: wait for that a while
    const deadline = Date.now() + CONFIRM_WAIT_MS
    while (confirmed && v !== null && !v.confirmed && this.market.connections > 0 && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 200))
      await this.market.update()
      v = await this.market.getJob(id)
    }
    if (v === null) throw JOB_NOT_FOUND(typeof jobId === 'string' ? jobId : jobIdString(jobId))
    if (confirmed && !v.confirmed) throw BAD_TRANSITION(`the job's latest change is not confirmed yet${this.market.connections > 0 ? ` (no indexer confirmed it in ${CONFIRM_WAIT_MS / 1000} s)` : ' (no peer is connected)'}: run the command again once the market has synced`)
    return v.job
  }

  // Coins put into an accept or a proposal: held in memory and in reserved.json until the funding timeout has
  // passed (plus an hour), so neither this engine after a restart nor `wallet send` spends them meanwhile.
  async reserve (utxos: Array<{ txid: string, vout: number }>, jobId: string, fundingDeadline: number): Promise<void> {
    const keys = utxos.map(u => `${u.txid}:${u.vout}`)
    for (const k of keys) this.reserved.set(k, fundingDeadline + 3600_000)
    await reserveCoins(this.wallet.dir, keys, jobId, fundingDeadline + 3600_000, this.now())
  }

  // Coins this wallet can put into a new escrow: confirmed, and not already in an accept or proposal of its own.
  async spendable (): Promise<Awaited<ReturnType<Wallet['listUtxos']>>> {
    const now = this.now()
    for (const [k, until] of this.reserved) if (until <= now) this.reserved.delete(k)
    const used = new Set([...this.reserved.keys(), ...await reservedCoins(this.wallet.dir, now)])
    for (const { id, role } of await escrowsOf(this.market.view, this.me)) {
      if (role !== 'client' && role !== 'printer') continue
      const job = (await this.market.getJob(id))?.job ?? null
      const e = job?.escrow ?? null
      if (job === null || e == null || e.closed !== null || e.fundingTxid !== null || job.status !== 'accepted') continue
      // an acceptance that could have lapsed holds its coins only if its funding is out there
      if (now > e.acceptedAt + e.fundingTimeoutSecs * 1000 + 3600_000) {
        if (e.client === null) continue
        const txid = (() => { try { return escrowContext(job, this.network).fundingTxid } catch { return null } })()
        if (txid === null || !(await this.chain.txStatus(txid)).found) continue
      }
      for (const c of [...e.printer.inputs, ...(e.client?.inputs ?? [])]) used.add(`${toHex(c.txid)}:${c.vout}`)
    }
    // coins this wallet signed into a funding that may still go out (its refund is kept): the other side could
    // complete that funding at any time, so they go into no other escrow until spent or released
    const market = b4a.toString(this.market.key, 'hex')
    for (const r of await keptRefunds(this.wallet.dir)) if (r.market === market && r.network === this.network.bech32) for (const k of r.inputs) used.add(k)
    const coins = await this.wallet.listUtxos(this.chain)
    return coins.filter(u => u.height !== null && !used.has(`${u.txid}:${u.vout}`))
  }

  prepareAccept (jobId: Uint8Array | string): ReturnType<typeof actions.prepareAccept> { return actions.prepareAccept(this, jobId) }
  prepareShip (jobId: Uint8Array | string): ReturnType<typeof actions.prepareShip> { return actions.prepareShip(this, jobId) }
  complete (jobId: Uint8Array | string): ReturnType<typeof actions.complete> { return actions.complete(this, jobId) }
  requestCancel (jobId: Uint8Array | string): ReturnType<typeof actions.requestCancel> { return actions.requestCancel(this, jobId) }
  rule (jobId: Uint8Array | string, ruling: Parameters<typeof actions.rule>[2], note = ''): ReturnType<typeof actions.rule> { return actions.rule(this, jobId, ruling, note) }
  acceptProposal (jobId: Uint8Array | string): ReturnType<typeof actions.acceptProposal> { return actions.acceptProposal(this, jobId) }
  releaseMilestone (jobId: Uint8Array | string): ReturnType<typeof release.releaseMilestone> { return release.releaseMilestone(this, jobId) }

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

export { rulingPrinterPct }
