// Attacks on the split counters of reputation records (lib/job/outcome.ts, lib/reputation/apply.ts): raw ops through
// the reducer (no Autobase), by the parties, the mediator and a stranger, each running a modified client. A split is
// counted once, only when the escrow really closed by a payout both sides signed; the same ops give the same bytes
// on every peer; a record written before the split counters existed keeps its counts.
import test from 'brittle'
import b4a from 'b4a'
import c from 'compact-encoding'
import { openBee } from './helpers.js'
import { escrowParties } from './escrow-fixture.js'
import { OP, DEFAULT_SETTINGS, encodeOp, decodeOp, type OpBody, type JobRecord } from '../lib/schema.js'
import { getJob, putSettings, type View } from '../lib/market/view.js'
import { applyOp, applyFaults, jobIdFor } from '../lib/market/apply.js'
import { escrowContext } from '../lib/escrow/context.js'
import { getPeerStats, keys, peerStats, P_REPUTATION, emptyStats } from '../lib/reputation/records.js'
import { outcomeOf } from '../lib/job/outcome.js'

const CLIENT = b4a.alloc(32, 1)
const PRINTER = b4a.alloc(32, 2)
const ARB = b4a.alloc(32, 3)
const MED = b4a.alloc(32, 4)
const STRANGER = b4a.alloc(32, 5)
const f = escrowParties('split stats')
const FEE_SCRIPT = b4a.concat([b4a.from([0x51, 32]), b4a.alloc(32, 9)])

// One reducer on its own view; every op goes through encode → decode, as it would from a log.
type Run = ((body: OpBody, author: Uint8Array) => Promise<boolean>) & { next: () => number }

async function reducer (bee: View): Promise<{ run: Run, ops: Array<[OpBody, Uint8Array]> }> {
  const b = bee.batch()
  await putSettings(b, { ...DEFAULT_SETTINGS, chain: 'regtest', arbitrators: [{ id: ARB, pubkey: f.arbitrator.publicKey }], mediators: [MED] })
  await b.flush()
  let len = 1
  let at = 1_700_000_000_000
  const ops: Array<[OpBody, Uint8Array]> = []
  const run = Object.assign(async (body: OpBody, author: Uint8Array): Promise<boolean> => {
    ops.push([body, author])
    const batch = bee.batch()
    const ok = await applyOp(batch, decodeOp(encodeOp(body, at++)), author, len++)
    await batch.flush()
    return ok
  }, { next: () => len })
  return { ops, run }
}

// A job taken to a dispute whose mediator proposed `printerPct`, and that only the printer accepted.
async function disputed (run: Run, bee: View, printerPct: number): Promise<Uint8Array> {
  await run({ type: OP.MEDIATOR_REGISTER, feePct: 5 }, MED)
  const id = jobIdFor(CLIENT, run.next())
  if (!await run({ type: OP.JOB_CREATE, job: { title: 'split', material: 'PLA', colors: [], bountySats: 1_000_000, country: 'DE', notes: '' } }, CLIENT)) throw new Error('create')
  if (await getJob(bee, id) === null) throw new Error('job id')
  if (!await run({ type: OP.JOB_ACCEPT, jobId: id, escrow: f.printerSide({ jobId: id, author: PRINTER }) }, PRINTER)) throw new Error('accept')
  if (!await run({ type: OP.ESCROW_PROPOSE, jobId: id, escrow: f.clientSide(1000, { jobId: id, author: CLIENT }) }, CLIENT)) throw new Error('propose')
  for (const [kind, who, key] of [['refund', 'printer', PRINTER], ['refund', 'client', CLIENT], ['funding', 'client', CLIENT], ['funding', 'printer', PRINTER]] as const) {
    if (!await run({ type: OP.ESCROW_SIGN, jobId: id, kind, psbt: f.sign((await getJob(bee, id))!, kind, who) }, key)) throw new Error(`${who} ${kind}`)
  }
  if (!await run({ type: OP.ESCROW_FUNDED, jobId: id, txid: b4a.from(escrowContext((await getJob(bee, id))!).fundingTxid, 'hex') }, CLIENT)) throw new Error('funded')
  if (!await run({ type: OP.JOB_SHIP, jobId: id, note: '', psbt: f.sign((await getJob(bee, id))!, 'complete', 'printer') }, PRINTER)) throw new Error('ship')
  if (!await run({ type: OP.JOB_DISPUTE, jobId: id, reason: 'bad' }, CLIENT)) throw new Error('dispute')
  if (!await run({ type: OP.DISPUTE_PROPOSE, jobId: id, printerPct, note: 'split it', feeScript: FEE_SCRIPT }, MED)) throw new Error('mediator proposes')
  if (!await run({ type: OP.DISPUTE_ACCEPT, jobId: id, psbt: f.sign((await getJob(bee, id))!, 'split', 'printer') }, PRINTER)) throw new Error('printer accepts')
  return id
}

const splitTxid = (job: JobRecord): Uint8Array => job.escrow!.sigs.find(s => s.kind === 'split')!.txid

async function reputationBytes (bee: View): Promise<string[]> {
  const out: string[] = []
  for await (const e of bee.createReadStream({ gte: b4a.from([P_REPUTATION]), lt: b4a.from([P_REPUTATION + 1]) })) out.push(b4a.toString(e.key, 'hex') + '=' + b4a.toString(e.value, 'hex'))
  return out
}

test('attack split 1: nobody counts a split before both sides signed it, nobody counts it twice, and a stranger counts nothing', async (t) => {
  const bee = await openBee(t)
  const { run } = await reducer(bee)
  const faults = applyFaults.count
  const id = await disputed(run, bee, 60)
  let job = (await getJob(bee, id))!
  const txid = splitTxid(job)

  // before the client accepted: the printer, the client, the mediator and a stranger claim the split was paid
  for (const [who, key] of [['printer', PRINTER], ['client', CLIENT], ['mediator', MED], ['stranger', STRANGER]] as const) {
    t.absent(await run({ type: OP.ESCROW_PAID, jobId: id, kind: 'split', txid }, key), `the ${who}'s claim of a split paid with one signature is refused`)
  }
  t.absent(await run({ type: OP.DISPUTE_ACCEPT, jobId: id, psbt: f.sign(job, 'split', 'client') }, MED), 'the mediator cannot accept for the client (with the client\'s own signature)')
  t.absent(await run({ type: OP.DISPUTE_ACCEPT, jobId: id, psbt: f.sign(job, 'split', 'printer') }, PRINTER), 'the printer cannot accept twice')
  for (const k of [CLIENT, PRINTER, MED, STRANGER]) {
    const s = await getPeerStats(bee, k)
    t.alike([s.clientSplit, s.printerSplit, s.clientCompleted, s.printerCompleted, s.clientCancelled, s.printerCancelled], [0, 0, 0, 0, 0, 0], 'nothing counted yet')
  }

  t.ok(await run({ type: OP.DISPUTE_ACCEPT, jobId: id, psbt: f.sign(job, 'split', 'client') }, CLIENT), 'the client accepts: settled')
  t.absent(await run({ type: OP.ESCROW_PAID, jobId: id, kind: 'split', txid }, STRANGER), 'a stranger still cannot close it')
  t.absent(await run({ type: OP.ESCROW_PAID, jobId: id, kind: 'split', txid: b4a.alloc(32, 7) }, CLIENT), 'nor the client with another transaction')
  t.absent(await run({ type: OP.ESCROW_PAID, jobId: id, kind: 'ruling', txid }, CLIENT), 'nor as a ruling nobody made')
  t.ok(await run({ type: OP.ESCROW_PAID, jobId: id, kind: 'split', txid }, CLIENT), 'the client records the split paid')
  job = (await getJob(bee, id))!
  t.alike(outcomeOf(job), { kind: 'split', printerPct: 60, by: 'mediator' })

  // replays and every other way of closing it again
  t.absent(await run({ type: OP.ESCROW_PAID, jobId: id, kind: 'split', txid }, PRINTER), 'the printer\'s replay of the claim is refused')
  t.absent(await run({ type: OP.ESCROW_PAID, jobId: id, kind: 'split', txid }, CLIENT), 'the client\'s replay is refused')
  t.absent(await run({ type: OP.JOB_COMPLETE, jobId: id, psbt: f.sign(job, 'complete', 'client') }, CLIENT), 'no completion on top')
  t.absent(await run({ type: OP.DISPUTE_RULE, jobId: id, ...f.rule(job, 100, 'all', 1, FEE_SCRIPT) }, ARB), 'no ruling on top')
  const c1 = await getPeerStats(bee, CLIENT)
  const p1 = await getPeerStats(bee, PRINTER)
  t.alike([c1.clientSplit, c1.clientSplitPctSum, c1.clientCompleted, c1.clientCancelled], [1, 40, 0, 0], 'the client: one split, 40 %')
  t.alike([p1.printerSplit, p1.printerSplitPctSum, p1.printerCompleted, p1.printerCancelled], [1, 60, 0, 0], 'the printer: one split, 60 %')
  for (const k of [MED, STRANGER]) {
    const s = await getPeerStats(bee, k)
    t.alike([s.clientSplit, s.printerSplit], [0, 0], 'the mediator and the stranger: none')
  }
  t.is(applyFaults.count - faults, 0, 'no handler threw')
})

test('attack split 2: the same ops give the same reputation bytes on another peer; a record from before the split counters keeps its counts', async (t) => {
  const a = await openBee(t)
  const ra = await reducer(a)
  const id = await disputed(ra.run, a, 35)
  const job = (await getJob(a, id))!
  await ra.run({ type: OP.DISPUTE_ACCEPT, jobId: id, psbt: f.sign(job, 'split', 'client') }, CLIENT)
  t.ok(await ra.run({ type: OP.ESCROW_PAID, jobId: id, kind: 'split', txid: splitTxid(job) }, PRINTER), 'closed by the split (printer 35 %)')

  // another peer, same log
  const b = await openBee(t)
  const rb = await reducer(b)
  for (const [body, author] of ra.ops) await rb.run(body, author)
  t.alike(await reputationBytes(b), await reputationBytes(a), 'byte for byte the same reputation records')

  // a peer whose client record was written before the split counters were appended (12 counters and the samples)
  const old = await openBee(t)
  const ro = await reducer(old)
  const oldStats = { ...emptyStats(), clientCompleted: 3, clientCancelled: 1, clientRatingSum: 9, clientRatingCount: 2, disputesOpened: 1 }
  const state = c.state()
  const fields = ['clientCompleted', 'clientCancelled', 'printerCompleted', 'printerCancelled', 'printerShipped', 'disputesOpened', 'disputesLost', 'disputesWon', 'clientRatingSum', 'clientRatingCount', 'printerRatingSum', 'printerRatingCount'] as const
  for (const k of fields) c.uint.preencode(state, oldStats[k])
  c.array(c.uint).preencode(state, [])
  state.buffer = b4a.alloc(state.end)
  for (const k of fields) c.uint.encode(state, oldStats[k])
  c.array(c.uint).encode(state, [])
  const batch = old.batch()
  await batch.put(keys.stats(CLIENT), state.buffer)
  await batch.flush()
  t.alike(c.decode(peerStats, state.buffer), oldStats, 'the old bytes decode, the split counters as 0')
  for (const [body, author] of ra.ops) await ro.run(body, author)
  const s = await getPeerStats(old, CLIENT)
  t.alike([s.clientCompleted, s.clientCancelled, s.clientRatingSum, s.clientRatingCount, s.disputesOpened, s.clientSplit, s.clientSplitPctSum], [3, 1, 9, 2, 2, 1, 65], 'the old counts kept, the dispute and the split (65 %) added')
})

// Not an attack: what a winner-takes-all ruling puts on the records (a design question for the report).
test('attack split 3 (observation): an arbitrator\'s ruling of 100 % for the printer is counted as a split, not a completion', async (t) => {
  const bee = await openBee(t)
  const { run } = await reducer(bee)
  const id = await disputed(run, bee, 50)
  t.ok(await run({ type: OP.DISPUTE_REJECT, jobId: id, note: 'no' }, CLIENT), 'the client rejects: arbitration')
  let job = (await getJob(bee, id))!
  t.ok(await run({ type: OP.DISPUTE_RULE, jobId: id, ...f.rule(job, 100, 'all to the printer', 1, FEE_SCRIPT) }, ARB), 'the arbitrator rules 100 % for the printer')
  job = (await getJob(bee, id))!
  t.ok(await run({ type: OP.ESCROW_SIGN, jobId: id, kind: 'ruling', psbt: f.sign(job, 'ruling', 'printer') }, PRINTER), 'the printer countersigns')
  job = (await getJob(bee, id))!
  const txid = job.escrow!.sigs.find(s => s.kind === 'ruling')!.txid
  t.ok(await run({ type: OP.ESCROW_PAID, jobId: id, kind: 'ruling', txid }, PRINTER), 'the ruling is paid')
  job = (await getJob(bee, id))!
  const p = await getPeerStats(bee, PRINTER)
  const cl = await getPeerStats(bee, CLIENT)
  t.comment(`status ${job.status}, outcome ${JSON.stringify(outcomeOf(job))}; printer: completed ${p.printerCompleted}, split ${p.printerSplit} (${p.printerSplitPctSum} %), disputes won ${p.disputesWon}; client: cancelled ${cl.clientCancelled}, split ${cl.clientSplit} (${cl.clientSplitPctSum} %), disputes lost ${cl.disputesLost}`)
  t.is(job.status, 'completed')
  t.alike([p.printerCompleted, p.printerSplit, p.printerSplitPctSum], [0, 1, 100], 'the printer: "1 split, got 100 %", no completion')
})

// A small seeded fuzz of the dispute endgame: every way of closing, by every author, with right and wrong
// transactions and signatures. Afterwards each peer's counters equal what the closed records say.
test('attack split 4: after a fuzz of the dispute endgame, the counters equal what the closed records say', async (t) => {
  const bee = await openBee(t)
  const { run } = await reducer(bee)
  const faults = applyFaults.count
  let x = 0x5eed
  const rnd = (n: number): number => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x % n }
  const ids: Uint8Array[] = []
  for (let i = 0; i < 8; i++) ids.push(await disputed(run, bee, [0, 20, 50, 60, 100][i % 5]))
  const authors = [CLIENT, PRINTER, MED, ARB, STRANGER]
  const roles = ['client', 'printer'] as const
  let tried = 0
  let took = 0
  for (let i = 0; i < 600; i++) {
    const id = ids[rnd(ids.length)]
    const job = (await getJob(bee, id))!
    const author = authors[rnd(authors.length)]
    const role = roles[rnd(2)]
    const sign = (kind: 'split' | 'ruling' | 'cancel'): Uint8Array | null => { try { return f.sign(job, kind, role) } catch { return null } }
    let body: OpBody | null = null
    switch (rnd(7)) {
      case 0: { const psbt = sign('split'); if (psbt !== null) body = { type: OP.DISPUTE_ACCEPT, jobId: id, psbt }; break }
      case 1: body = { type: OP.DISPUTE_REJECT, jobId: id, note: 'no' }; break
      case 2: try { body = { type: OP.DISPUTE_RULE, jobId: id, ...f.rule(job, rnd(101), 'ruled', 1, FEE_SCRIPT) } } catch {} break
      case 3: { const kind = rnd(2) === 0 ? 'ruling' : 'cancel'; const psbt = sign(kind); if (psbt !== null) body = { type: OP.ESCROW_SIGN, jobId: id, kind, psbt }; break }
      case 4: body = { type: OP.DISPUTE_ESCALATE, jobId: id }; break
      default: {
        const kind = (['split', 'ruling', 'cancel', 'refund'] as const)[rnd(4)]
        const sigs = job.escrow?.sigs.filter(s => s.kind === (rnd(3) === 0 ? 'split' : kind)) ?? []
        const txid = sigs.length > 0 && rnd(4) !== 0 ? sigs[rnd(sigs.length)].txid : b4a.alloc(32, rnd(256))
        body = { type: OP.ESCROW_PAID, jobId: id, kind, txid }
      }
    }
    if (body === null) continue
    tried++
    if (await run(body, author)) took++
  }
  const want = { clientSplit: 0, clientSplitPctSum: 0, printerSplit: 0, printerSplitPctSum: 0, clientCompleted: 0, printerCompleted: 0, clientCancelled: 0, printerCancelled: 0 }
  const kinds: string[] = []
  for (const id of ids) {
    const job = (await getJob(bee, id))!
    const o = outcomeOf(job)
    kinds.push(o === null ? job.status : o.kind === 'split' ? `split ${o.printerPct}% (${job.escrow!.closed!.kind})` : `${o.kind} (${job.escrow?.closed?.kind ?? '-'})`)
    if (o === null) continue
    if (o.kind === 'split') {
      want.clientSplit++; want.clientSplitPctSum += 100 - o.printerPct; want.printerSplit++; want.printerSplitPctSum += o.printerPct
    } else if (o.kind === 'completed') { want.clientCompleted++; want.printerCompleted++ } else { want.clientCancelled++; want.printerCancelled++ }
  }
  t.comment(`${tried} ops tried, ${took} took effect; the jobs: ${kinds.join(', ')}`)
  t.ok(kinds.filter(k => k.startsWith('split')).length >= 2, 'the fuzz closed some jobs by a split')
  const cs = await getPeerStats(bee, CLIENT)
  const ps = await getPeerStats(bee, PRINTER)
  const got = { clientSplit: cs.clientSplit, clientSplitPctSum: cs.clientSplitPctSum, printerSplit: ps.printerSplit, printerSplitPctSum: ps.printerSplitPctSum, clientCompleted: cs.clientCompleted, printerCompleted: ps.printerCompleted, clientCancelled: cs.clientCancelled, printerCancelled: ps.printerCancelled }
  t.alike(got, want, 'the counters are what the closed records say')
  for (const k of [MED, ARB, STRANGER]) {
    const s = await getPeerStats(bee, k)
    t.alike([s.clientSplit, s.printerSplit, s.clientCompleted, s.printerCompleted], [0, 0, 0, 0], 'nothing on the mediator, the arbitrator or the stranger')
  }
  t.is(applyFaults.count - faults, 0, 'no handler threw')
})
