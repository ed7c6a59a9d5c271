// The chat's part of the market view (prefix 't', "talk"; documented in lib/market/view.ts):
//
//   't' 0 writer32                              → ChatKeyBody     (the writer's latest X25519 public key)
//   't' 1 jobId16                               → ChatJobRecord   (message and photo counts, conversation keys)
//   't' 2 jobId16 keyId32 reader32 granter32    → ChatGrantRecord (K sealed to the reader, by that granter)
//   't' 3 jobId16 pos6                          → ChatMessageRecord (pos = the message's place in log order)
//   't' 4 jobId16 keyId32                       → ChatKeyRecord   (every conversation key of the job, with its epoch)
//
// Everything under 't' is public market data: public keys, sealed keys and ciphertext only.
import b4a from 'b4a'
import c from 'compact-encoding'
import type Hyperbee from 'hyperbee'
import type { BeeBatch } from 'hyperbee'
import { JOB_ID_BYTES } from '../schema.js'
import { chatKeyBody, chatJobRecord, chatGrantRecord, chatMessageRecord, chatKeyRecord, type ChatJobRecord, type ChatGrantRecord, type ChatMessageRecord, type ChatKeyRecord } from './codec.js'

type View = Hyperbee<Uint8Array, Uint8Array>
type Batch = BeeBatch<Uint8Array, Uint8Array>
type Reader = Pick<View, 'get'> | Pick<Batch, 'get'>

export const P_CHAT = 0x74 // 't'
const K_PUBKEY = 0
const K_JOB = 1
const K_GRANT = 2
const K_MESSAGE = 3
const K_KEY = 4

function pos6 (n: number): Uint8Array {
  const out = new Uint8Array(6)
  let v = n
  for (let i = 5; i >= 0; i--) {
    out[i] = v % 256
    v = Math.floor(v / 256)
  }
  return out
}

const k = (...parts: Array<number | Uint8Array>): Uint8Array =>
  b4a.concat(parts.map(p => typeof p === 'number' ? b4a.from([p]) : p))

export const pubkeyKey = (writer: Uint8Array): Uint8Array => k(P_CHAT, K_PUBKEY, writer)
export const chatJobKey = (jobId: Uint8Array): Uint8Array => k(P_CHAT, K_JOB, jobId)
export const grantKey = (jobId: Uint8Array, keyId: Uint8Array, reader: Uint8Array, granter: Uint8Array): Uint8Array => k(P_CHAT, K_GRANT, jobId, keyId, reader, granter)
export const messageKey = (jobId: Uint8Array, pos: number): Uint8Array => k(P_CHAT, K_MESSAGE, jobId, pos6(pos))
export const keyRecordKey = (jobId: Uint8Array, keyId: Uint8Array): Uint8Array => k(P_CHAT, K_KEY, jobId, keyId)

export async function getChatPublicKey (v: Reader, writer: Uint8Array): Promise<Uint8Array | null> {
  const e = await v.get(pubkeyKey(writer))
  return e === null ? null : c.decode(chatKeyBody, e.value).publicKey
}

export async function getChatJob (v: Reader, jobId: Uint8Array): Promise<ChatJobRecord> {
  const e = await v.get(chatJobKey(jobId))
  return e === null ? { messages: 0, photos: 0, keys: [], epoch: 0, counts: [] } : c.decode(chatJobRecord, e.value)
}

export async function getChatKey (v: Reader, jobId: Uint8Array, keyId: Uint8Array): Promise<ChatKeyRecord | null> {
  const e = await v.get(keyRecordKey(jobId, keyId))
  return e === null ? null : c.decode(chatKeyRecord, e.value)
}

export async function putChatKey (b: Batch, jobId: Uint8Array, keyId: Uint8Array, r: ChatKeyRecord): Promise<void> {
  await b.put(keyRecordKey(jobId, keyId), c.encode(chatKeyRecord, r))
}

// Every conversation key of a job, with its epoch (keys of records from before epochs: the record's own list).
export async function chatKeys (view: View, jobId: Uint8Array): Promise<Array<{ id: Uint8Array } & ChatKeyRecord>> {
  const prefix = k(P_CHAT, K_KEY, jobId)
  const out: Array<{ id: Uint8Array } & ChatKeyRecord> = []
  for await (const e of view.createReadStream({ gte: prefix, lt: k(prefix, 0xff) })) {
    out.push({ id: b4a.from(e.key.subarray(prefix.byteLength)), ...c.decode(chatKeyRecord, e.value) })
  }
  const chat = await getChatJob(view, jobId)
  for (const key of chat.keys) if (!out.some(x => b4a.equals(x.id, key.id))) out.push({ id: key.id, epoch: chat.epoch, creator: key.creator })
  return out
}

// Every wrap of one key for one reader (one per granter).
export async function grantsFor (view: View, jobId: Uint8Array, keyId: Uint8Array, reader: Uint8Array): Promise<Array<ChatGrantRecord & { granter: Uint8Array }>> {
  const prefix = k(P_CHAT, K_GRANT, jobId, keyId, reader)
  const out: Array<ChatGrantRecord & { granter: Uint8Array }> = []
  for await (const e of view.createReadStream({ gte: prefix, lt: k(prefix, 0xff) })) {
    if (e.key.byteLength !== prefix.byteLength + 32) continue
    out.push({ ...c.decode(chatGrantRecord, e.value), granter: e.key.subarray(prefix.byteLength) })
  }
  return out
}

// The job's messages in log order.
// The messages' key range (for lib/market/changes.ts), and one message from its entry.
export const jobMessagesRange = (jobId: Uint8Array): { gte: Uint8Array, lt: Uint8Array } => ({ gte: k(P_CHAT, K_MESSAGE, jobId), lt: k(P_CHAT, K_MESSAGE, jobId, b4a.alloc(7, 0xff)) })
export const MESSAGE_RANGE = { gte: k(P_CHAT, K_MESSAGE), lt: k(P_CHAT, K_MESSAGE + 1) }
export function decodeMessage (key: Uint8Array, value: Uint8Array): ChatMessageRecord & { jobId: Uint8Array } {
  return { ...c.decode(chatMessageRecord, value), jobId: b4a.from(key.subarray(2, 2 + JOB_ID_BYTES)) }
}

export async function chatMessages (view: View, jobId: Uint8Array): Promise<Array<ChatMessageRecord & { pos: number }>> {
  const prefix = k(P_CHAT, K_MESSAGE, jobId)
  const out: Array<ChatMessageRecord & { pos: number }> = []
  for await (const e of view.createReadStream({ gte: prefix, lt: k(prefix, 0xff) })) {
    let pos = 0
    for (let i = prefix.byteLength; i < e.key.byteLength; i++) pos = pos * 256 + e.key[i]
    out.push({ ...c.decode(chatMessageRecord, e.value), pos })
  }
  return out
}

export async function putChatPublicKey (b: Batch, writer: Uint8Array, publicKey: Uint8Array): Promise<void> {
  await b.put(pubkeyKey(writer), c.encode(chatKeyBody, { publicKey }))
}

export async function putChatJob (b: Batch, jobId: Uint8Array, r: ChatJobRecord): Promise<void> {
  await b.put(chatJobKey(jobId), c.encode(chatJobRecord, r))
}

export async function putGrant (b: Batch, jobId: Uint8Array, keyId: Uint8Array, reader: Uint8Array, granter: Uint8Array, r: ChatGrantRecord): Promise<void> {
  await b.put(grantKey(jobId, keyId, reader, granter), c.encode(chatGrantRecord, r))
}

export async function putMessage (b: Batch, jobId: Uint8Array, pos: number, r: ChatMessageRecord): Promise<void> {
  await b.put(messageKey(jobId, pos), c.encode(chatMessageRecord, r))
}
