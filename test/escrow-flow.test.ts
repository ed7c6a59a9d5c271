// The market side of the escrow, end to end: three real Autobase peers (client = the market's creator, printer,
// arbitrator) on a local testnet, each with its own wallet and escrow engine, and an in-process bcoin regtest node.
// Every test ends in confirmed regtest transactions paying the expected amounts to the expected addresses.
import test from 'brittle'
import b4a from 'b4a'
import * as bitcoin from 'bitcoinjs-lib'
import * as ecc from 'tiny-secp256k1'
import { ECPairFactory } from 'ecpair'
import { openMarkets, eventually, sleep, tmpDir, type Test } from './helpers.js'
import { planPayment } from '../lib/escrow/send.js'
import { jobOn, until, drive, paidTo, WAIT } from './escrow-helpers.js'
import { startRegtest, type RegtestChain } from './regtest.js'
import { OP, type JobRecord, type MarketSettings, type Winner } from '../lib/schema.js'
import { getSettings } from '../lib/market/view.js'
import type { Market } from '../lib/market/market.js'
import { EscrowEngine, arbitratorPubkey, escrowContext, buildFor, summarizeEscrow, type StepReport } from '../lib/escrow/engine.js'
import { Wallet } from '../lib/escrow/wallet.js'
import { buildFunding, buildPayout, unsignedTx } from '../lib/escrow/psbt.js'
import { finalize, combine } from '../lib/escrow/psbt-sign.js'
import { jobToJSON } from '../lib/job/json.js'
import { Hostile, baseOpen } from './hostile.js'
import { psbtOf } from '../lib/escrow/context.js'

bitcoin.initEccLib(ecc)
const ECPair = ECPairFactory(ecc)
const BOUNTY = 200_000
const DEPOSIT = 30_000 // 15 %

interface Party { market: Market, wallet: Wallet, engine: EscrowEngine }
interface Setup { chain: RegtestChain, client: Party, printer: Party, arbitrator: Party, clock: { skew: number } }

async function setup (t: Test, over: Partial<MarketSettings> = {}): Promise<Setup> {
  const chain = await startRegtest(t)
  const clock = { skew: 0 }
  const now = (): number => Date.now() + clock.skew
  const { peers } = await openMarkets(t, 3, { ackInterval: 100, now, clockMs: 500 }) // the client, the creator, ticks the market clock on the skewed time
  const net = chain.network
  const parties = peers.map(p => {
    const wallet = Wallet.generate({ network: net })
    return { market: p.market, wallet, engine: new EscrowEngine({ market: p.market, wallet, chain: chain.backend, network: net, now }) }
  })
  const [client, printer, arbitrator] = parties
  for (let i = 0; i < 3; i++) await chain.fund((await client.wallet.nextReceiveAddress()).address, 400_000n)
  for (let i = 0; i < 2; i++) await chain.fund((await printer.wallet.nextReceiveAddress()).address, 60_000n)
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
    mediators: [],
    ...over
  }
  await client.market.append({ type: OP.MARKET_SETTINGS, settings })
  for (const p of parties) {
    if (!await eventually(async () => { await p.market.update(); return (await getSettings(p.market.view)).chain === 'regtest' }, WAIT)) throw new Error('settings did not replicate')
  }
  return { chain, client, printer, arbitrator, clock }
}




async function post (s: Setup, bountySats = BOUNTY): Promise<Uint8Array> {
  const { jobId } = await s.client.market.append({ type: OP.JOB_CREATE, job: { title: 'Benchy', material: 'PLA', colors: ['red'], bountySats, country: 'DE', notes: '' } })
  if (jobId === null) throw new Error('no job id')
  if (!await until(s.printer.market, jobId, j => j.status === 'open')) throw new Error('job did not reach the printer')
  return jobId
}

async function accept (s: Setup, id: Uint8Array): Promise<void> {
  const escrow = await s.printer.engine.prepareAccept(id)
  await s.printer.market.append({ type: OP.JOB_ACCEPT, jobId: id, escrow })
}

async function fund (s: Setup, id: Uint8Array): Promise<JobRecord> {
  await accept(s, id)
  await drive(s.chain, [s.client.engine, s.printer.engine], async () => {
    const a = await jobOn(s.client.market, id)
    const b = await jobOn(s.printer.market, id)
    return a !== null && b !== null && a.confirmed && b.confirmed && a.job.status === 'active' && b.job.status === 'active'
  })
  return (await jobOn(s.client.market, id))!.job
}

// The printer signs the refund, the client the refund and its funding inputs, and the printer's engine never runs
// again: the printer then completes the funding itself, outside the protocol, and broadcasts it.
async function fundPrivately (s: Setup, id: Uint8Array, broadcast = true): Promise<{ job: JobRecord, ctx: ReturnType<typeof escrowContext>, funding: ReturnType<typeof finalize> }> {
  const signed = (j: JobRecord | undefined, kind: string, role: string): boolean => (j?.escrow?.sigs ?? []).some(x => x.kind === kind && x.role === role)
  const ok = await eventually(async () => {
    await s.client.engine.step()
    if (!signed((await jobOn(s.printer.market, id))?.job, 'refund', 'printer')) await s.printer.engine.step()
    const v = await jobOn(s.printer.market, id)
    return v !== null && v.confirmed && signed(v.job, 'funding', 'client')
  }, WAIT)
  if (!ok) throw new Error('the client did not sign its funding inputs')
  const job = (await jobOn(s.printer.market, id))!.job
  const ctx = escrowContext(job, s.chain.network)
  const mine = buildFor(ctx, 'funding', s.chain.network)
  s.printer.wallet.signPsbt(mine, ctx.fundingPlan.printer.inputIndexes)
  const theirs = psbtOf(job.escrow!.sigs.find(x => x.kind === 'funding' && x.role === 'client')!, ctx, s.chain.network)
  const funding = finalize(combine(theirs, mine))
  if (broadcast) await s.chain.backend.broadcast(funding.hex)
  return { job, ctx, funding }
}

async function confirmedTx (s: Setup, txid: string): Promise<bitcoin.Transaction> {
  const st = await s.chain.backend.txStatus(txid)
  if (!st.confirmed) await s.chain.mine(1)
  const hex = await s.chain.backend.txHex(txid)
  if (hex === null) throw new Error(`no tx ${txid}`)
  return bitcoin.Transaction.fromHex(hex)
}


function feeOf (tx: bitcoin.Transaction, inSats: bigint): bigint {
  return inSats - tx.outs.reduce((s, o) => s + o.value, 0n)
}

const TOTAL = BigInt(BOUNTY + 2 * DEPOSIT)

test('escrow happy path: accept, fund at depth, ship, complete → printer gets bounty + deposit, client its deposit', { timeout: 120_000 }, async (t) => {
  const s = await setup(t)
  const id = await post(s)
  t.absent(summarizeEscrow((await jobOn(s.client.market, id))!.job, s.chain.network), 'no escrow before the accept')
  const job = await fund(s, id)
  const e = job.escrow!
  t.ok(e.fundingTxid !== null, 'funding recorded')
  const fundingTxid = b4a.toString(e.fundingTxid!, 'hex')
  const st = await s.chain.backend.txStatus(fundingTxid)
  t.ok(st.confirmed && st.depth >= 1, `funding confirmed at depth ${st.depth}`)
  const ctx = escrowContext(job, s.chain.network)
  const ftx = bitcoin.Transaction.fromHex((await s.chain.backend.txHex(fundingTxid))!)
  t.is(ftx.outs[0].value, TOTAL, 'the escrow output holds bounty + both deposits')
  t.alike(ftx.outs[0].script, ctx.script.outputScript, 'paid to the 2-of-3 of client, printer and arbitrator')
  t.ok(!job.history.some(h => h.action === 100), 'no automatic activation in an escrow market')
  const summary = await s.client.engine.describe(job)
  t.is(summary.state, 'funded')
  t.ok(summary.address?.startsWith('rb1q'), `escrow address ${summary.address}`)
  t.is(summary.paths.length, 3, 'complete, cancel and refund paths described')
  const json = jobToJSON(job, true, { network: s.chain.network })
  t.is(json.escrow?.fundingTxid, fundingTxid, 'job JSON carries the escrow section')

  const ship = await s.printer.engine.prepareShip(id)
  await s.printer.market.append({ type: OP.JOB_SHIP, jobId: id, note: 'DHL 1234', psbt: ship.psbt })
  t.ok(await until(s.client.market, id, j => j.status === 'shipped'), 'client sees it shipped (confirmed)')
  const { txid } = await s.client.engine.complete(id)
  const tx = await confirmedTx(s, txid)
  const fee = feeOf(tx, TOTAL)
  const printerGot = await paidTo(s.chain, tx, e.printer.payoutScript)
  const clientGot = await paidTo(s.chain, tx, e.client!.payoutScript)
  t.is(printerGot, BigInt(BOUNTY + DEPOSIT) - fee / 2n, `printer: bounty + deposit − ${fee / 2n} fee share = ${printerGot}`)
  t.is(clientGot, BigInt(DEPOSIT) - (fee - fee / 2n), `client: deposit − ${fee - fee / 2n} fee share = ${clientGot}`)
  t.ok((await s.chain.backend.txStatus(txid)).confirmed, 'payout confirmed')
  t.ok(await until(s.printer.market, id, j => j.status === 'completed' && j.escrow?.closed?.kind === 'complete'), 'completed on the printer too')
})

test('escrow cancel before shipping (both sign) → client gets bounty + deposit back, printer its deposit; a mediator key + one party cannot spend', { timeout: 120_000 }, async (t) => {
  const s = await setup(t)
  const id = await post(s)
  const job = await fund(s, id)
  const ctx = escrowContext(job, s.chain.network)

  // (7) a third key that is not the arbitrator (a "mediator") plus the printer: not a valid spend
  const mediator = ECPair.makeRandom({ network: s.chain.network })
  const psbt = buildPayout({ kind: 'complete' }, ctx.payout).psbt
  s.printer.wallet.signEscrow(psbt, ctx.id, 'printer')
  const utx = unsignedTx(psbt)
  const hash = utx.hashForWitnessV0(0, ctx.script.witnessScript, ctx.escrow.valueSats, bitcoin.Transaction.SIGHASH_ALL)
  const medSig = bitcoin.script.signature.encode(mediator.sign(hash), bitcoin.Transaction.SIGHASH_ALL)
  const printerSig = psbt.data.inputs[0].partialSig![0].signature
  await t.exception(async () => finalize(psbt.clone().updateInput(0, { partialSig: [{ pubkey: mediator.publicKey, signature: medSig }] })), /escrow keys/, 'the finalizer refuses mediator + printer')
  for (const order of [[printerSig, medSig], [medSig, printerSig]]) {
    const forged = utx.clone()
    forged.setWitness(0, [new Uint8Array(0), ...order, ctx.script.witnessScript])
    await t.exception(s.chain.backend.broadcast(forged.toHex()), /did not accept/, 'the node rejects mediator + printer')
  }
  t.is(await s.chain.backend.outspend(ctx.escrow.txid, 0), null, 'the escrow is unspent')

  await s.client.engine.requestCancel(id)
  t.ok(await until(s.printer.market, id, j => j.escrow!.sigs.some(x => x.kind === 'cancel' && x.role === 'client')), 'printer sees the client\'s cancel signature')
  const reports = await drive(s.chain, [s.client.engine, s.printer.engine], async () => false, 1500, false).catch(() => [])
  t.absent(reports.some(r => r.action === 'broadcast'), 'one cancel signature moves nothing')
  await s.printer.engine.requestCancel(id)
  await drive(s.chain, [s.client.engine, s.printer.engine], async () => {
    const v = await jobOn(s.printer.market, id)
    return v !== null && v.confirmed && v.job.status === 'cancelled'
  })
  const done = (await jobOn(s.client.market, id))!.job
  t.is(done.escrow!.closed!.kind, 'cancel', 'closed by the cancel payout')
  const tx = await confirmedTx(s, b4a.toString(done.escrow!.closed!.txid, 'hex'))
  const fee = feeOf(tx, TOTAL)
  t.is(await paidTo(s.chain, tx, done.escrow!.client!.payoutScript), BigInt(BOUNTY + DEPOSIT) - (fee - fee / 2n), 'client: bounty + deposit − fee share')
  t.is(await paidTo(s.chain, tx, done.escrow!.printer.payoutScript), BigInt(DEPOSIT) - fee / 2n, 'printer: deposit − fee share')
})

test('escrow refund: everyone vanishes after funding; the refund is refused before lockHeight and accepted from it', { timeout: 120_000 }, async (t) => {
  const s = await setup(t)
  const id = await post(s)
  const job = await fund(s, id)
  const lockHeight = job.escrow!.client!.lockHeight
  const refund = await s.client.engine.refundTx(id)
  t.ok(await s.chain.backend.tipHeight() < lockHeight, 'below the lock height')
  await t.exception(s.chain.backend.broadcast(refund.hex), /did not accept/, 'refund rejected before lockHeight')
  const early = await s.printer.engine.step()
  t.absent(early.some(r => r.kind === 'refund'), 'no engine tries the refund early')
  await s.chain.mine(lockHeight - await s.chain.backend.tipHeight())
  t.is(await s.chain.backend.tipHeight(), lockHeight, 'tip at lockHeight')
  // only the printer comes back: it refunds, and says so; one party's word does not close the job
  const reports = await drive(s.chain, [s.printer.engine], async () => {
    const v = await jobOn(s.printer.market, id)
    return v !== null && v.confirmed && v.job.claims.some(c => c.kind === 'refund' && c.role === 'printer')
  })
  t.ok(reports.some(r => r.action === 'broadcast' && r.kind === 'refund'), 'the printer\'s engine broadcast the refund')
  reports.push(...await s.printer.engine.step()) // the pass after its claim is in the record
  t.ok(reports.some(r => r.action === 'settled' && r.kind === 'refund'), 'and is done with the escrow once its node sees it spent')
  t.absent((await s.printer.engine.step()).some(r => r.jobId === reports[0].jobId), 'and then leaves it alone')
  t.is((await jobOn(s.client.market, id))!.job.status, 'active', 'the printer\'s claim alone leaves the job active')
  // the client comes back: its own node shows the refund, it says so too, and the job is cancelled
  await drive(s.chain, [s.client.engine], async () => {
    const v = await jobOn(s.client.market, id)
    return v !== null && v.confirmed && v.job.status === 'cancelled'
  })
  const tx = await confirmedTx(s, refund.txid)
  t.is(tx.locktime, lockHeight)
  const fee = feeOf(tx, TOTAL)
  t.is(await paidTo(s.chain, tx, job.escrow!.client!.payoutScript), BigInt(BOUNTY + DEPOSIT) - (fee - fee / 2n), 'client: bounty + deposit − fee share')
  t.is(await paidTo(s.chain, tx, job.escrow!.printer.payoutScript), BigInt(DEPOSIT) - fee / 2n, 'printer: deposit − fee share')
  t.is((await jobOn(s.client.market, id))!.job.escrow!.closed!.kind, 'refund')
})

test('escrow lapse: the client never proposes; after the timeout the printer lapses the job and it is open again', { timeout: 120_000 }, async (t) => {
  const s = await setup(t, { fundingTimeoutSecs: 600 })
  const id = await post(s)
  await accept(s, id)
  t.ok(await until(s.printer.market, id, j => j.status === 'accepted'), 'accepted')
  // too early: the engine does nothing and a hand-written lapse is ignored by apply
  t.is((await s.printer.engine.step()).length, 0, 'nothing due before the timeout')
  await s.printer.market.append({ type: OP.JOB_LAPSE, jobId: id })
  await sleep(1000)
  t.ok(await until(s.client.market, id, j => j.status === 'accepted' && j.printer !== null), 'an early lapse changes nothing')
  s.clock.skew = 601_000
  const reports = await drive(s.chain, [s.printer.engine], async () => {
    const v = await jobOn(s.client.market, id)
    return v !== null && v.confirmed && v.job.status === 'open'
  }, WAIT, false)
  t.ok(reports.some(r => r.action === 'lapse'), 'the printer\'s engine lapsed it')
  const j = (await jobOn(s.client.market, id))!.job
  t.is(j.printer, null, 'no printer')
  t.is(j.escrow ?? null, null, 'escrow cleared')
  t.is((await s.client.market.writerRecord(s.client.market.writerKey)).openJobs, 1, 'counted as open again')
})

for (const winner of ['printer', 'client'] as Winner[]) {
  // the ruling is final: whichever side is still there countersigns and pays it out (here the printer's engine both
  // times: the winner's for a printer ruling, the loser's for a client ruling, as if the client had vanished)
  test(`escrow ruling for the ${winner}: arbitrator signs, the printer's engine countersigns and broadcasts`, { timeout: 120_000 }, async (t) => {
    const s = await setup(t)
    const id = await post(s)
    await fund(s, id)
    await s.client.market.append({ type: OP.JOB_DISPUTE, jobId: id, reason: 'never arrived' })
    t.ok(await until(s.arbitrator.market, id, j => j.status === 'disputed'), 'the arbitrator sees the dispute')
    const loserParty = winner === 'printer' ? s.client : s.printer
    await t.exception(loserParty.engine.rule(id, winner), /arbitrator/, 'a party cannot rule')
    await s.arbitrator.engine.rule(id, winner)
    t.ok(await until(loserParty.market, id, j => j.escrow?.ruling !== null), 'ruling recorded')
    await drive(s.chain, [s.printer.engine], async () => {
      const v = await jobOn(s.arbitrator.market, id)
      return v !== null && v.confirmed && v.job.escrow?.closed !== null
    })
    const j = (await jobOn(s.arbitrator.market, id))!.job
    t.is(j.status, winner === 'printer' ? 'completed' : 'cancelled')
    const tx = await confirmedTx(s, b4a.toString(j.escrow!.closed!.txid, 'hex'))
    const fee = feeOf(tx, TOTAL)
    const arbFee = BigInt(BOUNTY) * 5n / 100n
    const e = j.escrow!
    const client = await paidTo(s.chain, tx, e.client!.payoutScript)
    const printer = await paidTo(s.chain, tx, e.printer.payoutScript)
    t.is(await paidTo(s.chain, tx, e.ruling!.feeScript), arbFee, `arbitrator: 5 % of the bounty (${arbFee})`)
    if (winner === 'printer') {
      t.is(printer, BigInt(BOUNTY + DEPOSIT) - fee / 2n, 'printer: bounty + deposit − fee share')
      t.is(client, BigInt(DEPOSIT) - arbFee - (fee - fee / 2n), 'client: deposit − arbitration fee − fee share')
    } else {
      t.is(client, BigInt(BOUNTY + DEPOSIT) - (fee - fee / 2n), 'client: bounty + deposit − fee share')
      t.is(printer, BigInt(DEPOSIT) - arbFee - fee / 2n, 'printer: deposit − arbitration fee − fee share')
    }
  })
}

test('coins put into an accept stay reserved: a restarted engine and wallet send leave them for that escrow', { timeout: 120_000 }, async (t) => {
  const s = await setup(t)
  const dir = await tmpDir(t)
  await s.printer.wallet.save(dir)
  const id = await post(s)
  const escrow = await s.printer.engine.prepareAccept(id)
  t.is(escrow.inputs.length, 1, 'one of the printer\'s two 60 000 sat coins covers its deposit')
  const held = `${b4a.toString(b4a.from(escrow.inputs[0].txid), 'hex')}:${escrow.inputs[0].vout}`
  // a restart: a new engine over the same wallet directory, before the accept was ever written
  const wallet = await Wallet.load(dir, { network: s.chain.network })
  const again = new EscrowEngine({ market: s.printer.market, wallet, chain: s.chain.backend, network: s.chain.network })
  const other = await again.prepareAccept(await post(s))
  t.not(`${b4a.toString(b4a.from(other.inputs[0].txid), 'hex')}:${other.inputs[0].vout}`, held, 'the restarted engine picks the other coin')
  // both coins are now held: an ordinary payment cannot take them
  const to = (await s.client.wallet.nextReceiveAddress()).address
  await t.exception(planPayment(wallet, s.chain.backend, { address: to, sats: 10_000n }), /held for escrows/, 'wallet send leaves reserved coins alone, and says why')
})

test('a funding broadcast outside the protocol after the acceptance lapsed: the client\'s kept refund brings the money home', { timeout: 120_000 }, async (t) => {
  const s = await setup(t)
  await s.client.wallet.save(await tmpDir(t))
  const id = await post(s)
  await accept(s, id)
  // the printer completes the funding privately and keeps it; it may not lapse the acceptance itself (the client
  // signed its funding inputs), so it waits for the client's engine to lapse it, then broadcasts
  const { job, ctx, funding } = await fundPrivately(s, id, false)
  s.clock.skew = 3600_000 + 1000
  t.ok(await eventually(async () => await s.client.market.time() >= job.escrow!.acceptedAt + 3600_000), 'market time passes the funding timeout (the client, the market\'s indexer, ticks it)')
  const printer = new Hostile(s.printer.market)
  await printer.raw({ type: OP.JOB_LAPSE, jobId: id }, Date.now() + s.clock.skew)
  await printer.applied(s.client.market)
  t.is((await jobOn(s.client.market, id))!.job.status, 'accepted', 'the printer\'s own lapse is refused')
  const lapsed = await s.client.engine.step()
  t.ok(lapsed.some(r => r.action === 'lapse'), 'the client\'s engine lapses it: no funding out there')
  t.ok(await until(s.client.market, id, j => j.status === 'open' && j.escrow === null), 'the acceptance lapsed: the job is open again, its escrow gone from the record')
  s.clock.skew = 2 * 3600_000 + 1000 // past the reservation of its coins too
  const free = (await s.client.engine.spendable()).map(u => `${u.txid}:${u.vout}`)
  t.absent(job.escrow!.client!.inputs.some(c => free.includes(`${b4a.toString(c.txid, 'hex')}:${c.vout}`)), 'the coins the client signed into that funding are offered to no other escrow (the printer could still complete it)')
  await s.chain.backend.broadcast(funding.hex)
  await s.chain.mine(1)
  t.absent((await s.client.engine.step()).some(r => r.kind === 'refund' && r.action === 'broadcast'), 'no refund before its lock height')
  await s.chain.mine(ctx.client.lockHeight - await s.chain.backend.tipHeight())
  const reports = await s.client.engine.step()
  const sent = reports.find(r => r.action === 'broadcast' && r.kind === 'refund')
  t.ok(sent !== undefined, `the client's engine broadcast its kept refund (${JSON.stringify(reports)})`)
  if (sent === undefined) return
  const tx = await confirmedTx(s, sent.txid!)
  t.is(b4a.toString(b4a.from(tx.ins[0].hash).reverse(), 'hex'), funding.txid, 'it spends the escrow of that funding')
  const fee = feeOf(tx, TOTAL)
  t.is(await paidTo(s.chain, tx, job.escrow!.client!.payoutScript), BigInt(BOUNTY + DEPOSIT) - (fee - fee / 2n), 'client: bounty + deposit − fee share')
  t.is(await paidTo(s.chain, tx, job.escrow!.printer.payoutScript), BigInt(DEPOSIT) - fee / 2n, 'printer: deposit − fee share')
  await s.client.engine.step()
  t.absent((await s.client.engine.step()).some(r => r.kind === 'refund'), 'done: the kept refund is dropped once out')
})

test('a funding completed and broadcast privately, never recorded: the client\'s engine refunds it at the lock height and the job is open again', { timeout: 120_000 }, async (t) => {
  const s = await setup(t)
  const id = await post(s)
  await accept(s, id)
  // the printer completes the funding, broadcasts it, and then writes nothing more
  const { job, ctx } = await fundPrivately(s, id)
  s.clock.skew = 3600_000 + 1000 // past the funding timeout: the client's engine must not lapse a funded escrow
  t.ok(await eventually(async () => await s.client.market.time() >= job.escrow!.acceptedAt + 3600_000), 'market time passes the funding timeout')
  await s.chain.mine(ctx.client.lockHeight - await s.chain.backend.tipHeight())
  const reports = await drive(s.chain, [s.client.engine], async () => {
    const v = await jobOn(s.arbitrator.market, id)
    return v !== null && v.confirmed && v.job.status === 'open'
  })
  t.absent(reports.some(r => r.action === 'lapse'), 'no lapse of an escrow whose funding is on chain')
  const sent = reports.find(r => r.action === 'broadcast' && r.kind === 'refund')
  t.ok(sent !== undefined, 'the refund went out from the record alone')
  const v = (await jobOn(s.arbitrator.market, id))!
  t.is(v.job.escrow ?? null, null, 'the client\'s refund claim counts as its lapse: the job is open again, without that escrow')
  const tx = await confirmedTx(s, sent!.txid!)
  const fee = feeOf(tx, TOTAL)
  t.is(await paidTo(s.chain, tx, job.escrow!.client!.payoutScript), BigInt(BOUNTY + DEPOSIT) - (fee - fee / 2n), 'client: bounty + deposit − fee share')
})

test('a printer that signed the cancel cannot ship (the client could take a refund after delivery)', { timeout: 120_000 }, async (t) => {
  const s = await setup(t)
  const id = await post(s)
  await fund(s, id)
  await s.printer.engine.requestCancel(id)
  t.ok(await until(s.printer.market, id, j => (j.escrow?.sigs ?? []).some(x => x.kind === 'cancel' && x.role === 'printer')), 'the printer asked to cancel')
  await t.exception(s.printer.engine.prepareShip(id), /signed a cancel/, 'shipping is refused, with the reason')
})

test('escrow tampering: a changed refund output, a changed funding output and an inflated payout fee never reach the record; nothing is signed', { timeout: 150_000 }, async (t) => {
  const s = await setup(t)
  const net = s.chain.network
  const thief = (await s.arbitrator.wallet.nextReceiveAddress()).address
  const printer = new Hostile(s.printer.market)
  const client = new Hostile(s.client.market)

  // (a) the printer's refund signature pays the printer more: apply refuses it, and the client signs nothing
  const a = await post(s)
  await accept(s, a)
  await drive(s.chain, [s.client.engine], async () => (await until(s.printer.market, a, j => j.escrow != null && j.escrow.client !== null, 200)), WAIT, false)
  let job = (await jobOn(s.printer.market, a))!.job
  let ctx = escrowContext(job, net)
  const badRefund = buildPayout({ kind: 'refund' }, { ...ctx.payout, printerAddress: thief, lockHeight: ctx.client.lockHeight }).psbt
  s.printer.wallet.signEscrow(badRefund, ctx.id, 'printer')
  const ia = await printer.raw({ type: OP.ESCROW_SIGN, jobId: a, kind: 'refund', psbt: badRefund.toBuffer() })
  t.is((await printer.reached(s.client.market, ia)).type, OP.ESCROW_SIGN, 'the tampered refund signature reached the client and decodes')
  await printer.applied(s.client.market)
  t.is((await jobOn(s.client.market, a))!.job.escrow!.sigs.length, 0, 'apply kept it out of the record')
  await drive(s.chain, [s.client.engine], async () => false, 1500, false).catch(() => [])
  job = (await jobOn(s.client.market, a))!.job
  t.absent(job.escrow!.sigs.some(x => x.role === 'client'), 'the client signed nothing')

  // (b) the client's funding signature sends its change elsewhere: apply refuses it; the printer signs no funding
  const b = await post(s)
  await accept(s, b)
  await drive(s.chain, [s.client.engine], async () => (await until(s.printer.market, b, j => j.escrow != null && j.escrow.client !== null, 200)), WAIT, false)
  await drive(s.chain, [s.printer.engine], async () => (await until(s.client.market, b, j => j.escrow!.sigs.length === 1, 200)), WAIT, false)
  job = (await jobOn(s.client.market, b))!.job
  ctx = escrowContext(job, net)
  const goodRefund = buildFor(ctx, 'refund', net)
  s.client.wallet.signEscrow(goodRefund, ctx.id, 'client')
  await client.raw({ type: OP.ESCROW_SIGN, jobId: b, kind: 'refund', psbt: goodRefund.toBuffer() })
  const badFunding = buildFunding({ ...ctx.funding, clientChange: thief }).psbt
  s.client.wallet.signPsbt(badFunding, ctx.fundingPlan.client.inputIndexes)
  const ib = await client.raw({ type: OP.ESCROW_SIGN, jobId: b, kind: 'funding', psbt: badFunding.toBuffer() })
  t.is((await client.reached(s.printer.market, ib)).type, OP.ESCROW_SIGN, 'the tampered funding signature reached the printer and decodes')
  await client.applied(s.printer.market)
  job = (await jobOn(s.printer.market, b))!.job
  t.is(job.escrow!.sigs.length, 2, 'both refund signatures are in the record, the tampered funding signature is not')
  await drive(s.chain, [s.printer.engine], async () => false, 1500, false).catch(() => [])
  job = (await jobOn(s.printer.market, b))!.job
  t.absent(job.escrow!.sigs.some(x => x.role === 'printer' && x.kind === 'funding'), 'the printer did not sign the funding')
  t.is(job.status, 'accepted', 'not funded')

  // (c) a funded job: the printer ships with a payout signature that pays a higher miner fee out of the client's
  // deposit: apply refuses the ship, the job stays active and the escrow unspent
  const fresh = await setup(t)
  const c = await post(fresh)
  const fjob = await fund(fresh, c)
  const fctx = escrowContext(fjob, net)
  const inflated = buildPayout({ kind: 'complete' }, { ...fctx.payout, feeRate: 40 }).psbt
  fresh.printer.wallet.signEscrow(inflated, fctx.id, 'printer')
  const fp = new Hostile(fresh.printer.market)
  const ic = await fp.raw({ type: OP.JOB_SHIP, jobId: c, note: 'x', psbt: inflated.toBuffer() })
  t.is((await fp.reached(fresh.client.market, ic)).type, OP.JOB_SHIP, 'the tampered ship reached the client and decodes')
  await fp.applied(fresh.client.market)
  t.is((await jobOn(fresh.client.market, c))!.job.status, 'active', 'not shipped: the ship carried a payout the record does not define')
  t.is(await fresh.chain.backend.outspend(fctx.escrow.txid, 0), null, 'the escrow is unspent')
  t.ok(baseOpen(fresh.client.market) && baseOpen(s.client.market), 'every base is still open')
})
