// Quotes and offers (issue 15): the reducer's rules for job/quote, job/quote-withdraw, job/offer and the accept that
// follows an offer, op by op as a modified client could send them (early, late, twice, by the other side, with the
// largest numbers the codec allows, past the limits), then between peers on the local testnet.
import test from 'brittle'
import b4a from 'b4a'
import { openBee } from './helpers.js'
import { OP, LIMITS, QUOTE_LIMITS, encodeOp, decodeOp, type OpBody, type JobFields, type JobRecord } from '../lib/schema.js'
import { MAX_SATS } from '../lib/codec.js'
import { Reducer } from './reducer.js'
import { putClock } from '../lib/market/clock.js'
import { getJob, getWriter, type View } from '../lib/market/view.js'
import { getQuote, quotesOf, quotedJobs } from '../lib/market/quotes.js'

const CLIENT = b4a.alloc(32, 0xc1)
const CLIENT2 = b4a.alloc(32, 0xc2)
const PRINTER = b4a.alloc(32, 0xb2)
const PRINTER2 = b4a.alloc(32, 0xb3)
const FIELDS: JobFields = { title: 'Benchy', material: 'PLA', colors: ['red'], bountySats: 10_000, country: 'DE', notes: '' }
const HOUR = 3_600_000

const r = new Reducer()
const run = async (bee: View, body: OpBody, author: Uint8Array, at?: number): Promise<boolean> => await r.run(bee, body, author, at)
const must = async (bee: View, body: OpBody, author: Uint8Array, at?: number): Promise<void> => await r.must(bee, body, author, at)

async function create (bee: View, fields: JobFields = FIELDS, quotes = false, client = CLIENT): Promise<Uint8Array> {
  const id = r.nextJobId(client)
  await must(bee, { type: OP.JOB_CREATE, job: fields, quotes }, client)
  return id
}

// A view with a market clock (quotes are counted per hour of market time; a market without one takes none).
async function marketBee (t: Parameters<typeof openBee>[0], now = r.clock): Promise<View> {
  const bee = await openBee(t)
  await setMarketTime(bee, now)
  return bee
}

async function setMarketTime (bee: View, now: number): Promise<void> {
  const b = bee.batch()
  await putClock(b, { now, ticks: [] })
  await b.flush()
}

async function job (bee: View, id: Uint8Array): Promise<JobRecord> {
  const j = await getJob(bee, id)
  if (j === null) throw new Error('no job')
  return j
}

const quote = (jobId: Uint8Array, priceSats: number, leadDays = 5, extra: Partial<{ material: 'PETG' | null, colors: string[], note: string }> = {}): OpBody =>
  ({ type: OP.JOB_QUOTE, jobId, priceSats, leadDays, material: extra.material ?? null, colors: extra.colors ?? [], note: extra.note ?? '' })
const offer = (jobId: Uint8Array, printer: Uint8Array, priceSats: number, leadDays = 5, material: 'PETG' | null = null): OpBody =>
  ({ type: OP.JOB_OFFER, jobId, printer, priceSats, leadDays, material, colors: [] })

test('quotes: a printer quotes, replaces and withdraws; the job counts live quotes; limits per job', async (t) => {
  const bee = await marketBee(t)
  const id = await create(bee)
  t.ok(await run(bee, quote(id, 9_000, 4, { material: 'PETG', note: 'PETG is stronger' }), PRINTER), 'a printer quotes an open job')
  let q = await getQuote(bee, id, PRINTER)
  t.alike([q?.priceSats, q?.leadDays, q?.material, q?.note, q?.revs, q?.live], [9_000, 4, 'PETG', 'PETG is stronger', 1, true])
  t.is((await job(bee, id)).quotes, 1)
  t.ok(await run(bee, quote(id, 8_500, 6), PRINTER), 'it replaces its quote')
  q = await getQuote(bee, id, PRINTER)
  t.alike([q?.priceSats, q?.leadDays, q?.material, q?.revs], [8_500, 6, null, 2])
  t.is((await job(bee, id)).quotes, 1, 'a replacement is still one quote')
  t.absent(await run(bee, quote(id, 8_000), CLIENT), 'the client may not quote its own job')
  t.absent(await run(bee, quote(id, 0), PRINTER2), 'a price of 0 is refused')
  t.absent(await run(bee, quote(id, 10, 0), PRINTER2), 'a lead time of 0 days is refused')
  t.absent(await run(bee, quote(id, 10, 5, { colors: [' '] }), PRINTER2), 'a blank colour is refused')
  t.ok(await run(bee, quote(id, MAX_SATS, QUOTE_LIMITS.leadDays), PRINTER2), 'the largest price and lead time the codec allows apply')
  t.is((await job(bee, id)).quotes, 2)
  t.exception(() => decodeOp(encodeOp(quote(id, MAX_SATS + 1), 1)), /integer above/, 'a price over 21 million BTC does not decode')
  t.alike((await quotesOf(bee, id)).map(x => x.priceSats), [8_500, MAX_SATS], 'quotes listed cheapest first')
  t.alike((await quotedJobs(bee, PRINTER)).map(x => b4a.toString(x, 'hex')), [b4a.toString(id, 'hex')], 'a printer\'s quoted jobs are an index range')

  t.ok(await run(bee, { type: OP.JOB_QUOTE_WITHDRAW, jobId: id }, PRINTER), 'the printer withdraws its quote')
  t.absent(await run(bee, { type: OP.JOB_QUOTE_WITHDRAW, jobId: id }, PRINTER), 'twice: nothing left to withdraw')
  t.absent(await run(bee, { type: OP.JOB_QUOTE_WITHDRAW, jobId: id }, CLIENT), 'the client has no quote to withdraw')
  t.is((await job(bee, id)).quotes, 1)
  t.is((await quotesOf(bee, id)).length, 1, 'a withdrawn quote is not listed')
  t.is((await quotesOf(bee, id, true)).length, 2, '…but its record stays')
  for (let i = 2; i < QUOTE_LIMITS.revisionsPerJob; i++) t.ok(await run(bee, quote(id, 7_000 + i), PRINTER), `revision ${i + 1}`)
  t.is((await getQuote(bee, id, PRINTER))?.revs, QUOTE_LIMITS.revisionsPerJob)
  t.absent(await run(bee, quote(id, 7_000), PRINTER), `a printer writes at most ${QUOTE_LIMITS.revisionsPerJob} quotes on one job, withdrawals do not reset it`)

  const cancelled = await create(bee)
  await must(bee, { type: OP.JOB_CANCEL, jobId: cancelled }, CLIENT)
  t.absent(await run(bee, quote(cancelled, 1_000), PRINTER), 'a cancelled job takes no quote')
  t.absent(await run(bee, quote(b4a.alloc(16, 9), 1_000), PRINTER), 'a job that does not exist takes no quote')
})

test('quotes: at most QUOTE_LIMITS.perHour per printer per hour of market time', async (t) => {
  const bee = await marketBee(t)
  const open: Uint8Array[] = []
  for (const client of [CLIENT, CLIENT2]) for (let i = 0; i < QUOTE_LIMITS.perHour / 2 + 1; i++) open.push(await create(bee, FIELDS, false, client))
  const t0 = r.clock + 1
  for (let i = 0; i < QUOTE_LIMITS.perHour; i++) await must(bee, quote(open[i], 1_000), PRINTER, t0 + i)
  t.is((await getWriter(bee, PRINTER)).quotesInHour, QUOTE_LIMITS.perHour, `${QUOTE_LIMITS.perHour} quotes in the hour`)
  t.absent(await run(bee, quote(open[QUOTE_LIMITS.perHour], 1_000), PRINTER, t0 + 100), 'one more in the same hour is refused')
  t.absent(await run(bee, quote(open[0], 900), PRINTER, t0 + 101), '…a replacement too')
  t.ok(await run(bee, quote(open[QUOTE_LIMITS.perHour], 1_000), PRINTER2, t0 + 102), 'another printer is not held by it')
  await setMarketTime(bee, t0 + HOUR + 1) // market time, not the ops' own times, counts the hour
  r.clock = t0 + HOUR + 1
  t.ok(await run(bee, quote(open[QUOTE_LIMITS.perHour], 1_000), PRINTER), 'an hour later the printer quotes again')
  t.is((await getWriter(bee, PRINTER)).quotesInHour, 1, 'in a new hour')
})

test('offers: taking a quote, a counter-offer, replacing and taking back; only the offered printer accepts, at the offered price', async (t) => {
  const bee = await marketBee(t)
  const id = await create(bee)
  t.absent(await run(bee, offer(id, PRINTER, 9_000), CLIENT), 'an offer before the printer quoted is refused (an offer answers a live quote)')
  await must(bee, quote(id, 9_000, 4, { material: 'PETG' }), PRINTER)
  await must(bee, quote(id, 9_500, 3), PRINTER2)
  t.absent(await run(bee, offer(id, PRINTER, 9_000), PRINTER2), 'only the client offers')
  t.absent(await run(bee, offer(id, CLIENT, 9_000), CLIENT), 'the client may not offer the job to itself')
  t.absent(await run(bee, offer(id, PRINTER, 9_000, 0), CLIENT), 'an offer without a lead time is refused')
  t.ok(await run(bee, offer(id, PRINTER, 9_000, 4, 'PETG'), CLIENT), 'the client takes the quote')
  let j = await job(bee, id)
  t.alike([j.offer?.priceSats, b4a.equals(j.offer?.printer ?? b4a.alloc(0), PRINTER), j.offers], [9_000, true, 1])
  t.is(j.history[j.history.length - 1].action, OP.JOB_OFFER, 'the offer is in the job\'s history')

  t.absent(await run(bee, { type: OP.JOB_ACCEPT, jobId: id, priceSats: 9_500 }, PRINTER2), 'another printer may not accept while the offer stands')
  t.absent(await run(bee, { type: OP.JOB_ACCEPT, jobId: id }, PRINTER2), '…nor accept it as posted')
  t.absent(await run(bee, { type: OP.JOB_ACCEPT, jobId: id }, PRINTER), 'the offered printer must state the offered price')
  t.absent(await run(bee, { type: OP.JOB_ACCEPT, jobId: id, priceSats: 10_000 }, PRINTER), '…not the posted bounty')

  t.ok(await run(bee, offer(id, PRINTER2, 9_200, 3), CLIENT), 'a counter-offer to the other printer replaces the first offer')
  t.absent(await run(bee, { type: OP.JOB_ACCEPT, jobId: id, priceSats: 9_000 }, PRINTER), 'the first printer\'s accept, on its way when the offer changed, is refused')
  t.ok(await run(bee, offer(id, PRINTER2, 0), CLIENT), 'the client takes its offer back')
  t.absent(await run(bee, offer(id, PRINTER2, 0), CLIENT), 'twice: no offer stands')
  t.is((await job(bee, id)).offer, null)
  t.ok(await run(bee, offer(id, PRINTER2, 9_200, 3), CLIENT), 'and offers again')
  t.ok(await run(bee, { type: OP.JOB_ACCEPT, jobId: id, priceSats: 9_200 }, PRINTER2), 'the offered printer accepts at the offered price')
  j = await job(bee, id)
  t.alike([j.status, j.bountySats, j.leadDays, j.offer, j.material], ['active', 9_200, 3, null, 'PLA'], 'the deal is made at the offer: bounty 9 200, 3 days')
  t.ok(j.printer !== null && b4a.equals(j.printer, PRINTER2))
  t.absent(await run(bee, offer(id, PRINTER, 9_000), CLIENT), 'no offer on an accepted job')
  t.absent(await run(bee, quote(id, 9_000), PRINTER), 'no quote on an accepted job')

  // a taken quote that proposed a material: the job is printed in it
  const id2 = await create(bee)
  await must(bee, quote(id2, 9_000, 4, { material: 'PETG', colors: ['black'] }), PRINTER)
  await must(bee, { type: OP.JOB_OFFER, jobId: id2, printer: PRINTER, priceSats: 9_000, leadDays: 4, material: 'PETG', colors: ['black'] }, CLIENT)
  t.ok(await run(bee, { type: OP.JOB_ACCEPT, jobId: id2, priceSats: 9_000 }, PRINTER))
  j = await job(bee, id2)
  t.alike([j.material, j.colors, j.bountySats], ['PETG', ['black'], 9_000], 'the accepted offer\'s material and colours are the job\'s')

  // a printer that withdraws its quote declines the offer standing to it
  const id3 = await create(bee)
  await must(bee, quote(id3, 5_000), PRINTER)
  await must(bee, offer(id3, PRINTER, 4_000), CLIENT)
  t.ok(await run(bee, { type: OP.JOB_QUOTE_WITHDRAW, jobId: id3 }, PRINTER), 'the printer withdraws its quote')
  t.is((await job(bee, id3)).offer, null, '…and the offer to it is gone')
  t.absent(await run(bee, offer(id3, PRINTER, 4_000), CLIENT), 'no offer to a printer without a live quote')
  t.ok(await run(bee, { type: OP.JOB_ACCEPT, jobId: id3, priceSats: FIELDS.bountySats }, PRINTER2), 'with no offer standing the job is accepted as posted, at its bounty')
})

test('offers: the client writes at most QUOTE_LIMITS.offersPerJob on a job; a job open to quotes is taken only through an offer', async (t) => {
  const bee = await marketBee(t)
  const id = await create(bee)
  await must(bee, quote(id, 5_000), PRINTER)
  for (let i = 0; i < QUOTE_LIMITS.offersPerJob; i++) await must(bee, offer(id, PRINTER, 4_000 + i), CLIENT)
  t.absent(await run(bee, offer(id, PRINTER, 3_000), CLIENT), `offer ${QUOTE_LIMITS.offersPerJob + 1} is refused`)
  t.ok(await run(bee, { type: OP.JOB_ACCEPT, jobId: id, priceSats: 4_000 + QUOTE_LIMITS.offersPerJob - 1 }, PRINTER), 'the last offer still stands and is accepted')

  t.absent(await run(bee, { type: OP.JOB_CREATE, job: { ...FIELDS, bountySats: 0 } }, CLIENT), 'a job not open to quotes needs a bounty')
  const open = await create(bee, { ...FIELDS, bountySats: 0 }, true)
  let j = await job(bee, open)
  t.alike([j.openToQuotes, j.bountySats], [true, 0], 'a job open to quotes may leave the bounty out')
  t.absent(await run(bee, { type: OP.JOB_ACCEPT, jobId: open }, PRINTER), 'it cannot be accepted as posted')
  t.absent(await run(bee, { type: OP.JOB_ACCEPT, jobId: open, priceSats: 0 }, PRINTER), '…at no price')
  await must(bee, quote(open, 12_000, 10), PRINTER)
  await must(bee, offer(open, PRINTER, 12_000, 10), CLIENT)
  t.ok(await run(bee, { type: OP.JOB_ACCEPT, jobId: open, priceSats: 12_000 }, PRINTER), 'it is accepted through the offer')
  j = await job(bee, open)
  t.alike([j.status, j.bountySats, j.leadDays], ['active', 12_000, 10])
  t.ok(await run(bee, { type: OP.JOB_WITHDRAW, jobId: open }, PRINTER), 'the printer withdraws')
  j = await job(bee, open)
  t.alike([j.status, j.offer], ['open', null], 'the job is open again with no offer standing')
  t.absent(await run(bee, { type: OP.JOB_ACCEPT, jobId: open, priceSats: 12_000 }, PRINTER2), 'still open to quotes: no accept without an offer')
})

test('quotes: a printer that left a job twice may neither quote it nor be offered it', async (t) => {
  const bee = await marketBee(t)
  const id = await create(bee)
  for (let i = 0; i < LIMITS.acceptsPerPrinter; i++) {
    await must(bee, { type: OP.JOB_ACCEPT, jobId: id }, PRINTER)
    await must(bee, { type: OP.JOB_WITHDRAW, jobId: id }, PRINTER)
  }
  t.absent(await run(bee, quote(id, 1_000), PRINTER), 'no quote')
  await must(bee, quote(id, 1_000), PRINTER2)
  t.absent(await run(bee, offer(id, PRINTER, 1_000), CLIENT), 'no offer to it')
})

// Found by an attacker's review of the first version (issue 15's closing note): each of these passed then.
test('review: a printer that leaves takes the accepted offer\'s terms with it; the job is back at its posted terms', async (t) => {
  const bee = await marketBee(t)
  const id = await create(bee)
  await must(bee, quote(id, 100_000, 2, { material: 'PETG', colors: ['gold'] }), PRINTER)
  await must(bee, { type: OP.JOB_OFFER, jobId: id, printer: PRINTER, priceSats: 100_000, leadDays: 2, material: 'PETG', colors: ['gold'] }, CLIENT)
  await must(bee, { type: OP.JOB_ACCEPT, jobId: id, priceSats: 100_000 }, PRINTER)
  t.alike([(await job(bee, id)).bountySats, (await job(bee, id)).material], [100_000, 'PETG'], 'the deal at the offer')
  await must(bee, { type: OP.JOB_WITHDRAW, jobId: id }, PRINTER)
  const j = await job(bee, id)
  t.alike([j.status, j.bountySats, j.material, j.colors, j.leadDays, j.posted], ['open', FIELDS.bountySats, 'PLA', ['red'], 0, null], 'open again at the posted bounty, material and colours')
  t.absent(await run(bee, { type: OP.JOB_ACCEPT, jobId: id, priceSats: 100_000 }, PRINTER2), 'another key cannot take it at the offer\'s price')
  t.ok(await run(bee, { type: OP.JOB_ACCEPT, jobId: id, priceSats: FIELDS.bountySats }, PRINTER2), 'only at the posted bounty')
})

test('review: an accept states the revision of the terms it saw; an edit or a new offer since refuses it', async (t) => {
  const bee = await marketBee(t)
  const id = await create(bee)
  await must(bee, quote(id, 20_000, 30), PRINTER)
  await must(bee, offer(id, PRINTER, 20_000, 30), CLIENT)
  const seen = (await job(bee, id)).rev
  await must(bee, offer(id, PRINTER, 20_000, 1, 'PETG'), CLIENT) // same price, other terms
  t.absent(await run(bee, { type: OP.JOB_ACCEPT, jobId: id, priceSats: 20_000, termsRev: seen }, PRINTER), 'an offer replaced at the same price refuses the accept written before it')
  const seen2 = (await job(bee, id)).rev
  await must(bee, { type: OP.JOB_UPDATE, jobId: id, patch: { notes: 'now 50 parts' } }, CLIENT)
  t.absent(await run(bee, { type: OP.JOB_ACCEPT, jobId: id, priceSats: 20_000, termsRev: seen2 }, PRINTER), 'so does an edit of the job while the offer stands')
  t.absent(await run(bee, { type: OP.JOB_ACCEPT, jobId: id, priceSats: 20_000, termsRev: 999 }, PRINTER), 'and a revision that never was')
  t.ok(await run(bee, { type: OP.JOB_ACCEPT, jobId: id, priceSats: 20_000, termsRev: (await job(bee, id)).rev }, PRINTER), 'the accept of the terms as they stand takes it')
})

test('review: a job/create keeps the hour\'s quote count; at the offer limit the client can still take its offer back; no clock, no quotes', async (t) => {
  const bee = await marketBee(t)
  const ids: Uint8Array[] = []
  for (let i = 0; i < QUOTE_LIMITS.perHour + 1; i++) ids.push(await create(bee, FIELDS, false, i % 2 === 0 ? CLIENT : CLIENT2))
  for (let i = 0; i < QUOTE_LIMITS.perHour; i++) await must(bee, quote(ids[i], 1_000), PRINTER)
  const own = r.nextJobId(PRINTER)
  await must(bee, { type: OP.JOB_CREATE, job: FIELDS }, PRINTER)
  t.is((await getWriter(bee, PRINTER)).quotesInHour, QUOTE_LIMITS.perHour, 'posting a job of its own keeps the printer\'s quote count')
  t.absent(await run(bee, quote(ids[QUOTE_LIMITS.perHour], 1_000), PRINTER), 'so the limit still holds')
  await must(bee, { type: OP.JOB_CANCEL, jobId: own }, PRINTER)

  const id = ids[0]
  for (let i = 0; i < QUOTE_LIMITS.offersPerJob; i++) await must(bee, offer(id, PRINTER, 500 + i), CLIENT)
  t.absent(await run(bee, offer(id, PRINTER, 400), CLIENT), 'no offer past the limit')
  t.ok(await run(bee, offer(id, PRINTER, 0), CLIENT), 'but the standing one can always be taken back')
  t.ok(await run(bee, { type: OP.JOB_ACCEPT, jobId: id, priceSats: FIELDS.bountySats }, PRINTER2), 'and the job is accepted as posted')

  const old = await openBee(t) // a market made before schema v6: no clock
  const r2 = new Reducer()
  const oid = r2.nextJobId(CLIENT)
  await r2.must(old, { type: OP.JOB_CREATE, job: FIELDS }, CLIENT)
  t.absent(await r2.run(old, quote(oid, 1_000), PRINTER), 'a market without market time takes no quotes (each printer\'s own clock would set its limit)')
})
