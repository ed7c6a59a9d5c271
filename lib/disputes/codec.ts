// Mediation records and op bodies (schema v4, op types 30–39), as compact-encoding codecs. This file imports
// nothing from schema.ts (schema.ts imports it), so it defines its own bounded primitives.
// The rules that read and write these records are in apply.ts (this folder); see lib/escrow/PROTOCOL.md.
import c from 'compact-encoding'
import type { State } from 'compact-encoding'
import { CodecError, boundedBytes, boundedString, safeUint, enumOf, optional, struct } from '../codec.js'

export const DISPUTE_OP = {
  MEDIATOR_REGISTER: 30,
  DISPUTE_PROPOSE: 31,
  DISPUTE_ACCEPT: 32,
  DISPUTE_REJECT: 33,
  DISPUTE_ESCALATE: 34,
  DISPUTE_RULE: 35
} as const

// mediation: waiting for the mediator's proposal; proposed: waiting for both parties' answers; arbitration:
// waiting for the arbitrator; settled: both accepted (the split is being paid); ruled: the arbitrator has ruled
export const DISPUTE_STAGES = ['mediation', 'proposed', 'arbitration', 'settled', 'ruled'] as const
export type DisputeStage = typeof DISPUTE_STAGES[number]
// why a dispute went to the arbitrator
export const ESCALATIONS = ['none', 'no-mediator', 'missed-proposal', 'rejected', 'no-answer'] as const
export type Escalation = typeof ESCALATIONS[number]

export interface Proposal {
  printerPct: number
  note: string
  feeScript: Uint8Array // the mediator's payout script (its fee)
  feeSats: number // floor(bounty × mediatorFeePct / 100), fixed at the pick
  at: number // op.at of the proposal (the mediator's own time, shown; answerBy is on market time)
  answerBy: number // ms: both parties answer before this
}

export interface DisputeRecord {
  stage: DisputeStage
  openedAt: number // market time at the job/dispute (lib/market/clock.ts)
  openedBy: Uint8Array
  mediator: Uint8Array | null // writer key (null: no eligible mediator, straight to arbitration)
  mediatorFeePct: number
  proposeBy: number // ms: the mediator proposes before this
  proposal: Proposal | null
  acceptedClient: boolean
  acceptedPrinter: boolean
  escalation: Escalation
  ruling: { printerPct: number, note: string, at: number } | null
}

export interface MediatorRecord {
  key: Uint8Array
  feePct: number
  registeredAt: number
  taken: number // disputes assigned to it
  proposed: number // proposals made in time
  accepted: number // proposals accepted by both
  overturned: number // rejected proposals the arbitrator ruled more than OVERTURN_PCT points away from
  upheld: number // rejected proposals the arbitrator ruled within OVERTURN_PCT points of
  missed: number // deadlines missed (no proposal in time)
  responseMsTotal: number // sum over proposals of (proposal at − dispute opened at)
  revoked: string // '' = active; otherwise the rule that revoked it
}

export const DISPUTE_LIMITS = {
  mediators: 256,
  noteChars: 1000,
  scriptBytes: 64
} as const

export class DisputeCodecError extends CodecError {}

const u = safeUint
const str = boundedString
const bytes = (max: number, min = 0): c.Encoder<Uint8Array> => boundedBytes(min, max)







const note = str(DISPUTE_LIMITS.noteChars)
const script = bytes(DISPUTE_LIMITS.scriptBytes, 1)
const key = c.fixed32
const jobId = c.fixed(16)
const pct: c.Encoder<number> = {
  preencode (state, n) { c.uint.preencode(state, n) },
  encode (state, n) { c.uint.encode(state, n) },
  decode (state) {
    const n = c.uint.decode(state)
    if (n > 100) throw new DisputeCodecError('percentage above 100')
    return n
  }
}

const proposal = struct<Proposal>([['printerPct', pct], ['note', note], ['feeScript', script], ['feeSats', u], ['at', u], ['answerBy', u]])
const rulingRec = struct<{ printerPct: number, note: string, at: number }>([['printerPct', pct], ['note', note], ['at', u]])

export const disputeRecord = struct<DisputeRecord>([
  ['stage', enumOf(DISPUTE_STAGES)],
  ['openedAt', u],
  ['openedBy', key],
  ['mediator', optional(key)],
  ['mediatorFeePct', u],
  ['proposeBy', u],
  ['proposal', optional(proposal)],
  ['acceptedClient', c.bool],
  ['acceptedPrinter', c.bool],
  ['escalation', enumOf(ESCALATIONS)],
  ['ruling', optional(rulingRec)]
])
export const optionalDispute = optional(disputeRecord)

const mediatorRecord = struct<MediatorRecord>([
  ['key', key], ['feePct', u], ['registeredAt', u], ['taken', u], ['proposed', u], ['accepted', u], ['overturned', u],
  ['upheld', u], ['missed', u], ['responseMsTotal', u], ['revoked', str(200)]
])
export const mediatorList: c.Encoder<MediatorRecord[]> = {
  preencode (state, l) { c.uint.preencode(state, l.length); for (const m of l) mediatorRecord.preencode(state, m) },
  encode (state, l) { c.uint.encode(state, l.length); for (const m of l) mediatorRecord.encode(state, m) },
  decode (state) {
    const n = c.uint.decode(state)
    if (n > DISPUTE_LIMITS.mediators) throw new DisputeCodecError('too many mediators')
    const out: MediatorRecord[] = []
    for (let i = 0; i < n; i++) out.push(mediatorRecord.decode(state))
    return out
  }
}

// --- op bodies --------------------------------------------------------------------------------------------------

export type DisputeOpBody =
  | { type: typeof DISPUTE_OP.MEDIATOR_REGISTER, feePct: number }
  | { type: typeof DISPUTE_OP.DISPUTE_PROPOSE, jobId: Uint8Array, printerPct: number, note: string, feeScript: Uint8Array }
  | { type: typeof DISPUTE_OP.DISPUTE_ACCEPT, jobId: Uint8Array, psbt: Uint8Array }
  | { type: typeof DISPUTE_OP.DISPUTE_REJECT, jobId: Uint8Array, note: string }
  | { type: typeof DISPUTE_OP.DISPUTE_ESCALATE, jobId: Uint8Array }
  | { type: typeof DISPUTE_OP.DISPUTE_RULE, jobId: Uint8Array, printerPct: number, note: string, feeScript: Uint8Array, psbt: Uint8Array }

// PSBT-carrying ops (dispute/accept, dispute/rule) are bounded like escrow/sign.
export function disputeOpCarriesPsbt (type: number): boolean {
  return type === DISPUTE_OP.DISPUTE_ACCEPT || type === DISPUTE_OP.DISPUTE_RULE
}

export function encodeDisputeBody (state: State, op: DisputeOpBody, pass: 'preencode' | 'encode', psbt: c.Encoder<Uint8Array>): void {
  switch (op.type) {
    case DISPUTE_OP.MEDIATOR_REGISTER: pct[pass](state, op.feePct); return
    case DISPUTE_OP.DISPUTE_PROPOSE: jobId[pass](state, op.jobId); pct[pass](state, op.printerPct); note[pass](state, op.note); script[pass](state, op.feeScript); return
    case DISPUTE_OP.DISPUTE_ACCEPT: jobId[pass](state, op.jobId); psbt[pass](state, op.psbt); return
    case DISPUTE_OP.DISPUTE_REJECT: jobId[pass](state, op.jobId); note[pass](state, op.note); return
    case DISPUTE_OP.DISPUTE_ESCALATE: jobId[pass](state, op.jobId); return
    case DISPUTE_OP.DISPUTE_RULE: jobId[pass](state, op.jobId); pct[pass](state, op.printerPct); note[pass](state, op.note); script[pass](state, op.feeScript); psbt[pass](state, op.psbt)
  }
}

export function decodeDisputeBody (state: State, type: number, psbt: c.Encoder<Uint8Array>): DisputeOpBody {
  switch (type) {
    case DISPUTE_OP.MEDIATOR_REGISTER: return { type, feePct: pct.decode(state) }
    case DISPUTE_OP.DISPUTE_PROPOSE: return { type, jobId: jobId.decode(state), printerPct: pct.decode(state), note: note.decode(state), feeScript: script.decode(state) }
    case DISPUTE_OP.DISPUTE_ACCEPT: return { type, jobId: jobId.decode(state), psbt: psbt.decode(state) }
    case DISPUTE_OP.DISPUTE_REJECT: return { type, jobId: jobId.decode(state), note: note.decode(state) }
    case DISPUTE_OP.DISPUTE_ESCALATE: return { type, jobId: jobId.decode(state) }
    case DISPUTE_OP.DISPUTE_RULE: return { type, jobId: jobId.decode(state), printerPct: pct.decode(state), note: note.decode(state), feeScript: script.decode(state), psbt: psbt.decode(state) }
  }
  throw new DisputeCodecError(`unknown op type ${type}`)
}
