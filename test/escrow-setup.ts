// An escrow market for engine-level tests: five real Autobase peers on a local testnet — the market's creator (its
// only indexer, and a party to nothing), the client, the printer, the arbitrator and a named, registered mediator —
// each with its own wallet and escrow engine, and an in-process bcoin regtest node. Parties can vanish (their engine
// is simply not run and they write nothing) without stopping confirmations.
import { openMarkets, eventually, type Test } from './helpers.js'
import { jobOn, drive, WAIT } from './escrow-helpers.js'
import { startRegtest, type RegtestChain } from './regtest.js'
import { OP, type JobRecord, type MarketSettings, type JobFields } from '../lib/schema.js'
import { getSettings } from '../lib/market/view.js'
import { marketTime } from '../lib/market/clock.js'
import { getMediators } from '../lib/disputes/apply.js'
import type { Market } from '../lib/market/market.js'
import { EscrowEngine, arbitratorPubkey } from '../lib/escrow/engine.js'
import { Wallet } from '../lib/escrow/wallet.js'
import type { ChainBackend } from '../lib/escrow/chain.js'

export interface Party { market: Market, wallet: Wallet, engine: EscrowEngine }
export interface EscrowSetup {
  chain: RegtestChain
  indexer: Market
  client: Party
  printer: Party
  arbitrator: Party
  mediator: Party
  clock: { skew: number }
  settings: MarketSettings
}

export const BOUNTY = 200_000
export const DEPOSIT = 30_000 // 15 %

export interface SetupOptions {
  settings?: Partial<MarketSettings>
  mediator?: boolean // name and register the mediator (default true): disputes go to mediation first
  clientCoins?: bigint[]
  printerCoins?: bigint[]
  backend?: (b: ChainBackend) => ChainBackend // e.g. a fee estimate the regtest node cannot give
}

export async function escrowSetup (t: Test, o: SetupOptions = {}): Promise<EscrowSetup> {
  const chain = await startRegtest(t)
  const clock = { skew: 0 }
  const now = (): number => Date.now() + clock.skew
  const { peers } = await openMarkets(t, 5, { ackInterval: 100, now, clockMs: 500 }) // the indexer ticks the market clock on the skewed time
  const net = chain.network
  const backend = o.backend?.(chain.backend) ?? chain.backend
  const [indexer, ...rest] = peers
  const parties = rest.map(p => {
    const wallet = Wallet.generate({ network: net })
    return { market: p.market, wallet, engine: new EscrowEngine({ market: p.market, wallet, chain: backend, network: net, now }) }
  })
  const [client, printer, arbitrator, mediator] = parties
  for (const v of o.clientCoins ?? [400_000n, 400_000n, 400_000n]) await chain.fund((await client.wallet.nextReceiveAddress()).address, v)
  for (const v of o.printerCoins ?? [60_000n, 60_000n]) await chain.fund((await printer.wallet.nextReceiveAddress()).address, v)
  await chain.mine(1)
  const settings: MarketSettings = {
    chain: 'regtest',
    arbitrators: [{ id: arbitrator.market.writerKey, pubkey: arbitratorPubkey(arbitrator.wallet) }],
    depositPct: 15,
    arbitrationFeePct: 5,
    fundingDepth: 1,
    fundingTimeoutSecs: 3600,
    refundDelayBlocks: 20,
    admissionBits: 0,
    blindPeers: [],
    mediators: o.mediator === false ? [] : [mediator.market.writerKey],
    ...o.settings
  }
  await indexer.market.append({ type: OP.MARKET_SETTINGS, settings })
  for (const p of [indexer, ...parties.map(x => ({ market: x.market }))]) {
    if (!await eventually(async () => { await p.market.update(); return (await getSettings(p.market.view)).chain === 'regtest' }, WAIT)) throw new Error('settings did not replicate')
  }
  if (o.mediator !== false) {
    await mediator.market.append({ type: OP.MEDIATOR_REGISTER, feePct: 2 })
    for (const p of parties) {
      if (!await eventually(async () => { await p.market.update(); return (await getMediators(p.market.view)).length === 1 }, WAIT)) throw new Error('the mediator did not register')
    }
  }
  return { chain, indexer: indexer.market, client, printer, arbitrator, mediator, clock, settings }
}

export async function post (s: EscrowSetup, fields: Partial<JobFields> = {}): Promise<Uint8Array> {
  const { jobId } = await s.client.market.append({ type: OP.JOB_CREATE, job: { title: 'Benchy', material: 'PLA', colors: ['red'], bountySats: BOUNTY, country: 'DE', notes: '', ...fields } })
  if (jobId === null) throw new Error('no job id')
  if (!await eventually(async () => (await jobOn(s.printer.market, jobId))?.job.status === 'open', WAIT)) throw new Error('job did not reach the printer')
  return jobId
}

export async function accept (s: EscrowSetup, id: Uint8Array): Promise<void> {
  const escrow = await s.printer.engine.prepareAccept(id)
  await s.printer.market.append({ type: OP.JOB_ACCEPT, jobId: id, escrow })
}

// Until every market in `on` holds the job confirmed and `pred` holds of it.
export async function confirmed (on: Market[], id: Uint8Array, pred: (j: JobRecord) => boolean): Promise<boolean> {
  for (const m of on) {
    const v = await jobOn(m, id)
    if (v === null || !v.confirmed || !pred(v.job)) return false
  }
  return true
}

export async function fund (s: EscrowSetup, id: Uint8Array): Promise<JobRecord> {
  await accept(s, id)
  await drive(s.chain, [s.client.engine, s.printer.engine], async () => confirmed([s.client.market, s.printer.market], id, j => j.status === 'active'))
  return (await jobOn(s.client.market, id))!.job
}

export async function ship (s: EscrowSetup, id: Uint8Array): Promise<void> {
  const { psbt } = await s.printer.engine.prepareShip(id)
  await s.printer.market.append({ type: OP.JOB_SHIP, jobId: id, note: 'posted', psbt })
  if (!await eventually(async () => confirmed([s.client.market], id, j => j.status === 'shipped'), WAIT)) throw new Error('the ship did not reach the client')
}

export async function dispute (s: EscrowSetup, id: Uint8Array, by: 'client' | 'printer' = 'client'): Promise<JobRecord> {
  await s[by].market.append({ type: OP.JOB_DISPUTE, jobId: id, reason: 'it went wrong' })
  if (!await eventually(async () => confirmed([s.client.market, s.printer.market, s.arbitrator.market], id, j => j.status === 'disputed'), WAIT)) throw new Error('the dispute did not reach everyone')
  return (await jobOn(s.client.market, id))!.job
}

// Skews every peer's clock to `at` + `extra` and waits for the market time the client's peer sees to pass `at`
// (or, with a negative `extra`, to come within a minute of it).
export async function marketTimeTo (s: EscrowSetup, at: number, extra = 60_000): Promise<void> {
  s.clock.skew = at - Date.now() + extra
  const target = extra >= 0 ? at : at + extra - 60_000
  const deadline = Date.now() + 60_000
  while (((await marketTime(s.client.market.view)) ?? 0) < target) {
    if (Date.now() > deadline) throw new Error('market time did not move')
    await new Promise(resolve => setTimeout(resolve, 200))
    await s.client.market.update()
  }
}
