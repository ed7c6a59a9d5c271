// The job lifecycle on a P2Print: each function checks the transition against the job's record, builds the op
// (with the escrow engine's part in a market with escrow), appends it, and reports whether the market took it.
import b4a from 'b4a'
import type { P2Print, JobChange } from './p2print.js'
import type { LoadedModel } from './model.js'
import type { JobView } from '../market/market.js'
import type { JobQuery } from '../market/view.js'
import { getSettings } from '../market/view.js'
import { OP, LIMITS, milestonesProblem, type Milestone, type JobRecord, type OpBody, type OpType, type JobFields, type JobPatch } from '../schema.js'
import { checkTransition, newEntries } from '../job/state.js'
import { jobIdString } from '../ids.js'
import { BAD_ARGUMENT, NOT_ALLOWED, BAD_TRANSITION, OP_REJECTED, LIMIT_REACHED, ESCROW_NEEDS_BACKEND } from '../errors.js'
import { publishChatKey, grantDue } from '../chat/chat.js'
import { checkLimits, loadEscrowLimits } from '../escrow/limits.js'
import { termsRevOf } from '../market/quotes.js'
import { releaseAt, windowOver, lateCancelOpen } from '../escrow/record.js'
import { releasePending, RELEASE_HOLD_MS } from '../escrow/milestones.js'

export type OnUpload = (p: { bytes: number, total: number, rate: number, etaSecs: number | null }) => void

export async function list (p: P2Print, q: JobQuery, mine: boolean): Promise<JobView[]> {
  return await p.market.jobs(mine ? { ...q, mine: p.market.writerKey } : q)
}

// `quotes`: the job is open to quotes (lib/market/quotes.ts); its bounty may then be 0 (none, only quotes)
export async function create (p: P2Print, fields: JobFields, model: LoadedModel | null, o: { onUpload?: OnUpload, quotes?: boolean, milestones?: Milestone[] }): Promise<JobChange> {
  const market = p.market
  const writer = await market.writerRecord(market.writerKey)
  if (writer.openJobs >= LIMITS.openJobsPerClient) {
    throw LIMIT_REACHED(`you already have ${writer.openJobs} open jobs, the most a client may have in this market: cancel one or wait until one is accepted`)
  }
  // in a market with escrow, terms past this peer's own limits are refused before anything is posted
  const settings = await getSettings(market.view)
  if (settings.chain !== '') checkLimits(settings, await loadEscrowLimits(p.peer.dir))
  const milestones = o.milestones ?? []
  const why = milestonesProblem(milestones)
  if (why !== null) throw BAD_ARGUMENT(why)
  if (milestones.length > 0 && settings.chain === '') throw BAD_ARGUMENT('milestones pay the printer out of an escrow, and this market has none (no chain in its settings)')
  const file = model === null ? null : await market.files.attach(model.bytes, model.name, model.summary)
  const { jobId } = await market.append({ type: OP.JOB_CREATE, job: fields, file, quotes: o.quotes === true, milestones })
  await publishChatKey(market) // so the printer can write to the client's chat as soon as it accepts
  await market.update()
  const v = jobId === null ? null : await market.getJob(jobId)
  if (v === null) throw OP_REJECTED('the market did not take the new job (see `p2print market info`)')
  p.event('job-created', { id: jobIdString(v.job.id) })
  let shared = await p.share()
  if (file !== null && market.connections > 0) {
    p.event('sharing-file', { name: file.name, bytes: file.byteLength })
    const held = await market.files.waitHeld(file, Math.max(p.opts.syncTimeoutMs, 5000), u => {
      p.event('upload-progress', { ...u })
      o.onUpload?.(u)
    })
    p.event(held ? 'file-shared' : 'file-stored-locally', { name: file.name })
    shared = shared && held
  }
  return { view: v, shared }
}

export async function update (p: P2Print, idText: string, patch: JobPatch): Promise<JobChange> {
  return await transition(p, await p.job(idText), OP.JOB_UPDATE, async (jobId) => ({ type: OP.JOB_UPDATE, jobId, patch }), (v) => {
    if (v.job.updates >= LIMITS.updatesPerJob) throw LIMIT_REACHED(`this job was already edited ${v.job.updates} times, the most allowed: cancel it and post a new one`)
  })
}

export async function withdraw (p: P2Print, idText: string): Promise<JobChange> {
  return await transition(p, await p.job(idText), OP.JOB_WITHDRAW, async (jobId) => ({ type: OP.JOB_WITHDRAW, jobId }))
}

// In a market with escrow the printer's accept carries its key, addresses and coins (its deposit). It states the
// price it accepts: the client's offer to this printer where one stands (lib/market/quotes.ts), else the bounty.
export async function accept (p: P2Print, idText: string): Promise<JobChange> {
  return await transition(p, await p.job(idText), OP.JOB_ACCEPT, async (jobId, job) => {
    // the price and the revision of the terms this printer saw: if either changed before the accept is applied, every
    // peer refuses it (lib/market/quotes.ts acceptTerms)
    const priceSats = job.offer?.priceSats ?? job.bountySats
    const termsRev = termsRevOf(job)
    if (!(await p.hasEscrow())) return { type: OP.JOB_ACCEPT, jobId, priceSats, termsRev }
    const escrow = await p.escrowSession()
    if (escrow === null) throw ESCROW_NEEDS_BACKEND((await getSettings(p.market.view)).chain)
    return { type: OP.JOB_ACCEPT, jobId, escrow: await escrow.engine.prepareAccept(jobId), priceSats, termsRev }
  }, (v) => {
    const me = p.market.writerKey
    if (v.job.leavers.filter(k => b4a.equals(k, me)).length >= LIMITS.acceptsPerPrinter) throw NOT_ALLOWED(`you left this job ${LIMITS.acceptsPerPrinter} times (withdrew, or let its funding lapse): you cannot accept it again`)
    const o = v.job.offer
    if (o !== null && !b4a.equals(o.printer, me)) throw NOT_ALLOWED('the client offered this job to another printer: it can be accepted only by that printer, unless the client takes the offer back')
    if (o === null && v.job.openToQuotes) throw NOT_ALLOWED('this job is open to quotes: send one with `p2print job quote ID --price BTC --days N`; once the client offers you the job, accept it')
  })
}

// Shipping an escrowed job carries the printer's signature on the payout the client's completion will release.
export async function ship (p: P2Print, idText: string, note: string): Promise<JobChange> {
  if (note.length > LIMITS.noteChars) throw BAD_ARGUMENT(`the note is longer than ${LIMITS.noteChars} characters`)
  return await transition(p, await p.job(idText), OP.JOB_SHIP, async (jobId, job) => {
    if (job.escrow === null) return { type: OP.JOB_SHIP, jobId, note }
    const escrow = await escrowFor(p, job)
    return { type: OP.JOB_SHIP, jobId, note, psbt: (await escrow.engine.prepareShip(jobId)).psbt }
  })
}

// Completing an escrowed job countersigns and broadcasts the payout; the engine records it with job/complete.
export async function complete (p: P2Print, idText: string): Promise<JobChange> {
  return await transition(p, await p.job(idText), OP.JOB_COMPLETE, async (jobId, job) => {
    if (job.escrow === null) return { type: OP.JOB_COMPLETE, jobId }
    const { txid } = await (await escrowFor(p, job)).engine.complete(jobId)
    p.event('payout-broadcast', { kind: 'complete', txid })
    return null
  })
}

// An open job is cancelled by its client. An escrowed, funded job is cancelled by agreement: each side signs the
// cancel payout; once both have, the engines pay everyone back and the job becomes cancelled.
export async function cancel (p: P2Print, idText: string): Promise<JobChange> {
  const before = await p.job(idText)
  if (before.job.escrow === null || before.job.status === 'open') return await transition(p, before, OP.JOB_CANCEL, async (jobId) => ({ type: OP.JOB_CANCEL, jobId }))
  const escrow = await escrowFor(p, before.job)
  const { txid, shipBy, late } = await escrow.engine.requestCancel(before.job.id)
  p.event('cancel-signed', { id: jobIdString(before.job.id), txid, shipBy: shipBy === null ? null : new Date(shipBy).toISOString(), late })
  await p.market.update()
  await p.escrowSteps(2000)
  const after = (await p.market.getJob(before.job.id)) ?? before
  return { view: after, shared: await p.share() }
}

// The client releases the next milestone (lib/escrow/release.ts); the engines put the release out once the record
// holding both signatures is confirmed.
export async function release (p: P2Print, idText: string): Promise<JobChange> {
  const before = await p.job(idText)
  if (before.job.escrow == null) throw BAD_TRANSITION('this job has no escrow: nothing to release')
  const escrow = await escrowFor(p, before.job)
  const r = await escrow.engine.releaseMilestone(before.job.id)
  p.event('milestone-released', { id: jobIdString(before.job.id), milestone: r.milestone, label: r.label, partSats: Number(r.partSats), printerSats: Number(r.printerSats), feeSats: Number(r.feeSats), lockedSats: Number(r.lockedSats), txid: r.txid })
  await p.market.update()
  await p.escrowSteps(2000)
  const after = (await p.market.getJob(before.job.id)) ?? before
  return { view: after, shared: await p.share() }
}

export async function dispute (p: P2Print, idText: string, reason: string): Promise<JobChange> {
  if (reason.trim().length === 0) throw BAD_ARGUMENT('a dispute needs a reason saying what went wrong')
  if (reason.length > LIMITS.noteChars) throw BAD_ARGUMENT(`the reason is longer than ${LIMITS.noteChars} characters`)
  const v = await p.job(idText)
  const now = await p.market.clock()
  const release = releaseAt(v.job)
  // apply refuses it too; this says why
  if (windowOver(v.job, now) && release !== null) throw BAD_TRANSITION(`the delivery window of this job ended at ${new Date(release).toISOString()} (market time) without a dispute: the printer is being paid, and a dispute is no longer possible`)
  if (lateCancelOpen(v.job, now)) throw BAD_TRANSITION('the printer is past this job\'s ship-by time and the client has cancelled it: the arbitrator\'s engine co-signs the cancel and everyone is paid back, so it can no longer be disputed')
  if (releasePending(v.job, now)) throw BAD_TRANSITION(`the client asked for the release of a milestone: the job takes no dispute until the printer's engine co-signs the release or the ask lapses (${RELEASE_HOLD_MS / 60_000} minutes of market time); try again then`)
  return await transition(p, v, OP.JOB_DISPUTE, async (jobId) => ({ type: OP.JOB_DISPUTE, jobId, reason }))
}

async function escrowFor (p: P2Print, job: JobRecord): Promise<NonNullable<P2Print['escrow']>> {
  return (await p.escrowSession()) ?? p.needEscrow(job)
}

// makeOp returns the op to append, or null when the escrow engine appended it itself.
type MakeOp = (jobId: Uint8Array, job: JobRecord) => Promise<OpBody | null>

async function transition (p: P2Print, before: JobView, action: OpType, makeOp: MakeOp, precheck?: (v: JobView) => void): Promise<JobChange> {
  const market = p.market
  const escrowed = before.job.escrow !== null || (before.job.status === 'open' && await p.hasEscrow())
  const check = checkTransition(before.job, action, market.writerKey, escrowed)
  if (!check.ok) throw check.code === 'NOT_ALLOWED' ? NOT_ALLOWED(check.reason) : BAD_TRANSITION(check.reason)
  if (precheck !== undefined) precheck(before)
  const op = await makeOp(before.job.id, before.job)
  if (op !== null) await market.append(op)
  // the chat: a printer publishes its key when it accepts; opening a dispute lets its mediator and arbitrator in
  if (action === OP.JOB_ACCEPT) await publishChatKey(market)
  await market.update()
  if (action === OP.JOB_DISPUTE) {
    const disputed = await market.getJob(before.job.id)
    if (disputed !== null) await grantDue(market, disputed.job).catch(() => 0)
  }
  const after = await market.getJob(before.job.id)
  const took = after !== null && newEntries(before.job, after.job).some(h => h.action === action)
  if (after === null || !took) throw OP_REJECTED('the market did not apply this change: the job changed meanwhile; run `p2print job show` and try again')
  p.event('job-changed', { id: jobIdString(after.job.id), status: after.job.status, confirmed: after.confirmed })
  return { view: after, shared: await p.share() }
}
