// A market whose Autobase stops (an error in its own drain closes it) says so: Market keeps the error as `fault`
// and emits 'fault', and a running `seed` ends with MARKET_STOPPED instead of staying connected while it no longer
// applies or confirms anything (seen: CLI commands waiting on a seeder that confirmed nothing for minutes).
import test from 'brittle'
import { tmpDir, testnet } from './helpers.js'
import { P2Print } from '../lib/service/p2print.js'
import { seedCommand } from '../lib/commands/seed.js'
import { SEED_DEFAULTS } from '../lib/files/seeder.js'
import { isP2PrintError } from '../lib/errors.js'
import type { Ctx } from '../lib/commands/context.js'
import { AppSession } from '../lib/app.js'

interface Faultable { _onError: (err: Error) => void }

test('a market whose Autobase stops ends its seeder with MARKET_STOPPED; the storage opens again', { timeout: 60_000 }, async (t) => {
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const base = { storage: dir, bootstrap: tn.bootstrap, marketKey: null, syncTimeoutMs: 2000, chain: null, bitcoinRpc: null, esplora: null }
  const creator = new P2Print(base)
  await creator.ready()
  await creator.createMarket('faulty', 8)
  await creator.createJob({ title: 'Before', material: 'PLA', colors: [], bountySats: 1000, notes: '', country: 'DE' }, null)
  await creator.close()

  const events: Array<{ tag: string, data?: Record<string, unknown> }> = []
  let hosted: P2Print | null = null
  let stop = (): void => {}
  const ctx: Ctx = {
    ...base,
    json: true,
    emit: (tag, data) => { events.push({ tag, data }) },
    stopped: new Promise<void>(resolve => { stop = resolve }),
    cwd: dir,
    columns: 80,
    color: false,
    host: async (p) => { hosted = p; return { close: async () => {} } }
  }
  t.teardown(() => stop())
  const seeding = seedCommand(ctx, SEED_DEFAULTS).then(() => null, (err: unknown) => err)
  const deadline = Date.now() + 20_000
  while (hosted === null || !events.some(e => e.tag === 'seeding')) {
    if (Date.now() > deadline) { t.fail('the seeder did not start'); return }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  const market = (hosted as P2Print).market
  t.is(market.fault, null, 'no fault while it runs')
  const faulted = new Promise(resolve => market.once('fault', resolve))
  // what Autobase does on an error in its drain (autobase index.js _onError): close itself, emit 'error'
  ;(market.base as unknown as Faultable)._onError(new Error('boom in drain'))
  t.is(((await faulted) as Error).message, 'boom in drain', "Market emits 'fault' with the error")
  t.is(market.fault?.message, 'boom in drain', 'and keeps it')

  const err = await seeding
  t.ok(isP2PrintError(err) && err.code === 'MARKET_STOPPED', `the seeder ends with MARKET_STOPPED (${(err as Error)?.message})`)
  t.ok(/boom in drain/.test((err as Error).message), 'naming the cause')
  t.ok(events.some(e => e.tag === 'warning' && /boom in drain/.test(String(e.data?.message))), 'and said it as a warning when it happened')

  const again = new P2Print(base)
  await again.ready()
  await again.openMarket()
  t.is(await again.market.jobCount(), 1, 'the storage opens again with what it held')
  await again.close()
})

test('the app says so in its status line when its market stops', { timeout: 60_000 }, async (t) => {
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const app = await AppSession.open({ storage: dir, bootstrap: tn.bootstrap, syncTimeoutMs: 500 })
  t.teardown(() => app.close())
  await app.createMarket('faulty app')
  t.is(app.state().notice, null, 'no notice while it runs')
  const market = (app as unknown as { p2: P2Print }).p2.market
  ;(market.base as unknown as Faultable)._onError(new Error('boom in drain'))
  t.ok(/market stopped in this app \(boom in drain\).*start p2print again/.test(String(app.state().notice)), `the status line says it: ${String(app.state().notice)}`)
})
