// The JSON shapes of a job's dispute record and of a mediator's record (job JSON `dispute`, `mediator list`).
import { peerId } from '../ids.js'
import type { DisputeRecord, MediatorRecord } from './codec.js'

function isoTime (ms: number): string {
  const d = new Date(ms)
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString()
}

export type DisputeJSON = Record<string, unknown>

export function mediatorJSON (m: MediatorRecord): Record<string, unknown> {
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
    proposal: d.proposal === null ? null : { printerPct: d.proposal.printerPct, note: d.proposal.note, feeSats: d.proposal.feeSats, at: isoTime(d.proposal.at), answerBy: isoTime(d.proposal.answerBy) },
    accepted: { client: d.acceptedClient, printer: d.acceptedPrinter },
    escalation: d.escalation,
    ruling: d.ruling === null ? null : { printerPct: d.ruling.printerPct, note: d.ruling.note, at: isoTime(d.ruling.at) }
  }
}

