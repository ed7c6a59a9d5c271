// The delivery window through the command line, between separate processes on a local testnet and a real regtest
// node: the creator's seeder (the market's only indexer, so its clock is market time), an arbitrator, a client that
// goes away after the ship, and a printer. Market time is moved the way it moves for real: the seeder is started
// again on a clock a day and two hours ahead (libfaketime, an LD_PRELOAD library: nothing in p2print is told), and
// the arbitrator runs on the same clock (its engine signs nothing before its own clock agrees). Skipped when
// libfaketime is not installed (.ci/run installs it).
import test from 'brittle'
import { p2print, eventually } from './helpers.js'
import { fundBySync } from './escrow-helpers.js'
import { FAKETIME_LIB, ahead, cliMarket } from './clock-ahead.js'

if (FAKETIME_LIB === undefined) console.log('# delivery-window-cli: skipped, libfaketime is not installed (CI installs it via .ci/run)')
const AHEAD = ahead(26)

test('delivery window cli: a one-day window; the client goes away after the ship; the seeder\'s clock moves a day on, the arbitrator\'s engine co-signs and the printer\'s `sync` is paid', { skip: FAKETIME_LIB === undefined, timeout: 420_000 }, async (t) => {
  const m = await cliMarket(t, 'window', ['--delivery-window', '1'], async ({ A }) => {
    const bad = await p2print([...A, '--json', 'market', 'settings', '--delivery-window', '0'])
    t.is(bad.json?.error?.code, 'BAD_ARGUMENT', `--delivery-window 0 is refused (${String(bad.json?.error?.message)})`)
  })
  const { chain, ok, A, R, B, C } = m
  const shown = await p2print([...A, 'market', 'settings', '--delivery-window', '1'])
  t.ok(/delivery +the client has 1 days after a ship to complete or dispute/.test(shown.stdout), `the creator set a one-day window: \`market settings\` prints it\n${shown.stdout}`)

  const job = await ok([...B, '--json', 'job', 'create', '--title', 'Hinge', '--material', 'PETG', '--bounty', '0.01', '--country', 'DE'])
  t.is((await ok([...C, '--json', 'job', 'accept', job.id])).status, 'accepted')
  t.ok(await fundBySync(chain, B, C, job.id), 'funded by sync on each side')
  t.is((await ok([...C, '--json', 'job', 'ship', job.id, '--note', 'DHL 77'])).status, 'shipped', 'the printer ships')
  const shipped = await eventually(async () => (await p2print([...C, '--json', 'escrow', job.id])).json?.deadlines?.releaseAt != null, 60_000, 1000)
  t.ok(shipped, 'the printer\'s `escrow` has a release time')
  const escrow = (await p2print([...C, '--json', 'escrow', job.id])).json
  t.is(escrow.deadlines.deliveryDays, 1)
  const text = await p2print([...C, 'escrow', job.id])
  t.ok(text.stdout.includes(`release at   ${String(escrow.deadlines.releaseAt)}`), '`escrow ID` prints it')
  // the client goes away now: it runs nothing more

  // inside the window the arbitrator's engine signs nothing
  await ok([...R, 'sync'])
  t.is((await p2print([...C, '--json', 'escrow', job.id])).json?.releasedByArbitrator, false, 'inside the window: no release')

  // the seeder comes back a day and two hours on: its first tick moves market time a day (the most one tick may)
  t.ok(await m.restartSeed(AHEAD), 'the seeder runs on a clock 26 h ahead')
  const over = await eventually(async () => {
    const r = await p2print([...B, '--json', 'job', 'dispute', job.id, '--reason', 'never mind'])
    return r.json?.error?.code === 'BAD_TRANSITION' && /delivery window/.test(r.json.error.message)
  }, 90_000, 2000)
  t.ok(over, 'once market time is past the window the client can no longer dispute: `job dispute` says why')

  const released = await eventually(async () => {
    await p2print([...R, 'sync'], { env: AHEAD })
    return (await p2print([...C, '--json', 'escrow', job.id])).json?.releasedByArbitrator === true
  }, 120_000, 1000)
  t.ok(released, 'the arbitrator\'s `sync` co-signed the printer\'s payout')
  const paid = await eventually(async () => {
    await p2print([...C, 'sync'])
    await chain.mine(1)
    const e = (await p2print([...C, '--json', 'escrow', job.id])).json
    return e?.payout?.kind === 'complete' && (await chain.backend.txStatus(e.payout.txid)).confirmed
  }, 120_000, 0)
  t.ok(paid, 'the printer\'s `sync` broadcast the payout; confirmed')
  t.is((await ok([...C, '--json', 'job', 'show', job.id])).status, 'completed', 'the job is completed')
  const balC = (await ok([...C, '--json', 'wallet', 'balance'])).confirmedSats
  t.ok(balC > 2_000_000 - 2000 && balC < 2_000_000, `the printer's wallet: ${balC} sats (was 1 000 000, + the bounty, − fees)`)
})
