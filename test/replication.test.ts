// Replication between real peers on a local testnet: convergence, the concurrent-accept race, a partition with
// offline writes, refusal of ops by peers without a role, and filtered queries on every peer. No mocks.
import test from 'brittle'
import path from 'path'
import b4a from 'b4a'
import Corestore from 'corestore'
import { Market, type MarketOptions } from '../lib/market/market.js'
import { scanJobs, getWriter } from '../lib/market/view.js'
import { OP, type JobFields, type JobRecord, type Material, type Status } from '../lib/schema.js'
import { openMarkets, tmpDir, testnet, eventually, TEST_ADMISSION_BITS, type Test } from './helpers.js'

const WAIT = 25_000

// --- helpers local to this file ---------------------------------------------------------------------------------

function hex (b: Uint8Array | null): string | null {
  return b === null ? null : b4a.toString(b, 'hex')
}

// Everything a peer's view says about a job, in a form that compares with ===.
function canon (j: JobRecord): Record<string, unknown> {
  return {
    id: hex(j.id),
    seq: j.seq,
    title: j.title,
    material: j.material,
    colors: j.colors,
    bountySats: j.bountySats,
    country: j.country,
    notes: j.notes,
    client: hex(j.client),
    printer: hex(j.printer),
    status: j.status,
    createdAt: j.createdAt,
    updatedAt: j.updatedAt,
    updates: j.updates,
    history: j.history.map(h => ({ action: h.action, from: h.from, to: h.to, by: hex(h.by), at: h.at, note: h.note }))
  }
}

async function snapshot (m: Market): Promise<string> {
  await m.update()
  const list = await m.jobs({ limit: 1000 })
  return JSON.stringify(list.map(v => canon(v.job)))
}

// True when every market holds the same job list (same order, same records) of `count` jobs.
async function converged (markets: Market[], count: number): Promise<boolean> {
  const snaps = await Promise.all(markets.map(snapshot))
  if (snaps.some(s => s !== snaps[0])) return false
  return (JSON.parse(snaps[0]) as unknown[]).length === count
}

async function allConfirmed (markets: Market[], count: number): Promise<boolean> {
  for (const m of markets) {
    await m.update()
    const list = await m.jobs({ limit: 1000 })
    if (list.length !== count || list.some(v => !v.confirmed)) return false
  }
  return true
}

function fields (title: string, over: Partial<JobFields> = {}): JobFields {
  return { title, material: 'PLA', colors: ['red'], bountySats: 10_000, country: 'DE', notes: '', ...over }
}

async function create (m: Market, job: JobFields): Promise<Uint8Array> {
  const { jobId } = await m.append({ type: OP.JOB_CREATE, job })
  if (jobId === null) throw new Error('create returned no job id')
  return jobId
}

async function syncAll (markets: Market[]): Promise<void> {
  await Promise.all(markets.map(m => m.sync(10_000)))
}

async function jobOn (m: Market, id: Uint8Array): Promise<JobRecord | null> {
  await m.update()
  const v = await m.getJob(id)
  return v === null ? null : v.job
}

// A peer that can be closed and reopened on the same Corestore directory. Teardown closes whatever is open.
class Reopenable {
  store: Corestore | null = null
  market: Market | null = null
  constructor (t: Test, readonly dir: string, readonly key: Uint8Array | null) {
    t.teardown(() => this.close(), { order: 10 })
  }

  async open (opts: MarketOptions): Promise<Market> {
    const store = new Corestore(this.dir)
    const market = new Market(store.namespace('market'), this.key, { admissionBits: TEST_ADMISSION_BITS, ...opts })
    this.store = store
    this.market = market
    await market.ready()
    return market
  }

  async close (): Promise<void> {
    const { market, store } = this
    this.market = null
    this.store = null
    if (market !== null) await market.close()
    if (store !== null) await store.close()
  }
}

// --- 1. convergence ---------------------------------------------------------------------------------------------

test('four peers post jobs; every view converges to the same list and every job becomes confirmed', { timeout: 60_000 }, async (t) => {
  const { peers } = await openMarkets(t, 4)
  const markets = peers.map(p => p.market)
  await syncAll(markets)

  const started = Date.now()
  const PER_PEER = 3
  const created = await Promise.all(markets.map(async (m, i) => {
    const ids: Uint8Array[] = []
    for (let k = 0; k < PER_PEER; k++) {
      ids.push(await create(m, fields(`peer${i} job${k}`, {
        material: (['PLA', 'PETG', 'ABS', 'TPU'] as const)[i],
        bountySats: 1000 * (i + 1) + k,
        colors: [`c${i}`, `c${k}`],
        notes: `from peer ${i}`
      })))
    }
    return ids
  }))
  const total = markets.length * PER_PEER

  t.ok(await eventually(() => converged(markets, total), WAIT), `all ${markets.length} views hold the same ${total} jobs`)
  t.comment(`converged in ${Date.now() - started} ms`)

  // Each job is on every peer with the author as client and the fields it was posted with.
  const list = await markets[0].jobs({ limit: 1000 })
  for (let i = 0; i < markets.length; i++) {
    for (let k = 0; k < PER_PEER; k++) {
      const rec = list.find(v => b4a.equals(v.job.id, created[i][k]))
      t.ok(rec !== undefined && rec.job.title === `peer${i} job${k}` && b4a.equals(rec.job.client, markets[i].writerKey) &&
        rec.job.status === 'open' && rec.job.bountySats === 1000 * (i + 1) + k, `peer${i} job${k} present with its fields`)
    }
  }
  // Newest first: seq strictly decreasing, and seq covers 0..total-1.
  const seqs = list.map(v => v.job.seq)
  t.alike(seqs, Array.from({ length: total }, (_, i) => total - 1 - i), 'order is newest first by seq')
  // A writer's own jobs keep their relative order.
  for (let i = 0; i < markets.length; i++) {
    const mine = list.filter(v => b4a.equals(v.job.client, markets[i].writerKey)).map(v => v.job.title)
    t.alike(mine, [2, 1, 0].map(k => `peer${i} job${k}`), `peer${i}'s jobs in its own order`)
  }

  t.ok(await eventually(() => allConfirmed(markets, total), WAIT), 'every job is confirmed on every peer')
  t.ok(await converged(markets, total), 'views still identical after confirmation')
  t.ok(markets.slice(1).every(m => m.isWriter() && !m.isIndexer()), 'joiners were admitted as non-indexer writers')
  t.comment(`confirmed in ${Date.now() - started} ms`)
})

// --- 2. concurrent accept -----------------------------------------------------------------------------------------

test('two printers accept the same job at once: one wins, the same one on every peer', { timeout: 60_000 }, async (t) => {
  const { peers } = await openMarkets(t, 4)
  const markets = peers.map(p => p.market)
  // The client is a joiner; the creator (the only indexer) and peer 3 only watch.
  const [client, printerA, printerB] = [markets[3], markets[1], markets[2]]
  await syncAll(markets)

  // Round 0 races the printers' very first ops (optimistic appends from non-writers); later rounds race writers.
  const ROUNDS = 3
  const jobIds: Uint8Array[] = []
  for (let r = 0; r < ROUNDS; r++) jobIds.push(await create(client, fields(`race ${r}`)))
  t.ok(await eventually(async () => {
    for (const m of markets) {
      for (const id of jobIds) if ((await jobOn(m, id))?.status !== 'open') return false
    }
    return true
  }, WAIT), 'every peer sees the open jobs')

  const winners: string[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const id = jobIds[r]
    // Alternate who appends first, and do not wait for one before starting the other.
    const order = r % 2 === 0 ? [printerA, printerB] : [printerB, printerA]
    await Promise.all(order.map(m => m.append({ type: OP.JOB_ACCEPT, jobId: id })))

    // Converged and final: the job record is identical on every peer and confirmed everywhere.
    t.ok(await eventually(async () => {
      const views = await Promise.all(markets.map(async m => { await m.update(); return m.getJob(id) }))
      if (views.some(v => v === null || !v.confirmed || v.job.status !== 'active')) return false
      const s = views.map(v => JSON.stringify(canon(v!.job)))
      return s.every(x => x === s[0])
    }, WAIT), `round ${r}: job active, identical and confirmed on every peer`)

    const recs = await Promise.all(markets.map(m => jobOn(m, id)))
    const printers = recs.map(j => hex(j?.printer ?? null))
    const keyA = hex(printerA.writerKey)
    const keyB = hex(printerB.writerKey)
    t.ok(printers.every(p => p === printers[0]), `round ${r}: same printer on every peer`)
    t.ok(printers[0] === keyA || printers[0] === keyB, `round ${r}: the printer is one of the two who accepted`)
    const winner = printers[0]
    const loser = winner === keyA ? keyB : keyA
    for (const j of recs) {
      const accepts = j!.history.filter(h => h.action === OP.JOB_ACCEPT)
      t.is(accepts.length, 1, `round ${r}: one accept in history`)
      t.is(hex(accepts[0].by), winner, `round ${r}: the accept in history is the winner's`)
      t.ok(j!.history.every(h => hex(h.by) !== loser), `round ${r}: the loser is absent from history`)
    }
    winners.push(winner === keyA ? 'A' : 'B')
  }
  t.comment(`winners: ${winners.join(' ')}`)

  // Prove the losing accepts were applied (and ignored), not merely still in flight: each printer posts a sentinel
  // after its accepts; a peer that has applied a sentinel has applied everything before it in that printer's log.
  const sentinels = [await create(printerA, fields('sentinel A')), await create(printerB, fields('sentinel B'))]
  t.ok(await eventually(async () => {
    for (const m of markets) {
      for (const id of sentinels) {
        await m.update()
        const v = await m.getJob(id)
        if (v === null || !v.confirmed) return false
      }
    }
    return true
  }, WAIT), 'both sentinels confirmed on every peer')
  for (const m of markets) {
    for (let r = 0; r < ROUNDS; r++) {
      const j = await jobOn(m, jobIds[r])
      t.is(hex(j?.printer ?? null), hex((winners[r] === 'A' ? printerA : printerB).writerKey), `round ${r}: winner unchanged after the loser's later ops`)
    }
    // Only ops that took effect count: each printer's wins plus its sentinel.
    t.is((await getWriter(m.view, printerA.writerKey)).ops, winners.filter(w => w === 'A').length + 1, "printer A's counted ops")
    t.is((await getWriter(m.view, printerB.writerKey)).ops, winners.filter(w => w === 'B').length + 1, "printer B's counted ops")
  }

  // The loser's log went on: it is still a writer and can accept another job.
  const spare = await create(client, fields('after the races'))
  t.ok(await eventually(async () => (await jobOn(printerA, spare)) !== null && (await jobOn(printerB, spare)) !== null, WAIT), 'printers see the next job')
  await printerB.append({ type: OP.JOB_ACCEPT, jobId: spare })
  t.ok(await eventually(async () => {
    for (const m of markets) if (hex((await jobOn(m, spare))?.printer ?? null) !== hex(printerB.writerKey)) return false
    return true
  }, WAIT), 'a printer that lost a race can still accept later jobs')
})

// --- 3. partition -----------------------------------------------------------------------------------------------

test('a peer cut off writes offline, reconnects, and every peer converges', { timeout: 60_000 }, async (t) => {
  const tn = await testnet(t)
  const root = await tmpDir(t)
  const online = { bootstrap: tn.bootstrap }
  const first = new Reopenable(t, path.join(root, 'p0'), null)
  const m0 = await first.open(online)
  const others = [1, 2, 3].map(i => new Reopenable(t, path.join(root, 'p' + i), m0.key))
  const [m1, m2] = [await others[0].open(online), await others[1].open(online)]
  const cut = others[2]
  let m3 = await cut.open(online)
  await syncAll([m0, m1, m2, m3])

  // Before the partition: everyone has posted, so everyone is a writer.
  const before = await Promise.all([m0, m1, m2, m3].map((m, i) => create(m, fields(`before ${i}`))))
  t.ok(await eventually(() => converged([m0, m1, m2, m3], 4), WAIT), 'converged before the partition')
  t.ok(await eventually(() => m3.isWriter(), WAIT), 'the peer to be cut off is a writer')
  const writerKey3 = m3.writerKey

  // Cut it off.
  await cut.close()

  // Offline: it posts two jobs and accepts peer 1's job, with no network at all.
  m3 = await cut.open({ swarm: false })
  t.is(m3.connections, 0, 'offline peer has no connections')
  const offlineIds = [await create(m3, fields('offline 0', { country: 'JP' })), await create(m3, fields('offline 1', { material: 'Resin' }))]
  await m3.append({ type: OP.JOB_ACCEPT, jobId: before[1] })
  t.is((await m3.jobs({ limit: 1000 })).length, 6, 'offline peer sees its own offline jobs')
  await cut.close()

  // Meanwhile the others post and act: peers 0 and 1 post, peer 2 accepts peer 0's job and cancels its own.
  const during = [await create(m0, fields('during 0')), await create(m1, fields('during 1'))]
  await m2.append({ type: OP.JOB_ACCEPT, jobId: before[0] })
  await m2.append({ type: OP.JOB_CANCEL, jobId: before[2] })
  t.ok(await eventually(() => converged([m0, m1, m2], 6), WAIT), 'the remaining three converge while the peer is away')

  // Reconnect.
  const reconnectedAt = Date.now()
  m3 = await cut.open(online)
  t.ok(b4a.equals(m3.writerKey, writerKey3), 'same writer key after reopening the same directory')
  const all = [m0, m1, m2, m3]
  t.ok(await eventually(() => converged(all, 8), WAIT), 'all four converge after reconnecting')
  t.comment(`converged ${Date.now() - reconnectedAt} ms after reconnecting`)

  for (const m of all) {
    for (const id of [...offlineIds, ...during]) t.ok((await m.getJob(id)) !== null, 'offline and meanwhile jobs present')
    const j1 = await m.getJob(before[1])
    t.ok(j1 !== null && j1.job.status === 'active' && hex(j1.job.printer) === hex(writerKey3), "the offline accept of peer 1's job took effect")
    const j0 = await m.getJob(before[0])
    t.ok(j0 !== null && j0.job.status === 'active' && hex(j0.job.printer) === hex(m2.writerKey), "peer 2's accept took effect")
    t.is((await m.getJob(before[2]))?.job.status, 'cancelled', "peer 2's cancel took effect")
  }
  t.ok(await eventually(() => allConfirmed(all, 8), WAIT), 'everything confirmed on every peer')
})

test('a peer that has never written posts while offline (optimistic ops), then reconnects', { timeout: 60_000 }, async (t) => {
  const tn = await testnet(t)
  const root = await tmpDir(t)
  const online = { bootstrap: tn.bootstrap }
  const first = new Reopenable(t, path.join(root, 'p0'), null)
  const m0 = await first.open(online)
  const m1 = await new Reopenable(t, path.join(root, 'p1'), m0.key).open(online)
  const cut = new Reopenable(t, path.join(root, 'p2'), m0.key)
  let m2 = await cut.open(online)
  await syncAll([m0, m1, m2])
  const open0 = await create(m0, fields('by the creator'))
  t.ok(await eventually(() => converged([m0, m1, m2], 1), WAIT), 'the newcomer has the market')
  t.absent(m2.isWriter(), 'the newcomer is not a writer yet')
  await cut.close()

  m2 = await cut.open({ swarm: false })
  const offline = await create(m2, fields('optimistic offline 0'))
  const offline2 = await create(m2, fields('optimistic offline 1'))
  await m2.append({ type: OP.JOB_ACCEPT, jobId: open0 })
  await cut.close()
  const during = await create(m1, fields('meanwhile'))

  m2 = await cut.open(online)
  const all = [m0, m1, m2]
  t.ok(await eventually(() => converged(all, 4), WAIT), 'all converge, including the optimistic offline ops')
  for (const m of all) {
    t.ok((await m.getJob(offline)) !== null && (await m.getJob(offline2)) !== null && (await m.getJob(during)) !== null, 'all jobs present')
    t.is(hex((await m.getJob(open0))?.job.printer ?? null), hex(m2.writerKey), 'the offline accept took effect')
  }
  t.ok(await eventually(() => m2.isWriter(), WAIT), 'the newcomer was admitted as a writer')
  t.ok(await eventually(() => allConfirmed(all, 4), WAIT), 'everything confirmed')
})

// --- 4. no role, no power ---------------------------------------------------------------------------------------

test("a peer with no role in a job cannot ship, complete, cancel or update it", { timeout: 60_000 }, async (t) => {
  const { peers } = await openMarkets(t, 4)
  const markets = peers.map(p => p.market)
  const [client, printer, stranger] = [markets[1], markets[2], markets[3]]
  await syncAll(markets)

  const active = await create(client, fields('active job'))
  const open = await create(client, fields('open job', { bountySats: 5000 }))
  t.ok(await eventually(async () => (await jobOn(printer, active)) !== null, WAIT), 'printer sees the job')
  await printer.append({ type: OP.JOB_ACCEPT, jobId: active })
  // The stranger posts once so it is a writer, and waits until it sees the accept.
  const own = await create(stranger, fields("stranger's job"))
  t.ok(await eventually(async () => (await jobOn(stranger, active))?.status === 'active', WAIT), 'stranger sees the job active')
  t.ok(await eventually(() => converged(markets, 3), WAIT), 'converged before the attempts')
  const beforeActive = JSON.stringify(canon((await jobOn(markets[0], active))!))
  const beforeOpen = JSON.stringify(canon((await jobOn(markets[0], open))!))
  const strangerOps = (await getWriter(markets[0].view, stranger.writerKey)).ops

  for (const jobId of [active, open]) {
    await stranger.append({ type: OP.JOB_SHIP, jobId, note: 'not mine' })
    await stranger.append({ type: OP.JOB_COMPLETE, jobId })
    await stranger.append({ type: OP.JOB_CANCEL, jobId })
    await stranger.append({ type: OP.JOB_UPDATE, jobId, patch: { bountySats: 1, title: 'hijacked' } })
    await stranger.append({ type: OP.JOB_WITHDRAW, jobId })
    await stranger.append({ type: OP.JOB_DISPUTE, jobId, reason: 'not mine either' })
  }
  // The client cannot act as the printer either (ship is the printer's).
  await client.append({ type: OP.JOB_SHIP, jobId: active, note: 'client pretending' })
  // Sentinels: a later op in each log. A peer that has applied a sentinel has applied every op before it.
  const sentinel = await create(stranger, fields('sentinel'))
  const sentinel2 = await create(client, fields('client sentinel'))

  t.ok(await eventually(async () => {
    if (!(await converged(markets, 5))) return false
    for (const m of markets) if ((await m.getJob(sentinel)) === null || (await m.getJob(sentinel2)) === null) return false
    return true
  }, WAIT), 'converged after the attempts (sentinels applied everywhere)')

  for (const m of markets) {
    t.is(JSON.stringify(canon((await m.getJob(active))!.job)), beforeActive, 'active job unchanged on this peer')
    t.is(JSON.stringify(canon((await m.getJob(open))!.job)), beforeOpen, 'open job unchanged on this peer')
    t.is((await getWriter(m.view, stranger.writerKey)).ops, strangerOps + 1, "only the stranger's sentinel counted as an op")
  }
  t.ok((await jobOn(markets[0], own)) !== null, "the stranger's own job exists")

  // The rightful roles still work afterwards: printer ships, client completes.
  await printer.append({ type: OP.JOB_SHIP, jobId: active, note: 'tracking 123' })
  t.ok(await eventually(async () => (await jobOn(client, active))?.status === 'shipped', WAIT), 'client sees it shipped')
  await client.append({ type: OP.JOB_COMPLETE, jobId: active })
  t.ok(await eventually(async () => {
    for (const m of markets) if ((await jobOn(m, active))?.status !== 'completed') return false
    return true
  }, WAIT), 'completed on every peer')
})

// --- 5. queries -------------------------------------------------------------------------------------------------

test('every peer answers filtered queries with the expected jobs, newest first', { timeout: 60_000 }, async (t) => {
  const { peers } = await openMarkets(t, 4)
  const markets = peers.map(p => p.market)
  await syncAll(markets)

  interface Spec { by: number, title: string, material: Material, country: string, bountySats: number }
  const specs: Spec[] = [
    { by: 0, title: 'a', material: 'PLA', country: 'DE', bountySats: 1000 },
    { by: 1, title: 'b', material: 'PETG', country: 'US', bountySats: 50_000 },
    { by: 2, title: 'c', material: 'PLA', country: 'US', bountySats: 20_000 },
    { by: 3, title: 'd', material: 'Resin', country: 'JP', bountySats: 7000 },
    { by: 1, title: 'e', material: 'PLA', country: 'DE', bountySats: 90_000 },
    { by: 2, title: 'f', material: 'PETG', country: 'DE', bountySats: 3000 },
    { by: 0, title: 'g', material: 'PLA', country: 'JP', bountySats: 60_000 },
    { by: 3, title: 'h', material: 'ABS', country: 'US', bountySats: 15_000 }
  ]
  // Posted concurrently from all peers: the linearised order (seq) is whatever Autobase decides, the same everywhere.
  const ids = new Map<string, Uint8Array>()
  await Promise.all(markets.map(async (m, i) => {
    for (const s of specs.filter(s => s.by === i)) {
      ids.set(s.title, await create(m, fields(s.title, { material: s.material, country: s.country, bountySats: s.bountySats })))
    }
  }))
  t.ok(await eventually(() => converged(markets, specs.length), WAIT), 'jobs replicated')

  // Move some jobs on: peer 3 accepts 'a' (active, printer 3); peer 0 accepts 'b'; client 2 cancels 'f'.
  const expectedStatus = new Map<string, Status>(specs.map(s => [s.title, 'open']))
  const expectedPrinter = new Map<string, number>()
  await markets[3].append({ type: OP.JOB_ACCEPT, jobId: ids.get('a')! }); expectedStatus.set('a', 'active'); expectedPrinter.set('a', 3)
  await markets[0].append({ type: OP.JOB_ACCEPT, jobId: ids.get('b')! }); expectedStatus.set('b', 'active'); expectedPrinter.set('b', 0)
  await markets[2].append({ type: OP.JOB_CANCEL, jobId: ids.get('f')! }); expectedStatus.set('f', 'cancelled')
  t.ok(await eventually(async () => {
    if (!(await converged(markets, specs.length))) return false
    const list = await markets[0].jobs({ limit: 1000 })
    return list.every(v => v.job.status === expectedStatus.get(v.job.title))
  }, WAIT), 'status changes replicated')

  // The order every peer agrees on (checked identical above): seq descending.
  const all = (await markets[0].jobs({ limit: 1000 })).map(v => v.job)
  const seqOf = new Map(all.map(j => [j.title, j.seq]))
  const expect = (pred: (s: Spec) => boolean): string[] =>
    specs.filter(pred).sort((x, y) => seqOf.get(y.title)! - seqOf.get(x.title)!).map(s => s.title)

  const cases: Array<{ name: string, q: Parameters<Market['jobs']>[0], want: (s: Spec) => boolean, limit?: number }> = [
    { name: 'all', q: {}, want: () => true },
    { name: 'status open', q: { status: 'open' }, want: s => expectedStatus.get(s.title) === 'open' },
    { name: 'status active', q: { status: 'active' }, want: s => expectedStatus.get(s.title) === 'active' },
    { name: 'status cancelled', q: { status: 'cancelled' }, want: s => expectedStatus.get(s.title) === 'cancelled' },
    { name: 'open PLA', q: { status: 'open', material: 'PLA' }, want: s => expectedStatus.get(s.title) === 'open' && s.material === 'PLA' },
    { name: 'open in US', q: { status: 'open', country: 'US' }, want: s => expectedStatus.get(s.title) === 'open' && s.country === 'US' },
    { name: 'open PLA in JP', q: { status: 'open', material: 'PLA', country: 'JP' }, want: s => expectedStatus.get(s.title) === 'open' && s.material === 'PLA' && s.country === 'JP' },
    { name: 'open, bounty ≥ 15 000', q: { status: 'open', minBountySats: 15_000 }, want: s => expectedStatus.get(s.title) === 'open' && s.bountySats >= 15_000 },
    { name: 'bounty ≥ 50 000', q: { minBountySats: 50_000 }, want: s => s.bountySats >= 50_000 },
    { name: 'material without status', q: { material: 'PLA' }, want: s => s.material === 'PLA' },
    { name: 'country without status', q: { country: 'DE' }, want: s => s.country === 'DE' },
    { name: 'open, limit 2', q: { status: 'open', limit: 2 }, want: s => expectedStatus.get(s.title) === 'open', limit: 2 },
    { name: 'nothing matches', q: { status: 'shipped' }, want: () => false }
  ]
  for (let i = 0; i < markets.length; i++) {
    const m = markets[i]
    const mineCases = [
      { name: `mine (peer ${i})`, q: { mine: m.writerKey }, want: (s: Spec) => s.by === i || expectedPrinter.get(s.title) === i },
      { name: `mine open (peer ${i})`, q: { mine: m.writerKey, status: 'open' as const }, want: (s: Spec) => (s.by === i || expectedPrinter.get(s.title) === i) && expectedStatus.get(s.title) === 'open' }
    ]
    for (const c of [...cases, ...mineCases]) {
      const got = (await m.jobs({ limit: 1000, ...c.q })).map(v => v.job.title)
      const want = expect(c.want).slice(0, (c as { limit?: number }).limit ?? Infinity)
      t.alike(got, want, `peer ${i}: ${c.name} → [${want.join(', ')}]`)
      // The index answer agrees with reading every record.
      const base = (await scanJobs(m.view, { limit: 1000, ...c.q })).map(j => j.title)
      t.alike(got, base, `peer ${i}: ${c.name} agrees with a full scan`)
    }
  }
})

// --- regression -------------------------------------------------------------------------------------------------------
// Autobase treats the creator as an active indexer only once it has written a node; a creator that never appended
// never acked and nothing was ever confirmed. Market now has the creator write `market/init` at creation.
test('jobs get confirmed even when the creator never posts', { timeout: 60_000 }, async (t) => {
  const { peers } = await openMarkets(t, 3)
  const markets = peers.map(p => p.market)
  await syncAll(markets)
  await create(markets[1], fields('posted by a joiner'))
  t.ok(await eventually(() => converged(markets, 1), WAIT), 'replicated')
  t.ok(await eventually(() => allConfirmed(markets, 1), 10_000), 'confirmed on every peer')
})
