// The command host: while `p2print seed` or the app runs on a storage, it holds the storage's lock, so a command on
// the same storage cannot open it. Instead the command connects here, and the running process runs it with its own
// open market and connections (no second start-up, no reconnecting), sending back the same events and result the
// command would have printed by itself. Commands run one at a time, so each gets only its own events.
import fs from '#fs'
import net from '#net'
import { socketPath, preparePrivateDir, lineReader, PROTOCOL_VERSION, MAX_REQUEST_BYTES, type CommandRequest, type CommandAnswer } from './socket.js'
import { P2PrintError } from '../errors.js'

export type HostedCommand = (req: CommandRequest, emit: (tag: string, data?: Record<string, unknown>) => void, stopped: Promise<void>) => Promise<{ kind: string, data: unknown }>

export class CommandHost {
  readonly path: string
  private readonly server: net.Server
  private readonly sockets = new Set<net.Socket>()
  private queue: Promise<void> = Promise.resolve()
  private waiting = 0 // commands taken and not answered yet
  private closed = false

  private constructor (file: string, private readonly run: HostedCommand) {
    this.path = file
    this.server = net.createServer(socket => this.accept(socket))
  }

  // Listens on the storage's socket. The caller holds the storage's lock, so a socket file already there was left by
  // a process that died: it is replaced.
  static async listen (storage: string, run: HostedCommand): Promise<CommandHost> {
    const host = new CommandHost(socketPath(storage), run)
    await host.bind()
    return host
  }

  private async bind (): Promise<void> {
    preparePrivateDir(this.path)
    try { fs.unlinkSync(this.path) } catch {}
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      // only this user may connect: the socket is created with no access for group and others. A pipe is bound
      // inside listen(), so the mask is back before anything else of this process creates a file.
      const mask = process.umask(0o177)
      try {
        this.server.listen(this.path, () => { this.server.off('error', reject); resolve() })
      } finally {
        process.umask(mask)
      }
    })
  }

  private accept (socket: net.Socket): void {
    this.sockets.add(socket)
    let stop: () => void = () => {}
    const stopped = new Promise<void>(resolve => { stop = resolve })
    let started = false
    const send = (a: CommandAnswer): void => { if (!socket.destroyed) socket.write(JSON.stringify(a) + '\n') }
    socket.on('close', () => { this.sockets.delete(socket); stop() })
    socket.on('error', () => {})
    socket.on('data', lineReader((msg) => {
      if (started) return
      started = true
      const req = msg as CommandRequest
      if (req?.v !== PROTOCOL_VERSION || !Array.isArray(req.argv) || !req.argv.every(a => typeof a === 'string') || typeof req.cwd !== 'string' || typeof req.env !== 'object' || req.env === null) {
        send({ error: { code: 'INTERNAL', message: 'the running p2print speaks another version: update both, or stop it', usage: false } })
        socket.end()
        return
      }
      send({ queued: this.waiting })
      this.waiting++
      this.queue = this.queue.then(async () => {
        try {
          if (socket.destroyed) return
          if (this.closed) {
            send({ error: { code: 'CLOSED', message: 'the running p2print on this storage is stopping: run the command again once it has', usage: false } })
            socket.end()
            return
          }
          try {
            const result = await this.run(req, (tag, data = {}) => send({ event: { tag, data } }), stopped)
            send({ result })
          } catch (err) {
            const known = err instanceof P2PrintError
            send({ error: { code: known ? err.code : 'INTERNAL', message: known ? err.message : `unexpected error: ${(err as Error)?.stack ?? String(err)}`, usage: known && err.usage } })
          }
          socket.end()
        } finally {
          this.waiting--
        }
      })
    }, () => socket.destroy(), MAX_REQUEST_BYTES))
  }

  // Stops taking commands and waits for the one running (its client is told the process is stopping).
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    const closing = new Promise<void>(resolve => this.server.close(() => resolve()))
    await this.queue
    for (const s of this.sockets) s.destroy()
    await closing
    try { fs.unlinkSync(this.path) } catch {}
  }
}
