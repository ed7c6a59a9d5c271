// Reviews, peer records and printer profiles: the reducer driven op by op on a real Hyperbee (exact stats), and
// three live peers on a local testnet going through the command functions.
import test from 'brittle'
import b4a from 'b4a'
import { openMarkets, eventually, openBee } from './helpers.js'
import { OP, SCHEMA_VERSION, encodeOp, decodeOp, type OpBody, type JobFields, type JobRecord, type PrinterProfile, type Material, type EscrowRecord } from '../lib/schema.js'
import { Reducer } from './reducer.js'
import { getJob, getWriter, putJob, type View } from '../lib/market/view.js'
import { reputationOnJob, countRulingOn, loserOf } from '../lib/reputation/apply.js'
import { getPeerStats, getReview, getProfile, SHIP_SAMPLES } from '../lib/reputation/records.js'
import { peerRecord, listPrinters, median, jobRecords } from '../lib/reputation/query.js'
import { parseBed, parseProfile, parseRating } from '../lib/commands/reputation.js'
import { peerOf, printersOf, reviewOn, publishProfile } from '../lib/service/reputation.js'
import { jobIdString, peerId } from '../lib/ids.js'

const CLIENT = b4a.alloc(32, 0xc1)
const CLIENT2 = b4a.alloc(32, 0xc2)
const PRINTER = b4a.alloc(32, 0xb2)
const PRINTER2 = b4a.alloc(32, 0xb3)
const OTHER = b4a.alloc(32, 0x03)
const FIELDS: JobFields = { title: 'Benchy', material: 'PLA', colors: ['red'], bountySats: 10_000, country: 'DE', notes: '' }
const HOUR = 3_600_000


const reducer = new Reducer()
const run = async (bee: View, body: OpBody, author: Uint8Array, at?: number): Promise<boolean> => await reducer.run(bee, body, author, at)

async function must (bee: View, body: OpBody, author: Uint8Array, at?: number): Promise<void> { await reducer.must(bee, body, author, at) }

async function create (bee: View, client: Uint8Array, fields: JobFields = FIELDS): Promise<Uint8Array> {
  const id = reducer.nextJobId(client)
  await must(bee, { type: OP.JOB_CREATE, job: fields }, client)
  return id
}

// A job taken to `until` through real ops: accept at acceptAt, ship at shipAt (a market without escrow).
async function jobTo (bee: View, client: Uint8Array, printer: Uint8Array, until: 'active' | 'shipped' | 'completed' | 'disputed', times: { acceptAt?: number, shipAt?: number } = {}): Promise<Uint8Array> {
  const id = await create(bee, client)
  await must(bee, { type: OP.JOB_ACCEPT, jobId: id }, printer, times.acceptAt ?? ++reducer.clock)
  if (until === 'active') return id
  if (until === 'disputed') {
    await must(bee, { type: OP.JOB_DISPUTE, jobId: id, reason: 'never arrived' }, client)
    return id
  }
  await must(bee, { type: OP.JOB_SHIP, jobId: id, note: '' }, printer, times.shipAt ?? ++reducer.clock)
  if (until === 'shipped') return id
  await must(bee, { type: OP.JOB_COMPLETE, jobId: id }, client)
  return id
}

const review = (jobId: Uint8Array, rating: number, text = ''): OpBody => ({ type: OP.JOB_REVIEW, jobId, rating, text })

async function mustGet (bee: View, id: Uint8Array): Promise<JobRecord> {
  const j = await getJob(bee, id)
  if (j === null) throw new Error('job missing')
  return j
}

// Writes a job record directly (states the reducer reaches only through escrow), running the stats hook as commit does.
async function rewrite (bee: View, prev: JobRecord, next: JobRecord): Promise<void> {
  const batch = bee.batch()
  await putJob(batch, prev, next)
  await reputationOnJob(batch, prev, next)
  await batch.flush()
}

// The stats hook alone, for records the view codec cannot hold (a partial escrow record).
async function hook (bee: View, prev: JobRecord, next: JobRecord): Promise<void> {
  const batch = bee.batch()
  await reputationOnJob(batch, prev, next)
  await batch.flush()
}

// --- codecs ---------------------------------------------------------------------------------------------------------

test('codec: review and profile ops round-trip at v4 and are unknown below it', (t) => {
  const id = b4a.alloc(16, 7)
  const r = decodeOp(encodeOp(review(id, 4, 'good'), 5))
  t.alike({ ...r, jobId: b4a.toString((r as any).jobId, 'hex') }, { type: OP.JOB_REVIEW, jobId: b4a.toString(id, 'hex'), rating: 4, text: 'good', version: SCHEMA_VERSION, at: 5 })
  const profile: PrinterProfile = { materials: ['PLA', 'PETG'], bedMm: [220, 220, 250], country: 'DE', note: 'Prusa MK4' }
  const p = decodeOp(encodeOp({ type: OP.PRINTER_PROFILE, profile }, 6))
  t.alike(p, { type: OP.PRINTER_PROFILE, profile, version: SCHEMA_VERSION, at: 6 })
  for (const buf of [encodeOp(review(id, 4, ''), 5), encodeOp({ type: OP.PRINTER_PROFILE, profile }, 6)]) {
    const v3 = b4a.from(buf)
    t.is(v3[0], SCHEMA_VERSION)
    v3[0] = 3
    t.exception(() => decodeOp(v3), 'a v3 op of type 40/41 does not decode')
  }
  t.exception(() => encodeOp(review(id, 5, 'x'.repeat(281)), 1) && decodeOp(encodeOp(review(id, 5, 'x'.repeat(281)), 1)), 'review text over 280 characters is refused')
})

// --- reviews ----------------------------------------------------------------------------------------------------------

test('reviews: only parties, only closed jobs, once per author per job, ratings 1–5', async (t) => {
  const bee = await openBee(t)
  const active = await jobTo(bee, CLIENT, PRINTER, 'active')
  const shipped = await jobTo(bee, CLIENT, PRINTER, 'shipped')
  const disputed = await jobTo(bee, CLIENT, PRINTER, 'disputed')
  const openCancelled = await create(bee, CLIENT)
  await must(bee, { type: OP.JOB_CANCEL, jobId: openCancelled }, CLIENT)
  t.absent(await run(bee, review(active, 5), CLIENT), 'active job: refused')
  t.absent(await run(bee, review(shipped, 5), CLIENT), 'shipped job: refused')
  t.absent(await run(bee, review(disputed, 5), PRINTER), 'disputed job: refused')
  t.absent(await run(bee, review(openCancelled, 5), CLIENT), 'a job cancelled before anyone accepted it has no other side: refused')
  t.absent(await run(bee, review(b4a.alloc(16, 9), 5), CLIENT), 'unknown job: refused')

  const done = await jobTo(bee, CLIENT, PRINTER, 'completed')
  t.absent(await run(bee, review(done, 5), OTHER), 'not a party: refused')
  t.absent(await run(bee, review(done, 0), CLIENT), 'rating 0: refused')
  t.absent(await run(bee, review(done, 6), CLIENT), 'rating 6: refused')
  const opsBefore = (await getWriter(bee, CLIENT)).ops
  t.ok(await run(bee, review(done, 4, 'fast and clean'), CLIENT), 'client reviews the printer')
  t.is((await getWriter(bee, CLIENT)).ops, opsBefore + 1, 'a review counts as an op of its author')
  t.absent(await run(bee, review(done, 1, 'changed my mind'), CLIENT), 'a second review by the same author: refused')
  t.ok(await run(bee, review(done, 5, 'paid at once'), PRINTER), 'printer reviews the client')
  t.absent(await run(bee, review(done, 5), PRINTER), 'the printer cannot review twice either')

  const r = await getReview(bee, done, CLIENT)
  t.ok(r !== null && b4a.equals(r.subject, PRINTER) && r.role === 'client' && r.rating === 4 && r.text === 'fast and clean', 'review bound to author, job and subject')
  const p = await peerRecord(bee, PRINTER)
  t.alike(p.asPrinter.rating, { average: 4, count: 1 })
  t.alike(p.rating, { average: 4, count: 1 })
  t.is(p.reviews.length, 1)
  t.is(p.reviews[0].text, 'fast and clean')
  t.is(p.reviews[0].by, peerId(CLIENT))
  t.is(p.reviews[0].job, jobIdString(done))
  const c = await peerRecord(bee, CLIENT)
  t.alike(c.asClient.rating, { average: 5, count: 1 })
  t.is(c.asPrinter.rating.count, 0)

  // a job cancelled after acceptance (escrow cancel / refund) is closed too
  const cancelled = await jobTo(bee, CLIENT, PRINTER2, 'active')
  const before = await mustGet(bee, cancelled)
  await rewrite(bee, before, { ...before, status: 'cancelled', history: [...before.history, { action: OP.ESCROW_PAID, from: 'active', to: 'cancelled', by: CLIENT, at: ++reducer.clock, note: 'cancel' }] })
  t.ok(await run(bee, review(cancelled, 2, 'slow to answer'), CLIENT), 'a cancelled job with both sides can be reviewed')
  t.is((await getPeerStats(bee, PRINTER2)).printerCancelled, 1, 'cancelled after acceptance counts for the printer')
  t.is((await getPeerStats(bee, CLIENT)).clientCancelled, 1, '… and for the client')
  t.is((await getPeerStats(bee, CLIENT)).clientCancelled, 1, 'the open job the client cancelled itself is not counted')
})

test('ratings: average over reviews received, newest review first', async (t) => {
  const bee = await openBee(t)
  const ratings = [5, 4, 2, 5]
  for (const [i, r] of ratings.entries()) {
    const id = await jobTo(bee, i % 2 === 0 ? CLIENT : CLIENT2, PRINTER, 'completed')
    t.ok(await run(bee, review(id, r, `review ${i}`), i % 2 === 0 ? CLIENT : CLIENT2))
  }
  const p = await peerRecord(bee, PRINTER)
  t.alike(p.rating, { average: 4, count: 4 })
  t.alike(p.reviews.map(r => r.text), ['review 3', 'review 2', 'review 1', 'review 0'])
  t.alike(p.reviews.map(r => r.rating), [5, 2, 4, 5])
  const limited = await peerRecord(bee, PRINTER, { reviews: 2 })
  t.is(limited.reviews.length, 2)
  const id = await jobTo(bee, CLIENT, PRINTER, 'completed')
  await must(bee, review(id, 1), CLIENT)
  t.alike((await peerRecord(bee, PRINTER)).rating, { average: 3.4, count: 5 }, '17 / 5')
})

test('stats: completed counts per role, accept→ship median from the history times', async (t) => {
  const bee = await openBee(t)
  const t0 = 1_800_000_000_000
  // durations 3 h, 1 h, 2 h: median 2 h
  await jobTo(bee, CLIENT, PRINTER, 'completed', { acceptAt: t0, shipAt: t0 + 3 * HOUR })
  await jobTo(bee, CLIENT2, PRINTER, 'completed', { acceptAt: t0, shipAt: t0 + HOUR })
  await jobTo(bee, CLIENT, PRINTER, 'shipped', { acceptAt: t0, shipAt: t0 + 2 * HOUR })
  let p = await peerRecord(bee, PRINTER)
  t.is(p.asPrinter.completed, 2)
  t.is(p.asPrinter.shipped, 3)
  t.is(p.asPrinter.medianShipHours, 2)
  t.is(p.asClient.completed, 0)
  t.is((await peerRecord(bee, CLIENT)).asClient.completed, 1)
  t.is((await peerRecord(bee, CLIENT2)).asClient.completed, 1)
  t.is((await peerRecord(bee, CLIENT)).asPrinter.completed, 0)

  // a fourth: 10 h → median of [1, 2, 3, 10] = 2.5 h
  await jobTo(bee, CLIENT2, PRINTER, 'shipped', { acceptAt: t0, shipAt: t0 + 10 * HOUR })
  p = await peerRecord(bee, PRINTER)
  t.is(p.asPrinter.medianShipHours, 2.5)
  t.is(p.asPrinter.shipSamples, 4)

  // a ship stated before its accept counts as 0, never negative
  await jobTo(bee, CLIENT, PRINTER2, 'shipped', { acceptAt: t0 + HOUR, shipAt: t0 })
  t.alike((await getPeerStats(bee, PRINTER2)).shipMs, [0])

  // withdraw and re-accept: the duration runs from the accept of the printer who shipped
  const id = await create(bee, CLIENT2)
  await must(bee, { type: OP.JOB_ACCEPT, jobId: id }, PRINTER2, t0)
  await must(bee, { type: OP.JOB_WITHDRAW, jobId: id }, PRINTER2, t0 + HOUR)
  await must(bee, { type: OP.JOB_ACCEPT, jobId: id }, OTHER, t0 + 5 * HOUR)
  await must(bee, { type: OP.JOB_SHIP, jobId: id, note: '' }, OTHER, t0 + 8 * HOUR)
  t.alike((await getPeerStats(bee, OTHER)).shipMs, [3 * HOUR])
  t.alike((await getPeerStats(bee, PRINTER2)).shipMs, [0], 'the withdrawn printer gets nothing')
  t.is(median([]), null)
  t.is(median([5]), 5)
})

test('stats: the ship-time list is bounded and keeps the most recent', async (t) => {
  const bee = await openBee(t)
  // constructed histories through the hook: durations 1..150 minutes
  const job = await mustGet(bee, await jobTo(bee, CLIENT, PRINTER, 'active', { acceptAt: 0 }))
  for (let i = 1; i <= 150; i++) {
    const accept = { action: OP.JOB_ACCEPT, from: 'open' as const, to: 'accepted' as const, by: PRINTER, at: 1000, note: '' }
    const prev: JobRecord = { ...job, status: 'active', history: [job.history[0], accept] }
    const next: JobRecord = { ...prev, status: 'shipped', rev: prev.rev + 1, history: [...prev.history, { action: OP.JOB_SHIP, from: 'active', to: 'shipped', by: PRINTER, at: 1000 + i * 60_000, note: '' }] }
    await rewrite(bee, prev, next)
  }
  const s = await getPeerStats(bee, PRINTER)
  t.is(s.shipMs.length, SHIP_SAMPLES)
  t.is(s.shipMs[0], (150 - SHIP_SAMPLES + 1) * 60_000, 'oldest samples dropped')
  t.is(s.printerShipped, 150, 'the count is not bounded')
  t.is((await peerRecord(bee, PRINTER)).asPrinter.medianShipHours, Math.round((100 * 60_000 / HOUR) * 100) / 100, 'median of minutes 50..150 is 100')
})

test('disputes: opened by the author of job/dispute, lost by the side a ruling goes against', async (t) => {
  const bee = await openBee(t)
  const d1 = await jobTo(bee, CLIENT, PRINTER, 'disputed')
  const d2 = await jobTo(bee, CLIENT2, PRINTER, 'shipped')
  await must(bee, { type: OP.JOB_DISPUTE, jobId: d2, reason: 'not paid' }, PRINTER)
  t.is((await getPeerStats(bee, CLIENT)).disputesOpened, 1)
  t.is((await getPeerStats(bee, CLIENT2)).disputesOpened, 0)
  t.is((await getPeerStats(bee, PRINTER)).disputesOpened, 1)

  // the arbitrator's ruling as the reducer records it (escrow.ruling), against the printer
  const job = await mustGet(bee, d1)
  const escrow = { ruling: null } as unknown as EscrowRecord // only the ruling matters to the hook
  const prev: JobRecord = { ...job, escrow }
  await hook(bee, job, prev)
  const ruled: JobRecord = { ...prev, escrow: { ...escrow, ruling: { winner: 'client', feeScript: b4a.alloc(22) } } }
  await hook(bee, prev, ruled)
  t.is((await getPeerStats(bee, PRINTER)).disputesLost, 1, 'ruling for the client: the printer lost')
  t.is((await getPeerStats(bee, CLIENT)).disputesWon, 1)
  t.is((await getPeerStats(bee, CLIENT)).disputesLost, 0)
  await hook(bee, ruled, { ...ruled, updatedAt: ruled.updatedAt + 1 })
  t.is((await getPeerStats(bee, PRINTER)).disputesLost, 1, 'the same ruling is counted once')

  // the percentage form: < 50 the printer lost, > 50 the client lost, 50 nobody
  t.is(loserOf({ printerPct: 30 }), 'printer')
  t.is(loserOf({ printerPct: 70, winner: 'printer' }), 'client')
  t.is(loserOf({ printerPct: 50 }), null)
  t.is(loserOf({ winner: 'printer' }), 'client')
  // a mediation ruling (job.dispute.ruling) wins over the escrow's winner, and a job is counted once
  const split = { ...prev, dispute: { ruling: { printerPct: 50 } } } as unknown as JobRecord
  const beforeSplit = await getPeerStats(bee, PRINTER)
  await hook(bee, prev, { ...split, escrow: { ...escrow, ruling: { winner: 'client', feeScript: b4a.alloc(22) } } })
  t.alike(await getPeerStats(bee, PRINTER), beforeSplit, 'a 50 % ruling loses nobody a dispute')
  await hook(bee, prev, { ...prev, dispute: { ruling: { printerPct: 20 } } } as unknown as JobRecord)
  t.is((await getPeerStats(bee, PRINTER)).disputesLost, 2, 'printerPct 20: the printer lost')
  await hook(bee, { ...prev, dispute: { ruling: { printerPct: 20 } } } as unknown as JobRecord, ruled)
  t.is((await getPeerStats(bee, PRINTER)).disputesLost, 2, 'a job already ruled is not counted again')
  const j2 = await mustGet(bee, d2)
  let batch = bee.batch()
  await countRulingOn(batch, j2, { printerPct: 80 })
  await batch.flush()
  t.is((await getPeerStats(bee, CLIENT2)).disputesLost, 1)
  batch = bee.batch()
  await countRulingOn(batch, j2, { printerPct: 50 })
  await batch.flush()
  t.is((await getPeerStats(bee, CLIENT2)).disputesLost, 1, 'an even split loses nobody a dispute')
  t.is((await getPeerStats(bee, PRINTER)).disputesLost, 2)
  const rec = await peerRecord(bee, PRINTER)
  t.is(rec.disputesOpened, 1)
  t.is(rec.disputesLost, 2)
  const both = await jobRecords(bee, j2)
  t.is(both.clientRecord.disputesLost, 1)
  t.is(both.printerRecord?.disputesOpened, 1)
})

// --- printer profiles ---------------------------------------------------------------------------------------------------

const profile = (materials: Material[], country: string, note = ''): OpBody => ({ type: OP.PRINTER_PROFILE, profile: { materials, bedMm: [220, 220, 250], country, note } })
const ids = (list: Array<{ writer: Uint8Array }>): string[] => list.map(p => b4a.toString(p.writer, 'hex').slice(0, 2)).sort()

test('profiles: latest per writer wins; filtered listing by material and country', async (t) => {
  const bee = await openBee(t)
  const A = b4a.alloc(32, 0xa1)
  const B = b4a.alloc(32, 0xa2)
  const C = b4a.alloc(32, 0xa3)
  t.ok(await run(bee, profile(['PLA', 'PETG'], 'DE', 'MK4'), A))
  t.ok(await run(bee, profile(['PLA'], 'FR'), B))
  t.ok(await run(bee, profile(['Resin'], 'DE'), C))
  t.absent(await run(bee, profile(['PLA'], 'XX'), OTHER), 'not a country: refused')
  t.absent(await run(bee, profile(['PLA', 'PLA'], 'DE'), OTHER), 'repeated material: refused')
  t.absent(await run(bee, { type: OP.PRINTER_PROFILE, profile: { materials: ['PLA'], bedMm: [0, 200, 200], country: 'DE', note: '' } }, OTHER), 'empty bed: refused')
  t.absent(await run(bee, profile([], 'DE'), OTHER), 'unlisting without a profile: nothing to do')

  t.alike(ids(await listPrinters(bee, {})), ['a1', 'a2', 'a3'])
  t.alike(ids(await listPrinters(bee, { material: 'PLA' })), ['a1', 'a2'])
  t.alike(ids(await listPrinters(bee, { country: 'DE' })), ['a1', 'a3'])
  t.alike(ids(await listPrinters(bee, { material: 'PLA', country: 'DE' })), ['a1'])
  t.alike(ids(await listPrinters(bee, { material: 'PETG', country: 'FR' })), [])
  t.is((await listPrinters(bee, { limit: 2 })).length, 2)

  // A moves to FR and drops PETG: the old index entries go
  t.ok(await run(bee, profile(['PLA'], 'FR', 'moved'), A))
  t.alike(ids(await listPrinters(bee, { material: 'PLA', country: 'DE' })), [])
  t.alike(ids(await listPrinters(bee, { material: 'PETG' })), [])
  t.alike(ids(await listPrinters(bee, { material: 'PLA', country: 'FR' })), ['a1', 'a2'])
  t.is((await getProfile(bee, A))?.note, 'moved')
  t.alike((await peerRecord(bee, A)).profile?.materials, ['PLA'])

  // materials are stored in canonical order
  t.ok(await run(bee, profile(['TPU', 'ABS'], 'FR'), B))
  t.alike((await getProfile(bee, B))?.materials, ['ABS', 'TPU'])

  // unlisting removes the profile and every index entry
  t.ok(await run(bee, profile([], 'ZZ'), C))
  t.is(await getProfile(bee, C), null)
  t.alike(ids(await listPrinters(bee, { country: 'DE' })), [])
  t.alike(ids(await listPrinters(bee, {})), ['a1', 'a2'])
})

test('flags: rating, bed, profile', (t) => {
  t.is(parseRating('4'), 4)
  t.exception(() => parseRating('4.5'))
  t.exception(() => parseRating(undefined))
  t.alike(parseBed('220x220x250'), [220, 220, 250])
  t.alike(parseBed('300 × 300 × 400'), [300, 300, 400])
  t.exception(() => parseBed('220x220'))
  t.alike(parseProfile({ material: 'pla,petg,PLA', bed: '220x220x250', country: 'de' }), { materials: ['PLA', 'PETG'], bedMm: [220, 220, 250], country: 'DE', note: '' })
  t.exception(() => parseProfile({ material: 'pla', bed: '1x1x1', country: 'xx' }))
})

// --- live peers ----------------------------------------------------------------------------------------------------------

test('three peers: reviews, peer records and the printer listing through the command functions', { timeout: 90_000 }, async (t) => {
  const { peers } = await openMarkets(t, 3)
  const [A, B, C] = peers.map(p => p.market) // A created the market; B is a client, C a printer
  await Promise.all([B, C].map(m => m.sync(15_000)))
  const { jobId } = await B.append({ type: OP.JOB_CREATE, job: FIELDS })
  if (jobId === null) throw new Error('no job id')
  const idText = jobIdString(jobId)
  const seen = async (m: typeof A, status: string): Promise<boolean> => { await m.update(); return (await m.getJob(jobId))?.job.status === status }
  t.ok(await eventually(() => seen(C, 'open'), 25_000), 'the printer sees the job')
  await C.append({ type: OP.JOB_ACCEPT, jobId })
  await C.append({ type: OP.JOB_SHIP, jobId, note: '' })
  t.ok(await eventually(() => seen(B, 'shipped'), 25_000), 'the client sees it shipped')
  await t.exception(reviewOn(B, idText, 5, 'too early'), /closed/, 'a shipped job cannot be reviewed yet')
  await B.append({ type: OP.JOB_COMPLETE, jobId })
  await B.update()

  const mine = await reviewOn(B, idText, 5, 'perfect print')
  t.is(mine.subject, peerId(C.writerKey))
  t.alike(mine.record.asPrinter.rating, { average: 5, count: 1 })
  await t.exception(reviewOn(B, idText, 1, 'again'), /already reviewed/, 'a second review is refused locally')
  await t.exception(reviewOn(A, idText, 3, ''), /only the client and the printer/, 'a stranger cannot review')

  const listed = await publishProfile(C, { materials: ['PLA', 'PETG'], bedMm: [250, 210, 220], country: 'DE', note: 'MK4' })
  t.alike(listed?.materials, ['PLA', 'PETG'])
  t.ok(await eventually(() => seen(C, 'completed'), 25_000))
  await reviewOn(C, idText, 4, 'clear instructions')

  const cId = peerId(C.writerKey)
  t.ok(await eventually(async () => {
    await A.update()
    const r = await peerOf(A, cId)
    return r.rating.count === 1 && r.profile !== null && r.asPrinter.completed === 1
  }, 25_000), 'the third peer derives the printer\'s record from the log')
  const rec = await peerOf(A, cId)
  t.is(rec.id, cId)
  t.is(rec.asPrinter.completed, 1)
  t.is(rec.asPrinter.shipSamples, 1)
  t.ok(rec.asPrinter.medianShipHours !== null && rec.asPrinter.medianShipHours >= 0)
  t.is(rec.disputesOpened, 0)
  t.is(rec.disputesLost, 0)
  t.alike(rec.rating, { average: 5, count: 1 })
  t.is(rec.reviews[0].text, 'perfect print')
  t.is(rec.reviews[0].by, peerId(B.writerKey))
  t.is(rec.profile?.country, 'DE')
  t.ok(JSON.parse(JSON.stringify(rec)).asClient.completed === 0, 'JSON-safe')

  t.ok(await eventually(async () => { await A.update(); return (await peerOf(A, peerId(B.writerKey))).rating.count === 1 }, 25_000))
  const bRec = await peerOf(A, peerId(B.writerKey))
  t.is(bRec.asClient.completed, 1)
  t.alike(bRec.asClient.rating, { average: 4, count: 1 })
  t.is(bRec.profile, null)

  const pla = await printersOf(A, { material: 'PLA', country: 'DE' })
  t.is(pla.length, 1)
  t.is(pla[0].id, cId)
  t.is(pla[0].record.asPrinter.completed, 1)
  t.is((await printersOf(A, { material: 'Resin' })).length, 0)
  t.is((await printersOf(A, { country: 'FR' })).length, 0)
  t.alike((await peerOf(C)).id, cId, 'no id: your own record')
})

// --- splits -----------------------------------------------------------------------------------------------------------

test('splits: a mediated or arbitrated split counts as a split with each side\'s share, never as completed or cancelled', async (t) => {
  const { peerStats, emptyStats } = await import('../lib/reputation/records.js')
  const { outcomeOf } = await import('../lib/job/outcome.js')
  const { jobToJSON } = await import('../lib/job/json.js')
  const { recordLine } = await import('../ui/reputation.js')
  const { renderResult } = await import('../ui/text.js')
  const c = (await import('compact-encoding')).default
  const bee = await openBee(t)
  const txid = b4a.alloc(32, 7)

  // a mediator's 30 % proposal, accepted by both and paid: apply moves the job to cancelled (< 50 %)
  const d1 = await mustGet(bee, await jobTo(bee, CLIENT, PRINTER, 'disputed'))
  const mediated = { ...d1, status: 'cancelled', escrow: { ruling: null, closed: { kind: 'split', txid } }, dispute: { proposal: { printerPct: 30 }, ruling: null } } as unknown as JobRecord
  t.alike(outcomeOf(mediated), { kind: 'split', printerPct: 30, by: 'mediator' }, 'the outcome names the split and the printer\'s %')
  await hook(bee, d1, mediated)
  let p = await getPeerStats(bee, PRINTER)
  let cl = await getPeerStats(bee, CLIENT)
  t.alike([p.printerCancelled, p.printerCompleted, cl.clientCancelled, cl.clientCompleted], [0, 0, 0, 0], 'a 30 % split is no cancellation on either record')
  t.alike([p.printerSplit, p.printerSplitPctSum, cl.clientSplit, cl.clientSplitPctSum], [1, 30, 1, 70], 'each side: one split, with the share it got')

  // the arbitrator's 60 % ruling, paid: apply moves it to completed (≥ 50 %); the ruling itself counted won/lost before
  const d2 = await mustGet(bee, await jobTo(bee, CLIENT2, PRINTER, 'disputed'))
  const ruled = { ...d2, escrow: { ruling: null, closed: null }, dispute: { proposal: null, ruling: { printerPct: 60 } } } as unknown as JobRecord
  await hook(bee, d2, ruled)
  t.is((await getPeerStats(bee, CLIENT2)).disputesLost, 1, 'the ruling: the client lost the dispute')
  const paid = { ...ruled, status: 'completed', escrow: { ruling: null, closed: { kind: 'ruling', txid } } } as unknown as JobRecord
  await hook(bee, ruled, paid)
  p = await getPeerStats(bee, PRINTER)
  t.is(p.printerCompleted, 0, 'a 60 % ruling is no completion')
  t.alike([p.printerSplit, p.printerSplitPctSum], [2, 90], 'the printer: two splits, 30 % and 60 %')
  t.is((await getPeerStats(bee, CLIENT2)).clientSplitPctSum, 40)
  t.is((await getPeerStats(bee, CLIENT2)).disputesLost, 1, 'the ruling is not counted again when it is paid')

  // completion and cancellation by agreement are still what they were
  const d3 = await mustGet(bee, await jobTo(bee, CLIENT, PRINTER2, 'disputed'))
  await hook(bee, d3, { ...d3, status: 'cancelled', escrow: { ruling: null, closed: { kind: 'cancel', txid } } } as unknown as JobRecord)
  t.is((await getPeerStats(bee, PRINTER2)).printerCancelled, 1, 'a cancel by agreement is a cancellation')
  t.is((await getPeerStats(bee, PRINTER2)).printerSplit, 0)
  await jobTo(bee, CLIENT, PRINTER2, 'completed')
  t.is((await getPeerStats(bee, PRINTER2)).printerCompleted, 1)

  // the record shows it
  const rec = await peerRecord(bee, PRINTER)
  t.alike(rec.asPrinter.split, { count: 2, averageSharePct: 45 })
  t.alike(rec.asPrinter.completed, 0)
  t.ok(recordLine(rec, 'printer').includes('0 completed, 0 cancelled, 2 split in a dispute (got 45 % of the bounty on average)'), recordLine(rec, 'printer'))
  t.ok(recordLine(await peerRecord(bee, CLIENT), 'client').includes('1 split in a dispute (got 70 % of the bounty on average)'))
  t.absent(recordLine(await peerRecord(bee, PRINTER2), 'printer').includes('split'), 'no splits: nothing said about them')

  // the job's own status text says what happened; JSON keeps the status apply gave it and adds the outcome
  const json = jobToJSON(await mustGet(bee, d1.id), true)
  t.is(json.outcome, null, 'the job in the view was never closed by escrow: no split')
  const shown = { ...jobToJSON({ ...d1, escrow: null, dispute: null }, true), status: 'cancelled' as const, outcome: outcomeOf(mediated) }
  const text = renderResult({ kind: 'job', data: shown })
  t.ok(text.includes('status    split: the printer got 30 % of the bounty, the client 70 % (the mediator\'s proposal, accepted by both sides)'), text.split('\n')[2])
  const table = renderResult({ kind: 'jobs', data: { jobs: [shown], peers: 0, total: 1 } })
  t.ok(table.includes('split 30%') && !table.includes('cancelled'), table)

  // a record written before splits were counted apart (no trailing fields) still decodes, with no splits
  const full = c.encode(peerStats, { ...emptyStats(), printerCompleted: 3, shipMs: [5] })
  const old = full.subarray(0, full.byteLength - 4)
  const decoded = c.decode(peerStats, old)
  t.is(decoded.printerCompleted, 3)
  t.alike([decoded.clientSplit, decoded.printerSplit, decoded.printerSplitPctSum], [0, 0, 0], 'old records read as no splits')
  t.alike(c.decode(peerStats, c.encode(peerStats, p)), p, 'round trip with the split fields')
})
