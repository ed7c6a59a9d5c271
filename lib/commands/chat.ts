// chat ID [MESSAGE] [--photo PATH]... [--photos DIR]: the end-to-end encrypted conversation of a job's parties.
import { withMarket, type Ctx } from './context.js'
import type { ChatData } from '../service/chat.js'
import { BAD_ARGUMENT, TOO_MANY_PHOTOS } from '../errors.js'
import { CHAT_LIMITS } from '../chat/codec.js'
import { loadPhoto, type LoadedPhoto } from '../chat/photos.js'

export type { ChatData }

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
  return withMarket(ctx, async (p) => ({ kind: 'chat', data: await p.chat(idText, { text: message, photos, saveDir: flags.photos }) }))
}
