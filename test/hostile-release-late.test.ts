// A printer that holds back its completion of a milestone's release and puts the release out after a ruling against
// it (lib/market/release-apply.ts, PROTOCOL.md "Milestones"): the release voids the ruling's transaction, but the
// client's engine reads the printer's signature from the chain and writes it into the record, the record moves to
// the next stage, the arbitrator's engine signs the same ruling again on what the release left locked, and the
// client's engine pays it out. The printer gets the part the client signed, and nothing of the ruling is lost: no
// wait for the lock height, the arbitration fee still taken from the printer's deposit. Real peers on a local testnet,
// a bcoin regtest node.
import test from 'brittle'
import * as bitcoin from 'bitcoinjs-lib'
import { drive, jobOn, WAIT } from './escrow-helpers.js'
import { escrowSetup, fund, confirmed, marketTimeTo, DEPOSIT, BOUNTY, type EscrowSetup, type Party } from './escrow-setup.js'
import { latest, rule, propose, reach, mineTo, type Check } from './vanish.js'
import { shipBy } from '../lib/escrow/record.js'
import { getMediators } from '../lib/disputes/apply.js'
import { Hostile } from './hostile.js'
import { eventually, openBee } from './helpers.js'
import c from 'compact-encoding'
import { OP, encodeOp, decodeOp, jobRecord, type OpBody, type JobRecord, type Milestone, type SignKind } from '../lib/schema.js'
import { getSettings, getJob, putJob, putSettings } from '../lib/market/view.js'
import { getClock, putClock } from '../lib/market/clock.js'
import { escrowContext, buildFor } from '../lib/escrow/context.js'
import { combine, finalize } from '../lib/escrow/psbt-sign.js'
import { applyFaults, applyOp } from '../lib/market/apply.js'
import { stageOf, partSats, releaseFee, RELEASE_HOLD_MS } from '../lib/escrow/milestones.js'
import { sigOf } from '../lib/escrow/record.js'
import { verifySig } from '../lib/escrow/verify.js'
import b4a from 'b4a'
import { toHex, parseEscrowScript } from '../lib/escrow/script.js'
import { unsignedTx } from '../lib/escrow/psbt.js'

const T = { timeout: 600_000 }
const PARTS: Milestone[] = [{ label: 'first layer', pct: 20 }, { label: 'printed', pct: 50 }, { label: 'delivered', pct: 30 }]

async function postParts (s: EscrowSetup): Promise<Uint8Array> {
  const { jobId } = await s.client.market.append({ type: OP.JOB_CREATE, job: { title: 'Parts', material: 'PLA', colors: [], bountySats: BOUNTY, country: 'DE', notes: '' }, milestones: PARTS })
  if (jobId === null || !await eventually(async () => (await jobOn(s.printer.market, jobId))?.job.status === 'open', WAIT)) throw new Error('job did not reach the printer')
  return jobId
}

async function rawOp (s: EscrowSetup, by: Party, op: OpBody): Promise<void> {
  const h = new Hostile(by.market)
  await h.reached(s.indexer, await h.raw(op))
  await h.applied(s.indexer)
}

async function rawSig (s: EscrowSetup, by: Party, job: JobRecord, kind: SignKind, signer: 'client' | 'printer'): Promise<void> {
  const ctx = escrowContext(job, s.chain.network)
  const psbt = buildFor(ctx, kind, s.chain.network)
  s[signer].wallet.signEscrow(psbt, ctx.id, signer)
  await rawOp(s, by, { type: OP.ESCROW_SIGN, jobId: job.id, kind, psbt: psbt.toBuffer() })
}

// A bee holding the market's settings and clock and a copy of `job`, to apply ops to one at a time.
async function copyOf (t: Check, s: EscrowSetup, job: JobRecord): Promise<Awaited<ReturnType<typeof openBee>>> {
  const bee = await openBee(t)
  const b = bee.batch()
  await putSettings(b, await getSettings(s.indexer.view))
  await putClock(b, await getClock(s.indexer.view))
  await putJob(b, null, job)
  await b.flush()
  return bee
}

// The printer's own release of the stage, completed with the client's signature from the record and put out on the
// printer's node, without a word to the market.
async function putOutRelease (s: EscrowSetup, job: JobRecord): Promise<string> {
  const ctx = escrowContext(job, s.chain.network)
  const own = buildFor(ctx, 'release', s.chain.network)
  s.printer.wallet.signEscrow(own, ctx.id, 'printer')
  const tx = finalize(combine(s.printer.engine.verified(ctx, sigOf(ctx.e, 'release', 'client')!, 'client'), own))
  await s.chain.backend.broadcast(tx.hex)
  await s.chain.mine(1)
  return tx.txid
}

// A market (with or without a mediator) and a funded job in three parts whose client asked for and signed the release
// of milestone 1, which the (modified) printer never completes in the market; market time is past the ask's hold.
async function heldRelease (t: Check, mediator: boolean): Promise<{ s: EscrowSetup, id: Uint8Array, faults: number }> {
  const s = await escrowSetup(t, { mediator, clientCoins: [400_000n, 400_000n], printerCoins: [60_000n] })
  const faults = applyFaults.count
  const id = await postParts(s)
  await fund(s, id)
  await drive(s.chain, [s.printer.engine], async () => confirmed([s.indexer], id, j => sigOf(j.escrow!, 'next-refund', 'printer') !== undefined))
  await rawSig(s, s.client, await latest(s, id), 'next-refund', 'client')
  const asked = await latest(s, id)
  await rawSig(s, s.client, asked, 'release', 'client')
  if (sigOf((await latest(s, id)).escrow!, 'release', 'client') === undefined) throw new Error('the client\'s release was not taken')
  await marketTimeTo(s, asked.releaseAskedAt! + RELEASE_HOLD_MS)
  return { s, id, faults }
}

test('hostile release: a printer that puts a held-back release out after the ruling against it voids nothing: the record follows the chain, the arbitrator signs the ruling again, the client is paid', T, async (t: Check) => {
  const { s, id, faults } = await heldRelease(t, false)
  await rawOp(s, s.client, { type: OP.JOB_DISPUTE, jobId: id, reason: 'the printer went quiet' })
  t.is((await latest(s, id)).status, 'disputed', 'past the hold the client\'s dispute is taken')
  await rule(s, id, 0)
  const ruled = await latest(s, id)
  t.ok(sigOf(ruled.escrow!, 'ruling', 'arbitrator') !== undefined, 'the arbitrator ruled for the client (0 % to the printer)')
  const voided = toHex(sigOf(ruled.escrow!, 'ruling', 'arbitrator')!.txid)

  // before any party pays the ruling out, the printer puts its release out
  const releaseTxid = await putOutRelease(s, ruled)
  t.ok((await s.chain.backend.txStatus(releaseTxid)).confirmed, 'the printer\'s release is confirmed: the ruling\'s transaction can no longer be paid')

  // the printer stays away; the client's and the arbitrator's engines carry on
  const reports = await drive(s.chain, [s.client.engine, s.arbitrator.engine], async () => confirmed([s.indexer], id, j => j.escrow?.closed?.kind === 'ruling'), 120_000)
  t.ok(reports.some(r => r.action === 'sign' && r.kind === 'release' && r.txid === releaseTxid), 'the client\'s engine wrote the printer\'s release signature, read from the chain, into the record')
  t.ok(reports.some(r => r.action === 'sign' && r.kind === 'ruling' && /signs the same ruling/.test(r.detail ?? '')), 'the arbitrator\'s engine signed its ruling again')
  const done = await latest(s, id)
  t.is(stageOf(done), 1, 'the record moved to the next stage')
  t.is(done.status, 'cancelled', 'the job closed by the ruling (0 % to the printer)')
  t.ok(done.history.some(h => /ruling signatures are void/.test(h.note)), 'its history says the old stage\'s ruling signature is void')
  const paidTxid = toHex(done.escrow!.closed!.txid)
  t.ok(paidTxid !== voided, 'the ruling paid is not the one the release voided')

  // on chain: the ruling spends what the release left locked, with the amounts of stage 1
  const hex = await s.chain.backend.txHex(paidTxid)
  const tx = bitcoin.Transaction.fromHex(hex!)
  t.is(tx.ins.length, 1, 'the ruling has one input')
  t.alike([Buffer.from(tx.ins[0].hash).reverse().toString('hex'), tx.ins[0].index], [releaseTxid, 0], 'it spends the release\'s escrow output')
  t.ok((await s.chain.backend.txStatus(paidTxid)).confirmed, 'and is confirmed')
  const part = partSats(BigInt(BOUNTY), PARTS, 1)
  const locked = BigInt(BOUNTY) - part
  const arbFee = locked * 5n / 100n // arbitrationFeePct 5, of what is still locked
  const total = locked + 2n * BigInt(DEPOSIT)
  const fee = total - tx.outs.reduce((a, o) => a + BigInt(o.value), 0n)
  const printerFee = fee / 2n
  const clientFee = fee - printerFee
  const e = done.escrow!
  const valueTo = (script: Uint8Array): bigint => BigInt(tx.outs.find(o => Buffer.from(o.script).equals(Buffer.from(script)))?.value ?? -1)
  t.is(valueTo(e.client!.payoutScript), locked + BigInt(DEPOSIT) - clientFee, `the client gets the ${locked} sats still locked and its deposit, less its half of the miner fee`)
  t.is(valueTo(e.printer.payoutScript), BigInt(DEPOSIT) - arbFee - printerFee, 'the printer pays the arbitration fee from its deposit, as ruled')
  const rel = bitcoin.Transaction.fromHex((await s.chain.backend.txHex(releaseTxid))!)
  const relFee = releaseFee(escrowContext(ruled, s.chain.network).payout.feeRate)
  t.alike([BigInt(rel.outs[0].value), BigInt(rel.outs[1].value)], [total, part - relFee], `the release left ${total} sats locked and paid the printer milestone 1 (${part} sats) less its ${relFee}-sat fee: the part the client signed`)
  t.is(applyFaults.count - faults, 0, 'no handler threw')
})

test('hostile release: a release put out after the printer\'s ship voids its own completion payout: the record follows it, the printer signs its payout again, the client completes; nobody but a party can write the relayed signature', T, async (t: Check) => {
  const { s, id, faults } = await heldRelease(t, false)
  // past the hold the printer ships on the old stage (its ship carries its completion payout's signature) and then
  // puts out the release it held back
  const x = escrowContext(await latest(s, id), s.chain.network)
  const complete = buildFor(x, 'complete', s.chain.network)
  s.printer.wallet.signEscrow(complete, x.id, 'printer')
  await rawOp(s, s.printer, { type: OP.JOB_SHIP, jobId: id, note: 'posted', psbt: complete.toBuffer() })
  const shipped = await latest(s, id)
  t.is(shipped.status, 'shipped', 'the printer shipped past the hold')
  await rawSig(s, s.printer, shipped, 'release', 'printer')
  t.is(stageOf(await latest(s, id)), 0, 'its own completion after its ship (a payout signed) is refused')
  const releaseTxid = await putOutRelease(s, shipped)

  // nobody but the job's parties may write the printer's signature into the record: 10 000 fresh keys and the
  // arbitrator, each on a copy of the record
  const ctx = escrowContext(shipped, s.chain.network)
  const relay = buildFor(ctx, 'release', s.chain.network)
  s.printer.wallet.signEscrow(relay, ctx.id, 'printer')
  const bee = await copyOf(t, s, shipped)
  let taken = 0
  for (let i = 0; i <= 10_000; i++) {
    const key = Buffer.alloc(32)
    key.writeUInt32BE(i + 1, 0)
    const bt = bee.batch()
    if (await applyOp(bt, decodeOp(encodeOp({ type: OP.ESCROW_SIGN, jobId: id, kind: 'release', psbt: relay.toBuffer() }, Date.now())), i === 10_000 ? s.arbitrator.market.writerKey : key, i + 1)) taken++
    await bt.flush()
  }
  t.is(taken, 0, 'none of 10 000 fresh keys, nor the arbitrator, writing the printer\'s release signature is taken')
  t.alike(c.encode(jobRecord, (await getJob(bee, id))!), c.encode(jobRecord, shipped), 'the copy of the record is byte for byte what it was')
  const bt = bee.batch()
  t.ok(await applyOp(bt, decodeOp(encodeOp({ type: OP.ESCROW_SIGN, jobId: id, kind: 'release', psbt: relay.toBuffer() }, Date.now())), shipped.client, 10_002), 'control: the client\'s relay of it is taken on that copy')
  await bt.flush()
  t.is(stageOf((await getJob(bee, id))!), 1, 'and moves that copy to the next stage')

  // the client's engine reads the signature from the chain and the record moves on
  const reports = await drive(s.chain, [s.client.engine], async () => confirmed([s.indexer], id, j => stageOf(j) === 1))
  t.ok(reports.some(r => r.action === 'sign' && r.kind === 'release' && r.txid === releaseTxid), 'the client\'s engine relayed the release from the chain')
  const moved = await latest(s, id)
  t.alike([stageOf(moved), moved.status], [1, 'shipped'], 'the next stage, still shipped')
  t.absent(sigOf(moved.escrow!, 'complete', 'printer'), 'the printer\'s completion payout of the old stage is dropped')
  t.ok(moved.history.some(h => /complete signatures are void/.test(h.note)), 'its history says so')
  t.ok(await s.client.engine.complete(id).then(() => false, (err: Error) => /payout signature is missing/.test(err.message)), 'the client\'s `job complete` says the printer\'s payout signature is missing')
  // the printer signs its completion payout again, on the next stage's output; once only
  await rawSig(s, s.printer, moved, 'complete', 'printer')
  const again = await latest(s, id)
  t.ok(sigOf(again.escrow!, 'complete', 'printer') !== undefined, 'the printer\'s completion payout of the next stage is taken')
  await rawSig(s, s.printer, moved, 'complete', 'printer')
  t.is((await latest(s, id)).rev, again.rev, 'a second one is refused')
  const { txid } = await s.client.engine.complete(id)
  await drive(s.chain, [s.client.engine], async () => confirmed([s.indexer], id, j => j.status === 'completed'))
  const paid = bitcoin.Transaction.fromHex((await s.chain.backend.txHex(txid))!)
  t.alike([Buffer.from(paid.ins[0].hash).reverse().toString('hex'), paid.ins[0].index], [releaseTxid, 0], 'the client\'s completion pays out what the release left locked')
  t.is(applyFaults.count - faults, 0, 'no handler threw')
})

test('hostile release: a release put out after both accepted the mediator\'s split sends the dispute to the arbitrator, whose ruling is paid on what is still locked; the mediator\'s record counts the split once', T, async (t: Check) => {
  const { s, id, faults } = await heldRelease(t, true)
  await rawOp(s, s.client, { type: OP.JOB_DISPUTE, jobId: id, reason: 'the printer went quiet' })
  await propose(s, id, 40)
  await s.client.engine.acceptProposal(id)
  await reach([s.printer.market], id, j => sigOf(j.escrow!, 'split', 'client') !== undefined, 'the client\'s accept reached the printer')
  await s.printer.engine.acceptProposal(id)
  await reach([s.indexer], id, j => j.dispute?.stage === 'settled', 'both accepted the split')
  const settled = await latest(s, id)
  const releaseTxid = await putOutRelease(s, settled)

  await drive(s.chain, [s.client.engine], async () => confirmed([s.indexer, s.arbitrator.market], id, j => stageOf(j) === 1))
  const moved = await latest(s, id)
  t.alike([stageOf(moved), moved.status, moved.dispute?.stage, moved.dispute?.escalation], [1, 'disputed', 'arbitration', 'rejected'], 'the record follows the release; the split of the old stage\'s amounts goes to the arbitrator')
  t.absent(sigOf(moved.escrow!, 'split', 'client') ?? sigOf(moved.escrow!, 'split', 'printer'), 'the split signatures are dropped')
  await rule(s, id, 40)
  const reports = await drive(s.chain, [s.client.engine, s.arbitrator.engine], async () => confirmed([s.indexer], id, j => j.escrow?.closed?.kind === 'ruling'), 120_000)
  t.ok(reports.some(r => r.action === 'broadcast' && r.kind === 'ruling'), 'the client\'s engine paid the ruling out')
  const done = await latest(s, id)
  const tx = bitcoin.Transaction.fromHex((await s.chain.backend.txHex(toHex(done.escrow!.closed!.txid)))!)
  t.alike([Buffer.from(tx.ins[0].hash).reverse().toString('hex'), tx.ins[0].index], [releaseTxid, 0], 'the ruling spends what the release left locked')
  const m = (await getMediators(s.indexer.view)).find(x => Buffer.from(x.key).equals(Buffer.from(s.mediator.market.writerKey)))!
  t.alike([m.accepted, m.overturned, m.upheld], [1, 0, 0], 'the mediator\'s record: one split accepted, the ruling after the release counts neither for nor against it')
  t.is(applyFaults.count - faults, 0, 'no handler threw')
})

// A deal with a lead time (the printer's quote, offered back and accepted) in three parts, funded, the printer's next
// refund in, the client's release of milestone 1 signed and never completed by the printer.
async function heldDeal (t: Check): Promise<{ s: EscrowSetup, id: Uint8Array, faults: number }> {
  const s = await escrowSetup(t, { mediator: false, clientCoins: [400_000n, 400_000n], printerCoins: [60_000n] })
  const faults = applyFaults.count
  const id = await postParts(s)
  await s.printer.market.append({ type: OP.JOB_QUOTE, jobId: id, priceSats: BOUNTY, leadDays: 2, material: null, colors: [], note: '' })
  await reach([s.client.market], id, j => j.quotes === 1, 'the quote reached the client')
  await s.client.market.append({ type: OP.JOB_OFFER, jobId: id, printer: s.printer.market.writerKey, priceSats: BOUNTY, leadDays: 2, material: null, colors: [] })
  await reach([s.printer.market], id, j => j.offer !== null, 'the offer reached the printer')
  const job = (await jobOn(s.printer.market, id))!.job
  await s.printer.market.append({ type: OP.JOB_ACCEPT, jobId: id, escrow: await s.printer.engine.prepareAccept(id), priceSats: BOUNTY, termsRev: job.rev })
  await drive(s.chain, [s.client.engine, s.printer.engine], async () => confirmed([s.indexer], id, j => j.status === 'active' && sigOf(j.escrow!, 'next-refund', 'printer') !== undefined))
  await rawSig(s, s.client, await latest(s, id), 'next-refund', 'client')
  await rawSig(s, s.client, await latest(s, id), 'release', 'client')
  return { s, id, faults }
}

test('hostile release: a printer past ship-by that puts out a held-back release does not escape the client\'s cancel: the cancel stands through the stage move (no ship, no dispute), the client\'s engine signs it again, the arbitrator co-signs, everyone is paid back', T, async (t: Check) => {
  const { s, id, faults } = await heldDeal(t)
  const by = shipBy(await latest(s, id))!
  await marketTimeTo(s, by)
  await s.client.engine.requestCancel(id)
  await reach([s.indexer], id, j => sigOf(j.escrow!, 'cancel', 'client') !== undefined, 'the client\'s cancel reached the indexer')
  const cancelled = await latest(s, id)
  const releaseTxid = await putOutRelease(s, cancelled)

  // the client's engine relays the release; the record moves on with the client's cancel voided but standing
  const relayed = await drive(s.chain, [s.client.engine], async () => confirmed([s.indexer], id, j => stageOf(j) === 1))
  const moved = await latest(s, id)
  const resigned = sigOf(moved.escrow!, 'cancel', 'client')
  t.alike([stageOf(moved), moved.status], [1, 'active'], 'the next stage, active')
  t.ok(resigned === undefined ? moved.cancelVoided === 1 : !b4a.equals(resigned.txid, sigOf(cancelled.escrow!, 'cancel', 'client')!.txid), 'the client\'s cancel marked as standing (or already signed again by its engine on the next stage)')
  // the printer ships or disputes at once: refused, whether the client's engine signed its cancel again yet or not
  const x = escrowContext(moved, s.chain.network)
  const complete = buildFor(x, 'complete', s.chain.network)
  s.printer.wallet.signEscrow(complete, x.id, 'printer')
  await rawOp(s, s.printer, { type: OP.JOB_SHIP, jobId: id, note: 'posted', psbt: complete.toBuffer() })
  await rawOp(s, s.printer, { type: OP.JOB_DISPUTE, jobId: id, reason: 'stall' })
  t.is((await latest(s, id)).status, 'active', 'the printer\'s ship and dispute after the move are refused')
  // the same on a copy of the moved record as apply left it, the mark in and no cancel signature: the mark alone
  // refuses them
  const bee = await copyOf(t, s, { ...moved, cancelVoided: 1, escrow: { ...moved.escrow!, sigs: moved.escrow!.sigs.filter(x => x.kind !== 'cancel') } })
  for (const op of [{ type: OP.JOB_SHIP, jobId: id, note: 'posted', psbt: complete.toBuffer() }, { type: OP.JOB_DISPUTE, jobId: id, reason: 'stall' }] as OpBody[]) {
    const bt = bee.batch()
    t.absent(await applyOp(bt, decodeOp(encodeOp(op, Date.now())), s.printer.market.writerKey, 1), `on a copy with no cancel signature the printer's ${op.type === OP.JOB_SHIP ? 'ship' : 'dispute'} is refused all the same`)
    await bt.flush()
  }

  const reports = [...relayed, ...await drive(s.chain, [s.client.engine, s.arbitrator.engine], async () => confirmed([s.indexer], id, j => j.escrow?.closed?.kind === 'cancel'), 120_000)]
  t.ok(reports.some(r => r.action === 'sign' && r.kind === 'cancel' && r.detail === undefined), 'the client\'s engine signed its cancel again on the next stage')
  t.ok(reports.some(r => r.action === 'sign' && r.kind === 'cancel' && /ship-by/.test(r.detail ?? '')), 'the arbitrator\'s engine co-signed it')
  const done = await latest(s, id)
  t.alike([done.status, done.cancelVoided], ['cancelled', 0], 'the job is cancelled; the mark is gone with the new signature')
  const tx = bitcoin.Transaction.fromHex((await s.chain.backend.txHex(toHex(done.escrow!.closed!.txid)))!)
  t.alike([Buffer.from(tx.ins[0].hash).reverse().toString('hex'), tx.ins[0].index], [releaseTxid, 0], 'the cancel pays out what the release left locked')
  const part = partSats(BigInt(BOUNTY), PARTS, 1)
  const fee = BigInt(BOUNTY) - part + 2n * BigInt(DEPOSIT) - tx.outs.reduce((a, o) => a + BigInt(o.value), 0n)
  const valueTo = (script: Uint8Array): bigint => BigInt(tx.outs.find(o => Buffer.from(o.script).equals(Buffer.from(script)))?.value ?? -1)
  t.is(valueTo(done.escrow!.client!.payoutScript), BigInt(BOUNTY) - part + BigInt(DEPOSIT) - (fee - fee / 2n), 'the client gets back what was locked and its deposit, less its half of the fee')
  t.is(valueTo(done.escrow!.printer.payoutScript), BigInt(DEPOSIT) - fee / 2n, 'the printer gets its deposit back, less its half')
  t.is(applyFaults.count - faults, 0, 'no handler threw')
})

test('hostile release: the printer\'s own completion after the hold is refused once the stage\'s refund went home (one party\'s claim), so the record never moves to a stage whose output cannot exist', T, async (t: Check) => {
  const { s, id, faults } = await heldRelease(t, false)
  await mineTo(s, escrowContext(await latest(s, id), s.chain.network).client.lockHeight)
  await drive(s.chain, [s.client.engine], async () => confirmed([s.indexer], id, j => j.claims.some(c => c.kind === 'refund' && c.role === 'client')), 120_000)
  const refunded = await latest(s, id)
  t.is(refunded.status, 'active', 'the stage\'s refund went out and the client claimed it: the job stays active on one claim')
  await rawSig(s, s.printer, refunded, 'release', 'printer')
  const after = await latest(s, id)
  t.alike([stageOf(after), after.rev], [0, refunded.rev], 'the printer\'s own late completion is refused: the record is unchanged')
  t.is(applyFaults.count - faults, 0, 'no handler threw')
})

test('hostile release: a printer that claims the ruling paid on its own word, then puts out its release signed SIGHASH_ALL|ANYONECANPAY, voids nothing: its claim is refused while it holds the completion, the client\'s engine relays the signature whatever its hash type', T, async (t: Check) => {
  const { s, id, faults } = await heldRelease(t, false)
  await rawOp(s, s.client, { type: OP.JOB_DISPUTE, jobId: id, reason: 'the printer went quiet' })
  await rule(s, id, 0)
  await rawSig(s, s.printer, await latest(s, id), 'ruling', 'printer')
  const agreed = await latest(s, id)
  const ruling = sigOf(agreed.escrow!, 'ruling', 'printer')
  t.ok(ruling !== undefined, 'the printer countersigned the ruling against it: the ruling is fully signed')
  await rawOp(s, s.printer, { type: OP.ESCROW_PAID, jobId: id, kind: 'ruling', txid: ruling!.txid })
  const claimed = await latest(s, id)
  t.alike([claimed.status, claimed.escrow!.closed], ['disputed', null], 'the printer\'s claim that the ruling was paid (nothing is on chain) is refused while it holds the client\'s release uncompleted')

  // consensus takes any last byte as a segwit signature's hash type, so a miner may take a release signed under one
  // no node relays: the client's relay of such a signature is taken all the same (on a copy of the record), and
  // nowhere else is a signature other than SIGHASH_ALL
  const ctx = escrowContext(claimed, s.chain.network)
  for (const byte of [0x00, 0x04, 0x84]) {
    const p = buildFor(ctx, 'release', s.chain.network)
    const d = p.data.inputs[0]
    const key = s.printer.wallet.escrowKey(ctx.id, 'printer')
    const h = unsignedTx(p).hashForWitnessV0(0, d.witnessScript!, (d.witnessUtxo as { value: bigint }).value, byte)
    const der = bitcoin.script.signature.encode(key.sign(h), bitcoin.Transaction.SIGHASH_ALL)
    p.updateInput(0, { partialSig: [{ pubkey: key.publicKey, signature: b4a.concat([der.subarray(0, -1), b4a.from([byte])]) }] })
    t.ok(verifySig(claimed, 'release', 'printer', p.toBuffer()) === null && verifySig(claimed, 'release', 'printer', p.toBuffer(), { fromChain: true }) !== null, `hash type 0x${byte.toString(16).padStart(2, '0')}: refused as a signature of the printer's own, taken as one read from the chain`)
    const bee = await copyOf(t, s, claimed)
    const bt = bee.batch()
    await applyOp(bt, decodeOp(encodeOp({ type: OP.ESCROW_SIGN, jobId: id, kind: 'release', psbt: p.toBuffer() }, Date.now())), claimed.client, 1)
    await bt.flush()
    t.is(stageOf((await getJob(bee, id))!), 1, `and the client's relay of it moves a copy of the record to the next stage`)
  }

  // the release, with the printer's signature under SIGHASH_ALL|ANYONECANPAY (consensus takes it)
  const psbt = buildFor(ctx, 'release', s.chain.network)
  const input = psbt.data.inputs[0]
  const release = unsignedTx(psbt)
  const hashType = bitcoin.Transaction.SIGHASH_ALL | bitcoin.Transaction.SIGHASH_ANYONECANPAY
  const key = s.printer.wallet.escrowKey(ctx.id, 'printer')
  const hash = release.hashForWitnessV0(0, input.witnessScript!, (input.witnessUtxo as { value: bigint }).value, hashType)
  const theirs = s.printer.engine.verified(ctx, sigOf(ctx.e, 'release', 'client')!, 'client').data.inputs[0].partialSig![0]
  const sigs = [{ pubkey: theirs.pubkey, signature: theirs.signature }, { pubkey: key.publicKey, signature: bitcoin.script.signature.encode(key.sign(hash), hashType) }]
  const order = parseEscrowScript(input.witnessScript!)!.map(k => Buffer.from(k).toString('hex'))
  sigs.sort((a, b) => order.indexOf(Buffer.from(a.pubkey).toString('hex')) - order.indexOf(Buffer.from(b.pubkey).toString('hex')))
  release.ins[0].witness = [new Uint8Array(0), ...sigs.map(x => x.signature), input.witnessScript!]
  await s.chain.backend.broadcast(release.toHex())
  await s.chain.mine(1)
  t.ok((await s.chain.backend.txStatus(release.getId())).confirmed, 'the release is confirmed')

  await drive(s.chain, [s.client.engine, s.arbitrator.engine], async () => confirmed([s.indexer], id, j => j.escrow?.closed?.kind === 'ruling'), 120_000)
  const done = await latest(s, id)
  t.alike([stageOf(done), done.status], [1, 'cancelled'], 'the client\'s engine relayed it, the arbitrator signed again, the ruling is paid on the next stage')
  const kept = done.releases![0].sigs.find(x => x.kind === 'release' && x.role === 'printer')
  t.ok(kept !== undefined && (await s.chain.backend.txStatus(toHex(done.escrow!.closed!.txid))).confirmed, 'the printer\'s relayed signature is in the record and the ruling is confirmed')
  t.is(applyFaults.count - faults, 0, 'no handler threw')
})
