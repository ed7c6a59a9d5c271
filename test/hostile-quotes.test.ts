// Hostile peers against quotes, offers and the sealed shipping address (issue 15; lib/market/quotes.ts, address.ts): a modified client (test/hostile.ts)
// appends raw job/quote, job/quote-withdraw, job/offer and job/accept ops. Each test proves the op reached the
// honest peer and was applied there, then asserts the defence in its view, that its base stays open and that honest
// ops still apply. The escrowed deal is reached with raw ops signed by real keys (test/escrow-raw.ts).
import test from 'brittle'
import b4a from 'b4a'
import { openMarkets, eventually, type Test, type TestPeer } from './helpers.js'
import { Hostile, baseOpen, faults, admitted } from './hostile.js'
import { escrowParties, type EscrowParties } from './escrow-fixture.js'
import { escrowTo, postRaw, waitJob, JOB } from './escrow-raw.js'
import c from 'compact-encoding'
import { OP, QUOTE_LIMITS, ADDRESS_LIMITS, DEFAULT_SETTINGS, addressPlaintext, encodeOp, decodeOp, type MarketSettings } from '../lib/schema.js'
import { getAddress } from '../lib/market/address.js'
import { publishChatKey, writingKey, grantDue, conversationKeys } from '../lib/chat/chat.js'
import { getChatPublicKey } from '../lib/chat/view.js'
import { encrypt, decrypt, newConversationKey, keyIdOf } from '../lib/chat/crypto.js'
import { MAX_SATS } from '../lib/codec.js'
import { getSettings, getWriter } from '../lib/market/view.js'
import { getQuote } from '../lib/market/quotes.js'
import { escrowContext } from '../lib/escrow/context.js'
import { escrowAmounts } from '../lib/escrow/amounts.js'
import type { Market } from '../lib/market/market.js'

async function stillWorks (t: Test & { ok: (v: unknown, m?: string) => void }, from: Market, all: Market[], title: string): Promise<void> {
  const { jobId } = await from.append({ type: OP.JOB_CREATE, job: { ...JOB, title } })
  for (const m of all) {
    t.ok(baseOpen(m), 'the base is open')
    await waitJob(m, jobId!, j => j.status === 'open', `"${title}" reaches every peer`)
  }
}

const quote = (jobId: Uint8Array, priceSats: number, leadDays = 5): Parameters<Hostile['raw']>[0] =>
  ({ type: OP.JOB_QUOTE, jobId, priceSats, leadDays, material: null, colors: [], note: '' })
const offer = (jobId: Uint8Array, printer: Uint8Array, priceSats: number, leadDays = 5): Parameters<Hostile['raw']>[0] =>
  ({ type: OP.JOB_OFFER, jobId, printer, priceSats, leadDays, material: null, colors: [] })

test('hostile quotes: accepts around an offer, offers by strangers, floods of quotes, the largest numbers', { timeout: 240_000 }, async (t) => {
  const { peers } = await openMarkets(t, 4, { ackInterval: 100 })
  const ms = peers.map(p => p.market)
  await admitted(ms)
  const [honest, clientM, p1M, p2M] = ms
  const client = new Hostile(clientM)
  const p1 = new Hostile(p1M)
  const p2 = new Hostile(p2M)
  const before = faults()

  // a job open to quotes: no accept without an offer, at any stated price
  const { jobId: open } = await clientM.append({ type: OP.JOB_CREATE, job: { ...JOB, bountySats: 0 }, quotes: true })
  // every attacker writes only after it has seen what its op is about (so the op is ordered after it)
  for (const m of [honest, p1M, p2M]) await waitJob(m, open!, j => j.openToQuotes, 'the job open to quotes')
  for (const priceSats of [0, 1, JOB.bountySats]) {
    const at = await p1.raw({ type: OP.JOB_ACCEPT, jobId: open!, priceSats })
    t.is((await p1.reached(honest, at)).type, OP.JOB_ACCEPT, `an accept at ${priceSats} sat reached the honest peer`)
  }
  await p1.applied(honest)
  t.is((await honest.getJob(open!))?.job.status, 'open', 'no accept took a job open to quotes without an offer')

  // a stranger's offer on someone else's job, and a printer's offer to itself
  await p1.raw(quote(open!, 50_000))
  for (const [who, body] of [[p2, offer(open!, p1.key, 40_000)], [p1, offer(open!, p1.key, 40_000)]] as const) {
    const at = await who.raw(body)
    t.is((await who.reached(honest, at)).type, OP.JOB_OFFER, 'the offer reached the honest peer')
    await who.applied(honest)
  }
  t.is((await honest.getJob(open!))?.job.offer, null, 'only the client\'s offer counts: none stands')

  // the client's offer to p1; p2 accepts at the offer's price; p1 at other prices; then p1 at the offer's price
  await waitJob(clientM, open!, j => j.quotes === 1, 'the client sees p1\'s quote')
  await client.raw(offer(open!, p1.key, 45_000, 7))
  for (const m of [honest, p1M, p2M]) await waitJob(m, open!, j => j.offer !== null, 'the client\'s offer')
  await p2.raw({ type: OP.JOB_ACCEPT, jobId: open!, priceSats: 45_000 })
  await p2.applied(honest)
  for (const priceSats of [0, 44_999, 50_000, MAX_SATS]) await p1.raw({ type: OP.JOB_ACCEPT, jobId: open!, priceSats })
  await p1.applied(honest)
  t.is((await honest.getJob(open!))?.job.status, 'open', 'neither another printer nor the offered one at another price took it')
  await p1.raw({ type: OP.JOB_ACCEPT, jobId: open!, priceSats: 45_000 })
  const deal = await waitJob(honest, open!, j => j.status === 'active', 'the offered printer\'s accept at the offered price')
  t.alike([deal.bountySats, deal.leadDays, deal.offer, b4a.equals(deal.printer!, p1.key)], [45_000, 7, null, true], 'the deal is made at the offer')
  // sent twice, and late: the job is taken
  await client.raw(offer(open!, p1.key, 1_000))
  await p2.raw(quote(open!, 1_000))
  await p2.applied(honest)
  await client.applied(honest)
  const after = (await honest.getJob(open!))?.job
  t.alike([after?.status, after?.bountySats, after?.offer, after?.quotes], ['active', 45_000, null, 1], 'a late offer and a late quote change nothing')

  // a flood: p2 quotes 24 open jobs of two clients; QUOTE_LIMITS.perHour apply; its replacements past the per-job
  // limit do not
  const jobs: Uint8Array[] = []
  for (let i = 0; i < 12; i++) jobs.push(await postRaw(client, { title: `c${i}` }))
  for (let i = 0; i < 12; i++) jobs.push((await honest.append({ type: OP.JOB_CREATE, job: { ...JOB, title: `h${i}` } })).jobId!)
  for (const id of jobs) await waitJob(p2M, id, j => j.status === 'open', 'p2 sees the job')
  for (const id of jobs) await p2.raw(quote(id, 10_000))
  await p2.applied(honest)
  let quoted = 0
  for (const id of jobs) if ((await getQuote(honest.view, id, p2.key)) !== null) quoted++
  t.is(quoted, QUOTE_LIMITS.perHour, `${jobs.length} quotes in one hour of market time: ${QUOTE_LIMITS.perHour} applied`)
  t.is((await getWriter(honest.view, p2.key)).quotesInHour, QUOTE_LIMITS.perHour)
  for (const id of jobs.slice(0, 3)) await waitJob(p1M, id, j => j.status === 'open', 'p1 sees the job')
  for (let i = 0; i < QUOTE_LIMITS.revisionsPerJob + 2; i++) await p1.raw(quote(jobs[0], 20_000 + i))
  await p1.applied(honest)
  t.is((await getQuote(honest.view, jobs[0], p1.key))?.revs, QUOTE_LIMITS.revisionsPerJob, `${QUOTE_LIMITS.revisionsPerJob + 2} quotes on one job: ${QUOTE_LIMITS.revisionsPerJob} applied`)
  t.is((await getQuote(honest.view, jobs[0], p1.key))?.priceSats, 20_000 + QUOTE_LIMITS.revisionsPerJob - 1, 'the last applied one stands')

  // the largest numbers the codec allows apply; one past them does not decode where it arrives
  await p1.raw(quote(jobs[1], MAX_SATS, QUOTE_LIMITS.leadDays))
  await p1.applied(honest)
  t.alike([(await getQuote(honest.view, jobs[1], p1.key))?.priceSats, (await getQuote(honest.view, jobs[1], p1.key))?.leadDays], [MAX_SATS, QUOTE_LIMITS.leadDays], 'a quote of 21 million BTC and 365 days applies')
  const over = encodeOp(quote(jobs[2], MAX_SATS + 1), Date.now())
  const days = encodeOp(quote(jobs[2], 1_000, QUOTE_LIMITS.leadDays + 1), Date.now())
  for (const bytes of [over, days]) {
    const at = await p1.rawBytes(bytes)
    t.exception(() => decodeOp(b4a.from(bytes)), /integer above/, 'it does not decode')
    t.ok(b4a.equals(await p1.reachedBytes(honest, at), bytes), 'it reached the honest peer as written')
  }
  await p1.applied(honest)
  t.is(await getQuote(honest.view, jobs[2], p1.key), null, 'neither applied')

  t.is(faults(), before, 'no handler threw')
  await stillWorks(t, clientM, ms, 'after the quote attacks')
})

// Three admitted peers of a market with escrow on regtest; the first is its creator and arbitrator.
async function escrowMarket (t: Test, f: EscrowParties): Promise<Market[]> {
  const { peers } = await openMarkets(t, 3, { ackInterval: 100 })
  const ms = peers.map((p: TestPeer) => p.market)
  await admitted(ms)
  const settings: MarketSettings = { ...DEFAULT_SETTINGS, chain: 'regtest', arbitrators: [{ id: ms[0].writerKey, pubkey: f.arbitrator.publicKey }] }
  await ms[0].append({ type: OP.MARKET_SETTINGS, settings })
  for (const m of ms) {
    if (!(await eventually(async () => { await m.update(); return (await getSettings(m.view)).chain === 'regtest' }, 30_000))) throw new Error('the settings did not replicate')
  }
  return ms
}

test('hostile quotes: an escrowed deal made through an offer locks the offered price, and only it', { timeout: 180_000 }, async (t) => {
  const f = escrowParties('hostile quotes escrow')
  const ms = await escrowMarket(t, f)
  const client = new Hostile(ms[1])
  const printer = new Hostile(ms[2])

  const id = await postRaw(client)
  await waitJob(ms[2], id, j => j.status === 'open', 'the printer sees the job')
  await printer.raw(quote(id, 700_000, 6))
  await waitJob(ms[1], id, j => j.quotes === 1, 'the client sees the quote') // an offer answers a quote it has seen
  await client.raw(offer(id, printer.key, 650_000, 6))
  await waitJob(ms[2], id, j => j.offer !== null, 'the counter-offer reaches the printer')
  const job = await escrowTo('active', client, printer, id, f, { priceSats: 650_000 })
  const want = escrowAmounts({ bountySats: 650_000n, depositPct: BigInt(DEFAULT_SETTINGS.depositPct) })
  t.is(job.bountySats, 650_000, 'the job\'s bounty is the offered price')
  t.is(BigInt(escrowContext(job).escrow.valueSats), want.total, `the funded escrow holds the offered price plus both deposits (${want.total} sat), every signature checked against it in apply`)
  t.is(job.status, 'active')
  for (const m of ms) t.ok(baseOpen(m), 'bases open')
})

test('hostile address: never before the funding, never by anyone but the client, never under another conversation\'s key; kept through shipping and a dispute', { timeout: 180_000 }, async (t) => {
  const f = escrowParties('hostile address')
  const ms = await escrowMarket(t, f)
  const [arb, clientM, printerM] = ms
  const client = new Hostile(clientM)
  const printer = new Hostile(printerM)
  const before = faults()
  for (const m of [clientM, printerM]) await publishChatKey(m)

  const id = await postRaw(client)
  let job = await escrowTo('funding-signed', client, printer, id, f)
  t.is(job.status, 'accepted', 'both signed the funding; it is not confirmed: the job is still accepted')
  await waitJob(clientM, id, j => j.printer !== null, 'the client sees the printer')
  await eventually(async () => { await clientM.update(); return (await getChatPublicKey(clientM.view, printer.key)) !== null }, 30_000)
  const { keyId, key } = await writingKey(clientM, (await clientM.getJob(id))!.job)
  const sealed = (author: Uint8Array, street: string, k = key, kid = keyId): Parameters<Hostile['raw']>[0] => {
    const { nonce, ciphertext } = encrypt(c.encode(addressPlaintext, { author, jobId: id, address: { name: 'B', street, city: 'C', postcode: '1', country: 'DE', phone: null } }), k)
    return { type: OP.JOB_ADDRESS, jobId: id, keyId: kid, nonce, ciphertext }
  }
  const early = await client.raw(sealed(client.key, 'early'))
  t.is((await client.reached(arb, early)).type, OP.JOB_ADDRESS, 'an address before the funding reached the indexer')
  await client.applied(arb)
  t.is(await getAddress(arb.view, id), null, 'and was refused: no address before the escrow is funded')

  await client.raw({ type: OP.ESCROW_FUNDED, jobId: id, txid: b4a.from(escrowContext(job).fundingTxid, 'hex') })
  job = await waitJob(printerM, id, j => j.status === 'active', 'the printer sees the job active (funded)')
  await waitJob(clientM, id, j => j.status === 'active', 'the client sees it too')
  await printer.raw(sealed(printer.key, 'by the printer'))
  const other = newConversationKey()
  await client.raw(sealed(client.key, 'under a key nobody granted', other, keyIdOf(other)))
  await printer.applied(arb)
  await client.applied(arb)
  t.is(await getAddress(arb.view, id), null, 'neither the printer\'s address nor one under a key of no conversation of this job applied')
  for (let i = 0; i < ADDRESS_LIMITS.perEpoch + 2; i++) await client.raw(sealed(client.key, `street ${i}`))
  await client.applied(arb)
  const rec = await getAddress(arb.view, id)
  t.is(rec?.revs, ADDRESS_LIMITS.perEpoch, `${ADDRESS_LIMITS.perEpoch + 2} addresses: ${ADDRESS_LIMITS.perEpoch} applied`)
  const plain = decrypt(rec!.nonce, rec!.ciphertext, key)
  t.is(c.decode(addressPlaintext, plain!).address.street, `street ${ADDRESS_LIMITS.perEpoch - 1}`, 'the last applied one is kept, readable with the conversation key')
  t.absent(b4a.includes(rec!.ciphertext, b4a.from('street')), 'the view holds ciphertext only')

  await printer.raw({ type: OP.JOB_SHIP, jobId: id, note: 'posted', psbt: f.sign(job, 'complete', 'printer') })
  await waitJob(clientM, id, j => j.status === 'shipped', 'shipped')
  t.ok((await getAddress(arb.view, id)) !== null, 'shipping keeps it')
  await client.raw({ type: OP.JOB_DISPUTE, jobId: id, reason: 'never arrived' })
  await waitJob(arb, id, j => j.status === 'disputed', 'disputed')
  t.ok((await getAddress(arb.view, id)) !== null, 'a dispute keeps it')
  // the arbitrator (this market's creator) reads it once a party's chat grants it the conversation's key
  await publishChatKey(arb)
  await waitJob(clientM, id, j => j.status === 'disputed', 'the client sees the dispute')
  const granted = await eventually(async () => {
    await clientM.update()
    await grantDue(clientM, (await clientM.getJob(id))!.job)
    await arb.update()
    return (await conversationKeys(arb, id)).has(b4a.toString(rec!.keyId, 'hex'))
  }, 30_000, 500)
  t.ok(granted, 'the client\'s peer seals the key to the arbitrator once the dispute is open')
  const arbKey = (await conversationKeys(arb, id)).get(b4a.toString(rec!.keyId, 'hex'))!
  const held = (await getAddress(arb.view, id))!
  t.is(c.decode(addressPlaintext, decrypt(held.nonce, held.ciphertext, arbKey)!).address.street, `street ${ADDRESS_LIMITS.perEpoch - 1}`, 'and the arbitrator reads the address')
  t.is(faults(), before, 'no handler threw')
})
