// Photo evidence: JPEG and PNG only, recognised by their bytes (never by the file name), at most 5 MB each.
import fs from '#fs'
import path from '#path'
import { FILE_NOT_FOUND, NOT_A_FILE, NOT_AN_IMAGE, PHOTO_TOO_LARGE } from '../errors.js'
import { CHAT_LIMITS, type PhotoType } from './codec.js'

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

export function sniffImage (bytes: Uint8Array): PhotoType | null {
  if (bytes.byteLength >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg'
  if (bytes.byteLength >= PNG.length && PNG.every((b, i) => bytes[i] === b)) return 'png'
  return null
}

export interface LoadedPhoto { name: string, type: PhotoType, bytes: Uint8Array }

// The size is checked before the file is read, the kind on its first bytes.
export async function loadPhoto (file: string): Promise<LoadedPhoto> {
  const name = path.basename(file)
  let st: fs.Stats
  try {
    st = await fs.promises.stat(file)
  } catch (err) {
    throw FILE_NOT_FOUND(file, err)
  }
  if (!st.isFile()) throw NOT_A_FILE(file)
  if (st.size > CHAT_LIMITS.photoBytes) throw PHOTO_TOO_LARGE(name, st.size)
  const bytes = await fs.promises.readFile(file)
  if (bytes.byteLength > CHAT_LIMITS.photoBytes) throw PHOTO_TOO_LARGE(name, bytes.byteLength)
  if (bytes.byteLength === 0) throw NOT_AN_IMAGE(name, 'the file is empty')
  const type = sniffImage(bytes)
  if (type === null) throw NOT_AN_IMAGE(name, `it starts with bytes ${Buffer.from(bytes.subarray(0, 8)).toString('hex')}, not a JPEG or PNG signature`)
  return { name: safeName(name, type), type, bytes }
}

// A file name that is safe to write anywhere and fits the payload limit.
export function safeName (name: string, type: PhotoType): string {
  let n = path.basename(name).replace(/[^\w.\-]+/g, '_').replace(/^\.+/, '')
  if (n === '') n = 'photo.' + (type === 'jpeg' ? 'jpg' : 'png')
  if (n.length > CHAT_LIMITS.photoNameChars) {
    const ext = path.extname(n).slice(0, 8)
    n = n.slice(0, CHAT_LIMITS.photoNameChars - ext.length) + ext
  }
  return n
}
