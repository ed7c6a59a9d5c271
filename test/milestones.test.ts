// Milestones (issue 15, "pay as you go"): a job whose bounty is split into parts. Funded once; each release pays its
// part to the printer and keeps the rest locked in the same 2-of-3 escrow with a fresh refund; completion, a cancel,
// a ruling or the refund apply only to what is still locked. Real regtest node, real peers; amounts to the satoshi.
import test from 'brittle'
import * as bitcoin from 'bitcoinjs-lib'
import b4a from 'b4a'
import { drive, jobOn, paidTo } from './escrow-helpers.js'
import { escrowSetup, fund, ship, confirmed, dispute, BOUNTY, DEPOSIT, type EscrowSetup } from './escrow-setup.js'
import { latest, vanish, mineTo, did, reject, rule, propose, type Check } from './vanish.js'
import { eventually } from './helpers.js'
import { OP, type JobRecord, type Milestone } from '../lib/schema.js'
import { escrowContext } from '../lib/escrow/context.js'
import { releaseFee, stageOf } from '../lib/escrow/milestones.js'
import { sigOf } from '../lib/escrow/record.js'
import { WAIT } from './escrow-helpers.js'

const T = { timeout: 300_000 }
const THIRDS: Milestone[] = [{ label: 'first layer photo', pct: 20 }, { label: 'printed', pct: 50 }, { label: 'delivered', pct: 30 }]
const B = BigInt(BOUNTY)
const D = BigInt(DEPOSIT)

export async function postSplit (s: EscrowSetup, milestones: Milestone[] = THIRDS): Promise<Uint8Array> {
  const { jobId } = await s.client.market.append({ type: OP.JOB_CREATE, job: { title: 'Benchy in parts', material: 'PLA', colors: ['red'], bountySats: BOUNTY, country: 'DE', notes: '' }, milestones })
  if (jobId === null) throw new Error('no job id')
  if (!await eventually(async () => (await jobOn(s.printer.market, jobId))?.job.status === 'open', WAIT)) throw new Error('job did not reach the printer')
  return jobId
}

// The confirmed transaction that spent `stage`'s escrow output of the job, or null.
async function spentAt (s: EscrowSetup, job: JobRecord, stage: number): Promise<bitcoin.Transaction | null> {
  const ctx = escrowContext(job, s.chain.network, stage)
  const out = await s.chain.backend.outspend(ctx.escrow.txid, ctx.escrow.vout)
  if (out === null || !(await s.chain.backend.txStatus(out.txid)).confirmed) return null
  const hex = await s.chain.backend.txHex(out.txid)
  return hex === null ? null : bitcoin.Transaction.fromHex(hex)
}

// Runs both parties' engines until `stage`'s escrow output is spent by a confirmed transaction; returns it.
async function paidFrom (s: EscrowSetup, job: JobRecord, stage: number): Promise<bitcoin.Transaction> {
  let tx: bitcoin.Transaction | null = null
  await drive(s.chain, [s.client.engine, s.printer.engine], async () => (tx = await spentAt(s, job, stage)) !== null)
  return tx as unknown as bitcoin.Transaction
}

// The client releases the next part; the engines put it out; returns the confirmed release.
async function release (t: Check, s: EscrowSetup, id: Uint8Array, k: number): Promise<bitcoin.Transaction> {
  await drive(s.chain, [s.printer.engine], async () => {
    const j = (await jobOn(s.client.market, id))?.job
    return j !== undefined && j.escrow?.sigs.some(x => x.kind === 'next-refund' && x.role === 'printer') === true && (await jobOn(s.client.market, id))!.confirmed
  })
  const r = await s.client.engine.releaseMilestone(id)
  t.is(r.milestone, k, `milestone ${k} ("${r.label}") released`)
  t.absent(sigOf((await latest(s, id)).escrow!, 'release', 'printer'), 'the printer signs the release only after the client (the payee signs last)')
  await drive(s.chain, [s.client.engine, s.printer.engine], async () => confirmed([s.client.market, s.printer.market, s.indexer], id, j => stageOf(j) === k))
  const job = await latest(s, id)
  return await paidFrom(s, job, k - 1)
}

test('milestones: a bounty in three parts; two releases pay the printer its parts to the satoshi, each leaving the rest locked; completion pays what is left', T, async (t: Check) => {
  const s = await escrowSetup(t, { mediator: false })
  const id = await postSplit(s)
  t.alike((await latest(s, id)).milestones, THIRDS, 'the job carries its milestones')
  await fund(s, id)
  const fee = releaseFee((await latest(s, id)).escrow!.client!.feeRate)
  const printerScript = (await latest(s, id)).escrow!.printer.payoutScript
  const r1 = await release(t, s, id, 1)
  t.is(r1.ins.length, 1, 'a release spends one input')
  t.is(r1.outs[0].value, B + 2n * D - 40_000n, 'output 0 keeps the rest locked: bounty − 20 % + both deposits')
  t.ok(b4a.equals(r1.outs[0].script, escrowContext(await latest(s, id), s.chain.network).script.outputScript), 'in the same 2-of-3 escrow')
  t.is(await paidTo(s.chain, r1, printerScript), 40_000n - fee, `the printer gets its 20 % part less the release's miner fee (${fee} sats)`)
  const j1 = await latest(s, id)
  t.is(escrowContext(j1, s.chain.network).escrow.txid, r1.getId(), 'every payout now spends the release\'s output')
  t.ok(j1.escrow!.sigs.filter(x => x.kind === 'refund').length === 2, 'a fresh refund, signed by both, for what is left')

  const r2 = await release(t, s, id, 2)
  t.is(r2.outs[0].value, B + 2n * D - 140_000n, 'after the second release 30 % of the bounty and both deposits are locked')
  t.is(await paidTo(s.chain, r2, printerScript), 100_000n - fee, 'the printer gets its 50 % part')
  t.ok(await s.client.engine.releaseMilestone(id).then(() => false, (err: Error) => /completion|last/.test(err.message)), 'the last part is not released: completion pays it')

  await ship(s, id)
  await s.client.engine.complete(id)
  await drive(s.chain, [s.client.engine, s.printer.engine], async () => confirmed([s.indexer], id, j => j.status === 'completed'))
  const job = await latest(s, id)
  const tx = await paidFrom(s, job, 2)
  const payFee = B + 2n * D - 140_000n - tx.outs.reduce((sum, o) => sum + o.value, 0n)
  t.is(await paidTo(s.chain, tx, printerScript), 60_000n + D - payFee / 2n, 'completion pays the printer the last 30 % and its deposit (less its fee share)')
  t.is(await paidTo(s.chain, tx, job.escrow!.client!.payoutScript), D - (payFee - payFee / 2n), 'and the client its deposit back')
})

test('milestones: after a release a cancel returns only what is still locked; the refund of a later stage comes back at the lock height', T, async (t: Check) => {
  const s = await escrowSetup(t, { mediator: false })
  const a = await postSplit(s)
  const b = await postSplit(s, [{ label: 'half', pct: 50 }, { label: 'rest', pct: 50 }])
  await fund(s, a)
  await fund(s, b)
  const fee = releaseFee((await latest(s, a)).escrow!.client!.feeRate)
  await release(t, s, a, 1)
  await release(t, s, b, 1)
  await s.client.engine.requestCancel(a)
  await s.printer.engine.requestCancel(a)
  await drive(s.chain, [s.client.engine, s.printer.engine], async () => confirmed([s.indexer], a, j => j.status === 'cancelled'))
  const ja = await latest(s, a)
  const tx = await paidFrom(s, ja, 1)
  const cfee = B + 2n * D - 40_000n - tx.outs.reduce((sum, o) => sum + o.value, 0n)
  t.is(await paidTo(s.chain, tx, ja.escrow!.client!.payoutScript), 160_000n + D - (cfee - cfee / 2n), 'the cancel gives the client the 80 % still locked and its deposit')
  t.is(await paidTo(s.chain, tx, ja.escrow!.printer.payoutScript), D - cfee / 2n, 'and the printer its deposit; its released part stays paid')
  t.ok(fee > 0n, 'releases paid their own fee')

  // job b: everyone vanishes after its release; at the lock height the client alone brings the rest home
  const back = vanish(s, 'client', 'printer', 'arbitrator', 'mediator')
  const jb = await latest(s, b)
  await mineTo(s, jb.escrow!.client!.lockHeight)
  let refund: bitcoin.Transaction | null = null
  const reports = await drive(s.chain, [back('client').engine], async () => (refund = await spentAt(s, jb, 1)) !== null)
  t.ok(did(reports, 'broadcast', 'refund'), 'the client\'s engine broadcast the stage\'s refund')
  const rtx = refund as unknown as bitcoin.Transaction
  t.is(rtx.locktime, jb.escrow!.client!.lockHeight, 'the fresh refund keeps the lock height signed before the funding')
  const rfee = B + 2n * D - 100_000n - rtx.outs.reduce((sum, o) => sum + o.value, 0n)
  t.is(await paidTo(s.chain, rtx, jb.escrow!.client!.payoutScript), 100_000n + D - (rfee - rfee / 2n), 'the refund returns the locked half and the client\'s deposit')
  t.is(await paidTo(s.chain, rtx, jb.escrow!.printer.payoutScript), D - rfee / 2n, 'and the printer\'s deposit')
})

test('milestones: a dispute after a release is ruled on what is still locked (the arbitration fee too)', T, async (t: Check) => {
  const s = await escrowSetup(t, { mediator: true })
  const id = await postSplit(s)
  await fund(s, id)
  await release(t, s, id, 1)
  await dispute(s, id, 'client')
  await propose(s, id, 30)
  t.is((await latest(s, id)).dispute!.proposal!.feeSats, Math.floor(160_000 * 2 / 100), 'the mediator\'s fee is 2 % of what is still locked')
  await reject(s, id, 'client')
  await rule(s, id, 0)
  const job = await latest(s, id)
  const tx = await paidFrom(s, job, 1)
  const arbFee = 160_000n * 5n / 100n
  t.is(await paidTo(s.chain, tx, job.escrow!.ruling!.feeScript), arbFee, 'the arbitration fee is 5 % of the locked 80 %')
  const fee = B + 2n * D - 40_000n - tx.outs.reduce((sum, o) => sum + o.value, 0n)
  t.is(await paidTo(s.chain, tx, job.escrow!.client!.payoutScript), 160_000n + D - (fee - fee / 2n), 'a 0 % ruling gives the client what is locked and its deposit')
  t.is(await paidTo(s.chain, tx, job.escrow!.printer.payoutScript), D - arbFee - fee / 2n, 'the printer keeps its released part, loses the fee from its deposit')
})
