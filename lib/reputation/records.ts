// Reputation records in the market view: per-peer stats, reviews, printer profiles, and their key layout.
// Everything under the one prefix 'r' (0x72):
//
//   'r' 0x01 peer32                          → PeerStats (kept incrementally by apply; see ./apply.ts)
//   'r' 0x02 subject32 nDesc4                → ReviewRecord (reviews of a peer, newest first; n = its count before)
//   'r' 0x03 jobId16 author32                → ReviewRecord (one per author per job: the "once" check)
//   'r' 0x04 writer32                        → ProfileRecord (latest printer/profile of that writer)
//   'r' 0x05 material1 country2 writer32     → [1]  (printers by material and country)
//   'r' 0x06 country2 writer32               → [1]  (printers by country)
import b4a from 'b4a'
import c from 'compact-encoding'
import type Hyperbee from 'hyperbee'
import type { BeeBatch } from 'hyperbee'
import { MATERIALS, type Material, type PrinterProfile } from '../schema.js'

export type View = Hyperbee<Uint8Array, Uint8Array>
export type Batch = BeeBatch<Uint8Array, Uint8Array>
export type Reader = Pick<View, 'get'> | Pick<Batch, 'get'>

export const P_REPUTATION = 0x72 // 'r'
export const R = { STATS: 1, BY_SUBJECT: 2, BY_JOB: 3, PROFILE: 4, BY_MATERIAL_COUNTRY: 5, BY_COUNTRY: 6 } as const

// How many accept→ship durations a peer's record keeps (the most recent ones); the median is computed on read.
export const SHIP_SAMPLES = 101

export interface PeerStats {
  clientCompleted: number
  clientCancelled: number // cancelled after a printer had accepted (an open job cancelled by its client is not counted)
  printerCompleted: number
  printerCancelled: number
  printerShipped: number
  disputesOpened: number
  disputesLost: number
  disputesWon: number
  clientRatingSum: number // ratings received as a client (from printers)
  clientRatingCount: number
  printerRatingSum: number // ratings received as a printer (from clients)
  printerRatingCount: number
  shipMs: number[] // accept → ship, author-stated times, oldest first, at most SHIP_SAMPLES
  // appended later (a record without them reads as 0): jobs that ended in a split of the bounty (a mediator's
  // proposal both sides accepted, or an arbitrator's ruling), counted as neither completed nor cancelled, and the
  // sum of the bounty % each side got in them
  clientSplit: number
  clientSplitPctSum: number
  printerSplit: number
  printerSplitPctSum: number
}

export function emptyStats (): PeerStats {
  return {
    clientCompleted: 0,
    clientCancelled: 0,
    printerCompleted: 0,
    printerCancelled: 0,
    printerShipped: 0,
    disputesOpened: 0,
    disputesLost: 0,
    disputesWon: 0,
    clientRatingSum: 0,
    clientRatingCount: 0,
    printerRatingSum: 0,
    printerRatingCount: 0,
    shipMs: [],
    clientSplit: 0,
    clientSplitPctSum: 0,
    printerSplit: 0,
    printerSplitPctSum: 0
  }
}

const STAT_FIELDS = ['clientCompleted', 'clientCancelled', 'printerCompleted', 'printerCancelled', 'printerShipped', 'disputesOpened', 'disputesLost', 'disputesWon', 'clientRatingSum', 'clientRatingCount', 'printerRatingSum', 'printerRatingCount'] as const
const SPLIT_FIELDS = ['clientSplit', 'clientSplitPctSum', 'printerSplit', 'printerSplitPctSum'] as const
const uintList = c.array(c.uint)

export const peerStats: c.Encoder<PeerStats> = {
  preencode (state, s) {
    for (const f of STAT_FIELDS) c.uint.preencode(state, s[f])
    uintList.preencode(state, s.shipMs)
    for (const f of SPLIT_FIELDS) c.uint.preencode(state, s[f])
  },
  encode (state, s) {
    for (const f of STAT_FIELDS) c.uint.encode(state, s[f])
    uintList.encode(state, s.shipMs)
    for (const f of SPLIT_FIELDS) c.uint.encode(state, s[f])
  },
  decode (state) {
    const s = emptyStats()
    for (const f of STAT_FIELDS) s[f] = c.uint.decode(state)
    s.shipMs = uintList.decode(state)
    for (const f of SPLIT_FIELDS) if (state.start < state.end) s[f] = c.uint.decode(state)
    return s
  }
}

export type ReviewRole = 'client' | 'printer'
const ROLES: readonly ReviewRole[] = ['client', 'printer']

export interface ReviewRecord {
  jobId: Uint8Array
  author: Uint8Array
  subject: Uint8Array
  role: ReviewRole // the author's role in the job
  rating: number
  text: string
  at: number // author-stated
}

export const reviewRecord: c.Encoder<ReviewRecord> = {
  preencode (state, r) {
    c.fixed(16).preencode(state, r.jobId); c.fixed32.preencode(state, r.author); c.fixed32.preencode(state, r.subject)
    c.uint.preencode(state, ROLES.indexOf(r.role)); c.uint.preencode(state, r.rating); c.string.preencode(state, r.text); c.uint.preencode(state, r.at)
  },
  encode (state, r) {
    c.fixed(16).encode(state, r.jobId); c.fixed32.encode(state, r.author); c.fixed32.encode(state, r.subject)
    c.uint.encode(state, ROLES.indexOf(r.role)); c.uint.encode(state, r.rating); c.string.encode(state, r.text); c.uint.encode(state, r.at)
  },
  decode (state) {
    return {
      jobId: c.fixed(16).decode(state),
      author: c.fixed32.decode(state),
      subject: c.fixed32.decode(state),
      role: ROLES[c.uint.decode(state)] ?? 'client',
      rating: c.uint.decode(state),
      text: c.string.decode(state),
      at: c.uint.decode(state)
    }
  }
}

export interface ProfileRecord extends PrinterProfile {
  writer: Uint8Array
  updatedAt: number // author-stated
}

export const profileRecord: c.Encoder<ProfileRecord> = {
  preencode (state, p) {
    c.fixed32.preencode(state, p.writer); uintList.preencode(state, p.materials.map(m => MATERIALS.indexOf(m)))
    for (let i = 0; i < 3; i++) c.uint.preencode(state, p.bedMm[i])
    c.string.preencode(state, p.country); c.string.preencode(state, p.note); c.uint.preencode(state, p.updatedAt)
  },
  encode (state, p) {
    c.fixed32.encode(state, p.writer); uintList.encode(state, p.materials.map(m => MATERIALS.indexOf(m)))
    for (let i = 0; i < 3; i++) c.uint.encode(state, p.bedMm[i])
    c.string.encode(state, p.country); c.string.encode(state, p.note); c.uint.encode(state, p.updatedAt)
  },
  decode (state) {
    return {
      writer: c.fixed32.decode(state),
      materials: uintList.decode(state).map(i => MATERIALS[i] ?? 'Other'),
      bedMm: [c.uint.decode(state), c.uint.decode(state), c.uint.decode(state)],
      country: c.string.decode(state),
      note: c.string.decode(state),
      updatedAt: c.uint.decode(state)
    }
  }
}

// --- keys -------------------------------------------------------------------------------------------------------

function key (kind: number, ...parts: Uint8Array[]): Uint8Array {
  return b4a.concat([b4a.from([P_REPUTATION, kind]), ...parts])
}

function desc32 (n: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, 0xffffffff - n)
  return out
}

function materialByte (m: Material): Uint8Array { return b4a.from([MATERIALS.indexOf(m)]) }
function countryBytes (cc: string): Uint8Array { return b4a.from(cc, 'latin1') }

export const keys = {
  stats: (peer: Uint8Array) => key(R.STATS, peer),
  bySubject: (subject: Uint8Array, n?: number) => n === undefined ? key(R.BY_SUBJECT, subject) : key(R.BY_SUBJECT, subject, desc32(n)),
  byJob: (jobId: Uint8Array, author: Uint8Array) => key(R.BY_JOB, jobId, author),
  profile: (writer?: Uint8Array) => writer === undefined ? key(R.PROFILE) : key(R.PROFILE, writer),
  byMaterialCountry: (m: Material, cc?: string, writer?: Uint8Array) =>
    key(R.BY_MATERIAL_COUNTRY, materialByte(m), ...(cc === undefined ? [] : [countryBytes(cc)]), ...(writer === undefined ? [] : [writer])),
  byCountry: (cc: string, writer?: Uint8Array) => key(R.BY_COUNTRY, countryBytes(cc), ...(writer === undefined ? [] : [writer]))
}

// The index keys a listed profile has.
export function profileIndexKeys (p: ProfileRecord): Uint8Array[] {
  return [...p.materials.map(m => keys.byMaterialCountry(m, p.country, p.writer)), keys.byCountry(p.country, p.writer)]
}

export { prefixEnd } from '../market/view.js'

// --- reads and writes -------------------------------------------------------------------------------------------

export async function getPeerStats (v: Reader, peer: Uint8Array): Promise<PeerStats> {
  const e = await v.get(keys.stats(peer))
  return e === null ? emptyStats() : c.decode(peerStats, e.value)
}

export async function putPeerStats (b: Batch, peer: Uint8Array, s: PeerStats): Promise<void> {
  await b.put(keys.stats(peer), c.encode(peerStats, s))
}

export async function getReview (v: Reader, jobId: Uint8Array, author: Uint8Array): Promise<ReviewRecord | null> {
  const e = await v.get(keys.byJob(jobId, author))
  return e === null ? null : c.decode(reviewRecord, e.value)
}

export async function getProfile (v: Reader, writer: Uint8Array): Promise<ProfileRecord | null> {
  const e = await v.get(keys.profile(writer))
  return e === null ? null : c.decode(profileRecord, e.value)
}
