// Every operation a peer can append to the market: its type, its body, and how it is encoded and decoded.
import c from 'compact-encoding'
import type { State } from 'compact-encoding'
import { boundedArray, boundedString, boundedUint, sats, time } from '../codec.js'
import { chatKeyBody, chatGrantBody, chatMessageBody, type ChatKeyBody, type ChatGrantBody, type ChatMessageBody } from '../chat/codec.js'
import { encodeDisputeBody, decodeDisputeBody, disputeOpCarriesPsbt, type DisputeOpBody } from '../disputes/codec.js'
import { LIMITS } from './limits.js'
import { SchemaError, jobId, key } from './common.js'
import { jobFields, jobPatch, optionalFileRef, type FileRef, type JobFields, type JobPatch } from './job.js'
import {
  MILESTONE_SIGN_KINDS, admissionBits, keyProof, marketSettings, marketSettingsV8, optionalParty, optionalPsbt, optionalTxid, paidKind, proposeEscrow, psbtBytes, script, signKind, txid32, winner,
  type EscrowParty, type MarketSettings, type PaidKind, type ProposeEscrow, type SignKind, type Winner
} from './escrow.js'
import { printerProfile, rating, reviewText, type PrinterProfile } from './reputation.js'
import { quoteBody, offerBody, type QuoteBody, type OfferBody } from './quote.js'
import { addressBody, type AddressBody } from './address.js'
import { milestones as milestonesEnc, type Milestone } from './milestones.js'

// 1: the market core. 2: job/create may carry a model file reference. 3: escrow (market/settings, escrow/* ops,
// job/lapse, dispute/ruling; job/accept, job/ship and job/complete append their escrow fields). 4: chat (ops 20–29),
// mediation (30–39), reviews and profiles (40–49). 5: job/complete carries the client's signature of the payout;
// market/settings names the mediators (lib/escrow/PROTOCOL.md). 6: market/indexers (the creator names up to
// four more indexers) and market/clock (an indexer's tick: market time, which every deadline is measured on).
// 7: writer/admit (a non-writer's proof of work, lib/market/admission.ts); market/init and market/settings carry the
// work a market asks of new writers. 8: quotes and offers (job/quote, job/quote-withdraw, job/offer; lib/schema/quote.ts);
// job/create says whether the job is open to quotes, job/accept the price it accepts and the revision of the job's
// terms it saw (edits + offers); job/address (lib/schema/address.ts). 9: market/settings carries the delivery window;
// a job accepted in v9 keeps it, and after a ship the arbitrator's engine releases the payout once it has passed.
// 10: milestones: job/create may split the bounty into parts (lib/schema/milestones.ts); escrow/sign takes the kinds
// 'release' and 'next-refund'.
export const SCHEMA_VERSION = 10

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
  MARKET_INDEXERS: 17,
  MARKET_CLOCK: 18,
  WRITER_ADMIT: 19,
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
  PRINTER_PROFILE: 41,
  JOB_QUOTE: 50, // 50–52: quotes and offers (lib/market/quotes.ts)
  JOB_QUOTE_WITHDRAW: 51,
  JOB_OFFER: 52,
  JOB_ADDRESS: 53 // the client's sealed shipping address (lib/market/address.ts)
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
  17: 'market/indexers',
  18: 'market/clock',
  19: 'writer/admit',
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
  41: 'printer/profile',
  50: 'job/quote',
  51: 'job/quote-withdraw',
  52: 'job/offer',
  53: 'job/address'
}
// History entries also record transitions that no op names: the automatic accepted → active step.
export const ACTION_AUTO_ACTIVATE = 100

export type OpBody =
  | { type: typeof OP.JOB_CREATE, job: JobFields, file?: FileRef | null, quotes?: boolean, milestones?: Milestone[] }
  | { type: typeof OP.JOB_UPDATE, jobId: Uint8Array, patch: JobPatch }
  | { type: typeof OP.JOB_CANCEL, jobId: Uint8Array }
  | { type: typeof OP.JOB_ACCEPT, jobId: Uint8Array, escrow?: EscrowParty | null, priceSats?: number, termsRev?: number }
  | { type: typeof OP.JOB_WITHDRAW, jobId: Uint8Array }
  | { type: typeof OP.JOB_SHIP, jobId: Uint8Array, note: string, psbt?: Uint8Array | null }
  | { type: typeof OP.JOB_COMPLETE, jobId: Uint8Array, payoutTxid?: Uint8Array | null, psbt?: Uint8Array | null }
  | { type: typeof OP.JOB_DISPUTE, jobId: Uint8Array, reason: string }
  | { type: typeof OP.MARKET_INIT, name: string, admissionBits?: number }
  | { type: typeof OP.WRITER_ADMIT, nonce: number }
  | { type: typeof OP.MARKET_SETTINGS, settings: MarketSettings }
  | { type: typeof OP.MARKET_INDEXERS, indexers: Uint8Array[] }
  | { type: typeof OP.MARKET_CLOCK }
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
  | ({ type: typeof OP.JOB_QUOTE } & QuoteBody)
  | { type: typeof OP.JOB_QUOTE_WITHDRAW, jobId: Uint8Array }
  | ({ type: typeof OP.JOB_OFFER } & OfferBody)
  | ({ type: typeof OP.JOB_ADDRESS } & AddressBody)

export type Op = OpBody & { version: number, at: number }

// --- encoding ----------------------------------------------------------------------------------------------------

const note = boundedString(LIMITS.noteChars)
const marketName = boundedString(LIMITS.marketNameChars)
const indexerKeys = boundedArray(key, LIMITS.namedIndexers)
const admissionNonce = boundedUint(Number.MAX_SAFE_INTEGER)
const termsRev = boundedUint(Number.MAX_SAFE_INTEGER)

function encodeBody (state: State, op: OpBody, pass: 'preencode' | 'encode'): void {
  switch (op.type) {
    case OP.JOB_CREATE: jobFields[pass](state, op.job); optionalFileRef[pass](state, op.file ?? null); c.bool[pass](state, op.quotes === true); milestonesEnc[pass](state, op.milestones ?? []); return
    case OP.JOB_UPDATE: jobId[pass](state, op.jobId); jobPatch[pass](state, op.patch); return
    case OP.JOB_SHIP: jobId[pass](state, op.jobId); note[pass](state, op.note); optionalPsbt[pass](state, op.psbt ?? null); return
    case OP.JOB_DISPUTE: jobId[pass](state, op.jobId); note[pass](state, op.reason); return
    case OP.MARKET_INIT: marketName[pass](state, op.name); admissionBits[pass](state, op.admissionBits ?? 0); return
    case OP.WRITER_ADMIT: admissionNonce[pass](state, op.nonce); return
    case OP.JOB_ACCEPT: jobId[pass](state, op.jobId); optionalParty[pass](state, op.escrow ?? null); keyProof[pass](state, op.escrow?.keyProof ?? null); sats[pass](state, op.priceSats ?? 0); termsRev[pass](state, op.termsRev ?? 0); return
    case OP.JOB_COMPLETE: jobId[pass](state, op.jobId); optionalTxid[pass](state, op.payoutTxid ?? null); optionalPsbt[pass](state, op.psbt ?? null); return
    case OP.MARKET_SETTINGS: marketSettings[pass](state, op.settings); return
    case OP.MARKET_INDEXERS: indexerKeys[pass](state, op.indexers); return
    case OP.MARKET_CLOCK: return
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
    case OP.JOB_QUOTE: quoteBody[pass](state, op); return
    case OP.JOB_OFFER: offerBody[pass](state, op); return
    case OP.JOB_QUOTE_WITHDRAW: jobId[pass](state, op.jobId); return
    case OP.JOB_ADDRESS: addressBody[pass](state, op); return
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
    case OP.JOB_CREATE: {
      const job = jobFields.decode(state)
      const file = version >= 2 ? optionalFileRef.decode(state) : null
      const quotes = version >= 8 ? c.bool.decode(state) : false
      return { type, job, file, quotes, milestones: version >= 10 ? milestonesEnc.decode(state) : [] }
    }
    case OP.JOB_UPDATE: return { type, jobId: jobId.decode(state), patch: jobPatch.decode(state) }
    case OP.JOB_SHIP: return { type, jobId: jobId.decode(state), note: note.decode(state), psbt: version >= 3 ? optionalPsbt.decode(state) : null }
    case OP.JOB_DISPUTE: return { type, jobId: jobId.decode(state), reason: note.decode(state) }
    case OP.MARKET_INIT: return { type, name: marketName.decode(state), admissionBits: version >= 7 ? admissionBits.decode(state) : 0 }
    case OP.WRITER_ADMIT: if (version < 7) break; return { type, nonce: admissionNonce.decode(state) }
    case OP.JOB_ACCEPT: {
      const id = jobId.decode(state)
      const escrow = version >= 3 ? optionalParty.decode(state) : null
      const proof = version >= 5 ? keyProof.decode(state) : null
      const priceSats = version >= 8 ? sats.decode(state) : 0
      const rev = version >= 8 ? termsRev.decode(state) : 0
      return { type, jobId: id, escrow: escrow === null ? null : { ...escrow, keyProof: proof }, priceSats, termsRev: rev }
    }
    case OP.JOB_COMPLETE: return { type, jobId: jobId.decode(state), payoutTxid: version >= 3 ? optionalTxid.decode(state) : null, psbt: version >= 5 ? optionalPsbt.decode(state) : null }
    case OP.MARKET_SETTINGS: if (version < 3) break; return { type, settings: (version < 9 ? marketSettingsV8 : marketSettings).decode(state) }
    case OP.MARKET_INDEXERS: if (version < 6) break; return { type, indexers: indexerKeys.decode(state) }
    case OP.MARKET_CLOCK: if (version < 6) break; return { type }
    case OP.ESCROW_PROPOSE: {
      if (version < 3) break
      const id = jobId.decode(state)
      const escrow = proposeEscrow.decode(state)
      return { type, jobId: id, escrow: { ...escrow, keyProof: version >= 5 ? keyProof.decode(state) : null } }
    }
    case OP.ESCROW_SIGN: {
      if (version < 3) break
      const id = jobId.decode(state)
      const kind = signKind.decode(state)
      if (version < 10 && MILESTONE_SIGN_KINDS.includes(kind)) break // an older peer cannot read these kinds: nor do we
      return { type, jobId: id, kind, psbt: psbtBytes.decode(state) }
    }
    case OP.ESCROW_FUNDED: if (version < 3) break; return { type, jobId: jobId.decode(state), txid: txid32.decode(state) }
    case OP.ESCROW_PAID: if (version < 3) break; return { type, jobId: jobId.decode(state), kind: paidKind.decode(state), txid: txid32.decode(state) }
    case OP.JOB_LAPSE: if (version < 3) break; return { type, jobId: jobId.decode(state) }
    case OP.DISPUTE_RULING: if (version < 3) break; return { type, jobId: jobId.decode(state), winner: winner.decode(state), feeScript: script.decode(state), psbt: psbtBytes.decode(state) }
    case OP.CHAT_KEY: if (version < 4) break; return { type, ...chatKeyBody.decode(state) }
    case OP.CHAT_GRANT: if (version < 4) break; return { type, ...chatGrantBody.decode(state) }
    case OP.CHAT_MESSAGE: if (version < 4) break; return { type, ...chatMessageBody.decode(state) }
    case OP.JOB_REVIEW: if (version < 4) break; return { type, jobId: jobId.decode(state), rating: rating.decode(state), text: reviewText.decode(state) }
    case OP.PRINTER_PROFILE: if (version < 4) break; return { type, profile: printerProfile.decode(state) }
    case OP.JOB_QUOTE: if (version < 8) break; return { type, ...quoteBody.decode(state) }
    case OP.JOB_OFFER: if (version < 8) break; return { type, ...offerBody.decode(state) }
    case OP.JOB_QUOTE_WITHDRAW: if (version < 8) break; return { type, jobId: jobId.decode(state) }
    case OP.JOB_ADDRESS: if (version < 8) break; return { type, ...addressBody.decode(state) }
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
