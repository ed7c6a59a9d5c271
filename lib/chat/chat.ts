// The job chat on a Market: keys, grants, sending, reading, photos. See lib/chat/README.md for the design.
import fs from '#fs'
import path from '#path'
import { createHash } from '#crypto'
import b4a from 'b4a'
import type { Market } from '../market/market.js'
import { OP, type JobRecord } from '../schema.js'
import { FILE_MISMATCH, MESSAGE_TOO_LONG, NO_WRITER_KEY, OP_REJECTED, TOO_MANY_PHOTOS } from '../errors.js'
import { peerId } from '../ids.js'
import type { BlobRef } from '../files/drive.js'
import { CHAT_LIMITS, PHOTO_STORED_MAX, encodePlaintext, decodePlaintext, type ChatWrap, type PhotoType, type ChatPhotoRef } from './codec.js'
import { chatKeyPairFrom, newConversationKey, keyIdOf, sealKey, openKey, encrypt, decrypt, sealPhoto, openPhoto, isSealable, type ChatKeyPair } from './crypto.js'
import { chatParticipants, chatRoleOf, type ChatRole } from './roles.js'
import { getChatPublicKey, getChatJob, grantsFor, chatMessages, chatKeys } from './view.js'
import { sniffImage, type LoadedPhoto } from './photos.js'
import { printable } from '../text.js'
import { isoTime } from '../text.js'

const keyPairs = new WeakMap<Market, ChatKeyPair>()

export function chatKeyPair (market: Market): ChatKeyPair {
  let kp = keyPairs.get(market)
  if (kp === undefined) {
    const secret = market.base.local.keyPair?.secretKey ?? null
    if (secret === null) throw NO_WRITER_KEY()
    kp = chatKeyPairFrom(secret)
    keyPairs.set(market, kp)
  }
  return kp
}

// Publishes this peer's chat public key (chat/key) unless the view already holds it. Cheap to call at every
// job/create and job/accept, so a party's key is known before anyone writes to it.
export async function publishChatKey (market: Market): Promise<boolean> {
  const kp = chatKeyPair(market)
  const have = await getChatPublicKey(market.view, market.writerKey)
  if (have !== null && b4a.equals(have, kp.publicKey)) return false
  await market.append({ type: OP.CHAT_KEY, publicKey: kp.publicKey })
  await market.update()
  return true
}

const hex = (b: Uint8Array): string => b4a.toString(b, 'hex')

// The conversation keys of a job this peer can open (of every epoch it took part in): keyId hex → K. With
// `currentOnly`, only the keys of the job's current conversation (its current printer's), oldest first.
export async function conversationKeys (market: Market, jobId: Uint8Array, currentOnly = false): Promise<Map<string, Uint8Array>> {
  const kp = chatKeyPair(market)
  const chat = await getChatJob(market.view, jobId)
  const list = currentOnly ? chat.keys : await chatKeys(market.view, jobId)
  const out = new Map<string, Uint8Array>()
  for (const k of list) {
    for (const g of await grantsFor(market.view, jobId, k.id, market.writerKey)) {
      if (!b4a.equals(g.publicKey, kp.publicKey)) continue
      const key = openKey(g.sealed, k.id, kp)
      if (key !== null) {
        out.set(hex(k.id), key)
        break
      }
    }
  }
  return out
}

// Seals every key of the current conversation this peer holds to every participant that has no wrap of it for its
// current public key yet: the other party once it has published its key, and, once a dispute is open, the mediator
// and the arbitrator. A newcomer to a dispute reads the conversation of this printer with the client, from its
// start, and nothing of an earlier printer's. Returns the number of wraps written.
export async function grantDue (market: Market, job: JobRecord): Promise<number> {
  if (chatRoleOf(job, market.writerKey) === null) return 0
  const chat = await getChatJob(market.view, job.id)
  if (chat.epoch !== job.accepts) return 0
  const held = await conversationKeys(market, job.id, true)
  let n = 0
  for (const [idHex, k] of held) {
    const keyId = b4a.from(idHex, 'hex')
    const wraps: ChatWrap[] = []
    for (const p of chatParticipants(job)) {
      const pk = await getChatPublicKey(market.view, p.key)
      if (pk === null) continue
      const existing = await grantsFor(market.view, job.id, keyId, p.key)
      if (existing.some(g => b4a.equals(g.publicKey, pk)) || !isSealable(pk)) continue
      wraps.push({ reader: p.key, sealed: sealKey(k, pk) })
    }
    if (wraps.length === 0) continue
    await market.append({ type: OP.CHAT_GRANT, jobId: job.id, keyId, wraps })
    n += wraps.length
  }
  if (n > 0) await market.update()
  return n
}

// The key this peer writes with: the oldest it can open, or a new one sealed to every participant whose key is
// published (this peer's own included).
export async function writingKey (market: Market, job: JobRecord): Promise<{ keyId: Uint8Array, key: Uint8Array }> {
  await market.update() // a key another participant made may have just arrived: no second key if one will do
  const chat = await getChatJob(market.view, job.id)
  const held = chat.epoch === job.accepts ? await conversationKeys(market, job.id, true) : new Map<string, Uint8Array>()
  const first = held.entries().next()
  if (first.done !== true) return { keyId: b4a.from(first.value[0], 'hex'), key: first.value[1] }
  const key = newConversationKey()
  const keyId = keyIdOf(key)
  const wraps: ChatWrap[] = []
  for (const p of chatParticipants(job)) {
    const pk = await getChatPublicKey(market.view, p.key)
    if (pk !== null && isSealable(pk)) wraps.push({ reader: p.key, sealed: sealKey(key, pk) })
  }
  await market.append({ type: OP.CHAT_GRANT, jobId: job.id, keyId, wraps })
  await market.update()
  if (!(await conversationKeys(market, job.id)).has(hex(keyId))) throw OP_REJECTED('the market did not take the conversation key of this chat (too many keys for this job?)')
  return { keyId, key }
}

export async function sendMessage (market: Market, job: JobRecord, text: string, photos: LoadedPhoto[], now: number): Promise<{ pos: number, photos: BlobRef[] }> {
  const me = market.writerKey
  const chat = await getChatJob(market.view, job.id)
  const sent = chat.epoch === job.accepts ? chat.counts.find(x => b4a.equals(x.author, me))?.photos ?? 0 : 0
  if (sent + photos.length > CHAT_LIMITS.photosPerJob) throw TOO_MANY_PHOTOS(sent, photos.length)
  const plain = encodePlaintext({ author: me, jobId: job.id, at: now, text, photos: photos.map(p => ({ name: p.name, type: p.type, byteLength: p.bytes.byteLength })) })
  if (plain.byteLength > CHAT_LIMITS.plaintextBytes) throw MESSAGE_TOO_LONG(plain.byteLength)
  const { keyId, key } = await writingKey(market, job)
  const refs: ChatPhotoRef[] = []
  let drive: Uint8Array | null = null
  if (photos.length > 0) {
    const own = await market.files.own()
    drive = own.key
    for (const p of photos) {
      const stored = sealPhoto(p.bytes, key)
      const sha256 = createHash('sha256').update(stored).digest()
      await own.put(photoPath(job.id, sha256), stored)
      refs.push({ byteLength: stored.byteLength, sha256 })
    }
  }
  const { nonce, ciphertext } = encrypt(plain, key)
  await market.append({ type: OP.CHAT_MESSAGE, jobId: job.id, keyId, nonce, ciphertext, drive, photos: refs })
  await market.update()
  const mine = (await chatMessages(market.view, job.id)).find(m => b4a.equals(m.nonce, nonce))
  if (mine === undefined) throw OP_REJECTED('the market did not take the message (see `p2print job show` for the job\'s state)')
  return { pos: mine.pos, photos: refs.map((r, i) => ({ drive: drive as Uint8Array, path: photoPath(job.id, r.sha256), name: photos[i].name, byteLength: r.byteLength, sha256: r.sha256 })) }
}

export function photoPath (jobId: Uint8Array, sha256: Uint8Array): string {
  return `/chat/${hex(jobId)}/${hex(sha256)}`
}

export interface ChatPhoto { name: string, type: PhotoType, byteLength: number, file?: string }
export interface ChatEntry {
  pos: number
  author: string
  role: ChatRole | 'former party'
  at: string
  text: string | null // null: this peer holds no key for it (yet)
  photos: ChatPhoto[]
  mine: boolean
}
interface Readable { entry: ChatEntry, key: Uint8Array | null, drive: Uint8Array | null, refs: ChatPhotoRef[] }

async function readAll (market: Market, job: JobRecord): Promise<Readable[]> {
  const keys = await conversationKeys(market, job.id)
  const current = (await getChatJob(market.view, job.id))
  const ofNow = (id: Uint8Array): boolean => current.epoch === job.accepts && current.keys.some(k => b4a.equals(k.id, id))
  const out: Readable[] = []
  for (const m of await chatMessages(market.view, job.id)) {
    // another printer's conversation this peer was not part of is not listed at all
    if (!keys.has(hex(m.keyId)) && !ofNow(m.keyId)) continue
    const entry: ChatEntry = {
      pos: m.pos,
      author: peerId(m.author),
      role: chatRoleOf(job, m.author) ?? 'former party',
      at: isoTime(m.at),
      text: null,
      photos: [],
      mine: b4a.equals(m.author, market.writerKey)
    }
    const key = keys.get(hex(m.keyId)) ?? null
    const plainBytes = key === null ? null : decrypt(m.nonce, m.ciphertext, key)
    if (plainBytes !== null) {
      try {
        const p = decodePlaintext(plainBytes)
        // the payload names its author and job: a ciphertext copied into another op or job does not read
        if (b4a.equals(p.author, m.author) && b4a.equals(p.jobId, job.id) && p.photos.length === m.photos.length) {
          entry.text = printable(p.text, true)
          entry.at = isoTime(p.at)
          entry.photos = p.photos.map(ph => ({ name: printable(ph.name), type: ph.type, byteLength: ph.byteLength }))
        }
      } catch {}
    }
    out.push({ entry, key: entry.text === null ? null : key, drive: m.drive, refs: m.photos })
  }
  return out
}

export async function readConversation (market: Market, job: JobRecord): Promise<{ messages: ChatEntry[], unreadable: number }> {
  const all = await readAll(market, job)
  return { messages: all.map(r => r.entry), unreadable: all.filter(r => r.entry.text === null).length }
}

// Fetches every photo of the conversation (from whichever peer holds it), checks size before and sha256 after
// (ModelDrives.fetch), decrypts it and writes it to dir as <message number>-<name>. Returns the conversation with
// the written file paths.
export async function savePhotos (market: Market, job: JobRecord, dir: string, stallMs: number, emit?: (tag: string, data: Record<string, unknown>) => void): Promise<{ messages: ChatEntry[], unreadable: number, files: string[] }> {
  const all = await readAll(market, job)
  const files: string[] = []
  for (const r of all) {
    if (r.key === null || r.drive === null) continue
    for (let i = 0; i < r.refs.length; i++) {
      const ref = r.refs[i]
      const ph = r.entry.photos[i]
      const stored = await market.files.fetch({ drive: r.drive, path: photoPath(job.id, ref.sha256), name: ph.name, byteLength: ref.byteLength, sha256: ref.sha256 }, { maxBytes: PHOTO_STORED_MAX, stallMs })
      const image = openPhoto(stored, r.key)
      if (image === null || image.byteLength !== ph.byteLength || sniffImage(image) !== ph.type) {
        throw FILE_MISMATCH(ph.name, 'the stored photo does not decrypt to the image its message describes')
      }
      await fs.promises.mkdir(dir, { recursive: true })
      const out = path.join(dir, `${r.entry.pos + 1}-${path.basename(ph.name)}`)
      const tmp = out + '.part-' + process.pid
      await fs.promises.writeFile(tmp, image)
      await fs.promises.rename(tmp, out)
      ph.file = out
      files.push(out)
      emit?.('chat-photo-saved', { file: out, bytes: image.byteLength })
    }
  }
  return { messages: all.map(r => r.entry), unreadable: all.filter(r => r.entry.text === null).length, files }
}
