// What the view stores: job records, the market's own record, per-writer counters, index values and stats.
import c from 'compact-encoding'
import { optional, struct } from '../codec.js'
import { optionalDispute, type DisputeRecord } from '../disputes/codec.js'
import { country, jobId, key, material, status, type Material, type Status } from './common.js'
import { jobFields, optionalFileRef, type FileRef, type JobFields } from './job.js'
import { optionalOffer, type OfferRecord } from './quote.js'
import { milestones as milestonesEnc, releases as releasesEnc, type Milestone, type ReleaseRecord } from './milestones.js'
import { optionalEscrow, paidKind, signerRole, txid32, type EscrowRecord, type PaidKind, type SignerRole } from './escrow.js'

export interface HistoryEntry {
  action: number // an OP type, or ACTION_AUTO_ACTIVATE
  from: Status | null
  to: Status
  by: Uint8Array
  at: number
  note: string
}

export interface JobRecord extends JobFields {
  id: Uint8Array
  seq: number // position among all jobs in the linearised log: "newest first" sorts on it, not on author clocks
  client: Uint8Array
  printer: Uint8Array | null
  status: Status
  createdAt: number
  updatedAt: number
  updates: number
  history: HistoryEntry[]
  file: FileRef | null
  escrow?: EscrowRecord | null // null/absent: a market without escrow, or a job not (or no longer) accepted
  dispute?: DisputeRecord | null // mediation and arbitration of an escrowed dispute (lib/disputes); null/absent: none
  // appended in schema v5 (a record without them reads as rev = history length, accepts = 0 or 1, none left):
  rev: number // history entries ever written; `history` keeps the first and the latest LIMITS.history - 1
  accepts: number // acceptances so far: the chat's epoch (lib/chat), so a new printer gets a new conversation
  leavers: Uint8Array[] // printers that left this job (withdrew, or their acceptance lapsed): they may not accept it again
  claims: PaidClaim[] // escrow/paid claims that apply cannot check alone (a refund): one per role
  // appended in schema v8 (absent: not open to quotes, none, no offer)
  openToQuotes: boolean // the client asked for quotes: only a printer it offered the job to may accept it
  quotes: number // live quotes ('q' jobId printer)
  offer: OfferRecord | null // the client's standing offer to one printer
  offers: number // offers the client wrote, against QUOTE_LIMITS.offersPerJob
  leadDays: number // the lead time the deal was made with (an accepted offer's); 0: none stated
  posted: PostedTerms | null // the terms as posted while an accepted offer's are the job's: back when the printer leaves
  // appended in schema v9 (absent: 0): the delivery window the deal was accepted with (the market's, in days; 0:
  // none) and the market time the printer shipped at (0: not shipped, or shipped before v9)
  deliveryDays?: number
  shippedAt?: number
  // appended in schema v10 (absent: none): the milestones the bounty is split into (lib/schema/milestones.ts) and the
  // releases done so far, in order: the escrow's stage is releases.length
  milestones?: Milestone[]
  releases?: ReleaseRecord[]
  // the market time the client asked for the next release (its next-refund signature), which holds the job for
  // RELEASE_HOLD_MS (lib/escrow/milestones.ts releasePending); 0: no ask
  releaseAskedAt?: number
  releaseAsks?: number // asks made for this stage, against RELEASE_ASKS
  // 1 when a release the printer put out late moved the escrow on past the client's cancel (lib/market/release-apply.ts):
  // the cancel stands as the client's word (lateCancelOpen) until the client signs it again; written only when set
  cancelVoided?: number
}

export interface PostedTerms { bountySats: number, material: Material, colors: string[] }

// A party's word that a payout reached the chain. Only a claim: each engine checks its own node.
export interface PaidClaim { kind: PaidKind, role: SignerRole, txid: Uint8Array }

const historyEntry: c.Encoder<HistoryEntry> = {
  preencode (state, h) {
    c.uint.preencode(state, h.action)
    optional(status).preencode(state, h.from)
    status.preencode(state, h.to)
    key.preencode(state, h.by)
    c.uint.preencode(state, h.at)
    c.string.preencode(state, h.note)
  },
  encode (state, h) {
    c.uint.encode(state, h.action)
    optional(status).encode(state, h.from)
    status.encode(state, h.to)
    key.encode(state, h.by)
    c.uint.encode(state, h.at)
    c.string.encode(state, h.note)
  },
  decode (state) {
    return {
      action: c.uint.decode(state),
      from: optional(status).decode(state),
      to: status.decode(state),
      by: key.decode(state),
      at: c.uint.decode(state),
      note: c.string.decode(state)
    }
  }
}

const optionalKey = optional(key)
const history = c.array(historyEntry)
const leavers = c.array(key)
const paidClaim = struct<PaidClaim>([['kind', paidKind], ['role', signerRole], ['txid', txid32]])
const claims = c.array(paidClaim)
const optionalPosted = optional(struct<PostedTerms>([['bountySats', c.uint], ['material', material], ['colors', c.array(c.string)]]))

export const jobRecord: c.Encoder<JobRecord> = {
  preencode (state, j) {
    jobId.preencode(state, j.id)
    c.uint.preencode(state, j.seq)
    jobFields.preencode(state, j)
    key.preencode(state, j.client)
    optionalKey.preencode(state, j.printer)
    status.preencode(state, j.status)
    c.uint.preencode(state, j.createdAt)
    c.uint.preencode(state, j.updatedAt)
    c.uint.preencode(state, j.updates)
    history.preencode(state, j.history)
    optionalFileRef.preencode(state, j.file)
    optionalEscrow.preencode(state, j.escrow ?? null)
    optionalDispute.preencode(state, j.dispute ?? null)
    c.uint.preencode(state, j.rev)
    c.uint.preencode(state, j.accepts)
    leavers.preencode(state, j.leavers)
    claims.preencode(state, j.claims)
    c.bool.preencode(state, j.openToQuotes)
    c.uint.preencode(state, j.quotes)
    optionalOffer.preencode(state, j.offer)
    c.uint.preencode(state, j.offers)
    c.uint.preencode(state, j.leadDays)
    optionalPosted.preencode(state, j.posted ?? null)
    c.uint.preencode(state, j.deliveryDays ?? 0)
    c.uint.preencode(state, j.shippedAt ?? 0)
    milestonesEnc.preencode(state, j.milestones ?? [])
    releasesEnc.preencode(state, j.releases ?? [])
    c.uint.preencode(state, j.releaseAskedAt ?? 0)
    c.uint.preencode(state, j.releaseAsks ?? 0)
    if ((j.cancelVoided ?? 0) > 0) c.uint.preencode(state, j.cancelVoided ?? 0)
  },
  encode (state, j) {
    jobId.encode(state, j.id)
    c.uint.encode(state, j.seq)
    jobFields.encode(state, j)
    key.encode(state, j.client)
    optionalKey.encode(state, j.printer)
    status.encode(state, j.status)
    c.uint.encode(state, j.createdAt)
    c.uint.encode(state, j.updatedAt)
    c.uint.encode(state, j.updates)
    history.encode(state, j.history)
    optionalFileRef.encode(state, j.file)
    optionalEscrow.encode(state, j.escrow ?? null)
    optionalDispute.encode(state, j.dispute ?? null)
    c.uint.encode(state, j.rev)
    c.uint.encode(state, j.accepts)
    leavers.encode(state, j.leavers)
    claims.encode(state, j.claims)
    c.bool.encode(state, j.openToQuotes)
    c.uint.encode(state, j.quotes)
    optionalOffer.encode(state, j.offer)
    c.uint.encode(state, j.offers)
    c.uint.encode(state, j.leadDays)
    optionalPosted.encode(state, j.posted ?? null)
    c.uint.encode(state, j.deliveryDays ?? 0)
    c.uint.encode(state, j.shippedAt ?? 0)
    milestonesEnc.encode(state, j.milestones ?? [])
    releasesEnc.encode(state, j.releases ?? [])
    c.uint.encode(state, j.releaseAskedAt ?? 0)
    c.uint.encode(state, j.releaseAsks ?? 0)
    if ((j.cancelVoided ?? 0) > 0) c.uint.encode(state, j.cancelVoided ?? 0)
  },
  decode (state) {
    const id = jobId.decode(state)
    const seq = c.uint.decode(state)
    const fields = jobFields.decode(state)
    const j: JobRecord = {
      id,
      seq,
      ...fields,
      client: key.decode(state),
      printer: optionalKey.decode(state),
      status: status.decode(state),
      createdAt: c.uint.decode(state),
      updatedAt: c.uint.decode(state),
      updates: c.uint.decode(state),
      history: history.decode(state),
      file: state.start < state.end ? optionalFileRef.decode(state) : null,
      escrow: state.start < state.end ? optionalEscrow.decode(state) : null,
      dispute: state.start < state.end ? optionalDispute.decode(state) : null,
      rev: 0,
      accepts: 0,
      leavers: [],
      claims: [],
      openToQuotes: false,
      quotes: 0,
      offer: null,
      offers: 0,
      leadDays: 0,
      posted: null,
      deliveryDays: 0,
      shippedAt: 0,
      milestones: [],
      releases: [],
      releaseAskedAt: 0,
      releaseAsks: 0,
      cancelVoided: 0
    }
    j.rev = state.start < state.end ? c.uint.decode(state) : j.history.length
    j.accepts = state.start < state.end ? c.uint.decode(state) : j.printer === null ? 0 : 1
    if (state.start < state.end) j.leavers = leavers.decode(state)
    if (state.start < state.end) j.claims = claims.decode(state)
    if (state.start < state.end) {
      j.openToQuotes = c.bool.decode(state)
      j.quotes = c.uint.decode(state)
      j.offer = optionalOffer.decode(state)
      j.offers = c.uint.decode(state)
      j.leadDays = c.uint.decode(state)
      j.posted = state.start < state.end ? optionalPosted.decode(state) : null
    }
    if (state.start < state.end) {
      j.deliveryDays = c.uint.decode(state)
      j.shippedAt = c.uint.decode(state)
    }
    if (state.start < state.end) {
      j.milestones = milestonesEnc.decode(state)
      j.releases = releasesEnc.decode(state)
      j.releaseAskedAt = state.start < state.end ? c.uint.decode(state) : 0
      j.releaseAsks = state.start < state.end ? c.uint.decode(state) : 0
      j.cancelVoided = state.start < state.end ? c.uint.decode(state) : 0
    }
    return j
  }
}

// The market's own record, written once by its creator's first op.
export interface MarketMeta {
  name: string
  creator: Uint8Array
  createdAt: number
}

export const marketMeta: c.Encoder<MarketMeta> = {
  preencode (state, m) { c.string.preencode(state, m.name); key.preencode(state, m.creator); c.uint.preencode(state, m.createdAt) },
  encode (state, m) { c.string.encode(state, m.name); key.encode(state, m.creator); c.uint.encode(state, m.createdAt) },
  decode (state) { return { name: c.string.decode(state), creator: key.decode(state), createdAt: c.uint.decode(state) } }
}

// Market time (lib/market/clock.ts): each indexer's latest tick and the time they agree on, which only grows.
export interface MarketClock {
  now: number
  ticks: Array<{ key: Uint8Array, at: number }>
}

const tick = {
  preencode (state: c.State, t: { key: Uint8Array, at: number }) { key.preencode(state, t.key); c.uint.preencode(state, t.at) },
  encode (state: c.State, t: { key: Uint8Array, at: number }) { key.encode(state, t.key); c.uint.encode(state, t.at) },
  decode (state: c.State) { return { key: key.decode(state), at: c.uint.decode(state) } }
}
const ticks = c.array(tick)
export const marketClock: c.Encoder<MarketClock> = {
  preencode (state, m) { c.uint.preencode(state, m.now); ticks.preencode(state, m.ticks) },
  encode (state, m) { c.uint.encode(state, m.now); ticks.encode(state, m.ticks) },
  decode (state) { return { now: c.uint.decode(state), ticks: ticks.decode(state) } }
}

// The indexers the creator named (market/indexers), besides itself.
export const namedIndexers: c.Encoder<Uint8Array[]> = c.array(key)

// Per-writer counters that `apply` keeps for spam limits.
export interface WriterRecord {
  ops: number
  jobs: number
  openJobs: number
  // appended in schema v8 (absent: 0): the hour of market time its quotes are counted in, and how many it wrote in it
  quoteHourAt?: number
  quotesInHour?: number
}

export const writerRecord: c.Encoder<WriterRecord> = {
  preencode (state, w) { c.uint.preencode(state, w.ops); c.uint.preencode(state, w.jobs); c.uint.preencode(state, w.openJobs); c.uint.preencode(state, w.quoteHourAt ?? 0); c.uint.preencode(state, w.quotesInHour ?? 0) },
  encode (state, w) { c.uint.encode(state, w.ops); c.uint.encode(state, w.jobs); c.uint.encode(state, w.openJobs); c.uint.encode(state, w.quoteHourAt ?? 0); c.uint.encode(state, w.quotesInHour ?? 0) },
  decode (state) {
    const w: WriterRecord = { ops: c.uint.decode(state), jobs: c.uint.decode(state), openJobs: c.uint.decode(state) }
    if (state.start < state.end) { w.quoteHourAt = c.uint.decode(state); w.quotesInHour = c.uint.decode(state) }
    return w
  }
}

// Summary stored as the value of every index entry, so filters need no lookup of the job record. It leaves the
// status out on purpose: then a status change rewrites only the index entries keyed by status.
export interface IndexValue {
  bountySats: number
  material: Material
  country: string
}
export const indexValue: c.Encoder<IndexValue> = {
  preencode (state, v) { c.uint.preencode(state, v.bountySats); material.preencode(state, v.material); country.preencode(state, v.country) },
  encode (state, v) { c.uint.encode(state, v.bountySats); material.encode(state, v.material); country.encode(state, v.country) },
  decode (state) { return { bountySats: c.uint.decode(state), material: material.decode(state), country: country.decode(state) } }
}

// Market-wide counters, one record so each op rewrites it at most once.
export interface MarketStats {
  jobs: number // jobs ever created; a new job's seq
  byStatus: number[] // indexed like STATUSES
}
export const marketStats: c.Encoder<MarketStats> = {
  preencode (state, m) { c.uint.preencode(state, m.jobs); c.array(c.uint).preencode(state, m.byStatus) },
  encode (state, m) { c.uint.encode(state, m.jobs); c.array(c.uint).encode(state, m.byStatus) },
  decode (state) { return { jobs: c.uint.decode(state), byStatus: c.array(c.uint).decode(state) } }
}
