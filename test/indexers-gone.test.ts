// Money without any indexer (issue 12): the market's only indexer (test/escrow-setup.ts `s.indexer`, a party to
// nothing) stops for good at each escrow state — its Market is closed, so nothing written afterwards is ever confirmed
// — while the parties' peers stay connected to each other and keep writing ops into their optimistic, unconfirmed
// views. Each party's engine still gets its money home on the regtest chain, to the satoshi (test/vanish.ts
// assertPaid): it broadcasts the refund at the lock height whatever the view says and any fully signed payout it
// holds, and nothing that only returns what each side put in, or what the other side already signed, waits for a
// confirmation.
//   accepted      the client proposes, the printer signs nothing on an unconfirmed proposal: nothing is locked, and
//                 after the funding timeout every coin of both wallets is spendable again
//   accepted      mid-funding: the printer signs its funding inputs after the client's, never confirmed; no engine
//                 puts the funding out from an unconfirmed record; broadcast by hand anyway, it is refunded at the
//                 lock height
//   funded        the client disputes and the mediator proposes (unconfirmed: nobody accepts it first); at the lock
//                 height the refund
//   funded        client and printer cancel by agreement; an engine broadcasts the cancel
//   funded        the printer ships, the client completes
//   shipped       the client completes and goes offline before its broadcast reaches anyone: the printer's engine
//                 broadcasts the payout from its unconfirmed record
//   in mediation  both accept the proposal; an engine broadcasts the split
//   in arbitration (after the client rejected the proposal) the arbitrator rules 70 %; the parties' engines
//                 countersign and broadcast the ruling
import test from 'brittle'
import b4a from 'b4a'
import { eventually, tmpDir } from './helpers.js'
import { jobOn, drive, WAIT } from './escrow-helpers.js'
import { escrowSetup, post, accept, fund, ship, dispute, confirmed, type EscrowSetup, type Party } from './escrow-setup.js'
import { vanish, reach, propose, reject, mineTo, payOut, assertPaid, did, type Check } from './vanish.js'
import { OP, type JobRecord, type EscrowCoin } from '../lib/schema.js'
import { reservedCoins } from '../lib/escrow/reservations.js'
import { escrowContext } from '../lib/escrow/context.js'
import { pairOf } from '../lib/escrow/record.js'
import { combine, finalize } from '../lib/escrow/psbt-sign.js'
import type { Market } from '../lib/market/market.js'
import type { ChainBackend } from '../lib/escrow/chain.js'
import type { StepReport } from '../lib/escrow/engine.js'

const T = { timeout: 180_000 }

// The indexer stops for good. Returns the setup as the parties see it: test/vanish.ts reads the job from `s.indexer`,
// here from the client's own (unconfirmed) view.
async function indexersGone (t: Check, s: EscrowSetup): Promise<EscrowSetup> {
  await s.indexer.close()
  t.ok(s.indexer.closed, 'the market\'s only indexer is gone')
  return { ...s, indexer: s.client.market }
}

// Until every market in `on` holds the job, confirmed or not, with `pred` true of it; throws (naming `what`) if not.
async function seen (on: Market[], id: Uint8Array, pred: (j: JobRecord) => boolean, what: string): Promise<void> {
  const ok = await eventually(async () => {
    for (const m of on) {
      const v = await jobOn(m, id)
      if (v === null || !pred(v.job)) return false
    }
    return true
  }, WAIT, 100)
  if (!ok) throw new Error(`never seen: ${what}`)
}

// What the parties' views say once the money is home: the latest record, on both peers, never confirmed.
async function unconfirmed (t: Check, s: EscrowSetup, id: Uint8Array): Promise<void> {
  for (const name of ['client', 'printer'] as const) {
    const v = await jobOn(s[name].market, id)
    t.is(v?.confirmed, false, `the ${name}'s record of the job is not confirmed (nothing is, without an indexer)`)
  }
}

async function steps (engines: Party['engine'][], n: number): Promise<StepReport[]> {
  const out: StepReport[] = []
  for (let i = 0; i < n; i++) for (const e of engines) out.push(...await e.step())
  return out
}

const outpoint = (c: EscrowCoin): string => `${b4a.toString(c.txid, 'hex')}:${c.vout}`


// Nothing goes out before the lock height; at it an engine broadcasts the refund, paid to the satoshi, while the
// job stays `status` in the view.
async function refundAtLock (t: Check, s: EscrowSetup, v: EscrowSetup, id: Uint8Array, lock: number, status: string): Promise<void> {
  t.absent(did(await steps([s.client.engine, s.printer.engine], 2), 'broadcast'), 'nothing goes out before the lock height')
  await mineTo(s, lock)
  const reports = await payOut(v, id, [s.client.engine, s.printer.engine])
  t.ok(did(reports, 'broadcast', 'refund'), 'an engine broadcast the refund at the lock height')
  await assertPaid(t, v, id, { kind: 'refund' })
  t.is((await jobOn(v.indexer, id))?.job.status, status, `whatever the view says: the job is ${status} in it`)
}

test('indexers gone: accepted — the client proposes, the printer signs nothing on an unconfirmed proposal; nothing is locked, and after the funding timeout every coin is spendable again', T, async (t) => {
  const s = await escrowSetup(t)
  // wallets with a directory: their coin reservations go to reserved.json, which must not hold them for good either
  await s.client.wallet.save(await tmpDir(t))
  await s.printer.wallet.save(await tmpDir(t))
  const id = await post(s)
  const before = { client: await s.client.wallet.balance(s.chain.backend), printer: await s.printer.wallet.balance(s.chain.backend) }
  await accept(s, id)
  await reach([s.indexer, s.client.market, s.printer.market], id, j => j.status === 'accepted', 'accepted')
  const v = await indexersGone(t, s)
  const engines = [s.client.engine, s.printer.engine]
  // the acceptance was confirmed: the client's engine proposes the funding; the proposal is never confirmed
  const proposed = await drive(s.chain, engines, async () => (await jobOn(s.printer.market, id))?.job.escrow?.client != null)
  t.ok(did(proposed, 'propose'), 'the client\'s engine proposed the escrow')
  const later = await steps(engines, 10)
  t.absent(did([...proposed, ...later], 'sign'), 'nobody signs a refund or a funding of an unconfirmed proposal')
  t.absent(did([...proposed, ...later], 'broadcast'), 'nothing is broadcast')
  const job = (await jobOn(s.printer.market, id))!
  t.is(job.confirmed, false, 'the proposal is not confirmed')
  const coins = { client: job.job.escrow!.client!.inputs.map(outpoint), printer: job.job.escrow!.printer.inputs.map(outpoint) }
  for (const name of ['client', 'printer'] as const) {
    const free = new Set((await s[name].engine.spendable()).map(u => `${u.txid}:${u.vout}`))
    t.ok(coins[name].every(c => !free.has(c)), `until the funding timeout the ${name}'s coins stay held for this escrow`)
  }
  // past the funding timeout (plus the hour reservations add): the acceptance stays in the view, unconfirmed, for good
  s.clock.skew = s.settings.fundingTimeoutSecs * 1000 + 3600_000 + 60_000
  t.absent(did(await steps(engines, 3), 'sign'), 'still nothing signed')
  for (const name of ['client', 'printer'] as const) {
    const p = s[name]
    const free = new Set((await p.engine.spendable()).map(u => `${u.txid}:${u.vout}`))
    t.ok(coins[name].length > 0 && coins[name].every(c => free.has(c)), `the ${name}'s escrow coins are spendable again (${coins[name].length})`)
    const held = await reservedCoins(p.wallet.dir, p.engine.now())
    t.ok(coins[name].every(c => !held.has(c)), `reserved.json no longer holds the ${name}'s coins`)
    for (const c of coins[name]) {
      const [txid, vout] = c.split(':')
      t.is(await s.chain.backend.outspend(txid, Number(vout)), null, `the ${name}'s coin ${c.slice(0, 8)}… is unspent`)
    }
    t.alike(await p.wallet.balance(s.chain.backend), before[name], `the ${name}'s balance is unchanged`)
  }
  t.is((await jobOn(v.indexer, id))?.job.status, 'accepted', 'the job stays accepted in the view')
})

test('indexers gone: accepted — mid-funding, once the client signed its funding: no engine puts out a funding from an unconfirmed record; broadcast by hand anyway, it is refunded at the lock height', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await accept(s, id)
  const signedBy = (role: 'client' | 'printer', kind: 'refund' | 'funding') => (j: JobRecord) => j.escrow?.sigs.some(x => x.kind === kind && x.role === role) === true
  // one engine at a time, so the printer cannot sign its funding inputs before the indexer is gone
  await drive(s.chain, [s.client.engine], async () => confirmed([s.indexer, s.printer.market], id, j => j.escrow?.client != null), WAIT, false)
  await drive(s.chain, [s.printer.engine], async () => confirmed([s.indexer, s.client.market], id, signedBy('printer', 'refund')), WAIT, false)
  await drive(s.chain, [s.client.engine], async () => confirmed([s.indexer, s.printer.market], id, signedBy('client', 'funding')), WAIT, false)
  const v = await indexersGone(t, s)
  // the printer's record is still confirmed: it signs its funding inputs, an op that is never confirmed
  const signed = await drive(s.chain, [s.printer.engine], async () => (await jobOn(s.client.market, id))?.job.escrow?.sigs.some(x => x.kind === 'funding' && x.role === 'printer') === true, WAIT, false)
  t.ok(did(signed, 'sign', 'funding'), 'the printer\'s engine signed its funding inputs')
  const job = (await jobOn(s.client.market, id))!
  t.is(job.confirmed, false, 'the funding both signed is in an unconfirmed record')
  const ctx = escrowContext(job.job, s.chain.network)
  t.absent(did(await steps([s.client.engine, s.printer.engine], 10), 'broadcast'), 'no engine puts out a funding from an unconfirmed record: nothing is locked')
  t.absent((await s.chain.backend.txStatus(ctx.fundingTxid)).found, 'the funding is nowhere on the network')
  // either side could still put it out (both signed it): here someone does, by hand
  const pair = pairOf(ctx.e, 'funding')!
  const funding = finalize(combine(s.printer.engine.verified(ctx, pair[0], 'client'), s.printer.engine.verified(ctx, pair[1], 'printer')))
  await s.chain.backend.broadcast(funding.hex)
  await s.chain.mine(1)
  t.ok((await s.chain.backend.txStatus(ctx.fundingTxid)).confirmed, 'the funding is confirmed on chain')
  await refundAtLock(t, s, v, id, ctx.client.lockHeight, 'accepted')
  await unconfirmed(t, s, id)
})

test('indexers gone: funded — the client disputes and the mediator proposes, unconfirmed (nobody accepts it first); at the lock height the refund', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  const funded = await fund(s, id)
  const v = await indexersGone(t, s)
  await s.client.market.append({ type: OP.JOB_DISPUTE, jobId: id, reason: 'it went wrong' })
  await seen([s.client.market, s.printer.market, s.mediator.market], id, j => j.dispute?.stage === 'mediation', 'the dispute reached the mediator')
  await s.mediator.market.append({ type: OP.DISPUTE_PROPOSE, jobId: id, printerPct: 50, note: 'half each', feeScript: (await s.mediator.wallet.nextReceiveAddress()).script })
  await seen([s.client.market, s.printer.market], id, j => j.dispute?.stage === 'proposed', 'the proposal reached both parties')
  for (const name of ['client', 'printer'] as const) {
    await t.exception(s[name].engine.acceptProposal(id), /not confirmed/, `the ${name}'s engine does not sign a split nobody signed on an unconfirmed record`)
  }
  await mineTo(s, funded.escrow!.client!.lockHeight - 1)
  await refundAtLock(t, s, v, id, funded.escrow!.client!.lockHeight, 'disputed')
  await unconfirmed(t, s, id)
})

test('indexers gone: funded — client and printer cancel by agreement; an engine broadcasts the cancel', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  const v = await indexersGone(t, s)
  await s.client.engine.requestCancel(id)
  await seen([s.printer.market], id, j => j.escrow?.sigs.some(x => x.kind === 'cancel' && x.role === 'client') === true, 'the client\'s cancel signature reached the printer')
  await s.printer.engine.requestCancel(id) // on an unconfirmed record: the cancel returns what each side put in
  const reports = await payOut(v, id, [s.client.engine, s.printer.engine])
  t.ok(did(reports, 'broadcast', 'cancel'), 'an engine broadcast the cancel both signed')
  await assertPaid(t, v, id, { kind: 'cancel' })
  await unconfirmed(t, s, id)
})

test('indexers gone: funded — the printer ships, the client completes', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  const v = await indexersGone(t, s)
  const { psbt } = await s.printer.engine.prepareShip(id)
  await s.printer.market.append({ type: OP.JOB_SHIP, jobId: id, note: 'posted', psbt })
  await seen([s.client.market], id, j => j.status === 'shipped', 'the ship reached the client')
  t.is((await jobOn(s.client.market, id))?.confirmed, false, 'the ship is not confirmed')
  const { txid } = await s.client.engine.complete(id) // it countersigns a payout the printer already signed
  t.ok((await s.chain.backend.txStatus(txid)).found, 'the client broadcast the payout at once')
  const reports = [...await payOut(v, id, [s.client.engine, s.printer.engine]), ...await steps([s.client.engine, s.printer.engine], 1)]
  t.ok(reports.some(r => r.action === 'settled' && r.kind === 'complete' && r.txid === txid), 'an engine saw the payout at depth and is done with the escrow')
  await assertPaid(t, v, id, { kind: 'complete' })
  await unconfirmed(t, s, id)
})

test('indexers gone: shipped — the client completes and goes offline before its broadcast reaches anyone: the printer\'s engine broadcasts the payout', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  await ship(s, id)
  const v = await indexersGone(t, s)
  // the client's node swallows its broadcast
  const lost: string[] = []
  const real = s.client.engine.chain
  const lossy = new Proxy(real, {
    get: (o, k) => {
      if (k === 'broadcast') return async (hex: string) => { lost.push(hex); return '' }
      const x: unknown = Reflect.get(o, k)
      return typeof x === 'function' ? x.bind(o) : x
    }
  }) as ChainBackend
  Object.assign(s.client.engine, { chain: lossy })
  const { txid } = await s.client.engine.complete(id)
  t.is(lost.length, 1, 'the client\'s broadcast was lost')
  t.absent((await s.chain.backend.txStatus(txid)).found, 'the payout is nowhere on the network')
  vanish(s, 'client')
  await seen([s.printer.market], id, j => j.status === 'completed', 'the client\'s job/complete reached the printer')
  t.is((await jobOn(s.printer.market, id))?.confirmed, false, 'the completion is not confirmed')
  const reports = await payOut(v, id, [s.printer.engine])
  t.ok(reports.some(r => r.action === 'broadcast' && r.kind === 'complete' && r.txid === txid), 'the printer\'s engine broadcast the payout the client countersigned')
  await assertPaid(t, v, id, { kind: 'complete' })
  await unconfirmed(t, s, id)
})

test('indexers gone: in mediation — both accept the proposal; an engine broadcasts the split', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  await dispute(s, id, 'client')
  await propose(s, id, 60)
  const v = await indexersGone(t, s)
  await s.client.engine.acceptProposal(id)
  await seen([s.printer.market], id, j => j.dispute?.acceptedClient === true, 'the client\'s acceptance reached the printer')
  await s.printer.engine.acceptProposal(id) // on an unconfirmed record: the client already signed this split
  const reports = await payOut(v, id, [s.client.engine, s.printer.engine])
  t.ok(did(reports, 'broadcast', 'split'), 'an engine broadcast the split both signed')
  await assertPaid(t, v, id, { kind: 'split', printerPct: 60 })
  await unconfirmed(t, s, id)
})

test('indexers gone: in arbitration — (after the client rejected the proposal) the arbitrator rules 70 %; the parties\' engines countersign and broadcast the ruling', T, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  await fund(s, id)
  await ship(s, id)
  await dispute(s, id, 'client')
  await propose(s, id, 90)
  await reject(s, id, 'client')
  const v = await indexersGone(t, s)
  await s.arbitrator.engine.rule(id, 70, 'ruled') // the arbitrator's first op: an optimistic writer, never confirmed
  await seen([s.client.market, s.printer.market], id, j => j.escrow?.ruling != null, 'the ruling reached both parties')
  const reports = await payOut(v, id, [s.client.engine, s.printer.engine])
  t.ok(did(reports, 'broadcast', 'ruling'), 'a party\'s engine countersigned and broadcast the ruling')
  await assertPaid(t, v, id, { kind: 'ruling', printerPct: 70 })
  await unconfirmed(t, s, id)
})
