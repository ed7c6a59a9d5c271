// A command's side of the command host (./server.ts): if a p2print process runs on the storage, the command is sent
// to it and its events and result come back; if none does, the command opens the storage itself (null here).
import fs from '#fs'
import net from '#net'
import path from '#path'
import { socketPath, checkOwn, lineReader, PROTOCOL_VERSION, type CommandRequest, type WireError } from './socket.js'

export type HostedAnswer = { result: { kind: string, data: unknown } } | { error: WireError }

// How long a running process may take to say it has the command (it answers at once unless it is stopped, e.g.
// with Ctrl-Z: the kernel still accepts the connection).
const ACK_MS = 5000

export async function runHosted (storage: string, req: Omit<CommandRequest, 'v'>, onEvent: (tag: string, data: Record<string, unknown>) => void): Promise<HostedAnswer | null> {
  const file = socketPath(storage)
  if (!fs.existsSync(file)) return null
  try {
    if (!file.startsWith(path.resolve(storage))) checkOwn(path.dirname(file), true)
    checkOwn(file)
  } catch (err) {
    return { error: { code: 'STORAGE_LOCKED', message: `not sending the command to ${file}: ${(err as Error).message}. Remove it if no p2print of yours runs on ${storage}`, usage: false } }
  }
  const socket = await new Promise<net.Socket | null>((resolve) => {
    const s = net.connect(file)
    s.once('connect', () => { s.off('error', onError); resolve(s) })
    const onError = (): void => { s.destroy(); resolve(null) } // refused: left by a process that died
    s.once('error', onError)
  })
  if (socket === null) return null
  return await new Promise<HostedAnswer>((resolve) => {
    let answer: HostedAnswer | null = null
    const silent = setTimeout(() => {
      answer = { error: { code: 'STORAGE_LOCKED', message: `the p2print running on storage ${storage}${holder(storage)} does not answer (stopped with Ctrl-Z?): resume it (fg) or stop it`, usage: false } }
      socket.destroy()
    }, ACK_MS)
    socket.on('data', lineReader((m) => {
      clearTimeout(silent)
      const msg = m as { queued?: number, event?: { tag: string, data: Record<string, unknown> }, result?: { kind: string, data: unknown }, error?: WireError }
      if (typeof msg.queued === 'number') { if (msg.queued > 0) onEvent('hosted-queued', { ahead: msg.queued }) } else if (msg.event !== undefined) onEvent(msg.event.tag, msg.event.data ?? {})
      else if (msg.result !== undefined) answer = { result: msg.result }
      else if (msg.error !== undefined) answer = { error: msg.error }
    }, () => socket.destroy()))
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(silent)
      resolve(answer ?? { error: { code: 'CLOSED', message: 'the p2print process running on this storage stopped before it answered: check with a read (e.g. `p2print jobs --mine`) whether the command was done before running it again', usage: false } })
    })
    socket.write(JSON.stringify({ v: PROTOCOL_VERSION, ...req }) + '\n')
  })
}

function holder (storage: string): string {
  try {
    const pid = Number.parseInt(fs.readFileSync(path.join(storage, 'LOCK'), 'utf8'), 10)
    return Number.isInteger(pid) && pid > 0 ? ` (pid ${pid})` : ''
  } catch { return '' }
}
