// The job lifecycle as pure data and functions: who may do what from which state. `apply` and the command line
// use the same checks, so a command refuses locally what every peer's `apply` would ignore.
import b4a from 'b4a'
import { OP, LIMITS, MATERIALS, type JobPatch, type JobRecord, type OpType, type Status, type FileRef, type HistoryEntry } from '../schema.js'
import { isCountryCode } from '../countries.js'

export type Role = 'client' | 'printer' | 'other'

export interface Transition {
  action: OpType
  from: readonly Status[]
  to: Status
  roles: readonly Role[]
}

// Escrow is a per-market setting (market/settings `chain`). In a market without escrow (chain ''), `accept` leads
// to `accepted` and apply moves the job on to `active` in the same step (recorded in the history); `withdraw` is
// allowed from `active` only for that reason: no money is locked. In a market with escrow, a job stays `accepted`
// until its funding is confirmed (escrow/funded, lib/escrow/PROTOCOL.md), and the printer can withdraw only from
// `accepted` (apply also requires that it has not signed the funding yet).
export const TRANSITIONS: readonly Transition[] = [
  { action: OP.JOB_UPDATE, from: ['open'], to: 'open', roles: ['client'] },
  { action: OP.JOB_CANCEL, from: ['open'], to: 'cancelled', roles: ['client'] },
  { action: OP.JOB_ACCEPT, from: ['open'], to: 'accepted', roles: ['other'] },
  { action: OP.JOB_WITHDRAW, from: ['accepted', 'active'], to: 'open', roles: ['printer'] },
  { action: OP.JOB_SHIP, from: ['active'], to: 'shipped', roles: ['printer'] },
  { action: OP.JOB_COMPLETE, from: ['shipped'], to: 'completed', roles: ['client'] },
  { action: OP.JOB_DISPUTE, from: ['active', 'shipped'], to: 'disputed', roles: ['client', 'printer'] }
]

export const ESCROW_TRANSITIONS: readonly Transition[] = TRANSITIONS.map(t =>
  t.action === OP.JOB_WITHDRAW ? { ...t, from: ['accepted'] as const } : t)

export function transitionsFor (escrow: boolean): readonly Transition[] {
  return escrow ? ESCROW_TRANSITIONS : TRANSITIONS
}

export const FINAL_STATUSES: readonly Status[] = ['completed', 'cancelled']

export function roleOf (job: Pick<JobRecord, 'client' | 'printer'>, author: Uint8Array): Role {
  if (b4a.equals(job.client, author)) return 'client'
  if (job.printer !== null && b4a.equals(job.printer, author)) return 'printer'
  return 'other'
}

export type Check = { ok: true, to: Status } | { ok: false, code: 'NOT_ALLOWED' | 'BAD_TRANSITION', reason: string }

const VERB: Record<number, string> = {
  [OP.JOB_UPDATE]: 'edit',
  [OP.JOB_CANCEL]: 'cancel',
  [OP.JOB_ACCEPT]: 'accept',
  [OP.JOB_WITHDRAW]: 'withdraw from',
  [OP.JOB_SHIP]: 'ship',
  [OP.JOB_COMPLETE]: 'complete',
  [OP.JOB_DISPUTE]: 'dispute'
}

const ROLE_NAMES: Record<Role, string> = { client: 'its client', printer: 'its printer', other: 'a printer other than its client' }

// `escrow`: whether the job is (or, for an accept, would be) escrowed: job.escrow !== null, or for an open job
// the market's settings have a chain.
export function checkTransition (job: Pick<JobRecord, 'client' | 'printer' | 'status'>, action: OpType, author: Uint8Array, escrow = false): Check {
  const t = transitionsFor(escrow).find(t => t.action === action)
  if (t === undefined) return { ok: false, code: 'BAD_TRANSITION', reason: 'not a job transition' }
  const role = roleOf(job, author)
  const verb = VERB[action]
  if (!t.roles.includes(role)) {
    const who = t.roles.map(r => ROLE_NAMES[r]).join(' or ')
    const you = role === 'other' ? 'you have no role in it' : `you are ${ROLE_NAMES[role]}`
    return { ok: false, code: 'NOT_ALLOWED', reason: `only ${who} can ${verb} this job; ${you}` }
  }
  if (!t.from.includes(job.status)) {
    return { ok: false, code: 'BAD_TRANSITION', reason: `cannot ${verb} a job that is ${job.status} (allowed from: ${t.from.join(', ')})` }
  }
  return { ok: true, to: t.to }
}

// Field validation shared by create and update. Returns a reason, or null when the fields are fine.
export function checkJobFields (f: JobPatch): string | null {
  if (f.title !== undefined) {
    if (f.title.trim().length === 0) return 'title is empty'
    if (f.title.length > LIMITS.titleChars) return `title is longer than ${LIMITS.titleChars} characters`
  }
  if (f.material !== undefined && !MATERIALS.includes(f.material)) return `material must be one of ${MATERIALS.join(', ')}`
  if (f.colors !== undefined) {
    if (f.colors.length > LIMITS.colors) return `at most ${LIMITS.colors} colours`
    for (const col of f.colors) {
      if (col.trim().length === 0 || col.length > LIMITS.colorChars) return `colour ${JSON.stringify(col)} must be 1–${LIMITS.colorChars} characters`
    }
  }
  if (f.bountySats !== undefined) {
    if (!Number.isSafeInteger(f.bountySats) || f.bountySats < 1) return 'bounty must be a positive number of satoshis'
    if (f.bountySats > LIMITS.maxBountySats) return 'bounty is more than 21 million BTC'
  }
  if (f.country !== undefined && !isCountryCode(f.country)) return `country ${JSON.stringify(f.country)} is not an ISO 3166 alpha-2 code (e.g. DE, US, JP)`
  if (f.notes !== undefined && f.notes.length > LIMITS.notesChars) return `notes are longer than ${LIMITS.notesChars} characters`
  return null
}

// Appends to a job's history (a record being built by apply): the record keeps the first entry and the latest
// LIMITS.history - 1, so it stays the same size however many ops a job sees; `rev` counts every entry ever written.
export function addHistory (next: JobRecord, entry: HistoryEntry): void {
  next.history.push(entry)
  next.rev++
  if (next.history.length > LIMITS.history) next.history.splice(1, next.history.length - LIMITS.history)
}

// The history entries `next` has that `prev` (an earlier state of the same job) did not.
export function newEntries (prev: Pick<JobRecord, 'rev'>, next: Pick<JobRecord, 'rev' | 'history'>): HistoryEntry[] {
  const n = Math.min(next.rev - prev.rev, next.history.length)
  return n <= 0 ? [] : next.history.slice(next.history.length - n)
}

// A file reference is checked for sanity only: whether the bytes behind it are a model is checked by every peer
// that downloads it (size before, sha256 after, then the parser).
export function checkFileRef (f: FileRef): string | null {
  if (!f.path.startsWith('/') || f.path.includes('/../') || f.path.endsWith('/')) return 'file path must be an absolute file path in the drive'
  if (f.name.length === 0 || f.name.includes('/') || f.name.includes('\\') || f.name === '.' || f.name === '..') return 'file name must be a plain file name'
  if (f.byteLength < 1 || f.byteLength > LIMITS.maxFileBytes) return `file size must be 1 byte to ${LIMITS.maxFileBytes} bytes`
  if (f.summary.models < 1) return 'a model file holds at least one model'
  return null
}
