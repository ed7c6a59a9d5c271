// chat ID [MESSAGE] [--photo PATH]... [--photos DIR]: the end-to-end encrypted conversation of a job's parties.
import path from 'path'
import { withMarket, share, type Ctx } from './context.js'
import { resolveJob } from '../service/resolve.js'
import { NOT_ALLOWED, BAD_ARGUMENT } from '../errors.js'
import { jobIdString, peerId } from '../ids.js'
import { CHAT_LIMITS } from '../chat/codec.js'
import type { BlobRef } from '../files/drive.js'
import { chatRoleOf, type ChatRole } from '../chat/roles.js'
import { loadPhoto, TOO_MANY_PHOTOS, type LoadedPhoto } from '../chat/photos.js'
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
export interface ChatResult { kind: 'chat', data: ChatData }

export interface ChatFlags {
  photo?: string[] // --photo PATH (repeatable)
  photos?: string // --photos DIR: fetch, decrypt and save every photo of the conversation
}

export async function chatCommand (ctx: Ctx, idText: string, message: string | undefined, flags: ChatFlags = {}): Promise<ChatResult> {
  const text = message ?? ''
  const photoFiles = flags.photo ?? []
  if (Buffer.byteLength(text) > CHAT_LIMITS.textBytes) throw BAD_ARGUMENT(`the message is ${Buffer.byteLength(text)} bytes, more than the limit of ${CHAT_LIMITS.textBytes} bytes`)
  if (photoFiles.length > CHAT_LIMITS.photosPerMessage) throw TOO_MANY_PHOTOS(0, photoFiles.length)
  // every photo is checked (size, JPEG/PNG bytes) before the market is opened
  const photos: LoadedPhoto[] = []
  for (const f of photoFiles) photos.push(await loadPhoto(f))
  const writing = text.trim().length > 0 || photos.length > 0
  if (message !== undefined && !writing) throw BAD_ARGUMENT('the message is empty')

  return withMarket(ctx, async ({ market, peers }) => {
    const v = await resolveJob(market, idText)
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
      ctx.emit('chat-sent', { id, photos: photos.length })
    }
    // seal the conversation keys to whoever has none yet: a party that published its key late, a mediator or an
    // arbitrator who joined the dispute
    const granted = await grantDue(market, job)
    const wrote = published || sent || granted > 0
    let shared = wrote ? await share(ctx, market) : undefined
    if (sentRefs.length > 0 && market.connections > 0) {
      // like a job's model: wait until a peer (a seeder) holds the encrypted photos, so they outlive this process
      let held = true
      for (const ref of sentRefs) held = await market.files.waitHeld(ref, Math.max(ctx.syncTimeoutMs, 5000)) && held
      ctx.emit(held ? 'file-shared' : 'file-stored-locally', { name: `${sentRefs.length} photo(s)` })
      shared = shared === true && held
    }

    const read = flags.photos !== undefined
      ? await savePhotos(market, job, path.resolve(flags.photos), Math.max(ctx.syncTimeoutMs, 5000), ctx.emit)
      : { ...(await readConversation(market, job)), files: [] }
    return {
      kind: 'chat',
      data: {
        id,
        me: peerId(market.writerKey),
        role,
        messages: read.messages.map(({ pos: _pos, ...m }) => m),
        unreadable: read.unreadable,
        sent,
        granted,
        files: read.files,
        ...(shared === undefined ? {} : { shared }),
        peers
      }
    }
  })
}
