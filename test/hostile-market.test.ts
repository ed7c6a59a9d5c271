// Hostile peers against the market itself (issue: hostile peers; lib/escrow/PROTOCOL.md "Attacks and defences"): a
// peer running a modified client (test/hostile.ts) appends raw ops to its log. Each test first proves the op reached
// the honest peer (and decoded there, or failed to decode there), then asserts the defence in the honest peers'
// views, and that their bases stay open and keep applying honest ops. Escrow states are reached with raw ops signed
// by real keys (test/escrow-raw.ts); no test here needs a Bitcoin node.
import test from 'brittle'
import b4a from 'b4a'
import c from 'compact-encoding'
import { openMarkets, eventually, openBee, type Test, type TestPeer } from './helpers.js'
import { Hostile, baseOpen, faults, admitted } from './hostile.js'
import { escrowParties } from './escrow-fixture.js'
import { escrowTo, postRaw, waitJob, JOB } from './escrow-raw.js'
import { OP, LIMITS, DEFAULT_SETTINGS, encodeOp, decodeOp, jobRecord, type MarketSettings, type OpBody } from '../lib/schema.js'
import { MAX_TIME_MS } from '../lib/codec.js'
import { getSettings, getJob, getWriter, putSettings } from '../lib/market/view.js'
import { apply, applyOp } from '../lib/market/apply.js'
import { MAX_TICK_STEP_MS } from '../lib/market/clock.js'
import { getMediators, DEADLINES } from '../lib/disputes/apply.js'
import { publishChatKey, sendMessage, readConversation, grantDue, conversationKeys } from '../lib/chat/chat.js'
import { getChatJob } from '../lib/chat/view.js'
import type { Market } from '../lib/market/market.js'
import type { ApplyHost, ApplyNode } from 'autobase'

// An escrow market: peers[0] creates it and is the arbitrator; `mediators` are named in its settings.
async function escrowMarket (t: Test, n: number, f = escrowParties('hostile market'), mediators: (peers: TestPeer[]) => Uint8Array[] = () => []): Promise<TestPeer[]> {
  const { peers } = await openMarkets(t, n, { ackInterval: 100 })
  await admitted(peers.map(p => p.market))
  const settings: MarketSettings = { ...DEFAULT_SETTINGS, chain: 'regtest', arbitrators: [{ id: peers[0].market.writerKey, pubkey: f.arbitrator.publicKey }], mediators: mediators(peers) }
  await peers[0].market.append({ type: OP.MARKET_SETTINGS, settings })
  for (const p of peers) {
    const ok = await eventually(async () => { await p.market.update(); return (await getSettings(p.market.view)).chain === 'regtest' }, 30_000)
    if (!ok) throw new Error('settings did not replicate')
  }
  return peers
}

// Honest peers still apply honest ops: `from` posts a job and every market in `all` shows it.
async function stillWorks (t: Test & { ok: (v: unknown, m?: string) => void }, from: Market, all: Market[], title: string): Promise<void> {
  const { jobId } = await from.append({ type: OP.JOB_CREATE, job: { ...JOB, title } })
  for (const m of all) {
    t.ok(baseOpen(m), 'the base is open')
    await waitJob(m, jobId!, j => j.status === 'open', `"${title}" reaches every peer`)
  }
  t.ok(true, `an honest job posted afterwards ("${title}") reached every peer`)
}

test('attack 1: an op whose times or amounts would overflow cannot stop a market; the largest allowed values apply', { timeout: 180_000 }, async (t) => {
  const f = escrowParties('attack 1')
  const [a, b, cPeer] = await escrowMarket(t, 3, f)
  const client = new Hostile(b.market)
  const printer = new Hostile(cPeer.market)
  const before = faults()
  const id = await postRaw(client)
  await escrowTo('active', client, printer, id, f)

  // a dispute stated at 2^53 - 1: refused where it is decoded, on every peer
  const i1 = await client.raw({ type: OP.JOB_DISPUTE, jobId: id, reason: 'overflow' }, Number.MAX_SAFE_INTEGER)
  const bytes = await client.reachedBytes(a.market, i1)
  t.exception(() => decodeOp(bytes), /integer above/, 'the op reached the indexer and does not decode there (its time is out of range)')
  for (const at of [MAX_TIME_MS + 1, Number.MAX_SAFE_INTEGER - 1]) await client.raw({ type: OP.JOB_DISPUTE, jobId: id, reason: 'overflow' }, at)
  for (const at of [2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n]) {
    const raw = await client.reachedBytes(a.market, await client.rawAt({ type: OP.JOB_DISPUTE, jobId: id, reason: 'overflow' }, at))
    t.exception(() => decodeOp(raw), /integer|range|uint must be/, `a time of ${at} reached the indexer and does not decode`)
  }
  await client.applied(a.market)
  t.is((await getJob(a.market.view, id))!.status, 'active', 'the job is untouched')

  // the market's indexer, its clock at the largest time the codec takes, ticks: market time moves one day, and a
  // dispute stated at that time opens on market time, its deadline exact
  const t0 = await a.market.time()
  await a.market.append({ type: OP.MARKET_CLOCK }, { at: MAX_TIME_MS })
  t.ok(await eventually(async () => { await b.market.update(); return await b.market.time() === t0 + MAX_TICK_STEP_MS }), 'a tick at the edge of time moves market time one day')
  const i2 = await client.raw({ type: OP.JOB_DISPUTE, jobId: id, reason: 'at the edge of time' }, MAX_TIME_MS)
  t.is((await client.reached(a.market, i2)).at, MAX_TIME_MS, 'a dispute at the largest allowed time decodes at the indexer')
  const disputed = await waitJob(a.market, id, j => j.status === 'disputed', 'the dispute')
  t.is(disputed.dispute!.proposeBy, t0 + MAX_TICK_STEP_MS + DEADLINES.proposeSecs * 1000, 'it opens on market time, its deadline computed exactly')

  // the largest amounts: a bounty of 21 million BTC is refused at the accept (its deposits do not fit), not a crash
  const big = await postRaw(client, { bountySats: 2_100_000_000_000_000, title: 'all the bitcoin' })
  const i3 = await printer.raw({ type: OP.JOB_ACCEPT, jobId: big, escrow: f.printerSide({ valueSats: 2_100_000_000_000_000, coins: 20, jobId: big, author: printer.key }) })
  t.is((await printer.reached(a.market, i3)).type, OP.JOB_ACCEPT, 'an accept with 20 coins of 21 million BTC decodes at the indexer')
  await printer.applied(a.market)
  t.is((await getJob(a.market.view, big))!.status, 'open', 'and is refused')

  t.is(faults() - before, 0, 'no handler threw')
  for (const m of [a.market, b.market, cPeer.market]) t.ok(baseOpen(m), 'every base is open')
  await stillWorks(t, cPeer.market, [a.market, b.market, cPeer.market], 'after the overflow attempts')
})


test('attack 1: an op whose handler throws leaves the view as if it had not been applied (and apply does not throw)', async (t) => {
  const bee = await openBee(t)
  const client = b4a.alloc(32, 1)
  const host: ApplyHost = { addWriter: async () => {}, removeWriter: async () => {}, ackWriter: async () => {}, interrupt: () => {} }
  const node = (body: OpBody, length: number): ApplyNode => ({ value: encodeOp(body, 1000), from: { key: client } as ApplyNode['from'], length, indexed: false, optimistic: false })
  await apply([node({ type: OP.JOB_CREATE, job: JOB }, 1)], bee, host)
  const { jobIdFor } = await import('../lib/market/apply.js')
  const id = jobIdFor(client, 1)
  const snapshot = async (): Promise<string[]> => {
    const out: string[] = []
    for await (const e of bee.createReadStream()) out.push(b4a.toString(e.key, 'hex') + '=' + b4a.toString(e.value, 'hex'))
    return out
  }
  const before = await snapshot()
  // a view whose batch fails a read midway through the cancel (after the job record was rewritten in the op's batch)
  let reads = 0
  const failing = new Proxy(bee, {
    get (target, prop) {
      if (prop !== 'batch') return Reflect.get(target, prop)
      return () => {
        const b = target.batch()
        return new Proxy(b, {
          get (bt, p) {
            if (p !== 'get') return Reflect.get(bt, p)
            return async (key: Uint8Array) => {
              if (key.byteLength === 1 && key[0] === 0x63 && ++reads === 1) throw new Error('a read fails midway')
              return await bt.get(key)
            }
          }
        })
      }
    }
  })
  const faultsBefore = faults()
  await t.execution(apply([node({ type: OP.JOB_CANCEL, jobId: id }, 2)], failing, host), 'apply does not throw')
  t.is(faults() - faultsBefore, 1, 'the failure was caught and counted')
  t.alike(await snapshot(), before, 'the view is byte for byte what it was')
  await apply([node({ type: OP.JOB_CANCEL, jobId: id }, 2)], bee, host)
  t.is((await getJob(bee, id))!.status, 'cancelled', 'the same op applies normally afterwards')
})

test('attack 7: accept/withdraw cycles and a full history cannot freeze a job; its client can always cancel it', { timeout: 180_000 }, async (t) => {
  const { peers } = await openMarkets(t, 3, { ackInterval: 100 }) // a market without escrow: withdraw is always possible
  await admitted(peers.map(p => p.market))
  const [a, b, cPeer] = peers
  const printer = new Hostile(cPeer.market)
  const { jobId } = await b.market.append({ type: OP.JOB_CREATE, job: JOB })
  const id = jobId!
  await waitJob(cPeer.market, id, j => j.status === 'open', 'the job reaches the printer')
  let first = -1
  for (let i = 0; i < 85; i++) {
    const k = await printer.raw({ type: OP.JOB_ACCEPT, jobId: id })
    if (first < 0) first = k
    await printer.raw({ type: OP.JOB_WITHDRAW, jobId: id })
  }
  t.is((await printer.reached(a.market, first)).type, OP.JOB_ACCEPT, 'the first accept reached the indexer and decodes')
  await printer.applied(b.market)
  const j = (await getJob(b.market.view, id))!
  t.is(j.status, 'open', 'the job is open')
  t.is(j.accepts, LIMITS.acceptsPerPrinter, `${LIMITS.acceptsPerPrinter} accepts took effect: a printer that left the job that often may not accept it again`)
  t.ok(j.leavers.some(k => b4a.equals(k, printer.key)), 'the printer is among those who left')
  // the client edits its job as often as it may: the history stays bounded
  for (let i = 0; i < LIMITS.updatesPerJob + 5; i++) await b.market.append({ type: OP.JOB_UPDATE, jobId: id, patch: { notes: `edit ${i}` } })
  const edited = await waitJob(b.market, id, x => x.updates === LIMITS.updatesPerJob, 'the edits')
  t.ok(edited.history.length <= LIMITS.history, `the history keeps ${edited.history.length} of ${edited.rev} entries`)
  t.is(edited.history[0].action, OP.JOB_CREATE, 'the first entry (the creation) is kept')
  await b.market.append({ type: OP.JOB_CANCEL, jobId: id })
  await waitJob(a.market, id, x => x.status === 'cancelled', 'the cancel reaches the indexer')
  t.is((await getWriter(b.market.view, b.market.writerKey)).openJobs, 0, 'it no longer counts against the client\'s open jobs')
  await stillWorks(t, b.market, [a.market, b.market, cPeer.market], 'after the cycles')
})

test('attack 7 at scale: 300 printers cycling on one job through the reducer; the record stays bounded and the client cancels', async (t) => {
  const bee = await openBee(t)
  const client = b4a.alloc(32, 1)
  let len = 1
  const run = async (body: OpBody, author: Uint8Array): Promise<boolean> => {
    const batch = bee.batch()
    const ok = await applyOp(batch, decodeOp(encodeOp(body, 1000 + len)), author, len++)
    await batch.flush()
    return ok
  }
  t.ok(await run({ type: OP.JOB_CREATE, job: JOB }, client))
  const { jobIdFor } = await import('../lib/market/apply.js')
  const id = jobIdFor(client, 1)
  let accepted = 0
  for (let i = 0; i < 300; i++) {
    const p = Buffer.alloc(32); p.writeUInt32BE(i + 10, 0)
    if (await run({ type: OP.JOB_ACCEPT, jobId: id }, p)) accepted++
    await run({ type: OP.JOB_WITHDRAW, jobId: id }, p)
    if (i < 3) {
      t.ok(await run({ type: OP.JOB_ACCEPT, jobId: id }, p), 'a printer may accept again once…')
      t.ok(await run({ type: OP.JOB_WITHDRAW, jobId: id }, p))
      t.absent(await run({ type: OP.JOB_ACCEPT, jobId: id }, p), '…but not after leaving twice')
    }
  }
  t.is(accepted, 300, 'each fresh key accepts')
  const j = (await getJob(bee, id))!
  t.is(j.leavers.length, LIMITS.leavers, `the record keeps the last ${LIMITS.leavers} leavers`)
  t.is(j.history.length, LIMITS.history, `the history keeps ${LIMITS.history} entries of ${j.rev}`)
  t.ok(c.encode(jobRecord, j).byteLength < 4096, `the record is ${c.encode(jobRecord, j).byteLength} bytes`)
  t.ok(await run({ type: OP.JOB_CANCEL, jobId: id }, client), 'the client cancels')
})

test('attack 8: nobody can register as a mediator unless the market\'s creator names it; picks go to named mediators only', { timeout: 180_000 }, async (t) => {
  const f = escrowParties('attack 8')
  const peers = await escrowMarket(t, 6, f, ps => [ps[5].market.writerKey])
  const [a, b, cPeer, x, y, m] = peers
  const sybils = [new Hostile(x.market), new Hostile(y.market), new Hostile(cPeer.market)]
  for (const s of sybils) {
    const i = await s.raw({ type: OP.MEDIATOR_REGISTER, feePct: 0 })
    t.is((await s.reached(a.market, i)).type, OP.MEDIATOR_REGISTER, 'a sybil registration reached the indexer and decodes')
    await s.applied(a.market)
  }
  t.is((await getMediators(a.market.view)).length, 0, 'no registration by an unnamed writer was taken')
  await m.market.append({ type: OP.MEDIATOR_REGISTER, feePct: 2 })
  await eventually(async () => { await b.market.update(); return (await getMediators(b.market.view)).length === 1 }, 30_000)
  t.alike((await getMediators(b.market.view)).map(r => r.key), [m.market.writerKey], 'the named mediator is the only one')
  const client = new Hostile(b.market)
  const id = await postRaw(client)
  const disputed = await escrowTo('disputed', client, new Hostile(cPeer.market), id, f)
  t.alike(disputed.dispute!.mediator, m.market.writerKey, 'and it is picked')
  await stillWorks(t, x.market, peers.map(p => p.market), 'after the sybils')
})

test('attack 9: the largest job record apply can be made to write stays under 64 KiB', async (t) => {
  const bee = await openBee(t)
  const f = escrowParties('largest record')
  const CLIENT = b4a.alloc(32, 1)
  const PRINTER = b4a.alloc(32, 2)
  const ARB = b4a.alloc(32, 3)
  const MED = b4a.alloc(32, 4)
  const settingsBatch = bee.batch()
  await putSettings(settingsBatch, { ...DEFAULT_SETTINGS, chain: 'regtest', arbitrators: [{ id: ARB, pubkey: f.arbitrator.publicKey }], mediators: [MED] })
  await settingsBatch.flush()
  let len = 1
  let at = 1_700_000_000_000
  const run = async (body: OpBody, author: Uint8Array): Promise<boolean> => {
    const batch = bee.batch()
    const ok = await applyOp(batch, decodeOp(encodeOp(body, at++)), author, len++)
    await batch.flush()
    return ok
  }
  const { jobIdFor } = await import('../lib/market/apply.js')
  t.ok(await run({ type: OP.MEDIATOR_REGISTER, feePct: 5 }, MED))
  // every text as long as the op bound allows, in three-byte characters
  const big = (n: number): string => '€'.repeat(n)
  const createdAt = len
  t.ok(await run({ type: OP.JOB_CREATE, job: { title: big(LIMITS.titleChars), material: 'PLA', colors: Array.from({ length: LIMITS.colors }, () => big(LIMITS.colorChars)), bountySats: 1_000_000, country: 'DE', notes: big(900) } }, CLIENT))
  const id = jobIdFor(CLIENT, createdAt)
  for (let i = 0; i < LIMITS.leavers + 4; i++) {
    const p = Buffer.alloc(32); p.writeUInt32BE(i + 100, 0)
    await run({ type: OP.JOB_ACCEPT, jobId: id, escrow: f.printerSide({ coins: 20, jobId: id, author: p }) }, p)
    await run({ type: OP.JOB_WITHDRAW, jobId: id }, p)
  }
  t.ok(await run({ type: OP.JOB_ACCEPT, jobId: id, escrow: f.printerSide({ coins: LIMITS.fundingInputs, jobId: id, author: PRINTER }) }, PRINTER), 'accepted with 20 coins')
  t.ok(await run({ type: OP.ESCROW_PROPOSE, jobId: id, escrow: f.clientSide(1000, { coins: LIMITS.fundingInputs, jobId: id, author: CLIENT }) }, CLIENT), 'proposed with 20 coins')
  let job = (await getJob(bee, id))!
  for (const [kind, who, key] of [['refund', 'printer', PRINTER], ['refund', 'client', CLIENT], ['funding', 'client', CLIENT], ['funding', 'printer', PRINTER]] as const) {
    t.ok(await run({ type: OP.ESCROW_SIGN, jobId: id, kind, psbt: f.sign(job, kind, who) }, key), `${who} signs the ${kind}`)
    job = (await getJob(bee, id))!
  }
  const { escrowContext } = await import('../lib/escrow/context.js')
  t.ok(await run({ type: OP.ESCROW_FUNDED, jobId: id, txid: b4a.from(escrowContext(job).fundingTxid, 'hex') }, CLIENT))
  job = (await getJob(bee, id))!
  t.ok(await run({ type: OP.JOB_SHIP, jobId: id, note: big(LIMITS.noteChars), psbt: f.sign(job, 'complete', 'printer') }, PRINTER))
  t.ok(await run({ type: OP.JOB_DISPUTE, jobId: id, reason: big(LIMITS.noteChars) }, CLIENT))
  t.ok(await run({ type: OP.DISPUTE_PROPOSE, jobId: id, printerPct: 50, note: big(1000), feeScript: b4a.concat([b4a.from([0x51, 32]), b4a.alloc(32, 9)]) }, MED))
  job = (await getJob(bee, id))!
  t.ok(await run({ type: OP.DISPUTE_ACCEPT, jobId: id, psbt: f.sign(job, 'split', 'printer') }, PRINTER))
  t.ok(await run({ type: OP.ESCROW_SIGN, jobId: id, kind: 'cancel', psbt: f.sign(job, 'cancel', 'client') }, CLIENT))
  t.ok(await run({ type: OP.DISPUTE_REJECT, jobId: id, note: big(1000) }, CLIENT))
  job = (await getJob(bee, id))!
  t.ok(await run({ type: OP.DISPUTE_RULE, jobId: id, ...f.rule(job, 40, big(1000), at, b4a.concat([b4a.from([0x51, 32]), b4a.alloc(32, 8)])) }, ARB))
  job = (await getJob(bee, id))!
  t.ok(await run({ type: OP.ESCROW_SIGN, jobId: id, kind: 'ruling', psbt: f.sign(job, 'ruling', 'client') }, CLIENT))
  t.ok(await run({ type: OP.ESCROW_PAID, jobId: id, kind: 'refund', txid: job.escrow!.sigs.find(x => x.kind === 'refund')!.txid }, PRINTER))
  job = (await getJob(bee, id))!
  const size = c.encode(jobRecord, job).byteLength
  t.comment(`the largest record built: ${size} bytes (${job.escrow!.sigs.length} signatures, ${job.history.length} of ${job.rev} history entries, ${job.leavers.length} leavers)`)
  t.ok(size <= 64 * 1024, `${size} bytes ≤ 64 KiB`)
})

test('attack 8 at scale: 1 000 fresh keys registering through the reducer change nothing', async (t) => {
  const bee = await openBee(t)
  const named = b4a.alloc(32, 7)
  const batch = bee.batch()
  await putSettings(batch, { ...DEFAULT_SETTINGS, chain: 'regtest', mediators: [named] })
  await batch.flush()
  let taken = 0
  for (let i = 0; i < 1000; i++) {
    const k = Buffer.alloc(32); k.writeUInt32BE(i + 100, 0)
    const bt = bee.batch()
    if (await applyOp(bt, decodeOp(encodeOp({ type: OP.MEDIATOR_REGISTER, feePct: 0 }, 1000)), k, 1)) taken++
    await bt.flush()
  }
  t.is(taken, 0, 'none of 1 000 registrations was taken')
  const bt = bee.batch()
  t.ok(await applyOp(bt, decodeOp(encodeOp({ type: OP.MEDIATOR_REGISTER, feePct: 1 }, 1000)), named, 1), 'the named mediator registers')
  await bt.flush()
  t.is((await getMediators(bee)).length, 1)
})

test('attack 6: chat keys follow the parties: a printer that left reads nothing after it left, the next reads nothing before, a mediator reads only this printer\'s conversation', { timeout: 240_000 }, async (t) => {
  const f1 = escrowParties('attack 6 first printer')
  const f2 = escrowParties('attack 6 second printer')
  const f2arb = f2.arbitrator
  // one arbitrator key for both deals: the market names it once
  f1.arbitrator = f2arb
  const faultsBefore = faults()
  const peers = await escrowMarket(t, 5, f2, ps => [ps[4].market.writerKey])
  const [a, b, p1, p2, m] = peers
  await m.market.append({ type: OP.MEDIATOR_REGISTER, feePct: 1 })
  for (const p of [b, p1, p2, m]) await publishChatKey(p.market)
  const client = new Hostile(b.market)
  const first = new Hostile(p1.market)
  const id = await postRaw(client)
  let job = await escrowTo('accepted', client, first, id, f1)
  const say = async (who: TestPeer, text: string): Promise<void> => {
    const j = await waitJob(who.market, id, x => x.printer !== null, 'a printer')
    await sendMessage(who.market, j, text, [], Date.now())
  }
  const texts = async (who: TestPeer): Promise<Array<string | null>> => {
    await who.market.update()
    const j = (await getJob(who.market.view, id))!
    return (await readConversation(who.market, j)).messages.map(x => x.text)
  }
  await say(b, 'hello first printer, my address is 1 Old Street')
  await eventually(async () => (await texts(p1)).includes('hello first printer, my address is 1 Old Street'), 30_000)
  await say(p1, 'hi from the first printer')
  await eventually(async () => (await texts(b)).length === 2, 30_000)
  const oldKeys = await conversationKeys(b.market, id)
  t.is(oldKeys.size, 1, 'one conversation key in the first printer\'s epoch')
  // the printer tries to fill the epoch's keys with its own, to lock the client out of creating one
  const { sealKey: seal } = await import('../lib/chat/crypto.js')
  const { getChatPublicKey: pkOf } = await import('../lib/chat/view.js')
  const p1pk = (await pkOf(b.market.view, p1.market.writerKey))!
  for (let k = 0; k < 4; k++) {
    const keyId = b4a.alloc(32, 0x40 + k)
    await first.raw({ type: OP.CHAT_GRANT, jobId: id, keyId, wraps: [{ reader: p1.market.writerKey, sealed: seal(b4a.alloc(32, k), p1pk) }] })
  }
  await first.applied(b.market)
  const keysNow = (await getChatJob(b.market.view, id)).keys
  t.is(keysNow.filter(k => b4a.equals(k.creator, p1.market.writerKey)).length, 2, 'the printer created 2 keys of its 4 tries: the per-author cap')
  t.ok(keysNow.length < 8, 'the epoch has room for the client\'s keys')

  // the first printer withdraws; the second accepts and the deal goes on to a dispute
  await first.raw({ type: OP.JOB_WITHDRAW, jobId: id })
  await waitJob(b.market, id, x => x.status === 'open', 'the withdrawal')
  const second = new Hostile(p2.market)
  job = await escrowTo('active', client, second, id, f2)
  t.is(job.accepts, 2, 'a second acceptance: a new chat epoch')
  await say(b, 'hello second printer, my new address is 2 New Road')
  await eventually(async () => (await texts(p2)).includes('hello second printer, my new address is 2 New Road'), 30_000)
  t.alike(await texts(p2), ['hello second printer, my new address is 2 New Road'], 'the second printer reads only its own conversation')
  const p1sees = await texts(p1)
  t.absent(p1sees.includes('hello second printer, my new address is 2 New Road'), 'the first printer cannot read what was written after it left')
  t.ok(p1sees.includes('hello first printer, my address is 1 Old Street'), 'it still reads its own old conversation')

  // raw attempts: the old printer writes or grants into the job; the client wraps the old key for the new printer
  const [oldId, oldK] = [...oldKeys.entries()][0]
  const { sealKey } = await import('../lib/chat/crypto.js')
  const { getChatPublicKey } = await import('../lib/chat/view.js')
  const p2pk = (await getChatPublicKey(b.market.view, p2.market.writerKey))!
  const i1 = await first.raw({ type: OP.CHAT_GRANT, jobId: id, keyId: b4a.alloc(32, 9), wraps: [{ reader: p1.market.writerKey, sealed: sealKey(b4a.alloc(32, 1), (await getChatPublicKey(b.market.view, p1.market.writerKey))!) }] })
  const i2 = await client.raw({ type: OP.CHAT_GRANT, jobId: id, keyId: b4a.from(oldId, 'hex'), wraps: [{ reader: p2.market.writerKey, sealed: sealKey(oldK, p2pk) }] })
  t.is((await first.reached(a.market, i1)).type, OP.CHAT_GRANT, 'the old printer\'s grant reached the indexer')
  t.is((await client.reached(a.market, i2)).type, OP.CHAT_GRANT, 'the old key wrapped for the new printer reached the indexer')
  await first.applied(p2.market)
  await client.applied(p2.market)
  t.alike(await texts(p2), ['hello second printer, my new address is 2 New Road'], 'neither grant was taken: the new printer still reads only its own conversation')

  // a dispute brings the mediator in: it gets this printer's conversation, not the first printer's
  await client.raw({ type: OP.JOB_DISPUTE, jobId: id, reason: 'no print yet' })
  const d = await waitJob(b.market, id, x => x.status === 'disputed', 'the dispute')
  t.alike(d.dispute!.mediator, m.market.writerKey, 'the named mediator is picked')
  await grantDue(b.market, d)
  await eventually(async () => (await texts(m)).includes('hello second printer, my new address is 2 New Road'), 30_000)
  const ms = await texts(m)
  t.absent(ms.some(x => x !== null && x.includes('Old Street')), 'the mediator does not read the first printer\'s conversation')
  t.absent(ms.includes(null), 'and is not even shown it as unreadable')
  t.is(faults() - faultsBefore, 0, 'no handler threw')
  await stillWorks(t, p1.market, peers.map(p => p.market), 'after the chat attempts')
})

test('attack 13 (review): once the client signed its funding, the printer cannot walk away from the escrow (withdraw, lapse, a lone refund claim)', { timeout: 180_000 }, async (t) => {
  const f = escrowParties('attack 13')
  const [a, b, cPeer] = await escrowMarket(t, 3, f)
  const client = new Hostile(b.market)
  const printer = new Hostile(cPeer.market)
  const id = await postRaw(client)
  let job = await escrowTo('refund-signed', client, printer, id, f)
  await client.raw({ type: OP.ESCROW_SIGN, jobId: id, kind: 'funding', psbt: f.sign(job, 'funding', 'client') })
  job = await waitJob(cPeer.market, id, j => (j.escrow?.sigs.length ?? 0) === 3, 'the client\'s funding signature')
  // with it the printer could complete the funding alone; it tries to leave the record behind
  const later = job.escrow!.acceptedAt + job.escrow!.fundingTimeoutSecs * 1000 + 1
  const refundTxid = job.escrow!.sigs.find(s => s.kind === 'refund')!.txid
  const tries = [
    await printer.raw({ type: OP.JOB_WITHDRAW, jobId: id }),
    await printer.raw({ type: OP.JOB_LAPSE, jobId: id }, later),
    await printer.raw({ type: OP.ESCROW_PAID, jobId: id, kind: 'refund', txid: refundTxid }, later)
  ]
  const kinds: number[] = [OP.JOB_WITHDRAW, OP.JOB_LAPSE, OP.ESCROW_PAID]
  for (const i of tries) t.ok(kinds.includes((await printer.reached(a.market, i)).type), 'the attempt reached the indexer and decodes')
  await printer.applied(b.market)
  job = (await getJob(b.market.view, id))!
  t.is(job.status, 'accepted', 'the job is still accepted')
  t.ok(job.escrow !== null && job.printer !== null, 'with its escrow and its printer')
  t.alike(job.claims.map(x => x.role), ['printer'], 'the refund claim is recorded as the printer\'s word, nothing more')
  // and with the funding signed by both, one claim of either side changes no status either
  await printer.raw({ type: OP.ESCROW_SIGN, jobId: id, kind: 'funding', psbt: f.sign(job, 'funding', 'printer') })
  await client.raw({ type: OP.ESCROW_PAID, jobId: id, kind: 'refund', txid: refundTxid }, later)
  await client.applied(cPeer.market)
  job = (await getJob(cPeer.market.view, id))!
  t.is(job.status, 'cancelled', 'both claims together close it')
  t.is(job.escrow!.closed?.kind, 'refund')
})

test('attack 14 (review): a low-order chat key cannot break the other parties\' chat', { timeout: 120_000 }, async (t) => {
  const { peers } = await openMarkets(t, 3, { ackInterval: 100 })
  await admitted(peers.map(p => p.market))
  const [a, b, cPeer] = peers
  const { jobId } = await b.market.append({ type: OP.JOB_CREATE, job: JOB })
  const id = jobId!
  await waitJob(cPeer.market, id, j => j.status === 'open', 'the job reaches the printer')
  await cPeer.market.append({ type: OP.JOB_ACCEPT, jobId: id })
  const printer = new Hostile(cPeer.market)
  const lowOrder = b4a.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex')
  const i = await printer.raw({ type: OP.CHAT_KEY, publicKey: lowOrder })
  t.is((await printer.reached(a.market, i)).type, OP.CHAT_KEY, 'the low-order key reached the indexer and decodes')
  await printer.applied(b.market)
  const { getChatPublicKey } = await import('../lib/chat/view.js')
  t.is(await getChatPublicKey(b.market.view, cPeer.market.writerKey), null, 'it was not taken')
  await publishChatKey(b.market)
  const job = await waitJob(b.market, id, j => j.printer !== null, 'the accept')
  await sendMessage(b.market, job, 'still talking', [], Date.now())
  t.alike((await readConversation(b.market, job)).messages.map(x => x.text), ['still talking'], 'the client writes and reads its chat')
})
