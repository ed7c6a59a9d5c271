// The market's settings and a job's escrow: each party's key, coins and scripts, the signatures and claims ops
// carry, and the escrow part of a job record (lib/escrow/PROTOCOL.md).
import c from 'compact-encoding'
import { boundedArray, boundedUint, boundedFinite, enumOf, optional, struct, sats } from '../codec.js'
import { LIMITS } from './limits.js'
import { SchemaError, key } from './common.js'

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
  // the proof of work a peer's writer/admit op needs before it may write (lib/market/admission.ts); 0: none, any
  // well-formed first op admits its writer (every market made before schema v7)
  admissionBits: number
  blindPeers: Uint8Array[] // keys of blind peers every peer of the market asks to keep its cores (schema v7)
  // the client's time after a ship to complete or dispute; past it the printer is paid (schema v9; absent: the
  // default, copied into a job only at an accept written in v9 or later: lib/escrow/record.ts releaseAt)
  deliveryDays?: number
}

export const DEFAULT_DELIVERY_DAYS = 14

// What apply accepts in market/settings (the command line has the same bounds).
export const SETTINGS_BOUNDS = {
  depositPct: [1, 100],
  arbitrationFeePct: [0, 15],
  fundingDepth: [1, 100],
  fundingTimeoutSecs: [60, 30 * 86400],
  refundDelayBlocks: [6, 52_560],
  admissionBits: [0, 32],
  deliveryDays: [1, 90]
} as const

export const DEFAULT_SETTINGS: MarketSettings = {
  chain: '',
  arbitrators: [],
  depositPct: 15,
  arbitrationFeePct: 5,
  fundingDepth: 1,
  fundingTimeoutSecs: 24 * 3600,
  refundDelayBlocks: 4320,
  mediators: [],
  admissionBits: 0,
  blindPeers: [],
  deliveryDays: DEFAULT_DELIVERY_DAYS
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

// 'release' and 'next-refund' (schema v10): a milestone's release, and the refund of the output it leaves locked
// (lib/escrow/milestones.ts); an op of an older version naming them is refused at decode.
export const SIGN_KINDS = ['refund', 'funding', 'cancel', 'complete', 'ruling', 'split', 'release', 'next-refund'] as const
export const MILESTONE_SIGN_KINDS: readonly SignKind[] = ['release', 'next-refund']
export type SignKind = typeof SIGN_KINDS[number]
export const PAID_KINDS = ['refund', 'cancel', 'ruling', 'complete', 'split'] as const
export type PaidKind = typeof PAID_KINDS[number]
export const WINNERS = ['client', 'printer'] as const
export type Winner = typeof WINNERS[number]
export const SIGNER_ROLES = ['client', 'printer', 'arbitrator'] as const
export type SignerRole = typeof SIGNER_ROLES[number]

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
export const txid32 = c.fixed32
export const script = boundedBuffer(LIMITS.scriptBytes, 1)
export const psbtBytes = boundedBuffer(LIMITS.escrowOpBytes, 1)
const chainSetting = enumOf(CHAINS)
export const signKind = enumOf(SIGN_KINDS)
export const paidKind = enumOf(PAID_KINDS)
export const winner = enumOf(WINNERS)
export const signerRole = enumOf(SIGNER_ROLES)

const arbitratorEntry = struct<ArbitratorEntry>([['id', key], ['pubkey', pubkey33]])
const settingsCore = struct<Omit<MarketSettings, 'mediators' | 'admissionBits' | 'blindPeers' | 'deliveryDays'>>([
  ['chain', chainSetting],
  ['arbitrators', boundedArray(arbitratorEntry, LIMITS.arbitrators)],
  ['depositPct', boundedUint(100)],
  ['arbitrationFeePct', boundedUint(100)],
  ['fundingDepth', boundedUint(1_000_000)],
  ['fundingTimeoutSecs', boundedUint(0xffffffff)],
  ['refundDelayBlocks', boundedUint(0xffffffff)]
])
const mediatorKeys = boundedArray(key, LIMITS.mediators)
export const admissionBits = boundedUint(32)
const blindPeerKeys = boundedArray(key, LIMITS.blindPeers)
const deliveryDays = boundedUint(0xffff)
// The mediators were appended in schema v5, the admission work and the blind peers in v7, the delivery window in v9:
// a settings op or record without them names no mediator, asks no work, names no blind peer and has the default
// window.
export const marketSettings: c.Encoder<MarketSettings> = {
  preencode (state, s) {
    settingsCore.preencode(state, s)
    mediatorKeys.preencode(state, s.mediators ?? [])
    admissionBits.preencode(state, s.admissionBits ?? 0)
    blindPeerKeys.preencode(state, s.blindPeers ?? [])
    deliveryDays.preencode(state, s.deliveryDays ?? DEFAULT_DELIVERY_DAYS)
  },
  encode (state, s) {
    settingsCore.encode(state, s)
    mediatorKeys.encode(state, s.mediators ?? [])
    admissionBits.encode(state, s.admissionBits ?? 0)
    blindPeerKeys.encode(state, s.blindPeers ?? [])
    deliveryDays.encode(state, s.deliveryDays ?? DEFAULT_DELIVERY_DAYS)
  },
  decode (state) { return decodeSettings(state, true) }
}

// A market/settings op written before schema v9 has no delivery window: bytes after its blind peers are trailing
// bytes (refused), as a v8 peer reads them.
export const marketSettingsV8: c.Encoder<MarketSettings> = { ...marketSettings, decode (state) { return decodeSettings(state, false) } }

function decodeSettings (state: c.State, window: boolean): MarketSettings {
  const core = settingsCore.decode(state)
  const mediators = state.start < state.end ? mediatorKeys.decode(state) : []
  const bits = state.start < state.end ? admissionBits.decode(state) : 0
  const blindPeers = state.start < state.end ? blindPeerKeys.decode(state) : []
  return { ...core, mediators, admissionBits: bits, blindPeers, deliveryDays: window && state.start < state.end ? deliveryDays.decode(state) : DEFAULT_DELIVERY_DAYS }
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
export const proposeEscrow = struct<ProposeEscrow>([...partyFields, ['lockHeight', boundedUint(499_999_999)]] as Array<[keyof ProposeEscrow & string, c.Encoder<any>]>)
export const optionalParty = optional(escrowParty)
export const keyProof = optional(c.fixed64)
export const optionalPsbt = optional(psbtBytes)
export const optionalTxid = optional(txid32)

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

export const escrowSig = struct<EscrowSig>([['kind', signKind], ['role', signerRole], ['psbt', c.buffer], ['txid', txid32]])
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
export const optionalEscrow = optional(escrowRecord)
