// The market table's paging (test/paging.ts) on a market of 100 000 jobs written by three writers: every list reads
// an index range, so a page, the bounty order and a title search stay usable at that size. Each query's time is
// printed as a comment (no timing thresholds in tests: bench/query.ts measures them).
import test from 'brittle'
import { tmpDir, testnet } from './helpers.js'
import { AppSession } from '../lib/app.js'
import { buildPagingMarket, checkPaging, pagingMarket } from './paging.js'

const JOBS = Number(process.env.P2PRINT_PAGING_JOBS ?? 100_000) // the variable only to try it smaller by hand

test(`market paging on ${JOBS} jobs from three writers`, { timeout: 1_800_000 }, async (t) => {
  const dir = await tmpDir(t)
  const pm = pagingMarket(JOBS)
  const t0 = Date.now()
  await buildPagingMarket(dir, pm, 3)
  t.comment(`built ${JOBS} jobs in ${Math.round((Date.now() - t0) / 1000)} s`)
  const tn = await testnet(t)
  const app = await AppSession.open({ storage: dir, bootstrap: tn.bootstrap, syncTimeoutMs: 500 })
  t.teardown(() => app.close(), { order: 5 })
  await checkPaging(t, app, pm, 100)
})
