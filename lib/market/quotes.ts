// Quotes and offers: the reducer part (job/quote, job/quote-withdraw, job/offer) and their keys in the view.
//
// A printer answers an open job with a quote (price, lead time, optionally a material and colours it proposes); it
// may replace it (QUOTE_LIMITS.revisionsPerJob in all) or withdraw it. The client offers the job to one printer
// with a live quote: at the quoted terms (taking the quote) or at other ones (a counter-offer); one offer stands at
// a time and a later one replaces it (QUOTE_LIMITS.offersPerJob in all; price 0 takes it back). While an offer
// stands only its printer may accept the job, and its job/accept must state the offer's price: the deal is made at
// that price (the escrow's amounts follow it), so an offer changed while the accept was on its way refuses that
// accept instead of binding the printer to terms it never saw. A job posted open to quotes can only be accepted
// through an offer. A printer's withdrawal of its quote also ends an offer standing to it (it declines).
// Spam limits: per printer per job (revisions), per printer per hour of market time (QUOTE_LIMITS.perHour, in its
// writer record), per job for the client's offers. Every check reads only the view; nothing here throws on input.
import b4a from 'b4a'
import c from 'compact-encoding'
import type { BeeBatch } from 'hyperbee'
import { OP, LIMITS, QUOTE_LIMITS, quoteRecord, type Op, type JobRecord, type WriterRecord, type QuoteRecord } from '../schema.js'
import { addHistory, checkJobFields } from '../job/state.js'
import { getJob, putJob, putWriter, prefixEnd, type View } from './view.js'
import { marketNow, hasClock } from './clock.js'

type Batch = BeeBatch<Uint8Array, Uint8Array>
type Reader = Pick<View, 'get'> | Pick<Batch, 'get'>

const P_QUOTE = 0x71 // 'q'
const BY_JOB = 0
const BY_PRINTER = 1
const HOUR_MS = 3_600_000

function quoteKey (jobId: Uint8Array, printer: Uint8Array): Uint8Array {
  return b4a.concat([b4a.from([P_QUOTE, BY_JOB]), jobId, printer])
}
function printerQuoteKey (printer: Uint8Array, jobId: Uint8Array): Uint8Array {
  return b4a.concat([b4a.from([P_QUOTE, BY_PRINTER]), printer, jobId])
}

export function isQuoteOp (op: Op): op is Extract<Op, { type: typeof OP.JOB_QUOTE | typeof OP.JOB_QUOTE_WITHDRAW | typeof OP.JOB_OFFER }> {
  return op.type === OP.JOB_QUOTE || op.type === OP.JOB_QUOTE_WITHDRAW || op.type === OP.JOB_OFFER
}

// A printer that left a job this often may neither accept nor quote it again (as for job/accept).
export function hasLeft (job: Pick<JobRecord, 'leavers'>, printer: Uint8Array): boolean {
  return job.leavers.filter(k => b4a.equals(k, printer)).length >= LIMITS.acceptsPerPrinter
}

export async function applyQuoteOp (b: Batch, op: Extract<Op, { type: typeof OP.JOB_QUOTE | typeof OP.JOB_QUOTE_WITHDRAW | typeof OP.JOB_OFFER }>, author: Uint8Array, writer: WriterRecord): Promise<boolean> {
  const job = await getJob(b, op.jobId)
  if (job === null || job.status !== 'open') return false
  // quotes are counted per hour of market time: a market without a clock (made before schema v6) takes none, or
  // each printer's own clock would set its limit
  if (!(await hasClock(b))) return false
  const now = (await marketNow(b, op.at)).now
  if (op.type === OP.JOB_QUOTE) return quote(b, job, op, author, writer, now)
  if (op.type === OP.JOB_QUOTE_WITHDRAW) return withdraw(b, job, author, writer)
  return offer(b, job, op, author, writer, now)
}

function proposalOk (material: unknown, colors: string[]): boolean {
  return checkJobFields({ colors, ...(material === null ? {} : { material: material as JobRecord['material'] }) }) === null
}

async function quote (b: Batch, job: JobRecord, op: Extract<Op, { type: typeof OP.JOB_QUOTE }>, author: Uint8Array, writer: WriterRecord, now: number): Promise<boolean> {
  if (b4a.equals(job.client, author) || hasLeft(job, author)) return false
  if (op.priceSats < 1 || op.leadDays < 1 || !proposalOk(op.material, op.colors)) return false
  const prev = await getQuote(b, job.id, author)
  const revs = prev?.revs ?? 0
  if (revs >= QUOTE_LIMITS.revisionsPerJob) return false
  const fresh = writer.quoteHourAt === undefined || now >= writer.quoteHourAt + HOUR_MS // market time only grows
  const hourAt = fresh ? now : writer.quoteHourAt ?? now
  const inHour = fresh ? 0 : writer.quotesInHour ?? 0
  if (inHour >= QUOTE_LIMITS.perHour) return false
  const rec: QuoteRecord = { printer: author, priceSats: op.priceSats, leadDays: op.leadDays, material: op.material, colors: op.colors, note: op.note, at: now, revs: revs + 1, live: true }
  await b.put(quoteKey(job.id, author), c.encode(quoteRecord, rec))
  if (prev === null) await b.put(printerQuoteKey(author, job.id), b4a.alloc(0))
  if (prev?.live !== true) await putJob(b, job, { ...job, quotes: job.quotes + 1 })
  await putWriter(b, author, { ...writer, ops: writer.ops + 1, quoteHourAt: hourAt, quotesInHour: inHour + 1 })
  return true
}

async function withdraw (b: Batch, job: JobRecord, author: Uint8Array, writer: WriterRecord): Promise<boolean> {
  const prev = await getQuote(b, job.id, author)
  if (prev === null || !prev.live) return false
  await b.put(quoteKey(job.id, author), c.encode(quoteRecord, { ...prev, live: false }))
  const declines = job.offer !== null && b4a.equals(job.offer.printer, author)
  await putJob(b, job, { ...job, quotes: Math.max(0, job.quotes - 1), offer: declines ? null : job.offer })
  await putWriter(b, author, { ...writer, ops: writer.ops + 1 })
  return true
}

async function offer (b: Batch, job: JobRecord, op: Extract<Op, { type: typeof OP.JOB_OFFER }>, author: Uint8Array, writer: WriterRecord, now: number): Promise<boolean> {
  if (!b4a.equals(job.client, author)) return false
  // taking an offer back is always possible and not counted (each needs an offer standing, and those are counted)
  const next: JobRecord = { ...job, history: job.history.slice(), updatedAt: op.at }
  if (op.priceSats === 0) {
    if (job.offer === null) return false
    next.offer = null
  } else {
    if (job.offers >= QUOTE_LIMITS.offersPerJob) return false
    next.offers = job.offers + 1
    if (b4a.equals(op.printer, job.client) || hasLeft(job, op.printer)) return false
    if (op.leadDays < 1 || !proposalOk(op.material, op.colors)) return false
    const q = await getQuote(b, job.id, op.printer)
    if (q === null || !q.live) return false // an offer answers a live quote
    next.offer = { printer: op.printer, priceSats: op.priceSats, leadDays: op.leadDays, material: op.material, colors: op.colors, at: now }
  }
  addHistory(next, { action: OP.JOB_OFFER, from: 'open', to: 'open', by: author, at: op.at, note: '' })
  await putJob(b, job, next)
  await putWriter(b, author, { ...writer, ops: writer.ops + 1 })
  return true
}

// The revision of an open job's terms: its history count (`rev`), which every edit (job/update), every offer and
// every offer taken back moves (quotes write no history). A job/accept of schema v8 states the revision it saw, so
// an accept written before an edit or a new offer reached its printer is refused instead of binding the printer to
// terms it never saw.
export function termsRevOf (job: Pick<JobRecord, 'rev'>): number {
  return job.rev
}

// What a job/accept must satisfy given the job's quotes state: the terms the deal is made at (price, material,
// colours, lead time, and the posted terms to go back to if the printer leaves), or false if it is refused.
export function acceptTerms (job: JobRecord, author: Uint8Array, op: { priceSats?: number, termsRev?: number }): Pick<JobRecord, 'bountySats' | 'material' | 'colors' | 'leadDays' | 'posted'> | false {
  const priceSats = op.priceSats ?? 0
  // 0: not stated (an accept of an older client): the check protects the printer, whose own client states it
  const rev = op.termsRev ?? 0
  if (rev !== 0 && rev !== termsRevOf(job)) return false // the terms changed under the accept
  const o = job.offer
  if (o === null) {
    if (job.openToQuotes) return false // such a job is only taken through an offer
    if (priceSats !== 0 && priceSats !== job.bountySats) return false // the bounty changed under the accept
    return { bountySats: job.bountySats, material: job.material, colors: job.colors, leadDays: job.leadDays, posted: null }
  }
  if (!b4a.equals(o.printer, author) || priceSats !== o.priceSats) return false
  return {
    bountySats: o.priceSats,
    material: o.material ?? job.material,
    colors: o.colors.length > 0 ? o.colors : job.colors,
    leadDays: o.leadDays,
    posted: { bountySats: job.bountySats, material: job.material, colors: job.colors }
  }
}

// --- reads ----------------------------------------------------------------------------------------------------

export async function getQuote (v: Reader, jobId: Uint8Array, printer: Uint8Array): Promise<QuoteRecord | null> {
  const e = await v.get(quoteKey(jobId, printer))
  return e === null ? null : c.decode(quoteRecord, e.value)
}

// A job's quotes, live ones only unless `all`, cheapest first; at most `max` records read (a job quoted by
// thousands of admitted keys costs its readers no more than that).
export async function quotesOf (view: View, jobId: Uint8Array, all = false, max = 1000): Promise<QuoteRecord[]> {
  const prefix = b4a.concat([b4a.from([P_QUOTE, BY_JOB]), jobId])
  const out: QuoteRecord[] = []
  for await (const e of view.createReadStream({ gte: prefix, lt: prefixEnd(prefix), limit: max })) {
    const q = c.decode(quoteRecord, e.value)
    if (all || q.live) out.push(q)
  }
  return out.sort((a, b) => a.priceSats - b.priceSats || a.at - b.at)
}

// The jobs a printer has quoted on (an index range, newest key order is by job id), at most `max`.
export async function quotedJobs (view: View, printer: Uint8Array, max = 500): Promise<Uint8Array[]> {
  const prefix = b4a.concat([b4a.from([P_QUOTE, BY_PRINTER]), printer])
  const out: Uint8Array[] = []
  for await (const e of view.createReadStream({ gte: prefix, lt: prefixEnd(prefix), limit: max })) out.push(e.key.subarray(prefix.length))
  return out
}
