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
import { escrowContext, buildFor, psbtOf } from '../lib/escrow/context.js'
import { buildPayout } from '../lib/escrow/psbt.js'
import { finalize, combine } from '../lib/escrow/psbt-sign.js'
import { sigOf } from '../lib/escrow/record.js'
import { unpayablePath, minPayableBounty, keyBindingHash } from '../lib/escrow/verify.js'
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

test('attack 3: a funding double-spent after both signed, then claimed: the job shows active on the client\'s word, the printer\'s ship refuses, its coins stay its own', { timeout: 180_000 }, async (t) => {
  const s = await escrowSetup(t, { mediator: false })
  const id = await post(s)
  await accept(s, id)
  // the client's engine proposes, the printer's signs the refund, the client's signs the refund and its funding
  // inputs; then the client spends its coin elsewhere
  await drive(s.chain, [s.client.engine], async () => confirmed([s.printer.market], id, j => j.escrow?.client != null), WAIT, false)
  await drive(s.chain, [s.printer.engine], async () => confirmed([s.client.market], id, j => sigOf(j.escrow!, 'refund', 'printer') !== undefined), WAIT, false)
  await drive(s.chain, [s.client.engine], async () => confirmed([s.printer.market], id, j => sigOf(j.escrow!, 'funding', 'client') !== undefined), WAIT, false)
  // the printer's engine checks the client's coins once more and signs its funding inputs
  // (stop on the printer's own view of its signature, before a next pass could broadcast the funding)
  await drive(s.chain, [s.printer.engine], async () => sigOf((await jobOn(s.printer.market, id))!.job.escrow!, 'funding', 'printer') !== undefined, WAIT, false)
  t.ok(await eventually(async () => confirmed([s.client.market], id, j => sigOf(j.escrow!, 'funding', 'printer') !== undefined), WAIT), 'both funding signatures are in the record')
  const job = (await jobOn(s.client.market, id))!.job
  const coin = job.escrow!.client!.inputs[0]
  const spend = new bitcoin.Psbt({ network: s.chain.network })
  spend.addInput({ hash: b4a.from(coin.txid).reverse(), index: coin.vout, witnessUtxo: { script: coin.script, value: BigInt(coin.valueSats) } })
  spend.addOutput({ script: (await s.client.wallet.nextReceiveAddress()).script, value: BigInt(coin.valueSats) - 1000n })
  s.client.wallet.signPsbt(spend, [0])
  await s.chain.backend.broadcast(finalize(spend).hex)
  await s.chain.mine(1)
  // the printer's engine fails to broadcast the funding; the client claims it funded anyway
  const reports = await drive(s.chain, [s.printer.engine], async () => false, 2000, false).catch(() => [] as Awaited<ReturnType<typeof drive>>)
  const after = (await jobOn(s.client.market, id))!.job
  const ctx = escrowContext(after, s.chain.network)
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
  // 200 other jobs (a client may hold 20 open at once: these are posted and cancelled)
  for (let i = 0; i < 200; i++) {
    const { jobId } = await s.client.market.append({ type: OP.JOB_CREATE, job: { title: `filler ${i}`, material: 'PLA', colors: [], bountySats: 10_000, country: 'DE', notes: '' } })
    await s.client.market.append({ type: OP.JOB_CANCEL, jobId: jobId! })
  }
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
  t.ok(stored.psbt.byteLength < 200, `the record keeps ${stored.psbt.byteLength} bytes of it: the signature and its key`)

  const mine = await escrowsOf(s.client.market.view, s.client.market.writerKey)
  t.is(mine.length, 1, 'the client\'s index holds its one escrow (of 201 jobs)')
  let reads = 0
  const getJob = s.client.market.getJob.bind(s.client.market)
  s.client.market.getJob = async (jobId: Uint8Array) => { reads++; return await getJob(jobId) }
  await s.client.engine.step()
  t.ok(reads <= 2, `one engine pass read ${reads} job record(s)`)
  const combined = finalize(combine(psbtOf(stored, ctx, s.chain.network), s.client.engine.signOwn(ctx, 'refund', 'client')))
  t.ok(combined.txid.length === 64, 'the stored signature completes the refund')
})

test('attack 10 (review): a printer copies its client\'s escrow into a job of its own, to have it ruled there: the copied key is not bound to that job; the real job pays out', { timeout: 240_000 }, async (t) => {
  const s = await escrowSetup(t, { mediator: false })
  const id = await post(s)
  const funded = await fund(s, id)
  // the printer's second identity (here the unnamed mediator's peer) posts a job X with the same bounty
  const accomplice = new Hostile(s.mediator.market)
  const printer = new Hostile(s.printer.market)
  const { jobId: x } = await s.mediator.market.append({ type: OP.JOB_CREATE, job: { title: 'decoy', material: 'PLA', colors: [], bountySats: BOUNTY, country: 'DE', notes: '' } })
  t.ok(await eventually(async () => (await jobOn(s.printer.market, x!))?.job.status === 'open', WAIT), 'the decoy job reached the printer')
  // the printer accepts X with its own side of the real escrow (its own key: it can bind that one to X)
  const mine = funded.escrow!.printer
  const ownKey = s.printer.wallet.escrowKey(escrowContext(funded, s.chain.network).id, 'printer')
  await printer.raw({ type: OP.JOB_ACCEPT, jobId: x!, escrow: { ...mine, keyProof: ownKey.sign(keyBindingHash(x!, printer.key, 'printer')) } })
  t.ok(await eventually(async () => confirmed([s.mediator.market], x!, j => j.status === 'accepted'), WAIT), 'X accepted with the printer\'s real escrow key')
  // the accomplice proposes X with the client's side of the real escrow: the client's proof from the log is bound
  // to the real job and the client's writer key, not to X and the accomplice
  const theirs = funded.escrow!.client!
  let logged: Uint8Array | null = null
  for (let i = 0; i < s.client.market.base.local.length; i++) {
    const op = await new Hostile(s.client.market).reached(s.indexer, i).catch(() => null)
    if (op !== null && op.type === OP.ESCROW_PROPOSE && b4a.equals(op.jobId, id)) logged = op.escrow.keyProof ?? null
  }
  t.ok(logged !== null, 'the client\'s proof is public in its log')
  for (const keyProof of [logged, null, b4a.alloc(64, 1)]) {
    const i = await accomplice.raw({ type: OP.ESCROW_PROPOSE, jobId: x!, escrow: { ...theirs, keyProof } })
    t.is((await accomplice.reached(s.printer.market, i)).type, OP.ESCROW_PROPOSE, 'a copied proposal reached the printer')
  }
  await accomplice.applied(s.printer.market)
  t.is((await jobOn(s.printer.market, x!))!.job.escrow!.client, null, 'none was taken: X has no client side, no funding, nothing to rule')
  // the real job goes on and pays out as agreed
  await ship(s, id)
  const { txid } = await s.client.engine.complete(id)
  const tx = await paidTx(s, txid)
  const fee = feeOf(tx)
  t.is(await paidTo(s.chain, tx, funded.escrow!.client!.payoutScript), BigInt(DEPOSIT) - (fee - fee / 2n), 'the client gets its deposit back from the real escrow')
  t.is(await paidTo(s.chain, tx, funded.escrow!.printer.payoutScript), BigInt(BOUNTY + DEPOSIT) - fee / 2n, 'the printer is paid for the real job')
})

test('attack 11 (review): an acceptance with coins that do not exist: the client\'s engine signs nothing, the acceptance lapses, its coins are free again', { timeout: 180_000 }, async (t) => {
  const s = await escrowSetup(t, { mediator: false, settings: { fundingTimeoutSecs: 600 } })
  const id = await post(s)
  const escrow = await s.printer.engine.prepareAccept(id)
  const fake = { ...escrow, inputs: escrow.inputs.map(c => ({ ...c, txid: b4a.alloc(32, 7) })) }
  const printer = new Hostile(s.printer.market)
  const i = await printer.raw({ type: OP.JOB_ACCEPT, jobId: id, escrow: fake })
  t.is((await printer.reached(s.client.market, i)).type, OP.JOB_ACCEPT, 'the accept with made-up coins reached the client')
  t.ok(await eventually(async () => confirmed([s.client.market], id, j => j.status === 'accepted'), WAIT), 'apply cannot tell: accepted')
  // the printer's side signs the refund as if all were well; the client's engine checks the coins on its node
  await drive(s.chain, [s.client.engine], async () => confirmed([s.printer.market], id, j => j.escrow?.client != null), WAIT, false)
  const job = (await jobOn(s.printer.market, id))!.job
  const ctx = escrowContext(job, s.chain.network)
  const refund = buildFor(ctx, 'refund', s.chain.network)
  s.printer.wallet.signEscrow(refund, ctx.id, 'printer')
  await printer.raw({ type: OP.ESCROW_SIGN, jobId: id, kind: 'refund', psbt: refund.toBuffer() })
  const reports = await drive(s.chain, [s.client.engine], async () => s.client.engine.refused.size > 0, WAIT, false)
  t.ok(reports.some(r => r.action === 'refuse' && /not confirmed on this node's chain/.test(r.detail ?? '')), 'the client\'s engine refuses: the printer\'s coin is not on its chain')
  t.absent((await jobOn(s.printer.market, id))!.job.escrow!.sigs.some(x => x.role === 'client'), 'the client signed nothing')
  s.clock.skew = 601_000
  await drive(s.chain, [s.client.engine], async () => confirmed([s.client.market], id, j => j.status === 'open'), WAIT, false)
  t.pass('after the funding timeout the client\'s engine lapses the acceptance: the job is open again')
  s.clock.skew = 600_000 + 3_600_000 + 1000 // an hour past the timeout, when the reservation of its coins ends
  const before = (await s.client.wallet.balance(s.chain.backend)).confirmedSats
  const free = await s.client.engine.spendable()
  t.is(free.reduce((sum, u) => sum + Number(u.valueSats), 0), Number(before), 'every coin of the client\'s is free for the next escrow')
})

test('attack 12 (review): a post-dated acceptance cannot hold the client\'s coins for centuries: its funding timeout starts on market time, whatever time the printer wrote', { timeout: 180_000 }, async (t) => {
  const s = await escrowSetup(t, { mediator: false })
  const id = await post(s)
  const escrow = await s.printer.engine.prepareAccept(id)
  const printer = new Hostile(s.printer.market)
  const at = Date.now() + 200 * 365 * 86_400_000
  const before = await s.client.market.time()
  const i = await printer.raw({ type: OP.JOB_ACCEPT, jobId: id, escrow }, at)
  t.is((await printer.reached(s.client.market, i)).at, at, 'an accept dated 200 years ahead reached the client')
  t.ok(await eventually(async () => confirmed([s.client.market], id, j => j.status === 'accepted'), WAIT), 'accepted')
  const job = (await jobOn(s.client.market, id))!.job
  const after = await s.client.market.time()
  t.ok(job.escrow!.acceptedAt >= before && job.escrow!.acceptedAt <= after, `the acceptance is timed on market time (${new Date(job.escrow!.acceptedAt).toISOString()}), not on the ${new Date(at).getUTCFullYear()} the printer wrote`)
  t.is(job.history.at(-1)!.at, at, 'the printer\'s own stated time is still shown in the history')
  const reports = await drive(s.chain, [s.client.engine, s.printer.engine], async () => confirmed([s.client.market], id, j => j.status === 'active'))
  t.ok(reports.some(r => r.action === 'propose'), 'the client\'s engine funds it as any other: its coins are held until market time passes the timeout')
})
