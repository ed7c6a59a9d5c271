// Saved searches: a printer's filters (material, country, minimum bounty), kept in this storage only
// (searches.json beside config.json, written atomically; never in the market's log), and the watcher that says
// when a job matching one reaches this peer. The watcher reads only what the view gained since it last looked
// (lib/market/view.ts newJobsSince over the all-jobs index) and the records of the hits, never every job.
import fs from '#fs'
import path from '#path'
import b4a from 'b4a'
import type { Market } from '../market/market.js'
import { ALL_INDEX_RANGE, decodeIndexEntry, getJob } from '../market/view.js'
import { ViewChanges } from '../market/changes.js'
import { parseMaterial, parseBounty, parsePatch } from '../job/parse.js'
import { writeFileAtomic } from '../escrow/wallet.js'
import type { IndexValue, JobRecord, Material } from '../schema.js'
import { jobIdString } from '../ids.js'
import { formatBtc } from '../btc.js'
import { printable } from '../text.js'
import { BAD_ARGUMENT, BAD_STORAGE, LIMIT_REACHED } from '../errors.js'

export const SEARCHES_FILE = 'searches.json'
export const MAX_SEARCHES = 50
// A job written (by its author's clock) longer ago than this is not "new" even when it reaches this peer only now:
// a fresh storage catching up with a market's history says nothing of it.
export const NEW_JOB_MAX_AGE_MS = 24 * 3600_000

export interface SearchFilter { material: Material | null, country: string | null, minBountySats: number }
export interface SavedSearch extends SearchFilter { n: number, savedAt: string } // n: the number `search list` shows

export interface SearchFlags { material?: string, country?: string, minBounty?: string }

// The filter as typed (command-line flags, the app's form), with the job commands' own parsers and messages.
export function parseSearch (f: SearchFlags): SearchFilter {
  const given = (s: string | undefined): s is string => s !== undefined && s.trim() !== ''
  if (!given(f.material) && !given(f.country) && !given(f.minBounty)) throw BAD_ARGUMENT('a saved search needs at least one of --material, --country, --min-bounty')
  const country = given(f.country) ? f.country.trim().toUpperCase() : null
  if (country !== null) parsePatch({ country })
  return {
    material: given(f.material) ? parseMaterial(f.material) : null,
    country,
    minBountySats: given(f.minBounty) ? parseBounty(f.minBounty.trim(), '--min-bounty') : 0
  }
}

export function matchesSearch (s: SearchFilter, v: IndexValue): boolean {
  return (s.material === null || v.material === s.material) && (s.country === null || v.country === s.country) && v.bountySats >= s.minBountySats
}

export function describeSearch (s: SearchFilter): string {
  const parts = [s.material ?? 'any material', s.country === null ? 'any country' : `to ${s.country}`]
  if (s.minBountySats > 0) parts.push(`≥ ${formatBtc(s.minBountySats)} BTC`)
  return parts.join(', ')
}

const fileOf = (dir: string): string => path.join(dir, SEARCHES_FILE)

// A missing file is no searches; a file that cannot be read is an error (it is never overwritten unread).
export async function loadSearches (dir: string): Promise<SavedSearch[]> {
  const file = fileOf(dir)
  let text: string
  try {
    text = await fs.promises.readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw BAD_STORAGE(file, (err as Error).message)
  }
  try {
    const doc = JSON.parse(text) as { version?: unknown, searches?: unknown }
    if (doc.version !== 1 || !Array.isArray(doc.searches)) throw new Error('not a list of saved searches')
    return doc.searches.map(checkSaved)
  } catch (err) {
    throw BAD_STORAGE(file, (err as Error).message)
  }
}

function checkSaved (x: unknown): SavedSearch {
  const s = x as Partial<SavedSearch>
  const ok = typeof s === 'object' && s !== null && Number.isInteger(s.n) && (s.n as number) > 0 &&
    (s.material === null || typeof s.material === 'string') && (s.country === null || typeof s.country === 'string') &&
    Number.isSafeInteger(s.minBountySats) && (s.minBountySats as number) >= 0 && typeof s.savedAt === 'string'
  if (!ok) throw new Error(`a saved search is malformed: ${JSON.stringify(x).slice(0, 80)}`)
  return { n: s.n!, material: s.material === null ? null : parseMaterial(s.material!), country: s.country!, minBountySats: s.minBountySats!, savedAt: s.savedAt! }
}

async function store (dir: string, searches: SavedSearch[]): Promise<void> {
  await fs.promises.mkdir(dir, { recursive: true })
  await writeFileAtomic(fileOf(dir), JSON.stringify({ version: 1, searches }, null, 2) + '\n', 0o600)
}

export async function saveSearch (dir: string, f: SearchFilter): Promise<{ search: SavedSearch, searches: SavedSearch[] }> {
  const list = await loadSearches(dir)
  const same = list.find(s => s.material === f.material && s.country === f.country && s.minBountySats === f.minBountySats)
  if (same !== undefined) throw BAD_ARGUMENT(`that search is already saved as #${same.n}`)
  if (list.length >= MAX_SEARCHES) throw LIMIT_REACHED(`you have ${list.length} saved searches, the most kept: remove one first (\`p2print search remove N\`)`)
  const search: SavedSearch = { n: Math.max(0, ...list.map(s => s.n)) + 1, ...f, savedAt: new Date().toISOString() }
  const searches = [...list, search]
  await store(dir, searches)
  return { search, searches }
}

export async function removeSearch (dir: string, nText: string | number): Promise<{ search: SavedSearch, searches: SavedSearch[] }> {
  const n = Number(String(nText).trim().replace(/^#/, ''))
  const list = await loadSearches(dir)
  const search = Number.isInteger(n) ? list.find(s => s.n === n) : undefined
  if (search === undefined) throw BAD_ARGUMENT(`no saved search #${String(nText)}: ${list.length === 0 ? 'there are none' : `the saved ones are ${list.map(s => '#' + s.n).join(', ')}`} (\`p2print search list\`)`)
  const searches = list.filter(s => s !== search)
  await store(dir, searches)
  return { search, searches }
}

// A new job that matches saved searches, as a front end shows it (the title is the author's text, made printable).
export interface SearchMatch { id: string, title: string, bountySats: number, bountyBtc: string, material: Material, country: string, searches: number[] }

export interface WatchOptions {
  onMatch: (m: SearchMatch) => void
  onError?: (err: Error) => void
  now?: () => number
}

// Watches one market's view for new jobs that match this storage's saved searches: each job is reported once,
// and only while it is open and posted by someone else. Searches saved meanwhile (by `p2print search save` in
// another process too) apply from the next new job on.
export class SearchWatcher {
  private readonly changes: ViewChanges
  private readonly reported = new Set<string>()
  private running: Promise<void> | null = null
  private again = false
  private stopped = false
  private failed = ''
  private cache: { mtimeMs: number, searches: SavedSearch[] } | null = null
  private readonly onUpdate = (): void => { this.schedule() }

  constructor (private readonly market: Market, private readonly dir: string, private readonly opts: WatchOptions) {
    this.changes = new ViewChanges(market.view, market.view.version)
  }

  start (): void {
    this.market.on('update', this.onUpdate)
    this.schedule()
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.market.off('update', this.onUpdate)
    while (this.running !== null) await this.running
    this.changes.close()
  }

  // Resolves once the updates seen so far are checked (tests).
  async idle (): Promise<void> {
    while (this.running !== null) await this.running
  }

  private schedule (): void {
    if (this.stopped) return
    if (this.running !== null) { this.again = true; return }
    // the same problem (a searches file that cannot be read) is said once, not on every update, until a check works
    this.running = this.check().then(() => { this.failed = '' }, (err: Error) => {
      if (!this.stopped && err.message !== this.failed) this.opts.onError?.(err)
      this.failed = err.message
    }).finally(() => {
      this.running = null
      if (this.again && !this.stopped) { this.again = false; this.schedule() }
    })
  }

  private async searches (): Promise<SavedSearch[]> {
    let mtimeMs = -1
    try { mtimeMs = (await fs.promises.stat(fileOf(this.dir))).mtimeMs } catch {}
    if (this.cache === null || this.cache.mtimeMs !== mtimeMs) this.cache = { mtimeMs, searches: mtimeMs < 0 ? [] : await loadSearches(this.dir) }
    return this.cache.searches
  }

  private async check (): Promise<void> {
    const searches = await this.searches()
    if (searches.length === 0) return this.changes.skip()
    await this.changes.read([ALL_INDEX_RANGE], async (change) => {
      if (change.value === null || change.old !== null) return // only new jobs
      const hit = decodeIndexEntry(change.key, change.value)
      const matched = searches.filter(s => matchesSearch(s, hit.value)).map(s => s.n)
      const id = jobIdString(hit.id)
      if (matched.length === 0 || this.reported.has(id)) return
      const job = await getJob(this.market.view, hit.id)
      if (job === null || !this.isNew(job)) return
      this.reported.add(id)
      this.opts.onMatch({ id, title: printable(job.title), bountySats: job.bountySats, bountyBtc: formatBtc(job.bountySats), material: job.material, country: job.country, searches: matched })
    }, () => this.stopped)
  }

  private isNew (job: JobRecord): boolean {
    const now = (this.opts.now ?? Date.now)()
    return job.status === 'open' && !b4a.equals(job.client, this.market.writerKey) && job.createdAt >= now - NEW_JOB_MAX_AGE_MS
  }
}
