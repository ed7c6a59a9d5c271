// Helpers of the vanish matrix (test/vanish-matrix-a.test.ts, test/vanish-matrix-b.test.ts): a party that vanishes,
// the dispute steps the others take, and the payout read back from the chain and checked to the satoshi against the
// money rules of lib/escrow/amounts.ts, computed here by hand.
import b4a from 'b4a'
import * as bitcoin from 'bitcoinjs-lib'
import { eventually, type Test } from './helpers.js'
import { jobOn, drive, paidTo, WAIT } from './escrow-helpers.js'
import { confirmed, BOUNTY, DEPOSIT, type EscrowSetup, type Party } from './escrow-setup.js'
import { OP, type JobRecord } from '../lib/schema.js'
import { escrowContext, buildFor } from '../lib/escrow/context.js'
import { arbitratorKey } from '../lib/escrow/actions.js'
import { signInputs } from '../lib/escrow/psbt-sign.js'
import { DEADLINES } from '../lib/disputes/apply.js'
import type { EscrowEngine, StepReport } from '../lib/escrow/engine.js'

export const TOTAL = BigInt(BOUNTY + 2 * DEPOSIT)
export const ARB_FEE = BigInt(BOUNTY) * 5n / 100n // arbitrationFeePct 5
export const MED_FEE = BigInt(BOUNTY) * 2n / 100n // the setup's mediator registers at 2 %
export const PROPOSE_MISSED = DEADLINES.proposeSecs * 1000 + 1000 // clock skews just past each deadline
export const ANSWER_MISSED = DEADLINES.answerSecs * 1000 + 1000

export type Name = 'client' | 'printer' | 'arbitrator' | 'mediator'
export const EVERYONE: Name[] = ['client', 'printer', 'arbitrator', 'mediator']

// From now on the party's engine is never stepped and its market writes nothing: either throws (and fails the test)
// if anything tries. Its peer stays connected. Returns the way back (for one party that returns after a lock height).
export function vanish (s: EscrowSetup, ...names: Name[]): (name: Name) => Party {
  const saved = new Map<Name, { step: EscrowEngine['step'], append: Party['market']['append'] }>()
  for (const name of names) {
    const p = s[name]
    saved.set(name, { step: p.engine.step, append: p.market.append })
    p.engine.step = async () => { throw new Error(`the ${name} vanished, yet its engine was stepped`) }
    p.market.append = async () => { throw new Error(`the ${name} vanished, yet its market appended an op`) }
  }
  return (name) => {
    const p = s[name]
    const was = saved.get(name)
    if (was === undefined) throw new Error(`the ${name} did not vanish`)
    p.engine.step = was.step
    p.market.append = was.append
    return p
  }
}

// Until every market in `on` holds the job confirmed and `pred` holds of it; throws (naming `what`) if not.
export async function reach (on: Array<Party['market']>, id: Uint8Array, pred: (j: JobRecord) => boolean, what: string): Promise<void> {
  if (!await eventually(async () => confirmed(on, id, pred), WAIT)) throw new Error(`never reached: ${what}`)
}

// Whether the indexer comes to hold the job confirmed with `pred` true of it (for t.ok: failing is the assertion).
export async function shows (s: EscrowSetup, id: Uint8Array, pred: (j: JobRecord) => boolean): Promise<boolean> {
  return await eventually(async () => confirmed([s.indexer], id, pred), WAIT)
}

export async function latest (s: EscrowSetup, id: Uint8Array): Promise<JobRecord> {
  const v = await jobOn(s.indexer, id)
  if (v === null) throw new Error('no such job on the indexer')
  return v.job
}

// The mediator proposes the printer's share; returns once both parties' and the arbitrator's peers have it.
export async function propose (s: EscrowSetup, id: Uint8Array, printerPct: number): Promise<void> {
  await reach([s.mediator.market], id, j => j.dispute?.stage === 'mediation', 'the dispute reached the mediator')
  await s.mediator.market.append({ type: OP.DISPUTE_PROPOSE, jobId: id, printerPct, note: 'a fair split', feeScript: (await s.mediator.wallet.nextReceiveAddress()).script })
  await reach([s.client.market, s.printer.market, s.arbitrator.market], id, j => j.dispute?.stage === 'proposed', 'the proposal reached everyone')
}

export async function reject (s: EscrowSetup, id: Uint8Array, by: 'client' | 'printer'): Promise<void> {
  await s[by].market.append({ type: OP.DISPUTE_REJECT, jobId: id, note: 'no' })
  await reach([s.arbitrator.market, s.client.market, s.printer.market], id, j => j.dispute?.stage === 'arbitration', 'the rejection took the dispute to the arbitrator')
}

// Moves the clocks past a dispute deadline and runs `engines` until the arbitrator's peer has the dispute in
// arbitration; returns their reports.
export async function escalate (s: EscrowSetup, id: Uint8Array, engines: EscrowEngine[], skew: number): Promise<StepReport[]> {
  s.clock.skew = skew
  return await drive(s.chain, engines, async () => confirmed([s.arbitrator.market], id, j => j.dispute?.stage === 'arbitration'))
}

// The arbitrator rules (once its peer sees the dispute in arbitration) and the parties' peers have the ruling.
export async function rule (s: EscrowSetup, id: Uint8Array, printerPct: number): Promise<void> {
  await reach([s.arbitrator.market], id, j => j.dispute?.stage === 'arbitration', 'the dispute reached the arbitrator in arbitration')
  await s.arbitrator.engine.rule(id, printerPct, 'ruled')
  await reach([s.client.market, s.printer.market], id, j => j.escrow?.ruling != null, 'the ruling reached both parties')
}

// Runs both parties' engines from the accept until the funding is recorded and the job is active on both peers.
export async function activate (s: EscrowSetup, id: Uint8Array): Promise<JobRecord> {
  await drive(s.chain, [s.client.engine, s.printer.engine], async () => confirmed([s.client.market, s.printer.market], id, j => j.status === 'active'))
  return await latest(s, id)
}

export async function mineTo (s: EscrowSetup, height: number): Promise<void> {
  const tip = await s.chain.backend.tipHeight()
  if (height > tip) await s.chain.mine(height - tip)
}

// The transaction that spent the job's escrow output, once it is confirmed; null before.
export async function spender (s: EscrowSetup, job: JobRecord): Promise<bitcoin.Transaction | null> {
  const ctx = escrowContext(job, s.chain.network)
  const out = await s.chain.backend.outspend(ctx.escrow.txid, ctx.escrow.vout)
  if (out === null || !(await s.chain.backend.txStatus(out.txid)).confirmed) return null
  const hex = await s.chain.backend.txHex(out.txid)
  return hex === null ? null : bitcoin.Transaction.fromHex(hex)
}

// Runs `engines` (mining what they broadcast) until the escrow output is spent by a confirmed transaction.
export async function payOut (s: EscrowSetup, id: Uint8Array, engines: EscrowEngine[]): Promise<StepReport[]> {
  const job = await latest(s, id)
  return await drive(s.chain, engines, async () => (await spender(s, job)) !== null)
}

// Runs `engines` until the indexer shows the escrow closed by a payout of `kind`; returns their reports.
export async function closedAs (s: EscrowSetup, id: Uint8Array, engines: EscrowEngine[], kind: string): Promise<StepReport[]> {
  return await drive(s.chain, engines, async () => confirmed([s.indexer], id, j => j.escrow?.closed?.kind === kind))
}

export type Path =
  | { kind: 'complete' | 'cancel' | 'refund' }
  | { kind: 'split' | 'ruling', printerPct: number }

export interface Shares { client: bigint, printer: bigint, third: bigint }

// What each gets on a path, given the payout's miner fee (lib/escrow/amounts.ts header, by hand).
export function shares (path: Path, fee: bigint): Shares {
  const B = BigInt(BOUNTY)
  const D = BigInt(DEPOSIT)
  const printerFee = fee / 2n
  const clientFee = fee - printerFee
  switch (path.kind) {
    case 'complete':
      return { client: D - clientFee, printer: B + D - printerFee, third: 0n }
    case 'cancel':
    case 'refund':
      return { client: B + D - clientFee, printer: D - printerFee, third: 0n }
    case 'split': {
      const rest = B - MED_FEE
      const printerBounty = rest * BigInt(path.printerPct) / 100n
      return { client: rest - printerBounty + D - clientFee, printer: printerBounty + D - printerFee, third: MED_FEE }
    }
    case 'ruling': {
      const pct = BigInt(path.printerPct)
      const printerBounty = B * pct / 100n
      const printerArb = pct < 50n ? ARB_FEE : pct > 50n ? 0n : ARB_FEE / 2n
      const clientArb = ARB_FEE - printerArb
      return { client: B - printerBounty + D - clientArb - clientFee, printer: printerBounty + D - printerArb - printerFee, third: ARB_FEE }
    }
  }
}

// What the matrix needs of brittle's per-test object (its types do not export that interface by name).
export interface Check extends Test {
  is: (actual: unknown, expected: unknown, message?: string) => void
  alike: (actual: unknown, expected: unknown, message?: string) => void
  ok: (value: unknown, message?: string) => void
  absent: (value: unknown, message?: string) => void
  comment: (message: string) => void
}

// Reads the confirmed payout of the escrow from the chain and asserts it is `path`, to the satoshi: it spends the
// escrow output alone, pays the client, the printer and (split, ruling) the mediator's or arbitrator's fee script
// exactly their shares, and nothing else. Returns it.
export async function assertPaid (t: Check, s: EscrowSetup, id: Uint8Array, path: Path): Promise<bitcoin.Transaction> {
  const job = await latest(s, id)
  const tx = await spender(s, job)
  if (tx === null) throw new Error('the escrow is not spent by a confirmed transaction')
  const e = job.escrow!
  const ctx = escrowContext(job, s.chain.network)
  t.is(tx.ins.length, 1, 'the payout spends one input')
  t.is(b4a.toString(b4a.from(tx.ins[0].hash).reverse(), 'hex') + ':' + tx.ins[0].index, `${ctx.escrow.txid}:${ctx.escrow.vout}`, 'the escrow output')
  const fee = TOTAL - tx.outs.reduce((sum, o) => sum + o.value, 0n)
  const want = shares(path, fee)
  const what = path.kind === 'split' || path.kind === 'ruling' ? `${path.kind} (printer ${path.printerPct} %)` : path.kind
  t.ok(fee > 0n && fee < 5_000n, `${what}: miner fee ${fee} sats`)
  t.is(await paidTo(s.chain, tx, e.client!.payoutScript), want.client, `${what}: the client gets ${want.client} sats (fee share ${fee - fee / 2n})`)
  t.is(await paidTo(s.chain, tx, e.printer.payoutScript), want.printer, `${what}: the printer gets ${want.printer} sats (fee share ${fee / 2n})`)
  if (path.kind === 'split') t.is(await paidTo(s.chain, tx, job.dispute!.proposal!.feeScript), want.third, `the mediator gets its fee, ${want.third} sats`)
  if (path.kind === 'ruling') t.is(await paidTo(s.chain, tx, e.ruling!.feeScript), want.third, `the arbitrator gets its fee, ${want.third} sats`)
  t.is(tx.outs.length, want.third > 0n ? 3 : 2, 'and nobody else is paid')
  if (path.kind === 'refund') t.is(tx.locktime, e.client!.lockHeight, 'the refund, valid from its lock height')
  return tx
}

// Everyone vanishes; at the lock height `who` comes back alone and refunds both.
export async function refundedBy (t: Check, s: EscrowSetup, id: Uint8Array, who: 'client' | 'printer'): Promise<void> {
  const back = vanish(s, ...EVERYONE)
  const job = await latest(s, id)
  await mineTo(s, job.escrow!.client!.lockHeight)
  const reports = await payOut(s, id, [back(who).engine])
  t.ok(did(reports, 'broadcast', 'refund'), `the ${who}'s engine broadcast the refund`)
  await assertPaid(t, s, id, { kind: 'refund' })
  await drive(s.chain, [s[who].engine], async () => confirmed([s.indexer], id, j => j.claims.some(c => c.kind === 'refund' && c.role === who)))
  t.is((await latest(s, id)).status, job.status, `the ${who}'s refund claim alone leaves the job ${job.status}`)
}

export function did (reports: StepReport[], action: StepReport['action'], kind?: StepReport['kind']): boolean {
  return reports.some(r => r.action === action && (kind === undefined || r.kind === kind))
}

// The arbitrator's key's signature on a payout of the job, appended by `by` outside the arbitrator's engine's rules
// (as a modified client would): apply must take it only when the record and market time say it is due.
export async function forgedArbitratorSig (s: EscrowSetup, job: JobRecord, kind: 'cancel' | 'complete', by: Party = s.arbitrator): Promise<void> {
  const ctx = escrowContext(job, s.chain.network)
  const psbt = buildFor(ctx, kind, s.chain.network)
  signInputs(psbt, arbitratorKey(s.arbitrator.wallet), [0])
  await by.market.append({ type: OP.ESCROW_SIGN, jobId: job.id, kind, psbt: psbt.toBuffer() })
}
