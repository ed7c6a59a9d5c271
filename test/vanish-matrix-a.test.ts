// The vanish matrix, rows accepted, funded and shipped (the dispute rows are in vanish-matrix-b.test.ts): the job is
// in a state, one party (or everyone) vanishes — its engine never runs again and it writes nothing — and the honest
// parties' money still ends up paid on chain, to the satoshi minus the payout's miner fee (test/vanish.ts).
//   accepted × client      the client never proposes; the printer's engine lapses the job; the printer's coins unspent
//   accepted × printer     the printer never signs; the client's engine lapses the job; the client's coins unspent
//   accepted × mediator    funded, shipped, completed without it
//   accepted × arbitrator  funded, shipped, completed without it
//   accepted × everyone    the funding is signed, broadcast and confirmed, then everyone stops; the printer comes back
//                          alone after the lock height and refunds both
//   funded × client        the printer disputes, the client never answers the proposal, the printer's engine
//                          escalates, the arbitrator rules 75 %, the printer's engine countersigns
//   funded × printer       the client disputes and accepts the proposal, the printer never answers, the client's
//                          engine escalates, the arbitrator rules 0 %, the client's engine countersigns
//   funded × mediator      the client disputes, the mediator never proposes, escalation at 72 h, a 50 % ruling
//   funded × arbitrator    a cancel by agreement
//   funded × everyone      the client comes back alone after the lock height and refunds both
//   shipped × client       the printer disputes and accepts a 100 % proposal, the client never answers, escalation,
//                          the arbitrator rules 100 %, the printer's engine countersigns
//   shipped × printer      the client completes; the absent printer is paid
//   shipped × mediator     the client disputes, the mediator never proposes, escalation at 72 h, a 30 % ruling
//   shipped × arbitrator   the client completes
//   shipped × everyone     the printer comes back alone after the lock height and refunds both
import test from 'brittle'
import b4a from 'b4a'
import { drive } from './escrow-helpers.js'
import { escrowSetup, post, accept, fund, ship, dispute, confirmed, type EscrowSetup } from './escrow-setup.js'
import { vanish, reach, latest, propose, escalate, rule, activate, mineTo, payOut, closedAs, assertPaid, refundedBy, did, EVERYONE, ANSWER_MISSED, PROPOSE_MISSED, shows, type Name, type Check } from './vanish.js'
import { escrowContext } from '../lib/escrow/context.js'
import type { EscrowCoin } from '../lib/schema.js'

const T = { timeout: 180_000 }

async function unspent (s: EscrowSetup, coins: EscrowCoin[]): Promise<boolean> {
  for (const c of coins) if (await s.chain.backend.outspend(b4a.toString(c.txid, 'hex'), c.vout) !== null) return false
  return true
}

// Accepted, then `who` vanishes; the others fund, ship and complete.
async function completesWithout (t: Check, who: Name): Promise<void> {
  const s = await escrowSetup(t)
  const id = await post(s)
  await accept(s, id)
  vanish(s, who)
  await activate(s, id)
  await ship(s, id)
  await s.client.engine.complete(id)
  await payOut(s, id, [s.client.engine, s.printer.engine])
  await assertPaid(t, s, id, { kind: 'complete' })
  t.ok(await shows(s, id, j => j.status === 'completed' && j.escrow?.closed?.kind === 'complete'), 'the job is completed')
}

test('vanish: accepted × client — it never proposes; after the funding timeout the printer\'s engine lapses the job, the printer\'s coins untouched', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  const before = await s.printer.wallet.balance(s.chain.backend)
  await accept(s, id)
  vanish(s, 'client')
  await reach([s.indexer, s.printer.market], id, j => j.status === 'accepted', 'accepted')
  const coins = (await latest(s, id)).escrow!.printer.inputs
  t.is((await s.printer.engine.step()).length, 0, 'nothing due before the funding timeout')
  s.clock.skew = s.settings.fundingTimeoutSecs * 1000 + 1000
  const reports = await drive(s.chain, [s.printer.engine], async () => confirmed([s.indexer, s.printer.market], id, j => j.status === 'open'))
  t.ok(did(reports, 'lapse'), 'the printer\'s engine lapsed the job')
  const job = await latest(s, id)
  t.is(job.printer, null, 'open again, without a printer')
  t.is(job.escrow ?? null, null, 'and without an escrow')
  t.is(job.leavers.length, 0, 'the printer did not stall: it may accept again')
  t.ok(await unspent(s, coins), 'the printer\'s coins are unspent')
  t.alike(await s.printer.wallet.balance(s.chain.backend), before, 'the printer\'s balance is unchanged')
})

test('vanish: accepted × printer — it never signs the refund; after the funding timeout the client\'s engine lapses the job, the client\'s coins untouched', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  const before = await s.client.wallet.balance(s.chain.backend)
  await accept(s, id)
  vanish(s, 'printer')
  const reports = await drive(s.chain, [s.client.engine], async () => confirmed([s.indexer], id, j => j.escrow?.client != null), undefined, false)
  t.ok(did(reports, 'propose'), 'the client\'s engine proposed the escrow')
  const coins = (await latest(s, id)).escrow!.client!.inputs
  t.is((await s.client.engine.step()).length, 0, 'then waits for the printer\'s refund signature')
  s.clock.skew = s.settings.fundingTimeoutSecs * 1000 + 1000
  const later = await drive(s.chain, [s.client.engine], async () => confirmed([s.indexer, s.client.market], id, j => j.status === 'open'))
  t.ok(did(later, 'lapse'), 'the client\'s engine lapsed the job')
  const job = await latest(s, id)
  t.is(job.printer, null, 'open again, without a printer')
  t.ok(job.leavers.some(k => b4a.equals(k, s.printer.market.writerKey)), 'the printer stalled: it may not accept this job again')
  t.ok(await unspent(s, coins), 'the client\'s coins are unspent')
  t.alike(await s.client.wallet.balance(s.chain.backend), before, 'the client\'s balance is unchanged')
})

test('vanish: accepted × mediator — nobody needs it before a dispute: funded, shipped, completed', T, async (t) => {
  await completesWithout(t, 'mediator')
})

test('vanish: accepted × arbitrator — nobody needs it before a dispute: funded, shipped, completed', T, async (t) => {
  await completesWithout(t, 'arbitrator')
})

test('vanish: accepted × everyone — the funding confirmed but was never recorded; the printer comes back alone after the lock height and refunds both', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await accept(s, id)
  // stop as soon as the funding is confirmed: nobody has written escrow/funded
  await drive(s.chain, [s.client.engine, s.printer.engine], async () => {
    const v = await confirmed([s.indexer], id, j => j.escrow?.client != null) ? await latest(s, id) : null
    return v !== null && (await s.chain.backend.txStatus(escrowContext(v, s.chain.network).fundingTxid)).confirmed
  })
  const back = vanish(s, ...EVERYONE)
  const job = await latest(s, id)
  t.is(job.status, 'accepted', 'the job is still accepted in the view')
  t.is(job.escrow!.fundingTxid, null, 'no funding recorded')
  s.clock.skew = s.settings.fundingTimeoutSecs * 1000 + 1000 // past the funding timeout too
  await mineTo(s, job.escrow!.client!.lockHeight)
  const printer = back('printer')
  const reports = await payOut(s, id, [printer.engine])
  t.absent(did(reports, 'lapse'), 'no lapse of an escrow whose funding is on chain')
  t.ok(did(reports, 'broadcast', 'refund'), 'the printer\'s engine broadcast the refund')
  await assertPaid(t, s, id, { kind: 'refund' })
  await drive(s.chain, [printer.engine], async () => confirmed([s.indexer], id, j => j.claims.some(c => c.kind === 'refund' && c.role === 'printer')))
  t.is((await latest(s, id)).status, 'accepted', 'the funding was signed by both: one refund claim is recorded, the job stays accepted in the view')
})

test('vanish: funded × client — the printer disputes, the client never answers the proposal, the printer\'s engine escalates, the arbitrator rules 75 %, the printer\'s engine countersigns', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  vanish(s, 'client')
  await dispute(s, id, 'printer')
  await propose(s, id, 80)
  t.absent(did(await s.printer.engine.step(), 'escalate'), 'no escalation before the answer deadline')
  t.ok(did(await escalate(s, id, [s.printer.engine], ANSWER_MISSED), 'escalate'), 'the printer\'s engine escalated after 48 h')
  t.is((await latest(s, id)).dispute?.escalation, 'no-answer', 'escalated: the proposal was not answered in time')
  await rule(s, id, 75)
  const reports = await payOut(s, id, [s.printer.engine])
  t.ok(did(reports, 'broadcast', 'ruling'), 'the printer\'s engine countersigned and broadcast the ruling')
  await assertPaid(t, s, id, { kind: 'ruling', printerPct: 75 })
  await closedAs(s, id, [s.printer.engine], 'ruling')
  t.is((await latest(s, id)).status, 'completed', 'the printer got ≥ 50 %: completed')
})

test('vanish: funded × printer — the client disputes and accepts the proposal, the printer never answers, the client\'s engine escalates, the arbitrator rules 0 %, the client\'s engine countersigns', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  vanish(s, 'printer')
  await dispute(s, id, 'client')
  await propose(s, id, 20)
  await s.client.engine.acceptProposal(id)
  await reach([s.indexer], id, j => j.dispute?.acceptedClient === true, 'the client\'s accept')
  t.ok(did(await escalate(s, id, [s.client.engine], ANSWER_MISSED), 'escalate'), 'the client\'s engine escalated after 48 h')
  await rule(s, id, 0)
  const reports = await payOut(s, id, [s.client.engine])
  t.ok(did(reports, 'broadcast', 'ruling'), 'the client\'s engine countersigned and broadcast the ruling, not the split it accepted')
  await assertPaid(t, s, id, { kind: 'ruling', printerPct: 0 })
  await closedAs(s, id, [s.client.engine], 'ruling')
  t.is((await latest(s, id)).status, 'cancelled', 'the printer got < 50 %: cancelled')
})

test('vanish: funded × mediator — the client disputes, the mediator never proposes, an engine escalates after 72 h, the arbitrator rules 50 %', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  vanish(s, 'mediator')
  await dispute(s, id, 'client')
  t.ok(did(await escalate(s, id, [s.client.engine, s.printer.engine], PROPOSE_MISSED), 'escalate'), 'an engine escalated after 72 h')
  t.is((await latest(s, id)).dispute?.escalation, 'missed-proposal', 'escalated: the mediator missed its deadline')
  await rule(s, id, 50)
  await payOut(s, id, [s.client.engine, s.printer.engine])
  await assertPaid(t, s, id, { kind: 'ruling', printerPct: 50 })
})

test('vanish: funded × arbitrator — client and printer cancel by agreement, paid without it', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  vanish(s, 'arbitrator')
  await s.client.engine.requestCancel(id)
  await s.printer.engine.requestCancel(id)
  const reports = await payOut(s, id, [s.client.engine, s.printer.engine])
  t.ok(did(reports, 'broadcast', 'cancel'), 'an engine broadcast the cancel')
  await assertPaid(t, s, id, { kind: 'cancel' })
  await closedAs(s, id, [s.client.engine, s.printer.engine], 'cancel')
  t.is((await latest(s, id)).status, 'cancelled', 'the job is cancelled')
})

test('vanish: funded × everyone — the client comes back alone after the lock height and refunds both', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  await refundedBy(t, s, id, 'client')
})

test('vanish: shipped × client — the printer disputes and accepts a 100 % proposal, the client never answers, escalation, the arbitrator rules 100 %, the printer\'s engine countersigns', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  await ship(s, id)
  vanish(s, 'client')
  await dispute(s, id, 'printer')
  await propose(s, id, 100)
  await s.printer.engine.acceptProposal(id)
  await reach([s.indexer], id, j => j.dispute?.acceptedPrinter === true, 'the printer\'s accept')
  t.ok(did(await escalate(s, id, [s.printer.engine], ANSWER_MISSED), 'escalate'), 'the printer\'s engine escalated after 48 h')
  await rule(s, id, 100)
  const reports = await payOut(s, id, [s.printer.engine])
  t.ok(did(reports, 'broadcast', 'ruling'), 'the printer\'s engine countersigned and broadcast the ruling')
  await assertPaid(t, s, id, { kind: 'ruling', printerPct: 100 })
  await closedAs(s, id, [s.printer.engine], 'ruling')
  t.is((await latest(s, id)).status, 'completed')
})

test('vanish: shipped × printer — the client completes; the absent printer is paid', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  await ship(s, id)
  vanish(s, 'printer')
  await s.client.engine.complete(id)
  await payOut(s, id, [s.client.engine])
  await assertPaid(t, s, id, { kind: 'complete' })
  t.ok(await shows(s, id, j => j.status === 'completed' && j.escrow?.closed?.kind === 'complete'), 'the job is completed')
})

test('vanish: shipped × mediator — the client disputes, the mediator never proposes, an engine escalates after 72 h, the arbitrator rules 30 %', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  await ship(s, id)
  vanish(s, 'mediator')
  await dispute(s, id, 'client')
  t.ok(did(await escalate(s, id, [s.client.engine, s.printer.engine], PROPOSE_MISSED), 'escalate'), 'an engine escalated after 72 h')
  await rule(s, id, 30)
  await payOut(s, id, [s.client.engine, s.printer.engine])
  await assertPaid(t, s, id, { kind: 'ruling', printerPct: 30 })
  await closedAs(s, id, [s.client.engine, s.printer.engine], 'ruling')
  t.is((await latest(s, id)).status, 'cancelled', 'the printer got < 50 %: cancelled')
})

test('vanish: shipped × arbitrator — the client completes, paid without it', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  await ship(s, id)
  vanish(s, 'arbitrator')
  await s.client.engine.complete(id)
  await payOut(s, id, [s.client.engine, s.printer.engine])
  await assertPaid(t, s, id, { kind: 'complete' })
  t.ok(await shows(s, id, j => j.status === 'completed' && j.escrow?.closed?.kind === 'complete'), 'the job is completed')
})

test('vanish: shipped × everyone — the printer comes back alone after the lock height and refunds both', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  await ship(s, id)
  await refundedBy(t, s, id, 'printer')
})
