// The market clock and the indexers (lib/market/clock.ts): market time is the median of the indexers' latest ticks
// and never goes back; only the creator names indexers; and every deadline (the funding timeout, the mediator's
// 72 h, the parties' 48 h) starts and ends on market time, whatever time an op's author wrote into it. Through the
// real reducer on a Hyperbee, then on real peers.
import test from 'brittle'
import b4a from 'b4a'
import { openBee, openMarkets, eventually } from './helpers.js'
import { OP, decodeOp, encodeOp, DEFAULT_SETTINGS, type JobRecord, type OpBody, type EscrowRecord } from '../lib/schema.js'
import { getJob, getWriter, putJob, putSettings, putMeta, type View } from '../lib/market/view.js'
import { applyOp, jobIdFor } from '../lib/market/apply.js'
import { tick, getClock, marketTime, getNamedIndexers, putClock, MIN_TICK_STEP_MS, MAX_TICK_STEP_MS } from '../lib/market/clock.js'
import { escrowParties } from './escrow-fixture.js'
import { escrowContext } from '../lib/escrow/context.js'
import { DEADLINES, getMediators } from '../lib/disputes/apply.js'

const key = (n: number): Uint8Array => b4a.alloc(32, n)
const CREATOR = key(1)
const IDX1 = key(2)
const IDX2 = key(3)
const CLIENT = key(4)
const PRINTER = key(5)
const ARB = key(6)
const MED = key(7)
const STRANGER = key(8)
const HOUR = 3600_000
const T0 = Date.UTC(2026, 11, 1) // market time when each scenario starts
const FUTURE = T0 + 100 * 365 * 24 * HOUR // a century ahead
const PAST = 1 // 1970

// Applies `body` stating `at`; the market's clock is what the indexers' ticks made it.
async function run (bee: View, body: OpBody, author: Uint8Array, at: number, length = 1): Promise<boolean> {
  const b = bee.batch()
  const ok = await applyOp(b, decodeOp(encodeOp(body, at)), author, length)
  await b.flush()
  return ok
}

const tickAt = async (bee: View, who: Uint8Array, at: number): Promise<boolean> => run(bee, { type: OP.MARKET_CLOCK }, who, at)

// The creator, the market's only indexer, ticks until market time reaches `at` (a tick moves it a day at most).
async function tickTo (bee: View, at: number): Promise<boolean> {
  for (let i = 0; i < 100 && (await marketTime(bee))! < at; i++) await tickAt(bee, CREATOR, at)
  return await marketTime(bee) === at
}

// A market made by CREATOR at T0 (as its market/init would), with escrow on regtest and MED named as mediator.
async function market (bee: View): Promise<void> {
  const b = bee.batch()
  await putMeta(b, { name: 'm', creator: CREATOR, createdAt: T0 })
  await putClock(b, { now: T0, ticks: [{ key: CREATOR, at: T0 }] })
  await putSettings(b, { ...DEFAULT_SETTINGS, chain: 'regtest', arbitrators: [{ id: ARB, pubkey: FIX.arbitrator.publicKey }], fundingTimeoutSecs: 3600, refundDelayBlocks: 20, mediators: [MED] })
  await b.flush()
}

const FIX = escrowParties('clock test')

// An active escrowed job, as if funded (coins made up, signatures real: test/escrow-fixture.ts).
async function activeJob (bee: View, n: number): Promise<Uint8Array> {
  const id = b4a.alloc(16, n)
  const e: EscrowRecord = { arbitrator: ARB, arbitratorPubkey: FIX.arbitrator.publicKey, depositPct: 15, arbitrationFeePct: 5, fundingDepth: 1, fundingTimeoutSecs: 3600, refundDelayBlocks: 20, acceptedAt: T0, printer: FIX.printerSide(), client: FIX.clientSide(500), sigs: [], fundingTxid: null, ruling: null, closed: null }
  const job: JobRecord = { id, seq: n, title: 't', material: 'PLA', colors: [], bountySats: 200_000, country: 'DE', notes: '', client: CLIENT, printer: PRINTER, status: 'active', createdAt: T0, updatedAt: T0, updates: 0, history: [], file: null, escrow: e, dispute: null, rev: 0, accepts: 1, leavers: [], claims: [], openToQuotes: false, quotes: 0, offer: null, offers: 0, leadDays: 0, posted: null }
  e.fundingTxid = b4a.from(escrowContext(job).fundingTxid, 'hex')
  const b = bee.batch()
  await putJob(b, null, job)
  await b.flush()
  return id
}

test('market time: the median of the indexers\' latest ticks, never back; only indexers tick; only the creator names them', async (t) => {
  t.is(tick({ now: 5, ticks: [] }, [CREATOR], STRANGER, 100), null, 'a tick by a peer that is no indexer is none')
  const three = [CREATOR, IDX1, IDX2]
  let c = tick({ now: 0, ticks: [] }, three, CREATOR, 100)!
  t.is(c.now, 100, 'one indexer ticked: its time')
  c = tick(c, three, IDX1, 10_000)!
  t.is(c.now, 100, 'two: the lower of the two (an indexer far ahead moves nothing alone)')
  c = tick(c, three, IDX2, 200)!
  t.is(c.now, 200, 'three: the median')
  t.is(tick(c, three, IDX2, 50), null, 'an indexer\'s own ticks never go back')
  t.is(tick(c, three, IDX2, 200 + MIN_TICK_STEP_MS - 1), null, 'nor move by less than half a minute (an early tick changes nothing)')
  t.is(tick(c, three, IDX2, 200 + MIN_TICK_STEP_MS)!.ticks.find(x => b4a.equals(x.key, IDX2))!.at, 200 + MIN_TICK_STEP_MS, 'half a minute on: recorded')
  t.is(tick(tick(c, three, CREATOR, 100_000)!, three, IDX2, 500_000)!.now, 100_000, 'market time: the median again (ticks 100 000, 10 000, 500 000)')
  t.is(tick({ now: 9_000_000, ticks: c.ticks }, three, IDX2, 500_000)!.now, 9_000_000, 'and it never goes back')

  const bee = await openBee(t)
  await market(bee)
  t.absent(await tickAt(bee, STRANGER, FUTURE), 'a stranger\'s tick is ignored')
  t.absent(await run(bee, { type: OP.MARKET_INDEXERS, indexers: [STRANGER] }, STRANGER, T0), 'only the creator names indexers')
  t.absent(await run(bee, { type: OP.MARKET_INDEXERS, indexers: [CREATOR] }, CREATOR, T0), 'the creator is an indexer already: naming it is refused')
  t.absent(await run(bee, { type: OP.MARKET_INDEXERS, indexers: [IDX1, IDX1] }, CREATOR, T0), 'twice the same key is refused')
  t.exception(() => decodeOp(encodeOp({ type: OP.MARKET_INDEXERS, indexers: [key(10), key(11), key(12), key(13), key(14)] }, T0)), 'five named indexers (six with the creator) do not decode')
  t.ok(await run(bee, { type: OP.MARKET_INDEXERS, indexers: [IDX1, IDX2] }, CREATOR, T0), 'the creator names two more')
  t.alike(await getNamedIndexers(bee), [IDX1, IDX2])
  t.ok(await tickAt(bee, CREATOR, T0 + HOUR))
  t.is(await marketTime(bee), T0 + HOUR, 'the creator alone has ticked since: its time')
  t.ok(await tickAt(bee, IDX1, FUTURE), 'a named indexer ticks a century ahead')
  t.is(await marketTime(bee), T0 + HOUR, 'the median of two is the lower: nothing moved')
  t.ok(await tickAt(bee, IDX2, T0 + 2 * HOUR))
  t.is(await marketTime(bee), T0 + 2 * HOUR, 'three ticks: the median, not the century')
  t.ok(await run(bee, { type: OP.MARKET_INDEXERS, indexers: [IDX2] }, CREATOR, T0), 'the creator drops IDX1')
  t.absent(await tickAt(bee, IDX1, FUTURE), 'a dropped indexer\'s ticks no longer count')
  t.is((await getClock(bee)).ticks.length, 2, 'and its last tick is gone from the clock')
  const ops = (await getWriter(bee, CREATOR)).ops
  t.ok(await tickAt(bee, CREATOR, T0 + 3 * HOUR))
  t.is((await getWriter(bee, CREATOR)).ops, ops, 'a tick is not counted against the indexer\'s op limit (it ticks every minute for years)')
})

test('post-dated and pre-dated ops move no deadline: the funding timeout, the mediator\'s 72 h and the parties\' 48 h are on market time', async (t) => {
  const bee = await openBee(t)
  await market(bee)
  const feeScript = b4a.concat([b4a.from([0, 20]), b4a.alloc(20, 4)])
  t.ok(await run(bee, { type: OP.MEDIATOR_REGISTER, feePct: 2 }, MED, T0))

  // acceptance: its funding timeout starts at market time, whatever the printer dated it
  const create = await run(bee, { type: OP.JOB_CREATE, job: { title: 'Benchy', material: 'PLA', colors: [], bountySats: 200_000, country: 'DE', notes: '' } }, CLIENT, T0, 7)
  t.ok(create, 'a job is posted')
  const jobId = jobIdFor(CLIENT, 7)
  for (const [what, at] of [['post-dated', FUTURE], ['pre-dated', PAST]] as const) {
    t.ok(await run(bee, { type: OP.JOB_ACCEPT, jobId, escrow: FIX.printerSide({ jobId, author: PRINTER }) }, PRINTER, at), `a ${what} accept`)
    const j = (await getJob(bee, jobId))!
    t.is(j.escrow!.acceptedAt, await marketTime(bee), `${what}: the acceptance is timed on market time`)
    t.absent(await run(bee, { type: OP.JOB_LAPSE, jobId }, PRINTER, FUTURE), `${what}: a post-dated lapse before the timeout is refused`)
    t.is((await getJob(bee, jobId))!.status, 'accepted')
    t.ok(await tickTo(bee, j.escrow!.acceptedAt + 3600_000), 'the market clock reaches the timeout')
    t.ok(await run(bee, { type: OP.JOB_LAPSE, jobId }, CLIENT, PAST), `${what}: at the timeout even a lapse dated 1970 is taken`)
    t.is((await getJob(bee, jobId))!.status, 'open')
  }

  // mediation: a dispute dated in 1970 or a century ahead opens with the 72 h from market time
  for (const [n, what, at] of [[1, 'post-dated', FUTURE], [2, 'pre-dated', PAST]] as const) {
    const id = await activeJob(bee, n)
    const now = (await marketTime(bee))!
    t.ok(await run(bee, { type: OP.JOB_DISPUTE, jobId: id, reason: 'bad' }, CLIENT, at), `a ${what} dispute`)
    const d = (await getJob(bee, id))!.dispute!
    t.is(d.openedAt, now, `${what}: opened at market time`)
    t.is(d.proposeBy, now + DEADLINES.proposeSecs * 1000, `${what}: the mediator has 72 h of market time`)
    t.absent(await run(bee, { type: OP.DISPUTE_ESCALATE, jobId: id }, PRINTER, FUTURE), `${what}: an escalation dated a century ahead is refused before the deadline`)
    t.is((await getJob(bee, id))!.dispute!.stage, 'mediation', 'and gives the mediator no strike')
    // the mediator proposes with a time in the past; its 48 h answer window still starts now
    t.ok(await run(bee, { type: OP.DISPUTE_PROPOSE, jobId: id, printerPct: 60, note: 'n', feeScript }, MED, PAST), `${what}: a proposal dated 1970 is taken inside the 72 h`)
    const p = (await getJob(bee, id))!.dispute!.proposal!
    t.is(p.answerBy, now + DEADLINES.answerSecs * 1000, `${what}: answer by 48 h of market time after it`)
    t.absent(await run(bee, { type: OP.DISPUTE_ESCALATE, jobId: id }, CLIENT, FUTURE), `${what}: a post-dated "no answer" escalation is refused`)
    t.ok(await tickTo(bee, p.answerBy), 'market time reaches the answer deadline')
    t.absent(await run(bee, { type: OP.DISPUTE_ACCEPT, jobId: id, psbt: FIX.sign((await getJob(bee, id))!, 'split', 'client') }, CLIENT, PAST), `${what}: an answer dated 1970 after the deadline is refused`)
    t.ok(await run(bee, { type: OP.DISPUTE_ESCALATE, jobId: id }, CLIENT, PAST), `${what}: after the deadline, the escalation is taken whatever its date`)
    t.is((await getJob(bee, id))!.dispute!.escalation, 'no-answer')
  }
  t.is((await getMediators(bee))[0].missed, 0, 'the mediator answered every time: no strike')

  // a mediator that really misses its deadline is still escalated past and struck
  const id = await activeJob(bee, 3)
  t.ok(await run(bee, { type: OP.JOB_DISPUTE, jobId: id, reason: 'bad' }, PRINTER, T0))
  const d = (await getJob(bee, id))!.dispute!
  t.ok(await tickTo(bee, d.proposeBy - 60_000))
  t.absent(await run(bee, { type: OP.DISPUTE_ESCALATE, jobId: id }, CLIENT, FUTURE), 'a minute before the deadline: refused')
  t.ok(await tickTo(bee, d.proposeBy))
  t.absent(await run(bee, { type: OP.DISPUTE_PROPOSE, jobId: id, printerPct: 60, note: 'late', feeScript }, MED, PAST), 'a late proposal dated 1970 is refused')
  t.ok(await run(bee, { type: OP.DISPUTE_ESCALATE, jobId: id }, CLIENT, PAST), 'the client escalates past the mediator')
  t.is((await getJob(bee, id))!.dispute!.escalation, 'missed-proposal')
  t.is((await getMediators(bee))[0].missed, 1, 'and the mediator is struck')
})

test('three indexers on real peers: each one\'s clock ticks, market time is their median, and a peer that is no indexer cannot move it', { timeout: 120_000 }, async (t) => {
  const skews = [0, 0, 0, 0]
  const { peers } = await openMarkets(t, 4, { ackInterval: 100 })
  const [creator, a, b, stranger] = peers.map(p => p.market)
  // each peer states its own time: its skew on top of the real clock
  const at = (i: number): number => Date.now() + skews[i]
  await creator.append({ type: OP.MARKET_INDEXERS, indexers: [a.writerKey, b.writerKey] })
  t.ok(await eventually(async () => { await a.update(); await b.update(); return (await a.isNamedIndexer()) && (await b.isNamedIndexer()) }), 'both named peers see themselves as indexers')
  for (const [i, m] of [[1, a], [2, b]] as const) await m.append({ type: OP.MARKET_CLOCK }, { at: at(i) })
  t.ok(await eventually(async () => { await creator.update(); return creator.activeIndexers().length === 3 }), 'Autobase counts three indexers once the named ones have written')
  skews[3] = 1000 * HOUR
  await stranger.append({ type: OP.MARKET_CLOCK }, { at: at(3) })
  skews[1] = 500 * HOUR
  await a.append({ type: OP.MARKET_CLOCK }, { at: at(1) })
  skews[2] = MIN_TICK_STEP_MS // b's next tick, half a minute on
  const bTime = at(2)
  await b.append({ type: OP.MARKET_CLOCK }, { at: bTime })
  const agreed = async (): Promise<boolean> => {
    for (const m of [creator, a, b, stranger]) await m.update()
    const times = await Promise.all([creator, a, b, stranger].map(m => m.time()))
    return times.every(x => x === times[0]) && times[0] >= bTime && times[0] < Date.now() + HOUR
  }
  t.ok(await eventually(agreed), 'every peer has the same market time: the median (b\'s), not the indexer 500 h ahead nor the stranger 1000 h ahead')
  t.ok(await eventually(async () => {
    for (const m of [creator, a, b, stranger]) await m.update()
    const signed = creator.view.core.signedLength
    return signed > 0 && [a, b, stranger].every(m => m.view.core.signedLength === signed)
  }, 30_000), 'the view is confirmed by the three indexers and every peer agrees on its signed length')
})

test('a market made before the market clock keeps the old rule (the op\'s own time) until one of its indexers ticks', async (t) => {
  const bee = await openBee(t)
  const b = bee.batch()
  await putMeta(b, { name: 'old', creator: CREATOR, createdAt: T0 }) // no clock record: written by schema v5
  await putSettings(b, { ...DEFAULT_SETTINGS, chain: 'regtest', arbitrators: [{ id: ARB, pubkey: FIX.arbitrator.publicKey }] })
  await b.flush()
  t.is(await marketTime(bee), null, 'no market time yet')
  const id = await activeJob(bee, 1)
  t.ok(await run(bee, { type: OP.JOB_DISPUTE, jobId: id, reason: 'bad' }, CLIENT, T0 + HOUR))
  t.is((await getJob(bee, id))!.dispute!.openedAt, T0 + HOUR, 'a dispute opens at its own time, as before')
  t.ok(await tickAt(bee, CREATOR, T0 + 2 * HOUR), 'the creator, upgraded, ticks')
  t.is(await marketTime(bee), T0 + 2 * HOUR, 'from then on, market time')
  const id2 = await activeJob(bee, 2)
  t.ok(await run(bee, { type: OP.JOB_DISPUTE, jobId: id2, reason: 'bad' }, CLIENT, FUTURE))
  t.is((await getJob(bee, id2))!.dispute!.openedAt, T0 + 2 * HOUR, 'and a post-dated dispute opens at market time')
})

test('a clock decades ahead moves market time a day per tick, not to the end of time: escrows can still be accepted', async (t) => {
  const bee = await openBee(t)
  await market(bee)
  t.ok(await tickAt(bee, CREATOR, 10_000_000_000_000), 'a tick at the largest time the codec takes')
  t.is(await marketTime(bee), T0 + MAX_TICK_STEP_MS, 'moves market time one day')
  t.ok(await tickAt(bee, CREATOR, 10_000_000_000_000), 'and the next')
  t.is(await marketTime(bee), T0 + 2 * MAX_TICK_STEP_MS, 'one more day')
  t.ok(await run(bee, { type: OP.JOB_CREATE, job: { title: 'Benchy', material: 'PLA', colors: [], bountySats: 200_000, country: 'DE', notes: '' } }, CLIENT, T0, 3))
  const jobId = jobIdFor(CLIENT, 3)
  t.ok(await run(bee, { type: OP.JOB_ACCEPT, jobId, escrow: FIX.printerSide({ jobId, author: PRINTER }) }, PRINTER, T0), 'an escrow can still be accepted')
  t.is((await getJob(bee, jobId))!.status, 'accepted')
})

test('10 000 fresh keys each tick the clock and name indexers: market time, the indexers and the writer records are as before', async (t) => {
  const bee = await openBee(t)
  await market(bee)
  const before = await getClock(bee)
  const b = bee.batch()
  let took = 0
  const fresh = (i: number): Uint8Array => { const k = b4a.alloc(32, 9); k[0] = i >> 8; k[1] = i & 255; return k }
  for (let i = 0; i < 10_000; i++) {
    const k = fresh(i)
    if (await applyOp(b, decodeOp(encodeOp({ type: OP.MARKET_CLOCK }, FUTURE)), k, 1)) took++
    if (await applyOp(b, decodeOp(encodeOp({ type: OP.MARKET_INDEXERS, indexers: [k] }, FUTURE)), k, 2)) took++
  }
  await b.flush()
  t.is(took, 0, 'none of the 20 000 ops took effect')
  t.alike(await getClock(bee), before, 'market time and the ticks are as before')
  t.alike(await getNamedIndexers(bee), [], 'no indexer named')
  t.is((await getWriter(bee, fresh(1234))).ops, 0, 'and their ops are not counted as if they had taken effect')
})
