// A structure-aware fuzz of apply on a market with escrow, through real Autobase peers: jobs in every state (the
// fuzzer is the client of some, the printer of others, and a stranger to the rest), then ops of every type with
// boundary values in every field (0, 1, max, max + 1, 2^32, 2^53 − 1, negative floats, empty and over-long strings
// and lists, valid and mutated signatures), seeded and reproducible. It asserts: no handler threw, no base closed,
// every peer converged to the same view, jobs the fuzzer has no part in are byte for byte unchanged, and every job
// it touched still satisfies the rules (lib/escrow/PROTOCOL.md): a closed escrow has its payout fully signed, every
// stored signature verifies against the transaction the record defines, counters match the records, records stay
// bounded. P2PRINT_FUZZ_OPS (default 100 000) and P2PRINT_FUZZ_SEED change the run.
import test from 'brittle'
import b4a from 'b4a'
import c from 'compact-encoding'
import path from 'path'
import { tmpDir, openMarket, eventually, connect, type TestPeer } from './helpers.js'
import { Hostile, baseOpen, faults, withTime, admitted } from './hostile.js'
import { escrowParties } from './escrow-fixture.js'
import { escrowTo, postRaw, waitJob } from './escrow-raw.js'
import { OP, OP_NAMES, LIMITS, MATERIALS, SIGN_KINDS, PAID_KINDS, DEFAULT_SETTINGS, STATUSES, encodeOp, jobRecord, type OpBody, type JobRecord, type SignKind, type MarketSettings } from '../lib/schema.js'
import { MAX_TIME_MS } from '../lib/codec.js'
import { getSettings, getStats, getWriter, allJobs } from '../lib/market/view.js'
import { getMediators } from '../lib/disputes/apply.js'
import { escrowContext, buildFor, psbtOf } from '../lib/escrow/context.js'
import { unsignedTx } from '../lib/escrow/psbt.js'
import { verifySig } from '../lib/escrow/verify.js'
import { agreedPayout, pairOf, rulingPrinterPct } from '../lib/escrow/record.js'
import { TRANSITIONS } from '../lib/job/state.js'
import type { Market } from '../lib/market/market.js'

const OPS = Number(process.env.P2PRINT_FUZZ_OPS ?? 100_000)
const SEED = Number(process.env.P2PRINT_FUZZ_SEED ?? 0x51ed_f00d)
const MAX_RECORD_BYTES = 64 * 1024

function prng (seed: number): { u32: () => number, int: (n: number) => number, pick: <T>(a: readonly T[]) => T, bytes: (n: number) => Uint8Array } {
  let x = seed >>> 0 || 1
  const u32 = (): number => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x }
  const int = (n: number): number => u32() % n
  return { u32, int, pick: (a) => a[int(a.length)], bytes: (n) => { const o = new Uint8Array(n); for (let i = 0; i < n; i++) o[i] = u32() & 0xff; return o } }
}

const hex = (b: Uint8Array): string => b4a.toString(b, 'hex')


// Boundary values per kind of field.
const UINTS = [0, 1, 2, 5, 6, 15, 16, 99, 100, 101, 255, 256, 0xffff, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 499_999_999, 500_000_000, MAX_TIME_MS, MAX_TIME_MS + 1, 2_100_000_000_000_000, 2_100_000_000_000_001, Number.MAX_SAFE_INTEGER]
const FLOATS = [0, -0, -1, 0.0001, 0.999, 1, 2, 499.999, 500, 500.001, 1e6, 1e6 + 1, -1e308, 1e308, 5e-324]
const TIMES = [0, 1, 1_700_000_000_000, 2 ** 32, MAX_TIME_MS - 1, MAX_TIME_MS]
const BIG_TIMES = [BigInt(MAX_TIME_MS) + 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n]

function strings (r: ReturnType<typeof prng>, max: number): string {
  return r.pick(['', ' ', 'x', '\u0000\u202e\u001b[2J', 'é'.repeat(Math.max(0, max)), 'a'.repeat(max + 1), '🦀'.repeat(Math.floor(max / 2))])
}

interface Target { id: Uint8Array, role: 'client' | 'printer' | 'none', psbts: Map<SignKind, Uint8Array>, txids: Uint8Array[] }

function mutate (r: ReturnType<typeof prng>, b: Uint8Array): Uint8Array {
  const out = b4a.from(b)
  const n = 1 + r.int(4)
  for (let i = 0; i < n; i++) out[r.int(out.byteLength)] ^= 1 + r.int(255)
  return out
}

// One fuzz op: a body for any op type with boundary values, encoded; or raw bytes the encoder would not write.
function fuzzOp (r: ReturnType<typeof prng>, targets: Target[], keys: Uint8Array[]): Uint8Array {
  const tg = r.int(10) === 0 ? { id: r.bytes(16), role: 'none' as const, psbts: new Map(), txids: [] } : r.pick(targets)
  const jobId = tg.id
  const u = (): number => r.pick(UINTS)
  const pct = (): number => r.pick([0, 1, 49, 50, 51, 99, 100, 101, 255])
  const f = (): number => r.pick(FLOATS)
  const key = (): Uint8Array => r.int(3) === 0 ? r.bytes(32) : r.pick(keys)
  const script = (): Uint8Array => r.pick([b4a.concat([b4a.from([0, 20]), r.bytes(20)]), b4a.concat([b4a.from([0x51, 32]), r.bytes(32)]), r.bytes(1), r.bytes(64), b4a.from([0, 20])])
  const psbt = (): Uint8Array => {
    const kind = r.pick(SIGN_KINDS)
    const valid = tg.psbts.get(kind)
    const roll = r.int(4)
    if (valid !== undefined && roll < 2) return roll === 0 ? valid : mutate(r, valid)
    return roll === 2 ? r.bytes(1 + r.int(200)) : b4a.concat([b4a.from('psbt'), b4a.from([0xff]), r.bytes(r.int(64))])
  }
  const txid = (): Uint8Array => tg.txids.length > 0 && r.int(2) === 0 ? r.pick(tg.txids) : r.bytes(32)
  const coin = (): { txid: Uint8Array, vout: number, valueSats: number, script: Uint8Array } => ({ txid: r.bytes(32), vout: r.pick([0, 1, 0xffffffff, 2 ** 32]), valueSats: u(), script: script() })
  const party = (): { pubkey: Uint8Array, payoutScript: Uint8Array, changeScript: Uint8Array, inputs: ReturnType<typeof coin>[], feeRate: number } => ({
    pubkey: r.int(2) === 0 ? b4a.concat([b4a.from([2 + r.int(2)]), r.bytes(32)]) : r.bytes(33), payoutScript: script(), changeScript: script(), inputs: Array.from({ length: r.pick([0, 1, 2, 20, 21]) }, coin), feeRate: f()
  })
  const fields = (): OpBody & { type: typeof OP.JOB_CREATE } => ({ type: OP.JOB_CREATE, job: { title: strings(r, LIMITS.titleChars), material: r.pick(MATERIALS), colors: Array.from({ length: r.pick([0, 1, 8, 9]) }, () => strings(r, LIMITS.colorChars)), bountySats: u(), country: r.pick(['DE', 'XX', '', 'de', 'DEU']), notes: strings(r, LIMITS.notesChars) }, milestones: r.pick([[], [], [{ label: 'a', pct: 50 }, { label: 'b', pct: 50 }], [{ label: 'a', pct: 1 }, { label: 'b', pct: 99 }], [{ label: 'a', pct: 0 }, { label: 'b', pct: 100 }], [{ label: 'a', pct: 60 }, { label: 'b', pct: 60 }], [{ label: '', pct: 50 }, { label: 'b', pct: 50 }], Array.from({ length: 4 }, () => ({ label: strings(r, 60), pct: 25 }))]) })
  const type = r.pick(Object.keys(OP_NAMES).map(Number))
  let body: OpBody
  switch (type) {
    case OP.JOB_CREATE: body = fields(); break
    case OP.JOB_UPDATE: body = { type, jobId, patch: r.int(2) === 0 ? { bountySats: u() } : { title: strings(r, LIMITS.titleChars), notes: strings(r, LIMITS.notesChars) } }; break
    case OP.JOB_CANCEL: case OP.JOB_WITHDRAW: case OP.JOB_LAPSE: case OP.DISPUTE_ESCALATE: body = { type, jobId }; break
    case OP.JOB_ACCEPT: body = { type, jobId, escrow: r.int(4) === 0 ? null : party() }; break
    case OP.JOB_SHIP: body = { type, jobId, note: strings(r, LIMITS.noteChars), psbt: r.int(3) === 0 ? null : psbt() }; break
    case OP.JOB_COMPLETE: body = { type, jobId, payoutTxid: r.int(2) === 0 ? null : txid(), psbt: r.int(3) === 0 ? null : psbt() }; break
    case OP.JOB_DISPUTE: body = { type, jobId, reason: strings(r, LIMITS.noteChars) }; break
    case OP.MARKET_INIT: body = { type, name: strings(r, LIMITS.marketNameChars) }; break
    case OP.MARKET_SETTINGS: body = { type, settings: { chain: r.pick(['', 'regtest', 'mainnet'] as const), arbitrators: [], depositPct: u(), arbitrationFeePct: u(), fundingDepth: u(), fundingTimeoutSecs: u(), refundDelayBlocks: u(), mediators: [key()], admissionBits: u(), blindPeers: [key()] } }; break
    case OP.ESCROW_PROPOSE: body = { type, jobId, escrow: { ...party(), lockHeight: u() } }; break
    case OP.ESCROW_SIGN: body = { type, jobId, kind: r.pick(SIGN_KINDS), psbt: psbt() }; break
    case OP.ESCROW_FUNDED: body = { type, jobId, txid: txid() }; break
    case OP.ESCROW_PAID: body = { type, jobId, kind: r.pick(PAID_KINDS), txid: txid() }; break
    case OP.DISPUTE_RULING: body = { type, jobId, winner: r.pick(['client', 'printer'] as const), feeScript: script(), psbt: psbt() }; break
    case OP.MEDIATOR_REGISTER: body = { type, feePct: pct() }; break
    case OP.DISPUTE_PROPOSE: body = { type, jobId, printerPct: pct(), note: strings(r, 1000), feeScript: script() }; break
    case OP.DISPUTE_ACCEPT: body = { type, jobId, psbt: psbt() }; break
    case OP.DISPUTE_REJECT: body = { type, jobId, note: strings(r, 1000) }; break
    case OP.DISPUTE_RULE: body = { type, jobId, printerPct: pct(), note: strings(r, 1000), feeScript: script(), psbt: psbt() }; break
    case OP.CHAT_KEY: body = { type, publicKey: r.int(4) === 0 ? b4a.alloc(32) : r.bytes(32) }; break
    case OP.CHAT_GRANT: body = { type, jobId, keyId: r.bytes(32), wraps: Array.from({ length: r.pick([0, 1, 4, 5]) }, () => ({ reader: key(), sealed: r.bytes(80) })) }; break
    case OP.CHAT_MESSAGE: body = { type, jobId, keyId: r.bytes(32), nonce: r.bytes(24), ciphertext: r.bytes(r.pick([1, 17, 100, 3088, 3089])), drive: r.int(2) === 0 ? null : r.bytes(32), photos: Array.from({ length: r.pick([0, 1, 10, 11]) }, () => ({ byteLength: u(), sha256: r.bytes(32) })) }; break
    case OP.JOB_REVIEW: body = { type, jobId, rating: pct(), text: strings(r, 280) }; break
    case OP.MARKET_INDEXERS: body = { type, indexers: Array.from({ length: r.pick([0, 1, 4, 5]) }, key) }; break
    case OP.MARKET_CLOCK: body = { type }; break
    default: body = { type: OP.PRINTER_PROFILE, profile: { materials: r.int(2) === 0 ? [] : [r.pick(MATERIALS), r.pick(MATERIALS)], bedMm: [u(), u(), u()], country: r.pick(['DE', 'XX']), note: strings(r, 500) } }
  }
  const roll = r.int(20)
  try {
    if (roll === 0) return withTime(encodeOp(body, 0), r.pick(BIG_TIMES)) // a time only a modified encoder writes
    const bytes = encodeOp(body, r.pick(TIMES))
    return roll === 1 ? mutate(r, bytes) : bytes
  } catch {
    return r.bytes(1 + r.int(64)) // a value our own encoder refuses to write (too large, too long): raw bytes instead
  }
}

// --- the rules every record must satisfy after the fuzz ------------------------------------------------------------

function violations (j: JobRecord): string[] {
  const out: string[] = []
  const bytes = c.encode(jobRecord, j).byteLength
  if (bytes > MAX_RECORD_BYTES) out.push(`record of ${bytes} bytes`)
  if (j.history.length > LIMITS.history || j.history[0]?.action !== OP.JOB_CREATE) out.push('history not bounded or lost its first entry')
  const e = j.escrow ?? null
  if (e === null) {
    if (['shipped', 'disputed'].includes(j.status) && j.history.some(h => h.action === OP.ESCROW_FUNDED)) out.push('an escrowed job lost its escrow')
    return out
  }
  for (const s of e.sigs) {
    // the record keeps the signer's signatures only: as a PSBT of the transaction the record defines, they verify
    let again: Uint8Array | null = null
    try { again = psbtOf(s, escrowContext(j)).toBuffer() } catch {}
    if (again === null || verifySig(j, s.kind, s.role, again) === null) out.push(`a stored ${s.kind} signature by the ${s.role} does not verify`)
  }
  if (['active', 'shipped', 'disputed'].includes(j.status) && (e.fundingTxid === null || pairOf(e, 'funding') === null || pairOf(e, 'refund') === null)) out.push(`${j.status} without a funding signed by both over a signed refund`)
  if (e.fundingTxid !== null && hex(e.fundingTxid) !== escrowContext(j).fundingTxid) out.push('funded with another transaction')
  if (j.status === 'shipped' && !e.sigs.some(s => s.kind === 'complete' && s.role === 'printer')) out.push('shipped without the printer\'s payout signature')
  if (e.closed !== null) {
    const agreed = agreedPayout(j)
    if (e.closed.kind === 'refund') {
      const both = j.claims.filter(x => x.kind === 'refund').length === 2
      if (!both && !j.history.some(h => h.action === OP.ESCROW_PAID && h.from === 'accepted')) out.push('closed by one party\'s refund claim after funding')
    } else if (agreed === null || agreed.kind !== e.closed.kind || !b4a.equals(agreed.sigs[0].txid, e.closed.txid)) {
      out.push(`closed by ${e.closed.kind} without that payout fully signed`)
    } else {
      const pct = e.closed.kind === 'split' ? j.dispute?.proposal?.printerPct ?? 0 : e.closed.kind === 'ruling' ? rulingPrinterPct(j) ?? 0 : e.closed.kind === 'complete' ? 100 : 0
      const want = e.closed.kind === 'cancel' ? 'cancelled' : pct >= 50 ? 'completed' : 'cancelled'
      if (j.status !== want) out.push(`closed by ${e.closed.kind} at ${pct} % but ${j.status}`)
    }
  } else if (j.status === 'completed' || j.status === 'cancelled') {
    out.push(`${j.status} with an open escrow`)
  }
  return out
}

// The checker can fail: a record closed by a payout nobody signed is a violation.
test('fuzz: the rule checker finds a forged record', async (t) => {
  const f = escrowParties('checker')
  const job: JobRecord = { id: b4a.alloc(16, 1), seq: 0, title: 't', material: 'PLA', colors: [], bountySats: 1_000_000, country: 'DE', notes: '', client: b4a.alloc(32, 1), printer: b4a.alloc(32, 2), status: 'completed', createdAt: 1, updatedAt: 1, updates: 0, history: [{ action: OP.JOB_CREATE, from: null, to: 'open', by: b4a.alloc(32, 1), at: 1, note: '' }], file: null, escrow: { arbitrator: b4a.alloc(32, 3), arbitratorPubkey: f.arbitrator.publicKey, depositPct: 15, arbitrationFeePct: 5, fundingDepth: 1, fundingTimeoutSecs: 60, refundDelayBlocks: 6, acceptedAt: 1, printer: f.printerSide(), client: f.clientSide(100), sigs: [], fundingTxid: null, ruling: null, closed: { kind: 'complete', txid: b4a.alloc(32) } }, dispute: null, rev: 1, accepts: 1, leavers: [], claims: [], openToQuotes: false, quotes: 0, offer: null, offers: 0, leadDays: 0, posted: null }
  t.ok(violations(job).some(v => /without that payout fully signed/.test(v)), 'completed without both signatures is caught')
  t.ok(violations({ ...job, status: 'shipped', escrow: { ...job.escrow!, closed: null } }).length > 0, 'shipped without a funding is caught')
})

// Every history entry the fuzz added is a move the lifecycle allows, by the role that may make it.
function badMoves (before: JobRecord, after: JobRecord): string[] {
  const n = Math.min(after.rev - before.rev, after.history.length)
  const added = n <= 0 ? [] : after.history.slice(after.history.length - n)
  const out: string[] = []
  for (const h of added) {
    const t = TRANSITIONS.find(x => x.action === h.action)
    if (t === undefined || h.from === h.to) continue // escrow and dispute steps within a state are checked by violations()
    if (h.action === OP.JOB_WITHDRAW && h.from === 'accepted') continue
    if (!t.from.includes(h.from as never) || t.to !== h.to) out.push(`${OP_NAMES[h.action as keyof typeof OP_NAMES]} from ${h.from} to ${h.to}`)
  }
  return out
}

async function records (m: Market): Promise<Map<string, JobRecord>> {
  await m.update()
  const out = new Map<string, JobRecord>()
  for await (const { job } of allJobs(m.view)) out.set(hex(job.id), job)
  return out
}

test(`fuzz: ${OPS} boundary-value ops of every type against an escrowed market in every state (seed 0x${SEED.toString(16)})`, { timeout: 900_000 }, async (t) => {
  const started = Date.now()
  const root = await tmpDir(t)
  const f = escrowParties('fuzz')
  const a = await openMarket(t, path.join(root, 'a'), null, { swarm: false, ackInterval: 200, name: 'fuzz' })
  const others: TestPeer[] = []
  for (const n of ['b', 'fz', 'm']) others.push(await openMarket(t, path.join(root, n), a.market.key, { swarm: false, ackInterval: 200 }))
  const [b, fz, m] = others
  const peers = [a, b, fz, m]
  for (let i = 0; i < peers.length; i++) for (let k = i + 1; k < peers.length; k++) connect(t, peers[i].market, peers[k].market)
  await admitted(peers.map(p => p.market))
  const settings: MarketSettings = { ...DEFAULT_SETTINGS, chain: 'regtest', arbitrators: [{ id: a.market.writerKey, pubkey: f.arbitrator.publicKey }], mediators: [m.market.writerKey] }
  await a.market.append({ type: OP.MARKET_SETTINGS, settings })
  await m.market.append({ type: OP.MEDIATOR_REGISTER, feePct: 2 })
  for (const p of peers) t.ok(await eventually(async () => { await p.market.update(); return (await getSettings(p.market.view)).chain === 'regtest' && (await getMediators(p.market.view)).length === 1 }, 30_000), 'settings and the mediator everywhere')

  // --- jobs in every state: the fuzzer as client (with b printing), as printer (for b), and a stranger (b and m) ---
  const H = { a: new Hostile(a.market), b: new Hostile(b.market), fz: new Hostile(fz.market), m: new Hostile(m.market) }
  const targets: Target[] = []
  const stages = ['open', 'accepted', 'proposed', 'refund-signed', 'funding-signed', 'active', 'parts', 'shipped', 'disputed', 'proposal', 'arbitration', 'ruled', 'completed', 'cancelled'] as const
  const make = async (client: Hostile, printer: Hostile, stage: typeof stages[number], role: Target['role']): Promise<void> => {
    // 'parts': an active job whose bounty is split into milestones (its release and next refund are signable)
    const id = await postRaw(client, {}, stage === 'parts' ? [{ label: 'first', pct: 30 }, { label: 'second', pct: 30 }, { label: 'last', pct: 40 }] : [])
    let job: JobRecord | null = null
    if (stage === 'cancelled') {
      await client.raw({ type: OP.JOB_CANCEL, jobId: id })
    } else if (stage !== 'open') {
      const base = ['proposal', 'arbitration', 'ruled'].includes(stage) ? 'disputed' : stage === 'completed' ? 'shipped' : stage === 'parts' ? 'active' : stage
      job = await escrowTo(base as Parameters<typeof escrowTo>[0], client, printer, id, f)
      if (stage === 'completed') await client.raw({ type: OP.JOB_COMPLETE, jobId: id, psbt: f.sign(job, 'complete', 'client') })
      if (['proposal', 'arbitration', 'ruled'].includes(stage) && job.dispute?.mediator != null) {
        await H.m.raw({ type: OP.DISPUTE_PROPOSE, jobId: id, printerPct: 40, note: 'meet halfway', feeScript: b4a.concat([b4a.from([0, 20]), b4a.alloc(20, 3)]) })
        job = await waitJob(client.market, id, j => j.dispute?.stage === 'proposed', 'the proposal')
        if (stage !== 'proposal') await client.raw({ type: OP.DISPUTE_REJECT, jobId: id, note: 'no' })
      }
      if (stage === 'ruled') {
        job = await waitJob(a.market, id, j => j.dispute?.stage === 'arbitration', 'arbitration')
        await H.a.raw({ type: OP.DISPUTE_RULE, jobId: id, ...f.rule(job, 70, 'mostly the printer', 1) })
      }
    }
    job = await waitJob(fz.market, id, () => true, 'the job on the fuzzer\'s peer')
    const psbts = new Map<SignKind, Uint8Array>()
    const txids: Uint8Array[] = []
    if (job.escrow?.client != null) {
      const ctx = escrowContext(job)
      txids.push(b4a.from(ctx.fundingTxid, 'hex'))
      for (const kind of SIGN_KINDS) {
        try {
          txids.push(b4a.from(unsignedTx(buildFor(ctx, kind)).getHash()).reverse())
          if (role !== 'none') psbts.set(kind, f.sign(job, kind, role))
        } catch {}
      }
    }
    targets.push({ id, role, psbts, txids })
  }
  for (const stage of stages) {
    await make(H.fz, H.b, stage, 'client')
    await make(H.b, H.fz, stage, 'printer')
    if (['open', 'active', 'parts', 'shipped', 'disputed', 'proposal', 'ruled', 'completed'].includes(stage)) await make(H.b, H.m, stage, 'none')
  }
  t.comment(`${targets.length} jobs in ${stages.length} states set up in ${Date.now() - started} ms`)
  for (const p of peers) await waitJob(p.market, targets[targets.length - 1].id, () => true, 'every job everywhere')

  const before = await records(a.market)
  const strangers = targets.filter(x => x.role === 'none')
  t.ok(strangers.length >= 7, `${strangers.length} jobs the fuzzer has no part in`)
  const faultsBefore = faults()
  const timeBefore = await a.market.time()
  const indexersBefore = (await a.market.indexers()).map(hex)

  // --- the fuzz: batches of raw ops from the fuzzer's log ---
  const r = prng(SEED)
  const keys = peers.map(p => p.market.writerKey)
  const tf = Date.now()
  const BATCH = 500
  for (let done = 0; done < OPS; done += BATCH) {
    const batch: Uint8Array[] = []
    for (let i = 0; i < Math.min(BATCH, OPS - done); i++) batch.push(fuzzOp(r, targets, keys))
    await (fz.market.base as unknown as { append: (v: Uint8Array[]) => Promise<number> }).append(batch)
    if ((done / BATCH) % 20 === 19) await fz.market.update()
  }
  t.is(fz.market.base.local.length >= OPS, true, `${OPS} ops in the fuzzer's log`)
  t.comment(`appended in ${Date.now() - tf} ms`)
  for (const p of peers) await H.fz.applied(p.market, 600_000)
  const elapsed = Date.now() - tf
  t.comment(`${OPS} ops applied on ${peers.length} peers in ${elapsed} ms (${Math.round(OPS / (elapsed / 1000))} ops/s per peer), seed 0x${SEED.toString(16)}`)

  const took = (await getWriter(a.market.view, fz.market.writerKey)).ops
  t.comment(`the fuzzer's ops that took effect: ${took} in all (its setup ops included)`)
  t.is(faults() - faultsBefore, 0, 'no handler threw')
  for (const p of peers) t.ok(baseOpen(p.market), 'the base is open')
  t.is(await a.market.time(), timeBefore, 'the fuzzer (no indexer) moved market time by none of its ticks')
  t.alike((await a.market.indexers()).map(hex), indexersBefore, 'nor named any indexer')

  // --- the rules ---
  const after = await records(a.market)
  for (const s of strangers) {
    t.is(hex(c.encode(jobRecord, after.get(hex(s.id))!)), hex(c.encode(jobRecord, before.get(hex(s.id))!)), 'a job the fuzzer has no part in is byte for byte unchanged')
  }
  const problems: string[] = []
  for (const [k, j] of after) {
    for (const v of violations(j)) problems.push(`${k.slice(0, 8)} (${j.status}): ${v}`)
    const prev = before.get(k)
    if (prev !== undefined) for (const v of badMoves(prev, j)) problems.push(`${k.slice(0, 8)}: ${v}`)
  }
  t.alike(problems, [], `every one of ${after.size} jobs follows the rules`)
  const stats = await getStats(a.market.view)
  const counts = STATUSES.map(s => [...after.values()].filter(j => j.status === s).length)
  t.alike(stats.byStatus, counts, 'the per-status counts match the records')
  for (const p of peers) {
    const open = [...after.values()].filter(j => j.status === 'open' && b4a.equals(j.client, p.market.writerKey)).length
    t.is((await getWriter(a.market.view, p.market.writerKey)).openJobs, open, 'each client\'s open-job count matches its open jobs')
  }
  t.alike((await getMediators(a.market.view)).map(x => hex(x.key)), [hex(m.market.writerKey)], 'the mediators are the named one only')

  // --- every peer holds the same view, and honest ops still apply ---
  const mine = await records(a.market)
  for (const p of peers.slice(1)) {
    const theirs = await records(p.market)
    t.ok(theirs.size === mine.size && [...mine].every(([k, j]) => theirs.has(k) && hex(c.encode(jobRecord, theirs.get(k)!)) === hex(c.encode(jobRecord, j))), 'a peer holds the same records as the indexer')
  }
  const fresh = await postRaw(H.b, { title: 'after the fuzz' })
  for (const p of peers) await waitJob(p.market, fresh, j => j.status === 'open', 'an honest job after the fuzz')
  t.pass(`an honest job posted after the fuzz reached every peer (test took ${Date.now() - started} ms)`)
})
