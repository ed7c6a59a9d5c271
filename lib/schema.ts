// Every operation a peer can append to the market, and every record the view stores, is encoded here.
// Rules: an op starts with (version, type, at); a newer version of an op only ever appends fields; a decoder
// refuses versions and types it does not know (the op is then ignored by `apply`, identically on every peer of
// that version), and refuses trailing bytes, over-long strings and lists.
import c from 'compact-encoding'
import type { State } from 'compact-encoding'
import { CodecError, boundedString, boundedArray, boundedUint, boundedFinite, enumOf, optional, safeUint, struct, time, sats } from './codec.js'
import { chatKeyBody, chatGrantBody, chatMessageBody, type ChatKeyBody, type ChatGrantBody, type ChatMessageBody } from './chat/codec.js'
import { encodeDisputeBody, decodeDisputeBody, disputeOpCarriesPsbt, optionalDispute, type DisputeOpBody, type DisputeRecord } from './disputes/codec.js'

// 1: the market core. 2: job/create may carry a model file reference. 3: escrow (market/settings, escrow/* ops,
// job/lapse, dispute/ruling; job/accept, job/ship and job/complete append their escrow fields). 4: chat (ops 20–29),
// mediation (30–39), reviews and profiles (40–49). 5: job/complete carries the client's signature of the payout;
// market/settings names the mediators (lib/escrow/PROTOCOL.md).
export const SCHEMA_VERSION = 5

export const MATERIALS = ['PLA', 'ABS', 'PETG', 'TPU', 'Nylon', 'Resin', 'Other'] as const
export type Material = typeof MATERIALS[number]

export const STATUSES = ['open', 'accepted', 'active', 'shipped', 'completed', 'cancelled', 'disputed'] as const
export type Status = typeof STATUSES[number]

export const OP = {
  JOB_CREATE: 1,
  JOB_UPDATE: 2,
  JOB_CANCEL: 3,
  JOB_ACCEPT: 4,
  JOB_WITHDRAW: 5,
  JOB_SHIP: 6,
  JOB_COMPLETE: 7,
  JOB_DISPUTE: 8,
  MARKET_INIT: 9,
  MARKET_SETTINGS: 10,
  ESCROW_PROPOSE: 11,
  ESCROW_SIGN: 12,
  ESCROW_FUNDED: 13,
  ESCROW_PAID: 14,
  JOB_LAPSE: 15,
  MEDIATOR_REGISTER: 30, // 30–35: mediation (lib/disputes)
  DISPUTE_PROPOSE: 31,
  DISPUTE_ACCEPT: 32,
  DISPUTE_REJECT: 33,
  DISPUTE_ESCALATE: 34,
  DISPUTE_RULE: 35,
  DISPUTE_RULING: 16,
  CHAT_KEY: 20,
  CHAT_GRANT: 21,
  CHAT_MESSAGE: 22,
  JOB_REVIEW: 40,
  PRINTER_PROFILE: 41
} as const
export type OpType = typeof OP[keyof typeof OP]
export const OP_NAMES: Record<OpType, string> = {
  1: 'job/create',
  2: 'job/update',
  3: 'job/cancel',
  4: 'job/accept',
  5: 'job/withdraw',
  6: 'job/ship',
  7: 'job/complete',
  8: 'job/dispute',
  9: 'market/init',
  10: 'market/settings',
  11: 'escrow/propose',
  12: 'escrow/sign',
  13: 'escrow/funded',
  14: 'escrow/paid',
  15: 'job/lapse',
  30: 'mediator/register',
  31: 'dispute/propose',
  32: 'dispute/accept',
  33: 'dispute/reject',
  34: 'dispute/escalate',
  35: 'dispute/rule',
  16: 'dispute/ruling',
  20: 'chat/key',
  21: 'chat/grant',
  22: 'chat/message',
  40: 'job/review',
  41: 'printer/profile'
}
// History entries also record transitions that no op names: the automatic accepted → active step.
export const ACTION_AUTO_ACTIVATE = 100

// opBytes bounds every op except those that carry a PSBT (escrow/sign, dispute/ruling, job/ship), which are
// bounded by escrowOpBytes instead: a funding PSBT with fundingInputs coins per side, each with its coin, its
// outpoint and a signature (about 200 bytes per input), fits in 12 KB; 32 KiB leaves room and is still small
// for a Hypercore block. The larger bound is checked after the type is read, so no other op can grow.
export const LIMITS = {
  opBytes: 4096,
  escrowOpBytes: 32768,
  fundingInputs: 20, // coins per side in a funding transaction
  scriptBytes: 64, // payout / change / fee output scripts
  arbitrators: 16,
  mediators: 16, // named in the market settings
  history: 32, // a job record keeps its first history entry and the latest ones
  leavers: 16, // the latest printers to leave a job (withdraw, or a lapse they caused), kept in its record
  acceptsPerPrinter: 2, // a printer that left a job this often may not accept it again
  maxFeeRate: 500, // sat/vB: no escrow is built at a higher fee rate
  titleChars: 120,
  marketNameChars: 80,
  notesChars: 2000,
  noteChars: 1000,
  colors: 8,
  colorChars: 32,
  maxBountySats: 2_100_000_000_000_000, // 21 million BTC
  openJobsPerClient: 20,
  updatesPerJob: 50,
  opsPerWriter: 100_000,
  pathChars: 512,
  fileNameChars: 255,
  bedNames: 32,
  bedNameChars: 64,
  maxFileBytes: 1024 * 1024 * 1024
} as const

export const JOB_ID_BYTES = 16

export interface JobFields {
  title: string
  material: Material
  colors: string[]
  bountySats: number
  country: string
  notes: string
}

export type JobPatch = Partial<JobFields>

export const MODEL_KINDS = ['stl', 'obj', '3mf', 'zip'] as const
export type FileKind = typeof MODEL_KINDS[number]

// What a job says about its model, so printers can filter and decide before downloading anything. For a ZIP the
// figures are over all its models: facets, volume and area summed, size the largest of each axis, closed and
// manifold only if every model is, fits only the beds every model fits.
export interface FileSummary {
  kind: FileKind
  models: number
  facets: number
  sizeMm: [number, number, number]
  volumeCm3: number
  areaCm2: number
  shells: number
  closed: boolean
  manifold: boolean
  fits: string[]
}

// Where the model is: a path in the client's Hyperdrive, and what the bytes must be.
export interface FileRef {
  drive: Uint8Array
  path: string
  name: string // the file name the client attached
  byteLength: number
  sha256: Uint8Array
  summary: FileSummary
}

// --- escrow ---------------------------------------------------------------------------------------------------

export const CHAINS = ['', 'mainnet', 'testnet', 'signet', 'regtest'] as const
export type ChainSetting = typeof CHAINS[number]

export interface ArbitratorEntry {
  id: Uint8Array // writer key
  pubkey: Uint8Array // 33-byte compressed key the arbitrator signs rulings with
}

export interface MarketSettings {
  chain: ChainSetting // '' = no escrow
  arbitrators: ArbitratorEntry[]
  depositPct: number
  arbitrationFeePct: number
  fundingDepth: number // confirmations before a job is active
  fundingTimeoutSecs: number // accepted → open (lapse) after this long without funding
  refundDelayBlocks: number // lockHeight = tip at proposal + this
  mediators: Uint8Array[] // writer keys of the mediators the creator names (schema v5; none before)
}

// What apply accepts in market/settings (the command line has the same bounds).
export const SETTINGS_BOUNDS = {
  depositPct: [1, 100],
  arbitrationFeePct: [0, 15],
  fundingDepth: [1, 100],
  fundingTimeoutSecs: [60, 30 * 86400],
  refundDelayBlocks: [6, 52_560]
} as const

export const DEFAULT_SETTINGS: MarketSettings = {
  chain: '',
  arbitrators: [],
  depositPct: 15,
  arbitrationFeePct: 5,
  fundingDepth: 1,
  fundingTimeoutSecs: 24 * 3600,
  refundDelayBlocks: 4320,
  mediators: []
}

// A coin one side brings to the funding transaction. txid in display (RPC) byte order.
export interface EscrowCoin {
  txid: Uint8Array
  vout: number
  valueSats: number
  script: Uint8Array
}

export interface EscrowParty {
  pubkey: Uint8Array // the party's escrow key for this job
  payoutScript: Uint8Array
  changeScript: Uint8Array
  inputs: EscrowCoin[]
  feeRate: number // accept: the highest funding fee rate its coins were chosen for; propose: the agreed rate
  // in the op only (schema v5), not in the record: the escrow key's signature binding it to this job and author
  // (lib/escrow/verify.ts keyBinding), so nobody can put another party's key (and its signatures) in a job of its own
  keyProof?: Uint8Array | null
}

export interface ProposeEscrow extends EscrowParty {
  lockHeight: number
}

export const SIGN_KINDS = ['refund', 'funding', 'cancel', 'complete', 'ruling', 'split'] as const
export type SignKind = typeof SIGN_KINDS[number]
export const PAID_KINDS = ['refund', 'cancel', 'ruling', 'complete', 'split'] as const
export type PaidKind = typeof PAID_KINDS[number]
export const WINNERS = ['client', 'printer'] as const
export type Winner = typeof WINNERS[number]
export const SIGNER_ROLES = ['client', 'printer', 'arbitrator'] as const
export type SignerRole = typeof SIGNER_ROLES[number]

export type OpBody =
  | { type: typeof OP.JOB_CREATE, job: JobFields, file?: FileRef | null }
  | { type: typeof OP.JOB_UPDATE, jobId: Uint8Array, patch: JobPatch }
  | { type: typeof OP.JOB_CANCEL, jobId: Uint8Array }
  | { type: typeof OP.JOB_ACCEPT, jobId: Uint8Array, escrow?: EscrowParty | null }
  | { type: typeof OP.JOB_WITHDRAW, jobId: Uint8Array }
  | { type: typeof OP.JOB_SHIP, jobId: Uint8Array, note: string, psbt?: Uint8Array | null }
  | { type: typeof OP.JOB_COMPLETE, jobId: Uint8Array, payoutTxid?: Uint8Array | null, psbt?: Uint8Array | null }
  | { type: typeof OP.JOB_DISPUTE, jobId: Uint8Array, reason: string }
  | { type: typeof OP.MARKET_INIT, name: string }
  | { type: typeof OP.MARKET_SETTINGS, settings: MarketSettings }
  | { type: typeof OP.ESCROW_PROPOSE, jobId: Uint8Array, escrow: ProposeEscrow }
  | { type: typeof OP.ESCROW_SIGN, jobId: Uint8Array, kind: SignKind, psbt: Uint8Array }
  | { type: typeof OP.ESCROW_FUNDED, jobId: Uint8Array, txid: Uint8Array }
  | { type: typeof OP.ESCROW_PAID, jobId: Uint8Array, kind: PaidKind, txid: Uint8Array }
  | { type: typeof OP.JOB_LAPSE, jobId: Uint8Array }
  | { type: typeof OP.DISPUTE_RULING, jobId: Uint8Array, winner: Winner, feeScript: Uint8Array, psbt: Uint8Array }
  | ({ type: typeof OP.CHAT_KEY } & ChatKeyBody)
  | ({ type: typeof OP.CHAT_GRANT } & ChatGrantBody)
  | ({ type: typeof OP.CHAT_MESSAGE } & ChatMessageBody)
  | DisputeOpBody
  | { type: typeof OP.JOB_REVIEW, jobId: Uint8Array, rating: number, text: string }
  | { type: typeof OP.PRINTER_PROFILE, profile: PrinterProfile }

export type Op = OpBody & { version: number, at: number }

export class SchemaError extends CodecError {}

// --- bounded primitives --------------------------------------------------------------------------------------






const title = boundedString(LIMITS.titleChars)
const notes = boundedString(LIMITS.notesChars)
const note = boundedString(LIMITS.noteChars)
const colors = boundedArray(boundedString(LIMITS.colorChars), LIMITS.colors)
const country = boundedString(2)
const material = enumOf(MATERIALS)
const status = enumOf(STATUSES)
const jobId = c.fixed(JOB_ID_BYTES)
const marketName = boundedString(LIMITS.marketNameChars)
const key = c.fixed32

const jobFields: c.Encoder<JobFields> = {
  preencode (state, j) {
    title.preencode(state, j.title)
    material.preencode(state, j.material)
    colors.preencode(state, j.colors)
    sats.preencode(state, j.bountySats)
    country.preencode(state, j.country)
    notes.preencode(state, j.notes)
  },
  encode (state, j) {
    title.encode(state, j.title)
    material.encode(state, j.material)
    colors.encode(state, j.colors)
    sats.encode(state, j.bountySats)
    country.encode(state, j.country)
    notes.encode(state, j.notes)
  },
  decode (state) {
    return {
      title: title.decode(state),
      material: material.decode(state),
      colors: colors.decode(state),
      bountySats: sats.decode(state),
      country: country.decode(state),
      notes: notes.decode(state)
    }
  }
}

// A patch is a bitfield of present fields followed by those fields, in jobFields order.
const PATCH_FIELDS = ['title', 'material', 'colors', 'bountySats', 'country', 'notes'] as const
const PATCH_ENCODERS: { [K in keyof JobFields]: c.Encoder<JobFields[K]> } = {
  title, material, colors, bountySats: sats, country, notes
}

const jobPatch: c.Encoder<JobPatch> = {
  preencode (state, p) {
    c.uint.preencode(state, patchFlags(p))
    for (const f of PATCH_FIELDS) if (p[f] !== undefined) (PATCH_ENCODERS[f] as c.Encoder<unknown>).preencode(state, p[f])
  },
  encode (state, p) {
    c.uint.encode(state, patchFlags(p))
    for (const f of PATCH_FIELDS) if (p[f] !== undefined) (PATCH_ENCODERS[f] as c.Encoder<unknown>).encode(state, p[f])
  },
  decode (state) {
    const flags = c.uint.decode(state)
    if (flags === 0 || flags >= (1 << PATCH_FIELDS.length)) throw new SchemaError('bad patch flags')
    const p: Record<string, unknown> = {}
    PATCH_FIELDS.forEach((f, i) => {
      if (flags & (1 << i)) p[f] = PATCH_ENCODERS[f].decode(state)
    })
    return p as JobPatch
  }
}

function patchFlags (p: JobPatch): number {
  let flags = 0
  PATCH_FIELDS.forEach((f, i) => { if (p[f] !== undefined) flags |= 1 << i })
  return flags
}


const fileKind = enumOf(MODEL_KINDS)
const count32 = boundedUint(0xffffffff)
const measure = boundedFinite(-1e15, 1e15)
const bedNames = boundedArray(boundedString(LIMITS.bedNameChars), LIMITS.bedNames)

const fileSummary: c.Encoder<FileSummary> = {
  preencode (state, f) {
    fileKind.preencode(state, f.kind)
    c.uint.preencode(state, f.models)
    c.uint.preencode(state, f.facets)
    for (let i = 0; i < 3; i++) measure.preencode(state, f.sizeMm[i])
    measure.preencode(state, f.volumeCm3)
    measure.preencode(state, f.areaCm2)
    c.uint.preencode(state, f.shells)
    c.bool.preencode(state, f.closed)
    c.bool.preencode(state, f.manifold)
    bedNames.preencode(state, f.fits)
  },
  encode (state, f) {
    fileKind.encode(state, f.kind)
    c.uint.encode(state, f.models)
    c.uint.encode(state, f.facets)
    for (let i = 0; i < 3; i++) measure.encode(state, f.sizeMm[i])
    measure.encode(state, f.volumeCm3)
    measure.encode(state, f.areaCm2)
    c.uint.encode(state, f.shells)
    c.bool.encode(state, f.closed)
    c.bool.encode(state, f.manifold)
    bedNames.encode(state, f.fits)
  },
  decode (state) {
    return {
      kind: fileKind.decode(state),
      models: count32.decode(state),
      facets: count32.decode(state),
      sizeMm: [measure.decode(state), measure.decode(state), measure.decode(state)],
      volumeCm3: measure.decode(state),
      areaCm2: measure.decode(state),
      shells: count32.decode(state),
      closed: c.bool.decode(state),
      manifold: c.bool.decode(state),
      fits: bedNames.decode(state)
    }
  }
}

const filePath = boundedString(LIMITS.pathChars)
const fileName = boundedString(LIMITS.fileNameChars)

export const fileRef: c.Encoder<FileRef> = {
  preencode (state, f) {
    key.preencode(state, f.drive)
    filePath.preencode(state, f.path)
    fileName.preencode(state, f.name)
    safeUint.preencode(state, f.byteLength)
    c.fixed32.preencode(state, f.sha256)
    fileSummary.preencode(state, f.summary)
  },
  encode (state, f) {
    key.encode(state, f.drive)
    filePath.encode(state, f.path)
    fileName.encode(state, f.name)
    safeUint.encode(state, f.byteLength)
    c.fixed32.encode(state, f.sha256)
    fileSummary.encode(state, f.summary)
  },
  decode (state) {
    return {
      drive: key.decode(state),
      path: filePath.decode(state),
      name: fileName.decode(state),
      byteLength: boundedUint(2 ** 48).decode(state),
      sha256: c.fixed32.decode(state),
      summary: fileSummary.decode(state)
    }
  }
}
const optionalFileRef = optional(fileRef)


// --- escrow encoders --------------------------------------------------------------------------------------------

function boundedBuffer (max: number, min = 0): c.Encoder<Uint8Array> {
  return {
    preencode (state, b) { c.buffer.preencode(state, b) },
    encode (state, b) { c.buffer.encode(state, b) },
    decode (state) {
      const b = c.buffer.decode(state)
      if (b === null || b.byteLength < min) throw new SchemaError(`bytes shorter than ${min}`)
      if (b.byteLength > max) throw new SchemaError(`bytes longer than ${max}`)
      return b
    }
  }
}

const pubkey33 = c.fixed(33)
const txid32 = c.fixed32
const script = boundedBuffer(LIMITS.scriptBytes, 1)
const psbtBytes = boundedBuffer(LIMITS.escrowOpBytes, 1)
const chainSetting = enumOf(CHAINS)
const signKind = enumOf(SIGN_KINDS)
const paidKind = enumOf(PAID_KINDS)
const winner = enumOf(WINNERS)
const signerRole = enumOf(SIGNER_ROLES)


const arbitratorEntry = struct<ArbitratorEntry>([['id', key], ['pubkey', pubkey33]])
const settingsCore = struct<Omit<MarketSettings, 'mediators'>>([
  ['chain', chainSetting],
  ['arbitrators', boundedArray(arbitratorEntry, LIMITS.arbitrators)],
  ['depositPct', boundedUint(100)],
  ['arbitrationFeePct', boundedUint(100)],
  ['fundingDepth', boundedUint(1_000_000)],
  ['fundingTimeoutSecs', boundedUint(0xffffffff)],
  ['refundDelayBlocks', boundedUint(0xffffffff)]
])
const mediatorKeys = boundedArray(key, LIMITS.mediators)
// The mediators were appended in schema v5: a settings op or record without them names none.
export const marketSettings: c.Encoder<MarketSettings> = {
  preencode (state, s) { settingsCore.preencode(state, s); mediatorKeys.preencode(state, s.mediators ?? []) },
  encode (state, s) { settingsCore.encode(state, s); mediatorKeys.encode(state, s.mediators ?? []) },
  decode (state) {
    const core = settingsCore.decode(state)
    return { ...core, mediators: state.start < state.end ? mediatorKeys.decode(state) : [] }
  }
}
const escrowCoin = struct<EscrowCoin>([['txid', txid32], ['vout', boundedUint(0xffffffff)], ['valueSats', sats], ['script', script]])
const partyFields: Array<[keyof EscrowParty & string, c.Encoder<any>]> = [
  ['pubkey', pubkey33],
  ['payoutScript', script],
  ['changeScript', script],
  ['inputs', boundedArray(escrowCoin, LIMITS.fundingInputs)],
  ['feeRate', boundedFinite(0, 1_000_000)]
]
export const escrowParty = struct<EscrowParty>(partyFields)
const proposeEscrow = struct<ProposeEscrow>([...partyFields, ['lockHeight', boundedUint(499_999_999)]] as Array<[keyof ProposeEscrow & string, c.Encoder<any>]>)
const optionalParty = optional(escrowParty)
const keyProof = optional(c.fixed64)
const optionalPsbt = optional(psbtBytes)
const optionalTxid = optional(txid32)

// The escrow part of a job record (see lib/escrow/PROTOCOL.md).
export interface EscrowSig {
  kind: SignKind
  role: SignerRole
  psbt: Uint8Array
  txid: Uint8Array // the unsigned transaction's id (display order), for matching
}

export interface EscrowRecord {
  arbitrator: Uint8Array
  arbitratorPubkey: Uint8Array
  depositPct: number
  arbitrationFeePct: number
  fundingDepth: number
  fundingTimeoutSecs: number
  refundDelayBlocks: number
  acceptedAt: number
  printer: EscrowParty
  client: ProposeEscrow | null
  sigs: EscrowSig[]
  fundingTxid: Uint8Array | null
  ruling: { winner: Winner, feeScript: Uint8Array } | null
  closed: { kind: PaidKind, txid: Uint8Array } | null
}

const escrowSig = struct<EscrowSig>([['kind', signKind], ['role', signerRole], ['psbt', c.buffer], ['txid', txid32]])
const ruling = struct<{ winner: Winner, feeScript: Uint8Array }>([['winner', winner], ['feeScript', c.buffer]])
const closed = struct<{ kind: PaidKind, txid: Uint8Array }>([['kind', paidKind], ['txid', txid32]])
export const escrowRecord = struct<EscrowRecord>([
  ['arbitrator', key],
  ['arbitratorPubkey', pubkey33],
  ['depositPct', c.uint],
  ['arbitrationFeePct', c.uint],
  ['fundingDepth', c.uint],
  ['fundingTimeoutSecs', c.uint],
  ['refundDelayBlocks', c.uint],
  ['acceptedAt', c.uint],
  ['printer', escrowParty],
  ['client', optional(proposeEscrow)],
  ['sigs', c.array(escrowSig)],
  ['fundingTxid', optional(txid32)],
  ['ruling', optional(ruling)],
  ['closed', optional(closed)]
])
const optionalEscrow = optional(escrowRecord)

// --- reviews and printer profiles (ops 40–49; lib/reputation) -------------------------------------------------

export const REPUTATION_LIMITS = {
  reviewChars: 280,
  profileNoteChars: 500,
  bedMmMax: 10_000
} as const

// What a printer offers. Latest per writer (in log order) wins; an empty materials list takes the printer off the
// listing.
export interface PrinterProfile {
  materials: Material[]
  bedMm: [number, number, number]
  country: string
  note: string
}

const reviewText = boundedString(REPUTATION_LIMITS.reviewChars)
const rating = boundedUint(255)
const bedMm = boundedUint(0xffffffff)
const profileMaterials = boundedArray(material, MATERIALS.length)
const profileNote = boundedString(REPUTATION_LIMITS.profileNoteChars)
export const printerProfile: c.Encoder<PrinterProfile> = {
  preencode (state, p) {
    profileMaterials.preencode(state, p.materials)
    for (let i = 0; i < 3; i++) bedMm.preencode(state, p.bedMm[i])
    country.preencode(state, p.country)
    profileNote.preencode(state, p.note)
  },
  encode (state, p) {
    profileMaterials.encode(state, p.materials)
    for (let i = 0; i < 3; i++) bedMm.encode(state, p.bedMm[i])
    country.encode(state, p.country)
    profileNote.encode(state, p.note)
  },
  decode (state) {
    return {
      materials: profileMaterials.decode(state),
      bedMm: [bedMm.decode(state), bedMm.decode(state), bedMm.decode(state)],
      country: country.decode(state),
      note: profileNote.decode(state)
    }
  }
}

// --- operations -----------------------------------------------------------------------------------------------

function encodeBody (state: State, op: OpBody, pass: 'preencode' | 'encode'): void {
  switch (op.type) {
    case OP.JOB_CREATE: jobFields[pass](state, op.job); optionalFileRef[pass](state, op.file ?? null); return
    case OP.JOB_UPDATE: jobId[pass](state, op.jobId); jobPatch[pass](state, op.patch); return
    case OP.JOB_SHIP: jobId[pass](state, op.jobId); note[pass](state, op.note); optionalPsbt[pass](state, op.psbt ?? null); return
    case OP.JOB_DISPUTE: jobId[pass](state, op.jobId); note[pass](state, op.reason); return
    case OP.MARKET_INIT: marketName[pass](state, op.name); return
    case OP.JOB_ACCEPT: jobId[pass](state, op.jobId); optionalParty[pass](state, op.escrow ?? null); keyProof[pass](state, op.escrow?.keyProof ?? null); return
    case OP.JOB_COMPLETE: jobId[pass](state, op.jobId); optionalTxid[pass](state, op.payoutTxid ?? null); optionalPsbt[pass](state, op.psbt ?? null); return
    case OP.MARKET_SETTINGS: marketSettings[pass](state, op.settings); return
    case OP.ESCROW_PROPOSE: jobId[pass](state, op.jobId); proposeEscrow[pass](state, op.escrow); keyProof[pass](state, op.escrow.keyProof ?? null); return
    case OP.ESCROW_SIGN: jobId[pass](state, op.jobId); signKind[pass](state, op.kind); psbtBytes[pass](state, op.psbt); return
    case OP.ESCROW_FUNDED: jobId[pass](state, op.jobId); txid32[pass](state, op.txid); return
    case OP.ESCROW_PAID: jobId[pass](state, op.jobId); paidKind[pass](state, op.kind); txid32[pass](state, op.txid); return
    case OP.DISPUTE_RULING: jobId[pass](state, op.jobId); winner[pass](state, op.winner); script[pass](state, op.feeScript); psbtBytes[pass](state, op.psbt); return
    case OP.CHAT_KEY: chatKeyBody[pass](state, op); return
    case OP.CHAT_GRANT: chatGrantBody[pass](state, op); return
    case OP.CHAT_MESSAGE: chatMessageBody[pass](state, op); return
    case OP.JOB_REVIEW: jobId[pass](state, op.jobId); rating[pass](state, op.rating); reviewText[pass](state, op.text); return
    case OP.PRINTER_PROFILE: printerProfile[pass](state, op.profile); return
    case OP.MEDIATOR_REGISTER: case OP.DISPUTE_PROPOSE: case OP.DISPUTE_ACCEPT: case OP.DISPUTE_REJECT: case OP.DISPUTE_ESCALATE: case OP.DISPUTE_RULE:
      encodeDisputeBody(state, op, pass, psbtBytes); return
    case OP.JOB_CANCEL:
    case OP.JOB_WITHDRAW:
    case OP.JOB_LAPSE:
      jobId[pass](state, op.jobId); return
  }
}

function decodeBody (state: State, type: number, version: number): OpBody {
  switch (type) {
    case OP.JOB_CREATE: return { type, job: jobFields.decode(state), file: version >= 2 ? optionalFileRef.decode(state) : null }
    case OP.JOB_UPDATE: return { type, jobId: jobId.decode(state), patch: jobPatch.decode(state) }
    case OP.JOB_SHIP: return { type, jobId: jobId.decode(state), note: note.decode(state), psbt: version >= 3 ? optionalPsbt.decode(state) : null }
    case OP.JOB_DISPUTE: return { type, jobId: jobId.decode(state), reason: note.decode(state) }
    case OP.MARKET_INIT: return { type, name: marketName.decode(state) }
    case OP.JOB_ACCEPT: {
      const id = jobId.decode(state)
      const escrow = version >= 3 ? optionalParty.decode(state) : null
      const proof = version >= 5 ? keyProof.decode(state) : null
      return { type, jobId: id, escrow: escrow === null ? null : { ...escrow, keyProof: proof } }
    }
    case OP.JOB_COMPLETE: return { type, jobId: jobId.decode(state), payoutTxid: version >= 3 ? optionalTxid.decode(state) : null, psbt: version >= 5 ? optionalPsbt.decode(state) : null }
    case OP.MARKET_SETTINGS: if (version < 3) break; return { type, settings: marketSettings.decode(state) }
    case OP.ESCROW_PROPOSE: {
      if (version < 3) break
      const id = jobId.decode(state)
      const escrow = proposeEscrow.decode(state)
      return { type, jobId: id, escrow: { ...escrow, keyProof: version >= 5 ? keyProof.decode(state) : null } }
    }
    case OP.ESCROW_SIGN: if (version < 3) break; return { type, jobId: jobId.decode(state), kind: signKind.decode(state), psbt: psbtBytes.decode(state) }
    case OP.ESCROW_FUNDED: if (version < 3) break; return { type, jobId: jobId.decode(state), txid: txid32.decode(state) }
    case OP.ESCROW_PAID: if (version < 3) break; return { type, jobId: jobId.decode(state), kind: paidKind.decode(state), txid: txid32.decode(state) }
    case OP.JOB_LAPSE: if (version < 3) break; return { type, jobId: jobId.decode(state) }
    case OP.DISPUTE_RULING: if (version < 3) break; return { type, jobId: jobId.decode(state), winner: winner.decode(state), feeScript: script.decode(state), psbt: psbtBytes.decode(state) }
    case OP.CHAT_KEY: if (version < 4) break; return { type, ...chatKeyBody.decode(state) }
    case OP.CHAT_GRANT: if (version < 4) break; return { type, ...chatGrantBody.decode(state) }
    case OP.CHAT_MESSAGE: if (version < 4) break; return { type, ...chatMessageBody.decode(state) }
    case OP.JOB_REVIEW: if (version < 4) break; return { type, jobId: jobId.decode(state), rating: rating.decode(state), text: reviewText.decode(state) }
    case OP.PRINTER_PROFILE: if (version < 4) break; return { type, profile: printerProfile.decode(state) }
    case OP.MEDIATOR_REGISTER: case OP.DISPUTE_PROPOSE: case OP.DISPUTE_ACCEPT: case OP.DISPUTE_REJECT: case OP.DISPUTE_ESCALATE: case OP.DISPUTE_RULE:
      if (version < 4) break; return decodeDisputeBody(state, type, psbtBytes)
    case OP.JOB_CANCEL:
    case OP.JOB_WITHDRAW:
      return { type, jobId: jobId.decode(state) }
  }
  throw new SchemaError(`unknown op type ${type}`)
}

// The byte bound of an op of this type (see LIMITS).
export function opBytesFor (type: number): number {
  return type === OP.ESCROW_SIGN || type === OP.DISPUTE_RULING || type === OP.JOB_SHIP || type === OP.JOB_COMPLETE || disputeOpCarriesPsbt(type) ? LIMITS.escrowOpBytes : LIMITS.opBytes
}

export function encodeOp (op: OpBody, at: number): Uint8Array {
  const state = c.state()
  c.uint.preencode(state, SCHEMA_VERSION)
  c.uint.preencode(state, op.type)
  time.preencode(state, at)
  encodeBody(state, op, 'preencode')
  state.buffer = new Uint8Array(state.end)
  c.uint.encode(state, SCHEMA_VERSION)
  c.uint.encode(state, op.type)
  time.encode(state, at)
  encodeBody(state, op, 'encode')
  const max = opBytesFor(op.type)
  if (state.start > max) throw new SchemaError(`operation is ${state.start} bytes, over the ${max}-byte limit`)
  return state.buffer
}

// Throws SchemaError (or a RangeError from compact-encoding) on anything malformed; callers in `apply` catch.
export function decodeOp (buf: Uint8Array): Op {
  if (!(buf instanceof Uint8Array)) throw new SchemaError('not bytes')
  if (buf.byteLength > LIMITS.escrowOpBytes) throw new SchemaError('operation too large')
  const state = c.state(0, buf.byteLength, buf)
  const version = c.uint.decode(state)
  if (version < 1 || version > SCHEMA_VERSION) throw new SchemaError(`unknown schema version ${version}`)
  const type = c.uint.decode(state)
  if (buf.byteLength > opBytesFor(type)) throw new SchemaError('operation too large')
  const at = time.decode(state)
  const body = decodeBody(state, type, version)
  if (state.start !== state.end) throw new SchemaError('trailing bytes')
  return { ...body, version, at }
}

// --- view records ---------------------------------------------------------------------------------------------

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
}

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
      claims: []
    }
    j.rev = state.start < state.end ? c.uint.decode(state) : j.history.length
    j.accepts = state.start < state.end ? c.uint.decode(state) : j.printer === null ? 0 : 1
    if (state.start < state.end) j.leavers = leavers.decode(state)
    if (state.start < state.end) j.claims = claims.decode(state)
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

// Per-writer counters that `apply` keeps for spam limits.
export interface WriterRecord {
  ops: number
  jobs: number
  openJobs: number
}

export const writerRecord: c.Encoder<WriterRecord> = {
  preencode (state, w) { c.uint.preencode(state, w.ops); c.uint.preencode(state, w.jobs); c.uint.preencode(state, w.openJobs) },
  encode (state, w) { c.uint.encode(state, w.ops); c.uint.encode(state, w.jobs); c.uint.encode(state, w.openJobs) },
  decode (state) { return { ops: c.uint.decode(state), jobs: c.uint.decode(state), openJobs: c.uint.decode(state) } }
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

