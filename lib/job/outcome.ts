// How a closed job ended. A dispute that ends in a split of the bounty (the mediator's proposal accepted by both
// sides, or the arbitrator's ruling) is neither a completion nor a cancellation. Its lifecycle status stays what
// apply has always made it (completed when the printer got at least half, else cancelled), so every log applies as
// it always did; the outcome is read from the record's closed escrow, with the same percentage apply used.
import type { JobRecord } from '../schema.js'
import { rulingPrinterPct } from '../escrow/record.js'

export type JobOutcome =
  | { kind: 'completed' }
  | { kind: 'cancelled' }
  // printerPct: the printer's % of the bounty (after the mediator's fee, for a proposal); the client got the rest
  | { kind: 'split', printerPct: number, by: 'mediator' | 'arbitrator' }

export function outcomeOf (job: Pick<JobRecord, 'status' | 'escrow' | 'dispute'>): JobOutcome | null {
  if (job.status !== 'completed' && job.status !== 'cancelled') return null
  const closed = job.escrow?.closed ?? null
  const pct = (n: number | null | undefined): number => Math.min(100, Math.max(0, n ?? 0))
  if (closed?.kind === 'split') return { kind: 'split', printerPct: pct(job.dispute?.proposal?.printerPct), by: 'mediator' }
  if (closed?.kind === 'ruling') return { kind: 'split', printerPct: pct(rulingPrinterPct(job)), by: 'arbitrator' }
  return { kind: job.status }
}

