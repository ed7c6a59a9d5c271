// Bench: post → visible at another connected peer.
//
// Market: peer A creates the market, peer B joins it over a local testnet (one process, real Hyperswarm
// connections). B posts job/create ops one at a time with market.append; a sample is the time from just before
// B's append until A's view (market.getJob) holds the job, detected on A's 'update' event.
// Baseline, same run, same testnet: a raw Hypercore on peer X (from a Corestore) appends one block of the same
// size; peer Y replicates it over its own Hyperswarm connection; a sample is the time from just before X's append
// until Y's pending core.get(i) resolves. Samples of the two are interleaved so machine noise hits both alike.
// Goal: market p50 ≤ 1.5 × raw p50 and market p99 ≤ 1.5 × raw p99.
//
//   node --import tsx bench/post-latency.ts        (BENCH_SAMPLES=200 BENCH_WARMUP=10 to change the counts)
import path from 'path'
import b4a from 'b4a'
import Corestore from 'corestore'
import Hyperswarm from 'hyperswarm'
import createTestnet from '@hyperswarm/testnet'
import type { Testnet } from '@hyperswarm/testnet'
import type { Hypercore } from 'hypercore'
import Autobase from 'autobase'
import { Market } from '../lib/market/market.js'
import { jobIdFor } from '../lib/market/apply.js'
import { OP, encodeOp } from '../lib/schema.js'
import { tmpDir, rmDir, sleep, nowMs, percentile, round, sampleJob, printResult, exitGuard, env } from './_util.js'

const SAMPLES = env('BENCH_SAMPLES', 200)
const WARMUP = env('BENCH_WARMUP', 10)
const SAMPLE_TIMEOUT_MS = 15_000
const GOAL_FACTOR = 1.5

// Resolves with the time (nowMs) at which `m`'s view first holds job `id`. Armed before the append, so an update
// that lands before the append's promise settles is not missed. A slow poll is a safety net only.
function watchJob (m: Market, id: Uint8Array, timeoutMs: number, want: (status: string) => boolean = () => true): { seen: Promise<number>, cancel: () => void } {
  let done = false
  let onUpdate: () => void = () => {}
  let poll: NodeJS.Timeout | undefined
  let timer: NodeJS.Timeout | undefined
  const cleanup = (): void => {
    done = true
    m.off('update', onUpdate)
    clearInterval(poll)
    clearTimeout(timer)
  }
  const seen = new Promise<number>((resolve, reject) => {
    const check = async (): Promise<void> => {
      if (done) return
      const v = await m.getJob(id)
      if (v !== null && want(v.job.status) && !done) {
        const at = nowMs()
        cleanup()
        resolve(at)
      }
    }
    onUpdate = () => { check().catch(() => {}) }
    m.on('update', onUpdate)
    poll = setInterval(() => { m.update().then(check).catch(() => {}) }, 500)
    timer = setTimeout(() => { cleanup(); reject(new Error('timed out waiting for the job at the other peer')) }, timeoutMs)
  })
  return { seen, cancel: cleanup }
}

// A reference between the two: the least an Autobase can do (apply admits the writer and appends the value to a
// plain Hypercore view; no decoding, no Hyperbee). It shows how much of the market's figure is Autobase itself.
interface BareSide { a: Autobase<Hypercore>, b: Autobase<Hypercore>, storeA: Corestore, storeB: Corestore, swarmA: Hyperswarm, swarmB: Hyperswarm }

function bareBase (store: Corestore, key: Uint8Array | null): Autobase<Hypercore> {
  return new Autobase<Hypercore>(store, key, {
    optimistic: true,
    ackInterval: 1000,
    open: (s) => s.get({ name: 'view' }),
    apply: async (nodes, view, host) => {
      for (const node of nodes) {
        if (node.value === null) continue
        if (node.optimistic) await host.addWriter(node.from.key, { indexer: false })
        await view.append(node.value)
      }
    }
  })
}

async function openBareSide (dir: string, tn: Testnet): Promise<BareSide> {
  const storeA = new Corestore(path.join(dir, 'bare-a'))
  const storeB = new Corestore(path.join(dir, 'bare-b'))
  const a = bareBase(storeA, null)
  await a.ready()
  await a.append(b4a.from('init'))
  const b = bareBase(storeB, a.key)
  await b.ready()
  const swarmA = new Hyperswarm({ bootstrap: tn.bootstrap })
  const swarmB = new Hyperswarm({ bootstrap: tn.bootstrap })
  swarmA.on('connection', (conn) => { conn.on('error', () => {}); a.replicate(conn) })
  swarmB.on('connection', (conn) => { conn.on('error', () => {}); b.replicate(conn) })
  await swarmA.join(a.discoveryKey).flushed()
  swarmB.join(b.discoveryKey)
  await swarmB.flush()
  const deadline = Date.now() + 20_000
  while ((swarmA.connections.size === 0 || swarmB.connections.size === 0) && Date.now() < deadline) await sleep(50)
  // B's first value is optimistic; wait until A admitted it and B knows it is a writer
  await b.append(b4a.from('first'), { optimistic: true })
  while ((a.view.length < 2 || !b.writable) && Date.now() < deadline) { await a.update(); await b.update(); await sleep(20) }
  if (!b.writable) throw new Error('bare autobase: B never became a writer')
  return { a, b, storeA, storeB, swarmA, swarmB }
}

async function bareSample (s: BareSide, block: Uint8Array): Promise<number | null> {
  const target = s.a.view.length + 1
  const seen = new Promise<number>((resolve, reject) => {
    const check = (): void => {
      if (s.a.view.length >= target) { cleanup(); resolve(nowMs()) }
    }
    const timer = setTimeout(() => { cleanup(); reject(new Error('timeout')) }, SAMPLE_TIMEOUT_MS)
    const cleanup = (): void => { clearTimeout(timer); s.a.off('update', check) }
    s.a.on('update', check)
  })
  seen.catch(() => {})
  const t0 = nowMs()
  await s.b.append(block)
  try { return (await seen) - t0 } catch { return null }
}

interface MarketSide { a: Market, b: Market, storeA: Corestore, storeB: Corestore }
interface RawSide { x: Hypercore, y: Hypercore, storeX: Corestore, storeY: Corestore, swarmX: Hyperswarm, swarmY: Hyperswarm }

async function openMarketSide (dir: string, tn: Testnet): Promise<MarketSide> {
  const storeA = new Corestore(path.join(dir, 'a'))
  const storeB = new Corestore(path.join(dir, 'b'))
  const a = new Market(storeA.namespace('market'), null, { bootstrap: tn.bootstrap, name: 'bench', admissionBits: 8 })
  await a.ready()
  const b = new Market(storeB.namespace('market'), a.key, { bootstrap: tn.bootstrap })
  await b.ready()
  const [ca, cb] = await Promise.all([a.sync(20_000), b.sync(20_000)])
  if (ca === 0 || cb === 0) throw new Error(`market peers did not connect (A ${ca}, B ${cb} connections)`)
  return { a, b, storeA, storeB }
}

async function openRawSide (dir: string, tn: Testnet): Promise<RawSide> {
  const storeX = new Corestore(path.join(dir, 'x'))
  const storeY = new Corestore(path.join(dir, 'y'))
  const x = storeX.get({ name: 'raw' })
  await x.ready()
  const y = storeY.get({ key: x.key as Uint8Array })
  await y.ready()
  const swarmX = new Hyperswarm({ bootstrap: tn.bootstrap })
  const swarmY = new Hyperswarm({ bootstrap: tn.bootstrap })
  swarmX.on('connection', (conn) => { conn.on('error', () => {}); storeX.replicate(conn) })
  swarmY.on('connection', (conn) => { conn.on('error', () => {}); storeY.replicate(conn) })
  await swarmX.join(x.discoveryKey as Uint8Array, { server: true, client: true }).flushed()
  swarmY.join(y.discoveryKey as Uint8Array, { server: true, client: true })
  await swarmY.flush()
  const deadline = Date.now() + 20_000
  while ((x.peers.length === 0 || y.peers.length === 0) && Date.now() < deadline) await sleep(50)
  if (x.peers.length === 0 || y.peers.length === 0) throw new Error('raw hypercore peers did not connect')
  return { x, y, storeX, storeY, swarmX, swarmY }
}

let postCounter = 0
const appendMs: number[] = [] // how long B's own append (local apply on B) took, part of each market sample
function createOp (): { type: typeof OP.JOB_CREATE, job: ReturnType<typeof sampleJob> } {
  return { type: OP.JOB_CREATE, job: sampleJob(postCounter++) }
}

// One market sample: B posts, A sees. Returns ms, or null when the job never showed up.
// Afterwards B cancels the job (not timed) and waits until A has the cancel too: apply refuses a client's creates
// past LIMITS.openJobsPerClient (20) open jobs, and the next sample should start with no traffic in flight.
async function marketSample (s: MarketSide): Promise<number | null> {
  const ms = await timedPost(s)
  if (ms.jobId !== null) {
    await s.b.append({ type: OP.JOB_CANCEL, jobId: ms.jobId })
    try { await watchJob(s.a, ms.jobId, SAMPLE_TIMEOUT_MS, st => st === 'cancelled').seen } catch {}
  }
  return ms.ms
}

async function timedPost (s: MarketSide): Promise<{ ms: number | null, jobId: Uint8Array | null }> {
  // B is a (non-indexer) writer by now and never acks, so its next op lands at local.length + 1: the job id is
  // known before the append and A can be watched from before the op exists.
  const predicted = jobIdFor(s.b.writerKey, s.b.base.local.length + 1)
  const w = watchJob(s.a, predicted, SAMPLE_TIMEOUT_MS)
  const t0 = nowMs()
  const { jobId } = await s.b.append(createOp())
  appendMs.push(nowMs() - t0)
  if (jobId === null || !b4a.equals(jobId, predicted)) {
    w.cancel()
    w.seen.catch(() => {})
    // fall back to watching the real id (detection time then starts only after the append returned)
    if (jobId === null) return { ms: null, jobId }
    try { return { ms: (await watchJob(s.a, jobId, SAMPLE_TIMEOUT_MS).seen) - t0, jobId } } catch { return { ms: null, jobId } }
  }
  try { return { ms: (await w.seen) - t0, jobId } } catch { return { ms: null, jobId } }
}

async function rawSample (s: RawSide, block: Uint8Array): Promise<number | null> {
  const i = s.x.length
  const got = s.y.get(i, { timeout: SAMPLE_TIMEOUT_MS })
  got.catch(() => {})
  const t0 = nowMs()
  await s.x.append(block)
  try {
    const v = await got
    return v === null ? null : nowMs() - t0
  } catch {
    return null
  }
}

function stats (xs: number[]): { n: number, p50: number, p99: number, mean: number, min: number, max: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
  return { n: xs.length, p50: round(percentile(xs, 50)), p99: round(percentile(xs, 99)), mean: round(mean), min: round(Math.min(...xs)), max: round(Math.max(...xs)) }
}

async function main (): Promise<void> {
  const dir = await tmpDir('post-latency')
  let tn: Testnet | null = null
  let ms: MarketSide | null = null
  let raw: RawSide | null = null
  let bare: BareSide | null = null
  try {
    console.log(`post-latency: ${SAMPLES} samples each (after ${WARMUP} warm-up), market and raw interleaved`)
    tn = await createTestnet(4)
    let t = nowMs()
    ms = await openMarketSide(dir, tn)
    console.log(`  market peers connected in ${round(nowMs() - t, 0)} ms`)
    t = nowMs()
    raw = await openRawSide(dir, tn)
    console.log(`  raw hypercore peers connected in ${round(nowMs() - t, 0)} ms`)
    t = nowMs()
    bare = await openBareSide(dir, tn)
    console.log(`  bare autobase peers connected in ${round(nowMs() - t, 0)} ms`)

    // B's first op is optimistic; A's apply adds B as a writer. Wait until A has it and B sees itself as writer.
    t = nowMs()
    const first = await ms.b.append(createOp())
    const firstSeen = watchJob(ms.a, first.jobId as Uint8Array, 30_000)
    await firstSeen.seen
    const deadline = Date.now() + 30_000
    while (!ms.b.isWriter() && Date.now() < deadline) { await ms.b.update(); await sleep(50) }
    if (!ms.b.isWriter()) throw new Error('B never became a writer')
    console.log(`  B's first (optimistic) post visible at A and B a writer after ${round(nowMs() - t, 0)} ms`)

    const block = encodeOp({ type: OP.JOB_CREATE, job: sampleJob(0) }, Date.now())
    console.log(`  raw block size ${block.byteLength} B (an encoded job/create op)`)

    const marketMs: number[] = []
    const rawMs: number[] = []
    const bareMs: number[] = []
    let marketLost = 0
    let rawLost = 0
    const total = WARMUP + SAMPLES
    const t1 = nowMs()
    for (let k = 0; k < total; k++) {
      // alternate which one goes first so neither always follows the other's background work
      const order = k % 2 === 0 ? ['raw', 'bare', 'market'] : ['market', 'bare', 'raw']
      for (const which of order) {
        if (which === 'bare') {
          const v = await bareSample(bare, block)
          if (k >= WARMUP && v !== null) bareMs.push(v)
        } else if (which === 'raw') {
          const v = await rawSample(raw, block)
          if (k >= WARMUP) { if (v === null) rawLost++; else rawMs.push(v) }
        } else {
          const v = await marketSample(ms)
          if (k >= WARMUP) { if (v === null) marketLost++; else marketMs.push(v) }
        }
      }
      if ((k + 1) % 50 === 0) console.log(`  … ${k + 1}/${total} rounds (${round((nowMs() - t1) / 1000, 1)} s)`)
    }

    await ms.a.update()
    const jobsAtA = await ms.a.jobCount()
    const countsAtA = await ms.a.statusCounts()

    const m = stats(marketMs)
    const r = stats(rawMs)
    const ratioP50 = round(m.p50 / r.p50)
    const ratioP99 = round(m.p99 / r.p99)
    const goalMet = ratioP50 <= GOAL_FACTOR && ratioP99 <= GOAL_FACTOR
    console.log('')
    console.log(`  market post → visible at A:   p50 ${m.p50} ms   p99 ${m.p99} ms   (mean ${m.mean}, min ${m.min}, max ${m.max}, n ${m.n}, lost ${marketLost})`)
    console.log(`  raw hypercore append → get:   p50 ${r.p50} ms   p99 ${r.p99} ms   (mean ${r.mean}, min ${r.min}, max ${r.max}, n ${r.n}, lost ${rawLost})`)
    const ba = stats(bareMs)
    console.log(`  bare autobase append → view:  p50 ${ba.p50} ms   p99 ${ba.p99} ms   (reference: Autobase with a trivial apply; ${round(ba.p50 / r.p50)}× raw at p50)`)
    const ap = stats(appendMs.slice(WARMUP))
    console.log(`  B's own append settled after: p50 ${ap.p50} ms   p99 ${ap.p99} ms   (local apply on B; A may see the op sooner)`)
    console.log(`  ratio market/raw:             p50 ${ratioP50}×   p99 ${ratioP99}×`)
    console.log(`  jobs in A's view: ${jobsAtA} (expected ${postCounter}); open ${countsAtA.open}, cancelled ${countsAtA.cancelled}`)
    if (jobsAtA !== postCounter) console.error(`  ERROR: A's view has ${jobsAtA} jobs, ${postCounter} were posted`)
    console.log(`  goal: market ≤ ${GOAL_FACTOR}× raw at p50 and p99 → ${goalMet ? 'MET' : 'NOT MET'}`)
    printResult({
      bench: 'post-latency',
      samples: SAMPLES,
      warmup: WARMUP,
      market: { ...m, lost: marketLost },
      raw: { ...r, lost: rawLost },
      marketLocalAppend: { p50: ap.p50, p99: ap.p99 },
      bareAutobase: ba,
      ratioMarketToBareP50: round(m.p50 / ba.p50),
      ratioP50,
      ratioP99,
      goal: `market p50 and p99 <= ${GOAL_FACTOR}x raw`,
      goalMet,
      jobsAtA
    })
  } finally {
    if (bare !== null) {
      await bare.swarmA.destroy()
      await bare.swarmB.destroy()
      await bare.a.close()
      await bare.b.close()
      await bare.storeA.close()
      await bare.storeB.close()
    }
    if (raw !== null) {
      await raw.swarmX.destroy()
      await raw.swarmY.destroy()
      await raw.storeX.close()
      await raw.storeY.close()
    }
    if (ms !== null) {
      await ms.b.close()
      await ms.a.close()
      await ms.storeB.close()
      await ms.storeA.close()
    }
    if (tn !== null) await tn.destroy()
    await rmDir(dir)
    exitGuard()
  }
}

main().catch((err: unknown) => {
  console.error('post-latency failed:', err)
  process.exitCode = 1
})
