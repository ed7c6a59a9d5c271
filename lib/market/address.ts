// The client's sealed shipping address: the reducer part of job/address and its key in the view.
//
// The client writes it once the job is active (in a market with escrow apply knows only the `escrow/funded` claim,
// so the client's own peer first checks the funding at depth on its node, lib/service/address.ts: no printer that
// never paid in learns it), encrypted under a conversation key of the job's current
// printer's epoch (lib/chat): the client and that printer read it, and a dispute's mediator and arbitrator once the
// chat grants them the epoch's keys. It may be corrected ADDRESS_LIMITS.perEpoch times. Apply deletes it from the
// view when the job closes or its printer leaves, so only the ciphertext in the client's log stays. No plaintext is
// written anywhere by anyone: readers decrypt it when they show it (lib/service/address.ts).
import b4a from 'b4a'
import c from 'compact-encoding'
import type { BeeBatch } from 'hyperbee'
import { OP, ADDRESS_LIMITS, addressRecord, type Op, type JobRecord, type WriterRecord, type AddressRecord } from '../schema.js'
import { getJob, putWriter, type View } from './view.js'
import { getChatJob } from '../chat/view.js'

type Batch = BeeBatch<Uint8Array, Uint8Array>
type Reader = Pick<View, 'get'> | Pick<Batch, 'get'>

const P_ADDRESS = 0x61 // 'a'
const addressKey = (jobId: Uint8Array): Uint8Array => b4a.concat([b4a.from([P_ADDRESS]), jobId])

export async function applyAddress (b: Batch, op: Extract<Op, { type: typeof OP.JOB_ADDRESS }>, author: Uint8Array, writer: WriterRecord): Promise<boolean> {
  const job = await getJob(b, op.jobId)
  if (job === null || !b4a.equals(job.client, author) || job.status !== 'active' || job.printer === null) return false
  const epoch = job.accepts
  const chat = await getChatJob(b, op.jobId)
  if (chat.epoch !== epoch || !chat.keys.some(k => b4a.equals(k.id, op.keyId))) return false // a key of this printer's conversation
  const prev = await getAddress(b, op.jobId)
  const revs = prev !== null && prev.epoch === epoch ? prev.revs : 0
  if (revs >= ADDRESS_LIMITS.perEpoch) return false
  await b.put(addressKey(op.jobId), c.encode(addressRecord, { epoch, keyId: op.keyId, nonce: op.nonce, ciphertext: op.ciphertext, at: op.at, revs: revs + 1 }))
  await putWriter(b, author, { ...writer, ops: writer.ops + 1 })
  return true
}

// Called by apply on every job change: the address goes once the job closes or its printer leaves.
export async function dropAddress (b: Batch, prev: JobRecord, next: JobRecord): Promise<void> {
  const leaves = next.status === 'completed' || next.status === 'cancelled' || next.printer === null || (prev.printer !== null && !b4a.equals(prev.printer, next.printer))
  if (leaves && prev.status !== next.status) await b.del(addressKey(next.id))
}

export async function getAddress (v: Reader, jobId: Uint8Array): Promise<AddressRecord | null> {
  const e = await v.get(addressKey(jobId))
  return e === null ? null : c.decode(addressRecord, e.value)
}
