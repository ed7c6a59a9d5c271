// The market reducer. Autobase calls it with linearised nodes; it may undo and re-run any suffix on reorder, so it
// must be deterministic: no clock, no randomness, no I/O besides the view, and no throwing on bad input.
// Every op is decoded strictly and checked against the author (node.from.key) and the job's state; an op that
// fails any check changes nothing.
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import c from 'compact-encoding'
import type { ApplyNode, ApplyHost } from 'autobase'
import { decodeOp, OP, LIMITS, ACTION_AUTO_ACTIVATE, JOB_ID_BYTES, STATUSES, type Op, type JobRecord, type WriterRecord, type HistoryEntry } from '../schema.js'
import { checkTransition, checkJobFields, checkFileRef, ESCROW_ENABLED } from '../job/state.js'
import { getJob, getWriter, getStats, putJob, putWriter, putStats, getMeta, putMeta, type View } from './view.js'
import type { BeeBatch } from 'hyperbee'

type Batch = BeeBatch<Uint8Array, Uint8Array>

const MAX_HISTORY = 256

// A job's id is derived from the op that created it: the author's writer key and the op's position in that
// writer's log. Both are fixed by the log itself, so every peer derives the same id however ops are ordered.
export function jobIdFor (writer: Uint8Array, length: number): Uint8Array {
  return crypto.hash([b4a.from('p2print/job-id'), writer, c.encode(c.uint, length)]).subarray(0, JOB_ID_BYTES)
}

// Writers. The market is open: a peer that is not yet a writer appends with `optimistic: true`, and Autobase keeps
// such a node only if apply acks or adds its writer. We add the peer as a non-indexer writer on its first
// well-formed op (the pattern of autobase's test/optimistic.js) instead of acking every op, because:
//  - an acked peer stays a non-writer, so each later op would again be a lone optimistic node, never batched,
//    and would again depend on an indexer choosing to keep it;
//  - once added, the peer's later ops carry its heads, so they are causally ordered after everything it had
//    seen when it wrote them (a printer's ship can never be linearised before the accept it saw);
//  - we admit on any op that decodes, not only on valid transitions, so an honest peer whose first op loses a
//    race (two printers accept one job) is not kept out. Bytes that do not decode never admit anyone.
// Admission gives no power: every op of every writer is validated here, and spam limits are counted per writer.
export async function apply (nodes: ApplyNode[], view: View, host: ApplyHost): Promise<void> {
  const batch = view.batch()
  for (const node of nodes) {
    if (node.value === null) continue
    const op = safeDecode(node.value)
    if (op === null) continue
    if (node.optimistic) await host.addWriter(node.from.key, { indexer: false })
    if (op.type === OP.MARKET_INIT) {
      // only a node written as a writer (the creator's, at creation) can name the market, and only once
      if (!node.optimistic && (await getMeta(batch)) === null) await putMeta(batch, { name: op.name, creator: node.from.key, createdAt: op.at })
      continue
    }
    await applyOp(batch, op, node.from.key, node.length)
  }
  await batch.flush()
}

function safeDecode (value: Uint8Array): Op | null {
  try {
    return decodeOp(value)
  } catch {
    return null
  }
}

// Exported for tests that drive the reducer without Autobase. Returns whether the op took effect.
export async function applyOp (b: Batch, op: Op, author: Uint8Array, length: number): Promise<boolean> {
  const writer = await getWriter(b, author)
  if (writer.ops >= LIMITS.opsPerWriter) return false

  if (op.type === OP.MARKET_INIT) return false
  if (op.type === OP.JOB_CREATE) return createJob(b, op, author, length, writer)

  const job = await getJob(b, op.jobId)
  if (job === null) return false
  const check = checkTransition(job, op.type, author)
  if (!check.ok) return false
  if (job.history.length >= MAX_HISTORY) return false

  const next: JobRecord = { ...job, updatedAt: op.at, history: job.history.slice() }
  const entry = (action: number, note = ''): HistoryEntry => ({ action, from: next.status, to: check.to, by: author, at: op.at, note })
  let clientOpenDelta = 0

  switch (op.type) {
    case OP.JOB_UPDATE: {
      if (job.updates >= LIMITS.updatesPerJob) return false
      if (checkJobFields(op.patch) !== null) return false
      Object.assign(next, op.patch)
      next.updates = job.updates + 1
      next.history.push(entry(op.type))
      break
    }
    case OP.JOB_CANCEL:
      next.history.push(entry(op.type))
      next.status = check.to
      clientOpenDelta = -1
      break
    case OP.JOB_ACCEPT:
      next.history.push(entry(op.type))
      next.status = check.to
      next.printer = author
      clientOpenDelta = -1
      if (!ESCROW_ENABLED) {
        next.history.push({ action: ACTION_AUTO_ACTIVATE, from: 'accepted', to: 'active', by: author, at: op.at, note: 'no escrow in this version' })
        next.status = 'active'
      }
      break
    case OP.JOB_WITHDRAW:
      next.history.push(entry(op.type))
      next.status = check.to
      next.printer = null
      clientOpenDelta = 1
      break
    case OP.JOB_SHIP:
      next.history.push(entry(op.type, op.note))
      next.status = check.to
      break
    case OP.JOB_COMPLETE:
      next.history.push(entry(op.type))
      next.status = check.to
      break
    case OP.JOB_DISPUTE:
      if (op.reason.trim().length === 0) return false
      next.history.push(entry(op.type, op.reason))
      next.status = check.to
      break
  }

  await putJob(b, job, next)
  if (next.status !== job.status) {
    const stats = await getStats(b)
    const from = STATUSES.indexOf(job.status)
    stats.byStatus[from] = Math.max(0, stats.byStatus[from] - 1)
    stats.byStatus[STATUSES.indexOf(next.status)]++
    await putStats(b, stats)
  }
  const authorIsClient = b4a.equals(job.client, author)
  const authorRecord = { ...writer, ops: writer.ops + 1 }
  if (authorIsClient) authorRecord.openJobs = Math.max(0, authorRecord.openJobs + clientOpenDelta)
  await putWriter(b, author, authorRecord)
  if (clientOpenDelta !== 0 && !authorIsClient) {
    const client = await getWriter(b, job.client)
    await putWriter(b, job.client, { ...client, openJobs: Math.max(0, client.openJobs + clientOpenDelta) })
  }
  return true
}

async function createJob (b: Batch, op: Extract<Op, { type: typeof OP.JOB_CREATE }>, author: Uint8Array, length: number, writer: WriterRecord): Promise<boolean> {
  if (checkJobFields(op.job) !== null) return false
  const file = op.file ?? null
  if (file !== null && checkFileRef(file) !== null) return false
  if (writer.openJobs >= LIMITS.openJobsPerClient) return false
  const id = jobIdFor(author, length)
  if ((await getJob(b, id)) !== null) return false
  const stats = await getStats(b)
  const seq = stats.jobs
  const job: JobRecord = {
    ...op.job,
    id,
    seq,
    client: author,
    printer: null,
    status: 'open',
    createdAt: op.at,
    updatedAt: op.at,
    updates: 0,
    file,
    history: [{ action: OP.JOB_CREATE, from: null, to: 'open', by: author, at: op.at, note: '' }]
  }
  await putJob(b, null, job)
  stats.jobs++
  stats.byStatus[STATUSES.indexOf('open')]++
  await putStats(b, stats)
  await putWriter(b, author, { ops: writer.ops + 1, jobs: writer.jobs + 1, openJobs: writer.openJobs + 1 })
  return true
}
