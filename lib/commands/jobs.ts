// jobs [filters] | job create | job show | job update | job cancel | job accept | job withdraw | job ship |
// job complete | job dispute | job release
import { withMarket, type Ctx, type Result } from './context.js'
import type { JobChange } from '../service/p2print.js'
import { loadModelFile } from '../service/model.js'
import { LIMITS } from '../schema.js'
import { jobToJSON } from '../job/json.js'
import { BAD_ARGUMENT, TOO_MANY_PHOTOS } from '../errors.js'
import { loadPhoto, type LoadedPhoto } from '../chat/photos.js'
import { CHAT_LIMITS } from '../chat/codec.js'
import { parseNewJob, parsePatch, parseQuery, parseMilestones, type JobFlags, type JobsFlags } from '../job/parse.js'
import { jobRecords } from '../reputation/query.js'

// --- commands: parse, one service call, the result ------------------------------------------------------------

const jobResult = (c: JobChange, peers: number): Result => ({ kind: 'job', data: { ...jobToJSON(c.view.job, c.view.confirmed), shared: c.shared, peers } })

export async function jobsCommand (ctx: Ctx, flags: JobsFlags): Promise<Result> {
  const q = parseQuery(flags)
  return withMarket(ctx, async (p) => {
    const jobs = (await p.jobs(q, flags.mine === true)).map(v => jobToJSON(v.job, v.confirmed))
    return { kind: 'jobs', data: { jobs, peers: p.peers, total: jobs.length } }
  })
}

export async function jobShow (ctx: Ctx, idText: string): Promise<Result> {
  return withMarket(ctx, async (p) => {
    const v = await p.job(idText)
    return { kind: 'job', data: { ...jobToJSON(v.job, v.confirmed), ...(await jobRecords(p.market.view, v.job)), peers: p.peers } }
  })
}

export async function jobCreate (ctx: Ctx, flags: JobFlags): Promise<Result> {
  const fields = parseNewJob(flags)
  const milestones = parseMilestones(flags.milestones)
  const model = flags.file === undefined ? null : await loadModelFile(flags.file)
  if (model !== null) ctx.emit('model-analysed', { name: model.name, summary: model.summary })
  return withMarket(ctx, async (p) => jobResult(await p.createJob(fields, model, { quotes: flags.quotes === true, milestones }), p.peers))
}

export async function jobUpdate (ctx: Ctx, idText: string, flags: JobFlags): Promise<Result> {
  const patch = parsePatch(flags)
  if (Object.keys(patch).length === 0) throw BAD_ARGUMENT('job update needs at least one of --title, --material, --color, --bounty, --country, --notes')
  return withMarket(ctx, async (p) => jobResult(await p.updateJob(idText, patch), p.peers))
}

export const jobWithdraw = (ctx: Ctx, id: string): Promise<Result> => withMarket(ctx, async (p) => jobResult(await p.withdraw(id), p.peers))

export const jobAccept = (ctx: Ctx, id: string): Promise<Result> => withMarket(ctx, async (p) => jobResult(await p.accept(id), p.peers))

// --photo FILE (up to the chat's per-message limit): photos of the finished print, sent after the ship into the
// job's end-to-end encrypted chat, so only the client (and, in a dispute, its mediator and arbitrator) can see them.
export async function jobShip (ctx: Ctx, id: string, note = '', photoFiles: string[] = []): Promise<Result> {
  if (note.length > LIMITS.noteChars) throw BAD_ARGUMENT(`--note is longer than ${LIMITS.noteChars} characters`)
  if (photoFiles.length > CHAT_LIMITS.photosPerMessage) throw TOO_MANY_PHOTOS(0, photoFiles.length)
  const photos: LoadedPhoto[] = []
  for (const f of photoFiles) photos.push(await loadPhoto(f)) // checked before anything is written
  const full = `Shipped${note.trim() === '' ? '' : `: ${note.trim()}`}. Photos of the finished print.`
  const text = Buffer.byteLength(full) <= CHAT_LIMITS.textBytes ? full : 'Shipped. Photos of the finished print.'
  return withMarket(ctx, async (p) => {
    const shipped = await p.ship(id, note)
    // the ship stands whatever becomes of the photos: a chat the market refuses (its photo limits, a chat key not
    // yet there) is a warning, and `chat ID --photo` sends them again
    if (photos.length > 0) {
      await p.chat(id, { text, photos }).catch((err: Error) => ctx.emit('warning', { message: `shipped, but the photos were not sent: ${err.message}; send them with \`p2print chat ${id} --photo FILE\`` }))
    }
    return jobResult(shipped, p.peers)
  })
}

export const jobComplete = (ctx: Ctx, id: string): Promise<Result> => withMarket(ctx, async (p) => jobResult(await p.complete(id), p.peers))

// The client releases the next milestone: its part goes to the printer, the rest stays locked (lib/escrow/release.ts).
export const jobRelease = (ctx: Ctx, id: string): Promise<Result> => withMarket(ctx, async (p) => jobResult(await p.releaseMilestone(id), p.peers))

export const jobCancel = (ctx: Ctx, id: string): Promise<Result> => withMarket(ctx, async (p) => jobResult(await p.cancel(id), p.peers))

export function jobDispute (ctx: Ctx, id: string, reason: string | undefined): Promise<Result> {
  if (reason === undefined || reason.trim().length === 0) throw BAD_ARGUMENT('job dispute needs --reason TEXT saying what went wrong')
  if (reason.length > LIMITS.noteChars) throw BAD_ARGUMENT(`--reason is longer than ${LIMITS.noteChars} characters`)
  return withMarket(ctx, async (p) => jobResult(await p.dispute(id, reason), p.peers))
}
