// Where a running p2print (seed or the app) listens for the commands run on its storage, and how a request and its
// answer travel: one JSON object per line over a Unix socket that only this user can open.
import fs from '#fs'
import os from '#os'
import path from '#path'
import crypto from '#crypto'
import { StringDecoder } from '#string_decoder'

// A Unix socket path must fit sun_path (108 bytes on Linux, 104 on macOS): a long storage path gets one in a
// directory of this user's own in the temp dir (created 0700, refused if anyone else owns it or could write to it),
// named by the storage's hash, so every process of this user finds the same one and nobody else can put one there.
const MAX_SOCKET_PATH = 100

export function socketPath (storage: string): string {
  const real = realStorage(storage)
  const inside = path.join(real, 'p2print.sock')
  if (Buffer.byteLength(inside) <= MAX_SOCKET_PATH) return inside
  const hash = crypto.createHash('sha256').update(real).digest('hex').slice(0, 24)
  return path.join(privateDir(), `${hash}.sock`)
}

// The same storage reached through a symlink is the same storage.
function realStorage (storage: string): string {
  try { return fs.realpathSync(storage) } catch { return path.resolve(storage) }
}

function privateDir (): string {
  const uid = process.getuid?.() ?? 0
  return path.join(os.tmpdir(), `p2print-${uid}`)
}

// For the process that listens: the private directory exists, is a directory (not a link), is this user's and
// closed to everyone else. Throws (with the reason) otherwise.
export function preparePrivateDir (file: string): void {
  const dir = path.dirname(file)
  if (dir !== privateDir()) return
  try { fs.mkdirSync(dir, { mode: 0o700 }) } catch (err) { if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err }
  checkOwn(dir, true)
}

// A socket (or its directory) is trusted only if it is this user's and nobody else may write to it: another user's
// listener must never receive a command (its argv, cwd and P2PRINT_* settings) nor answer one.
export function checkOwn (file: string, isDir = false): void {
  const st = fs.lstatSync(file)
  const uid = process.getuid?.()
  if (isDir ? !st.isDirectory() : !st.isSocket()) throw new Error(`${file} is not a ${isDir ? 'directory' : 'socket'}`)
  if (uid !== undefined && st.uid !== uid) throw new Error(`${file} belongs to another user (uid ${st.uid})`)
  if ((st.mode & 0o022) !== 0) throw new Error(`${file} is writable by others (mode ${(st.mode & 0o777).toString(8)})`)
}

export const PROTOCOL_VERSION = 1
export const MAX_REQUEST_BYTES = 1024 * 1024

// What a command sends: its argv as typed, and what the running process cannot know of the caller's terminal.
export interface CommandRequest {
  v: number
  argv: string[]
  cwd: string
  columns: number
  color: boolean
  env: Record<string, string | undefined> // the caller's P2PRINT_* settings, read as the command would have read them
}

export interface WireError { code: string, message: string, usage: boolean }

// What comes back: first how many commands run before this one, then any number of events, then one result or one
// error.
export type CommandAnswer =
  | { queued: number }
  | { event: { tag: string, data: Record<string, unknown> } }
  | { result: { kind: string, data: unknown } }
  | { error: WireError }

// Splits a byte stream into lines (decoded as UTF-8 across chunk boundaries) and parses each. A line that is not
// JSON, or a line longer than maxBytes, ends the stream with an error.
export function lineReader (onMessage: (m: unknown) => void, onBad: (err: Error) => void, maxBytes = Infinity): (chunk: Buffer) => void {
  const decoder = new StringDecoder('utf8')
  let pending = ''
  let failed = false
  return (chunk) => {
    if (failed) return
    pending += decoder.write(chunk)
    let i: number
    while ((i = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, i)
      pending = pending.slice(i + 1)
      if (line.length === 0) continue
      let msg: unknown
      try { msg = JSON.parse(line) } catch (err) { failed = true; onBad(err as Error); return }
      onMessage(msg)
      if (failed) return
    }
    if (pending.length > maxBytes) {
      failed = true
      onBad(new Error(`a line over ${maxBytes} bytes`))
    }
  }
}
