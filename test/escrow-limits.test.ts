// A peer's own limits on the escrow terms it takes part in (lib/escrow/limits.ts), on the real stack: P2Print
// services over a local DHT testnet, a bcoin regtest node. A printer does not accept, and a client's engine does not
// fund, a job whose terms go past its user's limits, and each says which limit and the command that changes it; a
// client is told before it posts. The CLI shows, checks and keeps them.
import test from 'brittle'
import path from 'path'
import b4a from 'b4a'
import { tmpDir, testnet, eventually, p2print, openBee, type Test } from './helpers.js'
import { startRegtest, type RegtestChain } from './regtest.js'
import { P2Print, type P2PrintEvent, type Bootstrap } from '../lib/service/p2print.js'
import { P2PrintError } from '../lib/errors.js'
import { OP, DEFAULT_SETTINGS, SETTINGS_BOUNDS, encodeOp, decodeOp, type JobFields, type MarketSettings } from '../lib/schema.js'
import { getSettings, putMeta } from '../lib/market/view.js'
import { applyOp } from '../lib/market/apply.js'
import { jobIdString } from '../lib/ids.js'
import { arbitratorPubkey } from '../lib/escrow/engine.js'
import { Wallet } from '../lib/escrow/wallet.js'
import { DEFAULT_ESCROW_LIMITS, outsideLimits } from '../lib/escrow/limits.js'

const FIELDS: JobFields = { title: 'Bracket', material: 'PETG', colors: [], bountySats: 200_000, country: 'DE', notes: '' }

async function service (t: Test, dir: string, bootstrap: Bootstrap[], chain: RegtestChain | null): Promise<P2Print> {
  const p = new P2Print({ storage: dir, bootstrap, marketKey: null, syncTimeoutMs: 10_000, chain: chain === null ? null : 'regtest', bitcoinRpc: chain?.rpcUrl ?? null, esplora: null })
  t.teardown(() => p.close(), { order: 10 })
  await p.ready()
  return p
}

async function failure (fn: () => Promise<unknown>): Promise<P2PrintError | null> {
  try { await fn(); return null } catch (err) { if (err instanceof P2PrintError) return err; throw err }
}

async function waitFor (what: string, fn: () => Promise<boolean>, ms = 60_000): Promise<void> {
  if (!await eventually(fn, ms, 100)) throw new Error(`timed out waiting for: ${what}`)
}

test('escrow limits: terms past the printer\'s limits are not accepted, past the client\'s not funded; each says which', { timeout: 240_000 }, async (t) => {
  t.is(outsideLimits({ arbitrationFeePct: 5, depositPct: 15, refundDelayBlocks: 4320, fundingTimeoutSecs: 86400, fundingDepth: 1 }, DEFAULT_ESCROW_LIMITS), null, 'a market\'s default settings are within the default limits')
  const terms = { arbitrationFeePct: 5, depositPct: 15, refundDelayBlocks: 4320, fundingTimeoutSecs: 86400, fundingDepth: 1 }
  const short = outsideLimits({ ...terms, deliveryDays: 2 }, { ...DEFAULT_ESCROW_LIMITS, minDeliveryDays: 5 })
  t.ok(short !== null && /delivery window is 2 day\(s\), shorter than your minimum of 5/.test(short) && short.includes('--min-delivery-window'), `a delivery window under the client's minimum is past its limits: ${String(short)}`)
  t.is(outsideLimits({ ...terms, deliveryDays: 0 }, { ...DEFAULT_ESCROW_LIMITS, minDeliveryDays: 5 }), null, 'a deal made without a window (schema v8) is not held to it')
  const chain = await startRegtest(t)
  const tn = await testnet(t)
  const root = await tmpDir(t)
  const client = await service(t, path.join(root, 'client'), tn.bootstrap, chain)
  const printer = await service(t, path.join(root, 'printer'), tn.bootstrap, chain)
  const arbitrator = await service(t, path.join(root, 'arbitrator'), tn.bootstrap, null)
  await client.createMarket('limits')
  await printer.joinMarket(client.market.key)
  await arbitrator.joinMarket(client.market.key)
  const arbWallet = await Wallet.load(arbitrator.peer.dir, { network: chain.network })
  // an arbitration fee of 12 %: within what apply allows (15 %), past the default limit (10 %)
  const settings: MarketSettings = { chain: 'regtest', arbitrators: [{ id: arbitrator.market.writerKey, pubkey: arbitratorPubkey(arbWallet) }], depositPct: 15, arbitrationFeePct: 12, fundingDepth: 1, fundingTimeoutSecs: 3600, refundDelayBlocks: 20, mediators: [], admissionBits: 0, blindPeers: [] }
  await client.market.append({ type: OP.MARKET_SETTINGS, settings })
  for (const p of [client, printer]) await waitFor('the settings', async () => (await getSettings(p.market.view)).arbitrationFeePct === 12)

  // the client is told before it posts
  const early = await failure(() => client.createJob(FIELDS, null))
  t.is(early?.code, 'OUTSIDE_LIMITS', 'a client whose limits the market\'s terms go past is refused before it posts')
  t.ok(early !== null && /arbitration fee is 12 %, more than your limit of 10 %/.test(early.message) && early.message.includes('p2print wallet limits --max-arbitration-fee N'), `it says which limit and how to change it: ${early?.message ?? ''}`)
  t.is((await client.jobs({})).length, 0, 'nothing was posted')
  await client.setEscrowLimits({ maxArbitrationFeePct: 12 })
  t.is((await client.escrowLimits()).maxArbitrationFeePct, 12, 'the client raised its limit')
  const id = jobIdString((await client.createJob(FIELDS, null)).view.job.id)
  await waitFor('the job at the printer', async () => (await printer.market.getJob((await printer.job(id)).job.id))?.job.status === 'open')

  // the printer with the default limits does not accept, and writes nothing
  const ps = await printer.escrowSession(true)
  await chain.fund((await ps!.engine.wallet.nextReceiveAddress()).address, 100_000n)
  const cs = await client.escrowSession(true)
  await chain.fund((await cs!.engine.wallet.nextReceiveAddress()).address, 400_000n)
  await chain.mine(1)
  const refused = await failure(() => printer.accept(id))
  t.is(refused?.code, 'OUTSIDE_LIMITS', 'the printer\'s accept is refused with OUTSIDE_LIMITS')
  t.ok(refused !== null && refused.message.includes('--max-arbitration-fee'), `naming the limit: ${refused?.message ?? ''}`)
  t.is((await printer.job(id)).job.status, 'open', 'the job is still open')

  // the client tightens its limits after posting (a market's creator can change the settings after a job is posted
  // too); the printer, with a limit that allows them, accepts; the client's engine refuses to fund
  await client.setEscrowLimits({ maxRefundDelayBlocks: 10 })
  await printer.setEscrowLimits({ maxArbitrationFeePct: 15 })
  const accepted = await printer.accept(id)
  t.is(accepted.view.job.status, 'accepted', 'with a higher limit the printer accepts')
  // the creator changes the market's settings after the accept: the job keeps the terms in force at its accept
  await client.market.append({ type: OP.MARKET_SETTINGS, settings: { ...settings, arbitrationFeePct: 3, refundDelayBlocks: 30 } })
  await waitFor('the new settings at the client', async () => (await getSettings(client.market.view)).refundDelayBlocks === 30)
  const kept = (await client.job(id)).job.escrow
  t.ok(kept?.arbitrationFeePct === 12 && kept?.refundDelayBlocks === 20, 'the job keeps the arbitration fee and refund delay in force at its accept')
  const events: P2PrintEvent[] = []
  client.on('event', (e: P2PrintEvent) => events.push(e))
  await waitFor('the accept at the client', async () => (await client.job(id)).job.status === 'accepted')
  const refusalOf = (): P2PrintEvent | undefined => events.find(e => e.tag === 'escrow-step' && e.data.action === 'refuse' && e.data.jobId === id)
  // the engine acts on the confirmed record: step until it has
  await waitFor('the client\'s engine to decide on the funding', async () => { await client.escrowSteps(2000); return refusalOf() !== undefined }, 30_000)
  const refusal = refusalOf()
  t.ok(refusal !== undefined && String(refusal.data.detail).includes('refund delay is 20 blocks, more than your limit of 10 blocks') && String(refusal.data.detail).includes('--max-refund-delay'), `the client's engine refuses to fund, saying which limit: ${String(refusal?.data.detail)}`)
  const job = (await client.job(id)).job
  t.is(job.escrow?.client ?? null, null, 'and proposes nothing: no coins of the client are put in')
  t.is(job.status, 'accepted', 'the job waits for its funding timeout (then it lapses)')
})

test('escrow limits: `wallet limits` shows the defaults, refuses a bad value, keeps what is set', { timeout: 60_000 }, async (t) => {
  const dir = await tmpDir(t)
  const S = ['--storage', path.join(dir, 's'), '--json']
  const shown = await p2print([...S, 'wallet', 'limits'])
  t.is(shown.code, 0)
  t.alike(shown.json, DEFAULT_ESCROW_LIMITS, 'the defaults')
  const bad = await p2print([...S, 'wallet', 'limits', '--max-deposit', '200'])
  t.is(bad.code, 2, 'a value out of bounds is a usage error')
  t.ok(/--max-deposit must be a whole number from 1 to 100/.test(bad.stderr), 'saying the bounds')
  const set = await p2print([...S, 'wallet', 'limits', '--max-deposit', '20', '--min-funding-depth', '3', '--min-delivery-window', '7'])
  t.is(set.code, 0)
  t.is(set.json.maxDepositPct, 20)
  const again = await p2print([...S, 'wallet', 'limits'])
  t.alike(again.json, { ...DEFAULT_ESCROW_LIMITS, maxDepositPct: 20, minFundingDepth: 3, minDeliveryDays: 7 }, 'kept in the storage')
  const text = await p2print(['--storage', path.join(dir, 's'), 'wallet', 'limits'])
  t.ok(text.stdout.includes('deposit          at most 20 %') && text.stdout.includes('at least 3 confirmation(s)') && text.stdout.includes('delivery window  at least 7 day(s)'), 'the text output')
})

test('escrow limits: apply takes settings only from the market\'s creator and only within the bounds the CLI enforces', async (t) => {
  const bee = await openBee(t)
  const creator = b4a.alloc(32, 1)
  const other = b4a.alloc(32, 2)
  const init = bee.batch()
  await putMeta(init, { name: 'bounds', creator, createdAt: 1 })
  await init.flush()
  // false when the codec refuses the value outright (then no op carrying it can be written) or apply does
  const tryOp = async (author: Uint8Array, s: MarketSettings): Promise<boolean> => {
    let op
    try { op = decodeOp(encodeOp({ type: OP.MARKET_SETTINGS, settings: s }, 1000)) } catch { return false }
    const b = bee.batch()
    const took = await applyOp(b, op, author, 1)
    await b.flush()
    return took
  }
  const base: MarketSettings = { ...DEFAULT_SETTINGS, chain: 'regtest', arbitrators: [] }
  t.absent(await tryOp(other, base), 'anyone but the creator: refused')
  for (const [k, [min, max]] of Object.entries(SETTINGS_BOUNDS) as Array<[keyof typeof SETTINGS_BOUNDS, readonly [number, number]]>) {
    // the arbitration fee may not exceed the deposit: test its bounds with the largest deposit
    const with_ = (v: number): MarketSettings => ({ ...base, depositPct: k === 'arbitrationFeePct' ? 100 : base.depositPct, [k]: v })
    if (k !== 'depositPct') t.ok(await tryOp(creator, with_(max)), `${k} = ${max} (the largest allowed) is taken`)
    t.absent(await tryOp(creator, with_(max + 1)), `${k} = ${max + 1} is refused`)
    if (min > 0) t.absent(await tryOp(creator, with_(min - 1)), `${k} = ${min - 1} is refused`)
  }
  t.absent(await tryOp(creator, { ...base, arbitrationFeePct: 16, depositPct: 100 }), 'an arbitration fee of 16 % is refused (the CLI\'s cap is 15 %)')
  t.absent(await tryOp(creator, { ...base, refundDelayBlocks: 52_561 }), 'a refund delay of 52 561 blocks is refused (the CLI\'s cap is 52 560, about a year)')
  t.is((await getSettings(bee)).refundDelayBlocks <= 52_560, true, 'the settings in the view are within the bounds')
})
