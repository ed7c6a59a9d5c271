// The vanish matrix, rows in mediation and in arbitration (the accepted, funded and shipped rows are in
// vanish-matrix-a.test.ts): the job is disputed, one party (or everyone) vanishes — its engine never runs again and it
// writes nothing — and the honest parties' money still ends up paid on chain, to the satoshi minus the payout's miner
// fee (test/vanish.ts).
//   in mediation × client       the mediator proposes, the client never answers, the printer's engine escalates after
//                               48 h, the arbitrator rules 30 %, the printer's engine (the loser's) countersigns
//   in mediation × printer      the mediator proposes, the printer never answers, the client's engine escalates, the
//                               arbitrator rules 10 %, the client's engine countersigns
//   in mediation × mediator     it never proposes, an engine escalates after 72 h, the arbitrator rules 100 %
//   in mediation × arbitrator   both accept the proposal: the split is paid, the mediator gets its fee
//   in mediation × everyone     a proposal nobody answers; the client comes back alone after the lock height and
//                               refunds both
//   in arbitration × client     (after the client rejected) the arbitrator rules 70 %, the printer's engine countersigns
//   in arbitration × printer    (no mediator in the market) the arbitrator rules 0 %, the client's engine countersigns
//   in arbitration × mediator   (after the printer rejected) the arbitrator rules 40 %; the mediator is paid nothing
//   in arbitration × arbitrator client and printer cancel by agreement
//   in arbitration × everyone   the printer comes back alone after the lock height and refunds both
import test from 'brittle'
import { paidTo } from './escrow-helpers.js'
import { escrowSetup, post, fund, dispute } from './escrow-setup.js'
import { vanish, latest, propose, reject, escalate, rule, payOut, closedAs, assertPaid, refundedBy, did, ANSWER_MISSED, PROPOSE_MISSED } from './vanish.js'
import { getMediators } from '../lib/disputes/apply.js'

const T = { timeout: 180_000 }

test('vanish: in mediation × client — the mediator proposes, the client never answers, the printer\'s engine escalates after 48 h, the arbitrator rules 30 %, the printer\'s engine countersigns', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  await dispute(s, id, 'client')
  vanish(s, 'client')
  await propose(s, id, 60)
  t.absent(did(await s.printer.engine.step(), 'escalate'), 'no escalation before the answer deadline')
  t.ok(did(await escalate(s, id, [s.printer.engine], ANSWER_MISSED), 'escalate'), 'the printer\'s engine escalated after 48 h')
  t.is((await latest(s, id)).dispute?.escalation, 'no-answer', 'escalated: the proposal was not answered in time')
  await rule(s, id, 30)
  const reports = await payOut(s, id, [s.printer.engine])
  t.ok(did(reports, 'broadcast', 'ruling'), 'the printer\'s engine countersigned and broadcast a ruling it lost')
  await assertPaid(t, s, id, { kind: 'ruling', printerPct: 30 })
  await closedAs(s, id, [s.printer.engine], 'ruling')
  t.is((await latest(s, id)).status, 'cancelled', 'the printer got < 50 %: cancelled')
})

test('vanish: in mediation × printer — the mediator proposes, the printer never answers, the client\'s engine escalates after 48 h, the arbitrator rules 10 %, the client\'s engine countersigns', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  await dispute(s, id, 'printer')
  vanish(s, 'printer')
  await propose(s, id, 40)
  t.ok(did(await escalate(s, id, [s.client.engine], ANSWER_MISSED), 'escalate'), 'the client\'s engine escalated after 48 h')
  await rule(s, id, 10)
  const reports = await payOut(s, id, [s.client.engine])
  t.ok(did(reports, 'broadcast', 'ruling'), 'the client\'s engine countersigned and broadcast the ruling')
  await assertPaid(t, s, id, { kind: 'ruling', printerPct: 10 })
  await closedAs(s, id, [s.client.engine], 'ruling')
  t.is((await latest(s, id)).status, 'cancelled', 'the printer got < 50 %: cancelled')
})

test('vanish: in mediation × mediator — it never proposes, an engine escalates after 72 h, the arbitrator rules 100 %', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  await dispute(s, id, 'client')
  vanish(s, 'mediator')
  t.absent(did(await s.client.engine.step(), 'escalate'), 'no escalation before the proposal deadline')
  t.ok(did(await escalate(s, id, [s.client.engine, s.printer.engine], PROPOSE_MISSED), 'escalate'), 'an engine escalated after 72 h')
  t.is((await latest(s, id)).dispute?.escalation, 'missed-proposal', 'escalated: the mediator missed its deadline')
  await rule(s, id, 100)
  await payOut(s, id, [s.client.engine, s.printer.engine])
  await assertPaid(t, s, id, { kind: 'ruling', printerPct: 100 })
  await closedAs(s, id, [s.client.engine, s.printer.engine], 'ruling')
  t.is((await latest(s, id)).status, 'completed', 'the printer got ≥ 50 %: completed')
  t.is((await getMediators(s.indexer.view))[0].missed, 1, 'the missed deadline is on the mediator\'s record')
})

test('vanish: in mediation × arbitrator — the mediator proposes, both accept, the split is paid with the mediator\'s fee', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  await dispute(s, id, 'client')
  vanish(s, 'arbitrator')
  await propose(s, id, 60)
  await s.client.engine.acceptProposal(id)
  await s.printer.engine.acceptProposal(id)
  const reports = await payOut(s, id, [s.client.engine, s.printer.engine])
  t.ok(did(reports, 'broadcast', 'split'), 'an engine broadcast the split')
  await assertPaid(t, s, id, { kind: 'split', printerPct: 60 })
  await closedAs(s, id, [s.client.engine, s.printer.engine], 'split')
  t.is((await latest(s, id)).status, 'completed', 'the printer got ≥ 50 %: completed')
})

test('vanish: in mediation × everyone — a proposal nobody answers; the client comes back alone after the lock height and refunds both', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  await dispute(s, id, 'printer')
  await propose(s, id, 50)
  await refundedBy(t, s, id, 'client')
})

test('vanish: in arbitration × client — after the client rejected the proposal, the arbitrator rules 70 %, the printer\'s engine countersigns', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  await dispute(s, id, 'client')
  await propose(s, id, 70)
  await reject(s, id, 'client')
  vanish(s, 'client')
  await rule(s, id, 70)
  const reports = await payOut(s, id, [s.printer.engine])
  t.ok(did(reports, 'broadcast', 'ruling'), 'the printer\'s engine countersigned and broadcast the ruling')
  await assertPaid(t, s, id, { kind: 'ruling', printerPct: 70 })
  await closedAs(s, id, [s.printer.engine], 'ruling')
  t.is((await latest(s, id)).status, 'completed', 'the printer got ≥ 50 %: completed')
})

test('vanish: in arbitration × printer — a market without a mediator: the arbitrator rules 0 %, the client\'s engine countersigns', T, async (t) => {
  const s = await escrowSetup(t, { mediator: false })
  const id = await post(s)
  await fund(s, id)
  const job = await dispute(s, id, 'printer')
  t.is(job.dispute?.stage, 'arbitration', 'no mediator: straight to the arbitrator')
  vanish(s, 'printer')
  await rule(s, id, 0)
  const reports = await payOut(s, id, [s.client.engine])
  t.ok(did(reports, 'broadcast', 'ruling'), 'the client\'s engine countersigned and broadcast the ruling')
  await assertPaid(t, s, id, { kind: 'ruling', printerPct: 0 })
  await closedAs(s, id, [s.client.engine], 'ruling')
  t.is((await latest(s, id)).status, 'cancelled', 'the printer got < 50 %: cancelled')
})

test('vanish: in arbitration × mediator — after the printer rejected the proposal, the arbitrator rules 40 %; the mediator is paid nothing', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  await dispute(s, id, 'client')
  await propose(s, id, 50)
  await reject(s, id, 'printer')
  vanish(s, 'mediator')
  await rule(s, id, 40)
  await payOut(s, id, [s.client.engine, s.printer.engine])
  const tx = await assertPaid(t, s, id, { kind: 'ruling', printerPct: 40 })
  t.is(await paidTo(s.chain, tx, (await latest(s, id)).dispute!.proposal!.feeScript), -1n, 'no mediator fee in a ruling')
})

test('vanish: in arbitration × arbitrator — after the client rejected the proposal, client and printer cancel by agreement', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  await dispute(s, id, 'printer')
  await propose(s, id, 90)
  await reject(s, id, 'client')
  vanish(s, 'arbitrator')
  await s.client.engine.requestCancel(id)
  await s.printer.engine.requestCancel(id)
  const reports = await payOut(s, id, [s.client.engine, s.printer.engine])
  t.ok(did(reports, 'broadcast', 'cancel'), 'an engine broadcast the cancel')
  await assertPaid(t, s, id, { kind: 'cancel' })
  await closedAs(s, id, [s.client.engine, s.printer.engine], 'cancel')
  t.is((await latest(s, id)).status, 'cancelled', 'the job is cancelled')
})

test('vanish: in arbitration × everyone — the printer comes back alone after the lock height and refunds both', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  await dispute(s, id, 'client')
  await propose(s, id, 50)
  await reject(s, id, 'printer')
  await refundedBy(t, s, id, 'printer')
})
