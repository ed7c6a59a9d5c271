// Milestones against modified clients (lib/market/release-apply.ts): every release and next-refund signature below is
// appended raw (test/hostile.ts), proved to have reached the indexer, and refused there unless the record says it is
// due: the author is the job's client or printer, the job is funded and active with parts left, nothing else is
// signed, the signature is on exactly the transaction the record defines for this job and stage. No handler throws.
import test from 'brittle'
import b4a from 'b4a'
import { drive, jobOn, WAIT } from './escrow-helpers.js'
import { escrowSetup, fund, ship, post, confirmed, marketTimeTo, type EscrowSetup, type Party } from './escrow-setup.js'
import { latest, type Check } from './vanish.js'
import { Hostile, baseOpen } from './hostile.js'
import { eventually, openBee } from './helpers.js'
import { OP, SCHEMA_VERSION, encodeOp, decodeOp, jobRecord, type OpBody, type JobRecord, type Milestone, type SignKind } from '../lib/schema.js'
import { escrowContext, buildFor } from '../lib/escrow/context.js'
import { signInputs } from '../lib/escrow/psbt-sign.js'
import { arbitratorKey } from '../lib/escrow/actions.js'
import type { StepReport } from '../lib/escrow/engine.js'
import { summarizeEscrow } from '../lib/escrow/summary.js'
import { applyFaults, applyOp } from '../lib/market/apply.js'
import { getSettings, getJob, putJob, putSettings } from '../lib/market/view.js'
import { getClock, putClock } from '../lib/market/clock.js'
import c from 'compact-encoding'
import { stageOf, RELEASE_HOLD_MS, RELEASE_MARGIN_BLOCKS, RELEASE_ASKS, RELEASE_SIGN_MARGIN_MS } from '../lib/escrow/milestones.js'
import { sigOf, pairOf } from '../lib/escrow/record.js'

const T = { timeout: 300_000 }
const PARTS: Milestone[] = [{ label: 'first layer', pct: 20 }, { label: 'printed', pct: 50 }, { label: 'delivered', pct: 30 }]

async function postParts (s: EscrowSetup, milestones: Milestone[] = PARTS): Promise<Uint8Array> {
  const { jobId } = await s.client.market.append({ type: OP.JOB_CREATE, job: { title: 'Parts', material: 'PLA', colors: [], bountySats: 200_000, country: 'DE', notes: '' }, milestones })
  if (jobId === null || !await eventually(async () => (await jobOn(s.printer.market, jobId))?.job.status === 'open', WAIT)) throw new Error('job did not reach the printer')
  return jobId
}

// `who`'s escrow key signs `kind` of the job as the record stands (stage optional), appended raw by `by`.
async function rawSig (s: EscrowSetup, by: Party, job: JobRecord, kind: SignKind, signer: 'client' | 'printer' | 'arbitrator', o: { stage?: number, as?: SignKind, jobId?: Uint8Array } = {}): Promise<void> {
  const ctx = escrowContext(job, s.chain.network, o.stage)
  const psbt = buildFor(ctx, kind, s.chain.network)
  if (signer === 'arbitrator') signInputs(psbt, arbitratorKey(s.arbitrator.wallet), [0])
  else s[signer].wallet.signEscrow(psbt, ctx.id, signer)
  await rawOp(s, by, { type: OP.ESCROW_SIGN, jobId: o.jobId ?? job.id, kind: o.as ?? kind, psbt: psbt.toBuffer() })
}

// The printer's ship with its signature on the complete payout, appended raw.
async function rawShip (s: EscrowSetup, job: JobRecord): Promise<void> {
  const x = escrowContext(job, s.chain.network)
  const complete = buildFor(x, 'complete', s.chain.network)
  s.printer.wallet.signEscrow(complete, x.id, 'printer')
  await rawOp(s, s.printer, { type: OP.JOB_SHIP, jobId: job.id, note: 'posted', psbt: complete.toBuffer() })
}

// An op appended raw by `by`, proved to have reached the indexer and everything before it applied there.
async function rawOp (s: EscrowSetup, by: Party, op: OpBody): Promise<void> {
  const h = new Hostile(by.market)
  await h.reached(s.indexer, await h.raw(op))
  await h.applied(s.indexer)
}

test('hostile milestones: bad milestones are no job; a v9 op cannot name the new kinds; releases on jobs without parts left, or before the next refund, or by anyone else, are refused', T, async (t: Check) => {
  const s = await escrowSetup(t, { mediator: false, clientCoins: [400_000n, 400_000n, 400_000n, 400_000n], printerCoins: [60_000n, 60_000n, 60_000n] })
  const faults = applyFaults.count

  // job/create with milestones that are no split: no job
  const h = new Hostile(s.client.market)
  for (const milestones of [[{ label: 'a', pct: 50 }, { label: 'b', pct: 40 }], [{ label: 'all', pct: 100 }], [{ label: 'a', pct: 0 }, { label: 'b', pct: 100 }], [{ label: ' ', pct: 50 }, { label: 'b', pct: 50 }],
    [{ label: 'a', pct: 20 }, { label: 'b', pct: 20 }, { label: 'c', pct: 20 }, { label: 'd', pct: 20 }, { label: 'e', pct: 20 }]]) {
    let bytes: Uint8Array
    try {
      bytes = encodeOp({ type: OP.JOB_CREATE, job: { title: 'Bad', material: 'PLA', colors: [], bountySats: 200_000, country: 'DE', notes: '' }, milestones }, Date.now())
    } catch {
      t.ok(milestones.length > 4, 'five milestones do not even encode')
      continue
    }
    const at = await h.rawBytes(bytes)
    await h.reachedBytes(s.indexer, at)
  }
  await h.applied(s.indexer)
  t.is((await s.indexer.jobs({})).filter(v => v.job.title === 'Bad').length, 0, 'milestones adding up to 90 %, one part, a 0 % part, a blank label: no job')

  // a v9 escrow/sign naming 'release' decodes on no peer
  const v10 = encodeOp({ type: OP.ESCROW_SIGN, jobId: new Uint8Array(16), kind: 'release', psbt: new Uint8Array([1]) }, Date.now())
  t.is(v10[0], SCHEMA_VERSION, 'the op starts with its version')
  const v9 = b4a.concat([b4a.from([9]), v10.subarray(1)])
  t.ok((() => { try { decodeOp(v9); return false } catch { return true } })(), 'a v9 op with the kind \'release\' does not decode (a v9 peer could not read it)')

  const plain = await post(s)
  const parts = await postParts(s)
  const two = await postParts(s, [{ label: 'half', pct: 50 }, { label: 'rest', pct: 50 }])
  await fund(s, plain)
  const job = await fund(s, parts)
  await fund(s, two)

  // a job without milestones: nothing to release
  const pj = await latest(s, plain)
  t.ok(await s.client.engine.releaseMilestone(plain).then(() => false, (err: Error) => /no milestones/.test(err.message)), 'the client\'s command says the job has no milestones')
  await rawSig(s, s.printer, pj, 'next-refund', 'printer').catch(() => {}) // the rebuild itself fails: no next stage
  t.absent(sigOf((await latest(s, plain)).escrow!, 'next-refund', 'printer'), 'no next-refund on a job without milestones')

  // the client's release before both next-refund signatures: refused (money never locked without a way back)
  await rawSig(s, s.client, job, 'release', 'client')
  t.absent(sigOf((await latest(s, parts)).escrow!, 'release', 'client'), 'the client\'s release before the next refund is refused')
  // the arbitrator, the mediator (with the printer's key), the arbitrator's key on a release: refused
  const before = (await latest(s, parts)).rev
  await rawSig(s, s.arbitrator, job, 'next-refund', 'arbitrator')
  await rawSig(s, s.mediator, job, 'next-refund', 'printer')
  await rawSig(s, s.arbitrator, job, 'release', 'arbitrator')
  const after = await latest(s, parts)
  const strangers = [s.arbitrator.market.writerKey, s.mediator.market.writerKey]
  t.is(after.history.filter(x => strangers.some(k => b4a.equals(k, x.by))).length, 0, 'no op of the arbitrator or the mediator changed the record')
  t.is(after.escrow!.sigs.filter(x => x.role === 'arbitrator').length, 0, 'no arbitrator signature is kept')
  t.ok(after.rev - before <= 2, 'at most the printer\'s own engine signed meanwhile')

  // with both next refunds in, the client's signature of the cancel named a release, and its release of another job
  await drive(s.chain, [s.printer.engine], async () => confirmed([s.indexer], parts, j => sigOf(j.escrow!, 'next-refund', 'printer') !== undefined))
  t.absent(sigOf((await latest(s, parts)).escrow!, 'release', 'printer'), 'the printer\'s engine signs no release ahead of the client')
  await rawSig(s, s.printer, await latest(s, parts), 'release', 'printer')
  t.absent(sigOf((await latest(s, parts)).escrow!, 'release', 'printer'), 'a printer\'s release before the client\'s is refused: the payee signs last')
  await rawSig(s, s.client, await latest(s, parts), 'next-refund', 'client')
  t.ok(sigOf((await latest(s, parts)).escrow!, 'next-refund', 'client') !== undefined, 'the client\'s own next refund is taken')
  await rawSig(s, s.client, await latest(s, parts), 'cancel', 'client', { as: 'release' })
  await rawSig(s, s.client, await latest(s, two), 'release', 'client', { jobId: parts })
  t.absent(sigOf((await latest(s, parts)).escrow!, 'release', 'client'), 'a cancel signature named a release, and another job\'s release, are refused')
  t.is(stageOf(await latest(s, parts)), 0, 'nothing was released')
  t.is((await latest(s, parts)).status, 'active', 'the job is still active')
  t.is(applyFaults.count - faults, 0, 'no handler threw')
  t.ok(baseOpen(s.indexer) && baseOpen(s.client.market), 'every base is open')
})

test('hostile milestones: a cancel stops a release; a signature twice, an old stage\'s signature, a release after the ship or past the last part are refused', T, async (t: Check) => {
  const s = await escrowSetup(t, { mediator: false, clientCoins: [400_000n, 400_000n, 400_000n, 400_000n], printerCoins: [60_000n, 60_000n, 60_000n] })
  const faults = applyFaults.count
  const a = await postParts(s)
  const b = await postParts(s, [{ label: 'half', pct: 50 }, { label: 'rest', pct: 50 }])
  const c = await postParts(s)
  await fund(s, a)
  await fund(s, b)
  await fund(s, c)
  // the printer's engine signs ahead on all three
  await drive(s.chain, [s.printer.engine], async () => (await confirmed([s.indexer], a, signedAhead)) && (await confirmed([s.indexer], b, signedAhead)) && (await confirmed([s.indexer], c, signedAhead)))

  // job a: the printer signs the cancel; the client's release is then refused (both would spend the same output)
  await rawSig(s, s.printer, await latest(s, a), 'cancel', 'printer')
  await rawSig(s, s.client, await latest(s, a), 'next-refund', 'client')
  await rawSig(s, s.client, await latest(s, a), 'release', 'client')
  t.is(stageOf(await latest(s, a)), 0, 'after the printer\'s cancel signature no release is taken')
  t.ok(await s.client.engine.releaseMilestone(a).then(() => false, (err: Error) => /cancel/.test(err.message)), 'and the client\'s command says why')

  // job b (two parts): released once; the same signature again, the old stage's signatures, and a second release refused
  await s.client.engine.releaseMilestone(b)
  await drive(s.chain, [s.client.engine, s.printer.engine], async () => confirmed([s.indexer], b, j => stageOf(j) === 1))
  const jb = await latest(s, b)
  await rawSig(s, s.client, jb, 'release', 'client', { stage: 0 })
  await rawSig(s, s.printer, jb, 'cancel', 'printer', { stage: 0 })
  t.is(stageOf(await latest(s, b)), 1, 'the release replayed does not move the stage again')
  t.absent(sigOf((await latest(s, b)).escrow!, 'cancel', 'printer'), 'a cancel signed on the old stage\'s output is refused')
  await rawSig(s, s.printer, jb, 'next-refund', 'printer').catch(() => {}) // past the last part: nothing to build
  t.absent(sigOf((await latest(s, b)).escrow!, 'next-refund', 'printer'), 'past the last part no next refund is taken')
  const refundOld = escrowContext(jb, s.chain.network, 0)
  const oldRefundTxid = jb.releases![0].sigs.find(x => x.kind === 'refund')!.txid
  await rawOp(s, s.client, { type: OP.ESCROW_PAID, jobId: b, kind: 'refund', txid: oldRefundTxid })
  t.is((await latest(s, b)).claims.length, 0, `a refund claim naming the old stage's refund (of ${refundOld.escrow.txid.slice(0, 8)}…) is refused`)

  // job d: the client released, the printer has not completed it: no cancel, ship or dispute is taken meanwhile (the
  // printer holds a release it can put out at any moment); then the printer's engine completes it
  const d = await postParts(s)
  await fund(s, d)
  await drive(s.chain, [s.printer.engine], async () => confirmed([s.indexer], d, signedAhead))
  await s.client.engine.releaseMilestone(d)
  t.ok(await eventually(async () => await confirmed([s.indexer], d, j => sigOf(j.escrow!, 'release', 'client') !== undefined), WAIT), 'the client\'s release is in, pending')
  await rawSig(s, s.printer, await latest(s, d), 'cancel', 'printer')
  await rawSig(s, s.client, await latest(s, d), 'cancel', 'client')
  await rawShip(s, await latest(s, d))
  await rawOp(s, s.client, { type: OP.JOB_DISPUTE, jobId: d, reason: 'changed my mind' })
  const pending = await latest(s, d)
  t.is(pending.status, 'active', 'while the release is pending a ship and a dispute are refused')
  t.is(pending.escrow!.sigs.filter(z => z.kind === 'cancel').length, 0, 'and cancel signatures from either side')
  await drive(s.chain, [s.printer.engine, s.client.engine], async () => confirmed([s.indexer], d, j => stageOf(j) === 1))
  t.is(stageOf(await latest(s, d)), 1, 'the printer\'s engine completed the release: the next stage')


  await ship(s, c)
  await rawSig(s, s.client, await latest(s, c), 'next-refund', 'client')
  await rawSig(s, s.client, await latest(s, c), 'release', 'client')
  t.is(stageOf(await latest(s, c)), 0, 'a shipped job takes no release')
  t.absent(sigOf((await latest(s, c)).escrow!, 'next-refund', 'client'), 'nor a next refund')
  t.is(applyFaults.count - faults, 0, 'no handler threw')
})

// 10 000 fresh keys replay every signature the job's record holds (the parties' next refunds and the client's
// release), each through the reducer on a copy of the job at this market time: none is taken, the record is unchanged.
async function freshKeys (t: Check, s: EscrowSetup, job: JobRecord): Promise<void> {
  const bee = await openBee(t)
  const b = bee.batch()
  await putSettings(b, await getSettings(s.indexer.view))
  await putClock(b, await getClock(s.indexer.view))
  await putJob(b, null, job)
  await b.flush()
  const sigs = job.escrow!.sigs.filter(x => x.kind === 'release' || x.kind === 'next-refund')
  let taken = 0
  const started = Date.now()
  for (let i = 0; i < 10_000; i++) {
    const key = Buffer.alloc(32)
    key.writeUInt32BE(i + 1, 0)
    const sig = sigs[i % sigs.length]
    const bt = bee.batch()
    if (await applyOp(bt, decodeOp(encodeOp({ type: OP.ESCROW_SIGN, jobId: job.id, kind: sig.kind, psbt: sig.psbt }, Date.now())), key, i + 1)) taken++
    await bt.flush()
  }
  t.comment(`10 000 replays by fresh keys applied in ${Date.now() - started} ms`)
  t.is(taken, 0, `none of 10 000 fresh keys replaying the ${sigs.map(x => `${x.role}'s ${x.kind}`).join(', ')} is taken`)
  t.alike(c.encode(jobRecord, (await getJob(bee, job.id))!), c.encode(jobRecord, job), 'the job\'s record is byte for byte what it was')
  // control: on the same copy the printer's own completing signature is taken
  const ctx = escrowContext(job, s.chain.network)
  const psbt = buildFor(ctx, 'release', s.chain.network)
  s.printer.wallet.signEscrow(psbt, ctx.id, 'printer')
  const bt = bee.batch()
  t.ok(await applyOp(bt, decodeOp(encodeOp({ type: OP.ESCROW_SIGN, jobId: job.id, kind: 'release', psbt: psbt.toBuffer() }, Date.now())), job.printer!, 10_001), 'control: the printer\'s own release is taken on that copy')
  await bt.flush()
}

// The printer's engine stepped (nothing mined) until one of its reports matches `until` (failing after `ms`), or, with
// no `until`, for `ms`; its reports.
async function stepPrinter (s: EscrowSetup, o: { until?: (r: StepReport) => boolean, ms?: number }): Promise<StepReport[]> {
  const out: StepReport[] = []
  const deadline = Date.now() + (o.ms ?? WAIT)
  while (o.until === undefined || !out.some(o.until)) {
    if (Date.now() > deadline) {
      if (o.until === undefined) break
      throw new Error('the printer\'s engine did not report the step')
    }
    await s.printer.market.update()
    out.push(...await s.printer.engine.step())
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  return out
}

const signedAhead = (j: JobRecord): boolean => sigOf(j.escrow!, 'next-refund', 'printer') !== undefined

// A market with two funded jobs in three parts (PARTS), the printer's next refunds in; `coins` of the client's (and
// one fewer of the printer's) for the jobs a test adds.
async function twoFunded (t: Check, coins: number): Promise<{ s: EscrowSetup, faults: number, jobs: Uint8Array[] }> {
  const s = await escrowSetup(t, { mediator: false, clientCoins: Array(coins).fill(400_000n), printerCoins: Array(coins - 1).fill(60_000n) })
  const faults = applyFaults.count
  const jobs = [await postParts(s), await postParts(s)]
  for (const id of jobs) await fund(s, id)
  await drive(s.chain, [s.printer.engine], async () => (await confirmed([s.indexer], jobs[0], signedAhead)) && (await confirmed([s.indexer], jobs[1], signedAhead)))
  return { s, faults, jobs }
}

const clientRelease = (j: JobRecord): boolean => sigOf(j.escrow!, 'release', 'client') !== undefined

test('hostile milestones: the client\'s ask holds the job (no ship, dispute or refund claim can get ahead of the release); an ask and a release lapse with the hold, three asks at most; a printer that never completes stops nobody after it; no release close to the lock height', T, async (t: Check) => {
  const { s, faults, jobs: [e, f] } = await twoFunded(t, 4)

  // e: the client asks; the printer's ship and dispute ordered after the ask are refused, so the client's release
  // cannot be refused by them while its signature is out (the printer would hold a release apply never took)
  await rawSig(s, s.client, await latest(s, e), 'next-refund', 'client')
  const asked = await latest(s, e)
  t.ok((asked.releaseAskedAt ?? 0) > 0, 'the ask records the market time it was taken at')
  await rawShip(s, asked)
  await rawOp(s, s.printer, { type: OP.JOB_DISPUTE, jobId: e, reason: 'get ahead of the release' })
  t.is((await latest(s, e)).status, 'active', 'after the client\'s ask the printer\'s ship and dispute are refused')
  await rawSig(s, s.client, asked, 'release', 'client')
  t.ok(clientRelease(await latest(s, e)), 'the client\'s release is taken inside the hold')
  const ask = summarizeEscrow(await latest(s, e), s.chain.network)?.releaseAsk
  t.alike([ask?.milestone, ask?.clientSigned, ask?.asks, Date.parse(ask?.heldUntil ?? '') - asked.releaseAskedAt!], [1, true, 1, RELEASE_HOLD_MS], '`escrow ID` shows the ask: milestone 1, signed by the client, held for 30 minutes')
  await freshKeys(t, s, await latest(s, e))
  // the client's refund claim would close releases and leave the printer unable to complete: refused while held
  const refund = pairOf((await latest(s, e)).escrow!, 'refund')!
  await rawOp(s, s.client, { type: OP.ESCROW_PAID, jobId: e, kind: 'refund', txid: refund[0].txid })
  t.is((await latest(s, e)).claims.length, 0, 'a refund claim while the release is held is refused')
  await drive(s.chain, [s.printer.engine, s.client.engine], async () => confirmed([s.indexer], e, j => stageOf(j) === 1))
  t.is(stageOf(await latest(s, e)), 1, 'the printer\'s engine completed the release: the next stage')
  t.is((await latest(s, e)).releaseAskedAt, 0, 'the next stage starts with no ask')

  // f: the client asks and goes away; past the hold its release is refused; it may ask again
  await rawSig(s, s.client, await latest(s, f), 'next-refund', 'client')
  const first = await latest(s, f)
  await marketTimeTo(s, first.releaseAskedAt! + RELEASE_HOLD_MS)
  await rawSig(s, s.client, first, 'release', 'client')
  t.absent(sigOf((await latest(s, f)).escrow!, 'release', 'client'), 'a release after its ask\'s hold is refused')
  await rawSig(s, s.client, await latest(s, f), 'next-refund', 'client')
  const again = await latest(s, f)
  t.ok(again.releaseAskedAt! > first.releaseAskedAt!, 'a new ask after the hold is taken, with its own time')
  t.is(again.escrow!.sigs.filter(x => x.kind === 'next-refund' && x.role === 'client').length, 1, 'in place of the old one')
  await rawSig(s, s.client, again, 'next-refund', 'client')
  t.is((await latest(s, f)).releaseAskedAt, again.releaseAskedAt, 'an ask inside the hold is not taken again')
  // a third ask is the last: a client cannot hold the printer's ship for ever by asking again and again
  await marketTimeTo(s, again.releaseAskedAt! + RELEASE_HOLD_MS)
  await rawSig(s, s.client, again, 'next-refund', 'client')
  const third = await latest(s, f)
  t.is(third.releaseAsks, RELEASE_ASKS, `the ${RELEASE_ASKS}rd ask is taken`)
  await marketTimeTo(s, third.releaseAskedAt! + RELEASE_HOLD_MS)
  await rawSig(s, s.client, third, 'next-refund', 'client')
  t.is((await latest(s, f)).releaseAskedAt, third.releaseAskedAt, 'a 4th ask is refused')
  t.ok(await s.client.engine.releaseMilestone(f).then(() => false, (err: Error) => /3 times/.test(err.message)), 'and the client\'s command says so')
  // (the job goes on from the 3rd ask's state: its release, late, is refused; a fresh job shows the printer's side)
  await rawSig(s, s.client, third, 'release', 'client')
  t.absent(sigOf((await latest(s, f)).escrow!, 'release', 'client'), 'the release after the last hold is refused')
  const g = await postParts(s)
  await fund(s, g)
  await drive(s.chain, [s.printer.engine], async () => confirmed([s.indexer], g, signedAhead))
  await rawSig(s, s.client, await latest(s, g), 'next-refund', 'client')
  const gAsked = await latest(s, g)
  await rawSig(s, s.client, gAsked, 'release', 'client')
  t.ok(clientRelease(await latest(s, g)), 'g: the release inside the hold is taken')
  // the printer never completes it: past the hold the client's dispute is taken, the printer's late completion not
  await marketTimeTo(s, gAsked.releaseAskedAt! + RELEASE_HOLD_MS)
  await rawOp(s, s.client, { type: OP.JOB_DISPUTE, jobId: g, reason: 'the printer went quiet' })
  t.is((await latest(s, g)).status, 'disputed', 'past the hold a printer that never completed the release stops no dispute')
  await rawSig(s, s.printer, await latest(s, g), 'release', 'printer')
  t.is(stageOf(await latest(s, g)), 0, 'the printer\'s own completion after the dispute is refused (only the client\'s relay of a release seen on chain moves the record now: test/hostile-release-late.test.ts)')

  // e, stage 1: close to the refund's lock height neither the client's command nor the printer's engine releases
  const lock = escrowContext(await latest(s, e), s.chain.network).client.lockHeight
  const tip = await s.chain.backend.call<number>('getblockcount', [])
  if (lock - RELEASE_MARGIN_BLOCKS > tip) await s.chain.mine(lock - RELEASE_MARGIN_BLOCKS - tip)
  t.ok(await s.client.engine.releaseMilestone(e).then(() => false, (err: Error) => /too close/.test(err.message)), `at block ${lock - RELEASE_MARGIN_BLOCKS}, ${RELEASE_MARGIN_BLOCKS} before the lock height, the client's command refuses to release`)
  t.is(applyFaults.count - faults, 0, 'no handler threw')
})

test('hostile milestones: a signature apply refused is not left as the client\'s option: the printer\'s engine completes a release only early in the hold and puts it out at once; a printer whose cancel an ask pushed out does not ship', T, async (t: Check) => {
  const { s, faults, jobs: [h, k] } = await twoFunded(t, 3)

  // h: the client asks and releases; the printer's engine, stepped only once less than 5 minutes of the hold are
  // left, signs nothing (a completion ordered after the hold could be refused and stay readable in its log)
  await rawSig(s, s.client, await latest(s, h), 'next-refund', 'client')
  const asked = await latest(s, h)
  await rawSig(s, s.client, asked, 'release', 'client')
  await marketTimeTo(s, asked.releaseAskedAt! + RELEASE_HOLD_MS - RELEASE_SIGN_MARGIN_MS)
  const late = await stepPrinter(s, { ms: 5000 })
  t.absent(late.some(r => r.kind === 'release'), 'with less than 5 minutes of the hold left the printer\'s engine does not complete the release')
  t.absent(sigOf((await latest(s, h)).escrow!, 'release', 'printer'), 'nor is any completion in the record')

  // k: asked and released early in a fresh hold: the printer's engine completes it and puts it out in the same step
  await rawSig(s, s.client, await latest(s, k), 'next-refund', 'client')
  await rawSig(s, s.client, await latest(s, k), 'release', 'client')
  const steps = await stepPrinter(s, { until: r => r.action === 'sign' && r.kind === 'release' })
  const put = steps.find(r => r.action === 'broadcast' && r.kind === 'release')
  t.ok(put !== undefined && steps.some(r => r.action === 'sign' && r.kind === 'release' && r.txid === put.txid), 'the printer\'s engine signs the release and broadcasts it in the same step')
  t.ok((await s.chain.backend.txStatus(put!.txid!)).found, 'the release is on the node before any indexer confirmed the printer\'s signature')
  await drive(s.chain, [s.printer.engine, s.client.engine], async () => confirmed([s.indexer], k, j => stageOf(j) === 1))
  t.is(stageOf(await latest(s, k)), 1, 'and the record moves on to the next stage')

  // k, stage 1: the client's ask is ordered ahead of the printer's cancel, which apply refuses; the signature is in
  // the printer's log all the same, so its engine refuses to ship (with it the client could pay itself back later)
  await drive(s.chain, [s.printer.engine], async () => confirmed([s.indexer], k, signedAhead))
  await rawSig(s, s.client, await latest(s, k), 'next-refund', 'client')
  await rawSig(s, s.printer, await latest(s, k), 'cancel', 'printer')
  t.absent(sigOf((await latest(s, k)).escrow!, 'cancel', 'printer'), 'the printer\'s cancel during the hold is refused')
  await marketTimeTo(s, (await latest(s, k)).releaseAskedAt! + RELEASE_HOLD_MS)
  await s.printer.market.update()
  t.ok(await s.printer.engine.prepareShip(k).then(() => false, (err: Error) => /did not take/.test(err.message)), 'after the hold the printer\'s ship is refused: it signed a cancel the market did not take')
  t.is(applyFaults.count - faults, 0, 'no handler threw')
})

test('hostile milestones: a printer offline through the hold: the client asks again and the printer\'s engine completes its release in the new hold; a printer\'s own release that apply refused is put out before any ship, and the client\'s engine moves the record on from the chain', T, async (t: Check) => {
  const { s, faults, jobs: [h, m] } = await twoFunded(t, 3)
  for (const id of [h, m]) {
    await rawSig(s, s.client, await latest(s, id), 'next-refund', 'client')
    await rawSig(s, s.client, await latest(s, id), 'release', 'client')
  }
  await marketTimeTo(s, Math.max((await latest(s, h)).releaseAskedAt!, (await latest(s, m)).releaseAskedAt!) + RELEASE_HOLD_MS)

  // h: the client's `job release` asks again (its release is in the record already) and the printer's engine, back,
  // completes it in the new hold
  const again = await s.client.engine.releaseMilestone(h)
  t.is(again.milestone, 1, 'the client\'s command asks again for milestone 1')
  const held = await latest(s, h)
  t.alike([held.releaseAsks, clientRelease(held)], [2, true], 'a second ask, with the client\'s release kept')
  await stepPrinter(s, { until: r => r.action === 'sign' && r.kind === 'release' })
  await drive(s.chain, [s.printer.engine, s.client.engine], async () => confirmed([s.indexer], h, j => stageOf(j) === 1))
  t.is(stageOf(await latest(s, h)), 1, 'the printer\'s engine completed it: the next stage')

  // m: past the hold the client's cancel is taken; a printer's completion ordered after it is refused (only a relay
  // of a release seen on chain moves the record past another payout's signature), but it is in the printer's log:
  // its engine puts the release out and refuses to ship; the client's engine then reads the printer's signature from
  // the chain into the record, which moves to the next stage and drops the cancel the release made void
  await rawSig(s, s.client, await latest(s, m), 'cancel', 'client')
  const oldCancel = sigOf((await latest(s, m)).escrow!, 'cancel', 'client')
  t.ok(oldCancel !== undefined, 'past the hold the client\'s cancel is taken')
  await rawSig(s, s.printer, await latest(s, m), 'release', 'printer')
  t.is(stageOf(await latest(s, m)), 0, 'the printer\'s own completion ordered after it is refused')
  await s.printer.market.update()
  t.ok(await s.printer.engine.prepareShip(m).then(() => false, (err: Error) => /did not take/.test(err.message) && /put out now/.test(err.message)), 'the printer\'s ship is refused, and its release was put out')
  const ctx = escrowContext(await latest(s, m), s.chain.network)
  t.ok((await s.chain.backend.outspend(ctx.escrow.txid, ctx.escrow.vout)) !== null, 'the escrow output is spent by the release: the client has no release left to use')
  await drive(s.chain, [s.client.engine], async () => confirmed([s.indexer], m, j => stageOf(j) === 1))
  const mm = await latest(s, m)
  t.alike([stageOf(mm), mm.status], [1, 'active'], 'the client\'s engine relayed the release from the chain: the next stage')
  const now = sigOf(mm.escrow!, 'cancel', 'client')
  t.ok(now === undefined ? mm.cancelVoided === 1 : !b4a.equals(now.txid, oldCancel!.txid), 'the client\'s cancel of the old stage is dropped: it stands as a mark, or the client\'s engine has already signed it again on the next stage')
  t.ok(mm.history.some(x => /cancel signatures are void/.test(x.note)), 'the job\'s history says the cancel is void')
  await drive(s.chain, [s.client.engine], async () => confirmed([s.indexer], m, j => sigOf(j.escrow!, 'cancel', 'client') !== undefined))
  const resigned = sigOf((await latest(s, m)).escrow!, 'cancel', 'client')
  t.ok(resigned !== undefined && !b4a.equals(resigned.txid, oldCancel!.txid) && (await latest(s, m)).cancelVoided === 0, 'the client\'s engine signed its cancel again on the next stage\'s output; the mark is gone')
  t.is(applyFaults.count - faults, 0, 'no handler threw')
})
