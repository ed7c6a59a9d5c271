// Wire and view encodings of the job chat (ops 20–29 of schema v4; see lib/chat/README.md). Self-contained on
// purpose: lib/schema.ts imports these codecs for its op switch, so this module must not import lib/schema.ts.
// Every decoder is strict: fixed sizes, bounded lengths and lists, safe integers; anything else throws (and
// `apply` then ignores the op, identically on every peer).
import c from 'compact-encoding'
import { CHAT_LIMITS } from './limits.js'
import { CodecError, boundedBytes, boundedArray, boundedString, safeUint, optional, struct } from '../codec.js'

export { CHAT_LIMITS } from './limits.js'

export const NONCE_BYTES = 24 // crypto_secretbox_NONCEBYTES
export const MAC_BYTES = 16 // crypto_secretbox_MACBYTES
export const SEAL_BYTES = 48 // crypto_box_SEALBYTES
export const KEY_BYTES = 32
// a photo as stored in the drive: nonce || secretbox(image)
export const PHOTO_STORED_MAX = CHAT_LIMITS.photoBytes + NONCE_BYTES + MAC_BYTES

export class ChatCodecError extends CodecError {}

const bytes = boundedBytes
const list = boundedArray
const text = boundedString







const key32 = c.fixed32
const jobId16 = c.fixed(16)
const nonce = c.fixed(NONCE_BYTES)

// --- op bodies (without `type`) ---------------------------------------------------------------------------------

// chat/key: the author's X25519 public key for sealed grants. The latest per writer is kept.
export interface ChatKeyBody { publicKey: Uint8Array }

// chat/grant: a conversation key, sealed (crypto_box_seal) to each reader's published public key.
// keyId = BLAKE2b-256(K, key = 'p2print/chat-key-id') commits to K: a reader checks what it unsealed against it.
export interface ChatWrap { reader: Uint8Array, sealed: Uint8Array }
export interface ChatGrantBody { jobId: Uint8Array, keyId: Uint8Array, wraps: ChatWrap[] }

// chat/message: nonce and secretbox ciphertext under the conversation key `keyId`. Photos are listed in the clear
// by size and hash of their ciphertext (so apply can count and bound them, and seeders can mirror them) and sit in
// the author's drive `drive` at /chat/<jobId hex>/<sha256 hex>.
export interface ChatPhotoRef { byteLength: number, sha256: Uint8Array }
export interface ChatMessageBody {
  jobId: Uint8Array
  keyId: Uint8Array
  nonce: Uint8Array
  ciphertext: Uint8Array
  drive: Uint8Array | null
  photos: ChatPhotoRef[]
}

export const chatKeyBody = struct<ChatKeyBody>([['publicKey', key32]])
const chatWrap = struct<ChatWrap>([['reader', key32], ['sealed', c.fixed(KEY_BYTES + SEAL_BYTES)]])
export const chatGrantBody = struct<ChatGrantBody>([['jobId', jobId16], ['keyId', key32], ['wraps', list(chatWrap, CHAT_LIMITS.wrapsPerGrant)]])
const photoRef = struct<ChatPhotoRef>([['byteLength', safeUint], ['sha256', key32]])
export const chatMessageBody = struct<ChatMessageBody>([
  ['jobId', jobId16],
  ['keyId', key32],
  ['nonce', nonce],
  ['ciphertext', bytes(MAC_BYTES + 1, CHAT_LIMITS.plaintextBytes + MAC_BYTES)],
  ['drive', optional(key32)],
  ['photos', list(photoRef, CHAT_LIMITS.photosPerMessage)]
])

// --- the encrypted payload --------------------------------------------------------------------------------------

export const PHOTO_TYPES = ['jpeg', 'png'] as const
export type PhotoType = typeof PHOTO_TYPES[number]

export interface PlainPhoto { name: string, type: PhotoType, byteLength: number } // byteLength: of the image
export interface Plaintext {
  author: Uint8Array // the writer key; a reader checks it against the op's author (no replay under another name)
  jobId: Uint8Array
  at: number // the author's clock, ms
  text: string
  photos: PlainPhoto[] // in the order of the op's photo refs
}

const photoType: c.Encoder<PhotoType> = {
  preencode (state, v) { c.uint.preencode(state, PHOTO_TYPES.indexOf(v)) },
  encode (state, v) { c.uint.encode(state, PHOTO_TYPES.indexOf(v)) },
  decode (state) {
    const i = c.uint.decode(state)
    if (i >= PHOTO_TYPES.length) throw new ChatCodecError('unknown photo type')
    return PHOTO_TYPES[i]
  }
}
const plainPhoto = struct<PlainPhoto>([['name', text(CHAT_LIMITS.photoNameChars)], ['type', photoType], ['byteLength', safeUint]])
const PLAINTEXT_VERSION = 1
const plaintextFields = struct<Plaintext>([
  ['author', key32],
  ['jobId', jobId16],
  ['at', safeUint],
  ['text', text(CHAT_LIMITS.textBytes)],
  ['photos', list(plainPhoto, CHAT_LIMITS.photosPerMessage)]
])

export function encodePlaintext (p: Plaintext): Uint8Array {
  const state = c.state()
  c.uint.preencode(state, PLAINTEXT_VERSION)
  plaintextFields.preencode(state, p)
  state.buffer = new Uint8Array(state.end)
  c.uint.encode(state, PLAINTEXT_VERSION)
  plaintextFields.encode(state, p)
  return state.buffer
}

export function decodePlaintext (buf: Uint8Array): Plaintext {
  const state = c.state(0, buf.byteLength, buf)
  if (c.uint.decode(state) !== PLAINTEXT_VERSION) throw new ChatCodecError('unknown payload version')
  const p = plaintextFields.decode(state)
  if (state.start !== state.end) throw new ChatCodecError('trailing bytes')
  return p
}

// --- view records -------------------------------------------------------------------------------------------------

export interface ChatMessageRecord {
  author: Uint8Array
  at: number // op.at (the author's clock, as the log carries it)
  keyId: Uint8Array
  nonce: Uint8Array
  ciphertext: Uint8Array
  drive: Uint8Array | null
  photos: ChatPhotoRef[]
}
export const chatMessageRecord = struct<ChatMessageRecord>([
  ['author', key32], ['at', c.uint], ['keyId', key32], ['nonce', nonce], ['ciphertext', c.buffer], ['drive', optional(key32)], ['photos', c.array(photoRef)]
])

// A job's conversation keys belong to an epoch: the job's acceptance count when the key was granted. A new
// printer is a new epoch, with new keys that only its participants get: a printer that left reads nothing written
// after it left, and the next one reads nothing written before it came.
export interface ChatJobRecord {
  messages: number // also the next message's position
  photos: number // in the current epoch
  keys: Array<{ id: Uint8Array, creator: Uint8Array }> // the current epoch's keys
  epoch: number // appended in schema v5 (a record without it is of epoch 1, the first acceptance)
  counts: Array<{ author: Uint8Array, messages: number, photos: number }> // per author in the current epoch (v5)
}
const chatKeyEntry = struct<{ id: Uint8Array, creator: Uint8Array }>([['id', key32], ['creator', key32]])
const authorCount = struct<{ author: Uint8Array, messages: number, photos: number }>([['author', key32], ['messages', c.uint], ['photos', c.uint]])
export const chatJobRecord: c.Encoder<ChatJobRecord> = {
  preencode (state, r) { c.uint.preencode(state, r.messages); c.uint.preencode(state, r.photos); c.array(chatKeyEntry).preencode(state, r.keys); c.uint.preencode(state, r.epoch); c.array(authorCount).preencode(state, r.counts) },
  encode (state, r) { c.uint.encode(state, r.messages); c.uint.encode(state, r.photos); c.array(chatKeyEntry).encode(state, r.keys); c.uint.encode(state, r.epoch); c.array(authorCount).encode(state, r.counts) },
  decode (state) {
    const messages = c.uint.decode(state)
    const photos = c.uint.decode(state)
    const keys = c.array(chatKeyEntry).decode(state)
    const epoch = state.start < state.end ? c.uint.decode(state) : 1
    return { messages, photos, keys, epoch, counts: state.start < state.end ? c.array(authorCount).decode(state) : [] }
  }
}

// Every conversation key a job ever had, with its epoch, so an old key is never taken for a new one.
export interface ChatKeyRecord { epoch: number, creator: Uint8Array }
export const chatKeyRecord = struct<ChatKeyRecord>([['epoch', c.uint], ['creator', key32]])

// A sealed wrap as the view keeps it: with the reader's public key it was sealed to (a reader whose key changed
// needs a new one).
export interface ChatGrantRecord { publicKey: Uint8Array, sealed: Uint8Array }
export const chatGrantRecord = struct<ChatGrantRecord>([['publicKey', key32], ['sealed', c.buffer]])
