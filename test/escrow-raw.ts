// Drives an escrowed job through its states with raw ops only (test/hostile.ts), signed with real keys from
// test/escrow-fixture.ts and no Bitcoin node: apply checks every signature against the transactions it rebuilds,
// and never asks the chain, so every state a market can hold is reachable this way. For hostile-peer tests and the
// fuzz; the engine-level tests use real wallets on regtest instead.
import b4a from 'b4a'
import { OP, type JobRecord, type JobFields, type Milestone } from '../lib/schema.js'
import { escrowContext } from '../lib/escrow/context.js'
import type { Market } from '../lib/market/market.js'
import type { Hostile } from './hostile.js'
import type { EscrowParties } from './escrow-fixture.js'
import { eventually } from './helpers.js'

export const JOB: JobFields = { title: 'Benchy', material: 'PLA', colors: ['red'], bountySats: 1_000_000, country: 'DE', notes: '' }

// Until `m` (after an update) holds job `id` and `pred` holds of it; throws on timeout.
export async function waitJob (m: Market, id: Uint8Array, pred: (j: JobRecord) => boolean, what: string, timeoutMs = 30_000): Promise<JobRecord> {
  let last: JobRecord | null = null
  const ok = await eventually(async () => {
    await m.update()
    last = (await m.getJob(id))?.job ?? null
    return last !== null && pred(last)
  }, timeoutMs, 50)
  if (!ok) throw new Error(`waitJob: ${what} did not happen (status ${(last as JobRecord | null)?.status ?? 'none'})`)
  return last as unknown as JobRecord
}

export async function postRaw (client: Hostile, fields: Partial<JobFields> = {}, milestones: Milestone[] = []): Promise<Uint8Array> {
  const { jobId } = await client.market.append({ type: OP.JOB_CREATE, job: { ...JOB, ...fields }, milestones })
  if (jobId === null) throw new Error('no job id')
  return jobId
}

export type Stage = 'accepted' | 'proposed' | 'refund-signed' | 'funding-signed' | 'active' | 'shipped' | 'disputed'
const ORDER: Stage[] = ['accepted', 'proposed', 'refund-signed', 'funding-signed', 'active', 'shipped', 'disputed']

// Takes an open job of `client` to `stage` with `printer` accepting, every step a raw op, each waited for on the
// writer's own view of the other's ops.
// `priceSats`: the price the accept states (a standing offer's, lib/market/quotes.ts); absent, the bounty as posted.
export async function escrowTo (stage: Stage, client: Hostile, printer: Hostile, id: Uint8Array, f: EscrowParties, o: { lockHeight?: number, feeRate?: number, priceSats?: number } = {}): Promise<JobRecord> {
  const upto = ORDER.indexOf(stage)
  const cm = client.market
  const pm = printer.market
  await waitJob(pm, id, j => j.status === 'open', 'the printer sees the open job')
  await printer.raw({ type: OP.JOB_ACCEPT, jobId: id, escrow: f.printerSide({ feeRate: o.feeRate, jobId: id, author: printer.key }), priceSats: o.priceSats ?? 0 })
  let job = await waitJob(cm, id, j => j.status === 'accepted' && j.printer !== null && b4a.equals(j.printer, printer.key), 'the accept')
  if (upto < 1) return job
  await client.raw({ type: OP.ESCROW_PROPOSE, jobId: id, escrow: f.clientSide(o.lockHeight ?? 1000, { feeRate: o.feeRate, jobId: id, author: client.key }) })
  job = await waitJob(pm, id, j => j.escrow?.client != null, 'the proposal')
  if (upto < 2) return job
  await printer.raw({ type: OP.ESCROW_SIGN, jobId: id, kind: 'refund', psbt: f.sign(job, 'refund', 'printer') })
  await client.raw({ type: OP.ESCROW_SIGN, jobId: id, kind: 'refund', psbt: f.sign(job, 'refund', 'client') })
  job = await waitJob(pm, id, j => (j.escrow?.sigs.length ?? 0) >= 2, 'both refund signatures')
  if (upto < 3) return job
  await client.raw({ type: OP.ESCROW_SIGN, jobId: id, kind: 'funding', psbt: f.sign(job, 'funding', 'client') })
  await printer.raw({ type: OP.ESCROW_SIGN, jobId: id, kind: 'funding', psbt: f.sign(job, 'funding', 'printer') })
  job = await waitJob(cm, id, j => (j.escrow?.sigs.length ?? 0) >= 4, 'both funding signatures')
  if (upto < 4) return job
  await client.raw({ type: OP.ESCROW_FUNDED, jobId: id, txid: b4a.from(escrowContext(job).fundingTxid, 'hex') })
  job = await waitJob(pm, id, j => j.status === 'active', 'the funded claim')
  if (upto < 5) return job
  await printer.raw({ type: OP.JOB_SHIP, jobId: id, note: 'posted', psbt: f.sign(job, 'complete', 'printer') })
  job = await waitJob(cm, id, j => j.status === 'shipped', 'the ship')
  if (upto < 6) return job
  await client.raw({ type: OP.JOB_DISPUTE, jobId: id, reason: 'it broke' })
  return await waitJob(pm, id, j => j.status === 'disputed', 'the dispute')
}
