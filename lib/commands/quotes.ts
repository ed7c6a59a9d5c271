// job quote | job withdraw-quote | job quotes | job take-quote | job offer | job withdraw-offer | job address
import { withMarket, type Ctx, type Result } from './context.js'
import type { JobChange } from '../service/p2print.js'
import { jobToJSON } from '../job/json.js'
import { parseBounty, parseDays, parseMaterial } from '../job/parse.js'
import { QUOTE_LIMITS } from '../schema.js'
import { BAD_ARGUMENT } from '../errors.js'
import { checkAddress } from '../service/address.js'

export interface QuoteFlags { price?: string, days?: string, material?: string, color?: string[], note?: string }

const jobResult = (c: JobChange, peers: number): Result => ({ kind: 'job', data: { ...jobToJSON(c.view.job, c.view.confirmed), shared: c.shared, peers } })


function parsePrice (text: string | undefined, what: string): number {
  if (text === undefined) throw BAD_ARGUMENT(`${what} needs --price BTC`)
  return parseBounty(text, '--price')
}

export async function jobQuote (ctx: Ctx, idText: string, f: QuoteFlags): Promise<Result> {
  const priceSats = parsePrice(f.price, 'job quote')
  if (priceSats === 0) throw BAD_ARGUMENT('--price must be more than 0 BTC')
  if (f.days === undefined) throw BAD_ARGUMENT('job quote needs --days N (your lead time: days from the accept to shipping)')
  const t = {
    priceSats,
    leadDays: parseDays(f.days),
    material: f.material === undefined ? null : parseMaterial(f.material),
    colors: (f.color ?? []).flatMap(c => c.split(',')).map(c => c.trim()).filter(c => c.length > 0),
    note: f.note ?? ''
  }
  if (t.note.length > QUOTE_LIMITS.noteChars) throw BAD_ARGUMENT(`--note is longer than ${QUOTE_LIMITS.noteChars} characters`)
  return withMarket(ctx, async (p) => jobResult(await p.quote(idText, t), p.peers))
}

export const jobWithdrawQuote = (ctx: Ctx, id: string): Promise<Result> => withMarket(ctx, async (p) => jobResult(await p.withdrawQuote(id), p.peers))

export const jobQuotes = (ctx: Ctx, id: string): Promise<Result> => withMarket(ctx, async (p) => ({ kind: 'quotes', data: { ...(await p.quotes(id)), peers: p.peers } }))

export const jobTakeQuote = (ctx: Ctx, id: string, which: string): Promise<Result> => withMarket(ctx, async (p) => jobResult(await p.offer(id, which), p.peers))

// a counter-offer: other terms than the quote's
export function jobOffer (ctx: Ctx, id: string, which: string, f: QuoteFlags): Promise<Result> {
  const priceSats = parsePrice(f.price, 'job offer')
  if (priceSats === 0) throw BAD_ARGUMENT('--price must be more than 0 BTC (`job withdraw-offer ID` takes an offer back)')
  const leadDays = f.days === undefined ? undefined : parseDays(f.days)
  return withMarket(ctx, async (p) => jobResult(await p.offer(id, which, { priceSats, leadDays }), p.peers))
}

export const jobWithdrawOffer = (ctx: Ctx, id: string): Promise<Result> => withMarket(ctx, async (p) => jobResult(await p.takeBackOffer(id), p.peers))

export interface AddressFlags { name?: string, street?: string, city?: string, postcode?: string, country?: string, phone?: string }

// With any address flag: the client gives (or corrects) the job's shipping address; without: the address, read.
export function jobAddress (ctx: Ctx, id: string, f: AddressFlags): Promise<Result> {
  const given = Object.values(f).some(v => v !== undefined)
  if (!given) return withMarket(ctx, async (p) => ({ kind: 'shipping', data: { ...(await p.readAddress(id)), peers: p.peers } }))
  for (const k of ['name', 'street', 'city', 'postcode', 'country'] as const) if (f[k] === undefined) throw BAD_ARGUMENT(`job address needs --${k} (and --name, --street, --city, --postcode, --country; --phone is optional)`)
  const a = checkAddress({ name: f.name!, street: f.street!, city: f.city!, postcode: f.postcode!, country: f.country!, phone: f.phone ?? null })
  return withMarket(ctx, async (p) => jobResult(await p.setAddress(id, a), p.peers))
}
