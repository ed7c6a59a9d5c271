// The job state machine, twice: the pure `checkTransition` against an explicit expected table, and the same
// lifecycle driven through the real reducer (`applyOp`) on a real Hyperbee over a real Corestore core.
import test from 'brittle'
import b4a from 'b4a'
import c from 'compact-encoding'
import { openBee } from './helpers.js'
import {
  OP, LIMITS, STATUSES, ACTION_AUTO_ACTIVATE, encodeOp, decodeOp, jobRecord,
  type OpBody, type OpType, type Status, type JobFields, type JobRecord, type Op
} from '../lib/schema.js'
import { checkTransition, checkJobFields, roleOf, type Role } from '../lib/job/state.js'
import { applyOp, jobIdFor } from '../lib/market/apply.js'
import { getJob, getWriter, jobKey, putJob, queryJobs, type View } from '../lib/market/view.js'

// --- the expected table ------------------------------------------------------------------------------------------
// One row per (action, status); the three cells are the outcome for [client, printer, other]:
//   a status name = allowed, leading to that status;  N = NOT_ALLOWED (wrong role);  B = BAD_TRANSITION (wrong state).
// Role is checked before state, so a wrong role is NOT_ALLOWED in every state.
type Cell = Status | 'N' | 'B'
type Row = [Cell, Cell, Cell]

const ACTIONS: Array<{ name: string, type: OpType }> = [
  { name: 'job/update', type: OP.JOB_UPDATE },
  { name: 'job/cancel', type: OP.JOB_CANCEL },
  { name: 'job/accept', type: OP.JOB_ACCEPT },
  { name: 'job/withdraw', type: OP.JOB_WITHDRAW },
  { name: 'job/ship', type: OP.JOB_SHIP },
  { name: 'job/complete', type: OP.JOB_COMPLETE },
  { name: 'job/dispute', type: OP.JOB_DISPUTE }
]

const ROLES: Role[] = ['client', 'printer', 'other']

const EXPECTED: Record<string, Record<Status, Row>> = {
  'job/update': {
    open: ['open', 'N', 'N'],
    accepted: ['B', 'N', 'N'],
    active: ['B', 'N', 'N'],
    shipped: ['B', 'N', 'N'],
    completed: ['B', 'N', 'N'],
    cancelled: ['B', 'N', 'N'],
    disputed: ['B', 'N', 'N']
  },
  'job/cancel': {
    open: ['cancelled', 'N', 'N'],
    accepted: ['B', 'N', 'N'],
    active: ['B', 'N', 'N'],
    shipped: ['B', 'N', 'N'],
    completed: ['B', 'N', 'N'],
    cancelled: ['B', 'N', 'N'],
    disputed: ['B', 'N', 'N']
  },
  'job/accept': {
    open: ['N', 'N', 'accepted'],
    accepted: ['N', 'N', 'B'],
    active: ['N', 'N', 'B'],
    shipped: ['N', 'N', 'B'],
    completed: ['N', 'N', 'B'],
    cancelled: ['N', 'N', 'B'],
    disputed: ['N', 'N', 'B']
  },
  'job/withdraw': {
    open: ['N', 'B', 'N'],
    accepted: ['N', 'open', 'N'],
    active: ['N', 'open', 'N'],
    shipped: ['N', 'B', 'N'],
    completed: ['N', 'B', 'N'],
    cancelled: ['N', 'B', 'N'],
    disputed: ['N', 'B', 'N']
  },
  'job/ship': {
    open: ['N', 'B', 'N'],
    accepted: ['N', 'B', 'N'],
    active: ['N', 'shipped', 'N'],
    shipped: ['N', 'B', 'N'],
    completed: ['N', 'B', 'N'],
    cancelled: ['N', 'B', 'N'],
    disputed: ['N', 'B', 'N']
  },
  'job/complete': {
    open: ['B', 'N', 'N'],
    accepted: ['B', 'N', 'N'],
    active: ['B', 'N', 'N'],
    shipped: ['completed', 'N', 'N'],
    completed: ['B', 'N', 'N'],
    cancelled: ['B', 'N', 'N'],
    disputed: ['B', 'N', 'N']
  },
  'job/dispute': {
    open: ['B', 'B', 'N'],
    accepted: ['B', 'B', 'N'],
    active: ['disputed', 'disputed', 'N'],
    shipped: ['disputed', 'disputed', 'N'],
    completed: ['B', 'B', 'N'],
    cancelled: ['B', 'B', 'N'],
    disputed: ['B', 'B', 'N']
  }
}

const CLIENT = b4a.alloc(32, 0xc1)
const PRINTER = b4a.alloc(32, 0xb2)
const OTHER = b4a.alloc(32, 0x03)
const AUTHOR: Record<Role, Uint8Array> = { client: CLIENT, printer: PRINTER, other: OTHER }

const FIELDS: JobFields = { title: 'Benchy', material: 'PLA', colors: ['red'], bountySats: 10_000, country: 'DE', notes: '' }

// --- pure state machine ------------------------------------------------------------------------------------------

test('checkTransition: every action × status × role matches the expected table', (t) => {
  t.is(ACTIONS.length * STATUSES.length * ROLES.length, 147, 'the table covers 7 × 7 × 3 cells')
  for (const { name, type } of ACTIONS) {
    for (const status of STATUSES) {
      const row = EXPECTED[name][status]
      t.ok(row !== undefined, `table has a row for ${name} from ${status}`)
      ROLES.forEach((role, i) => {
        const job = { client: CLIENT, printer: PRINTER, status }
        t.is(roleOf(job, AUTHOR[role]), role, `author is the ${role}`)
        const got = checkTransition(job, type, AUTHOR[role])
        const want = row[i]
        const label = `${name} from ${status} by ${role}`
        if (want === 'N' || want === 'B') {
          const code = want === 'N' ? 'NOT_ALLOWED' : 'BAD_TRANSITION'
          t.alike(got.ok ? { ok: true, to: got.to } : { ok: false, code: got.code }, { ok: false, code }, `${label} → ${code}`)
          if (!got.ok) t.ok(got.reason.length > 0, `${label} has a reason`)
        } else {
          t.alike(got, { ok: true, to: want }, `${label} → ${want}`)
        }
      })
    }
  }
})

test('checkTransition: a job without a printer gives no one the printer role; create is not a transition', (t) => {
  const job = { client: CLIENT, printer: null, status: 'open' as Status }
  t.is(roleOf(job, PRINTER), 'other')
  const w = checkTransition(job, OP.JOB_WITHDRAW, PRINTER)
  t.alike(w.ok ? 'ok' : w.code, 'NOT_ALLOWED', 'withdraw by a non-printer of an open job is NOT_ALLOWED')
  const a = checkTransition(job, OP.JOB_ACCEPT, PRINTER)
  t.alike(a, { ok: true, to: 'accepted' }, 'anyone but the client may accept an open job')
  const own = checkTransition(job, OP.JOB_ACCEPT, CLIENT)
  t.is(own.ok ? 'ok' : own.code, 'NOT_ALLOWED', 'the client cannot accept its own job')
  const cr = checkTransition(job, OP.JOB_CREATE, CLIENT)
  t.is(cr.ok ? 'ok' : cr.code, 'BAD_TRANSITION', 'job/create is not a transition')
  const init = checkTransition(job, OP.MARKET_INIT, CLIENT)
  t.is(init.ok ? 'ok' : init.code, 'BAD_TRANSITION', 'market/init is not a transition')
})

test('checkJobFields: accepts good fields, rejects bad ones', (t) => {
  t.is(checkJobFields(FIELDS), null, 'good fields')
  t.is(checkJobFields({}), null, 'empty patch')
  t.is(checkJobFields({ title: 'x'.repeat(LIMITS.titleChars) }), null, 'title at the limit')
  t.is(checkJobFields({ colors: Array.from({ length: LIMITS.colors }, (_, i) => 'c' + i) }), null, 'colours at the limit')
  t.is(checkJobFields({ bountySats: 1 }), null, 'bounty of one sat')
  t.is(checkJobFields({ bountySats: LIMITS.maxBountySats }), null, 'bounty of 21M BTC')
  const bad: Array<[string, Partial<JobFields>]> = [
    ['empty title', { title: '' }],
    ['blank title', { title: '   ' }],
    ['long title', { title: 'x'.repeat(LIMITS.titleChars + 1) }],
    ['unknown country', { country: 'XX' }],
    ['lowercase country', { country: 'de' }],
    ['bounty 0', { bountySats: 0 }],
    ['negative bounty', { bountySats: -5 }],
    ['fractional bounty', { bountySats: 1.5 }],
    ['bounty over 21M BTC', { bountySats: LIMITS.maxBountySats + 1 }],
    ['too many colours', { colors: Array.from({ length: LIMITS.colors + 1 }, (_, i) => 'c' + i) }],
    ['empty colour', { colors: [''] }],
    ['long colour', { colors: ['x'.repeat(LIMITS.colorChars + 1)] }],
    ['unknown material', { material: 'Wood' as JobFields['material'] }],
    ['long notes', { notes: 'x'.repeat(LIMITS.notesChars + 1) }]
  ]
  for (const [label, patch] of bad) t.ok(typeof checkJobFields(patch) === 'string', `rejects ${label}`)
})

// --- through the reducer -----------------------------------------------------------------------------------------


let clock = 1_700_000_000_000

// Encodes, decodes and applies one op in its own batch, as apply does for one node.
async function run (bee: View, body: OpBody, author: Uint8Array, length: number, at = ++clock): Promise<boolean> {
  const op = decodeOp(encodeOp(body, at))
  return runOp(bee, op, author, length)
}

async function runOp (bee: View, op: Op, author: Uint8Array, length: number): Promise<boolean> {
  const batch = bee.batch()
  const ok = await applyOp(batch, op, author, length)
  await batch.flush()
  return ok
}

async function rawJob (bee: View, id: Uint8Array): Promise<Uint8Array | null> {
  const e = await bee.get(jobKey(id))
  return e === null ? null : e.value
}

async function mustGet (bee: View, id: Uint8Array): Promise<JobRecord> {
  const j = await getJob(bee, id)
  if (j === null) throw new Error('job missing')
  return j
}

// A per-author log position, so every create gets the id jobIdFor(author, length) a real log would give it.
class Lengths {
  private readonly m = new Map<string, number>()
  next (author: Uint8Array): number {
    const k = b4a.toString(author, 'hex')
    const n = (this.m.get(k) ?? 0) + 1
    this.m.set(k, n)
    return n
  }
}

function bodyFor (type: OpType, jobId: Uint8Array): OpBody {
  switch (type) {
    case OP.JOB_UPDATE: return { type, jobId, patch: { title: 'changed title' } }
    case OP.JOB_SHIP: return { type, jobId, note: 'tracking 123' }
    case OP.JOB_DISPUTE: return { type, jobId, reason: 'arrived broken' }
    case OP.JOB_CANCEL:
    case OP.JOB_ACCEPT:
    case OP.JOB_WITHDRAW:
    case OP.JOB_COMPLETE:
      return { type, jobId }
    default: throw new Error('not a transition')
  }
}

// Brings a fresh job of `client` to `status` through real ops (the 'accepted' state cannot be reached through
// apply while escrow is off, so that record is written directly with putJob).
async function jobIn (bee: View, lens: Lengths, client: Uint8Array, status: Status): Promise<Uint8Array> {
  const len = lens.next(client)
  if (!(await run(bee, { type: OP.JOB_CREATE, job: FIELDS }, client, len))) throw new Error('create failed')
  const id = jobIdFor(client, len)
  const step = async (body: OpBody, author: Uint8Array): Promise<void> => {
    if (!(await run(bee, body, author, lens.next(author)))) throw new Error(`setup step ${body.type} failed`)
  }
  switch (status) {
    case 'open': break
    case 'cancelled': await step({ type: OP.JOB_CANCEL, jobId: id }, client); break
    case 'accepted': {
      const job = await mustGet(bee, id)
      const next: JobRecord = { ...job, status: 'accepted', printer: PRINTER, history: [...job.history, { action: OP.JOB_ACCEPT, from: 'open', to: 'accepted', by: PRINTER, at: clock, note: '' }] }
      const batch = bee.batch()
      await putJob(batch, job, next)
      await batch.flush()
      break
    }
    case 'active': await step({ type: OP.JOB_ACCEPT, jobId: id }, PRINTER); break
    case 'shipped':
      await step({ type: OP.JOB_ACCEPT, jobId: id }, PRINTER)
      await step({ type: OP.JOB_SHIP, jobId: id, note: '' }, PRINTER)
      break
    case 'completed':
      await step({ type: OP.JOB_ACCEPT, jobId: id }, PRINTER)
      await step({ type: OP.JOB_SHIP, jobId: id, note: '' }, PRINTER)
      await step({ type: OP.JOB_COMPLETE, jobId: id }, client)
      break
    case 'disputed':
      await step({ type: OP.JOB_ACCEPT, jobId: id }, PRINTER)
      await step({ type: OP.JOB_DISPUTE, jobId: id, reason: 'late' }, client)
      break
  }
  const job = await mustGet(bee, id)
  if (job.status !== status) throw new Error(`setup reached ${job.status}, not ${status}`)
  return id
}

test('reducer: every action × status × role behaves as the expected table says', async (t) => {
  const bee = await openBee(t)
  const lens = new Lengths()
  let cell = 0
  for (const { name, type } of ACTIONS) {
    for (const status of STATUSES) {
      for (let i = 0; i < ROLES.length; i++) {
        const role = ROLES[i]
        // a job with no printer (open, cancelled) has no one in the printer role
        if (role === 'printer' && (status === 'open' || status === 'cancelled')) continue
        // a fresh client per cell keeps the open-job limit out of the way
        const client = b4a.alloc(32, 0xcc)
        new DataView(client.buffer, client.byteOffset, 32).setUint32(0, ++cell)
        const author = role === 'client' ? client : AUTHOR[role]
        const id = await jobIn(bee, lens, client, status)
        const before = await mustGet(bee, id)
        const beforeRaw = await rawJob(bee, id)
        const version = bee.version
        const at = ++clock
        const ok = await run(bee, bodyFor(type, id), author, lens.next(author), at)
        const after = await mustGet(bee, id)
        const want = EXPECTED[name][status][i]
        const label = `${name} from ${status} by ${role}`
        if (want === 'N' || want === 'B') {
          t.is(ok, false, `${label} is refused`)
          t.ok(beforeRaw !== null && b4a.equals(beforeRaw, (await rawJob(bee, id)) as Uint8Array) && bee.version === version,
            `${label} leaves the record byte-identical and writes nothing`)
        } else {
          const reached = want === 'accepted' ? 'active' : want // no escrow: accept moves straight on to active
          const printer = type === OP.JOB_ACCEPT ? author : type === OP.JOB_WITHDRAW ? null : before.printer
          t.alike(
            { ok, status: after.status, printer: after.printer === null ? null : b4a.toString(after.printer, 'hex'), updatedAt: after.updatedAt, last: after.history[after.history.length - 1].action },
            { ok: true, status: reached, printer: printer === null ? null : b4a.toString(printer, 'hex'), updatedAt: at, last: type === OP.JOB_ACCEPT ? ACTION_AUTO_ACTIVATE : type },
            `${label} → ${reached}`)
          t.is(after.history.length, before.history.length + (type === OP.JOB_ACCEPT ? 2 : 1), `${label} adds history`)
        }
      }
    }
  }
})

test('reducer: create derives the job id from (author, length) via jobIdFor', async (t) => {
  const bee = await openBee(t)
  t.ok(b4a.equals(jobIdFor(CLIENT, 7), jobIdFor(CLIENT, 7)), 'jobIdFor is deterministic')
  t.absent(b4a.equals(jobIdFor(CLIENT, 7), jobIdFor(CLIENT, 8)), 'another length gives another id')
  t.absent(b4a.equals(jobIdFor(CLIENT, 7), jobIdFor(OTHER, 7)), 'another author gives another id')
  t.is(jobIdFor(CLIENT, 7).byteLength, 16)

  t.ok(await run(bee, { type: OP.JOB_CREATE, job: FIELDS }, CLIENT, 7, 1000), 'create at length 7')
  const job = await getJob(bee, jobIdFor(CLIENT, 7))
  t.ok(job !== null, 'the job is stored under jobIdFor(author, length)')
  if (job === null) return
  t.ok(b4a.equals(job.id, jobIdFor(CLIENT, 7)))
  t.ok(b4a.equals(job.client, CLIENT), 'the author is the client')
  t.alike({ status: job.status, printer: job.printer, createdAt: job.createdAt, updatedAt: job.updatedAt, updates: job.updates, seq: job.seq },
    { status: 'open', printer: null, createdAt: 1000, updatedAt: 1000, updates: 0, seq: 0 })
  t.alike(job.history.map(h => [h.action, h.from, h.to, h.at]), [[OP.JOB_CREATE, null, 'open', 1000]])
  t.alike({ title: job.title, material: job.material, colors: job.colors, bountySats: job.bountySats, country: job.country, notes: job.notes }, FIELDS)

  const version = bee.version
  t.is(await run(bee, { type: OP.JOB_CREATE, job: { ...FIELDS, title: 'again' } }, CLIENT, 7), false, 'a second create at the same (author, length) is refused')
  t.is(bee.version, version, '... and writes nothing')
  t.ok(await run(bee, { type: OP.JOB_CREATE, job: FIELDS }, OTHER, 7), 'another author at the same length creates its own job')
  const second = await getJob(bee, jobIdFor(OTHER, 7))
  t.is(second?.seq, 1, 'jobs are numbered in apply order')
  const v2 = bee.version
  t.is(await run(bee, { type: OP.MARKET_INIT, name: 'renamed' }, CLIENT, 8), false, 'applyOp ignores market/init')
  t.is(bee.version, v2, '... and writes nothing')
})

test('reducer: update by the client of an open job changes its fields and indexes', async (t) => {
  const bee = await openBee(t)
  t.ok(await run(bee, { type: OP.JOB_CREATE, job: FIELDS }, CLIENT, 1, 100))
  const id = jobIdFor(CLIENT, 1)
  const patch = { title: 'Bigger benchy', material: 'PETG' as const, colors: ['blue', 'green'], bountySats: 25_000, country: 'FR', notes: 'matte' }
  t.ok(await run(bee, { type: OP.JOB_UPDATE, jobId: id, patch }, CLIENT, 2, 200), 'client updates')
  const job = await mustGet(bee, id)
  t.alike({ title: job.title, material: job.material, colors: job.colors, bountySats: job.bountySats, country: job.country, notes: job.notes }, patch, 'all fields changed')
  t.alike({ status: job.status, updates: job.updates, createdAt: job.createdAt, updatedAt: job.updatedAt }, { status: 'open', updates: 1, createdAt: 100, updatedAt: 200 })
  t.alike(job.history.map(h => [h.action, h.from, h.to, h.at]), [[OP.JOB_CREATE, null, 'open', 100], [OP.JOB_UPDATE, 'open', 'open', 200]])

  t.ok(await run(bee, { type: OP.JOB_UPDATE, jobId: id, patch: { notes: 'only notes' } }, CLIENT, 3, 300), 'partial update')
  const j2 = await mustGet(bee, id)
  t.is(j2.notes, 'only notes')
  t.is(j2.title, 'Bigger benchy', 'fields not in the patch are kept')
  t.is(j2.updates, 2)

  t.is((await queryJobs(bee, { status: 'open', material: 'PETG', country: 'FR' })).length, 1, 'indexed under the new material and country')
  t.is((await queryJobs(bee, { status: 'open', material: 'PLA' })).length, 0, 'no longer under the old material')
  t.is((await queryJobs(bee, { status: 'open', country: 'DE' })).length, 0, 'no longer under the old country')

  // others may not update
  const raw = await rawJob(bee, id)
  const version = bee.version
  t.is(await run(bee, { type: OP.JOB_UPDATE, jobId: id, patch: { title: 'hijack' } }, OTHER, 1), false, 'a stranger cannot update')
  t.is(await run(bee, { type: OP.JOB_UPDATE, jobId: id, patch: { title: 'hijack' } }, PRINTER, 1), false, 'a would-be printer cannot update')
  t.is(await run(bee, { type: OP.JOB_UPDATE, jobId: b4a.alloc(16, 9), patch: { title: 'x' } }, CLIENT, 4), false, 'an unknown job cannot be updated')
  t.ok(b4a.equals(raw as Uint8Array, (await rawJob(bee, id)) as Uint8Array), 'record byte-identical')
  t.is(bee.version, version, 'nothing written')

  // after acceptance the client cannot update either
  t.ok(await run(bee, { type: OP.JOB_ACCEPT, jobId: id }, PRINTER, 1))
  t.is(await run(bee, { type: OP.JOB_UPDATE, jobId: id, patch: { title: 'late change' } }, CLIENT, 5), false, 'no update once active')
  t.is(await run(bee, { type: OP.JOB_UPDATE, jobId: id, patch: { title: 'late change' } }, PRINTER, 2), false, 'the printer cannot update')
  t.is((await mustGet(bee, id)).title, 'Bigger benchy')
})

test('reducer: field checks refuse bad creates and updates', async (t) => {
  const bee = await openBee(t)
  t.ok(await run(bee, { type: OP.JOB_CREATE, job: FIELDS }, CLIENT, 1))
  const id = jobIdFor(CLIENT, 1)
  const raw = await rawJob(bee, id)
  const version = bee.version
  const bad: Array<[string, Partial<JobFields>]> = [
    ['empty title', { title: '' }],
    ['blank title', { title: '  \t ' }],
    ['unknown country XX', { country: 'XX' }],
    ['bounty 0', { bountySats: 0 }],
    ['empty colour', { colors: ['red', ' '] }]
  ]
  let len = 2
  for (const [label, patch] of bad) {
    t.is(await run(bee, { type: OP.JOB_CREATE, job: { ...FIELDS, ...patch } }, CLIENT, len++), false, `create with ${label} refused`)
    t.is(await run(bee, { type: OP.JOB_UPDATE, jobId: id, patch }, CLIENT, len++), false, `update with ${label} refused`)
  }
  // too many colours does not even decode; the reducer refuses it too when handed the op directly
  const nine = Array.from({ length: LIMITS.colors + 1 }, (_, i) => 'c' + i)
  t.exception(() => decodeOp(encodeOp({ type: OP.JOB_CREATE, job: { ...FIELDS, colors: nine } }, 1)), 'too many colours do not decode')
  t.exception(() => decodeOp(encodeOp({ type: OP.JOB_UPDATE, jobId: id, patch: { colors: nine } }, 1)), 'nor as a patch')
  t.is(await runOp(bee, { type: OP.JOB_CREATE, job: { ...FIELDS, colors: nine }, version: 1, at: 1 }, CLIENT, len++), false, 'create with too many colours refused')
  t.is(await runOp(bee, { type: OP.JOB_UPDATE, jobId: id, patch: { colors: nine }, version: 1, at: 1 }, CLIENT, len++), false, 'update with too many colours refused')
  t.is(await runOp(bee, { type: OP.JOB_CREATE, job: { ...FIELDS, bountySats: -1 }, version: 1, at: 1 }, CLIENT, len++), false, 'negative bounty refused')

  t.ok(b4a.equals(raw as Uint8Array, (await rawJob(bee, id)) as Uint8Array), 'record byte-identical')
  t.is(bee.version, version, 'nothing written by any refused op')
  t.is((await queryJobs(bee, {})).length, 1, 'still one job')
  t.alike(await getWriter(bee, CLIENT), { ops: 1, jobs: 1, openJobs: 1, quoteHourAt: 0, quotesInHour: 0 }, 'refused ops are not counted')
})

test('reducer: LIMITS.openJobsPerClient open jobs per client', async (t) => {
  const bee = await openBee(t)
  const ids: Uint8Array[] = []
  let len = 0
  for (let i = 0; i < LIMITS.openJobsPerClient; i++) {
    const ok = await run(bee, { type: OP.JOB_CREATE, job: { ...FIELDS, title: 'job ' + i } }, CLIENT, ++len)
    if (!ok) t.fail(`create ${i} refused`)
    ids.push(jobIdFor(CLIENT, len))
  }
  t.is((await getWriter(bee, CLIENT)).openJobs, LIMITS.openJobsPerClient, `${LIMITS.openJobsPerClient} open jobs`)
  t.is(await run(bee, { type: OP.JOB_CREATE, job: FIELDS }, CLIENT, ++len), false, 'one more is refused')
  t.is(await getJob(bee, jobIdFor(CLIENT, len)), null, '... and not stored')
  t.ok(await run(bee, { type: OP.JOB_CREATE, job: FIELDS }, OTHER, 1), 'another client is not limited')

  t.ok(await run(bee, { type: OP.JOB_CANCEL, jobId: ids[0] }, CLIENT, ++len), 'cancel one')
  t.is((await getWriter(bee, CLIENT)).openJobs, LIMITS.openJobsPerClient - 1)
  t.ok(await run(bee, { type: OP.JOB_CREATE, job: FIELDS }, CLIENT, ++len), 'a cancelled job frees a slot')
  t.is(await run(bee, { type: OP.JOB_CREATE, job: FIELDS }, CLIENT, ++len), false, 'full again')

  t.ok(await run(bee, { type: OP.JOB_ACCEPT, jobId: ids[1] }, PRINTER, 1), 'accept one')
  t.is((await getWriter(bee, CLIENT)).openJobs, LIMITS.openJobsPerClient - 1, 'an accepted job is no longer open')
  t.ok(await run(bee, { type: OP.JOB_CREATE, job: FIELDS }, CLIENT, ++len), 'an accepted job frees a slot')
  t.ok(await run(bee, { type: OP.JOB_WITHDRAW, jobId: ids[1] }, PRINTER, 2), 'withdraw')
  const w = await getWriter(bee, CLIENT)
  t.is(w.openJobs, (await queryJobs(bee, { status: 'open', mine: CLIENT, limit: 100 })).length, 'the counter matches the open jobs in the view')
  t.is(await run(bee, { type: OP.JOB_CREATE, job: FIELDS }, CLIENT, ++len), false, 'still no room after the withdrawal')
})

test('reducer: LIMITS.updatesPerJob updates per job', async (t) => {
  const bee = await openBee(t)
  t.ok(await run(bee, { type: OP.JOB_CREATE, job: FIELDS }, CLIENT, 1))
  const id = jobIdFor(CLIENT, 1)
  let len = 1
  let refused = 0
  for (let i = 0; i < LIMITS.updatesPerJob; i++) {
    if (!(await run(bee, { type: OP.JOB_UPDATE, jobId: id, patch: { notes: 'rev ' + i } }, CLIENT, ++len))) refused++
  }
  t.is(refused, 0, `${LIMITS.updatesPerJob} updates accepted`)
  const job = await mustGet(bee, id)
  t.is(job.updates, LIMITS.updatesPerJob)
  t.is(job.notes, 'rev ' + (LIMITS.updatesPerJob - 1))
  const raw = await rawJob(bee, id)
  t.is(await run(bee, { type: OP.JOB_UPDATE, jobId: id, patch: { notes: 'one too many' } }, CLIENT, ++len), false, 'the next update is refused')
  t.ok(b4a.equals(raw as Uint8Array, (await rawJob(bee, id)) as Uint8Array), 'record byte-identical')
  t.ok(await run(bee, { type: OP.JOB_CANCEL, jobId: id }, CLIENT, ++len), 'the client can still cancel')
})

test('reducer: accept, withdraw, ship, dispute and complete record who, when and why', async (t) => {
  const bee = await openBee(t)
  t.ok(await run(bee, { type: OP.JOB_CREATE, job: FIELDS }, CLIENT, 1, 10))
  const id = jobIdFor(CLIENT, 1)

  t.is(await run(bee, { type: OP.JOB_ACCEPT, jobId: id }, CLIENT, 2, 11), false, 'the client cannot accept its own job')
  t.is((await mustGet(bee, id)).status, 'open')

  t.ok(await run(bee, { type: OP.JOB_ACCEPT, jobId: id }, PRINTER, 1, 20), 'a printer accepts')
  let job = await mustGet(bee, id)
  t.is(job.status, 'active', 'accept moves on to active (no escrow)')
  t.ok(job.printer !== null && b4a.equals(job.printer, PRINTER), 'the printer is recorded')
  t.is(job.updatedAt, 20)
  t.alike(job.history.map(h => [h.action, h.from, h.to, h.at]),
    [[OP.JOB_CREATE, null, 'open', 10], [OP.JOB_ACCEPT, 'open', 'accepted', 20], [ACTION_AUTO_ACTIVATE, 'accepted', 'active', 20]],
    'history: create, accept, auto-activate(100)')
  t.ok(b4a.equals(job.history[1].by, PRINTER) && b4a.equals(job.history[2].by, PRINTER), 'by the printer')
  t.is(await run(bee, { type: OP.JOB_ACCEPT, jobId: id }, OTHER, 1, 21), false, 'a second printer cannot accept')
  t.is((await queryJobs(bee, { mine: PRINTER })).length, 1, 'listed under the printer')

  t.ok(await run(bee, { type: OP.JOB_WITHDRAW, jobId: id }, PRINTER, 2, 30), 'the printer withdraws')
  job = await mustGet(bee, id)
  t.alike({ status: job.status, printer: job.printer, updatedAt: job.updatedAt }, { status: 'open', printer: null, updatedAt: 30 }, 'open again, no printer')
  t.alike(job.history.slice(3).map(h => [h.action, h.from, h.to]), [[OP.JOB_WITHDRAW, 'active', 'open']])
  t.is((await queryJobs(bee, { mine: PRINTER })).length, 0, 'no longer listed under the printer')
  t.is(await run(bee, { type: OP.JOB_SHIP, jobId: id, note: 'x' }, PRINTER, 3), false, 'the former printer cannot ship')

  t.ok(await run(bee, { type: OP.JOB_ACCEPT, jobId: id }, OTHER, 2, 40), 'another printer accepts')
  t.is(await run(bee, { type: OP.JOB_SHIP, jobId: id, note: 'x' }, PRINTER, 4), false, 'the former printer still cannot ship')
  t.ok(await run(bee, { type: OP.JOB_SHIP, jobId: id, note: 'DHL 00340434' }, OTHER, 3, 50), 'the new printer ships')
  job = await mustGet(bee, id)
  const ship = job.history[job.history.length - 1]
  t.alike([ship.action, ship.from, ship.to, ship.note, ship.at], [OP.JOB_SHIP, 'active', 'shipped', 'DHL 00340434', 50], 'ship note in history')

  const raw = await rawJob(bee, id)
  t.is(await run(bee, { type: OP.JOB_DISPUTE, jobId: id, reason: '' }, CLIENT, 3), false, 'empty dispute reason refused')
  t.is(await run(bee, { type: OP.JOB_DISPUTE, jobId: id, reason: ' \n\t' }, CLIENT, 4), false, 'blank dispute reason refused')
  t.is(await run(bee, { type: OP.JOB_DISPUTE, jobId: id, reason: 'no' }, PRINTER, 5), false, 'the former printer cannot dispute')
  t.ok(b4a.equals(raw as Uint8Array, (await rawJob(bee, id)) as Uint8Array), 'record byte-identical')

  t.ok(await run(bee, { type: OP.JOB_DISPUTE, jobId: id, reason: 'layer shift on the hull' }, CLIENT, 5, 60), 'the client disputes')
  job = await mustGet(bee, id)
  const d = job.history[job.history.length - 1]
  t.alike([d.action, d.from, d.to, d.note, d.at, job.status], [OP.JOB_DISPUTE, 'shipped', 'disputed', 'layer shift on the hull', 60, 'disputed'], 'dispute reason in history')
  t.ok(b4a.equals(d.by, CLIENT))
  t.is(await run(bee, { type: OP.JOB_COMPLETE, jobId: id }, CLIENT, 6), false, 'a disputed job cannot be completed')

  // a second job to completion
  t.ok(await run(bee, { type: OP.JOB_CREATE, job: FIELDS }, CLIENT, 7, 70))
  const id2 = jobIdFor(CLIENT, 7)
  t.ok(await run(bee, { type: OP.JOB_ACCEPT, jobId: id2 }, PRINTER, 6, 71))
  t.ok(await run(bee, { type: OP.JOB_SHIP, jobId: id2, note: '' }, PRINTER, 7, 72), 'ship with an empty note is fine')
  t.is(await run(bee, { type: OP.JOB_COMPLETE, jobId: id2 }, PRINTER, 8), false, 'the printer cannot complete')
  t.ok(await run(bee, { type: OP.JOB_COMPLETE, jobId: id2 }, CLIENT, 8, 73), 'the client completes')
  const done = await mustGet(bee, id2)
  t.alike(done.history.map(h => h.action), [OP.JOB_CREATE, OP.JOB_ACCEPT, ACTION_AUTO_ACTIVATE, OP.JOB_SHIP, OP.JOB_COMPLETE])
  t.alike({ status: done.status, updatedAt: done.updatedAt }, { status: 'completed', updatedAt: 73 })
  t.is((await queryJobs(bee, { status: 'completed' })).length, 1, 'indexed as completed')
  t.is((await queryJobs(bee, { status: 'active' })).length, 0, 'not as active')
  t.alike(c.decode(jobRecord, (await rawJob(bee, id2)) as Uint8Array), done, 'the record round-trips')
})
