// A printer past its ship-by time, through the command line, between separate processes on a local testnet and a
// real regtest node: the creator's seeder (the market's only indexer: its ticks are market time), an arbitrator, a
// client, and a printer that takes a deal with a one-day lead time, is funded, and then runs nothing more. Market
// time is moved the way it moves for real: the seeder is started again on clocks a day further on each time
// (libfaketime, an LD_PRELOAD library: nothing in p2print is told; one tick moves market time a day at most), and the
// arbitrator runs on the last of them (its engine signs nothing before its own clock agrees). Skipped when
// libfaketime is not installed (.ci/run installs it).
import test from 'brittle'
import { p2print, eventually } from './helpers.js'
import { fundBySync } from './escrow-helpers.js'
import { FAKETIME_LIB, ahead, cliMarket } from './clock-ahead.js'

if (FAKETIME_LIB === undefined) console.log('# late-printer-cli: skipped, libfaketime is not installed (CI installs it via .ci/run)')

test('late printer cli: a one-day lead time; the printer goes quiet after the funding; the client cancels alone; once market time passes ship-by the arbitrator\'s `sync` co-signs and the client\'s `sync` is paid back', { skip: FAKETIME_LIB === undefined, timeout: 480_000 }, async (t) => {
  const m = await cliMarket(t, 'late', ['--funding-timeout', '600'])
  const { chain, ok, R, B, C } = m

  // the deal: a quote with a one-day lead time, taken by the client, accepted by the printer
  const job = await ok([...B, '--json', 'job', 'create', '--quotes', '--title', 'Clip', '--material', 'PLA', '--country', 'DE'])
  await ok([...C, '--json', 'job', 'quote', job.id, '--price', '0.01', '--days', '1'])
  t.ok(await eventually(async () => (await p2print([...B, '--json', 'job', 'take-quote', job.id, '1'])).code === 0, 60_000, 1000), 'the client takes the quote')
  t.ok(await eventually(async () => (await p2print([...C, '--json', 'job', 'accept', job.id])).json?.status === 'accepted', 60_000, 1000), 'the printer accepts the offer')
  t.ok(await fundBySync(chain, B, C, job.id), 'funded by sync on each side')
  const before = (await ok([...B, '--json', 'escrow', job.id]))
  t.ok(typeof before.deadlines?.shipBy === 'string', `\`escrow\` has a ship-by time (${String(before.deadlines?.shipBy)})`)
  const shipBy = Date.parse(before.deadlines.shipBy)
  // the printer goes quiet now: it runs nothing until the end

  const cancel = await p2print([...B, 'job', 'cancel', job.id])
  t.is(cancel.code, 0, 'the client cancels alone')
  if (cancel.code !== 0) t.comment(cancel.stderr)
  t.ok(/If the printer has not shipped by .* the arbitrator's engine co-signs it instead/.test(cancel.stdout + cancel.stderr), '`job cancel` before ship-by says the arbitrator co-signs after it')
  await ok([...R, 'sync'])
  t.is((await ok([...B, '--json', 'escrow', job.id])).cancelSignedByArbitrator, false, 'before ship-by: the arbitrator signs nothing')

  // the seeder comes back a day further on, four times and then some: each first tick moves market time a day
  const marketTime = async (): Promise<number> => Date.parse((await p2print([...B, '--json', 'market', 'indexers'])).json?.marketTime ?? '')
  let hours = 0
  while (!(await marketTime() >= shipBy)) {
    if (hours > 24 * 8) break
    hours += 24
    const started = await m.restartSeed(ahead(hours + 2))
    const moved = await eventually(async () => await marketTime() >= Date.now() + (hours - 1) * 3600_000, 60_000, 1000)
    if (!started || !moved) break
  }
  t.ok(await marketTime() >= shipBy, `market time passed ship-by after ${hours / 24} restarts of the seeder`)

  const signed = await eventually(async () => {
    await p2print([...R, 'sync'], { env: ahead(hours + 2) })
    return (await p2print([...B, '--json', 'escrow', job.id])).json?.cancelSignedByArbitrator === true
  }, 120_000, 1000)
  t.ok(signed, 'the arbitrator\'s `sync` co-signed the client\'s cancel')
  const paid = await eventually(async () => {
    await p2print([...B, 'sync'])
    await chain.mine(1)
    const e = (await p2print([...B, '--json', 'escrow', job.id])).json
    return e?.payout?.kind === 'cancel' && (await chain.backend.txStatus(e.payout.txid)).confirmed
  }, 240_000, 0) // each round starts two CLI processes: on a loaded 2-core machine 120 s was once not enough
  t.ok(paid, 'the client\'s `sync` broadcast the cancel; confirmed')
  const balB = (await ok([...B, '--json', 'wallet', 'balance'])).confirmedSats
  t.ok(balB > 2_000_000 - 3000 && balB < 2_000_000, `the client's wallet: ${balB} sats (was 2 000 000, everything back but fees)`)
  const ship = await p2print([...C, '--json', 'job', 'ship', job.id, '--note', 'too late'])
  t.ok(ship.code !== 0, `the printer that comes back cannot ship (${String(ship.json?.error?.message)})`)
})
