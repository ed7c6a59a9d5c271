// Quotes and offers on a P2Print (lib/market/quotes.ts has the rules apply enforces): each function refuses locally
// what every peer's apply would refuse, with the reason, appends the op and reports whether the market took it.
import b4a from 'b4a'
import type { P2Print, JobChange } from './p2print.js'
import type { JobView } from '../market/market.js'
import { OP, LIMITS, QUOTE_LIMITS, type Material, type QuoteRecord, type OpBody } from '../schema.js'
import { getQuote, quotesOf, hasLeft } from '../market/quotes.js'
import { marketNow } from '../market/clock.js'
import { checkJobFields, newEntries } from '../job/state.js'
import { peerSummary, type PeerSummaryJSON } from '../reputation/query.js'
import { peerId, jobIdString } from '../ids.js'
import { formatBtc } from '../btc.js'
import { printable, isoTime } from '../text.js'
import { BAD_ARGUMENT, NOT_ALLOWED, BAD_TRANSITION, OP_REJECTED, LIMIT_REACHED } from '../errors.js'

export interface QuoteTerms { priceSats: number, leadDays: number, material?: Material | null, colors?: string[], note?: string }

export interface QuoteJSON {
  n: number // its place in the job's list (cheapest first): what `job take-quote ID N` takes
  printer: string
  priceSats: number
  priceBtc: string
  leadDays: number
  material: Material | null
  colors: string[]
  note: string
  at: string // market time
  revision: number
  offered: boolean // the client's standing offer is to this printer
  record: PeerSummaryJSON // the printer's record in this market: completed jobs, rating, median accept → ship
}

export interface QuotesResult { job: string, title: string, status: string, openToQuotes: boolean, bountySats: number, quotes: QuoteJSON[] }

function checkTerms (t: QuoteTerms): void {
  if (!Number.isSafeInteger(t.priceSats) || t.priceSats < 1) throw BAD_ARGUMENT('the price must be more than 0 BTC')
  if (t.priceSats > LIMITS.maxBountySats) throw BAD_ARGUMENT('the price is more than 21 million BTC')
  if (!Number.isInteger(t.leadDays) || t.leadDays < 1 || t.leadDays > QUOTE_LIMITS.leadDays) throw BAD_ARGUMENT(`the lead time must be 1 to ${QUOTE_LIMITS.leadDays} days`)
  const why = checkJobFields({ colors: t.colors ?? [], ...(t.material == null ? {} : { material: t.material }) })
  if (why !== null) throw BAD_ARGUMENT(why)
  if ((t.note ?? '').length > QUOTE_LIMITS.noteChars) throw BAD_ARGUMENT(`the note is longer than ${QUOTE_LIMITS.noteChars} characters`)
}

function mustBeOpen (v: JobView, verb: string): void {
  if (v.job.status !== 'open') throw BAD_TRANSITION(`cannot ${verb} a job that is ${v.job.status} (only an open job)`)
}

// Appends `op` and checks, by the job record after it, that the market applied it.
async function appendAndCheck (p: P2Print, before: JobView, op: OpBody, took: (after: JobView) => Promise<boolean>): Promise<JobChange> {
  await p.market.append(op)
  await p.market.update()
  const after = await p.market.getJob(before.job.id)
  if (after === null || !(await took(after))) throw OP_REJECTED('the market did not apply this: the job changed meanwhile; run `p2print job quotes ID` and try again')
  p.event('job-changed', { id: jobIdString(after.job.id), status: after.job.status, confirmed: after.confirmed })
  return { view: after, shared: await p.share() }
}

export async function quote (p: P2Print, idText: string, t: QuoteTerms): Promise<JobChange> {
  checkTerms(t)
  const v = await p.job(idText)
  const me = p.market.writerKey
  mustBeOpen(v, 'quote')
  if (b4a.equals(v.job.client, me)) throw NOT_ALLOWED('you are this job\'s client: printers quote it')
  if (hasLeft(v.job, me)) throw NOT_ALLOWED(`you left this job ${LIMITS.acceptsPerPrinter} times: you cannot quote it again`)
  const prev = await getQuote(p.market.view, v.job.id, me)
  if ((prev?.revs ?? 0) >= QUOTE_LIMITS.revisionsPerJob) throw LIMIT_REACHED(`you already quoted this job ${QUOTE_LIMITS.revisionsPerJob} times, the most allowed`)
  const w = await p.market.writerRecord(me)
  const now = (await marketNow(p.market.view, Date.now())).now
  if (w.quoteHourAt !== undefined && now >= w.quoteHourAt && now < w.quoteHourAt + 3_600_000 && (w.quotesInHour ?? 0) >= QUOTE_LIMITS.perHour) {
    throw LIMIT_REACHED(`you wrote ${QUOTE_LIMITS.perHour} quotes in the last hour of market time, the most allowed: try again after ${isoTime(w.quoteHourAt + 3_600_000)}`)
  }
  const op: OpBody = { type: OP.JOB_QUOTE, jobId: v.job.id, priceSats: t.priceSats, leadDays: t.leadDays, material: t.material ?? null, colors: t.colors ?? [], note: t.note ?? '' }
  return await appendAndCheck(p, v, op, async () => (await getQuote(p.market.view, v.job.id, me))?.revs === (prev?.revs ?? 0) + 1)
}

export async function withdrawQuote (p: P2Print, idText: string): Promise<JobChange> {
  const v = await p.job(idText)
  const me = p.market.writerKey
  mustBeOpen(v, 'withdraw a quote from')
  const prev = await getQuote(p.market.view, v.job.id, me)
  if (prev === null || !prev.live) throw NOT_ALLOWED('you have no quote on this job')
  return await appendAndCheck(p, v, { type: OP.JOB_QUOTE_WITHDRAW, jobId: v.job.id }, async () => (await getQuote(p.market.view, v.job.id, me))?.live === false)
}

export async function list (p: P2Print, idText: string): Promise<QuotesResult> {
  const v = await p.job(idText)
  const live = await quotesOf(p.market.view, v.job.id)
  const quotes: QuoteJSON[] = []
  for (const [i, q] of live.entries()) quotes.push(await quoteJSON(p, v, q, i + 1))
  return { job: jobIdString(v.job.id), title: printable(v.job.title), status: v.job.status, openToQuotes: v.job.openToQuotes, bountySats: v.job.bountySats, quotes }
}

async function quoteJSON (p: P2Print, v: JobView, q: QuoteRecord, n: number): Promise<QuoteJSON> {
  return {
    n,
    printer: peerId(q.printer),
    priceSats: q.priceSats,
    priceBtc: formatBtc(q.priceSats),
    leadDays: q.leadDays,
    material: q.material,
    colors: q.colors.map(x => printable(x)),
    note: printable(q.note, true),
    at: isoTime(q.at),
    revision: q.revs,
    offered: v.job.offer !== null && b4a.equals(v.job.offer.printer, q.printer),
    record: await peerSummary(p.market.view, q.printer)
  }
}

// The client offers the job to the printer of a live quote: `which` is its number in `job quotes` or a prefix of the
// printer's id; `counter` sets other terms than the quote's (a counter-offer).
// `seen`: the quote as the user saw it (its printer's id and revision): refused if it has changed since.
export async function offer (p: P2Print, idText: string, which: string, counter: { priceSats?: number, leadDays?: number } = {}, seen?: { printer: string, revision: number }): Promise<JobChange> {
  const v = await p.job(idText)
  mustBeOpen(v, 'offer')
  if (!b4a.equals(v.job.client, p.market.writerKey)) throw NOT_ALLOWED('only this job\'s client can offer it to a printer')
  if (v.job.offers >= QUOTE_LIMITS.offersPerJob) throw LIMIT_REACHED(`you made ${QUOTE_LIMITS.offersPerJob} offers on this job, the most allowed`)
  const live = await quotesOf(p.market.view, v.job.id)
  const q = pickQuote(live, which)
  if (seen !== undefined && (peerId(q.printer) !== seen.printer || q.revs !== seen.revision)) throw OP_REJECTED('that quote changed since you looked at it (the printer replaced or withdrew it): look at the quotes again')
  const terms = { priceSats: counter.priceSats ?? q.priceSats, leadDays: counter.leadDays ?? q.leadDays, material: q.material, colors: q.colors }
  checkTerms(terms)
  const op: OpBody = { type: OP.JOB_OFFER, jobId: v.job.id, printer: q.printer, ...terms }
  return await appendAndCheck(p, v, op, async (after) => newEntries(v.job, after.job).some(h => h.action === OP.JOB_OFFER) && after.job.offer !== null && b4a.equals(after.job.offer.printer, q.printer))
}

// The client takes back its standing offer.
export async function takeBackOffer (p: P2Print, idText: string): Promise<JobChange> {
  const v = await p.job(idText)
  mustBeOpen(v, 'take back an offer on')
  if (!b4a.equals(v.job.client, p.market.writerKey)) throw NOT_ALLOWED('only this job\'s client makes offers on it')
  if (v.job.offer === null) throw NOT_ALLOWED('no offer stands on this job')
  const op: OpBody = { type: OP.JOB_OFFER, jobId: v.job.id, printer: v.job.offer.printer, priceSats: 0, leadDays: 0, material: null, colors: [] }
  return await appendAndCheck(p, v, op, async (after) => after.job.offer === null)
}

function pickQuote (live: QuoteRecord[], which: string): QuoteRecord {
  const s = which.trim()
  if (s.length === 0) throw BAD_ARGUMENT('say which quote: its number in `p2print job quotes ID`, or the printer\'s id')
  if (/^\d+$/.test(s)) {
    const q = live[Number(s) - 1]
    if (q === undefined) throw BAD_ARGUMENT(`there is no quote ${s}: this job has ${live.length} live quote${live.length === 1 ? '' : 's'}`)
    return q
  }
  const hits = live.filter(q => peerId(q.printer).startsWith(s))
  if (hits.length === 0) throw BAD_ARGUMENT(`no live quote on this job is from a printer whose id starts with ${JSON.stringify(s)}`)
  if (hits.length > 1) throw BAD_ARGUMENT(`${hits.length} quotes match ${JSON.stringify(s)}: give more of the printer's id`)
  return hits[0]
}
