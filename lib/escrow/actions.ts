// The escrow steps a person starts (the command line and the app call them through EscrowEngine): accept, ship,
// complete, cancel, rule, accept a mediator's proposal. Each checks what this peer can check — the record, and its
// own Bitcoin node — before it signs or writes anything.
import b4a from 'b4a'
import { OP, LIMITS, type EscrowParty, type EscrowRecord, type JobRecord, type Winner } from '../schema.js'
import type { EscrowEngine } from './engine.js'
import { getSettings } from '../market/view.js'
import { jobIdString } from '../ids.js'
import { escrowAmounts } from './amounts.js'
import { fromHex, bytesEqual } from './script.js'
import { unsignedTx } from './psbt.js'
import { combine, finalize, signInputs } from './psbt-sign.js'
import { effectiveFeeRate } from './fees.js'
import { DEADLINES } from '../disputes/apply.js'
import { escrowContext, buildFor, MAX_MEDIATOR_FEE_PCT, type EscrowCtx } from './context.js'
import { sigOf, cancelAllowed, cancelAgreed, lateCancelDue, lateCancelOpen, releaseDue, releaseAt, shipBy } from './record.js'
import { unpayablePath, minPayableBounty, keyBindingHash } from './verify.js'
import { selectFundingCoins, type Wallet } from './wallet.js'
import { BAD_ESCROW, NOT_ALLOWED, BAD_TRANSITION } from '../errors.js'
import { checkLimits } from './limits.js'
import { milestonesOf, unpayableMilestones, releasePending, releasesPlanned, RELEASE_HOLD_MS } from './milestones.js'
import { ownSignedTxids } from './own-sigs.js'

// The arbitrator's key is one key per wallet (named in the market settings), not per job: it is derived at the
// escrow path of this fixed label in the arbitrator role (wallet.ts).
// A dispute's stage as a sentence's end ("the dispute is …").
const STAGE_WORDS: Record<string, string> = { mediation: 'with the mediator, who has not proposed yet', proposed: 'waiting for answers to the mediator\'s proposal', settled: 'settled: both sides accepted the proposal', arbitration: 'with the arbitrator', ruled: 'ruled already' }

export const ARBITRATOR_KEY_LABEL = 'p2print/arbitrator'

export function arbitratorKey (wallet: Wallet): ReturnType<Wallet['escrowKey']> {
  return wallet.escrowKey(ARBITRATOR_KEY_LABEL, 'arbitrator')
}

export function arbitratorPubkey (wallet: Wallet): Uint8Array {
  return arbitratorKey(wallet).publicKey
}

function sats (n: number | bigint): string {
  return `${Number(n).toLocaleString('en-US')} sats`
}

// The printer's side of a job/accept in a market with escrow: its key, addresses and coins for its deposit and
// its share of the funding fee, at this node's fee estimate. Refused when some payout path (a ruling, a split…)
// could not be paid at that rate: then the arbitrator could never rule. Append as { type: OP.JOB_ACCEPT, jobId,
// escrow }.
export async function prepareAccept (engine: EscrowEngine, jobId: Uint8Array | string): Promise<EscrowParty> {
  const job = await engine.jobFor(jobId, { confirmed: false })
  if (job.status !== 'open') throw BAD_TRANSITION(`cannot accept a job that is ${job.status}`)
  if (b4a.equals(job.client, engine.me)) throw NOT_ALLOWED('you are its client')
  if (job.leavers.filter(k => b4a.equals(k, engine.me)).length >= LIMITS.acceptsPerPrinter) throw NOT_ALLOWED(`you left this job ${LIMITS.acceptsPerPrinter} times (withdrew, or let its funding lapse): you cannot accept it again`)
  const settings = await getSettings(engine.market.view)
  if (settings.chain === '') throw BAD_ESCROW('this market has no escrow (no chain in its settings)')
  if (settings.arbitrators.length === 0) throw BAD_ESCROW('this market has no arbitrator: escrowed jobs cannot be accepted')
  checkLimits(settings, engine.limits)
  const id = jobIdString(job.id)
  // the deal's price: the client's offer to this printer where one stands (lib/market/quotes.ts), else the bounty
  const bountySats = job.offer != null && b4a.equals(job.offer.printer, engine.me) ? job.offer.priceSats : job.bountySats
  const amounts = escrowAmounts({ bountySats: BigInt(bountySats), depositPct: BigInt(settings.depositPct) })
  const feeRate = effectiveFeeRate(await engine.chain.feeRate(engine.feeTarget))
  if (feeRate > engine.maxFeeRate) throw BAD_ESCROW(`the fee estimate ${feeRate} sat/vB is above the cap of ${engine.maxFeeRate} sat/vB`)
  const terms = { depositPct: settings.depositPct, arbitrationFeePct: settings.arbitrationFeePct, feeRate, maxMediatorFeePct: MAX_MEDIATOR_FEE_PCT }
  const why = unpayablePath({ ...terms, bountySats })
  if (why !== null) {
    const min = minPayableBounty(terms)
    throw BAD_ESCROW(`this bounty is too small to escrow at today's fee rate: ${why}. ${min === null ? '' : `At ${feeRate} sat/vB the smallest bounty every payout can be paid from is ${sats(min)}.`}`.trim())
  }
  const parts = unpayableMilestones(amounts.bountySats, milestonesOf(job), feeRate)
  if (parts !== null) throw BAD_ESCROW(`this job's milestones cannot all be released at today's fee rate (${feeRate} sat/vB): ${parts}`)
  const sel = selectFundingCoins(await engine.spendable(), 'printer', amounts, feeRate)
  await engine.reserve(sel.utxos, id, engine.now() + settings.fundingTimeoutSecs * 1000)
  const key = engine.wallet.escrowKey(id, 'printer')
  return {
    pubkey: key.publicKey,
    payoutScript: (await engine.wallet.nextReceiveAddress()).script,
    changeScript: (await engine.wallet.nextChangeAddress()).script,
    inputs: sel.utxos.map(u => ({ txid: fromHex(u.txid), vout: u.vout, valueSats: Number(u.valueSats), script: fromHex(u.scriptPubKeyHex) })),
    feeRate,
    keyProof: key.sign(keyBindingHash(job.id, engine.me, 'printer'))
  }
}

// Why a ship or a cancel waits while the client's ask for a release holds the job.
function held (what: 'ship' | 'cancel'): string {
  return `the client asked for the release of a milestone: the job takes no ${what} until the printer's engine co-signs the release (it does so by itself while \`sync\` or the app runs) or the ask lapses (${RELEASE_HOLD_MS / 60_000} minutes of market time); try again then`
}

// The printer's signature on the `complete` payout, to carry in job/ship: { type: OP.JOB_SHIP, jobId, note, psbt }.
// Why this peer's own node does not show the job's escrow funded at the market's depth and unspent (null: it does):
// a job marked active by someone's `funded` claim alone has no money behind it.
export async function unfunded (engine: EscrowEngine, job: JobRecord): Promise<string | null> {
  const ctx = escrowContext(job, engine.network)
  const st = await engine.chain.txStatus(ctx.fundingTxid)
  const depth = (job.escrow as EscrowRecord).fundingDepth
  if (!st.confirmed || st.depth < depth) return `your Bitcoin node ${st.found ? `sees the escrow's funding ${ctx.fundingTxid} at ${st.depth} of ${depth} confirmations` : `does not know the escrow's funding ${ctx.fundingTxid}`}; the job is marked active on one side's word only`
  // milestones: the output the latest release left locked must be on chain too
  if (ctx.stage > 0 && !(await engine.chain.txStatus(ctx.escrow.txid)).confirmed) return `your Bitcoin node does not show the release of milestone ${ctx.stage} (${ctx.escrow.txid}) confirmed yet`
  const spent = await engine.chain.outspend(ctx.escrow.txid, ctx.escrow.vout)
  return spent === null ? null : `the escrow output is already spent by ${spent.txid}`
}

// Signatures the printer's own log holds that apply did not take (an op of the client's ordered ahead of them) are
// still usable by the client: a cancel would let it take everything back after delivery, a release would void the
// completion payout. Either way the printer must not ship; a release is put out now, so that it is not the
// client's to use later (the rest comes home from the lock height: strayRelease).
async function refusedOwnSigs (engine: EscrowEngine, ctx: EscrowCtx): Promise<void> {
  const mine = await ownSignedTxids(engine.market, ctx.job.id)
  if (mine.get('cancel')?.has(unsignedTx(buildFor(ctx, 'cancel', engine.network)).getId()) === true) {
    throw NOT_ALLOWED('you signed a cancel of this job that the market did not take (the client\'s ask for a release was ordered ahead of it), and a signature cannot be withdrawn: with it the client could take the bounty back after delivery. Do not ship; sign the cancel again (`job cancel`) so that it counts, and ask the client to sign it too, or open a dispute')
  }
  const client = sigOf(ctx.e, 'release', 'client')
  if (client === undefined || ctx.stage >= releasesPlanned(ctx.job)) return
  const own = engine.signOwn(ctx, 'release', 'printer')
  if (mine.get('release')?.has(unsignedTx(own).getId()) !== true) return
  let put = ''
  try {
    const tx = finalize(combine(engine.verified(ctx, client, 'client'), own))
    await engine.chain.broadcast(tx.hex)
    put = ` It was put out now (${tx.txid}): the part is yours, and the rest comes back to both sides from the refund's lock height.`
  } catch (err) {
    put = ` Putting it out failed (${(err as Error).message}): run \`sync\`.`
  }
  throw NOT_ALLOWED(`your engine signed the release of milestone ${ctx.stage + 1}, which the market did not take (an op of the client's was ordered ahead of it); with it the client could void your completion payout after delivery. Do not ship.${put}`)
}

// Refused unless this peer's own node shows the funding confirmed at the market's depth and the escrow unspent.
export async function prepareShip (engine: EscrowEngine, jobId: Uint8Array | string): Promise<{ psbt: Uint8Array, txid: string }> {
  const job = await engine.jobFor(jobId)
  if (engine.roleIn(job) !== 'printer') throw NOT_ALLOWED('only the job\'s printer ships it')
  if (job.status !== 'active') throw BAD_TRANSITION(`cannot ship a job that is ${job.status}`)
  // a signature cannot be taken back: with the printer's cancel signature the client could pay itself back after
  // the print arrived
  if (sigOf(job.escrow as EscrowRecord, 'cancel', 'printer') !== undefined) throw NOT_ALLOWED('you signed a cancel of this job, and a signature cannot be withdrawn: with it the client could take the bounty back after delivery. Do not ship; ask the client to sign the cancel too (`job cancel`), or open a dispute')
  if (cancelAgreed(job)) throw NOT_ALLOWED(sigOf(job.escrow as EscrowRecord, 'cancel', 'arbitrator') !== undefined ? 'you are past this job\'s ship-by time and the client cancelled it: the arbitrator co-signed the cancel, everyone is being paid back. Do not ship' : 'both sides signed the cancel of this job: it is being paid back. Do not ship')
  if (lateCancelOpen(job, await engine.market.clock())) throw NOT_ALLOWED('you are past this job\'s ship-by time and the client has cancelled it: the arbitrator\'s engine co-signs the cancel and everyone is paid back. Do not ship')
  if (releasePending(job, await engine.market.clock())) throw BAD_TRANSITION(held('ship'))
  const ctx = escrowContext(job, engine.network)
  await refusedOwnSigs(engine, ctx)
  const why = await unfunded(engine, job)
  if (why !== null) throw BAD_ESCROW(`do not ship${why.startsWith('the escrow output') ? '' : ' yet'}: ${why}`)
  const psbt = engine.signOwn(ctx, 'complete', 'printer')
  return { psbt: psbt.toBuffer(), txid: unsignedTx(psbt).getId() }
}

// The client completes a shipped job: checks the printer's payout signature, countersigns, broadcasts the payout,
// and records it with job/complete, which carries the countersignature (so the printer can broadcast the payout
// itself). Throws PSBT_REFUSED (and signs nothing) if the payout is not the agreed one.
export async function complete (engine: EscrowEngine, jobId: Uint8Array | string): Promise<{ txid: string }> {
  // an unconfirmed record will do (with no indexer left, none is ever confirmed again): the client only countersigns
  // the payout the printer signed, checked below against this peer's own rebuild (PROTOCOL.md, "When the indexers
  // are gone")
  const job = await engine.jobFor(jobId, { confirmed: false })
  if (engine.roleIn(job) !== 'client') throw NOT_ALLOWED('only the job\'s client completes it')
  if (job.status !== 'shipped') throw BAD_TRANSITION(`cannot complete a job that is ${job.status}`)
  const ctx = escrowContext(job, engine.network)
  const sig = sigOf(ctx.e, 'complete', 'printer')
  if (sig === undefined) throw BAD_ESCROW('the printer\'s payout signature is missing')
  const theirs = engine.verified(ctx, sig, 'printer')
  const mine = engine.signOwn(ctx, 'complete', 'client')
  const tx = finalize(combine(theirs, mine))
  const spent = await engine.chain.outspend(ctx.escrow.txid, ctx.escrow.vout)
  if (spent === null) await engine.chain.broadcast(tx.hex)
  else if (spent.txid !== tx.txid) throw BAD_ESCROW(`the escrow output is already spent by ${spent.txid}`)
  await engine.market.append({ type: OP.JOB_COMPLETE, jobId: job.id, payoutTxid: fromHex(tx.txid), psbt: mine.toBuffer() })
  return { txid: tx.txid }
}

// Client or printer asks to cancel an active (funded, not shipped) job, or a disputed one nobody has ruled or
// settled: signs the cancel payout. With both signatures the engines pay it out.
export async function requestCancel (engine: EscrowEngine, jobId: Uint8Array | string): Promise<{ txid: string, shipBy: number | null, late: boolean }> {
  // an unconfirmed record will do: the cancel only gives each side back what it put in
  const job = await engine.jobFor(jobId, { confirmed: false })
  const role = engine.roleIn(job)
  if (role !== 'client' && role !== 'printer') throw NOT_ALLOWED('only the client or the printer can cancel an escrowed job')
  if (!cancelAllowed(job)) throw BAD_TRANSITION(job.status === 'disputed' ? 'this dispute is already ruled or settled: it can no longer be cancelled' : `an escrowed job can be cancelled by both only while active (funded, not shipped) or disputed; it is ${job.status}`)
  // a cancel signature apply would refuse now still sits in the log, where the other side could use it later
  if (job.status === 'active' && releasePending(job, await engine.market.clock())) throw BAD_TRANSITION(held('cancel'))
  const ctx = escrowContext(job, engine.network)
  const psbt = engine.signOwn(ctx, 'cancel', role)
  await engine.market.append({ type: OP.ESCROW_SIGN, jobId: job.id, kind: 'cancel', psbt: psbt.toBuffer() })
  // a client whose printer is past its ship-by time does not need the printer: the arbitrator's engine co-signs
  const by = role === 'client' && job.status === 'active' ? shipBy(job) : null
  return { txid: unsignedTx(psbt).getId(), shipBy: by, late: by !== null && (await engine.market.clock()).passed(by, 0) }
}

// What the arbitrator's engine signs by itself (signInPlace), in words.
export const IN_PLACE = {
  cancel: 'the printer is past its ship-by time: the arbitrator co-signs the client\'s cancel',
  complete: 'the client\'s delivery window is over without a dispute: the arbitrator co-signs the printer\'s payout',
  ruling: 'a milestone\'s release moved the escrow on after the ruling: the arbitrator signs the same ruling on what it left locked'
} as const

// The arbitrator's acts without a person, each rebuilt from a confirmed record like every payout: co-signing the
// cancel the client signed on a job whose printer is past its ship-by time (record.ts lateCancelDue), and the
// complete payout the printer signed once the client's delivery window is over without a dispute (releaseDue).
// Market time from the confirmed view only (no op it has not seen can then be ordered before the deadline), and
// never before this machine's own clock agrees: a market time run ahead by its indexers cannot hurry it. And its
// ruling once more, on the next stage's output, when a release put out after the ruling moved the escrow on (the
// decision is the person's, already made). Which payout it signed, or null.
export async function signInPlace (engine: EscrowEngine, jobId: Uint8Array): Promise<'cancel' | 'complete' | 'ruling' | null> {
  const state = await engine.market.confirmedState(jobId) // the job and the clock from one confirmed prefix
  if (state === null || state.job.escrow == null) return null
  const { job, now: clock } = state
  if (rulingVoided(job)) {
    const key = arbitratorKey(engine.wallet)
    if (!bytesEqual(key.publicKey, (job.escrow as EscrowRecord).arbitratorPubkey)) return null
    const ctx = escrowContext(job, engine.network)
    if (!await stageLive(engine, ctx)) return null
    const psbt = buildFor(ctx, 'ruling', engine.network)
    signInputs(psbt, key, [0])
    return await engine.appendOnce(job, 'sign:ruling-again', { type: OP.ESCROW_SIGN, jobId: job.id, kind: 'ruling', psbt: psbt.toBuffer() }) ? 'ruling' : null
  }
  const kind = lateCancelDue(job, clock) ? 'cancel' : releaseDue(job, clock) ? 'complete' : null
  const due = kind === 'cancel' ? shipBy(job) : kind === 'complete' ? releaseAt(job) : null
  if (kind === null || due === null || engine.now() < due) return null
  const key = arbitratorKey(engine.wallet)
  if (!bytesEqual(key.publicKey, (job.escrow as EscrowRecord).arbitratorPubkey)) return null
  const ctx = escrowContext(job, engine.network)
  if (!await stageLive(engine, ctx)) return null
  const party = kind === 'cancel' ? 'client' : 'printer'
  engine.verified(ctx, sigOf(ctx.e, kind, party)!, party) // the party's signature is on this very payout
  const psbt = buildFor(ctx, kind, engine.network)
  signInputs(psbt, key, [0])
  return await engine.appendOnce(job, `sign:${kind}-in-place`, { type: OP.ESCROW_SIGN, jobId: job.id, kind, psbt: psbt.toBuffer() }) ? kind : null
}

// Whether the output the record's stage spends is on this node's chain, confirmed and unspent: the arbitrator signs
// nothing by itself on a record that moved to a stage whose output never came to be (a release apply took that the
// chain never did).
async function stageLive (engine: EscrowEngine, ctx: EscrowCtx): Promise<boolean> {
  if (!(await engine.chain.txStatus(ctx.escrow.txid)).confirmed) return false
  return await engine.chain.outspend(ctx.escrow.txid, ctx.escrow.vout) === null
}

// A ruling decided whose signature a release dropped (lib/market/release-apply.ts): the arbitrator signs it again.
export function rulingVoided (job: JobRecord): boolean {
  const e = job.escrow ?? null
  if (e == null || e.closed !== null || job.status !== 'disputed' || e.ruling === null) return false
  if (job.dispute != null && job.dispute.ruling === null) return false
  return sigOf(e, 'ruling', 'arbitrator') === undefined
}

// The arbitrator rules a disputed job (once mediation has ended: lib/disputes): signs the ruling payout — the
// printer gets printerPct % of the bounty (a winner is 0 or 100), the arbitration fee comes out of the deposit of
// the side that gets less than half (both halves at 50 %) to this wallet. The parties' engines countersign and
// broadcast.
export async function rule (engine: EscrowEngine, jobId: Uint8Array | string, ruling: Winner | number, note = ''): Promise<{ txid: string, printerPct: number }> {
  const job = await engine.jobFor(jobId)
  if (engine.roleIn(job) !== 'arbitrator') throw NOT_ALLOWED('only the job\'s arbitrator rules')
  if (job.status !== 'disputed') throw BAD_TRANSITION(`cannot rule on a job that is ${job.status}`)
  const d = job.dispute ?? null
  if (d !== null && d.stage !== 'arbitration') throw BAD_TRANSITION(`the dispute is ${STAGE_WORDS[d.stage] ?? d.stage}: the arbitrator rules only after the mediation has failed (a rejection or a missed deadline)`)
  if (cancelAgreed(job)) throw BAD_TRANSITION('client and printer both signed the cancel of this job: it is being paid back, there is nothing to rule')
  const printerPct = ruling === 'printer' ? 100 : ruling === 'client' ? 0 : ruling
  if (!Number.isInteger(printerPct) || printerPct < 0 || printerPct > 100) throw BAD_ESCROW('the printer\'s share must be a whole percentage from 0 to 100')
  const e = job.escrow as EscrowRecord
  const key = arbitratorKey(engine.wallet)
  if (!bytesEqual(key.publicKey, e.arbitratorPubkey)) throw NOT_ALLOWED('this wallet does not hold the arbitrator key named in the market settings')
  // a dispute over an escrow that was never funded (its `funded` is only a party's word) has nothing to rule on
  const live = escrowContext(job, engine.network)
  const st = await engine.chain.txStatus(live.fundingTxid)
  if (!st.confirmed) throw BAD_ESCROW(`your Bitcoin node ${st.found ? 'sees this escrow\'s funding unconfirmed' : 'does not know this escrow\'s funding'} (${live.fundingTxid}): there is no money to rule on`)
  if (live.stage > 0 && !(await engine.chain.txStatus(live.escrow.txid)).confirmed) throw BAD_ESCROW(`your Bitcoin node does not show the release of milestone ${live.stage} (${live.escrow.txid}) confirmed: there is nothing locked after it to rule on yet`)
  const spent = await engine.chain.outspend(live.escrow.txid, live.escrow.vout)
  if (spent !== null) throw BAD_ESCROW(`the escrow output is already spent by ${spent.txid}`)
  const feeScript = (await engine.wallet.nextReceiveAddress()).script
  const winner: Winner = printerPct >= 50 ? 'printer' : 'client'
  const ruled: JobRecord = { ...job, escrow: { ...e, ruling: { winner, feeScript } }, dispute: d === null ? null : { ...d, ruling: { printerPct, note, at: 0 } } }
  const ctx = escrowContext(ruled, engine.network)
  const psbt = buildFor(ctx, 'ruling', engine.network)
  signInputs(psbt, key, [0])
  if (d === null && (printerPct === 0 || printerPct === 100)) {
    await engine.market.append({ type: OP.DISPUTE_RULING, jobId: job.id, winner, feeScript, psbt: psbt.toBuffer() })
  } else {
    await engine.market.append({ type: OP.DISPUTE_RULE, jobId: job.id, printerPct, note, feeScript, psbt: psbt.toBuffer() })
  }
  return { txid: unsignedTx(psbt).getId(), printerPct }
}

// Client or printer accepts the mediator's proposal: signs the split payout (the mediator's fee included) and
// writes dispute/accept. With both signatures the engines pay it out. The payout is rebuilt from the record, so
// what is signed is exactly what the proposal says.
export async function acceptProposal (engine: EscrowEngine, jobId: Uint8Array | string): Promise<{ txid: string }> {
  const seen = await engine.jobFor(jobId, { confirmed: false })
  // On a record the market has not confirmed (with no indexer left, it never will) only to complete the split the
  // other side signed, this very transaction. A first acceptance commits this party to a payout nobody else signed,
  // proposed by a mediator whose pick is the market's word only once confirmed: it signs the confirmed record.
  const role0 = engine.roleIn(seen)
  const otherSigned = (role0 === 'client' || role0 === 'printer') && seen.escrow != null && sigOf(seen.escrow, 'split', role0 === 'client' ? 'printer' : 'client') !== undefined
  const job = otherSigned ? seen : await engine.jobFor(jobId)
  const role = engine.roleIn(job)
  if (role !== 'client' && role !== 'printer') throw NOT_ALLOWED('only the client or the printer answers a proposal')
  const d = job.dispute ?? null
  if (job.status !== 'disputed' || d === null || d.stage !== 'proposed' || d.proposal === null) throw BAD_TRANSITION('there is no proposal waiting for an answer')
  const answerMs = DEADLINES.answerSecs * 1000
  if ((await engine.market.clock()).passed(d.proposal.answerBy - answerMs, answerMs)) throw BAD_TRANSITION('the time to answer this proposal is over')
  if (cancelAgreed(job)) throw BAD_TRANSITION('both sides signed the cancel of this job: it is being paid back instead')
  const ctx = escrowContext(job, engine.network)
  const other = role === 'client' ? 'printer' : 'client'
  const theirs = sigOf(ctx.e, 'split', other)
  if (theirs !== undefined) engine.verified(ctx, theirs, other) // on exactly the split this peer rebuilds
  const psbt = engine.signOwn(ctx, 'split', role)
  await engine.market.append({ type: OP.DISPUTE_ACCEPT, jobId: job.id, psbt: psbt.toBuffer() })
  return { txid: unsignedTx(psbt).getId() }
}
