// Bench: a filtered query for 50 jobs out of 100 000, against a full scan of the same view.
//
// The view is built without Autobase (that would take minutes): the market's own reducer, applyOp from
// lib/market/apply.ts, writes straight into a Hyperbee on a Corestore core through bee.batch(), exactly the keys
// and records apply writes. 5 000 distinct author keys create 20 jobs each (never over
// LIMITS.openJobsPerClient); material, country and bounty vary; other keys accept some jobs, some of those are
// shipped and completed, and some open jobs are cancelled by their clients.
// Timed: queryJobs (indexed range read, lib/market/view.ts), median of 50 warm runs, against scanJobs (reads every
// job record, the baseline), median of 3 runs, with the same query. Both must return the same ids.
// Goal: the main query { status: open, material: PLA, country: DE, minBountySats, limit: 50 } in ≤ 5 ms.
//
//   node --import tsx bench/query.ts     (BENCH_JOBS=100000 BENCH_QUERY_RUNS=50 BENCH_SCAN_RUNS=3)
import path from 'path'
import b4a from 'b4a'
import Corestore from 'corestore'
import Hyperbee from 'hyperbee'
import { applyOp, jobIdFor } from '../lib/market/apply.js'
import { queryJobs, scanJobs, getJobCount, getStatusCounts, type View, type JobQuery } from '../lib/market/view.js'
import { OP, LIMITS, SCHEMA_VERSION, type Op, type OpBody, type Material, type Status } from '../lib/schema.js'
import { tmpDir, rmDir, nowMs, median, round, printResult, exitGuard, env, prng, randomBytesFrom } from './_util.js'

const JOBS = env('BENCH_JOBS', 100_000)
const AUTHORS = Math.ceil(JOBS / LIMITS.openJobsPerClient)
const QUERY_RUNS = env('BENCH_QUERY_RUNS', 50)
const SCAN_RUNS = env('BENCH_SCAN_RUNS', 3)
const FLUSH_EVERY = 1000 // jobs per bee batch
const GOAL_MS = 5
const MIN_BOUNTY = 30_000 // about half of the log-uniform 1 000 … 1 000 000 bounties pass

function pickWeighted<T> (rand: () => number, items: Array<[T, number]>): T {
  let r = rand() * items.reduce((a, [, w]) => a + w, 0)
  for (const [v, w] of items) {
    if ((r -= w) < 0) return v
  }
  return items[items.length - 1][0]
}

const MATERIAL_W: Array<[Material, number]> = [['PLA', 35], ['PETG', 20], ['ABS', 15], ['TPU', 10], ['Resin', 8], ['Nylon', 7], ['Other', 5]]
const COUNTRY_W: Array<[string, number]> = [
  ['US', 20], ['DE', 15], ['FR', 8], ['GB', 8], ['NL', 5], ['PL', 5], ['IT', 5], ['ES', 5], ['JP', 5], ['CA', 4],
  ['AU', 3], ['SE', 3], ['AT', 2], ['CH', 2], ['BE', 2], ['CZ', 2], ['DK', 1], ['NO', 1], ['FI', 1], ['PT', 1], ['IS', 0.2]
]
const COLORS = ['black', 'white', 'red', 'blue', 'green', 'grey', 'orange', 'natural']
const THINGS = ['bracket', 'gear', 'enclosure', 'hinge', 'knob', 'spacer', 'mount', 'clip', 'housing', 'figurine']

interface Author { key: Uint8Array, length: number }
interface Tracked { id: Uint8Array, client: number, printer: number | null, status: Status }

class Builder {
  readonly rand = prng(20_261_101)
  readonly authors: Author[] = []
  readonly jobs: Tracked[] = []
  applied = 0
  refused = 0
  at = 1_760_000_000_000
  constructor (readonly bee: View) {
    for (let i = 0; i < AUTHORS; i++) this.authors.push({ key: randomBytesFrom(this.rand, 32), length: 0 })
  }

  async op (b: ReturnType<View['batch']>, body: OpBody, author: number): Promise<boolean> {
    const a = this.authors[author]
    a.length++
    this.at += 1 + Math.floor(this.rand() * 1000)
    const op = { ...body, version: SCHEMA_VERSION, at: this.at } as Op
    const ok = await applyOp(b, op, a.key, a.length)
    if (ok) this.applied++
    else this.refused++
    return ok
  }

  otherAuthor (not: number): number {
    const k = Math.floor(this.rand() * (AUTHORS - 1))
    return k >= not ? k + 1 : k
  }

  async build (onProgress: (done: number) => void): Promise<void> {
    const { rand } = this
    let b = this.bee.batch()
    for (let i = 0; i < JOBS; i++) {
      const client = i % AUTHORS // 20 creates per author, in rounds, so no one exceeds the open-jobs limit
      const material = pickWeighted(rand, MATERIAL_W)
      const country = pickWeighted(rand, COUNTRY_W)
      const bountySats = Math.round(1000 * Math.pow(1000, rand())) // log-uniform 1 000 … 1 000 000
      const ncolors = 1 + Math.floor(rand() * 2)
      const colors = Array.from({ length: ncolors }, () => COLORS[Math.floor(rand() * COLORS.length)])
      const title = `${THINGS[Math.floor(rand() * THINGS.length)]} #${i}, ${10 + Math.floor(rand() * 190)} mm`
      const job = { title, material, colors, bountySats, country, notes: rand() < 0.5 ? '' : '0.2 mm layers, 20 % infill, no supports' }
      const length = this.authors[client].length + 1
      if (await this.op(b, { type: OP.JOB_CREATE, job }, client)) {
        this.jobs.push({ id: jobIdFor(this.authors[client].key, length), client, printer: null, status: 'open' })
      }
      // move some earlier jobs along: ~25 % get accepted, some of those shipped/completed, ~8 % cancelled
      if (rand() < 0.25) await this.advance(b, 'accept')
      if (rand() < 0.08) await this.advance(b, 'cancel')
      if (rand() < 0.10) await this.advance(b, 'ship')
      if (rand() < 0.05) await this.advance(b, 'complete')
      if ((i + 1) % FLUSH_EVERY === 0) {
        await b.flush()
        b = this.bee.batch()
        onProgress(i + 1)
      }
    }
    await b.flush()
  }

  private async advance (b: ReturnType<View['batch']>, what: 'accept' | 'cancel' | 'ship' | 'complete'): Promise<void> {
    if (this.jobs.length === 0) return
    const want: Status = what === 'accept' || what === 'cancel' ? 'open' : what === 'ship' ? 'active' : 'shipped'
    // look at a few random jobs for one in the right state
    for (let tries = 0; tries < 8; tries++) {
      const j = this.jobs[Math.floor(this.rand() * this.jobs.length)]
      if (j.status !== want) continue
      if (what === 'accept') {
        const printer = this.otherAuthor(j.client)
        if (await this.op(b, { type: OP.JOB_ACCEPT, jobId: j.id }, printer)) { j.status = 'active'; j.printer = printer }
      } else if (what === 'cancel') {
        if (await this.op(b, { type: OP.JOB_CANCEL, jobId: j.id }, j.client)) j.status = 'cancelled'
      } else if (what === 'ship') {
        if (await this.op(b, { type: OP.JOB_SHIP, jobId: j.id, note: 'tracking 1Z999' }, j.printer as number)) j.status = 'shipped'
      } else {
        if (await this.op(b, { type: OP.JOB_COMPLETE, jobId: j.id }, j.client)) j.status = 'completed'
      }
      return
    }
  }
}

function ids (list: Array<{ id: Uint8Array }>): string {
  return list.map(j => b4a.toString(j.id, 'hex')).join(',')
}

interface QueryResult { name: string, query: Record<string, unknown>, hits: number, indexedMs: number, indexedP90Ms: number, scanMs: number, speedup: number, sameIds: boolean }

async function timeQuery (bee: View, name: string, q: JobQuery): Promise<QueryResult> {
  for (let i = 0; i < 3; i++) await queryJobs(bee, q) // warm
  const times: number[] = []
  let last: Array<{ job: { id: Uint8Array } }> = []
  for (let i = 0; i < QUERY_RUNS; i++) {
    const t0 = nowMs()
    last = await queryJobs(bee, q)
    times.push(nowMs() - t0)
  }
  const scanTimes: number[] = []
  let scanned: Array<{ id: Uint8Array }> = []
  for (let i = 0; i < SCAN_RUNS; i++) {
    const t0 = nowMs()
    scanned = await scanJobs(bee, q)
    scanTimes.push(nowMs() - t0)
  }
  const sameIds = ids(last.map(e => e.job)) === ids(scanned)
  const sorted = times.slice().sort((a, b) => a - b)
  const indexedMs = round(median(times), 3)
  const scanMs = round(median(scanTimes), 1)
  const shown: Record<string, unknown> = { ...q }
  if (q.mine !== undefined) shown.mine = b4a.toString(q.mine, 'hex').slice(0, 8) + '…'
  return {
    name,
    query: shown,
    hits: last.length,
    indexedMs,
    indexedP90Ms: round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))], 3),
    scanMs,
    speedup: round(scanMs / indexedMs, 0),
    sameIds
  }
}

async function main (): Promise<void> {
  const dir = await tmpDir('query')
  const store = new Corestore(path.join(dir, 'store'))
  const bee: View = new Hyperbee<Uint8Array, Uint8Array>(store.get({ name: 'view' }), { keyEncoding: 'binary', valueEncoding: 'binary', extension: false })
  try {
    await bee.ready()
    console.log(`query: building a view of ${JOBS} jobs from ${AUTHORS} authors with applyOp (no Autobase)…`)
    const builder = new Builder(bee)
    const t0 = nowMs()
    await builder.build((done) => {
      if (done % 20_000 === 0) console.log(`  … ${done} jobs (${round((nowMs() - t0) / 1000, 1)} s)`)
    })
    const buildS = round((nowMs() - t0) / 1000, 1)
    const jobCount = await getJobCount(bee)
    const counts = await getStatusCounts(bee)
    console.log(`  built in ${buildS} s: ${jobCount} jobs, ${builder.applied} ops applied, ${builder.refused} refused, bee length ${bee.core.length}`)
    console.log(`  statuses: ${Object.entries(counts).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${n}`).join(', ')}`)
    if (jobCount !== JOBS) console.error(`  ERROR: the view holds ${jobCount} jobs, expected ${JOBS}`)
    if (builder.refused > 0) console.error(`  ERROR: apply refused ${builder.refused} ops the generator believed valid`)

    // someone with a long history as client and printer, for the mine query
    const printerCounts = new Map<number, number>()
    for (const j of builder.jobs) if (j.printer !== null) printerCounts.set(j.printer, (printerCounts.get(j.printer) ?? 0) + 1)
    let mineAuthor = 0
    for (const [a, n] of printerCounts) if (n > (printerCounts.get(mineAuthor) ?? 0)) mineAuthor = a
    const mine = builder.authors[mineAuthor].key

    const queries: Array<[string, JobQuery]> = [
      ['main: open PLA DE bounty≥30k, 50', { status: 'open', material: 'PLA', country: 'DE', minBountySats: MIN_BOUNTY, limit: 50 }],
      ['status only: open, 50', { status: 'open', limit: 50 }],
      ['country only: DE, 50', { country: 'DE', limit: 50 }],
      ['status+country: open IS (rare), 50', { status: 'open', country: 'IS', limit: 50 }],
      ['selective: open Nylon JP bounty≥900k, 50', { status: 'open', material: 'Nylon', country: 'JP', minBountySats: 900_000, limit: 50 }],
      ['mine (client or printer), 50', { mine, limit: 50 }]
    ]
    console.log(`  timing: queryJobs median of ${QUERY_RUNS} warm runs, scanJobs median of ${SCAN_RUNS}`)
    const results: QueryResult[] = []
    for (const [name, q] of queries) {
      const r = await timeQuery(bee, name, q)
      results.push(r)
      console.log(`  ${name.padEnd(42)} indexed ${String(r.indexedMs).padStart(8)} ms (p90 ${r.indexedP90Ms})   scan ${String(r.scanMs).padStart(7)} ms   ${String(r.speedup).padStart(5)}×   ${r.hits} hits${r.sameIds ? '' : '   <-- ERROR: ids differ from the scan'}`)
    }
    const main = results[0]
    const allSame = results.every(r => r.sameIds)
    if (!allSame) console.error('  ERROR: an indexed query returned different jobs than the full scan (see above)')
    const goalMet = main.indexedMs <= GOAL_MS && main.sameIds && main.hits === 50
    console.log('')
    console.log(`  main query: ${main.indexedMs} ms indexed vs ${main.scanMs} ms full scan (${main.speedup}× faster), ${main.hits} hits`)
    console.log(`  goal: main query ≤ ${GOAL_MS} ms with 50 hits → ${goalMet ? 'MET' : 'NOT MET'}`)
    printResult({
      bench: 'query',
      jobs: jobCount,
      authors: AUTHORS,
      buildSeconds: buildS,
      statuses: counts,
      queryRuns: QUERY_RUNS,
      scanRuns: SCAN_RUNS,
      main: { indexedMs: main.indexedMs, scanMs: main.scanMs, hits: main.hits, sameIds: main.sameIds },
      queries: results,
      allSameIds: allSame,
      goal: `main query <= ${GOAL_MS} ms`,
      goalMet
    })
  } finally {
    await bee.close()
    await store.close()
    await rmDir(dir)
    exitGuard()
  }
}

main().catch((err: unknown) => {
  console.error('query failed:', err)
  process.exitCode = 1
})
