// Mediation and arbitration end to end (lib/disputes, lib/escrow/PROTOCOL.md "Disputes"): four real Autobase peers
// (client = the market's creator, printer, arbitrator, mediator) on a local testnet and an in-process bcoin regtest
// node; every flow ends in a confirmed payout with the expected amounts. Then the revocation rules, through the
// real reducer on constructed histories.
import test from 'brittle'
import b4a from 'b4a'
import * as bitcoin from 'bitcoinjs-lib'
import * as ecc from 'tiny-secp256k1'
import { ECPairFactory } from 'ecpair'
import { openMarkets, eventually, sleep, openBee, type Test } from './helpers.js'
import { jobOn, until, drive, paidTo, WAIT } from './escrow-helpers.js'
import { startRegtest, type RegtestChain } from './regtest.js'
import { OP, decodeOp, encodeOp, DEFAULT_SETTINGS, type JobRecord, type MarketSettings, type OpBody, type EscrowRecord } from '../lib/schema.js'
import { getSettings, putJob, getJob, putSettings, type View } from '../lib/market/view.js'
import { escrowParties } from './escrow-fixture.js'
import { applyOp } from '../lib/market/apply.js'
import { putClock } from '../lib/market/clock.js'
import type { Market } from '../lib/market/market.js'
import { EscrowEngine, arbitratorPubkey, escrowContext, buildFor } from '../lib/escrow/engine.js'
import { Wallet } from '../lib/escrow/wallet.js'
import { unsignedTx } from '../lib/escrow/psbt.js'
import { finalize } from '../lib/escrow/psbt-sign.js'
import { getMediators, revocationReason, DEADLINES } from '../lib/disputes/apply.js'
import { getPeerStats } from '../lib/reputation/records.js'
import { outcomeOf } from '../lib/job/outcome.js'

bitcoin.initEccLib(ecc)
const ECPair = ECPairFactory(ecc)
const BOUNTY = 200_000
const DEPOSIT = 30_000 // 15 %
const TOTAL = BigInt(BOUNTY + 2 * DEPOSIT)
const MED_FEE_PCT = 2

interface Party { market: Market, wallet: Wallet, engine: EscrowEngine }
interface Setup { chain: RegtestChain, client: Party, printer: Party, arbitrator: Party, mediator: Party, clock: { skew: number } }

async function setup (t: Test): Promise<Setup> {
  const chain = await startRegtest(t)
  const clock = { skew: 0 }
  const now = (): number => Date.now() + clock.skew
  const { peers } = await openMarkets(t, 4, { ackInterval: 100, now, clockMs: 500 }) // the client, the creator, ticks the market clock on the skewed time
  const net = chain.network
  const parties = peers.map(p => {
    const wallet = Wallet.generate({ network: net })
    return { market: p.market, wallet, engine: new EscrowEngine({ market: p.market, wallet, chain: chain.backend, network: net, now }) }
  })
  const [client, printer, arbitrator, mediator] = parties
  await chain.fund((await client.wallet.nextReceiveAddress()).address, 400_000n)
  await chain.fund((await printer.wallet.nextReceiveAddress()).address, 60_000n)
  await chain.mine(1)
  const settings: MarketSettings = {
    chain: 'regtest',
    arbitrators: [{ id: arbitrator.market.writerKey, pubkey: arbitratorPubkey(arbitrator.wallet) }],
    depositPct: 15,
    arbitrationFeePct: 5,
    fundingDepth: 1,
    fundingTimeoutSecs: 3600,
    refundDelayBlocks: 20,
    admissionBits: 0,
    blindPeers: [],
    mediators: [mediator.market.writerKey]
  }
  await client.market.append({ type: OP.MARKET_SETTINGS, settings })
  await mediator.market.append({ type: OP.MEDIATOR_REGISTER, feePct: MED_FEE_PCT })
  for (const p of parties) {
    const ok = await eventually(async () => {
      await p.market.update()
      return (await getSettings(p.market.view)).chain === 'regtest' && (await getMediators(p.market.view)).length === 1
    }, WAIT)
    if (!ok) throw new Error('settings / mediator did not replicate')
  }
  return { chain, client, printer, arbitrator, mediator, clock }
}




// Posts, accepts, funds and disputes a job; returns it once everyone sees the dispute.
async function disputed (s: Setup): Promise<Uint8Array> {
  const { jobId } = await s.client.market.append({ type: OP.JOB_CREATE, job: { title: 'Benchy', material: 'PLA', colors: ['red'], bountySats: BOUNTY, country: 'DE', notes: '' } })
  const id = jobId as Uint8Array
  if (!await until(s.printer.market, id, j => j.status === 'open')) throw new Error('job did not reach the printer')
  const escrow = await s.printer.engine.prepareAccept(id)
  await s.printer.market.append({ type: OP.JOB_ACCEPT, jobId: id, escrow })
  await drive(s.chain, [s.client.engine, s.printer.engine], async () => {
    const a = await jobOn(s.client.market, id)
    const b = await jobOn(s.printer.market, id)
    return a !== null && b !== null && a.confirmed && b.confirmed && a.job.status === 'active' && b.job.status === 'active'
  })
  await s.client.market.append({ type: OP.JOB_DISPUTE, jobId: id, reason: 'layer shift' })
  for (const p of [s.printer, s.arbitrator, s.mediator]) {
    if (!await until(p.market, id, j => j.status === 'disputed')) throw new Error('dispute did not replicate')
  }
  return id
}

async function propose (s: Setup, id: Uint8Array, printerPct: number): Promise<void> {
  const feeScript = (await s.mediator.wallet.nextReceiveAddress()).script
  await s.mediator.market.append({ type: OP.DISPUTE_PROPOSE, jobId: id, printerPct, note: 'fair split', feeScript })
  for (const p of [s.client, s.printer]) {
    if (!await until(p.market, id, j => j.dispute?.stage === 'proposed')) throw new Error('proposal did not replicate')
  }
}

async function closedTx (s: Setup, id: Uint8Array, on: Market): Promise<{ job: JobRecord, tx: bitcoin.Transaction }> {
  const job = (await jobOn(on, id))!.job
  const txid = b4a.toString(job.escrow!.closed!.txid, 'hex')
  if (!(await s.chain.backend.txStatus(txid)).confirmed) await s.chain.mine(1)
  return { job, tx: bitcoin.Transaction.fromHex((await s.chain.backend.txHex(txid))!) }
}


function feeOf (tx: bitcoin.Transaction): bigint {
  return TOTAL - tx.outs.reduce((a, o) => a + o.value, 0n)
}

test('mediation accepted by both: the split is paid, the mediator gets its fee; a mediator + one party cannot spend', { timeout: 120_000 }, async (t) => {
  const s = await setup(t)
  const id = await disputed(s)
  let job = (await jobOn(s.client.market, id))!.job
  t.alike(job.dispute?.mediator, s.mediator.market.writerKey, 'the registered mediator was picked (job.dispute.mediator)')
  t.is(job.dispute?.stage, 'mediation')
  await t.exception(s.arbitrator.engine.rule(id, 50), /mediation/, 'the arbitrator cannot rule during mediation')
  await propose(s, id, 60)

  // the mediator has no key in the escrow: its signature with the printer's is no spend
  job = (await jobOn(s.printer.market, id))!.job
  const ctx = escrowContext(job, s.chain.network)
  const psbt = buildFor(ctx, 'split', s.chain.network)
  s.printer.wallet.signEscrow(psbt, ctx.id, 'printer')
  const med = ECPair.makeRandom({ network: s.chain.network })
  const utx = unsignedTx(psbt)
  const hash = utx.hashForWitnessV0(0, ctx.script.witnessScript, ctx.escrow.valueSats, bitcoin.Transaction.SIGHASH_ALL)
  const medSig = bitcoin.script.signature.encode(med.sign(hash), bitcoin.Transaction.SIGHASH_ALL)
  await t.exception(async () => finalize(psbt.clone().updateInput(0, { partialSig: [{ pubkey: med.publicKey, signature: medSig }] })), /escrow keys/, 'mediator + printer does not finalize')
  const forged = utx.clone()
  forged.setWitness(0, [new Uint8Array(0), psbt.data.inputs[0].partialSig![0].signature, medSig, ctx.script.witnessScript])
  await t.exception(s.chain.backend.broadcast(forged.toHex()), /did not accept/, 'the node rejects mediator + printer')

  await s.client.engine.acceptProposal(id)
  t.ok(await until(s.printer.market, id, j => j.dispute?.acceptedClient === true), 'the client accepted')
  const one = await s.client.engine.step()
  t.absent(one.some(r => r.kind === 'split'), 'one acceptance pays nothing')
  await s.printer.engine.acceptProposal(id)
  await drive(s.chain, [s.client.engine, s.printer.engine], async () => {
    const v = await jobOn(s.mediator.market, id)
    return v !== null && v.confirmed && v.job.escrow?.closed != null
  })
  const { job: done, tx } = await closedTx(s, id, s.mediator.market)
  t.is(done.escrow!.closed!.kind, 'split')
  t.is(done.status, 'completed', 'printer got ≥ 50 %: the state apply has always given it')
  t.alike(outcomeOf(done), { kind: 'split', printerPct: 60, by: 'mediator' }, 'its outcome: a split, the printer\'s 60 %')
  const pStats = await getPeerStats(s.mediator.market.view, s.printer.market.writerKey)
  const cStats = await getPeerStats(s.mediator.market.view, s.client.market.writerKey)
  t.alike([pStats.printerCompleted, pStats.printerSplit, pStats.printerSplitPctSum], [0, 1, 60], 'the printer\'s record: a split with 60 %, no completion')
  t.alike([cStats.clientCompleted, cStats.clientSplit, cStats.clientSplitPctSum], [0, 1, 40], 'the client\'s record: a split with 40 %, no completion')
  const fee = feeOf(tx)
  const medFee = BigInt(BOUNTY * MED_FEE_PCT / 100)
  const rest = BigInt(BOUNTY) - medFee
  const printerBounty = rest * 60n / 100n
  t.is(await paidTo(s.chain, tx, done.dispute!.proposal!.feeScript), medFee, `mediator: ${MED_FEE_PCT} % of the bounty (${medFee})`)
  t.is(await paidTo(s.chain, tx, done.escrow!.printer.payoutScript), printerBounty + BigInt(DEPOSIT) - fee / 2n, 'printer: 60 % of (bounty − mediator fee) + deposit − fee share')
  t.is(await paidTo(s.chain, tx, done.escrow!.client!.payoutScript), rest - printerBounty + BigInt(DEPOSIT) - (fee - fee / 2n), 'client: the rest + deposit − fee share')
  const m = (await getMediators(s.mediator.market.view))[0]
  t.is(m.taken, 1); t.is(m.proposed, 1); t.is(m.accepted, 1); t.is(m.overturned, 0)
})

test('mediation rejected → the arbitrator rules a percentage; the side that gets less pays it out; the proposal counts as overturned', { timeout: 120_000 }, async (t) => {
  const s = await setup(t)
  const id = await disputed(s)
  await propose(s, id, 80)
  await s.client.market.append({ type: OP.DISPUTE_REJECT, jobId: id, note: 'too generous' })
  t.ok(await until(s.arbitrator.market, id, j => j.dispute?.stage === 'arbitration' && j.dispute.escalation === 'rejected'), 'to the arbitrator')
  await s.arbitrator.engine.rule(id, 30, 'mostly unusable')
  t.ok(await until(s.client.market, id, j => j.escrow?.ruling != null), 'ruling recorded')
  // the ruling is final: the side that gets less pays it out too (the client may be gone)
  await drive(s.chain, [s.printer.engine], async () => {
    const v = await jobOn(s.arbitrator.market, id)
    return v !== null && v.confirmed && v.job.escrow?.closed != null
  })
  const { job, tx } = await closedTx(s, id, s.arbitrator.market)
  t.is(job.status, 'cancelled', 'printer got < 50 %: the state apply has always given it')
  t.is(job.dispute?.ruling?.printerPct, 30)
  t.alike(outcomeOf(job), { kind: 'split', printerPct: 30, by: 'arbitrator' }, 'its outcome: a split by the arbitrator')
  const pStats = await getPeerStats(s.arbitrator.market.view, s.printer.market.writerKey)
  const cStats = await getPeerStats(s.arbitrator.market.view, s.client.market.writerKey)
  t.alike([pStats.printerCancelled, pStats.printerSplit, pStats.printerSplitPctSum, pStats.disputesLost], [0, 1, 30, 1], 'the printer: a split with 30 % (and the dispute lost), no cancellation')
  t.alike([cStats.clientCancelled, cStats.clientSplit, cStats.clientSplitPctSum], [0, 1, 70], 'the client: a split with 70 %, no cancellation')
  const fee = feeOf(tx)
  const arbFee = BigInt(BOUNTY) * 5n / 100n
  const printerBounty = BigInt(BOUNTY) * 30n / 100n
  t.is(await paidTo(s.chain, tx, job.escrow!.ruling!.feeScript), arbFee, 'arbitrator: 5 % of the bounty')
  t.is(await paidTo(s.chain, tx, job.escrow!.printer.payoutScript), printerBounty + BigInt(DEPOSIT) - arbFee - fee / 2n, 'printer (< 50 %): 30 % + deposit − arbitration fee − fee share')
  t.is(await paidTo(s.chain, tx, job.escrow!.client!.payoutScript), BigInt(BOUNTY) - printerBounty + BigInt(DEPOSIT) - (fee - fee / 2n), 'client: 70 % + deposit − fee share')
  const m = (await getMediators(s.arbitrator.market.view))[0]
  t.is(m.overturned, 1, '80 % proposed, 30 % ruled: overturned')
})

test('mediation rejected by the printer → the arbitrator rules 90 % for the printer; the printer countersigns', { timeout: 120_000 }, async (t) => {
  const s = await setup(t)
  const id = await disputed(s)
  await propose(s, id, 20)
  await s.printer.market.append({ type: OP.DISPUTE_REJECT, jobId: id, note: 'I printed it twice' })
  t.ok(await until(s.arbitrator.market, id, j => j.dispute?.stage === 'arbitration' && j.dispute.escalation === 'rejected'), 'to the arbitrator')
  await s.arbitrator.engine.rule(id, 90, 'the photos show a good print')
  t.ok(await until(s.client.market, id, j => j.escrow?.ruling != null), 'ruling recorded')
  await drive(s.chain, [s.printer.engine], async () => {
    const v = await jobOn(s.arbitrator.market, id)
    return v !== null && v.confirmed && v.job.escrow?.closed != null
  })
  const { job, tx } = await closedTx(s, id, s.arbitrator.market)
  t.is(job.status, 'completed', 'printer got ≥ 50 %: completed')
  const fee = feeOf(tx)
  const arbFee = BigInt(BOUNTY) * 5n / 100n
  const printerBounty = BigInt(BOUNTY) * 90n / 100n
  t.is(await paidTo(s.chain, tx, job.escrow!.ruling!.feeScript), arbFee, 'arbitrator: 5 % of the bounty')
  t.is(await paidTo(s.chain, tx, job.escrow!.printer.payoutScript), printerBounty + BigInt(DEPOSIT) - fee / 2n, 'printer: 90 % + deposit − fee share')
  t.is(await paidTo(s.chain, tx, job.escrow!.client!.payoutScript), BigInt(BOUNTY) - printerBounty + BigInt(DEPOSIT) - arbFee - (fee - fee / 2n), 'client (< 50 %): 10 % + deposit − arbitration fee − fee share')
  const m = (await getMediators(s.arbitrator.market.view))[0]
  t.is(m.overturned, 1, '20 % proposed, 90 % ruled: overturned')
})

test('the mediator misses its deadline → an engine escalates → the arbitrator rules for the printer', { timeout: 120_000 }, async (t) => {
  const s = await setup(t)
  const id = await disputed(s)
  t.is((await s.client.engine.step()).filter(r => r.action === 'escalate').length, 0, 'nothing due before the deadline')
  await s.client.market.append({ type: OP.DISPUTE_ESCALATE, jobId: id })
  await sleep(500)
  t.ok(await until(s.printer.market, id, j => j.dispute?.stage === 'mediation'), 'an early escalation is ignored by apply')
  s.clock.skew = DEADLINES.proposeSecs * 1000 + 1000
  const reports = await drive(s.chain, [s.printer.engine], async () => {
    const v = await jobOn(s.arbitrator.market, id)
    return v !== null && v.confirmed && v.job.dispute?.stage === 'arbitration'
  })
  t.ok(reports.some(r => r.action === 'escalate'), 'the printer\'s engine escalated')
  t.is((await jobOn(s.arbitrator.market, id))!.job.dispute?.escalation, 'missed-proposal')
  const feeScript = (await s.mediator.wallet.nextReceiveAddress()).script
  await s.mediator.market.append({ type: OP.DISPUTE_PROPOSE, jobId: id, printerPct: 50, note: 'late', feeScript })
  await sleep(500)
  t.absent((await jobOn(s.client.market, id))!.job.dispute?.proposal, 'a late proposal is ignored')
  await s.arbitrator.engine.rule(id, 'printer')
  await drive(s.chain, [s.client.engine, s.printer.engine], async () => {
    const v = await jobOn(s.arbitrator.market, id)
    return v !== null && v.confirmed && v.job.escrow?.closed != null
  })
  const { job, tx } = await closedTx(s, id, s.arbitrator.market)
  t.is(job.status, 'completed')
  const fee = feeOf(tx)
  const arbFee = BigInt(BOUNTY) * 5n / 100n
  t.is(await paidTo(s.chain, tx, job.escrow!.printer.payoutScript), BigInt(BOUNTY + DEPOSIT) - fee / 2n, 'printer: bounty + deposit − fee share')
  t.is(await paidTo(s.chain, tx, job.escrow!.client!.payoutScript), BigInt(DEPOSIT) - arbFee - (fee - fee / 2n), 'client: deposit − arbitration fee − fee share')
  const m = (await getMediators(s.arbitrator.market.view))[0]
  t.is(m.missed, 1, 'the missed deadline is on the mediator\'s record')
})

test('the arbitrator vanishes: client and printer settle the dispute by agreement (both sign the cancel) and get back what they put in', { timeout: 120_000 }, async (t) => {
  const s = await setup(t)
  const id = await disputed(s)
  await propose(s, id, 90)
  await s.client.market.append({ type: OP.DISPUTE_REJECT, jobId: id, note: 'no' })
  t.ok(await until(s.printer.market, id, j => j.dispute?.stage === 'arbitration'), 'in arbitration; the arbitrator never comes back')
  await s.client.engine.requestCancel(id)
  t.ok(await until(s.printer.market, id, j => (j.escrow?.sigs ?? []).some(x => x.kind === 'cancel')), 'the client signed the cancel')
  t.absent((await s.client.engine.step()).some(r => r.kind === 'cancel' && r.action === 'broadcast'), 'one signature pays nothing')
  await s.printer.engine.requestCancel(id)
  await drive(s.chain, [s.client.engine, s.printer.engine], async () => {
    const v = await jobOn(s.mediator.market, id)
    return v !== null && v.confirmed && v.job.escrow?.closed != null
  })
  const { job, tx } = await closedTx(s, id, s.mediator.market)
  t.is(job.escrow!.closed!.kind, 'cancel')
  t.is(job.status, 'cancelled')
  t.alike(outcomeOf(job), { kind: 'cancelled' }, 'a cancel by agreement is a cancellation')
  t.is((await getPeerStats(s.mediator.market.view, s.printer.market.writerKey)).printerCancelled, 1)
  const fee = feeOf(tx)
  t.is(await paidTo(s.chain, tx, job.escrow!.client!.payoutScript), BigInt(BOUNTY + DEPOSIT) - (fee - fee / 2n), 'client: bounty + deposit − fee share')
  t.is(await paidTo(s.chain, tx, job.escrow!.printer.payoutScript), BigInt(DEPOSIT) - fee / 2n, 'printer: its deposit − fee share')
  await t.exception(s.arbitrator.engine.rule(id, 'printer'), /cannot rule|cancelled/, 'nothing left to rule on')
})

// --- revocation, through the reducer on constructed histories ---------------------------------------------------


// Applies the op at market time `at` (the clock set to it, as the market's indexers would have), stating `at` too.
async function run (bee: View, body: OpBody, author: Uint8Array, at: number): Promise<boolean> {
  const batch = bee.batch()
  await putClock(batch, { now: at, ticks: [] })
  const ok = await applyOp(batch, decodeOp(encodeOp(body, at)), author, 1)
  await batch.flush()
  return ok
}

const key = (n: number): Uint8Array => b4a.alloc(32, n)
const CLIENT = key(1)
const PRINTER = key(2)
const ARB = key(3)

// An active escrowed job record with real keys (escrow-fixture.ts), as if funded: the coins are made up, the
// signatures the ops carry are real.
const FIX = escrowParties('disputes test')
async function activeJob (bee: View, n: number): Promise<Uint8Array> {
  const id = b4a.alloc(16, n)
  const e: EscrowRecord = { arbitrator: ARB, arbitratorPubkey: FIX.arbitrator.publicKey, depositPct: 15, arbitrationFeePct: 5, fundingDepth: 1, fundingTimeoutSecs: 3600, refundDelayBlocks: 20, acceptedAt: 1, printer: FIX.printerSide(), client: FIX.clientSide(500), sigs: [], fundingTxid: null, ruling: null, closed: null }
  const job: JobRecord = { id, seq: n, title: 't', material: 'PLA', colors: [], bountySats: BOUNTY, country: 'DE', notes: '', client: CLIENT, printer: PRINTER, status: 'active', createdAt: 1, updatedAt: 1, updates: 0, history: [], file: null, escrow: e, dispute: null, rev: 0, accepts: 1, leavers: [], claims: [], openToQuotes: false, quotes: 0, offer: null, offers: 0, leadDays: 0, posted: null }
  e.fundingTxid = b4a.from(escrowContext(job).fundingTxid, 'hex')
  const b = bee.batch()
  await putJob(b, null, job)
  await b.flush()
  return id
}

// The market's creator names these mediators (apply takes mediator/register from them only).
async function nameMediators (bee: View, keys: Uint8Array[]): Promise<void> {
  const b = bee.batch()
  await putSettings(b, { ...DEFAULT_SETTINGS, chain: 'regtest', mediators: keys })
  await b.flush()
}

test('revocation rules: pure, and recomputed in apply from a constructed history (missed deadlines counted, not revoking)', async (t) => {
  t.is(revocationReason({ missed: 1, overturned: 1, accepted: 0, upheld: 0 }), '', 'one miss, one overturn: fine')
  t.is(revocationReason({ missed: 2, overturned: 0, accepted: 0, upheld: 0 }), '', 'missed deadlines alone revoke nothing (two parties can let a deadline run out on purpose)')
  t.ok(revocationReason({ missed: 0, overturned: 2, accepted: 1, upheld: 1 }).startsWith('R2'), 'R2: 2 overturned ≥ 1 accepted + 1 upheld')
  t.is(revocationReason({ missed: 0, overturned: 2, accepted: 3, upheld: 0 }), '', 'R2 not met when most proposals were accepted')

  const bee = await openBee(t)
  const MED = key(7)
  t.absent(await run(bee, { type: OP.MEDIATOR_REGISTER, feePct: 3 }, MED, 10), 'a writer the creator has not named cannot register')
  await nameMediators(bee, [MED, key(8)])
  t.ok(await run(bee, { type: OP.MEDIATOR_REGISTER, feePct: 3 }, MED, 10), 'registered')
  t.absent(await run(bee, { type: OP.MEDIATOR_REGISTER, feePct: 6 }, key(8), 10), 'a fee above the 5 % cap is refused')
  let at = 1_000
  for (const n of [1, 2]) {
    const id = await activeJob(bee, n)
    t.ok(await run(bee, { type: OP.JOB_DISPUTE, jobId: id, reason: 'bad' }, CLIENT, at), `dispute ${n}`)
    const j = (await getJob(bee, id))!
    t.alike(j.dispute?.mediator, MED, 'picked')
    t.absent(await run(bee, { type: OP.DISPUTE_ESCALATE, jobId: id }, PRINTER, j.dispute!.proposeBy - 1), 'escalation before the deadline is ignored')
    t.absent(await run(bee, { type: OP.DISPUTE_ESCALATE, jobId: id }, MED, j.dispute!.proposeBy), 'only a party escalates')
    t.ok(await run(bee, { type: OP.DISPUTE_ESCALATE, jobId: id }, PRINTER, j.dispute!.proposeBy), 'escalated at the deadline')
    at += 10
  }
  const [m] = await getMediators(bee)
  t.is(m.taken, 2); t.is(m.missed, 2)
  t.is(m.revoked, '', 'counted, not revoked')
  const id3 = await activeJob(bee, 3)
  t.ok(await run(bee, { type: OP.JOB_DISPUTE, jobId: id3, reason: 'bad' }, CLIENT, at))
  t.alike((await getJob(bee, id3))!.dispute?.mediator, MED, 'still picked: the market\'s creator decides whether to keep it')
  await nameMediators(bee, [key(8)])
  const id4 = await activeJob(bee, 4)
  t.ok(await run(bee, { type: OP.JOB_DISPUTE, jobId: id4, reason: 'bad' }, CLIENT, at))
  const j4 = (await getJob(bee, id4))!
  t.is(j4.dispute?.mediator, null, 'a mediator the creator no longer names is not picked')
  t.is(j4.dispute?.stage, 'arbitration', 'no eligible mediator: straight to the arbitrator')
  t.is(j4.dispute?.escalation, 'no-mediator')
})

// A PSBT that carries one partial signature by `signer`, on a made-up transaction.
function signedBy (signer: ReturnType<typeof ECPair.makeRandom>): Uint8Array {
  const psbt = new bitcoin.Psbt()
  psbt.addInput({ hash: b4a.alloc(32, 5), index: 0, witnessUtxo: { script: b4a.concat([b4a.from([0, 32]), b4a.alloc(32, 6)]), value: 100_000n } })
  psbt.addOutput({ script: b4a.concat([b4a.from([0, 20]), b4a.alloc(20, 7)]), value: 90_000n })
  const sig = bitcoin.script.signature.encode(signer.sign(b4a.alloc(32, 8)), bitcoin.Transaction.SIGHASH_ALL)
  psbt.updateInput(0, { partialSig: [{ pubkey: signer.publicKey, signature: sig }] })
  return psbt.toBuffer()
}

test('a proposal nobody answers in 48 h escalates; R2 (overturned ≥ accepted + upheld, at least 2) revokes through apply', async (t) => {
  const bee = await openBee(t)
  const MED = key(9)
  const feeScript = b4a.concat([b4a.from([0, 20]), b4a.alloc(20, 4)])
  await nameMediators(bee, [MED])
  t.ok(await run(bee, { type: OP.MEDIATOR_REGISTER, feePct: 2 }, MED, 10))
  let at = 1_000
  for (const n of [11, 12]) {
    const id = await activeJob(bee, n)
    t.ok(await run(bee, { type: OP.JOB_DISPUTE, jobId: id, reason: 'bad' }, CLIENT, at), `dispute ${n}`)
    t.ok(await run(bee, { type: OP.DISPUTE_PROPOSE, jobId: id, printerPct: 90, note: 'n', feeScript }, MED, at + 1), 'proposed 90 %')
    const j = (await getJob(bee, id))!
    t.is(j.dispute!.proposal!.answerBy, at + 1 + DEADLINES.answerSecs * 1000, 'answer by 48 h after the proposal')
    t.absent(await run(bee, { type: OP.DISPUTE_ESCALATE, jobId: id }, CLIENT, j.dispute!.proposal!.answerBy - 1), 'no escalation before 48 h')
    t.absent(await run(bee, { type: OP.DISPUTE_ACCEPT, jobId: id, psbt: signedBy(ECPair.makeRandom()) }, CLIENT, j.dispute!.proposal!.answerBy), 'an answer after 48 h is refused')
    t.ok(await run(bee, { type: OP.DISPUTE_ESCALATE, jobId: id }, CLIENT, j.dispute!.proposal!.answerBy), 'escalated at 48 h')
    t.is((await getJob(bee, id))!.dispute?.escalation, 'no-answer')
    const j2 = (await getJob(bee, id))!
    t.absent(await run(bee, { type: OP.DISPUTE_RULE, jobId: id, printerPct: 10, note: 'r', feeScript, psbt: signedBy(ECPair.makeRandom()) }, ARB, at + 5), 'a ruling signed by another key is refused')
    t.absent(await run(bee, { type: OP.DISPUTE_RULE, jobId: id, ...FIX.rule(j2, 90, 'r', at + 5, feeScript), printerPct: 10 }, ARB, at + 5), 'a ruling whose signature is on another split is refused')
    t.ok(await run(bee, { type: OP.DISPUTE_RULE, jobId: id, ...FIX.rule(j2, 10, 'r', at + 5, feeScript) }, ARB, at + 5), 'the arbitrator rules 10 %, signing that ruling\'s payout')
    t.is((await getJob(bee, id))!.dispute?.stage, 'ruled')
    at += 10
  }
  const [m] = await getMediators(bee)
  t.is(m.proposed, 2); t.is(m.overturned, 2); t.is(m.missed, 0)
  t.ok(m.revoked.startsWith('R2'), `revoked by R2: ${m.revoked}`)
  const id = await activeJob(bee, 13)
  t.ok(await run(bee, { type: OP.JOB_DISPUTE, jobId: id, reason: 'bad' }, CLIENT, at))
  t.is((await getJob(bee, id))!.dispute?.mediator, null, 'a mediator revoked by R2 is not picked')
})
