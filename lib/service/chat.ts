// The end-to-end encrypted conversation of a job's parties on a P2Print (lib/chat holds the crypto and the view).
import path from '#path'
import type { P2Print } from './p2print.js'
import { NOT_ALLOWED, BAD_ARGUMENT, TOO_MANY_PHOTOS } from '../errors.js'
import { CHAT_LIMITS } from '../chat/codec.js'
import { jobIdString, peerId } from '../ids.js'
import type { BlobRef } from '../files/drive.js'
import { chatRoleOf, type ChatRole } from '../chat/roles.js'
import type { LoadedPhoto } from '../chat/photos.js'
import { publishChatKey, grantDue, sendMessage, readConversation, savePhotos, type ChatEntry } from '../chat/chat.js'

export interface ChatData {
  id: string
  me: string
  role: ChatRole
  messages: Array<Omit<ChatEntry, 'pos'>>
  unreadable: number // messages under a key nobody has sealed to this peer yet
  sent: boolean
  granted: number // key wraps this run sealed to other participants
  files: string[] // photos written with --photos DIR
  shared?: boolean
  peers: number
}
// Reads the conversation and, with text or photos, writes a message first; with saveDir, fetches, decrypts and
// saves every photo of it there. Photos are loaded (and checked) by the caller before the market is touched.
export async function chat (p: P2Print, idText: string, o: { text?: string, photos?: LoadedPhoto[], saveDir?: string }): Promise<ChatData> {
  const market = p.market
  const text = o.text ?? ''
  const photos = o.photos ?? []
  const writing = text.trim().length > 0 || photos.length > 0
  if (Buffer.byteLength(text) > CHAT_LIMITS.textBytes) throw BAD_ARGUMENT(`the message is ${Buffer.byteLength(text)} bytes, more than the limit of ${CHAT_LIMITS.textBytes} bytes`)
  if (photos.length > CHAT_LIMITS.photosPerMessage) throw TOO_MANY_PHOTOS(0, photos.length)
  if (o.text !== undefined && !writing) throw BAD_ARGUMENT('the message is empty')
  const v = await p.job(idText)
  const job = v.job
  const id = jobIdString(job.id)
  if (job.printer === null) throw NOT_ALLOWED(`job ${id} is ${job.status} and has no printer: its chat opens once a printer accepts it`)
  const role = chatRoleOf(job, market.writerKey)
  if (role === null) throw NOT_ALLOWED(`you are not a party to job ${id}: only its client and printer (and, once a dispute is open, its mediator and arbitrator) can read and write its chat`)

  const published = await publishChatKey(market)
  let sent = false
  let sentRefs: BlobRef[] = []
  if (writing) {
    sentRefs = (await sendMessage(market, job, text, photos, Date.now())).photos
    sent = true
    p.event('chat-sent', { id, photos: photos.length })
  }
  // seal the conversation keys to whoever has none yet: a party that published its key late, a mediator or an
  // arbitrator who joined the dispute
  const granted = await grantDue(market, job)
  const wrote = published || sent || granted > 0
  let shared = wrote ? await p.share() : undefined
  const waitMs = Math.max(p.opts.syncTimeoutMs, 5000)
  if (sentRefs.length > 0 && market.connections > 0) {
    // like a job's model: wait until a peer (a seeder) holds the encrypted photos, so they outlive this process
    let held = true
    for (const ref of sentRefs) held = await market.files.waitHeld(ref, waitMs) && held
    p.event(held ? 'file-shared' : 'file-stored-locally', { name: `${sentRefs.length} photo(s)` })
    shared = shared === true && held
  }

  const read = o.saveDir !== undefined
    ? await savePhotos(market, job, path.resolve(o.saveDir), waitMs, (tag, data) => p.event(tag as 'chat-photo-saved', data ?? {}))
    : { ...(await readConversation(market, job)), files: [] }
  return {
    id,
    me: peerId(market.writerKey),
    role,
    messages: read.messages.map(({ pos: _pos, ...m }) => m),
    unreadable: read.unreadable,
    sent,
    granted,
    files: read.files,
    ...(shared === undefined ? {} : { shared }),
    peers: p.peers
  }
}
