// Every operation a peer can append to the market, and every record the view stores, is encoded in lib/schema/;
// this module is their one entry point.
// Rules: an op starts with (version, type, at); a newer version of an op only ever appends fields; a decoder
// refuses versions and types it does not know (the op is then ignored by `apply`, identically on every peer of
// that version), and refuses trailing bytes, over-long strings and lists.
//
// The parts import each other in one direction only: limits, common ← job, escrow, reputation ← records, ops.
export { LIMITS } from './schema/limits.js'
export { MATERIALS, STATUSES, JOB_ID_BYTES, SchemaError } from './schema/common.js'
export type { Material, Status } from './schema/common.js'
export { MODEL_KINDS, fileRef } from './schema/job.js'
export type { JobFields, JobPatch, FileKind, FileSummary, FileRef } from './schema/job.js'
export {
  CHAINS, SETTINGS_BOUNDS, DEFAULT_SETTINGS, DEFAULT_DELIVERY_DAYS, SIGN_KINDS, PAID_KINDS, WINNERS, SIGNER_ROLES,
  marketSettings, escrowParty, escrowRecord
} from './schema/escrow.js'
export type {
  ChainSetting, ArbitratorEntry, MarketSettings, EscrowCoin, EscrowParty, ProposeEscrow, SignKind, PaidKind, Winner,
  SignerRole, EscrowSig, EscrowRecord
} from './schema/escrow.js'
export { REPUTATION_LIMITS, printerProfile } from './schema/reputation.js'
export type { PrinterProfile } from './schema/reputation.js'
export { jobRecord, marketMeta, marketClock, namedIndexers, writerRecord, indexValue, marketStats } from './schema/records.js'
export type { HistoryEntry, JobRecord, PaidClaim, MarketMeta, MarketClock, WriterRecord, IndexValue, MarketStats } from './schema/records.js'
export { QUOTE_LIMITS, quoteRecord, offerRecord } from './schema/quote.js'
export { MILESTONE_LIMITS, milestonesProblem } from './schema/milestones.js'
export type { Milestone, ReleaseRecord } from './schema/milestones.js'
export { ADDRESS_LIMITS, addressPlaintext, addressRecord } from './schema/address.js'
export type { ShippingAddress, AddressPlaintext, AddressRecord } from './schema/address.js'
export type { QuoteBody, OfferBody, QuoteRecord, OfferRecord } from './schema/quote.js'
export { SCHEMA_VERSION, OP, OP_NAMES, ACTION_AUTO_ACTIVATE, opBytesFor, encodeOp, decodeOp } from './schema/ops.js'
export type { OpType, OpBody, Op } from './schema/ops.js'
