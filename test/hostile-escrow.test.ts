// Hostile peers against the escrow (issue: hostile peers; lib/escrow/PROTOCOL.md "Attacks and defences"), on real
// Autobase peers and a bcoin regtest node. The attacker is a party running a modified client (test/hostile.ts):
// it writes raw ops its own engine and commands would never write. Each test proves the op reached the honest peer
// and decoded there, then asserts the defence in money on the regtest chain (to the satoshi, minus fees), in the
// honest peers' views, and in their bases staying open.
import test from 'brittle'
import b4a from 'b4a'
import * as bitcoin from 'bitcoinjs-lib'
import { eventually } from './helpers.js'
import { jobOn, drive, paidTo, WAIT } from './escrow-helpers.js'
import { escrowSetup, post, accept, fund, ship, dispute, confirmed, BOUNTY, DEPOSIT, type EscrowSetup } from './escrow-setup.js'
import { Hostile, baseOpen, faults } from './hostile.js'
import { OP, type JobRecord } from '../lib/schema.js'
import { escrowContext, buildFor } from '../lib/escrow/context.js'
import { buildPayout, finalize, combine } from '../lib/escrow/psbt.js'
import { sigOf } from '../lib/escrow/record.js'
import { unpayablePath, minPayableBounty } from '../lib/escrow/verify.js'
import { escrowsOf } from '../lib/market/view.js'

const TOTAL = BigInt(BOUNTY + 2 * DEPOSIT)

async function paidTx (s: EscrowSetup, txid: string): Promise<bitcoin.Transaction> {
  if (!(await s.chain.backend.txStatus(txid)).confirmed) await s.chain.mine(1)
  return bitcoin.Transaction.fromHex((await s.chain.backend.txHex(txid))!)
}

function feeOf (tx: bitcoin.Transaction, inSats = TOTAL): bigint {
  return inSats - tx.outs.reduce((sum, o) => sum + o.value, 0n)
}

// The escrow output's spender, once confirmed.
async function spentBy (s: EscrowSetup, job: JobRecord): Promise<string | null> {
  const ctx = escrowContext(job, s.chain.network)
  return (await s.chain.backend.outspend(ctx.escrow.txid, ctx.escrow.vout))?.txid ?? null
}

function settledOnChain (s: EscrowSetup, id: Uint8Array): () => Promise<boolean> {
  return async () => {
    const j = (await jobOn(s.printer.market, id))!.job
    const txid = await spentBy(s, j)
    return txid !== null && (await s.chain.backend.txStatus(txid)).confirmed
  }
}

test('attack 2: a client that completes without countersigning, claims a refund or a ruling it did not pay, cannot close the escrow; the printer is paid', { timeout: 240_000 }, async (t) => {
  const s = await escrowSetup(t, { mediator: false })
  const before = faults()
  const id = await post(s)
  const funded = await fund(s, id)
  await ship(s, id)
  const client = new Hostile(s.client.market)
  let job = (await jobOn(s.client.market, id))!.job
  const printerSig = sigOf(job.escrow!, 'complete', 'printer')!
  const ctx = escrowContext(job, s.chain.network)

  // job/complete naming the printer's payout, without the client's signature, with the printer's own signature
  // copied, and with the client's signature on another transaction (a higher fee)
  const inflated = buildPayout({ kind: 'complete' }, { ...ctx.payout, feeRate: 40 }).psbt
  s.client.wallet.signEscrow(inflated, ctx.id, 'client')
  const attempts = [
    { type: OP.JOB_COMPLETE, jobId: id, payoutTxid: printerSig.txid },
    { type: OP.JOB_COMPLETE, jobId: id, payoutTxid: printerSig.txid, psbt: printerSig.psbt },
    { type: OP.JOB_COMPLETE, jobId: id, payoutTxid: printerSig.txid, psbt: inflated.toBuffer() },
    { type: OP.ESCROW_PAID, jobId: id, kind: 'complete', txid: printerSig.txid },
    { type: OP.ESCROW_PAID, jobId: id, kind: 'ruling', txid: printerSig.txid }
  ] as const
  for (const op of attempts) {
    const i = await client.raw(op)
    t.is((await client.reached(s.printer.market, i)).type, op.type, `${op.type === OP.JOB_COMPLETE ? 'job/complete' : 'escrow/paid ' + op.kind} reached the printer and decodes`)
  }
  // a refund claim while shipped: the refund is signed, but only the chain can say it was paid
  const refundTxid = sigOf(job.escrow!, 'refund', 'client')!.txid
  await client.raw({ type: OP.ESCROW_PAID, jobId: id, kind: 'refund', txid: refundTxid })
  await client.applied(s.printer.market)
  job = (await jobOn(s.printer.market, id))!.job
  t.is(job.status, 'shipped', 'the job is still shipped on the printer\'s peer')
  t.is(job.escrow!.closed, null, 'the escrow is not closed')
  t.alike(job.claims.map(c => c.role), ['client'], 'the refund claim is recorded as the client\'s word only')
  t.is(await spentBy(s, job), null, 'the escrow is unspent')

  // the printer disputes; the arbitrator rules for it; the printer's engine pays itself the ruling
  await dispute(s, id, 'printer')
  await s.arbitrator.engine.rule(id, 100, 'delivered, tracking shows it')
  t.ok(await eventually(async () => confirmed([s.client.market], id, j => j.escrow?.ruling != null), WAIT), 'the ruling reached the client')
  // the loser claims the ruling paid before anyone countersigned it: no effect
  await client.raw({ type: OP.ESCROW_PAID, jobId: id, kind: 'ruling', txid: sigOf((await jobOn(s.client.market, id))!.job.escrow!, 'ruling', 'arbitrator')!.txid })
  await client.applied(s.printer.market)
  t.is((await jobOn(s.printer.market, id))!.job.status, 'disputed', 'a ruling claimed paid without a countersignature changes nothing')
  await drive(s.chain, [s.printer.engine], settledOnChain(s, id))
  const closed = (await jobOn(s.printer.market, id))!.job
  const tx = await paidTx(s, (await spentBy(s, closed))!)
  const fee = feeOf(tx)
  t.is(await paidTo(s.chain, tx, funded.escrow!.printer.payoutScript), BigInt(BOUNTY + DEPOSIT) - fee / 2n, 'printer: bounty + deposit − its fee share, on chain')
  t.is(faults() - before, 0, 'no handler threw')
  t.ok(baseOpen(s.printer.market) && baseOpen(s.indexer), 'the honest bases are open')
})

test('attack 2: a client that countersigns the payout but never broadcasts it: the printer broadcasts it itself', { timeout: 180_000 }, async (t) => {
  const s = await escrowSetup(t, { mediator: false })
  const id = await post(s)
  const funded = await fund(s, id)
  await ship(s, id)
  const job = (await jobOn(s.client.market, id))!.job
  const ctx = escrowContext(job, s.chain.network)
  const mine = buildFor(ctx, 'complete', s.chain.network)
  s.client.wallet.signEscrow(mine, ctx.id, 'client')
  const client = new Hostile(s.client.market)
  const i = await client.raw({ type: OP.JOB_COMPLETE, jobId: id, psbt: mine.toBuffer() })
  t.is((await client.reached(s.printer.market, i)).type, OP.JOB_COMPLETE, 'the countersigned completion reached the printer')
  t.ok(await eventually(async () => confirmed([s.printer.market], id, j => j.status === 'completed'), WAIT), 'completed on the printer\'s peer')
  t.is(await spentBy(s, job), null, 'nothing broadcast yet: the client kept the payout to itself')
  await drive(s.chain, [s.printer.engine], settledOnChain(s, id))
  const tx = await paidTx(s, (await spentBy(s, job))!)
  const fee = feeOf(tx)
  t.is(await paidTo(s.chain, tx, funded.escrow!.printer.payoutScript), BigInt(BOUNTY + DEPOSIT) - fee / 2n, 'the printer\'s engine broadcast it: bounty + deposit − fee share')
  t.is(await paidTo(s.chain, tx, funded.escrow!.client!.payoutScript), BigInt(DEPOSIT) - (fee - fee / 2n), 'client: its deposit − fee share')
})

test('attack 3: a funding claimed but double-spent: the job shows active on the client\'s word, the printer\'s engine and ship refuse, its coins stay its own', { timeout: 180_000 }, async (t) => {
  const s = await escrowSetup(t, { mediator: false })
  const id = await post(s)
  await accept(s, id)
  // the client's engine proposes, the printer's signs the refund, the client's signs the refund and its funding
  // inputs; then the client spends its coin elsewhere
  await drive(s.chain, [s.client.engine], async () => confirmed([s.printer.market], id, j => j.escrow?.client != null), WAIT, false)
  await drive(s.chain, [s.printer.engine], async () => confirmed([s.client.market], id, j => sigOf(j.escrow!, 'refund', 'printer') !== undefined), WAIT, false)
  await drive(s.chain, [s.client.engine], async () => confirmed([s.printer.market], id, j => sigOf(j.escrow!, 'funding', 'client') !== undefined), WAIT, false)
  const job = (await jobOn(s.client.market, id))!.job
  const coin = job.escrow!.client!.inputs[0]
  const spend = new bitcoin.Psbt({ network: s.chain.network })
  spend.addInput({ hash: b4a.from(coin.txid).reverse(), index: coin.vout, witnessUtxo: { script: coin.script, value: BigInt(coin.valueSats) } })
  spend.addOutput({ script: (await s.client.wallet.nextReceiveAddress()).script, value: BigInt(coin.valueSats) - 1000n })
  s.client.wallet.signPsbt(spend, [0])
  await s.chain.backend.broadcast(finalize(spend).hex)
  await s.chain.mine(1)
  // the printer's engine signs the funding and fails to broadcast it; the client claims it funded anyway
  const reports = await drive(s.chain, [s.printer.engine], async () => confirmed([s.client.market], id, j => sigOf(j.escrow!, 'funding', 'printer') !== undefined), WAIT, false)
  const after = (await jobOn(s.client.market, id))!.job
  const ctx = escrowContext(after, s.chain.network)
  await drive(s.chain, [s.printer.engine], async () => false, 2000, false).catch(() => [])
  const client = new Hostile(s.client.market)
  const i = await client.raw({ type: OP.ESCROW_FUNDED, jobId: id, txid: b4a.from(ctx.fundingTxid, 'hex') })
  t.is((await client.reached(s.printer.market, i)).type, OP.ESCROW_FUNDED, 'the funded claim reached the printer and decodes')
  t.ok(await eventually(async () => confirmed([s.printer.market], id, j => j.status === 'active'), WAIT), 'the job is active on the client\'s word')
  t.absent((await s.chain.backend.txStatus(ctx.fundingTxid)).found, `the funding is nowhere on chain (${JSON.stringify(reports.filter(r => r.action === 'error').map(r => r.detail)).slice(0, 120)}…)`)
  await t.exception(s.printer.engine.prepareShip(id), /do not ship yet: your Bitcoin node does not know the escrow's funding/, 'shipping is refused, with the reason')
  const pcoin = after.escrow!.printer.inputs[0]
  t.is(await s.chain.backend.outspend(b4a.toString(pcoin.txid, 'hex'), pcoin.vout), null, 'the printer\'s coin is unspent: nothing of its money moved')
  t.ok(baseOpen(s.printer.market), 'the printer\'s base is open')
})

test('attack 4: an accept of a proposal signed on another transaction does not settle the dispute; the client rejects, the arbitrator rules, the split is paid', { timeout: 240_000 }, async (t) => {
  const s = await escrowSetup(t)
  const id = await post(s)
  const funded = await fund(s, id)
  await dispute(s, id, 'client')
  await s.mediator.market.append({ type: OP.DISPUTE_PROPOSE, jobId: id, printerPct: 60, note: 'mostly fine', feeScript: (await s.mediator.wallet.nextReceiveAddress()).script })
  t.ok(await eventually(async () => confirmed([s.printer.market, s.client.market], id, j => j.dispute?.stage === 'proposed'), WAIT), 'proposed')
  await s.printer.engine.acceptProposal(id)
  t.ok(await eventually(async () => confirmed([s.client.market], id, j => j.dispute?.acceptedPrinter === true), WAIT), 'the printer accepted')
  // the client "accepts" with its escrow key on the complete payout, and on the cancel
  const job = (await jobOn(s.client.market, id))!.job
  const ctx = escrowContext(job, s.chain.network)
  const client = new Hostile(s.client.market)
  for (const kind of ['complete', 'cancel'] as const) {
    const other = buildFor(ctx, kind, s.chain.network)
    s.client.wallet.signEscrow(other, ctx.id, 'client')
    const i = await client.raw({ type: OP.DISPUTE_ACCEPT, jobId: id, psbt: other.toBuffer() })
    t.is((await client.reached(s.printer.market, i)).type, OP.DISPUTE_ACCEPT, `an accept signed on the ${kind} payout reached the printer`)
  }
  await client.applied(s.printer.market)
  const still = (await jobOn(s.printer.market, id))!.job
  t.is(still.dispute!.stage, 'proposed', 'the dispute is not settled')
  t.is(still.dispute!.acceptedClient, false, 'the client is not recorded as accepting')
  await s.client.market.append({ type: OP.DISPUTE_REJECT, jobId: id, note: 'changed my mind' })
  t.ok(await eventually(async () => confirmed([s.arbitrator.market], id, j => j.dispute?.stage === 'arbitration'), WAIT), 'the client can still reject: to the arbitrator')
  await s.arbitrator.engine.rule(id, 50, 'half each')
  await drive(s.chain, [s.printer.engine, s.client.engine], settledOnChain(s, id))
  const tx = await paidTx(s, (await spentBy(s, job))!)
  const fee = feeOf(tx)
  const arbFee = BigInt(BOUNTY) * 5n / 100n
  t.is(await paidTo(s.chain, tx, funded.escrow!.printer.payoutScript), BigInt(BOUNTY / 2 + DEPOSIT) - arbFee / 2n - fee / 2n, 'printer: half the bounty + deposit − half the arbitration fee − fee share')
  t.is(await paidTo(s.chain, tx, funded.escrow!.client!.payoutScript), BigInt(BOUNTY / 2 + DEPOSIT) - (arbFee - arbFee / 2n) - (fee - fee / 2n), 'client: the same from its side')
})

test('attack 5: fees: a bounty too small for the fee rate is refused with the smallest that works; at that bounty every path pays; a printer naming 500 sat/vB does not make the client overpay', { timeout: 240_000 }, async (t) => {
  const rate = 20
  const s = await escrowSetup(t, { mediator: false, printerCoins: [400_000n, 400_000n], backend: b => Object.assign(Object.create(b) as typeof b, { feeRate: async () => rate }) })
  const terms = { depositPct: 15, arbitrationFeePct: 5, feeRate: rate, maxMediatorFeePct: 5 }
  t.ok(unpayablePath({ ...terms, bountySats: 15_000 }) !== null, 'at 15 000 sats and 20 sat/vB some ruling cannot be paid')
  const small = await post(s, { bountySats: 15_000 })
  await t.exception(s.printer.engine.prepareAccept(small), /too small to escrow at today's fee rate.*smallest bounty/, 'the printer\'s engine refuses, and says which bounty works')
  // a modified client accepts anyway: apply refuses it
  const printer = new Hostile(s.printer.market)
  const coins = (await s.printer.engine.spendable()).slice(0, 1)
  const raw = { pubkey: s.printer.wallet.escrowPubkey('x', 'printer'), payoutScript: (await s.printer.wallet.nextReceiveAddress()).script, changeScript: (await s.printer.wallet.nextChangeAddress()).script, inputs: coins.map(u => ({ txid: b4a.from(u.txid, 'hex'), vout: u.vout, valueSats: Number(u.valueSats), script: b4a.from(u.scriptPubKeyHex, 'hex') })), feeRate: rate }
  const i = await printer.raw({ type: OP.JOB_ACCEPT, jobId: small, escrow: raw })
  t.is((await printer.reached(s.client.market, i)).type, OP.JOB_ACCEPT, 'the raw accept reached the client')
  await printer.applied(s.client.market)
  t.is((await jobOn(s.client.market, small))!.job.status, 'open', 'and was refused: the job is open')

  // the smallest payable bounty: the arbitrator rules 0 % and the ruling is paid with an output for each side
  const min = minPayableBounty(terms)!
  t.ok(min > 15_000 && unpayablePath({ ...terms, bountySats: min }) === null, `the smallest payable bounty at ${rate} sat/vB is ${min} sats`)
  const id = await post(s, { bountySats: min })
  const funded = await fund(s, id)
  await dispute(s, id, 'client')
  await s.arbitrator.engine.rule(id, 0, 'nothing arrived')
  await drive(s.chain, [s.client.engine], settledOnChain(s, id))
  const tx = await paidTx(s, (await spentBy(s, funded))!)
  const dep = BigInt(min) * 15n / 100n
  const fee = feeOf(tx, BigInt(min) + 2n * dep)
  const arbFee = BigInt(min) * 5n / 100n
  t.is(await paidTo(s.chain, tx, funded.escrow!.printer.payoutScript), dep - arbFee - fee / 2n, 'the printer (0 %) still gets an output: deposit − arbitration fee − fee share')
  t.ok(fee / BigInt(tx.virtualSize()) >= BigInt(rate), `the ruling pays ${rate} sat/vB or more (${fee} sats for ${tx.virtualSize()} vB)`)

  // a printer that names 500 sat/vB (this node estimates 20): the client proposes 20, never 500
  const big = await post(s, { bountySats: 1_000_000 })
  const escrow = await s.printer.engine.prepareAccept(big)
  await printer.raw({ type: OP.JOB_ACCEPT, jobId: big, escrow: { ...escrow, feeRate: 500 } })
  const reports = await drive(s.chain, [s.client.engine, s.printer.engine], async () => confirmed([s.client.market], big, j => j.status === 'active'))
  t.ok(reports.some(r => r.action === 'propose' && /more than twice/.test(r.detail ?? '')), 'the client\'s engine says why it proposes its own rate')
  const active = (await jobOn(s.client.market, big))!.job
  t.is(active.escrow!.client!.feeRate, rate, `the funding pays ${rate} sat/vB, the client's estimate`)
  const ftx = bitcoin.Transaction.fromHex((await s.chain.backend.txHex(b4a.toString(active.escrow!.fundingTxid!, 'hex')))!)
  const inSats = active.escrow!.client!.inputs.concat(active.escrow!.printer.inputs).reduce((sum, c) => sum + BigInt(c.valueSats), 0n)
  const ffee = feeOf(ftx, inSats)
  t.ok(Number(ffee) / ftx.virtualSize() < 2 * rate, `the funding's real fee rate is ${(Number(ffee) / ftx.virtualSize()).toFixed(1)} sat/vB`)
})

test('attack 9: an engine finds its escrows through the view\'s index, not by reading every job; a padded signature is stored small', { timeout: 180_000 }, async (t) => {
  const s = await escrowSetup(t, { mediator: false })
  for (let i = 0; i < 200; i++) await s.client.market.append({ type: OP.JOB_CREATE, job: { title: `filler ${i}`, material: 'PLA', colors: [], bountySats: 10_000, country: 'DE', notes: '' } })
  const id = await post(s)
  await accept(s, id)
  // the printer's refund signature, padded with 30 000 bytes the PSBT format allows
  await drive(s.chain, [s.client.engine], async () => confirmed([s.printer.market], id, j => j.escrow?.client != null), WAIT, false)
  const job = (await jobOn(s.printer.market, id))!.job
  const ctx = escrowContext(job, s.chain.network)
  const refund = buildFor(ctx, 'refund', s.chain.network)
  s.printer.wallet.signEscrow(refund, ctx.id, 'printer')
  refund.addUnknownKeyValToGlobal({ key: b4a.from([0xfc, 1, 2, 3]), value: b4a.alloc(30_000, 7) })
  const padded = refund.toBuffer()
  const printer = new Hostile(s.printer.market)
  const i = await printer.raw({ type: OP.ESCROW_SIGN, jobId: id, kind: 'refund', psbt: padded })
  t.ok((await printer.reachedBytes(s.client.market, i)).byteLength > 30_000, `a ${padded.byteLength}-byte signature op reached the client`)
  t.ok(await eventually(async () => confirmed([s.client.market], id, j => sigOf(j.escrow!, 'refund', 'printer') !== undefined), WAIT), 'its signature is valid and taken')
  const stored = sigOf((await jobOn(s.client.market, id))!.job.escrow!, 'refund', 'printer')!
  t.ok(stored.psbt.byteLength < 1000, `the record keeps ${stored.psbt.byteLength} bytes of it: the rebuilt transaction and the signature`)

  const mine = await escrowsOf(s.client.market.view, s.client.market.writerKey)
  t.is(mine.length, 1, 'the client\'s index holds its one escrow (of 201 jobs)')
  let reads = 0
  const getJob = s.client.market.getJob.bind(s.client.market)
  s.client.market.getJob = async (jobId: Uint8Array) => { reads++; return await getJob(jobId) }
  await s.client.engine.step()
  t.ok(reads <= 2, `one engine pass read ${reads} job record(s)`)
  const combined = finalize(combine(bitcoin.Psbt.fromBuffer(b4a.from(stored.psbt)), s.client.engine.signOwn(ctx, 'refund', 'client')))
  t.ok(combined.txid.length === 64, 'the stored signature completes the refund')
})
