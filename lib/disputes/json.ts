// The JSON shapes of a job's dispute record and of a mediator's record (job JSON `dispute`, `mediator list`,
// `dispute list`), and what a peer may do on a dispute by its role in it.
import { peerId } from '../ids.js'
import { printable } from '../text.js'
import type { DisputeRecord, MediatorRecord } from './codec.js'
import type { JobRecord, Status } from '../schema.js'
import { isoTime } from '../text.js'

export interface MediatorJSON {
  id: string
  feePct: number
  registeredAt: string
  taken: number
  proposed: number
  accepted: number
  overturned: number
  upheld: number
  missed: number
  avgResponseSecs: number | null
  revoked: string | null
}

export interface DisputeJSON {
  stage: DisputeRecord['stage']
  openedAt: string
  openedBy: string
  mediator: string | null
  mediatorFeePct: number
  proposeBy: string // the mediator proposes before this
  proposal: { printerPct: number, note: string, feeSats: number, at: string, answerBy: string } | null
  accepted: { client: boolean, printer: boolean }
  escalation: DisputeRecord['escalation']
  ruling: { printerPct: number, note: string, at: string } | null
}

export type DisputeRole = 'client' | 'printer' | 'mediator' | 'arbitrator'
export type DisputeMove = 'propose' | 'accept' | 'reject' | 'rule'

export interface DisputeRow {
  id: string
  title: string
  status: Status
  bountyBtc: string
  role: DisputeRole
  dispute: DisputeJSON | null // null: a dispute opened before mediation existed (straight to the arbitrator)
  moves: DisputeMove[] // what this peer may do on it now
}

export interface DisputeList {
  mediator: MediatorJSON | null // this peer's record, if it registered
  maxFeePct: number
  rules: string[] // the revocation rules
  disputes: DisputeRow[] // the disputes this peer mediates, is a party to or arbitrates
}

export function mediatorJSON (m: MediatorRecord): MediatorJSON {
  return {
    id: peerId(m.key),
    feePct: m.feePct,
    registeredAt: isoTime(m.registeredAt),
    taken: m.taken,
    proposed: m.proposed,
    accepted: m.accepted,
    overturned: m.overturned,
    upheld: m.upheld,
    missed: m.missed,
    avgResponseSecs: m.proposed === 0 ? null : Math.round(m.responseMsTotal / m.proposed / 1000),
    revoked: m.revoked === '' ? null : m.revoked
  }
}

export function disputeJSON (d: DisputeRecord | null | undefined): DisputeJSON | null {
  if (d == null) return null
  return {
    stage: d.stage,
    openedAt: isoTime(d.openedAt),
    openedBy: peerId(d.openedBy),
    mediator: d.mediator === null ? null : peerId(d.mediator),
    mediatorFeePct: d.mediatorFeePct,
    proposeBy: isoTime(d.proposeBy),
    proposal: d.proposal === null ? null : { printerPct: d.proposal.printerPct, note: printable(d.proposal.note, true), feeSats: d.proposal.feeSats, at: isoTime(d.proposal.at), answerBy: isoTime(d.proposal.answerBy) },
    accepted: { client: d.acceptedClient, printer: d.acceptedPrinter },
    escalation: d.escalation,
    ruling: d.ruling === null ? null : { printerPct: d.ruling.printerPct, note: printable(d.ruling.note, true), at: isoTime(d.ruling.at) }
  }
}

// What this peer may do on a dispute now, by its role in it (the commands check again). Settling by agreement
// (`job cancel` on each side) is a job action, not listed here.
export function disputeMoves (job: Pick<JobRecord, 'status'> & { dispute?: DisputeRecord | null, escrow?: { ruling: unknown } | null }, role: DisputeRole, now = Date.now()): DisputeMove[] {
  if (job.status !== 'disputed') return []
  const d = job.dispute ?? null
  if (role === 'arbitrator') return (d === null || d.stage === 'arbitration') && (job.escrow?.ruling ?? null) === null ? ['rule'] : []
  if (d === null) return []
  if (role === 'mediator') return d.stage === 'mediation' && now < d.proposeBy ? ['propose'] : []
  if (d.stage !== 'proposed' || d.proposal === null || now >= d.proposal.answerBy) return []
  return (role === 'client' ? d.acceptedClient : d.acceptedPrinter) ? [] : ['accept', 'reject']
}
