// Fuzzing `apply` through a real Autobase: garbage, truncated, oversized, bit-flipped, unknown-version/type and
// wrong-author ops must change no job anywhere, and the market must keep working afterwards.
import test from 'brittle'
import b4a from 'b4a'
import c from 'compact-encoding'
import path from 'path'
import { tmpDir, openMarket, eventually, connect, type TestPeer } from './helpers.js'
import { OP, LIMITS, SCHEMA_VERSION, encodeOp, decodeOp, jobRecord, type Op, type OpBody, type JobFields, type JobRecord } from '../lib/schema.js'
import { checkJobFields, checkTransition } from '../lib/job/state.js'
import type { Market } from '../lib/market/market.js'

const SEED = 0x2f6b1d3a

// xorshift32: small, fast, deterministic.
function prng (seed: number): { u32: () => number, int: (n: number) => number, bytes: (n: number) => Uint8Array } {
  let x = seed >>> 0 || 1
  const u32 = (): number => {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    return x
  }
  const int = (n: number): number => u32() % n
  const bytes = (n: number): Uint8Array => {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = u32() & 0xff
    return out
  }
  return { u32, int, bytes }
}

const hex = (b: Uint8Array): string => b4a.toString(b, 'hex')

const FIELDS: JobFields = { title: 'Benchy ⛵ v2', material: 'PETG', colors: ['red', 'Ölgrün'], bountySats: 123_456, country: 'DE', notes: 'matte finish, 0.2 mm layers' }

function validBodies (jobId: Uint8Array): OpBody[] {
  return [
    { type: OP.JOB_CREATE, job: FIELDS },
    { type: OP.JOB_UPDATE, jobId, patch: { title: 'new', material: 'TPU', colors: ['a', 'b', 'c'], bountySats: 99, country: 'JP', notes: 'n' } },
    { type: OP.JOB_UPDATE, jobId, patch: { notes: 'only notes' } },
    { type: OP.JOB_CANCEL, jobId },
    { type: OP.JOB_ACCEPT, jobId },
    { type: OP.JOB_WITHDRAW, jobId },
    { type: OP.JOB_SHIP, jobId, note: 'DHL 0034 ✓' },
    { type: OP.JOB_COMPLETE, jobId },
    { type: OP.JOB_DISPUTE, jobId, reason: 'arrived in pieces' },
    { type: OP.MARKET_INIT, name: 'a rival name for the market' },
    { type: OP.JOB_CREATE, job: { ...FIELDS, bountySats: 0 }, quotes: true },
    { type: OP.JOB_ACCEPT, jobId, priceSats: 123_456 },
    { type: OP.JOB_QUOTE, jobId, priceSats: 100_000, leadDays: 7, material: 'PETG', colors: ['black'], note: 'in 0.2 mm ✓' },
    { type: OP.JOB_QUOTE_WITHDRAW, jobId },
    { type: OP.JOB_OFFER, jobId, printer: b4a.alloc(32, 7), priceSats: 90_000, leadDays: 5, material: null, colors: [] }
  ]
}

const KNOWN_TYPES = new Set<number>(Object.values(OP))
const UNKNOWN_TYPES = [0, 9, 10, 11, 50, 53, 60, 100, 255, 65536].filter(n => !KNOWN_TYPES.has(n))

// --- pure decoder checks -----------------------------------------------------------------------------------------

test(`decodeOp: every prefix, random buffers, oversize and unknown version/type throw errors (seed 0x${SEED.toString(16)})`, (t) => {
  const rnd = prng(SEED)
  const at = 1_700_000_000_000
  let prefixes = 0
  let badPrefix = 0
  for (const body of validBodies(rnd.bytes(16))) {
    const buf = encodeOp(body, at)
    const op = decodeOp(buf)
    t.is(op.type, body.type, `op type ${body.type} round-trips`)
    // every proper prefix must throw an Error (not crash, not decode)
    for (let n = 0; n < buf.byteLength; n++) {
      prefixes++
      try {
        decodeOp(buf.subarray(0, n))
        badPrefix++
      } catch (err) {
        if (!(err instanceof Error)) badPrefix++
      }
    }
    // trailing bytes
    t.exception(() => decodeOp(b4a.concat([buf, b4a.from([0])])), /trailing/, `type ${body.type} with a trailing byte`)
    // the op embedded at an offset in a larger buffer decodes the same
    const big = b4a.concat([rnd.bytes(7), buf, rnd.bytes(5)])
    const norm = (o: Op): string => {
      return JSON.stringify(o, (_k, v) => v instanceof Uint8Array ? hex(v) : v?.type === 'Buffer' && Array.isArray(v.data) ? hex(b4a.from(v.data)) : v)
    }
    t.is(norm(decodeOp(big.subarray(7, 7 + buf.byteLength))), norm(op), `type ${body.type} decodes at a byte offset`)
  }
  t.is(badPrefix, 0, `all ${prefixes} proper prefixes throw an Error`)

  // unknown versions and types
  for (const version of [0, SCHEMA_VERSION + 1, SCHEMA_VERSION + 2, 127, 128, 2 ** 32]) {
    const head = b4a.concat([c.encode(c.uint, version), encodeOp({ type: OP.JOB_ACCEPT, jobId: b4a.alloc(16, 1) }, at).subarray(1)])
    t.exception(() => decodeOp(head), /version/, `version ${version} refused`)
  }
  t.ok(UNKNOWN_TYPES.length >= 5, `unknown types tried: ${UNKNOWN_TYPES.join(', ')}`)
  for (const type of UNKNOWN_TYPES) {
    const buf = b4a.concat([c.encode(c.uint, SCHEMA_VERSION), c.encode(c.uint, type), c.encode(c.uint, at), b4a.alloc(16, 1)])
    t.exception(() => decodeOp(buf), /type/, `type ${type} refused`)
  }

  // oversize: a create whose notes fit the character limit but not the byte limit
  const create = encodeOp({ type: OP.JOB_CREATE, job: { ...FIELDS, notes: '' } }, at)
  // a create ends with its notes, then the (absent) file reference flag, the open-to-quotes flag (schema v8) and
  // an empty milestones list (schema v10)
  const withNotes = (notes: string): Uint8Array => b4a.concat([create.subarray(0, create.byteLength - 4), c.encode(c.string, notes), b4a.from([0, 0, 0])])
  const fits = withNotes('€'.repeat(1300))
  t.ok(fits.byteLength <= LIMITS.opBytes, 'control: a big op under the limit')
  t.is(decodeOp(fits).type, OP.JOB_CREATE, 'control: it decodes')
  const over = withNotes('€'.repeat(LIMITS.notesChars))
  t.ok(over.byteLength > LIMITS.opBytes && over.byteLength < 10_000, 'the oversized op is just over the limit')
  t.exception(() => decodeOp(over), /too large/, 'over the byte limit refused even with few enough characters')
  t.exception(() => encodeOp({ type: OP.JOB_CREATE, job: { ...FIELDS, notes: '€'.repeat(LIMITS.notesChars) } }, at), /limit/, 'encodeOp refuses it too')
  t.exception(() => decodeOp(b4a.concat([fits, b4a.alloc(LIMITS.opBytes)])), /too large/, 'valid op padded past the limit')

  // random buffers: an Error or a well-formed op, never anything else
  let decoded = 0
  let nonErrors = 0
  let badOps = 0
  const N = 200_000
  for (let i = 0; i < N; i++) {
    const len = rnd.int(4) === 0 ? rnd.int(300) : rnd.int(40)
    const buf = rnd.bytes(len)
    if (rnd.int(2) === 0 && len > 0) buf[0] = 1 // a valid version more often, to get past the first check
    if (rnd.int(2) === 0 && len > 1) buf[1] = 1 + rnd.int(8) // and a known type
    try {
      const op = decodeOp(buf)
      decoded++
      if (op.version < 1 || op.version > SCHEMA_VERSION || !KNOWN_TYPES.has(op.type) || !Number.isSafeInteger(op.at)) badOps++
    } catch (err) {
      if (!(err instanceof Error)) nonErrors++
    }
  }
  t.is(nonErrors, 0, `${N} random buffers: nothing but Errors thrown`)
  t.is(badOps, 0, `${decoded} random buffers that decoded are well-formed ops`)
  t.exception(() => decodeOp('not bytes' as unknown as Uint8Array), /not bytes/)
})

// --- through Autobase --------------------------------------------------------------------------------------------


interface Snapshot { count: number, jobs: string[], meta: string }

// All jobs as encoded records, in query order, each cross-checked against getJob; plus the job counter.
async function snapshot (m: Market): Promise<Snapshot> {
  await m.update()
  const list = await m.jobs({ limit: 100_000 })
  const jobs: string[] = []
  for (const { job } of list) {
    const one = await m.getJob(job.id)
    const a = hex(c.encode(jobRecord, job))
    jobs.push(one !== null && hex(c.encode(jobRecord, one.job)) === a ? a : 'MISMATCH ' + a)
  }
  const meta = await m.meta()
  return { count: await m.jobCount(), jobs, meta: meta === null ? 'none' : `${meta.name}|${hex(meta.creator)}|${meta.createdAt}` }
}

const same = (a: Snapshot, b: Snapshot): boolean => a.count === b.count && a.meta === b.meta && a.jobs.length === b.jobs.length && a.jobs.every((j, i) => j === b.jobs[i])

async function post (m: Market, body: OpBody): Promise<Uint8Array | null> {
  const r = await m.append(body)
  return r.jobId
}

async function statusEverywhere (peers: TestPeer[], id: Uint8Array, status: string): Promise<boolean> {
  for (const p of peers) {
    await p.market.update()
    const j = await p.market.getJob(id)
    if (j === null || j.job.status !== status) return false
  }
  return true
}

test(`apply fuzz through Autobase: garbage changes nothing, peers converge and keep working (seed 0x${SEED.toString(16)})`, { timeout: 120_000 }, async (t) => {
  const rnd = prng(SEED ^ 0x5eed)
  const root = await tmpDir(t)
  const a = await openMarket(t, path.join(root, 'a'), null, { swarm: false, name: 'fuzz market' }) // creator, indexer, client
  const b = await openMarket(t, path.join(root, 'b'), a.market.key, { swarm: false }) // printer
  const f = await openMarket(t, path.join(root, 'f'), a.market.key, { swarm: false }) // fuzzer (becomes a writer)
  const g = await openMarket(t, path.join(root, 'g'), a.market.key, { swarm: false }) // garbage-only non-writer
  const peers = [a, b, f, g]
  for (let i = 0; i < peers.length; i++) for (let j = i + 1; j < peers.length; j++) connect(t, peers[i].market, peers[j].market)

  // --- jobs in every reachable state ---
  const started = Date.now()
  const mk = async (title: string): Promise<Uint8Array> => {
    const id = await post(a.market, { type: OP.JOB_CREATE, job: { ...FIELDS, title } })
    if (id === null) throw new Error('no id')
    return id
  }
  const jOpen = await mk('stays open')
  const jActive = await mk('active')
  const jShipped = await mk('shipped')
  const jDone = await mk('completed')
  const jDisputed = await mk('disputed')
  const jCancelled = await mk('cancelled')
  await post(a.market, { type: OP.JOB_CANCEL, jobId: jCancelled })
  t.ok(await eventually(() => statusEverywhere([b], jDisputed, 'open')), 'the printer sees the jobs')

  await post(b.market, { type: OP.JOB_ACCEPT, jobId: jActive }) // optimistic: admits b
  t.ok(await eventually(async () => { await b.market.update(); return b.market.isWriter() }, 20_000), 'the printer is admitted as a writer')
  for (const id of [jShipped, jDone, jDisputed]) await post(b.market, { type: OP.JOB_ACCEPT, jobId: id })
  await post(b.market, { type: OP.JOB_SHIP, jobId: jShipped, note: 'in the post' })
  await post(b.market, { type: OP.JOB_SHIP, jobId: jDone, note: '' })
  t.ok(await eventually(() => statusEverywhere([a], jDone, 'shipped')), 'the client sees the shipment')
  await post(a.market, { type: OP.JOB_COMPLETE, jobId: jDone })
  await post(a.market, { type: OP.JOB_DISPUTE, jobId: jDisputed, reason: 'never arrived' })

  const expected: Array<[Uint8Array, string]> = [[jOpen, 'open'], [jActive, 'active'], [jShipped, 'shipped'], [jDone, 'completed'], [jDisputed, 'disputed'], [jCancelled, 'cancelled']]
  for (const [id, status] of expected) t.ok(await eventually(() => statusEverywhere(peers, id, status)), `every peer sees a ${status} job`)
  const before = await snapshot(a.market)
  t.is(before.count, 6)
  t.is(before.jobs.length, 6)
  t.ok(before.meta.startsWith('fuzz market|' + hex(a.market.writerKey)), 'the market is named by its creator')
  for (const p of peers) t.ok(await eventually(async () => same(await snapshot(p.market), before), 20_000), 'every peer has the same view before the fuzz')
  t.comment(`setup took ${Date.now() - started} ms`)

  // --- the fuzz inputs ---
  const jobs = new Map<string, JobRecord>()
  for (const s of before.jobs) {
    const j = c.decode(jobRecord, b4a.from(s, 'hex'))
    jobs.set(hex(j.id), j)
  }
  const fKey = f.market.writerKey
  // Whether an op from the fuzzer could legitimately take effect: it has no role in any job, so only a create with
  // good fields or an accept of the open job could. Such inputs (from bit flips) are left out of the fuzz.
  const couldTakeEffect = (buf: Uint8Array): boolean => {
    let op
    try { op = decodeOp(buf) } catch { return false }
    if (op.type === OP.JOB_CREATE) return checkJobFields(op.quotes === true && op.job.bountySats === 0 ? { ...op.job, bountySats: undefined } : op.job) === null
    if (op.type === OP.MARKET_INIT) return false // the market already has its name; the snapshot checks it stays
    if (op.type === OP.MARKET_SETTINGS) return false // only the market's creator can set them
    if (!('jobId' in op)) return false // ops that name no job (e.g. printer/profile) cannot change one
    const job = jobs.get(hex(op.jobId))
    if (job === undefined) return false
    if (op.type === OP.JOB_QUOTE) return job.status === 'open' // anyone but its client may quote an open job
    const ok = checkTransition(job, op.type, fKey).ok
    if (ok && !(op.type === OP.JOB_ACCEPT && job.status === 'open')) t.fail(`checkTransition lets a stranger ${op.type} a ${job.status} job`)
    return ok
  }

  const at = 1_800_000_000_000
  const wrongAuthor: Uint8Array[] = [
    encodeOp({ type: OP.JOB_SHIP, jobId: jActive, note: 'I shipped it (not)' }, at),
    encodeOp({ type: OP.JOB_WITHDRAW, jobId: jActive }, at),
    encodeOp({ type: OP.JOB_DISPUTE, jobId: jActive, reason: 'stranger dispute' }, at),
    encodeOp({ type: OP.JOB_DISPUTE, jobId: jShipped, reason: 'stranger dispute' }, at),
    encodeOp({ type: OP.JOB_COMPLETE, jobId: jShipped }, at),
    encodeOp({ type: OP.JOB_CANCEL, jobId: jOpen }, at),
    encodeOp({ type: OP.JOB_UPDATE, jobId: jOpen, patch: { title: 'hijacked', bountySats: 1 } }, at),
    encodeOp({ type: OP.JOB_ACCEPT, jobId: jActive }, at),
    encodeOp({ type: OP.JOB_ACCEPT, jobId: jCancelled }, at),
    encodeOp({ type: OP.JOB_WITHDRAW, jobId: jShipped }, at),
    encodeOp({ type: OP.JOB_SHIP, jobId: jCancelled, note: '' }, at),
    encodeOp({ type: OP.JOB_UPDATE, jobId: jDone, patch: { notes: 'x' } }, at)
  ]
  const templates = [...wrongAuthor, ...validBodies(jOpen).map(bd => encodeOp(bd, at)), ...validBodies(rnd.bytes(16)).map(bd => encodeOp(bd, at))]

  const inputs: Array<{ kind: string, buf: Uint8Array }> = []
  for (const buf of wrongAuthor) inputs.push({ kind: 'wrong author', buf })
  for (const buf of templates) for (let n = 0; n < buf.byteLength; n++) inputs.push({ kind: 'prefix', buf: buf.subarray(0, n) })
  for (let i = 0; i < 2000; i++) {
    const len = rnd.int(8) === 0 ? 1 + rnd.int(600) : 1 + rnd.int(48)
    const buf = rnd.bytes(len)
    if (rnd.int(2) === 0) buf[0] = 1
    if (rnd.int(2) === 0 && len > 1) buf[1] = 1 + rnd.int(8)
    inputs.push({ kind: 'random', buf })
  }
  for (let i = 0; i < 600; i++) {
    const buf = b4a.from(templates[rnd.int(templates.length)])
    const flips = 1 + rnd.int(3)
    for (let k = 0; k < flips; k++) buf[rnd.int(buf.byteLength)] ^= 1 + rnd.int(255)
    inputs.push({ kind: 'flipped', buf })
  }
  const create = encodeOp({ type: OP.JOB_CREATE, job: { ...FIELDS, notes: '' } }, at)
  for (const size of [LIMITS.opBytes + 1, LIMITS.opBytes + 100, 3 * LIMITS.opBytes]) {
    const notes = '€'.repeat(Math.ceil(size / 3))
    const buf = b4a.concat([create.subarray(0, create.byteLength - 3), c.encode(c.string, notes), b4a.from([0, 0])])
    inputs.push({ kind: 'oversized', buf })
    inputs.push({ kind: 'oversized', buf: b4a.concat([create, b4a.alloc(size)]) })
  }
  for (const version of [0, SCHEMA_VERSION + 1, 255, 2 ** 31]) {
    for (const tmpl of templates.slice(0, 4)) inputs.push({ kind: 'unknown version', buf: b4a.concat([c.encode(c.uint, version), tmpl.subarray(1)]) })
  }
  for (const type of UNKNOWN_TYPES) {
    inputs.push({ kind: 'unknown type', buf: b4a.concat([c.encode(c.uint, 1), c.encode(c.uint, type), c.encode(c.uint, at), jOpen]) })
  }
  const fuzz = inputs.filter(i => !couldTakeEffect(i.buf))
  const left = inputs.length - fuzz.length
  t.comment(`${left} of ${inputs.length} inputs left out as possibly valid`)
  t.ok(left < 60, `${left} of ${inputs.length} inputs left out as possibly valid (creates, accepts and quotes from bit flips)`)
  for (const kind of ['wrong author', 'prefix', 'random', 'flipped', 'oversized', 'unknown version', 'unknown type']) {
    t.ok(fuzz.some(i => i.kind === kind), `fuzz includes ${kind} inputs`)
  }
  t.is(fuzz.filter(i => i.kind === 'wrong author').length, wrongAuthor.length, 'every wrong-author op is in the fuzz')
  t.ok(fuzz.filter(i => i.kind === 'oversized').every(i => i.buf.byteLength > LIMITS.opBytes), 'oversized inputs are over the limit')

  // --- a non-writer appending only garbage (optimistically) is never admitted ---
  const decodes = (buf: Uint8Array): boolean => { try { decodeOp(buf); return true } catch { return false } }
  const garbage = fuzz.filter(i => (i.kind === 'random' || i.kind === 'oversized') && !decodes(i.buf)).slice(0, 40)
  let threw = 0
  for (const { buf } of garbage) {
    try { await g.market.base.append(buf, { optimistic: true }) } catch { threw++ }
  }
  t.is(threw, 0, `${garbage.length} optimistic garbage appends by a non-writer do not throw`)

  // --- the fuzzer: admitted by its writer/admit (the market's work, lib/market/admission.ts), then a well-formed op
  // that has no effect, then everything else as a writer ---
  const tf = Date.now()
  const first = fuzz[0]
  t.is(first.kind, 'wrong author')
  await f.market.admit()
  try { await f.market.base.append(first.buf, { optimistic: true }) } catch { threw++ }
  t.ok(await eventually(async () => { await f.market.update(); return f.market.isWriter() }, 20_000), 'the fuzzer\'s writer/admit admits it as a writer')
  let updates = 0
  for (let i = 1; i < fuzz.length; i++) {
    try { await f.market.base.append(fuzz[i].buf) } catch { threw++ }
    if (i % 250 === 0) {
      try { await f.market.update(); updates++ } catch { threw++ }
    }
  }
  t.is(threw, 0, `${fuzz.length} fuzz appends did not throw`)
  t.ok(updates > 0, 'update() resolved between batches')
  t.is(f.market.base.local.length, fuzz.length + 1, 'its writer/admit and every input are in the fuzzer\'s log')
  await t.execution(f.market.update(), 'update() resolves after the fuzz')
  t.comment(`${fuzz.length} appends took ${Date.now() - tf} ms`)

  const local = await snapshot(f.market)
  t.ok(same(local, before), 'the fuzzer\'s own view is unchanged')

  // --- valid ops afterwards, from the fuzzer and from the others, reach everyone ---
  const afterFuzz = await post(f.market, { type: OP.JOB_CREATE, job: { ...FIELDS, title: 'posted after the fuzz' } })
  t.ok(afterFuzz !== null, 'the fuzzer posts a valid job')
  if (afterFuzz === null) return
  t.ok(await eventually(() => statusEverywhere(peers, afterFuzz, 'open'), 30_000), 'a job posted by the fuzzer after the fuzz is seen by every peer')
  // the fuzzer's log is causally ordered, so every peer that has the new job has applied the whole fuzz before it
  for (const p of peers) {
    const s = await snapshot(p.market)
    const old = { count: s.count - 1, meta: s.meta, jobs: s.jobs.filter(j => !j.includes(hex(afterFuzz))) }
    t.ok(same(old, before), `peer ${peers.indexOf(p)}: every job from before the fuzz is byte-identical`)
    t.is(s.count, before.count + 1, `peer ${peers.indexOf(p)}: job count grew by exactly one`)
  }
  const fresh = await f.market.getJob(afterFuzz)
  t.is(fresh?.job.seq, before.count, 'the new job is numbered right after the old ones')

  await post(b.market, { type: OP.JOB_ACCEPT, jobId: afterFuzz })
  t.ok(await eventually(() => statusEverywhere(peers, afterFuzz, 'active'), 30_000), 'the printer can still accept it, everywhere')
  await post(f.market, { type: OP.JOB_DISPUTE, jobId: afterFuzz, reason: 'changed my mind' })
  t.ok(await eventually(() => statusEverywhere(peers, afterFuzz, 'disputed'), 30_000), 'the fuzzer, as its client, can dispute it')
  const fromA = await post(a.market, { type: OP.JOB_CREATE, job: { ...FIELDS, title: 'from the creator' } })
  t.ok(fromA !== null && await eventually(() => statusEverywhere(peers, fromA, 'open'), 30_000), 'the creator can still post')

  // the garbage-only peer was never admitted, but its garbage does not lock it out: a valid op admits it
  t.absent(g.market.isWriter(), 'the garbage-only peer is not a writer')
  const fromG = await post(g.market, { type: OP.JOB_CREATE, job: { ...FIELDS, title: 'from the garbage peer' } })
  t.ok(fromG !== null && await eventually(() => statusEverywhere(peers, fromG, 'open'), 30_000), 'a valid job from the garbage-only peer reaches everyone')

  const final = await snapshot(a.market)
  t.is(final.count, before.count + 3, 'exactly the three valid jobs were added')
  for (const p of peers.slice(1)) t.ok(await eventually(async () => same(await snapshot(p.market), final), 20_000), `peer ${peers.indexOf(p)} converges to the creator's view`)
  t.comment(`whole test body took ${Date.now() - started} ms`)
})
