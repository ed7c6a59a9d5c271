// Quotes and offers for the app (ui/screens/QuotesScreen.tsx): the CLI's parsers and the same P2Print methods.
import type { P2Print } from '../service/p2print.js'
import { jobToJSON, type JobJSON } from '../job/json.js'
import type { JobChange } from '../service/p2print.js'
import { parseBounty, parseDays } from '../job/parse.js'
import { roleOf } from '../job/state.js'
import { peerId } from '../ids.js'
import { QUOTE_LIMITS } from '../schema.js'
import { BAD_ARGUMENT } from '../errors.js'
import { friendly } from './details.js'
import type { QuotesCore, QuotesInfo, QuoteDraft, QuoteErrors, QuoteRef } from './types.js'

export class AppQuotes implements QuotesCore {
  constructor (private readonly need: () => P2Print, private readonly ensureEscrow: () => Promise<unknown>, private readonly changed: () => void) {}

  async list (id: string): Promise<QuotesInfo> {
    try {
      const p2 = this.need()
      const v = await p2.job(id)
      const r = await p2.quotes(id)
      const me = peerId(p2.market.writerKey)
      return { ...r, role: roleOf(v.job, p2.market.writerKey), mine: r.quotes.find(q => q.printer === me) ?? null, offer: jobToJSON(v.job, v.confirmed).offer }
    } catch (err) { throw friendly(err) }
  }

  validate (d: QuoteDraft, counter = false): QuoteErrors {
    const errors: QuoteErrors = {}
    try {
      if (parseBounty(d.price.trim(), '--price') === 0) errors.price = 'the price must be more than 0 BTC'
    } catch (err) { errors.price = d.price.trim() === '' ? 'a price in BTC is needed, e.g. 0.0004' : (err as Error).message.replace('--price', 'the price') }
    if (!(counter && d.days.trim() === '')) {
      try { parseDays(d.days.trim()) } catch (err) { errors.days = (err as Error).message.replace('--days', 'the lead time') }
    }
    if (d.note.length > QUOTE_LIMITS.noteChars) errors.note = `the note is longer than ${QUOTE_LIMITS.noteChars} characters`
    return errors
  }

  private checked (d: QuoteDraft, counter = false): { priceSats: number, leadDays: number | undefined } {
    const first = Object.values(this.validate(d, counter))[0]
    if (first !== undefined) throw BAD_ARGUMENT(first)
    return { priceSats: parseBounty(d.price.trim(), '--price'), leadDays: d.days.trim() === '' ? undefined : parseDays(d.days.trim()) }
  }

  private async done (c: Promise<JobChange>): Promise<JobJSON> {
    try {
      const r = await c
      this.changed()
      return { ...jobToJSON(r.view.job, r.view.confirmed), shared: r.shared, peers: this.need().connections } as JobJSON
    } catch (err) { throw friendly(err) }
  }

  async quote (id: string, d: QuoteDraft): Promise<JobJSON> {
    const t = this.checked(d)
    return await this.done(this.need().quote(id, { priceSats: t.priceSats, leadDays: t.leadDays ?? 0, note: d.note }))
  }

  async withdraw (id: string): Promise<JobJSON> { return await this.done(this.need().withdrawQuote(id)) }

  // the quote the screen showed (printer and revision): refused if it changed since
  async take (id: string, q: QuoteRef): Promise<JobJSON> { return await this.done(this.need().offer(id, q.printer, {}, { printer: q.printer, revision: q.revision })) }

  async counter (id: string, q: QuoteRef, d: QuoteDraft): Promise<JobJSON> {
    const t = this.checked(d, true)
    return await this.done(this.need().offer(id, q.printer, { priceSats: t.priceSats, leadDays: t.leadDays }, { printer: q.printer, revision: q.revision }))
  }

  async takeBack (id: string): Promise<JobJSON> { return await this.done(this.need().takeBackOffer(id)) }
}

