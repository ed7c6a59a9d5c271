// Bench: how long the escrow engine takes to react to a new block.
//
// Set-up (the same for every sample): two P2Print services over a local testnet — the client (the market's creator,
// its indexer) and the printer (joined) — each with its escrow engine on one in-process bcoin regtest node, in a
// market with escrow (funding depth 1). Per sample: the client posts a job, the printer accepts it, and both
// engines are stepped by hand (P2Print.escrowSteps) until the funding is signed by both, confirmed in the record on
// both sides and in the node's mempool. Then the markets are left until quiet (no 'update' for 2 s), the printer's
// trigger policy under test is switched on (the client's engine stays passive, so only the printer's can act), and
// after a random 0.5–2.5 s (so the block lands at any phase of a 2 s poll) one block is mined: it gives the funding
// its depth. A sample is the time from the block being on the node (generatetoaddress returned) until the job's
// record on the printer's peer turns `active` — the printer's engine appended escrow/funded (seen on the market's
// 'update', with a 20 ms poll as a safety net). The time to its 'escrow-step' report (emitted when the engine's
// run ends) is printed as well. Afterwards both engines are stepped by hand until the job is active on both.
//
//   after:  P2Print.watchEscrow() — steps on every market update and on every new tip (polled every 2 s)
//   before: the trigger policy before watchEscrow (baseline): p2.escrowSteps() from a market.on('update')
//           listener, nothing on blocks; capped at BENCH_CAP_S (120 s): "> 120 s" if it has not reacted by then
//
// The modes alternate (after, before, after, …), BENCH_RUNS (3) each, fewer if the time budget BENCH_BUDGET_S (900 s)
// would be exceeded by another round. Goal: after median ≤ 3 s (one 2 s tip poll plus one step pass).
//
//   node --import tsx bench/escrow-watch.ts
import crypto from 'crypto'
import path from 'path'
import createTestnet from '@hyperswarm/testnet'
import { P2Print, type P2PrintEvent } from '../lib/service/p2print.js'
import { startBcoinRegtest, type RegtestChain } from '../lib/escrow/regtest-node.js'
import { escrowContext, arbitratorPubkey } from '../lib/escrow/engine.js'
import { pairOf } from '../lib/escrow/record.js'
import { Wallet } from '../lib/escrow/wallet.js'
import { getSettings } from '../lib/market/view.js'
import { jobIdString } from '../lib/ids.js'
import { OP, type MarketSettings } from '../lib/schema.js'
import { tmpDir, rmDir, sleep, nowMs, median, round, sampleJob, prng, printResult, exitGuard, env } from './_util.js'

const RUNS = env('BENCH_RUNS', 3)
const CAP_MS = env('BENCH_CAP_S', 120) * 1000
const BUDGET_MS = env('BENCH_BUDGET_S', 900) * 1000
const TIP_MS = 2000
const GOAL_MS = 3000
const QUIET_MS = 2000
const STEP_TIMEOUT_MS = 120_000
const BOUNTY = 200_000

type Mode = 'after' | 'before'
interface Sample { mode: Mode, ms: number | null, reportMs: number | null, setupMs: number }

async function until (what: string, fn: () => Promise<boolean> | boolean, timeoutMs: number, stepMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await fn()) return
    await sleep(stepMs)
  }
  if (!await fn()) throw new Error(`timed out after ${timeoutMs / 1000} s: ${what}`)
}

async function statusOn (p: P2Print, id: Uint8Array, confirmed = false): Promise<string> {
  const v = await p.market.getJob(id)
  return v === null || (confirmed && !v.confirmed) ? '' : v.job.status
}

// Until neither market has emitted 'update' for QUIET_MS (or 30 s have passed: then say so and go on).
async function quiet (ps: P2Print[]): Promise<void> {
  let last = Date.now()
  const bump = (): void => { last = Date.now() }
  for (const p of ps) p.market.on('update', bump)
  const deadline = Date.now() + 30_000
  while (Date.now() - last < QUIET_MS && Date.now() < deadline) await sleep(50)
  for (const p of ps) p.market.off('update', bump)
  if (Date.now() - last < QUIET_MS) console.error('warning: the markets did not go quiet within 30 s')
}

// Steps both engines by hand until `done` (each pass: the client's, then the printer's).
async function drive (ps: P2Print[], what: string, done: () => Promise<boolean>): Promise<void> {
  await until(what, async () => {
    for (const p of ps) await p.escrowSteps(2000)
    return await done()
  }, STEP_TIMEOUT_MS, 0)
}

async function sample (mode: Mode, i: number, chain: RegtestChain, client: P2Print, printer: P2Print, rand: () => number): Promise<Sample> {
  const t0 = Date.now()
  const created = await client.createJob(sampleJob(i, { bountySats: BOUNTY }), null)
  const id = created.view.job.id
  const idText = jobIdString(id)
  await until('the job at the printer', async () => { await printer.market.update(); return await statusOn(printer, id) === 'open' }, 60_000)
  await printer.accept(idText)

  // the same set-up for both modes: the funding fully signed, confirmed in the record on both sides, in the mempool
  let fundingTxid = ''
  await drive([client, printer], 'the funding signed by both and broadcast', async () => {
    for (const p of [client, printer]) {
      const v = await p.market.getJob(id)
      if (v === null || !v.confirmed || v.job.status !== 'accepted' || v.job.escrow == null || pairOf(v.job.escrow, 'funding') === null) return false
      fundingTxid = escrowContext(v.job, chain.network).fundingTxid
    }
    const st = await chain.backend.txStatus(fundingTxid)
    return st.found && !st.confirmed
  })
  await quiet([client, printer])
  const setupMs = Date.now() - t0

  // the printer's trigger policy under test
  let off: () => Promise<void>
  if (mode === 'after') {
    printer.watchEscrow(TIP_MS)
    off = async () => { await printer.unwatchEscrow() }
  } else {
    const onUpdate = (): void => { void printer.escrowSteps() }
    printer.market.on('update', onUpdate)
    off = async () => { printer.market.off('update', onUpdate) }
  }

  let activeAt: number | null = null
  let reportAt: number | null = null
  const check = async (): Promise<void> => {
    if (activeAt === null && await statusOn(printer, id) === 'active') activeAt = nowMs()
  }
  const onUpdate = (): void => { check().catch(() => {}) }
  const onEvent = (e: P2PrintEvent): void => {
    if (reportAt === null && e.tag === 'escrow-step' && e.data.jobId === idText && e.data.action === 'funded') reportAt = nowMs()
  }
  printer.market.on('update', onUpdate)
  printer.on('event', onEvent)
  const poll = setInterval(onUpdate, 20)
  let minedAt = 0
  try {
    await sleep(500 + rand() * TIP_MS)
    if (await statusOn(printer, id) !== 'accepted') throw new Error('the job moved on before the block')
    await chain.mine(1)
    minedAt = nowMs()
    const deadline = minedAt + CAP_MS
    while (activeAt === null && nowMs() < deadline) await sleep(10)
    if (activeAt !== null && mode === 'after') {
      // the step report comes when the engine's run ends (it waits for its funded op to be confirmed, up to 5 s)
      const reportBy = nowMs() + 15_000
      while (reportAt === null && nowMs() < reportBy) await sleep(10)
    }
  } finally {
    clearInterval(poll)
    printer.market.off('update', onUpdate)
    printer.off('event', onEvent)
    await off()
  }
  const ms = activeAt === null ? null : Math.max(0, activeAt - minedAt)
  const reportMs = reportAt === null ? null : Math.max(0, reportAt - minedAt)

  // finish the job by hand so the next sample starts from nothing in flight
  await drive([client, printer], 'the job active on both sides', async () =>
    await statusOn(client, id, true) === 'active' && await statusOn(printer, id, true) === 'active')
  await quiet([client, printer])
  return { mode, ms, reportMs, setupMs }
}

const fmt = (ms: number | null): string => ms === null ? `> ${CAP_MS / 1000} s` : `${round(ms / 1000, 2)} s`

async function main (): Promise<void> {
  const started = Date.now()
  const dir = await tmpDir('escrow-watch')
  const chain = await startBcoinRegtest()
  const tn = await createTestnet(4)
  const services: P2Print[] = []
  try {
    const open = async (name: string): Promise<P2Print> => {
      const p = new P2Print({ storage: path.join(dir, name), bootstrap: tn.bootstrap, marketKey: null, syncTimeoutMs: 10_000, chain: 'regtest', bitcoinRpc: chain.rpcUrl, esplora: null })
      services.push(p)
      await p.ready()
      return p
    }
    const client = await open('client')
    const printer = await open('printer')
    await client.createMarket('escrow-watch bench')
    await printer.joinMarket(client.market.key)
    await until('the two services to connect', () => client.connections > 0 && printer.connections > 0, 60_000)

    const settings: MarketSettings = {
      chain: 'regtest',
      // the arbitrator is never asked to sign here: a key of a wallet of its own and an id that is no peer
      arbitrators: [{ id: crypto.randomBytes(32), pubkey: arbitratorPubkey(Wallet.generate({ network: chain.network })) }],
      depositPct: 15,
      arbitrationFeePct: 5,
      fundingDepth: 1,
      fundingTimeoutSecs: 3600,
      refundDelayBlocks: 20,
      admissionBits: 0,
      blindPeers: [],
      mediators: []
    }
    await client.market.append({ type: OP.MARKET_SETTINGS, settings })
    await until('the settings at the printer', async () => { await printer.market.update(); return (await getSettings(printer.market.view)).chain === 'regtest' }, 60_000)
    const cs = await client.escrowSession(true)
    const ps = await printer.escrowSession(true)
    if (cs === null || ps === null) throw new Error('no escrow session')
    // one coin per escrow and side (change is only spendable once confirmed)
    for (let i = 0; i < 2 * RUNS + 2; i++) {
      await chain.fund((await cs.engine.wallet.nextReceiveAddress()).address, 400_000n)
      await chain.fund((await ps.engine.wallet.nextReceiveAddress()).address, 60_000n)
    }
    await chain.mine(1)
    console.log(`set-up: regtest node (${chain.startupMs} ms), 2 services, escrow market with funding depth 1 (${round((Date.now() - started) / 1000, 1)} s)`)

    const rand = prng(7)
    const samples: Sample[] = []
    let roundMs = 0
    for (let r = 0; r < RUNS; r++) {
      const elapsed = Date.now() - started
      if (r > 0 && elapsed + roundMs > BUDGET_MS) {
        console.log(`  (stopping after ${r} round(s): another would pass the ${BUDGET_MS / 1000} s budget)`)
        break
      }
      const r0 = Date.now()
      for (const mode of ['after', 'before'] as const) {
        const s = await sample(mode, samples.length, chain, client, printer, rand)
        samples.push(s)
        console.log(`  run ${r + 1} ${mode.padEnd(6)}: reacted in ${fmt(s.ms)}${s.reportMs === null ? '' : `, step report at ${fmt(s.reportMs)}`} (set-up ${round(s.setupMs / 1000, 1)} s)`)
      }
      roundMs = Math.max(roundMs, Date.now() - r0)
    }

    const of = (mode: Mode): Sample[] => samples.filter(s => s.mode === mode)
    // a capped sample counts as the cap (a lower bound) in the median
    const med = (mode: Mode): { ms: number, capped: boolean } => {
      const xs = of(mode).map(s => s.ms ?? CAP_MS)
      const m = median(xs)
      return { ms: m, capped: m >= CAP_MS && of(mode).some(s => s.ms === null) }
    }
    const after = med('after')
    const before = med('before')
    const reports = of('after').map(s => s.reportMs).filter((x): x is number => x !== null)
    const ratio = before.ms / after.ms
    const goalMet = !after.capped && after.ms <= GOAL_MS
    const list = (mode: Mode): string => of(mode).map(s => fmt(s.ms)).join(', ')
    console.log(`escrow engine reaction to the block that gives a funding its depth, ${of('after').length} run(s) per mode (printer's engine; client passive):`)
    console.log(`  after  (watchEscrow: market updates + tip polled every ${TIP_MS / 1000} s): median ${after.capped ? '> ' : ''}${round(after.ms / 1000, 2)} s (${list('after')})`)
    if (reports.length > 0) console.log(`    its 'escrow-step' funded report: median ${round(median(reports) / 1000, 2)} s (emitted when the engine's run ends)`)
    console.log(`  before (escrowSteps on market 'update' only, nothing on blocks): median ${before.capped ? '> ' : ''}${round(before.ms / 1000, 2)} s (${list('before')})`)
    if (of('before').some(s => s.ms === null)) console.log(`    not woken by the block: only some other peer's op (a market update) would wake it, whenever one comes`)
    console.log(`  ratio before / after: ${before.capped ? '> ' : ''}${round(ratio, 1)}×`)
    console.log(`  goal: after median ≤ ${GOAL_MS / 1000} s → ${goalMet ? 'MET' : 'NOT MET'}`)
    printResult({
      bench: 'escrow-watch',
      runsPerMode: of('after').length,
      tipPollMs: TIP_MS,
      capMs: CAP_MS,
      afterMs: of('after').map(s => s.ms === null ? null : round(s.ms, 0)),
      beforeMs: of('before').map(s => s.ms === null ? null : round(s.ms, 0)),
      afterMedianMs: round(after.ms, 0),
      afterReportMedianMs: reports.length > 0 ? round(median(reports), 0) : null,
      beforeMedianMs: before.capped ? `> ${CAP_MS}` : round(before.ms, 0),
      ratio: before.capped ? `> ${round(ratio, 1)}` : round(ratio, 1),
      goal: `after median <= ${GOAL_MS} ms`,
      goalMet
    })
  } finally {
    for (const p of services.reverse()) await p.close().catch(() => {})
    await chain.close()
    await tn.destroy()
    await rmDir(dir)
  }
  exitGuard()
}

main().catch(err => {
  console.error('escrow-watch bench failed:', err)
  process.exitCode = 1
  exitGuard()
})
