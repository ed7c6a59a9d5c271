// Who takes part in a job's chat. The client and the printer from the accept on; once a dispute has been opened,
// the job's arbitrator (escrow markets: job.escrow.arbitrator) and its mediator (job.dispute.mediator, written by
// the mediation ops 30–39; read defensively, as the field may not exist in a record) too. Pure: used by apply.
import b4a from 'b4a'
import { OP, type JobRecord } from '../schema.js'

export type ChatRole = 'client' | 'printer' | 'mediator' | 'arbitrator'

function key32 (v: unknown): Uint8Array | null {
  return v instanceof Uint8Array && v.byteLength === 32 ? v : null
}

export function mediatorOf (job: JobRecord): Uint8Array | null {
  const d = (job as { dispute?: unknown }).dispute
  if (d === null || typeof d !== 'object') return null
  return key32((d as { mediator?: unknown }).mediator)
}

export function disputeOpened (job: JobRecord): boolean {
  return job.status === 'disputed' || (job as { dispute?: unknown }).dispute != null || job.history.some(h => h.action === OP.JOB_DISPUTE)
}

// Every participant of the chat now, with its role (one key may not hold two roles; the first listed wins).
export function chatParticipants (job: JobRecord): Array<{ key: Uint8Array, role: ChatRole }> {
  if (job.printer === null) return [] // open again (or never accepted): no conversation
  const out: Array<{ key: Uint8Array, role: ChatRole }> = [{ key: job.client, role: 'client' }, { key: job.printer, role: 'printer' }]
  if (disputeOpened(job)) {
    const m = mediatorOf(job)
    if (m !== null) out.push({ key: m, role: 'mediator' })
    const a = key32(job.escrow?.arbitrator)
    if (a !== null) out.push({ key: a, role: 'arbitrator' })
  }
  return out.filter((p, i) => out.findIndex(q => b4a.equals(q.key, p.key)) === i)
}

export function chatRoleOf (job: JobRecord, key: Uint8Array): ChatRole | null {
  return chatParticipants(job).find(p => b4a.equals(p.key, key))?.role ?? null
}
