// jobs [filters] | job create | job show | job update | job cancel | job accept | job withdraw | job ship |
// job complete | job dispute
import b4a from 'b4a'
import { withMarket, share, type Ctx, type Result, type Session } from './context.js'
import { ESCROW_NEEDS_BACKEND, runEscrowSteps, type EscrowSession } from './escrow.js'
import { getSettings } from '../market/view.js'
import type { Market, JobView } from '../market/market.js'
import { OP, MATERIALS, STATUSES, LIMITS, type JobRecord, type OpBody, type OpType, type JobFields, type JobPatch, type Material, type Status } from '../schema.js'
import { checkTransition, checkJobFields, newEntries } from '../job/state.js'
import { jobToJSON } from '../job/json.js'
import { parseJobIdPrefix, jobIdString } from '../ids.js'
import { parseBtc } from '../btc.js'
import { BAD_ARGUMENT, JOB_NOT_FOUND, AMBIGUOUS_JOB, NOT_ALLOWED, BAD_TRANSITION, OP_REJECTED, LIMIT_REACHED } from '../errors.js'
import type { JobQuery } from '../market/view.js'
import { loadModelFile } from './files.js'
import { publishChatKey, grantDue } from '../chat/chat.js'
import { jobRecords } from '../reputation/query.js'

export interface JobFlags {
  title?: string
  material?: string
  color?: string[]
  bounty?: string
  country?: string
  notes?: string
  file?: string
  note?: string
  reason?: string
}

export interface JobsFlags {
  status?: string
  material?: string
  country?: string
  minBounty?: string
  mine?: boolean
  limit?: string
}

// --- flag parsing (usage errors, before any network) ---------------------------------------------------------

export function parseMaterial (text: string): Material {
  const m = MATERIALS.find(m => m.toLowerCase() === text.trim().toLowerCase())
  if (m === undefined) throw BAD_ARGUMENT(`unknown material ${JSON.stringify(text)}: use one of ${MATERIALS.join(', ')}`)
  return m
}

export function parseBounty (text: string, flag = '--bounty'): number {
  const sats = parseBtc(text)
  if (sats === null) throw BAD_ARGUMENT(`${flag} ${JSON.stringify(text)} is not an amount in BTC: use a decimal number with at most 8 decimals, e.g. 0.0005`)
  if (sats === 0 && flag === '--bounty') throw BAD_ARGUMENT(`${flag} must be more than 0 BTC`)
  return sats
}

function parseCountry (text: string): string {
  return text.trim().toUpperCase()
}

export function parsePatch (flags: JobFlags): JobPatch {
  const p: JobPatch = {}
  if (flags.title !== undefined) p.title = flags.title.trim()
  if (flags.material !== undefined) p.material = parseMaterial(flags.material)
  if (flags.color !== undefined) p.colors = flags.color.flatMap(c => c.split(',')).map(c => c.trim()).filter(c => c.length > 0)
  if (flags.bounty !== undefined) p.bountySats = parseBounty(flags.bounty)
  if (flags.country !== undefined) p.country = parseCountry(flags.country)
  if (flags.notes !== undefined) p.notes = flags.notes
  const bad = checkJobFields(p)
  if (bad !== null) throw BAD_ARGUMENT(bad)
  return p
}

export function parseNewJob (flags: JobFlags): JobFields {
  for (const f of ['title', 'material', 'bounty', 'country'] as const) {
    if (flags[f] === undefined) throw BAD_ARGUMENT(`job create needs --${f}`)
  }
  const p = parsePatch(flags)
  return { title: p.title!, material: p.material!, colors: p.colors ?? [], bountySats: p.bountySats!, country: p.country!, notes: p.notes ?? '' }
}

export function parseQuery (flags: JobsFlags): JobQuery {
  const q: JobQuery = {}
  if (flags.status !== undefined) {
    const s = flags.status.trim().toLowerCase()
    if (!(STATUSES as readonly string[]).includes(s)) throw BAD_ARGUMENT(`unknown status ${JSON.stringify(flags.status)}: use one of ${STATUSES.join(', ')}`)
    q.status = s as Status
  }
  if (flags.material !== undefined) q.material = parseMaterial(flags.material)
  if (flags.country !== undefined) {
    q.country = parseCountry(flags.country)
    const bad = checkJobFields({ country: q.country })
    if (bad !== null) throw BAD_ARGUMENT(bad)
  }
  if (flags.minBounty !== undefined) q.minBountySats = parseBounty(flags.minBounty, '--min-bounty')
  if (flags.limit !== undefined) {
    const n = Number(flags.limit)
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw BAD_ARGUMENT('--limit must be a whole number from 1 to 1000')
    q.limit = n
  } else {
    q.limit = 50
  }
  return q
}

// --- commands ---------------------------------------------------------------------------------------------------

export async function jobsCommand (ctx: Ctx, flags: JobsFlags): Promise<Result> {
  const q = parseQuery(flags)
  return withMarket(ctx, async ({ market, peers }) => {
    if (flags.mine === true) q.mine = market.writerKey
    const jobs = (await market.jobs(q)).map(v => jobToJSON(v.job, v.confirmed))
    return { kind: 'jobs', data: { jobs, peers, total: jobs.length } }
  })
}

export async function jobShow (ctx: Ctx, idText: string): Promise<Result> {
  return withMarket(ctx, async ({ market, peers }) => {
    const v = await resolveJob(market, idText)
    return { kind: 'job', data: { ...jobToJSON(v.job, v.confirmed), ...(await jobRecords(market.view, v.job)), peers } }
  })
}

export async function jobCreate (ctx: Ctx, flags: JobFlags): Promise<Result> {
  const fields = parseNewJob(flags)
  const model = flags.file === undefined ? null : await loadModelFile(flags.file)
  if (model !== null) ctx.emit('model-analysed', { name: model.name, summary: model.summary })
  return withMarket(ctx, async ({ market, peers }) => {
    const writer = await market.writerRecord(market.writerKey)
    if (writer.openJobs >= LIMITS.openJobsPerClient) {
      throw LIMIT_REACHED(`you already have ${writer.openJobs} open jobs, the most a client may have in this market: cancel one or wait until one is accepted`)
    }
    const file = model === null ? null : await market.files.attach(model.bytes, model.name, model.summary)
    const { jobId } = await market.append({ type: OP.JOB_CREATE, job: fields, file })
    await publishChatKey(market) // so the printer can write to the client's chat as soon as it accepts
    await market.update()
    const v = jobId === null ? null : await market.getJob(jobId)
    if (v === null) throw OP_REJECTED('the market did not take the new job (see `p2print market info`)')
    ctx.emit('job-created', { id: jobIdString(v.job.id) })
    let shared = await share(ctx, market)
    if (file !== null && market.connections > 0) {
      ctx.emit('sharing-file', { name: file.name, bytes: file.byteLength })
      const held = await market.files.waitHeld(file, Math.max(ctx.syncTimeoutMs, 5000), p => ctx.emit('upload-progress', p))
      ctx.emit(held ? 'file-shared' : 'file-stored-locally', { name: file.name })
      shared = shared && held
    }
    return { kind: 'job', data: { ...jobToJSON(v.job, v.confirmed), shared, peers } }
  })
}

export async function jobUpdate (ctx: Ctx, idText: string, flags: JobFlags): Promise<Result> {
  const patch = parsePatch(flags)
  if (Object.keys(patch).length === 0) throw BAD_ARGUMENT('job update needs at least one of --title, --material, --color, --bounty, --country, --notes')
  return transition(ctx, idText, OP.JOB_UPDATE, async (jobId) => ({ type: OP.JOB_UPDATE, jobId, patch }), (v) => {
    if (v.job.updates >= LIMITS.updatesPerJob) throw LIMIT_REACHED(`this job was already edited ${v.job.updates} times, the most allowed: cancel it and post a new one`)
  })
}

export const jobWithdraw = (ctx: Ctx, id: string): Promise<Result> => transition(ctx, id, OP.JOB_WITHDRAW, async (jobId) => ({ type: OP.JOB_WITHDRAW, jobId }))

// In a market with escrow the printer's accept carries its key, addresses and coins (its deposit).
export const jobAccept = (ctx: Ctx, id: string): Promise<Result> => transition(ctx, id, OP.JOB_ACCEPT, async (jobId, s) => {
  if (!(await marketHasEscrow(s))) return { type: OP.JOB_ACCEPT, jobId }
  if (s.escrow === null) throw ESCROW_NEEDS_BACKEND((await getSettings(s.market.view)).chain)
  return { type: OP.JOB_ACCEPT, jobId, escrow: await s.escrow.engine.prepareAccept(jobId) }
}, (v, s) => {
  if (v.job.leavers.filter(k => b4a.equals(k, s.market.writerKey)).length >= LIMITS.acceptsPerPrinter) throw NOT_ALLOWED(`you left this job ${LIMITS.acceptsPerPrinter} times (withdrew, or let its funding lapse): you cannot accept it again`)
})

// Shipping an escrowed job carries the printer's signature on the payout the client's completion will release.
export function jobShip (ctx: Ctx, id: string, note = ''): Promise<Result> {
  if (note.length > LIMITS.noteChars) throw BAD_ARGUMENT(`--note is longer than ${LIMITS.noteChars} characters`)
  return transition(ctx, id, OP.JOB_SHIP, async (jobId, s, job) => {
    if (job.escrow === null) return { type: OP.JOB_SHIP, jobId, note }
    const escrow = needEscrow(s, job)
    return { type: OP.JOB_SHIP, jobId, note, psbt: (await escrow.engine.prepareShip(jobId)).psbt }
  })
}

// Completing an escrowed job countersigns and broadcasts the payout; the engine records it with job/complete.
export const jobComplete = (ctx: Ctx, id: string): Promise<Result> => transition(ctx, id, OP.JOB_COMPLETE, async (jobId, s, job) => {
  if (job.escrow === null) return { type: OP.JOB_COMPLETE, jobId }
  const { txid } = await needEscrow(s, job).engine.complete(jobId)
  ctx.emit('payout-broadcast', { kind: 'complete', txid })
  return null
})

// An open job is cancelled by its client. An escrowed, funded job is cancelled by agreement: each side signs the
// cancel payout; once both have, the engines pay everyone back and the job becomes cancelled.
export async function jobCancel (ctx: Ctx, id: string): Promise<Result> {
  return withMarket(ctx, async (s) => {
    const before = await resolveJob(s.market, id)
    if (before.job.escrow === null || before.job.status === 'open') return doTransition(ctx, s, before, OP.JOB_CANCEL, async (jobId) => ({ type: OP.JOB_CANCEL, jobId }))
    const escrow = needEscrow(s, before.job)
    const { txid } = await escrow.engine.requestCancel(before.job.id)
    ctx.emit('cancel-signed', { id: jobIdString(before.job.id), txid })
    await s.market.update()
    await runEscrowSteps(ctx, escrow, 2000)
    const after = (await s.market.getJob(before.job.id)) ?? before
    const shared = await share(ctx, s.market)
    return { kind: 'job', data: { ...jobToJSON(after.job, after.confirmed), shared, peers: s.peers } }
  })
}

async function marketHasEscrow (s: Session): Promise<boolean> {
  return (await getSettings(s.market.view)).chain !== ''
}

function needEscrow (s: Session, job: JobRecord): EscrowSession {
  if (s.escrow === null) throw ESCROW_NEEDS_BACKEND(job.escrow === null ? 'its chain' : 'its chain (see `p2print market info`)')
  return s.escrow
}

export function jobDispute (ctx: Ctx, id: string, reason: string | undefined): Promise<Result> {
  if (reason === undefined || reason.trim().length === 0) throw BAD_ARGUMENT('job dispute needs --reason TEXT saying what went wrong')
  if (reason.length > LIMITS.noteChars) throw BAD_ARGUMENT(`--reason is longer than ${LIMITS.noteChars} characters`)
  return transition(ctx, id, OP.JOB_DISPUTE, async (jobId) => ({ type: OP.JOB_DISPUTE, jobId, reason }))
}

// makeOp returns the op to append, or null when the escrow engine appended it itself.
type MakeOp = (jobId: Uint8Array, s: Session, job: JobRecord) => Promise<OpBody | null>

async function transition (ctx: Ctx, idText: string, action: OpType, makeOp: MakeOp, precheck?: (v: JobView, s: Session) => void): Promise<Result> {
  return withMarket(ctx, async (s) => doTransition(ctx, s, await resolveJob(s.market, idText), action, makeOp, precheck))
}

async function doTransition (ctx: Ctx, s: Session, before: JobView, action: OpType, makeOp: MakeOp, precheck?: (v: JobView, s: Session) => void): Promise<Result> {
  {
    const { market, peers } = s
    const escrowed = before.job.escrow !== null || (before.job.status === 'open' && await marketHasEscrow(s))
    const check = checkTransition(before.job, action, market.writerKey, escrowed)
    if (!check.ok) throw check.code === 'NOT_ALLOWED' ? NOT_ALLOWED(check.reason) : BAD_TRANSITION(check.reason)
    if (precheck !== undefined) precheck(before, s)
    const op = await makeOp(before.job.id, s, before.job)
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
    ctx.emit('job-changed', { id: jobIdString(after.job.id), status: after.job.status, confirmed: after.confirmed })
    const shared = await share(ctx, market)
    return { kind: 'job', data: { ...jobToJSON(after.job, after.confirmed), shared, peers } }
  }
}

export async function resolveJob (market: Market, idText: string): Promise<JobView> {
  const parsed = parseJobIdPrefix(idText)
  if (parsed === null || parsed.text.length < 4) throw JOB_NOT_FOUND(idText)
  if (parsed.bytes.byteLength === 16) {
    const v = await market.getJob(parsed.bytes)
    if (v === null) throw JOB_NOT_FOUND(idText)
    return v
  }
  const candidates = (await market.jobsWithIdPrefix(parsed.bytes, 100_000)).filter(j => jobIdString(j.id).startsWith(parsed.text))
  if (candidates.length === 0) throw JOB_NOT_FOUND(idText)
  if (candidates.length > 1) throw AMBIGUOUS_JOB(idText, candidates.length)
  const v = await market.getJob(candidates[0].id)
  if (v === null) throw JOB_NOT_FOUND(idText)
  return v
}
