// Milestones (schema v10, issue 15 "pay as you go"): a client may split a job's bounty into 2 to 4 parts, each with
// a label and a whole percentage of the bounty. The escrow is funded once; each release of a part but the last pays
// that part to the printer and keeps the rest locked in the same 2-of-3 output, with a fresh refund; the last part is
// paid by the completion (lib/escrow/milestones.ts, lib/escrow/PROTOCOL.md "Milestones").
import c from 'compact-encoding'
import { boundedArray, boundedString, boundedUint, struct } from '../codec.js'
import { txid32, escrowSig, type EscrowSig } from './escrow.js'

export const MILESTONE_LIMITS = {
  max: 4, // parts a bounty may be split into
  labelChars: 60
} as const

export interface Milestone {
  label: string
  pct: number // of the bounty, 1–99; a job's add up to 100
}

// A release done: its transaction (the id of the unsigned transaction both parties signed), the two release
// signatures, and the refund pair of the stage it left (kept so an engine can still put out that refund if the
// release never confirms).
export interface ReleaseRecord {
  txid: Uint8Array
  sigs: EscrowSig[]
}

export const milestone = struct<Milestone>([['label', boundedString(MILESTONE_LIMITS.labelChars)], ['pct', boundedUint(100)]])
export const milestones = boundedArray(milestone, MILESTONE_LIMITS.max)
export const releaseRecord = struct<ReleaseRecord>([['txid', txid32], ['sigs', c.array(escrowSig)]])
export const releases = c.array(releaseRecord)

// Why a list of milestones cannot be a job's, or null: none at all, or 2–4 labelled parts of 1–99 % adding up to 100.
export function milestonesProblem (list: Milestone[]): string | null {
  if (list.length === 0) return null
  if (list.length === 1) return 'one milestone is no split: post the job without milestones'
  if (list.length > MILESTONE_LIMITS.max) return `at most ${MILESTONE_LIMITS.max} milestones`
  let sum = 0
  for (const m of list) {
    if (m.label.trim().length === 0) return 'every milestone needs a label'
    if (!Number.isInteger(m.pct) || m.pct < 1 || m.pct > 99) return `milestone "${m.label}": its share must be a whole percentage from 1 to 99`
    sum += m.pct
  }
  return sum === 100 ? null : `the milestones' shares add up to ${sum} %, not 100 %`
}
