// The market table's paging through the real AppSession: newest first from cursors (any page, asked cold or in
// order, equals the same slice of the whole newest-first list), highest bounty first over every matching job (not
// only the page), and a title search past the first thousand jobs.
import test from 'brittle'
import { tmpDir, testnet } from './helpers.js'
import { Peer } from '../lib/peer.js'
import { AppSession, type JobRow } from '../lib/app.js'
import { jobIdFor } from '../lib/market/apply.js'
import { OP, encodeOp, LIMITS, type JobFields } from '../lib/schema.js'

const JOBS = 1200
const bountyOf = (i: number): number => 10_000 + ((i * 7919) % JOBS) * 100 // every job a different bounty
const titleOf = (i: number): string => i === 3 ? 'Gear housing' : `Part ${i}`

// One writer, JOBS jobs: create → cancel pairs (a client may hold only LIMITS.openJobsPerClient open jobs), the last
// ones left open. Appended as batches straight to the base (set-up only; every op still goes through apply).
async function build (dir: string): Promise<void> {
  const peer = new Peer(dir, { swarm: false })
  await peer.ready()
  const market = await peer.createMarket('Paging market')
  const writer = market.writerKey
  const append = market.base.append.bind(market.base) as unknown as (v: Uint8Array[]) => Promise<number>
  const open = LIMITS.openJobsPerClient
  const job = (i: number): JobFields => ({ title: titleOf(i), material: 'PLA', colors: [], bountySats: bountyOf(i), country: 'DE', notes: '' })
  const at = Date.now()
  for (let i = 0; i < JOBS - open; i += 50) {
    const start = market.base.local.length
    const values: Uint8Array[] = []
    for (let k = 0; k < 50 && i + k < JOBS - open; k++) {
      values.push(encodeOp({ type: OP.JOB_CREATE, job: job(i + k) }, at))
      values.push(encodeOp({ type: OP.JOB_CANCEL, jobId: jobIdFor(writer, start + 2 * k + 1) }, at))
    }
    await append(values)
  }
  await append(Array.from({ length: open }, (_, k) => encodeOp({ type: OP.JOB_CREATE, job: job(JOBS - open + k) }, at)))
  await market.update()
  if (await market.jobCount() !== JOBS) throw new Error('set-up: not every job is in the view')
  await peer.close()
}

test('market paging: cursors, bounty order over every job, title search past the first thousand', { timeout: 120_000 }, async (t) => {
  const dir = await tmpDir(t)
  await build(dir)
  const tn = await testnet(t)
  const app = await AppSession.open({ storage: dir, bootstrap: tn.bootstrap, syncTimeoutMs: 500 })
  t.teardown(() => app.close(), { order: 5 })
  const titles = (rows: JobRow[]): string[] => rows.map(r => r.title)
  const newest = Array.from({ length: JOBS }, (_, k) => titleOf(JOBS - 1 - k))
  const size = 25

  // cold: a far page first, with no cursor known yet; then every page in order, then backwards
  const far = await app.queryJobs({ status: 'all' }, 40, size)
  t.alike(titles(far.rows), newest.slice(40 * size, 41 * size), 'page 41 asked first is the 41st slice of the whole list')
  let ok = true
  for (let p = 0; p < JOBS / size; p++) {
    const got = await app.queryJobs({ status: 'all' }, p, size)
    if (JSON.stringify(titles(got.rows)) !== JSON.stringify(newest.slice(p * size, (p + 1) * size)) || got.hasMore !== (p < JOBS / size - 1)) ok = false
  }
  t.ok(ok, `all ${JOBS / size} pages forward equal the newest-first list, hasMore only before the last`)
  const last = await app.queryJobs({ status: 'all' }, JOBS / size, size)
  t.is(last.rows.length, 0, 'past the end: empty')
  t.alike(titles((await app.queryJobs({ status: 'all' }, 3, size)).rows), newest.slice(3 * size, 4 * size), 'back to page 4')

  // by bounty: every matching job in order, not only a page's worth
  const byBounty = Array.from({ length: JOBS }, (_, i) => i).sort((a, b) => bountyOf(b) - bountyOf(a)).map(titleOf)
  const first = await app.queryJobs({ status: 'all', sort: 'bounty' }, 0, size)
  t.alike(titles(first.rows), byBounty.slice(0, size), 'highest bounties of all jobs on page 1')
  t.is(first.rows[0].bountySats, 10_000 + (JOBS - 1) * 100, 'the top bounty first')
  const tail = await app.queryJobs({ status: 'all', sort: 'bounty' }, JOBS / size - 1, size)
  t.alike(titles(tail.rows), byBounty.slice(JOBS - size), 'lowest bounties on the last page')
  t.absent(tail.hasMore)

  // a title search finds a job older than the first thousand (job 3 of 1200)
  const gear = await app.queryJobs({ status: 'all', text: 'gear' }, 0, size)
  t.alike(titles(gear.rows), ['Gear housing'], 'title search over every job')
  const gearByBounty = await app.queryJobs({ status: 'all', text: 'gear', sort: 'bounty' }, 0, size)
  t.alike(titles(gearByBounty.rows), ['Gear housing'], 'title search with the bounty order')

  // open jobs only, by the default filter
  const open = await app.queryJobs({}, 0, 1000)
  t.is(open.rows.length, LIMITS.openJobsPerClient, 'open: only the jobs left open')
  t.ok(open.rows.every(r => r.status === 'open'))
})
