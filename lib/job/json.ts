// The plain-object form of a job that the command line prints with --json and the renderers read.
import { printable, isoTime } from '../text.js'
import b4a from 'b4a'
import { OP_NAMES, ACTION_AUTO_ACTIVATE, type JobRecord, type Status, type Material, type OpType, type FileSummary } from '../schema.js'
import { peerId, jobIdString } from '../ids.js'
import { formatBtc } from '../btc.js'
import type { Network } from 'bitcoinjs-lib'
import { summarizeEscrow, type EscrowSummary } from '../escrow/summary.js'
import { disputeJSON, type DisputeJSON } from '../disputes/json.js'
import type { PeerSummaryJSON } from '../reputation/query.js'
import { outcomeOf, type JobOutcome } from './outcome.js'

export interface JobJSON {
  id: string
  title: string
  status: Status
  client: string
  printer: string | null
  material: Material
  colors: string[]
  bountySats: number
  bountyBtc: string
  country: string
  notes: string
  createdAt: string
  updatedAt: string
  confirmed: boolean
  updates: number
  file: FileJSON | null
  history: Array<{ action: string, from: Status | null, to: Status, by: string, at: string, note: string }>
  // null for a job without escrow. Addresses need the chain's network (opts.network); without it they are null
  // and the paths are empty. State, txids, amounts and deadlines come from the record alone.
  escrow: EscrowSummary | null
  // an escrowed dispute: stage, mediator (peer id), proposal, answers, deadlines, ruling (lib/disputes/json.ts)
  dispute: DisputeJSON | null
  // how a closed job ended (null while it is not closed): completed, cancelled, or a split of the bounty with the
  // printer's % (a split keeps the status apply gives it, completed at ≥ 50 % and cancelled below; lib/job/outcome.ts)
  outcome: JobOutcome | null
  // `job show` only: both sides' reputation summaries (lib/reputation/query.ts); printerRecord null without a printer
  clientRecord?: PeerSummaryJSON
  printerRecord?: PeerSummaryJSON | null
  // quotes (lib/market/quotes.ts): whether the client asked for quotes, live quotes, the client's standing offer,
  // and the lead time the deal was made with (0: none)
  openToQuotes: boolean
  quotes: number
  offer: OfferJSON | null
  leadDays: number
  // milestones (lib/escrow/milestones.ts): the parts the bounty is split into; how many were released (escrow: the
  // amounts of each)
  milestones: Array<{ label: string, pct: number }>
  released: number
}

export interface OfferJSON { printer: string, priceSats: number, priceBtc: string, leadDays: number, material: Material | null, colors: string[], at: string }

export interface FileJSON {
  name: string
  drive: string
  path: string
  byteLength: number
  sha256: string
  summary: FileSummary
}

export function actionName (action: number): string {
  if (action === ACTION_AUTO_ACTIVATE) return 'auto/activate'
  return OP_NAMES[action as OpType] ?? `op/${action}`
}

export function jobToJSON (job: JobRecord, confirmed: boolean, opts: { network?: Network } = {}): JobJSON {
  return {
    id: jobIdString(job.id),
    title: printable(job.title),
    status: job.status,
    client: peerId(job.client),
    printer: job.printer === null ? null : peerId(job.printer),
    material: job.material,
    colors: job.colors.map(x => printable(x)),
    bountySats: job.bountySats,
    bountyBtc: formatBtc(job.bountySats),
    country: job.country,
    notes: printable(job.notes, true),
    createdAt: isoTime(job.createdAt),
    updatedAt: isoTime(job.updatedAt),
    confirmed,
    updates: job.updates,
    openToQuotes: job.openToQuotes ?? false,
    quotes: job.quotes ?? 0,
    offer: job.offer == null ? null : { printer: peerId(job.offer.printer), priceSats: job.offer.priceSats, priceBtc: formatBtc(job.offer.priceSats), leadDays: job.offer.leadDays, material: job.offer.material, colors: job.offer.colors.map(x => printable(x)), at: isoTime(job.offer.at) },
    leadDays: job.leadDays ?? 0,
    milestones: (job.milestones ?? []).map(m => ({ label: printable(m.label), pct: m.pct })),
    released: job.releases?.length ?? 0,
    file: job.file === null ? null : { name: printable(job.file.name), drive: peerId(job.file.drive), path: job.file.path, byteLength: job.file.byteLength, sha256: b4a.toString(job.file.sha256, 'hex'), summary: job.file.summary },
    history: job.history.map(h => ({
      action: actionName(h.action),
      from: h.from,
      to: h.to,
      by: peerId(h.by),
      at: isoTime(h.at),
      note: printable(h.note, true)
    })),
    escrow: summarizeEscrow(job, opts.network ?? null),
    dispute: disputeJSON(job.dispute),
    outcome: outcomeOf(job)
  }
}

// Times are whatever the author's clock said; one far outside Date's range is shown as the raw number.
