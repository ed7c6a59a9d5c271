// Quotes and offers (ops 50–52, schema v8): a printer answers an open job with its own price and lead time; the
// job's client offers one printer a price (the quoted one, or a counter-offer); that printer's job/accept then makes
// the deal at that price (lib/market/quotes.ts).
import c from 'compact-encoding'
import { boundedArray, boundedString, boundedUint, optional, struct, sats, time } from '../codec.js'
import { LIMITS } from './limits.js'
import { jobId, key, material, type Material } from './common.js'

export const QUOTE_LIMITS = {
  leadDays: 365,
  noteChars: 500,
  revisionsPerJob: 5, // quotes (first and replacements) one printer may write on one job
  perHour: 20, // quotes one printer may write in an hour of market time
  offersPerJob: 20 // offers (and withdrawals of one) the client may write on one job
} as const

export interface QuoteBody {
  jobId: Uint8Array
  priceSats: number
  leadDays: number
  material: Material | null // a material the printer proposes instead of the job's
  colors: string[] // colours it proposes instead of the job's (empty: the job's)
  note: string
}

// priceSats 0: the client takes back its standing offer
export interface OfferBody {
  jobId: Uint8Array
  printer: Uint8Array
  priceSats: number
  leadDays: number
  material: Material | null
  colors: string[]
}

const leadDays = boundedUint(QUOTE_LIMITS.leadDays)
const quoteNote = boundedString(QUOTE_LIMITS.noteChars)
const colors = boundedArray(boundedString(LIMITS.colorChars), LIMITS.colors)
const optionalMaterial = optional(material)

export const quoteBody = struct<QuoteBody>([['jobId', jobId], ['priceSats', sats], ['leadDays', leadDays], ['material', optionalMaterial], ['colors', colors], ['note', quoteNote]])
export const offerBody = struct<OfferBody>([['jobId', jobId], ['printer', key], ['priceSats', sats], ['leadDays', leadDays], ['material', optionalMaterial], ['colors', colors]])

// 'q' jobId printer: a printer's latest quote on a job. `live` false once withdrawn; `revs` counts every quote it
// wrote on the job (the per-job limit survives a withdrawal); `at` is market time.
export interface QuoteRecord {
  printer: Uint8Array
  priceSats: number
  leadDays: number
  material: Material | null
  colors: string[]
  note: string
  at: number
  revs: number
  live: boolean
}
export const quoteRecord = struct<QuoteRecord>([['printer', key], ['priceSats', sats], ['leadDays', leadDays], ['material', optionalMaterial], ['colors', colors], ['note', quoteNote], ['at', time], ['revs', c.uint], ['live', c.bool]])

// The client's standing offer on a job, kept in the job record until a job/accept takes it or the client replaces it.
export interface OfferRecord {
  printer: Uint8Array
  priceSats: number
  leadDays: number
  material: Material | null
  colors: string[]
  at: number // market time
}
export const offerRecord = struct<OfferRecord>([['printer', key], ['priceSats', sats], ['leadDays', leadDays], ['material', optionalMaterial], ['colors', colors], ['at', time]])
export const optionalOffer = optional(offerRecord)
