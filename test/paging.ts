// The market table's paging checks (test/paging.test.ts, test/paging-100k.test.ts) and the market they run on:
// JOBS jobs made as create → cancel pairs (a client may hold only LIMITS.openJobsPerClient open jobs), the last ones
// left open, appended as batches straight to the base (set-up only; every op still goes through apply). A writer
// may write LIMITS.opsPerWriter ops, so a large market is written by several: the creator first, then each other
// writer on its own Corestore, replicating with the creator over an in-process stream, admitted with the market's
// work, writing only once it holds every job before its share (so the newest-first order is the jobs' numbering).
import path from 'path'
import Corestore from 'corestore'
import { Peer } from '../lib/peer.js'
import { Market } from '../lib/market/market.js'
import { AppSession, type JobRow } from '../lib/app.js'
import { jobIdFor } from '../lib/market/apply.js'
import { OP, encodeOp, LIMITS, type JobFields } from '../lib/schema.js'
import { TEST_ADMISSION_BITS, eventually, pipe } from './helpers.js'

export interface PagingMarket { jobs: number, titleOf: (i: number) => string, bountyOf: (i: number) => number }

export function pagingMarket (jobs: number): PagingMarket {
  return {
    jobs,
    titleOf: (i: number): string => i === 3 ? 'Gear housing' : `Part ${i}`,
    bountyOf: (i: number): number => 10_000 + ((i * 7919) % jobs) * 100 // every job a different bounty (7919 is prime)
  }
}

async function until (what: string, fn: () => Promise<boolean>): Promise<void> {
  if (!(await eventually(fn, 600_000, 20))) throw new Error(`set-up: gave up waiting for ${what}`)
}

// Appends jobs [from, to) as pairs (the last `keepOpen` left open) to the market's base in batches of 500.
async function writeShare (market: Market, pm: PagingMarket, from: number, to: number, keepOpen: number): Promise<void> {
  const append = market.base.append.bind(market.base) as unknown as (v: Uint8Array[]) => Promise<number>
  const job = (i: number): JobFields => ({ title: pm.titleOf(i), material: 'PLA', colors: [], bountySats: pm.bountyOf(i), country: 'DE', notes: '' })
  const at = Date.now()
  let values: Uint8Array[] = []
  let start = market.base.local.length
  for (let i = from; i < to; i++) {
    values.push(encodeOp({ type: OP.JOB_CREATE, job: job(i) }, at))
    if (i < to - keepOpen) values.push(encodeOp({ type: OP.JOB_CANCEL, jobId: jobIdFor(market.writerKey, start + values.length) }, at))
    if (values.length >= 500 || i === to - 1) {
      await append(values)
      start = market.base.local.length
      values = []
    }
  }
}

export async function buildPagingMarket (dir: string, pm: PagingMarket, writers = 1): Promise<void> {
  const peer = new Peer(dir, { swarm: false, admissionBits: TEST_ADMISSION_BITS })
  await peer.ready()
  try {
    const creator = await peer.createMarket('Paging market', TEST_ADMISSION_BITS)
    const open = LIMITS.openJobsPerClient
    const share = Math.ceil(pm.jobs / writers)
    if (2 * share > LIMITS.opsPerWriter - 10) throw new Error('set-up: too few writers for the ops per writer limit')
    await writeShare(creator, pm, 0, Math.min(share, pm.jobs), writers === 1 ? open : 0)
    await until('the creator applying its jobs', async () => { await creator.update(); return (await creator.jobCount()) >= Math.min(share, pm.jobs) })
    for (let w = 1; w < writers; w++) {
      const from = w * share
      const to = Math.min(pm.jobs, from + share)
      const store = new Corestore(path.join(dir, `writer-${w}`))
      const m = new Market(store.namespace('market'), creator.key, { swarm: false })
      const unpipe = pipe(creator, m)
      try {
        await m.ready()
        await until('the writer holding every earlier job', async () => { await m.update(); return (await m.jobCount()) >= from })
        await m.admit()
        await until('the writer admitted', async () => { await m.update(); return m.isWriter() })
        await writeShare(m, pm, from, to, w === writers - 1 ? open : 0)
        await until('the creator holding the writer\'s jobs', async () => { await creator.update(); return (await creator.jobCount()) >= to })
      } finally {
        unpipe()
        await m.close()
        await store.close()
      }
    }
    await until('every job in the view', async () => { await creator.update(); return (await creator.jobCount()) === pm.jobs })
  } finally {
    await peer.close()
  }
}

interface Asserts {
  ok (v: unknown, msg?: string): void
  is (a: unknown, b: unknown, msg?: string): void
  alike (a: unknown, b: unknown, msg?: string): void
  absent (v: unknown, msg?: string): void
  comment (msg: string): void
}

async function timed<T> (t: Asserts, what: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now()
  const r = await fn()
  t.comment(`${what}: ${Date.now() - t0} ms`)
  return r
}

// Newest first from cursors (any page, asked cold or in order, equals the same slice of the whole newest-first
// list), highest bounty first over every matching job (not only the page), a title search far past the first
// thousand jobs, and the open jobs by the default filter.
export async function checkPaging (t: Asserts, app: AppSession, pm: PagingMarket, size: number): Promise<void> {
  const { jobs, titleOf, bountyOf } = pm
  const titles = (rows: JobRow[]): string[] => rows.map(r => r.title)
  const newest = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, k) => titleOf(jobs - 1 - from - k))
  const pages = jobs / size

  const farPage = Math.floor(pages * 5 / 6)
  const far = await timed(t, `page ${farPage + 1} of ${pages} asked first`, async () => await app.queryJobs({ status: 'all' }, farPage, size))
  t.alike(titles(far.rows), newest(farPage * size, (farPage + 1) * size), `page ${farPage + 1} asked first is that slice of the whole newest-first list`)
  let ok = true
  await timed(t, `all ${pages} pages in order`, async () => {
    for (let p = 0; p < pages; p++) {
      const got = await app.queryJobs({ status: 'all' }, p, size)
      if (JSON.stringify(titles(got.rows)) !== JSON.stringify(newest(p * size, (p + 1) * size)) || got.hasMore !== (p < pages - 1)) ok = false
    }
  })
  t.ok(ok, `all ${pages} pages forward equal the newest-first list, hasMore only before the last`)
  const last = await app.queryJobs({ status: 'all' }, pages, size)
  t.is(last.rows.length, 0, 'past the end: empty')
  t.alike(titles((await app.queryJobs({ status: 'all' }, 3, size)).rows), newest(3 * size, 4 * size), 'back to page 4')

  // by bounty: every matching job in order, not only a page's worth
  const byBounty = Array.from({ length: jobs }, (_, i) => i).sort((a, b) => bountyOf(b) - bountyOf(a)).map(titleOf)
  const first = await timed(t, 'highest bounties of every job', async () => await app.queryJobs({ status: 'all', sort: 'bounty' }, 0, size))
  t.alike(titles(first.rows), byBounty.slice(0, size), 'highest bounties of all jobs on page 1')
  t.is(first.rows[0].bountySats, 10_000 + (jobs - 1) * 100, 'the top bounty first')
  const tail = await app.queryJobs({ status: 'all', sort: 'bounty' }, pages - 1, size)
  t.alike(titles(tail.rows), byBounty.slice(jobs - size), 'lowest bounties on the last page')
  t.absent(tail.hasMore, 'no page after the last')

  // a title search finds the job written fourth, older than all but three
  const gear = await timed(t, `title search through ${jobs} jobs`, async () => await app.queryJobs({ status: 'all', text: 'gear' }, 0, size))
  t.alike(titles(gear.rows), ['Gear housing'], 'title search over every job')
  const gearByBounty = await app.queryJobs({ status: 'all', text: 'gear', sort: 'bounty' }, 0, size)
  t.alike(titles(gearByBounty.rows), ['Gear housing'], 'title search with the bounty order')

  // open jobs only, by the default filter
  const open = await timed(t, 'open jobs', async () => await app.queryJobs({}, 0, 1000))
  t.is(open.rows.length, LIMITS.openJobsPerClient, 'open: only the jobs left open')
  t.ok(open.rows.every(r => r.status === 'open'), 'every row open')
  t.alike(titles(open.rows), newest(0, LIMITS.openJobsPerClient), 'the open ones are the newest')
}
