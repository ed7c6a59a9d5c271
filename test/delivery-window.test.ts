// The client's delivery window (issue 15, "a delivery window", its client side): a deal accepted in a market with
// escrow keeps the market's `deliveryDays` (schema v9); the printer's ship starts the window in market time
// (job.shippedAt). A client that completes or disputes inside it decides as before; once it is over without either,
// apply refuses the client's dispute and takes the arbitrator's signature on the complete payout the printer signed
// with its ship (lib/escrow/record.ts releaseDue); the arbitrator's engine makes it by itself and the printer's
// engine broadcasts the payout. Real regtest node, real peers; the client vanishes (test/vanish.ts), and the hostile
// cases append raw ops and signatures.
import test from 'brittle'
import { drive, jobOn } from './escrow-helpers.js'
import { escrowSetup, post, fund, ship, confirmed, marketTimeTo, type EscrowSetup } from './escrow-setup.js'
import { vanish, reach, latest, assertPaid, payOut, did, shows, forgedArbitratorSig, type Check } from './vanish.js'
import { OP, DEFAULT_DELIVERY_DAYS, DEFAULT_SETTINGS, SCHEMA_VERSION, encodeOp, decodeOp, type JobRecord } from '../lib/schema.js'
import { getSettings } from '../lib/market/view.js'
import { eventually } from './helpers.js'
import { releaseAt, sigOf } from '../lib/escrow/record.js'
import { marketTime } from '../lib/market/clock.js'
import { renderResult } from '../ui/text.js'

const T = { timeout: 240_000 }
const DAY = 86_400_000
const WINDOW_DAYS = 2

const forgedRelease = async (s: EscrowSetup, job: JobRecord, by = s.arbitrator): Promise<void> => await forgedArbitratorSig(s, job, 'complete', by)

async function releaseRefused (s: EscrowSetup, id: Uint8Array): Promise<boolean> {
  await s.arbitrator.market.update()
  return sigOf((await jobOn(s.arbitrator.market, id))!.job.escrow!, 'complete', 'arbitrator') === undefined
}

test('delivery window: the deal keeps the market\'s window; the client vanishes after the ship; nothing moves inside the window, after it the arbitrator\'s engine co-signs the printer\'s payout and the printer is paid', T, async (t: Check) => {
  const s = await escrowSetup(t, { mediator: false, settings: { deliveryDays: WINDOW_DAYS } })
  t.is(DEFAULT_DELIVERY_DAYS, 14, 'a market that names no window gives the client 14 days')
  const id = await post(s)
  await fund(s, id)
  t.is((await latest(s, id)).deliveryDays, WINDOW_DAYS, 'the accept copied the market\'s window into the deal')
  // the creator lengthens the window: a deal keeps the one it was accepted with
  await s.indexer.append({ type: OP.MARKET_SETTINGS, settings: { ...s.settings, deliveryDays: 30 } })
  await ship(s, id)
  await reach([s.arbitrator.market, s.printer.market, s.indexer], id, j => j.status === 'shipped', 'the ship')
  const job = await latest(s, id)
  t.is(job.deliveryDays, WINDOW_DAYS, 'a settings change after the accept leaves the deal\'s window as it was')
  t.ok((job.shippedAt ?? 0) > 0 && (job.shippedAt ?? 0) <= ((await marketTime(s.indexer.view)) ?? 0), 'the ship recorded the market time it was applied at')
  const at = releaseAt(job)!
  t.is(at, job.shippedAt! + WINDOW_DAYS * DAY, 'release = ship + the window, in market time')
  const shown = renderResult({ kind: 'escrow', data: { ...(await s.printer.engine.describe(job)), id: 'x', status: job.status, confirmed: true, depth: 1, payoutTxid: null } })
  t.ok(shown.includes(`release at   ${new Date(at).toISOString()}`), '`escrow ID` shows when the printer is paid')
  vanish(s, 'client')

  // inside the window (a minute before it ends): the arbitrator signs nothing, and apply takes no such signature
  await marketTimeTo(s, at, -60_000)
  t.is((await s.arbitrator.engine.step()).filter(r => r.action === 'sign').length, 0, 'a minute before the window ends the arbitrator\'s engine signs nothing')
  await forgedRelease(s, await latest(s, id))
  t.ok(await releaseRefused(s, id), 'an arbitrator\'s release signature inside the window is refused in apply')

  await marketTimeTo(s, at)
  const reports = await drive(s.chain, [s.arbitrator.engine, s.printer.engine], async () => confirmed([s.indexer], id, j => j.status === 'completed'))
  t.ok(reports.some(r => r.action === 'sign' && r.kind === 'complete' && /delivery window/.test(r.detail ?? '')), 'after the window the arbitrator\'s engine co-signed the printer\'s payout')
  const paid = await payOut(s, id, [s.printer.engine])
  t.ok(did(paid, 'broadcast', 'complete') || did(reports, 'broadcast', 'complete'), 'the printer\'s engine broadcast the payout')
  await assertPaid(t, s, id, { kind: 'complete' })
  t.ok(await shows(s, id, j => j.status === 'completed' && j.escrow?.closed?.kind === 'complete'), 'the job is completed')
})

test('delivery window, hostile: a dispute inside the window stops it; none after it; nobody else signs in the client\'s place; no window before a ship', T, async (t: Check) => {
  const s = await escrowSetup(t, { mediator: true, settings: { deliveryDays: WINDOW_DAYS }, clientCoins: [400_000n, 400_000n, 400_000n, 400_000n], printerCoins: [60_000n, 60_000n, 60_000n, 60_000n] })
  const disputed = await post(s)
  const late = await post(s)
  const posed = await post(s)
  const unshipped = await post(s)
  for (const id of [disputed, late, posed, unshipped]) await fund(s, id)
  for (const id of [disputed, late, posed]) await ship(s, id)
  await reach([s.arbitrator.market, s.indexer], posed, j => j.status === 'shipped', 'the last ship')
  t.is(releaseAt(await latest(s, unshipped)), null, 'a job not shipped has no release time')

  // inside the window the client disputes one job
  await s.client.market.append({ type: OP.JOB_DISPUTE, jobId: disputed, reason: 'the print is cracked' })
  await reach([s.arbitrator.market, s.indexer], disputed, j => j.status === 'disputed', 'the dispute')
  await marketTimeTo(s, releaseAt(await latest(s, posed))!) // the last shipped: past its window is past all

  // after the window the client disputes another: refused
  await s.client.market.append({ type: OP.JOB_DISPUTE, jobId: late, reason: 'too late to say so' })
  // the mediator signs the release as if it were the arbitrator
  await forgedRelease(s, await latest(s, posed), s.mediator)
  await forgedRelease(s, await latest(s, disputed))
  await s.client.market.update()
  t.is((await jobOn(s.client.market, late))!.job.status, 'shipped', 'a dispute written after the window is refused in apply')
  t.is(sigOf((await jobOn(s.client.market, posed))!.job.escrow!, 'complete', 'arbitrator'), undefined, 'a release signed by the mediator is refused')
  t.ok(await releaseRefused(s, disputed), 'a release on a job disputed inside the window is refused')

  const reports = await drive(s.chain, [s.arbitrator.engine], async () => (await confirmed([s.indexer], late, j => j.status === 'completed')) && await confirmed([s.indexer], posed, j => j.status === 'completed'))
  t.is(reports.filter(r => r.action === 'sign' && r.kind === 'complete').length, 2, 'the arbitrator\'s engine released the two undisputed shipped jobs, not the disputed one')
  t.is((await latest(s, disputed)).status, 'disputed', 'the dispute opened inside the window stands')
  t.is((await latest(s, unshipped)).status, 'active', 'the job never shipped is untouched')
  t.ok(await releaseRefused(s, unshipped), 'and has no release signature')
  // the client completes a released job: nothing more to do, the job is completed already
  const done = await s.client.engine.complete(late).then(() => null, (err: Error) => err)
  t.ok(done !== null, `completing a released job is refused (${done?.message})`)
})

test('delivery window, hostile (2): the window\'s bounds; a deal accepted by a v8 op has no window; a ship dated by its writer starts the window at market time', T, async (t: Check) => {
  // the codec: a v9 settings op carries the window; a v8 one has none, and bytes where it would be are trailing
  const op = encodeOp({ type: OP.MARKET_SETTINGS, settings: { ...DEFAULT_SETTINGS, deliveryDays: 5 } }, Date.now())
  t.is((decodeOp(op) as { settings: { deliveryDays?: number } }).settings.deliveryDays, 5, 'a v9 market/settings carries the window')
  const v8 = op.slice()
  v8[0] = 8
  const refused = (() => { try { decodeOp(v8); return null } catch (err) { return err as Error } })()
  t.ok(refused !== null && /trailing bytes/.test(refused.message), 'a v8 market/settings with the window\'s bytes is refused, as a v8 peer refuses it')
  const v8plain = op.slice(0, op.byteLength - 1)
  v8plain[0] = 8
  t.is((decodeOp(v8plain) as { settings: { deliveryDays?: number } }).settings.deliveryDays, DEFAULT_DELIVERY_DAYS, 'a v8 one without them has the default window')
  const s = await escrowSetup(t, { mediator: false, settings: { deliveryDays: WINDOW_DAYS } })
  for (const days of [0, 91]) await s.indexer.append({ type: OP.MARKET_SETTINGS, settings: { ...s.settings, deliveryDays: days } })
  await s.indexer.append({ type: OP.MARKET_SETTINGS, settings: { ...s.settings, deliveryDays: 3 } }) // in bounds: taken
  await s.client.market.update()
  t.ok(await eventually(async () => { await s.client.market.update(); return (await getSettings(s.client.market.view)).deliveryDays === 3 }, 20_000), 'a window of 0 or 91 days is refused in apply; 3 is taken')

  // a printer that accepts with a schema v8 op was told of no window: its deal has none
  const old = await post(s)
  const bytes = encodeOp({ type: OP.JOB_ACCEPT, jobId: old, escrow: await s.printer.engine.prepareAccept(old) }, Date.now())
  t.is(bytes[0], SCHEMA_VERSION, 'the version is the op\'s first byte')
  bytes[0] = 8
  await (s.printer.market as unknown as { base: { append: (b: Uint8Array, o: { optimistic: boolean }) => Promise<number> } }).base.append(bytes, { optimistic: true })
  await drive(s.chain, [s.client.engine, s.printer.engine], async () => confirmed([s.indexer], old, j => j.status === 'active'))
  t.is((await latest(s, old)).deliveryDays, 0, 'a v8 accept: no delivery window in the deal')

  // a ship dated 1970 by its writer: the window starts at market time all the same
  const dated = await post(s)
  await fund(s, dated)
  const before = (await marketTime(s.indexer.view)) ?? 0
  const { psbt } = await s.printer.engine.prepareShip(dated)
  await s.printer.market.append({ type: OP.JOB_SHIP, jobId: dated, note: 'posted', psbt }, { at: 1 })
  await reach([s.indexer], dated, j => j.status === 'shipped', 'the dated ship')
  const shipped = await latest(s, dated)
  t.ok((shipped.shippedAt ?? 0) >= before, `the ship's op.at (1) is not its start: shippedAt ${String(shipped.shippedAt)} is market time`)
  t.is(shipped.deliveryDays, 3, 'the deal took the window in force at its accept')
  await ship(s, old)
  await reach([s.indexer], old, j => j.status === 'shipped', 'the v8 deal shipped')
  t.is(releaseAt(await latest(s, old)), null, 'the v8 deal has no release time after its ship')
})
