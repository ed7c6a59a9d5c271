// The market table's paging through the real AppSession on 1 200 jobs (test/paging.ts has the checks;
// test/paging-100k.test.ts runs them on 100 000).
import test from 'brittle'
import { tmpDir, testnet } from './helpers.js'
import { AppSession } from '../lib/app.js'
import { buildPagingMarket, checkPaging, pagingMarket } from './paging.js'

test('market paging: cursors, bounty order over every job, title search past the first thousand', { timeout: 120_000 }, async (t) => {
  const dir = await tmpDir(t)
  const pm = pagingMarket(1200)
  await buildPagingMarket(dir, pm)
  const tn = await testnet(t)
  const app = await AppSession.open({ storage: dir, bootstrap: tn.bootstrap, syncTimeoutMs: 500 })
  t.teardown(() => app.close(), { order: 5 })
  await checkPaging(t, app, pm, 25)
})
