// The client's shipping address (op 53 of schema v8, lib/market/address.ts): a structured record encrypted under the
// job's current conversation key (lib/chat), so it reads as the chat does: by the client and the job's printer, and
// once a dispute opens by its mediator and arbitrator. Self-contained like lib/chat/codec.ts.
import c from 'compact-encoding'
import { boundedBytes, boundedString, optional, struct } from '../codec.js'

export const ADDRESS_LIMITS = {
  nameChars: 100,
  streetChars: 200,
  cityChars: 100,
  postcodeChars: 20,
  phoneChars: 32,
  ciphertextBytes: 1024, // the largest plaintext (about 600 bytes) sealed, with room
  perEpoch: 5 // addresses (first and corrections) the client writes for one printer
} as const

export interface ShippingAddress {
  name: string
  street: string
  city: string
  postcode: string
  country: string // ISO 3166 alpha-2
  phone: string | null
}

// What is encrypted: the address with its author and job, so a reader drops a copy replayed under another name.
export interface AddressPlaintext { author: Uint8Array, jobId: Uint8Array, address: ShippingAddress }

// job/address: nonce and secretbox ciphertext under the conversation key keyId of the job's current printer
export interface AddressBody { jobId: Uint8Array, keyId: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array }

const shippingAddress = struct<ShippingAddress>([
  ['name', boundedString(ADDRESS_LIMITS.nameChars)],
  ['street', boundedString(ADDRESS_LIMITS.streetChars)],
  ['city', boundedString(ADDRESS_LIMITS.cityChars)],
  ['postcode', boundedString(ADDRESS_LIMITS.postcodeChars)],
  ['country', boundedString(2)],
  ['phone', optional(boundedString(ADDRESS_LIMITS.phoneChars))]
])
export const addressPlaintext = struct<AddressPlaintext>([['author', c.fixed32], ['jobId', c.fixed(16)], ['address', shippingAddress]])
export const addressBody = struct<AddressBody>([['jobId', c.fixed(16)], ['keyId', c.fixed32], ['nonce', c.fixed(24)], ['ciphertext', boundedBytes(17, ADDRESS_LIMITS.ciphertextBytes)]])

// 'a' jobId: the latest address of the job's current printer's epoch; deleted by apply when the job closes or its
// printer leaves (the ciphertext in the log is all that stays)
export interface AddressRecord { epoch: number, keyId: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, at: number, revs: number }
export const addressRecord = struct<AddressRecord>([['epoch', c.uint], ['keyId', c.fixed32], ['nonce', c.fixed(24)], ['ciphertext', boundedBytes(17, ADDRESS_LIMITS.ciphertextBytes)], ['at', c.uint], ['revs', c.uint]])
