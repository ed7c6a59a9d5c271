// A printer past its ship-by time (issue 15, "a delivery window", its printer side): a deal made with a lead time
// (an accepted quote) has a ship-by time in market time (lib/escrow/record.ts shipBy: funding timeout + lead time
// + SHIP_GRACE_DAYS from the acceptance). Past it, the client cancels alone: its cancel signature, then the
// arbitrator's engine co-signs in the printer's place, and the escrow pays everyone back. Real regtest node, real
// peers; the printer vanishes (test/vanish.ts), and the hostile cases append raw signatures.
import test from 'brittle'
import { drive, jobOn } from './escrow-helpers.js'
import { escrowSetup, post, confirmed, BOUNTY, type EscrowSetup } from './escrow-setup.js'
import { vanish, reach, latest, payOut, assertPaid, did, shows, forgedArbitratorSig, type Check } from './vanish.js'
import { OP, type JobRecord } from '../lib/schema.js'
import { shipBy, sigOf, SHIP_GRACE_DAYS } from '../lib/escrow/record.js'
import { escrowContext, buildFor } from '../lib/escrow/context.js'
import { marketTime } from '../lib/market/clock.js'
import { renderResult, renderEvent } from '../ui/text.js'
import b4a from 'b4a'

const T = { timeout: 240_000 }
const LEAD_DAYS = 2
const DAY = 86_400_000

// The printer quotes LEAD_DAYS at the bounty, the client offers it, the printer accepts the offer (stating its price
// and the terms' revision).
async function acceptedDeal (s: EscrowSetup): Promise<Uint8Array> {
  const id = await post(s)
  await s.printer.market.append({ type: OP.JOB_QUOTE, jobId: id, priceSats: BOUNTY, leadDays: LEAD_DAYS, material: null, colors: [], note: '' })
  await reach([s.client.market], id, j => j.quotes === 1, 'the quote reached the client')
  await s.client.market.append({ type: OP.JOB_OFFER, jobId: id, printer: s.printer.market.writerKey, priceSats: BOUNTY, leadDays: LEAD_DAYS, material: null, colors: [] })
  await reach([s.printer.market], id, j => j.offer !== null, 'the offer reached the printer')
  const job = (await jobOn(s.printer.market, id))!.job
  const escrow = await s.printer.engine.prepareAccept(id)
  await s.printer.market.append({ type: OP.JOB_ACCEPT, jobId: id, escrow, priceSats: BOUNTY, termsRev: job.rev })
  return id
}

// … and both engines fund it.
async function fundedDeal (s: EscrowSetup): Promise<Uint8Array> {
  const id = await acceptedDeal(s)
  await drive(s.chain, [s.client.engine, s.printer.engine], async () => confirmed([s.client.market, s.printer.market, s.arbitrator.market], id, j => j.status === 'active'))
  return id
}

const forgedArbitratorCancel = async (s: EscrowSetup, job: JobRecord, by = s.arbitrator): Promise<void> => await forgedArbitratorSig(s, job, 'cancel', by)

// Skews every peer's clock past the job's ship-by time (or, with a negative `extra`, to just before it) and waits for
// the indexer's market time to get there.
async function pastShipBy (s: EscrowSetup, job: JobRecord, extra = 60_000): Promise<void> {
  const by = shipBy(job)!
  s.clock.skew = by - Date.now() + extra
  await reach([s.indexer], job.id, () => true, 'the indexer') // the job is there; now the clock
  const deadline = Date.now() + 60_000
  const target = extra >= 0 ? by : by + extra - 60_000
  while (((await marketTime(s.client.market.view)) ?? 0) < target) {
    if (Date.now() > deadline) throw new Error('market time did not pass ship-by')
    await new Promise(resolve => setTimeout(resolve, 200))
    await s.client.market.update()
  }
}

test('late printer: funded with a lead time, the printer vanishes; before ship-by nothing moves, after it the client cancels alone and the arbitrator\'s engine co-signs; everyone paid back', T, async (t: Check) => {
  const s = await escrowSetup(t, { mediator: false })
  const id = await fundedDeal(s)
  const job = await latest(s, id)
  t.is(job.leadDays, LEAD_DAYS, 'the deal carries the quoted lead time')
  const by = shipBy(job)!
  t.is(SHIP_GRACE_DAYS, 3, 'the grace after the lead time is 3 days')
  t.is(by, job.escrow!.acceptedAt + s.settings.fundingTimeoutSecs * 1000 + (LEAD_DAYS + 3) * DAY, 'ship-by = acceptance + funding timeout + lead time + grace, in market time')
  // what `escrow ID` shows the client (the record and the chain, rendered as the command line does)
  const shown = renderResult({ kind: 'escrow', data: { ...(await s.client.engine.describe(job)), id: 'x', status: job.status, confirmed: true, depth: 1, payoutTxid: null } })
  t.ok(shown.includes(`ship by      ${new Date(by).toISOString()}`), '`escrow ID` shows the ship-by time')
  const events = [renderEvent('cancel-signed', { id: 'abcdabcd', txid: 'x', shipBy: new Date(by).toISOString(), late: false }), renderEvent('cancel-signed', { id: 'abcdabcd', txid: 'x', shipBy: new Date(by).toISOString(), late: true })]
  t.ok(/If the printer has not shipped by .* the arbitrator's engine co-signs it instead/.test(String(events[0])) && /past its ship-by time .* co-signs it in the printer's place/.test(String(events[1])), '`job cancel` says what happens before and after ship-by')
  vanish(s, 'printer')

  const early = await s.client.engine.requestCancel(id)
  t.is(early.late, false, 'before ship-by the client\'s cancel waits for the printer')
  await reach([s.arbitrator.market], id, j => sigOf(j.escrow!, 'cancel', 'client') !== undefined, 'the client\'s cancel reached the arbitrator')
  t.is((await s.arbitrator.engine.step()).filter(r => r.action === 'sign').length, 0, 'the arbitrator\'s engine signs nothing before ship-by')
  await forgedArbitratorCancel(s, await latest(s, id))
  await s.arbitrator.market.update()
  t.is(sigOf((await jobOn(s.arbitrator.market, id))!.job.escrow!, 'cancel', 'arbitrator'), undefined, 'an arbitrator\'s cancel signature before ship-by is refused in apply')
  // a minute before ship-by: still nothing
  await pastShipBy(s, job, -60_000)
  t.is((await s.arbitrator.engine.step()).filter(r => r.action === 'sign').length, 0, 'a minute before ship-by the arbitrator\'s engine signs nothing')
  await forgedArbitratorCancel(s, await latest(s, id))
  await s.arbitrator.market.update()
  t.is(sigOf((await jobOn(s.arbitrator.market, id))!.job.escrow!, 'cancel', 'arbitrator'), undefined, 'nor does apply take one written by hand')

  await pastShipBy(s, job)
  const reports = await drive(s.chain, [s.arbitrator.engine, s.client.engine], async () => confirmed([s.indexer], id, j => j.escrow?.closed?.kind === 'cancel'))
  t.ok(reports.some(r => r.action === 'sign' && r.kind === 'cancel' && /ship-by/.test(r.detail ?? '')), 'after ship-by the arbitrator\'s engine co-signed the client\'s cancel')
  t.ok(did(reports, 'broadcast', 'cancel'), 'and the client\'s engine broadcast it')
  await assertPaid(t, s, id, { kind: 'cancel' })
  t.ok(await shows(s, id, j => j.status === 'cancelled'), 'the job is cancelled')
})

test('late printer, hostile: no ship-by without a lead time; a late ship stands only while the client has not cancelled; no ship and no printer\'s dispute once it has; nobody else signs in the printer\'s place', T, async (t: Check) => {
  const s = await escrowSetup(t, { mediator: true, clientCoins: [400_000n, 400_000n, 400_000n, 400_000n], printerCoins: [60_000n, 60_000n, 60_000n, 60_000n] })
  // a plain accept (no quote): no lead time, no ship-by, however late
  const plain = await post(s)
  await s.printer.market.append({ type: OP.JOB_ACCEPT, jobId: plain, escrow: await s.printer.engine.prepareAccept(plain) })
  await drive(s.chain, [s.client.engine, s.printer.engine], async () => confirmed([s.client.market, s.printer.market, s.arbitrator.market], plain, j => j.status === 'active'))
  t.is(shipBy(await latest(s, plain)), null, 'a job accepted as posted has no ship-by time')

  const late = await fundedDeal(s)
  const shipped = await fundedDeal(s)
  const uncancelled = await fundedDeal(s)
  for (const id of [plain, late]) await s.client.engine.requestCancel(id)
  await reach([s.printer.market, s.indexer], late, j => sigOf(j.escrow!, 'cancel', 'client') !== undefined, 'the client\'s cancel')
  await pastShipBy(s, await latest(s, uncancelled)) // the latest of the deals: past its ship-by is past all

  // the printer of `shipped` ships late: its client had not cancelled, so the ship stands
  const { psbt } = await s.printer.engine.prepareShip(shipped)
  await s.printer.market.append({ type: OP.JOB_SHIP, jobId: shipped, note: 'late, but shipped', psbt })
  await reach([s.arbitrator.market, s.indexer], shipped, j => j.status === 'shipped', 'the late ship')
  // the printer of `late` tries the same after its client cancelled: its engine refuses, apply refuses one by hand,
  // and a dispute of the printer's (to keep the money locked) too
  const refused = await s.printer.engine.prepareShip(late).then(() => null, (err: Error) => err)
  t.ok(refused !== null && /ship-by/.test(refused.message), `the printer's engine refuses to ship past ship-by once the client cancelled (${refused?.message})`)
  const ctx = escrowContext(await latest(s, late), s.chain.network)
  const ship = buildFor(ctx, 'complete', s.chain.network)
  s.printer.wallet.signEscrow(ship, ctx.id, 'printer')
  await s.printer.market.append({ type: OP.JOB_SHIP, jobId: late, note: 'too late', psbt: ship.toBuffer() })
  await s.printer.market.append({ type: OP.JOB_DISPUTE, jobId: late, reason: 'let us talk instead' })
  // nor the client's own: its cancel past ship-by is the way out, and the arbitrator's signature may be out
  await s.client.market.append({ type: OP.JOB_DISPUTE, jobId: late, reason: 'changed my mind' })

  // the mediator signs the cancel as if it were the arbitrator: its key is not the arbitrator's, nor its writer
  await forgedArbitratorCancel(s, await latest(s, late), s.mediator)
  for (const id of [plain, shipped, uncancelled]) await forgedArbitratorCancel(s, await latest(s, id))
  const reports = await drive(s.chain, [s.arbitrator.engine, s.client.engine], async () => confirmed([s.indexer], late, j => j.escrow?.closed?.kind === 'cancel'))
  t.is(reports.filter(r => r.action === 'sign' && r.kind === 'cancel').length, 1, 'the arbitrator\'s engine co-signed one cancel: the late printer\'s')
  const view = async (id: Uint8Array): Promise<JobRecord> => (await jobOn(s.client.market, id))!.job
  t.ok(!(await view(late)).history.some(h => h.action === OP.JOB_SHIP || h.action === OP.JOB_DISPUTE), 'the printer\'s ship and either side\'s dispute written after the client\'s cancel past ship-by were refused in apply')
  t.is(sigOf((await view(plain)).escrow!, 'cancel', 'arbitrator'), undefined, 'no arbitrator\'s cancel on a job without a lead time')
  t.is(sigOf((await view(shipped)).escrow!, 'cancel', 'arbitrator'), undefined, 'nor on a job shipped late before the client cancelled')
  t.is(sigOf((await view(uncancelled)).escrow!, 'cancel', 'arbitrator'), undefined, 'nor on one whose client has not signed the cancel')
  t.is((await view(shipped)).status, 'shipped', 'the late ship stands')
  await payOut(s, late, [s.client.engine])
  await assertPaid(t, s, late, { kind: 'cancel' })
  const after = await s.printer.engine.prepareShip(late).then(() => null, (err: Error) => err)
  t.ok(after !== null, `once paid back, the printer's engine still refuses to ship (${after?.message})`)
})

test('late printer: a deal with a lead time is funded at no less than half the printer\'s fee rate (apply refuses less: a slow funding would eat its ship-by time); the client\'s engine proposes that much when its own estimate is lower; a plain deal is not held to it', T, async (t: Check) => {
  const s = await escrowSetup(t, { mediator: false, printerCoins: [60_000n, 60_000n, 60_000n] })
  const backend = s.printer.engine.chain // every engine's, shared
  const feeRate = backend.feeRate.bind(backend)
  t.teardown(() => { backend.feeRate = feeRate })
  backend.feeRate = async () => 20 // the printer accepts while fees are high: it names 20 sat/vB
  const refused = await acceptedDeal(s)
  const lead = await acceptedDeal(s)
  const plain = await post(s)
  await s.printer.market.append({ type: OP.JOB_ACCEPT, jobId: plain, escrow: await s.printer.engine.prepareAccept(plain) })
  await reach([s.client.market], plain, j => j.status === 'accepted', 'the plain accept')
  backend.feeRate = async () => 2 // then the client's node estimates a tenth of it
  // a modified client proposes the first deal at a quarter of the printer's rate
  const append = s.client.market.append.bind(s.client.market)
  s.client.market.append = async (op, o) => await append(op.type === OP.ESCROW_PROPOSE && b4a.equals(op.jobId, refused) ? { ...op, escrow: { ...op.escrow, feeRate: 5 } } : op, o)
  await drive(s.chain, [s.client.engine, s.printer.engine], async () => (await confirmed([s.indexer], lead, j => j.status === 'active')) && await confirmed([s.indexer], plain, j => j.status === 'active'))
  t.is((await latest(s, lead)).escrow!.client!.feeRate, 10, 'the client\'s engine funds the lead-time deal at half the printer\'s 20 sat/vB, not its own estimate of 2')
  t.is((await latest(s, plain)).escrow!.client!.feeRate, 2, 'and the plain deal at its own estimate')
  const first = await latest(s, refused)
  t.ok(first.status === 'accepted' && first.escrow!.client === null, 'a proposal at 5 sat/vB (under half of 20) for a lead-time deal is refused in apply')
})
