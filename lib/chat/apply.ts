// The chat's part of the reducer (called from lib/market/apply.ts for ops 20–29). Same rules as the rest of it:
// deterministic, no I/O besides the batch, never throws on input; an op that fails a check changes nothing.
// Apply sees only public data: it checks structure, the author's role, sizes and counts, and stores public keys,
// sealed keys and ciphertext. Whether a ciphertext decrypts is for the readers to find out (lib/chat/chat.ts).
import b4a from 'b4a'
import type { BeeBatch } from 'hyperbee'
import { OP, type Op, type WriterRecord } from '../schema.js'
import { getJob, putWriter } from '../market/view.js'
import { CHAT_LIMITS, NONCE_BYTES, MAC_BYTES, PHOTO_STORED_MAX } from './codec.js'
import { chatRoleOf } from './roles.js'
import { isSealable } from './crypto.js'
import { getChatJob, putChatJob, putChatPublicKey, getChatPublicKey, putGrant, putMessage, getChatKey, putChatKey } from './view.js'

type Batch = BeeBatch<Uint8Array, Uint8Array>
export type ChatOp = Extract<Op, { type: typeof OP.CHAT_KEY | typeof OP.CHAT_GRANT | typeof OP.CHAT_MESSAGE }>

export function isChatOp (op: Op): op is ChatOp {
  return op.type === OP.CHAT_KEY || op.type === OP.CHAT_GRANT || op.type === OP.CHAT_MESSAGE
}

export async function applyChatOp (b: Batch, op: ChatOp, author: Uint8Array, writer: WriterRecord): Promise<boolean> {
  const ok = await step(b, op, author)
  if (ok) await putWriter(b, author, { ...writer, ops: writer.ops + 1 })
  return ok
}

async function step (b: Batch, op: ChatOp, author: Uint8Array): Promise<boolean> {
  if (op.type === OP.CHAT_KEY) {
    if (!isSealable(op.publicKey)) return false // a low-order key would make every grant to it fail
    await putChatPublicKey(b, author, op.publicKey)
    return true
  }
  const job = await getJob(b, op.jobId)
  if (job === null || chatRoleOf(job, author) === null) return false
  // the conversation of the job's current printer (epoch = acceptances so far): keys of an earlier epoch are
  // never wrapped for anyone again nor written with, so each printer's conversation stays between its parties
  const epoch = job.accepts
  const stored = await getChatJob(b, op.jobId)
  const chat = stored.epoch === epoch ? stored : { ...stored, keys: [], photos: 0, epoch, counts: [] }
  const known = chat.keys.some(k => b4a.equals(k.id, op.keyId))
  if (!known && ((await getChatKey(b, op.jobId, op.keyId)) !== null || stored.keys.some(k => b4a.equals(k.id, op.keyId)))) return false

  if (op.type === OP.CHAT_GRANT) {
    if (op.wraps.length === 0) return false
    if (!known && (chat.keys.length >= CHAT_LIMITS.keysPerJob || chat.keys.filter(k => b4a.equals(k.creator, author)).length >= CHAT_LIMITS.keysPerAuthor)) return false
    const wraps: Array<{ reader: Uint8Array, publicKey: Uint8Array, sealed: Uint8Array }> = []
    for (const w of op.wraps) {
      if (wraps.some(x => b4a.equals(x.reader, w.reader))) return false
      if (chatRoleOf(job, w.reader) === null) return false // only the job's participants get a key
      // a wrap for a reader whose key this view does not hold (yet: ops of two writers can come in either order) is
      // left out, not the grant; grantDue wraps the key for it again once its key is known
      const publicKey = await getChatPublicKey(b, w.reader)
      if (publicKey !== null) wraps.push({ reader: w.reader, publicKey, sealed: w.sealed })
    }
    if (wraps.length === 0) return false
    if (!known) {
      await putChatJob(b, op.jobId, { ...chat, keys: [...chat.keys, { id: op.keyId, creator: author }] })
      await putChatKey(b, op.jobId, op.keyId, { epoch, creator: author })
    }
    for (const w of wraps) await putGrant(b, op.jobId, op.keyId, w.reader, author, { publicKey: w.publicKey, sealed: w.sealed })
    return true
  }

  // chat/message
  if (!known) return false
  const mine = chat.counts.find(x => b4a.equals(x.author, author)) ?? { author, messages: 0, photos: 0 }
  if (mine.messages >= CHAT_LIMITS.messagesPerJob) return false
  if ((op.photos.length === 0) !== (op.drive === null)) return false
  if (mine.photos + op.photos.length > CHAT_LIMITS.photosPerJob) return false
  for (const p of op.photos) {
    if (p.byteLength <= NONCE_BYTES + MAC_BYTES || p.byteLength > PHOTO_STORED_MAX) return false
  }
  await putMessage(b, op.jobId, chat.messages, {
    author, at: op.at, keyId: op.keyId, nonce: op.nonce, ciphertext: op.ciphertext, drive: op.drive, photos: op.photos
  })
  const counts = [...chat.counts.filter(x => !b4a.equals(x.author, author)), { author, messages: mine.messages + 1, photos: mine.photos + op.photos.length }]
  await putChatJob(b, op.jobId, { ...chat, messages: chat.messages + 1, photos: chat.photos + op.photos.length, counts })
  return true
}
