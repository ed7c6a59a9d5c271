// The app's job lists: the market table's pages (by filter, newest first or by bounty) and "My jobs".
import b4a from 'b4a'
import type { P2Print } from '../service/p2print.js'
import type { JobView } from '../market/market.js'
import { titleMatches, skipHits, type JobQuery } from '../market/view.js'
import { parseMaterial, parseBounty, parsePatch } from '../job/parse.js'
import { roleOf, type Role } from '../job/state.js'
import { peerSummary } from '../reputation/query.js'
import { quotedJobs, getQuote } from '../market/quotes.js'
import { STATUSES, type JobRecord, type Status } from '../schema.js'
import { jobIdString } from '../ids.js'
import { formatBtc } from '../btc.js'
import { printable } from '../text.js'
import { BAD_ARGUMENT } from '../errors.js'
import type { JobFilters, JobRow, JobPage, MyJobs } from './types.js'

export class JobLists {
  // where each page of the current filter starts (newest first), and its bounty order (by bounty)
  private pages: { filterKey: string, cursors: Array<Uint8Array | null>, sorted: Array<{ id: Uint8Array, bountySats: number, key: Uint8Array }> | null, version?: number } | null = null

  // version: bumps on every market change (the bounty order is sorted once per change)
  constructor (private readonly p2: P2Print, private readonly version: () => number) {}

  async row (job: JobRecord, confirmed: boolean): Promise<JobRow> {
    const s = this.p2
    const client = await peerSummary(s.market.view, job.client)
    return {
      id: jobIdString(job.id),
      title: printable(job.title),
      status: job.status,
      material: job.material,
      colors: job.colors.map(c => printable(c)),
      bountySats: job.bountySats,
      bountyBtc: formatBtc(job.bountySats),
      country: job.country,
      fileBytes: job.file === null ? null : job.file.byteLength,
      clientRating: client.rating.average,
      clientRatings: client.rating.count,
      role: roleOf(job, s.market.writerKey),
      confirmed,
      quotes: job.quotes,
      offerToMe: job.offer !== null && b4a.equals(job.offer.printer, s.market.writerKey)
    }
  }

  // The view query of the market table's filters (the CLI's own parsers and messages).
  private jobQuery (f: JobFilters): JobQuery {
    const q: JobQuery = {}
    if (f.status !== 'all') q.status = f.status ?? 'open'
    if (f.material !== undefined && f.material.trim() !== '') q.material = parseMaterial(f.material)
    if (f.country !== undefined && f.country.trim() !== '') {
      q.country = f.country.trim().toUpperCase()
      const bad = parsePatchError({ country: q.country })
      if (bad !== null) throw BAD_ARGUMENT(bad)
    }
    if (f.minBounty !== undefined && f.minBounty.trim() !== '') q.minBountySats = parseBounty(f.minBounty.trim(), 'min bounty')
    const text = (f.text ?? '').trim().toLowerCase()
    if (text !== '') q.text = text
    return q
  }

  // Up to n hits from a cursor; a title search may stop on its read budget before n, so it goes on from there.
  private async fillPage (q: JobQuery, start: Uint8Array | null, n: number): Promise<Array<JobView & { key: Uint8Array }>> {
    const s = this.p2
    const items: Array<JobView & { key: Uint8Array }> = []
    let after = start
    while (items.length < n) {
      const got = await s.market.jobPage({ ...q, limit: n - items.length }, after)
      items.push(...got.items)
      if (got.next === null) break
      after = got.next
    }
    return items
  }

  // Newest first: each page starts from the index key the page before it ended on (kept per filter), so page 200
  // costs what page 1 does; jobs that arrive meanwhile show on page 1 without shifting the pages already seen.
  // By bounty: the filter's index entries (no records) sorted once per market change, then one page of records.
  async queryJobs (f: JobFilters, page: number, pageSize: number): Promise<JobPage> {
    const s = this.p2
    const q = this.jobQuery(f)
    const filterKey = JSON.stringify({ ...q, sort: f.sort ?? 'newest', pageSize })
    if (this.pages === null || this.pages.filterKey !== filterKey) this.pages = { filterKey, cursors: [null], sorted: null }
    const cache = this.pages
    if (f.sort === 'bounty') {
      if (cache.sorted === null || cache.version !== this.version()) {
        const hits = await s.market.jobBounties(q)
        hits.sort((a, b) => b.bountySats - a.bountySats || b4a.compare(a.key, b.key))
        cache.sorted = hits
        cache.version = this.version()
      }
      const from = page * pageSize
      const found: JobView[] = []
      let matched = 0
      // without a title search the order is the page; with one, records are read in bounty order until it is full
      for (let i = q.text === undefined ? from : 0; i < cache.sorted.length && found.length <= pageSize; i++) {
        const v = await s.market.getJob(cache.sorted[i].id)
        if (v === null || (q.status !== undefined && v.job.status !== q.status) || !titleMatches(v.job, q)) continue
        if (q.text !== undefined && matched++ < from) continue
        found.push(v)
      }
      const rows = await Promise.all(found.slice(0, pageSize).map(v => this.row(v.job, v.confirmed)))
      return { rows, page, pageSize, hasMore: found.length > pageSize }
    }
    // walk forward from the nearest page whose start is known (over index entries alone where no title is searched)
    for (let k = Math.min(page, cache.cursors.length - 1); k <= page; k++) {
      if (k < page && q.text === undefined) {
        const skipped = await skipHits(s.market.view, q, cache.cursors[k] ?? null, pageSize)
        if (skipped.count < pageSize) break
        cache.cursors[k + 1] = skipped.last
        continue
      }
      const items = await this.fillPage(q, cache.cursors[k] ?? null, pageSize + 1)
      if (items.length > pageSize) cache.cursors[k + 1] = items[pageSize - 1].key
      if (k === page) {
        const rows = await Promise.all(items.slice(0, pageSize).map(v => this.row(v.job, v.confirmed)))
        return { rows, page, pageSize, hasMore: items.length > pageSize }
      }
      if (items.length <= pageSize) break // fewer pages than asked for
    }
    return { rows: [], page, pageSize, hasMore: false }
  }

  async myJobs (): Promise<MyJobs> {
    const s = this.p2
    const list = await s.market.jobs({ mine: s.market.writerKey, limit: 500 })
    const rows = await Promise.all(list.map(v => this.row(v.job, v.confirmed)))
    const needs = (r: JobRow): boolean => (r.role === 'printer' && r.status === 'active') || (r.role === 'client' && r.status === 'shipped') || r.offerToMe === true
    const group = (role: Role): Array<{ status: Status, rows: JobRow[] }> =>
      STATUSES.map(st => ({ status: st, rows: rows.filter(r => r.role === role && r.status === st && !needs(r)) })).filter(g => g.rows.length > 0)
    // the open jobs this peer quoted: an index range ('q' 01 printer), then each job's record
    const quoted: JobRow[] = []
    for (const id of await quotedJobs(s.market.view, s.market.writerKey, 200)) {
      const v = await s.market.getJob(id)
      if (v === null || v.job.status !== 'open' || (await getQuote(s.market.view, id, s.market.writerKey))?.live !== true) continue
      quoted.push(await this.row(v.job, v.confirmed))
    }
    return { needsAction: [...rows.filter(needs), ...quoted.filter(needs)], asClient: group('client'), asPrinter: group('printer'), quoted: quoted.filter(r => !needs(r)) }
  }
}

function parsePatchError (p: { country: string }): string | null {
  try { parsePatch({ country: p.country }); return null } catch (err) { return (err as Error).message }
}
