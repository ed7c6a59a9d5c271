// Key layout of the market view (a Hyperbee with binary keys), its secondary indexes, and the queries on them.
//
//   'j' id16                       → JobRecord
//   'w' writerKey32                → WriterRecord (spam counters)
//   'c'                            → MarketStats (jobs ever created, which gives each job its seq; jobs per status)
//   'm'                            → MarketMeta (name, creator)
//   's'                            → MarketSettings (escrow chain, arbitrators, …; absent = DEFAULT_SETTINGS)
//   'n'                            → the indexers the creator named (lib/market/clock.ts)
//   'k'                            → MarketClock: the indexers' latest ticks and market time (lib/market/clock.ts)
//   'i' kind ...fields seqDesc id  → IndexValue  (per job: all jobs, by status, by client, by printer)
//   'e' party32 id16               → role byte   (escrowed jobs by party: client, printer, arbitrator, mediator)
//   'x/mediators'                  → the mediators' records (lib/disputes)
//   'r' …                          → reputation: peer stats, reviews, printer profiles (lib/reputation/records.ts)
//   't' …                          → job chat: public keys, sealed conversation keys, ciphertext (lib/chat/view.ts)
//
// seqDesc = 2^48 - 1 - seq, big-endian, so a forward range read yields newest first.
import b4a from 'b4a'
import c from 'compact-encoding'
import type Hyperbee from 'hyperbee'
import type { BeeBatch } from 'hyperbee'
import { JOB_ID_BYTES, STATUSES, jobRecord, writerRecord, indexValue, marketStats, marketMeta, marketSettings, DEFAULT_SETTINGS, type MarketSettings, type MarketMeta, type MarketStats, type JobRecord, type Material, type Status, type WriterRecord, type IndexValue } from '../schema.js'

export type View = Hyperbee<Uint8Array, Uint8Array>
type Batch = BeeBatch<Uint8Array, Uint8Array>
type Reader = Pick<View, 'get'> | Pick<Batch, 'get'>

const P_JOB = 0x6a // 'j'
const P_WRITER = 0x77 // 'w'
const P_INDEX = 0x69 // 'i'
const P_ESCROW = 0x65 // 'e'
const STATS_KEY = b4a.from('c')
const META_KEY = b4a.from('m')
const SETTINGS_KEY = b4a.from('s')

// Index kinds. A query with a status reads the status index; material and country filters are applied to the index
// values (most of a market's jobs are closed and few are open, so reading the open ones' entries costs little,
// and every index entry is a block of the view on every op that moves it: issue 14). Kinds 3 (status+material)
// and 4 (status+country) were written before: views that have them never read them. Kind 5 existed in development
// only.
const IDX = {
  ALL: 1,
  STATUS: 2,
  CLIENT: 6,
  PRINTER: 7
} as const

const SEQ_MAX = 2 ** 48 - 1

function seqDesc (seq: number): Uint8Array {
  const out = new Uint8Array(6)
  let v = SEQ_MAX - seq
  for (let i = 5; i >= 0; i--) {
    out[i] = v % 256
    v = Math.floor(v / 256)
  }
  return out
}

export function jobKey (id: Uint8Array): Uint8Array {
  return b4a.concat([b4a.from([P_JOB]), id])
}

export function writerKey (key: Uint8Array): Uint8Array {
  return b4a.concat([b4a.from([P_WRITER]), key])
}

function statusByte (s: Status): number { return STATUSES.indexOf(s) }

function indexPrefix (kind: number, parts: Array<number | Uint8Array | string>): Uint8Array {
  const bufs: Uint8Array[] = [b4a.from([P_INDEX, kind])]
  for (const p of parts) {
    if (typeof p === 'number') bufs.push(b4a.from([p]))
    else if (typeof p === 'string') bufs.push(b4a.from(p, 'latin1'))
    else bufs.push(p)
  }
  return b4a.concat(bufs)
}

function indexKeys (j: JobRecord): Uint8Array[] {
  const tail = b4a.concat([seqDesc(j.seq), j.id])
  const s = statusByte(j.status)
  const keys = [
    indexPrefix(IDX.ALL, [tail]),
    indexPrefix(IDX.STATUS, [s, tail]),
    indexPrefix(IDX.CLIENT, [j.client, tail])
  ]
  if (j.printer !== null) keys.push(indexPrefix(IDX.PRINTER, [j.printer, tail]))
  return keys
}

function summary (j: JobRecord): IndexValue {
  return { bountySats: j.bountySats, material: j.material, country: j.country }
}

function sameSummary (a: JobRecord, b: JobRecord): boolean {
  return a.bountySats === b.bountySats && a.material === b.material && a.country === b.country
}

// --- writes (used by apply, inside one batch) -----------------------------------------------------------------

export const ESCROW_ROLES = ['client', 'printer', 'arbitrator', 'mediator'] as const
export type EscrowRole = typeof ESCROW_ROLES[number]

function escrowKey (party: Uint8Array, id: Uint8Array): Uint8Array {
  return b4a.concat([b4a.from([P_ESCROW]), party, id])
}

// Who is in a job's escrow: what each party's engine looks up instead of reading every job.
function escrowParties (j: JobRecord): Array<{ key: Uint8Array, role: EscrowRole }> {
  const e = j.escrow ?? null
  if (e === null) return []
  const out: Array<{ key: Uint8Array, role: EscrowRole }> = [{ key: j.client, role: 'client' }]
  if (j.printer !== null) out.push({ key: j.printer, role: 'printer' })
  out.push({ key: e.arbitrator, role: 'arbitrator' })
  const m = j.dispute?.mediator ?? null
  if (m !== null) out.push({ key: m, role: 'mediator' })
  return out
}

// Writes a job and moves its index entries: only entries whose key or value changed are touched.
export async function putJob (b: Batch, prev: JobRecord | null, next: JobRecord): Promise<void> {
  const nextKeys = indexKeys(next)
  const prevKeys = prev === null ? [] : indexKeys(prev)
  const valueChanged = prev === null || !sameSummary(prev, next)
  for (const k of prevKeys) {
    if (!nextKeys.some(n => b4a.equals(n, k))) await b.del(k)
  }
  const value = c.encode(indexValue, summary(next))
  for (const k of nextKeys) {
    if (valueChanged || !prevKeys.some(p => b4a.equals(p, k))) await b.put(k, value)
  }
  await b.put(jobKey(next.id), c.encode(jobRecord, next))
  const before = prev === null ? [] : escrowParties(prev)
  const after = escrowParties(next)
  for (const p of before) if (!after.some(q => b4a.equals(q.key, p.key))) await b.del(escrowKey(p.key, next.id))
  for (const p of after) {
    const old = before.find(q => b4a.equals(q.key, p.key))
    if (old === undefined || old.role !== p.role) await b.put(escrowKey(p.key, next.id), b4a.from([ESCROW_ROLES.indexOf(p.role)]))
  }
}

export async function putWriter (b: Batch, key: Uint8Array, w: WriterRecord): Promise<void> {
  await b.put(writerKey(key), c.encode(writerRecord, w))
}

export async function putStats (b: Batch, s: MarketStats): Promise<void> {
  await b.put(STATS_KEY, c.encode(marketStats, s))
}

export async function putMeta (b: Batch, m: MarketMeta): Promise<void> {
  await b.put(META_KEY, c.encode(marketMeta, m))
}

export async function putSettings (b: Batch, s: MarketSettings): Promise<void> {
  await b.put(SETTINGS_KEY, c.encode(marketSettings, s))
}

// --- reads ----------------------------------------------------------------------------------------------------

export async function getJobEntry (v: Reader, id: Uint8Array): Promise<{ job: JobRecord, seq: number } | null> {
  const e = await v.get(jobKey(id))
  if (e === null) return null
  return { job: c.decode(jobRecord, e.value), seq: e.seq }
}

export async function getJob (v: Reader, id: Uint8Array): Promise<JobRecord | null> {
  const e = await getJobEntry(v, id)
  return e === null ? null : e.job
}

export async function getWriter (v: Reader, key: Uint8Array): Promise<WriterRecord> {
  const e = await v.get(writerKey(key))
  return e === null ? { ops: 0, jobs: 0, openJobs: 0 } : c.decode(writerRecord, e.value)
}

export async function getStats (v: Reader): Promise<MarketStats> {
  const e = await v.get(STATS_KEY)
  const stats = e === null ? { jobs: 0, byStatus: [] } : c.decode(marketStats, e.value)
  return { jobs: stats.jobs, byStatus: STATUSES.map((_, i) => stats.byStatus[i] ?? 0) }
}

export async function getJobCount (v: Reader): Promise<number> {
  return (await getStats(v)).jobs
}

export async function getStatusCounts (v: Reader): Promise<Record<Status, number>> {
  const { byStatus } = await getStats(v)
  const out = {} as Record<Status, number>
  STATUSES.forEach((s, i) => { out[s] = byStatus[i] ?? 0 })
  return out
}

export async function getMeta (v: Reader): Promise<MarketMeta | null> {
  const e = await v.get(META_KEY)
  return e === null ? null : c.decode(marketMeta, e.value)
}

export async function getSettings (v: Reader): Promise<MarketSettings> {
  const e = await v.get(SETTINGS_KEY)
  return e === null ? { ...DEFAULT_SETTINGS, arbitrators: [] } : c.decode(marketSettings, e.value)
}

export interface JobQuery {
  status?: Status
  material?: Material
  country?: string
  minBountySats?: number
  mine?: Uint8Array // jobs where this key is the client or the printer
  limit?: number
  text?: string // lower-case words that must all appear in the title (checked on the records read)
}

// A page of a query read from a cursor: `next` is the index key to continue after (null: the end was reached).
export interface JobPageResult { items: Array<{ job: JobRecord, seq: number, key: Uint8Array }>, next: Uint8Array | null }

interface IndexHit { key: Uint8Array, tail: Uint8Array, id: Uint8Array, value: IndexValue }

// The first key after every key that starts with `prefix`.
export function prefixEnd (prefix: Uint8Array): Uint8Array {
  const end = b4a.from(prefix)
  for (let i = end.byteLength - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++
      return end.subarray(0, i + 1)
    }
  }
  return b4a.concat([prefix, b4a.alloc(64, 0xff)])
}

// Reads a key range in chunks. Hyperbee preloads a large part of an unlimited range up front, which costs more
// than the 50 entries a page needs; a `limit` per chunk keeps reads proportional to what the caller consumes.
async function * range (view: View, gte: Uint8Array, lt: Uint8Array, chunk = 64, after: Uint8Array | null = null): AsyncGenerator<{ key: Uint8Array, value: Uint8Array }> {
  let from: { gte?: Uint8Array, gt?: Uint8Array } = after === null ? { gte } : { gt: after }
  while (true) {
    let n = 0
    let last: Uint8Array | null = null
    for await (const e of view.createReadStream({ ...from, lt, limit: chunk })) {
      n++
      last = e.key
      yield e
    }
    if (n < chunk || last === null) return
    from = { gt: last }
    chunk = Math.min(chunk * 2, 1024)
  }
}

async function * scan (view: View, prefix: Uint8Array, after?: Uint8Array): AsyncGenerator<IndexHit> {
  const end = prefixEnd(prefix)
  // a cursor from another index (or outside this one) restarts at the index's start
  const from = after !== undefined && b4a.compare(after, prefix) >= 0 && b4a.compare(after, end) < 0 ? after : null
  for await (const e of range(view, prefix, end, 64, from)) {
    const tail = e.key.subarray(e.key.byteLength - 6 - JOB_ID_BYTES)
    yield { key: e.key, tail, id: tail.subarray(6), value: c.decode(indexValue, e.value) }
  }
}

// Two newest-first streams merged into one (a job where one is both client and printer cannot exist).
async function * merge (a: AsyncGenerator<IndexHit>, b: AsyncGenerator<IndexHit>): AsyncGenerator<IndexHit> {
  let x = await a.next()
  let y = await b.next()
  while (!x.done || !y.done) {
    if (y.done || (!x.done && b4a.compare(x.value.tail, y.value.tail) <= 0)) {
      yield x.value as IndexHit
      x = await a.next()
    } else {
      yield y.value
      y = await b.next()
    }
  }
}

function pickIndex (view: View, q: JobQuery, after?: Uint8Array): AsyncGenerator<IndexHit> {
  if (q.mine !== undefined) return merge(scan(view, indexPrefix(IDX.CLIENT, [q.mine])), scan(view, indexPrefix(IDX.PRINTER, [q.mine])))
  if (q.status === undefined) return scan(view, indexPrefix(IDX.ALL, []), after)
  return scan(view, indexPrefix(IDX.STATUS, [statusByte(q.status)]), after)
}

export function titleMatches (job: Pick<JobRecord, 'title'>, q: Pick<JobQuery, 'text'>): boolean {
  if (q.text === undefined || q.text === '') return true
  const title = job.title.toLowerCase()
  return q.text.split(/\s+/).every(w => title.includes(w))
}

function matches (v: IndexValue, q: JobQuery): boolean {
  if (q.material !== undefined && v.material !== q.material) return false
  if (q.country !== undefined && v.country !== q.country) return false
  if (q.minBountySats !== undefined && v.bountySats < q.minBountySats) return false
  return true
}

// Newest first. Reads index entries in order and stops after `limit` matches; only candidates' records are read.
// The status is in the key of every index a status query uses, except `mine`, which checks it on the record.
export async function queryJobs (view: View, q: JobQuery): Promise<Array<{ job: JobRecord, seq: number }>> {
  const limit = q.limit ?? 50
  const out: Array<{ job: JobRecord, seq: number }> = []
  if (limit <= 0) return out
  for await (const hit of pickIndex(view, q)) {
    if (!matches(hit.value, q)) continue
    const e = await getJobEntry(view, hit.id)
    if (e === null || (q.status !== undefined && e.job.status !== q.status) || !titleMatches(e.job, q)) continue
    out.push(e)
    if (out.length >= limit) break
  }
  return out
}

// One page, newest first, continuing after `after` (the `next` of the previous page), so page N costs what page 1
// does. A title search reads a record per candidate: after `budget` index entries it returns what it has, with a
// cursor to go on from. (`mine` queries merge two indexes and are not paged: they use queryJobs.)
export async function queryJobPage (view: View, q: JobQuery, after: Uint8Array | null, budget = 5000): Promise<JobPageResult> {
  const limit = q.limit ?? 50
  const items: JobPageResult['items'] = []
  let last: Uint8Array | null = null
  let read = 0
  // candidates' records are read CANDIDATE_READS at a time (a title search over closed jobs reads one per job), and
  // taken in index order: what a page holds and where it stops is what reading one by one gives
  let hits: IndexHit[] = []
  const take = async (): Promise<boolean> => {
    const records = await Promise.all(hits.map(async h => matches(h.value, q) ? await getJobEntry(view, h.id) : null))
    for (let i = 0; i < hits.length; i++) {
      last = hits[i].key
      read++
      const e = records[i]
      if (e !== null && (q.status === undefined || e.job.status === q.status) && titleMatches(e.job, q)) items.push({ ...e, key: hits[i].key })
      if (items.length >= limit || read >= budget) return true
    }
    hits = []
    return false
  }
  for await (const hit of pickIndex(view, { ...q, mine: undefined }, after ?? undefined)) {
    hits.push(hit)
    // a page needs at most `limit - items.length` more matches and `budget - read` more entries
    if (hits.length >= Math.min(CANDIDATE_READS, limit - items.length, budget - read) && await take()) return { items, next: last }
  }
  if (hits.length > 0 && await take()) return { items, next: last }
  return { items, next: null }
}

const CANDIDATE_READS = 32

// Where the page after the next `n` hits from `after` starts, reading index entries only: a jump to a far page with
// no cursor known costs an index range, not a record per job passed over. Only for queries whose every condition is
// in the index (no title search, no `mine`): those are the hits queryJobPage returns.
export async function skipHits (view: View, q: JobQuery, after: Uint8Array | null, n: number): Promise<{ last: Uint8Array | null, count: number }> {
  let last: Uint8Array | null = null
  let count = 0
  if (n <= 0) return { last, count }
  for await (const hit of pickIndex(view, { ...q, mine: undefined }, after ?? undefined)) {
    if (!matches(hit.value, q)) continue
    last = hit.key
    if (++count >= n) break
  }
  return { last, count }
}

// Every hit of a query (index entries only, no records) with its bounty: what a sort by bounty orders.
export async function queryBounties (view: View, q: JobQuery): Promise<Array<{ id: Uint8Array, bountySats: number, key: Uint8Array }>> {
  const out: Array<{ id: Uint8Array, bountySats: number, key: Uint8Array }> = []
  for await (const hit of pickIndex(view, { ...q, mine: undefined })) {
    if (matches(hit.value, q)) out.push({ id: hit.id, bountySats: hit.value.bountySats, key: hit.key })
  }
  return out
}

// The same query answered by reading every job record: the baseline the benchmark compares against.
export async function scanJobs (view: View, q: JobQuery): Promise<JobRecord[]> {
  const all: JobRecord[] = []
  for await (const e of range(view, b4a.from([P_JOB]), b4a.from([P_JOB + 1]), 1024)) {
    const j = c.decode(jobRecord, e.value)
    if (q.mine !== undefined && !b4a.equals(j.client, q.mine) && !(j.printer !== null && b4a.equals(j.printer, q.mine))) continue
    if (q.status !== undefined && j.status !== q.status) continue
    if (matches(summary(j), q)) all.push(j)
  }
  all.sort((a, b) => b.seq - a.seq)
  return all.slice(0, q.limit ?? 50)
}

// The all-jobs index's key range (for lib/market/changes.ts): an entry that appears is a new job, and its value
// (bounty, material, country) lets a saved search be matched without reading the job.
const ALL_PREFIX = indexPrefix(IDX.ALL, [])
export const ALL_INDEX_RANGE = { gte: ALL_PREFIX, lt: prefixEnd(ALL_PREFIX) }
export function decodeIndexEntry (key: Uint8Array, value: Uint8Array): { id: Uint8Array, value: IndexValue } {
  return { id: b4a.from(key.subarray(key.byteLength - JOB_ID_BYTES)), value: c.decode(indexValue, value) }
}

// The records of every job with this status, newest first, read through the status index (a consumer that starts
// cold reads the jobs still in play this way, not every job of the market).
export async function * jobsWithStatus (view: View, status: Status): AsyncGenerator<JobRecord> {
  for await (const hit of scan(view, indexPrefix(IDX.STATUS, [statusByte(status)]))) {
    const job = await getJob(view, hit.id)
    if (job !== null && job.status === status) yield job
  }
}

// The job records' key range (for lib/market/changes.ts) and one record from its value.
export const JOB_RANGE = { gte: b4a.from([P_JOB]), lt: b4a.from([P_JOB + 1]) }
export function decodeJob (value: Uint8Array): JobRecord { return c.decode(jobRecord, value) }

// Every job record, in id order.
export async function * allJobs (view: View): AsyncGenerator<{ job: JobRecord, seq: number }> {
  for await (const e of range(view, b4a.from([P_JOB]), b4a.from([P_JOB + 1]), 256)) {
    yield { job: c.decode(jobRecord, e.value), seq: (e as { seq?: number }).seq ?? 0 }
  }
}

// The ids of the escrowed jobs this key is a party to (as client, printer, arbitrator or mediator), with its role.
export async function escrowsOf (view: View, party: Uint8Array): Promise<Array<{ id: Uint8Array, role: EscrowRole }>> {
  const prefix = b4a.concat([b4a.from([P_ESCROW]), party])
  const out: Array<{ id: Uint8Array, role: EscrowRole }> = []
  for await (const e of range(view, prefix, prefixEnd(prefix))) {
    out.push({ id: b4a.from(e.key.subarray(prefix.byteLength)), role: ESCROW_ROLES[e.value[0]] ?? 'client' })
  }
  return out
}

// Jobs whose id starts with the given bytes (for short ids typed on the command line).
export async function jobsWithIdPrefix (view: View, prefix: Uint8Array, max: number): Promise<JobRecord[]> {
  const start = jobKey(prefix)
  const out: JobRecord[] = []
  for await (const e of range(view, start, prefixEnd(start))) {
    out.push(c.decode(jobRecord, e.value))
    if (out.length >= max) break
  }
  return out
}
