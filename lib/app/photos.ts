// Chat photos in the app: one sent from a path (`chat ID --photo PATH`: JPEG or PNG, checked before anything is
// written), and every photo of the conversation saved into a folder (`chat ID --photos DIR`), with the folder
// checked first so a bad path gets a clear error.
import fs from '#fs'
import os from '#os'
import path from '#path'
import type { P2Print } from '../service/p2print.js'
import type { ChatData } from '../service/chat.js'
import { loadPhoto } from '../chat/photos.js'
import { BAD_ARGUMENT } from '../errors.js'
import { friendly } from './details.js'
import type { PhotosCore } from './types.js'

// A path as typed: ~ is the home folder, a relative path starts where p2print was started.
export function typedPath (text: string): string {
  const t = text.trim()
  if (t === '~' || t.startsWith('~/')) return path.join(os.homedir(), t.slice(1))
  return path.resolve(t === '' ? '.' : t)
}

// Why photos cannot be written into dir (null: they can; a missing folder is created, as the command does).
export async function outDirProblem (dir: string): Promise<string | null> {
  let at = dir
  for (;;) {
    try {
      const st = await fs.promises.stat(at)
      if (!st.isDirectory()) return at === dir ? `${dir} is a file, not a folder` : `${dir} cannot be made: ${at} is a file, not a folder`
      await fs.promises.access(at, fs.constants.W_OK)
      return null
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EACCES' || code === 'EPERM') return `cannot write into ${at}: permission denied`
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return `cannot use ${dir}: ${(err as Error).message}`
      const up = path.dirname(at)
      if (up === at) return `cannot use ${dir}: no part of it exists`
      at = up
    }
  }
}

export class AppPhotos implements PhotosCore {
  constructor (private readonly need: () => P2Print, private readonly changed: () => void) {}

  validateFile (file: string): string | null {
    if (file.trim() === '') return 'the path of a JPEG or PNG photo is needed (at most 5 MB)'
    return null
  }

  validateDir (dir: string): string | null {
    return /[\u0000]/.test(dir) ? 'a folder name cannot contain a NUL character' : null
  }

  async send (id: string, file: string, caption: string): Promise<ChatData> {
    const bad = this.validateFile(file)
    if (bad !== null) throw BAD_ARGUMENT(bad)
    try {
      const photo = await loadPhoto(typedPath(file)) // size and JPEG/PNG bytes, before the market is touched
      const r = await this.need().chat(id, { text: caption.trim() === '' ? undefined : caption, photos: [photo] })
      this.changed()
      return r
    } catch (err) { throw friendly(err) }
  }

  async save (id: string, dirText: string): Promise<ChatData> {
    const bad = this.validateDir(dirText)
    if (bad !== null) throw BAD_ARGUMENT(bad)
    const dir = typedPath(dirText)
    const problem = await outDirProblem(dir)
    if (problem !== null) throw BAD_ARGUMENT(problem)
    try {
      return await this.need().chat(id, { saveDir: dir })
    } catch (err) { throw friendly(err) }
  }
}
