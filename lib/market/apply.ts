// The market reducer. Autobase calls it with linearised nodes; it may undo and re-run any suffix on reorder, so it
// must be deterministic: no clock, no randomness, no I/O besides the view. Every op in every log may have been
// written by an attacker's modified client: each is decoded strictly (every number bounded, lib/codec.ts) and
// checked against its author (node.from.key) and the job's state, and each runs on its own OpBatch, so an op that
// fails a check, or whose handler throws for a reason no check foresaw, leaves the view exactly as it was. Nothing
// here may throw out of `apply`: that would close the base on every peer.
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import c from 'compact-encoding'
import type { ApplyNode, ApplyHost } from 'autobase'
import { decodeOp, OP, LIMITS, ACTION_AUTO_ACTIVATE, JOB_ID_BYTES, STATUSES, SETTINGS_BOUNDS, DEFAULT_SETTINGS, DEFAULT_DELIVERY_DAYS, type Op, type JobRecord, type WriterRecord, type HistoryEntry, type MarketSettings, milestonesProblem } from '../schema.js'
import { checkTransition, checkJobFields, checkFileRef, addHistory } from '../job/state.js'
import { applyChatOp, isChatOp } from '../chat/apply.js'
import { getJob, getWriter, getStats, putJob, putWriter, putStats, getMeta, putMeta, getSettings, putSettings, type View } from './view.js'
import { OpBatch } from './overlay.js'
import { getClock, hasClock, putClock, getIndexers, getNamedIndexers, putNamedIndexers, marketNow, tick, retain, type MarketNow } from './clock.js'
import { registerMediator, openDispute, disputeStep, recordRuling } from '../disputes/apply.js'
import type { BeeBatch } from 'hyperbee'
import { applyReputation, reputationOnJob } from '../reputation/apply.js'
import { escrowStep, acceptEscrow } from './escrow-apply.js'
import { sigOf, pickIndex, isCompressedKey, cancelAgreed, lateCancelOpen, windowOver } from '../escrow/record.js'
import { verifySig } from '../escrow/verify.js'
import { releasePending } from '../escrow/milestones.js'
import { admissionWork } from './admission.js'
import { isQuoteOp, applyQuoteOp, acceptTerms, hasLeft } from './quotes.js'
import { applyAddress, dropAddress } from './address.js'

type Batch = BeeBatch<Uint8Array, Uint8Array>

// Ops whose handler threw (caught, and the op left out as if it were not in the log). Every refusal is meant to be
// a check that returns, so this stays 0; the fuzz tests assert it. Not part of the view.
export const applyFaults = { count: 0, last: '' }

// A job's id is derived from the op that created it: the author's writer key and the op's position in that
// writer's log. Both are fixed by the log itself, so every peer derives the same id however ops are ordered.
export function jobIdFor (writer: Uint8Array, length: number): Uint8Array {
  return crypto.hash([b4a.from('p2print/job-id'), writer, c.encode(c.uint, length)]).subarray(0, JOB_ID_BYTES)
}

// Writers. The market is open: a peer that is not yet a writer appends with `optimistic: true`, and Autobase keeps
// such a node only if apply acks or adds its writer. We add the peer as a non-indexer writer (the pattern of
// autobase's test/optimistic.js) instead of acking every op, because:
//  - an acked peer stays a non-writer, so each later op would again be a lone optimistic node, never batched,
//    and would again depend on an indexer choosing to keep it;
//  - once added, the peer's later ops carry its heads, so they are causally ordered after everything it had
//    seen when it wrote them (a printer's ship can never be linearised before the accept it saw).
// What admits it is the market's rule (./admission.ts): where the creator asks for work (admissionBits > 0), only a
// writer/admit whose nonce proves that work for this market and this key; in a market that asks none (every market
// made before schema v7), any op that decodes, so that an honest peer whose first op loses a race (two printers
// accept one job) is not kept out. Bytes that do not decode never admit anyone.
// Admission gives no power: every op of every writer is validated here, and spam limits are counted per writer.
// `marketKey` is the base's key, which the work is bound to (Market passes it; reducer tests may leave it out).
export async function apply (nodes: ApplyNode[], view: View, host: ApplyHost, marketKey: Uint8Array | null = null): Promise<void> {
  const batch = view.batch()
  for (const node of nodes) {
    if (node.value === null) continue
    const op = safeDecode(node.value)
    if (op === null) continue
    if (node.optimistic) {
      try {
        if (!(await admits(batch, op, node.from.key, marketKey))) continue // Autobase drops the node
        await host.addWriter(node.from.key, { indexer: false })
      } catch {
        continue // not admitted: Autobase drops the node
      }
      if (op.type === OP.WRITER_ADMIT) continue // it has done all it does
    }
    const tx = new OpBatch(batch)
    try {
      if (op.type === OP.MARKET_INIT) {
        // only a node written as a writer (the creator's, at creation) can name the market, and only once; its
        // time starts the market's clock
        if (!node.optimistic && (await getMeta(tx)) === null) {
          await putMeta(tx, { name: op.name, creator: node.from.key, createdAt: op.at })
          await putClock(tx, { now: op.at, ticks: [{ key: node.from.key, at: op.at }] })
          const bits = op.admissionBits ?? 0
          if (bits > 0) await putSettings(tx, { ...(await getSettings(tx)), admissionBits: bits })
        }
      } else {
        await applyOp(tx, op, node.from.key, node.length, host)
      }
      await tx.commit()
    } catch (err) {
      applyFaults.count++
      applyFaults.last = `op ${op.type}: ${(err as Error)?.stack ?? String(err)}`
    }
  }
  await batch.flush()
}

// Whether this optimistic node admits its writer under the market's rule (see apply).
async function admits (b: Batch, op: Op, writer: Uint8Array, marketKey: Uint8Array | null): Promise<boolean> {
  const bits = (await getSettings(b)).admissionBits
  if (bits === 0) return true
  if (op.type !== OP.WRITER_ADMIT || marketKey === null) return false
  return admissionWork(marketKey, writer, op.nonce) >= bits
}

function safeDecode (value: Uint8Array): Op | null {
  try {
    return decodeOp(value)
  } catch {
    return null
  }
}

// Exported for tests that drive the reducer without Autobase. Returns whether the op took effect. Throws only on a
// bug; `apply` runs it on an OpBatch so that even then nothing of the op is kept.
// `host` is Autobase's (for market/indexers); without it (reducer tests) the indexers are only recorded.
export async function applyOp (b: Batch, op: Op, author: Uint8Array, length: number, host: Pick<ApplyHost, 'addWriter'> | null = null): Promise<boolean> {
  if (op.type === OP.MARKET_CLOCK) return clockTick(b, author, op.at) // an indexer's heartbeat: not counted against it
  const writer = await getWriter(b, author)
  if (writer.ops >= LIMITS.opsPerWriter) return false

  if (op.type === OP.MARKET_INIT || op.type === OP.WRITER_ADMIT) return false // writer/admit: only a non-writer's, above
  if (op.type === OP.MARKET_INDEXERS) return nameIndexers(b, op.indexers, author, host)
  if (op.type === OP.JOB_CREATE) return createJob(b, op, author, length, writer)
  if (op.type === OP.MARKET_SETTINGS) return applySettings(b, op, author, writer)
  if (op.type === OP.MEDIATOR_REGISTER) return registerMediator(b, op, author, writer) // lib/disputes
  if (isChatOp(op)) return applyChatOp(b, op, author, writer) // lib/chat/apply.ts
  if (op.type === OP.JOB_REVIEW || op.type === OP.PRINTER_PROFILE) return applyReputation(b, op, author, writer)
  if (isQuoteOp(op)) return applyQuoteOp(b, op, author, writer) // ./quotes.ts
  if (op.type === OP.JOB_ADDRESS) return applyAddress(b, op, author, writer) // ./address.ts

  const found = await getJob(b, op.jobId)
  if (found === null) return false
  const job: JobRecord = { ...found, escrow: found.escrow ?? null }
  const settings = job.status === 'open' && op.type === OP.JOB_ACCEPT ? await getSettings(b) : null
  const now = await marketNow(b, op.at) // every deadline starts and ends on market time, not on op.at (./clock.ts)
  const escrowOn = job.escrow !== null || (settings !== null && settings.chain !== '')

  let next: JobRecord
  let clientOpenDelta = 0
  if (DISPUTE_STEP_OPS.has(op.type)) {
    const r = await disputeStep(b, job, op, author, now) // lib/disputes
    if (r === null) return false
    next = r
  } else if (ESCROW_OPS.has(op.type)) {
    const r = escrowStep(job, op, author, now) // ./escrow-apply.ts
    if (r === null) return false
    next = r.next
    clientOpenDelta = r.clientOpenDelta
    if (op.type === OP.DISPUTE_RULING && job.dispute != null) next.dispute = await recordRuling(b, job, op.winner === 'printer' ? 100 : 0, '', op.at)
  } else {
    const r = jobStep(job, op, author, escrowOn, settings, now)
    if (r === null) return false
    next = r.next
    clientOpenDelta = r.clientOpenDelta
    if (op.type === OP.JOB_DISPUTE && next.escrow != null) next = await openDispute(b, next, now.now, author) // mediation (lib/disputes)
  }
  await commit(b, job, next, author, writer, clientOpenDelta)
  return true
}

const DISPUTE_STEP_OPS = new Set<number>([OP.DISPUTE_PROPOSE, OP.DISPUTE_ACCEPT, OP.DISPUTE_REJECT, OP.DISPUTE_ESCALATE, OP.DISPUTE_RULE])
const ESCROW_OPS = new Set<number>([OP.ESCROW_PROPOSE, OP.ESCROW_SIGN, OP.ESCROW_FUNDED, OP.ESCROW_PAID, OP.JOB_LAPSE, OP.DISPUTE_RULING])

type Step = { next: JobRecord, clientOpenDelta: number } | null

function jobStep (job: JobRecord, op: Op, author: Uint8Array, escrowOn: boolean, settings: MarketSettings | null, now: MarketNow): Step {
  const esc = job.escrow ?? null
  if (op.type === OP.JOB_CREATE || op.type === OP.MARKET_INIT || op.type === OP.MARKET_SETTINGS) return null
  const check = checkTransition(job, op.type, author, escrowOn)
  if (!check.ok) return null
  const next: JobRecord = { ...job, updatedAt: op.at, history: job.history.slice() }
  const entry = (action: number, note = ''): HistoryEntry => ({ action, from: next.status, to: check.to, by: author, at: op.at, note })
  let clientOpenDelta = 0

  switch (op.type) {
    case OP.JOB_UPDATE: {
      if (job.updates >= LIMITS.updatesPerJob) return null
      if (checkJobFields(op.patch) !== null) return null
      Object.assign(next, op.patch)
      next.updates = job.updates + 1
      addHistory(next, entry(op.type))
      break
    }
    case OP.JOB_CANCEL:
      // always possible for the client of an open job: nothing (no full history, no count) may stop it
      addHistory(next, entry(op.type))
      next.status = check.to
      clientOpenDelta = -1
      break
    case OP.JOB_ACCEPT:
      // a printer that left this job twice may not accept it again: no accept/withdraw cycles
      if (hasLeft(job, author)) return null
      // the deal's terms: the bounty as posted, or the client's standing offer to this printer (./quotes.ts)
      const terms = acceptTerms(job, author, op)
      if (terms === false) return null
      Object.assign(next, terms)
      next.offer = null
      if (escrowOn) {
        const e = op.escrow ?? null
        if (e === null || settings === null) return null
        const rec = acceptEscrow(next, e, author, now.now, settings)
        if (rec === null) return null
        next.escrow = rec
        // the client's delivery window is a term of the deal from schema v9 on: a printer that accepted before it
        // was not told of one
        next.deliveryDays = op.version >= 9 ? settings.deliveryDays ?? DEFAULT_DELIVERY_DAYS : 0
        next.shippedAt = 0
      } else if (op.escrow !== undefined && op.escrow !== null) {
        return null // escrow fields in a market without escrow: the printer expects money to be locked; it will not be
      }
      addHistory(next, entry(op.type))
      next.status = check.to
      next.printer = author
      next.accepts = job.accepts + 1
      next.claims = []
      clientOpenDelta = -1
      if (!escrowOn) {
        addHistory(next, { action: ACTION_AUTO_ACTIVATE, from: 'accepted', to: 'active', by: author, at: op.at, note: 'no escrow in this market' })
        next.status = 'active'
      }
      break
    case OP.JOB_WITHDRAW:
      // once the client signed its funding inputs the printer can complete the funding alone: it may not then
      // walk away from the record of that escrow
      if (esc !== null && (sigOf(esc, 'funding', 'printer') !== undefined || sigOf(esc, 'funding', 'client') !== undefined)) return null
      addHistory(next, entry(op.type))
      next.status = check.to
      next.printer = null
      next.escrow = null
      next.claims = []
      next.leavers = [...job.leavers, author].slice(-LIMITS.leavers)
      clientOpenDelta = 1
      break
    case OP.JOB_SHIP: {
      const psbt = op.psbt ?? null
      if (esc !== null) {
        // the printer's signature on the `complete` payout travels with the ship; a printer that signed the cancel
        // may not ship (with that signature the client could take everything back after delivery)
        // nor once the cancel is complete (the arbitrator co-signed it: the printer was past its ship-by time)
        if (psbt === null || sigOf(esc, 'cancel', 'printer') !== undefined || sigOf(esc, 'complete', 'printer') !== undefined || cancelAgreed(job)) return null
        // past ship-by with the client's cancel in, the arbitrator's engine may have signed it already: a ship
        // ordered after that must not stand while the chain takes the cancel (record.ts lateCancelOpen)
        if (lateCancelOpen(job, now) || releasePending(job, now)) return null
        const sig = verifySig(job, 'complete', 'printer', psbt)
        if (sig === null) return null
        next.escrow = { ...esc, sigs: [...esc.sigs, sig] }
      } else if (psbt !== null) {
        return null
      }
      addHistory(next, entry(op.type, op.note))
      next.status = check.to
      // the client's delivery window starts here, in market time (record.ts releaseAt); none in a market without a
      // clock, where now.now would be the printer's own op.at
      next.shippedAt = now.clocked === false ? 0 : now.now
      break
    }
    case OP.JOB_COMPLETE: {
      const txid = op.payoutTxid ?? null
      const psbt = op.psbt ?? null
      if (esc !== null) {
        // the client's countersignature of the printer's payout: with both in the record the payout is complete and
        // the printer (or anyone) can broadcast it, so "completed" never depends on the client having done so
        const theirs = sigOf(esc, 'complete', 'printer')
        if (psbt === null || theirs === undefined || sigOf(esc, 'complete', 'client') !== undefined) return null
        const sig = verifySig(job, 'complete', 'client', psbt)
        if (sig === null || !b4a.equals(sig.txid, theirs.txid) || (txid !== null && !b4a.equals(txid, sig.txid))) return null
        next.escrow = { ...esc, sigs: [...esc.sigs, sig], closed: { kind: 'complete', txid: sig.txid } }
      } else if (txid !== null || psbt !== null) {
        return null
      }
      addHistory(next, entry(op.type))
      next.status = check.to
      break
    }
    case OP.JOB_DISPUTE:
      if (op.reason.trim().length === 0) return null
      // after the delivery window the printer's payout is due, and past ship-by with the client's cancel in the
      // cancel is: in both the arbitrator's engine may have co-signed, a signature the chain takes whatever apply says
      if (windowOver(job, now) || lateCancelOpen(job, now) || releasePending(job, now)) return null
      addHistory(next, entry(op.type, op.reason))
      next.status = check.to
      break
    default:
      return null
  }
  return { next, clientOpenDelta }
}

async function commit (b: Batch, job: JobRecord, next: JobRecord, author: Uint8Array, writer: WriterRecord, clientOpenDelta: number): Promise<void> {
  // open again (the printer withdrew, or its acceptance lapsed): the job's terms are the posted ones again, not the
  // offer that printer accepted (./quotes.ts)
  if (next.status === 'open' && job.status !== 'open' && next.posted != null) {
    Object.assign(next, next.posted)
    next.posted = null
    next.leadDays = 0
  }
  await putJob(b, job, next)
  await dropAddress(b, job, next) // the sealed shipping address goes when the job closes or its printer leaves
  await reputationOnJob(b, job, next) // peer stats (lib/reputation)
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
}

async function createJob (b: Batch, op: Extract<Op, { type: typeof OP.JOB_CREATE }>, author: Uint8Array, length: number, writer: WriterRecord): Promise<boolean> {
  // a job open to quotes may leave the bounty out (0): the price comes from the quote the client takes
  const quotes = op.quotes === true
  if (checkJobFields(quotes && op.job.bountySats === 0 ? { ...op.job, bountySats: undefined } : op.job) !== null) return false
  const file = op.file ?? null
  if (file !== null && checkFileRef(file) !== null) return false
  const milestones = op.milestones ?? []
  if (milestonesProblem(milestones) !== null) return false
  // a release holds the job for a while of market time: a market without a clock takes no milestones
  if (milestones.length > 0 && !(await hasClock(b))) return false
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
    escrow: null,
    history: [{ action: OP.JOB_CREATE, from: null, to: 'open', by: author, at: op.at, note: '' }],
    rev: 1,
    accepts: 0,
    leavers: [],
    claims: [],
    openToQuotes: quotes,
    quotes: 0,
    offer: null,
    offers: 0,
    leadDays: 0,
    posted: null,
    milestones
  }
  await putJob(b, null, job)
  stats.jobs++
  stats.byStatus[STATUSES.indexOf('open')]++
  await putStats(b, stats)
  await putWriter(b, author, { ...writer, ops: writer.ops + 1, jobs: writer.jobs + 1, openJobs: writer.openJobs + 1 })
  return true
}

// market/settings: only the market's creator; the chain is set once; every number within SETTINGS_BOUNDS (what the
// command line allows); arbitrators and mediators distinct. A job keeps the settings in force at its accept.
async function applySettings (b: Batch, op: Extract<Op, { type: typeof OP.MARKET_SETTINGS }>, author: Uint8Array, writer: WriterRecord): Promise<boolean> {
  const meta = await getMeta(b)
  if (meta === null || !b4a.equals(meta.creator, author)) return false
  const s = op.settings
  const prev = await getSettings(b)
  if (prev.chain !== '' && s.chain !== prev.chain) return false // the chain is set once
  for (const [k, [min, max]] of Object.entries(SETTINGS_BOUNDS)) {
    const v = s[k as keyof typeof SETTINGS_BOUNDS] ?? DEFAULT_SETTINGS[k as keyof typeof SETTINGS_BOUNDS] ?? 0
    if (v < min || v > max) return false
  }
  if (s.arbitrationFeePct > s.depositPct) return false
  for (let i = 0; i < s.arbitrators.length; i++) {
    const a = s.arbitrators[i]
    if (!isCompressedKey(a.pubkey)) return false
    for (let k = 0; k < i; k++) if (b4a.equals(s.arbitrators[k].id, a.id) || b4a.equals(s.arbitrators[k].pubkey, a.pubkey)) return false
  }
  for (let i = 0; i < s.mediators.length; i++) {
    for (let k = 0; k < i; k++) if (b4a.equals(s.mediators[k], s.mediators[i])) return false
  }
  for (let i = 0; i < s.blindPeers.length; i++) {
    for (let k = 0; k < i; k++) if (b4a.equals(s.blindPeers[k], s.blindPeers[i])) return false
  }
  await putSettings(b, s)
  await putWriter(b, author, { ...writer, ops: writer.ops + 1 })
  return true
}

// The arbitrator of a job: arbitrators[u32be(sha256(jobId)) mod n] of the settings in force at the accept.
export function arbitratorIndex (jobId: Uint8Array, n: number): number {
  return pickIndex(jobId, n)
}

// market/clock: an indexer's tick (./clock.ts). Anyone else's is ignored.
async function clockTick (b: Batch, author: Uint8Array, at: number): Promise<boolean> {
  const next = tick(await getClock(b), await getIndexers(b, await getMeta(b)), author, at)
  if (next === null) return false
  await putClock(b, next)
  return true
}

// market/indexers: the creator names up to four more indexers (the op's whole list: it replaces the last one).
// Autobase confirms with a majority of them; a named key counts once it has written to the market.
async function nameIndexers (b: Batch, keys: Uint8Array[], author: Uint8Array, host: Pick<ApplyHost, 'addWriter'> | null): Promise<boolean> {
  const meta = await getMeta(b)
  if (meta === null || !b4a.equals(meta.creator, author)) return false
  if (keys.length > LIMITS.namedIndexers) return false
  for (let i = 0; i < keys.length; i++) {
    if (b4a.equals(keys[i], meta.creator)) return false
    for (let k = 0; k < i; k++) if (b4a.equals(keys[k], keys[i])) return false
  }
  const prev = await getNamedIndexers(b)
  await putNamedIndexers(b, keys)
  // a market made before the clock starts it at an indexer's first tick, not here (it would start at 1970)
  if (await hasClock(b)) await putClock(b, retain(await getClock(b), [meta.creator, ...keys]))
  if (host !== null) {
    for (const k of prev) if (!keys.some(x => b4a.equals(x, k))) await host.addWriter(k, { indexer: false })
    for (const k of keys) if (!prev.some(x => b4a.equals(x, k))) await host.addWriter(k, { indexer: true })
  }
  return true
}
