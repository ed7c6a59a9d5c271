// Model payloads in Hyperdrives. Each peer has its own drive in the market's namespace; a job's file reference
// names the client's drive, a path, the size and the sha256, and anyone fetches it from whichever peers have it.
// Blocks land in the local Corestore as they arrive, so a fetch that is cut off resumes where it stopped.
import { createHash } from '#crypto'
import Hyperdrive from 'hyperdrive'
import type Corestore from 'corestore'
import b4a from 'b4a'
import { discoveryKey } from 'hypercore-crypto'
import type { FileRef, FileSummary } from '../schema.js'
import { CLOSED, FILE_MISMATCH, FILE_TOO_LARGE, FILE_UNAVAILABLE } from '../errors.js'

// What a fetch needs of a reference: a job's FileRef, or a chat photo's (lib/chat).
export type BlobRef = Pick<FileRef, 'drive' | 'path' | 'name' | 'byteLength' | 'sha256'>

export interface FetchProgress {
  bytes: number // stored locally so far
  total: number
  downloaded: number // fetched during this call
}

export class ModelDrives {
  private readonly store: Corestore
  private ownDrive: Hyperdrive | null = null
  private readonly remotes = new Map<string, Promise<Hyperdrive>>()
  private closed = false

  constructor (store: Corestore) {
    this.store = store
  }

  async own (): Promise<Hyperdrive> {
    if (this.ownDrive === null) {
      this.ownDrive = new Hyperdrive(this.store.namespace('p2print/drive'))
    }
    await this.ownDrive.ready()
    return this.ownDrive
  }

  async drive (key: Uint8Array): Promise<Hyperdrive> {
    const own = await this.own()
    if (b4a.equals(own.key, key)) return own
    const hex = b4a.toString(key, 'hex')
    let p = this.remotes.get(hex)
    if (p === undefined) {
      const d = new Hyperdrive(this.store.namespace('p2print/remote'), key)
      p = d.ready().then(() => d)
      this.remotes.set(hex, p)
    }
    return p
  }

  // Puts a model into this peer's drive under its content hash; the same bytes are stored once.
  async attach (bytes: Uint8Array, name: string, summary: FileSummary): Promise<FileRef> {
    const sha256 = createHash('sha256').update(bytes).digest()
    const path = `/models/${b4a.toString(sha256, 'hex')}/${name}`
    const drive = await this.own()
    const existing = await drive.entry(path)
    if (existing === null || existing.value.blob?.byteLength !== bytes.byteLength) await drive.put(path, bytes)
    return { drive: drive.key, path, name, byteLength: bytes.byteLength, sha256, summary }
  }

  // How many connected peers hold the whole file (its drive entry and every block of its content).
  async holders (ref: BlobRef): Promise<number> {
    const drive = await this.drive(ref.drive)
    const entry = await drive.entry(ref.path)
    if (entry === null || entry.value.blob === null) return 0
    const blobs = await drive.getBlobs()
    const end = entry.value.blob.blockOffset + entry.value.blob.blockLength
    const dbLength = drive.core.length
    let n = 0
    for (const peer of blobs.core.peers) {
      if (peer.remoteContiguousLength < end) continue
      const dbPeer = drive.core.peers.find(p => b4a.equals(p.remotePublicKey, peer.remotePublicKey))
      if (dbPeer !== undefined && dbPeer.remoteContiguousLength >= dbLength) n++
    }
    return n
  }

  // Waits until a connected peer holds the whole file, as long as some peer keeps fetching it: gives up when no
  // peer has received a block for `stallMs`.
  // Waits until a peer holds the whole file; gives up when no peer has taken a block for `stallMs`. onProgress gets
  // how far the furthest peer has come (bytes, estimated from the blocks it holds of this file), about 10 times a
  // second.
  async waitHeld (ref: BlobRef, stallMs: number, onProgress?: (p: { bytes: number, total: number, rate: number, etaSecs: number | null }) => void): Promise<boolean> {
    const drive = await this.drive(ref.drive)
    const blobs = await drive.getBlobs()
    const entry = await drive.entry(ref.path, { wait: false })
    const blob = entry?.value.blob ?? null
    const started = Date.now()
    let best = -1
    let last = Date.now()
    while (!this.closed) {
      const held = await this.holders(ref) > 0
      const now = Math.max(0, ...blobs.core.peers.map(p => p.remoteContiguousLength))
      if (onProgress !== undefined && blob !== null) {
        const blocks = held ? blob.blockLength : Math.min(blob.blockLength, Math.max(0, now - blob.blockOffset))
        const bytes = blob.blockLength === 0 ? blob.byteLength : Math.floor(blob.byteLength * blocks / blob.blockLength)
        const rate = bytes / Math.max(0.001, (Date.now() - started) / 1000)
        onProgress({ bytes, total: blob.byteLength, rate, etaSecs: rate > 0 ? (blob.byteLength - bytes) / rate : null })
      }
      if (held) return true
      if (now > best) {
        best = now
        last = Date.now()
      } else if (Date.now() - last > stallMs) {
        return false
      }
      await sleep(100)
    }
    return false
  }

  // Stored bytes of the file here, and whether all of it is.
  async local (ref: BlobRef): Promise<{ bytes: number, complete: boolean }> {
    const drive = await this.drive(ref.drive)
    const entry = await drive.entry(ref.path, { wait: false })
    if (entry === null || entry.value.blob === null) return { bytes: 0, complete: false }
    const blobs = await drive.getBlobs()
    const { blockOffset, blockLength, byteLength } = entry.value.blob
    const have = await countBlocks(blobs.core, blockOffset, blockOffset + blockLength)
    return { bytes: Math.min(byteLength, Math.round(byteLength * have / Math.max(1, blockLength))), complete: have === blockLength }
  }

  // Fetches the file from any peer that has it. The declared size is checked against the limit before anything
  // is downloaded and against the drive entry before the content; the sha256 after. Gives up when no block has
  // arrived for `stallMs`.
  async fetch (ref: BlobRef, opts: { maxBytes: number, stallMs: number, onProgress?: (p: FetchProgress) => void }): Promise<Uint8Array> {
    if (ref.byteLength > opts.maxBytes) throw FILE_TOO_LARGE(ref.name, ref.byteLength, opts.maxBytes)
    const drive = await this.drive(ref.drive)
    let entry = await drive.entry(ref.path, { wait: false }).catch(() => null)
    if (entry === null) {
      // an empty or stale copy of a remote drive: learn its length from peers first
      const deadline = Date.now() + opts.stallMs
      while (entry === null && Date.now() < deadline && !this.closed) {
        await Promise.race([drive.update({ wait: true }).catch(() => false), sleep(250)])
        entry = await drive.entry(ref.path, { wait: true, timeout: Math.max(1, deadline - Date.now()) }).catch(() => null)
        if (entry === null) await sleep(100)
      }
    }
    if (entry === null || entry.value.blob === null) throw FILE_UNAVAILABLE(ref.name, 0, ref.byteLength)
    const blob = entry.value.blob
    if (blob.byteLength !== ref.byteLength) throw FILE_MISMATCH(ref.name, `the drive holds ${blob.byteLength} bytes where the job declares ${ref.byteLength}`)

    const blobs = await drive.getBlobs()
    const core = blobs.core
    const start = blob.blockOffset
    const end = blob.blockOffset + blob.blockLength
    let have = await countBlocks(core, start, end)
    let downloaded = 0
    const report = (): void => opts.onProgress?.({ bytes: Math.min(ref.byteLength, Math.round(ref.byteLength * have / Math.max(1, blob.blockLength))), total: ref.byteLength, downloaded })
    report()
    if (have < blob.blockLength) {
      let last = Date.now()
      const ondownload = (index: number, byteLength: number): void => {
        if (index < start || index >= end) return
        have++
        downloaded += byteLength
        last = Date.now()
        report()
      }
      core.on('download', ondownload)
      const dl = core.download({ start, end })
      try {
        let finished = false
        const whenDone = dl.done().then(() => { finished = true })
        whenDone.catch(() => {})
        while (!finished) {
          await Promise.race([whenDone, sleep(200)])
          if (finished) break
          if (this.closed) throw CLOSED()
          if (Date.now() - last > opts.stallMs) throw FILE_UNAVAILABLE(ref.name, Math.round(ref.byteLength * have / blob.blockLength), ref.byteLength)
        }
      } finally {
        core.off('download', ondownload)
        dl.destroy()
      }
      have = await countBlocks(core, start, end)
      report()
    }

    const bytes = await drive.get(ref.path, { wait: false })
    if (bytes === null || bytes.byteLength !== ref.byteLength) throw FILE_MISMATCH(ref.name, 'the stored content is incomplete')
    const sha = createHash('sha256').update(bytes).digest()
    if (!b4a.equals(sha, ref.sha256)) throw FILE_MISMATCH(ref.name, `its sha256 is ${b4a.toString(sha, 'hex')}, not the ${b4a.toString(ref.sha256, 'hex')} the job declares`)
    return bytes
  }

  // Downloads a file's entry and content into local storage and keeps its drive open, so this peer serves it.
  async mirror (ref: BlobRef, stallMs: number): Promise<void> {
    await this.fetch(ref, { maxBytes: Number.MAX_SAFE_INTEGER, stallMs })
  }

  // Frees the content blocks of a file this peer mirrored (never the peer's own files).
  async release (ref: BlobRef): Promise<number> {
    // a drive never opened here holds nothing here: not opening it keeps a seeder that starts among many closed
    // jobs from opening every client's drive
    if (!this.remotes.has(b4a.toString(ref.drive, 'hex')) && !(await this.store.storage.hasCore(discoveryKey(ref.drive)))) return 0
    const drive = await this.drive(ref.drive)
    if (drive.writable) return 0
    const entry = await drive.entry(ref.path, { wait: false })
    if (entry === null || entry.value.blob === null) return 0
    const blobs = await drive.getBlobs()
    await blobs.core.clear(entry.value.blob.blockOffset, entry.value.blob.blockOffset + entry.value.blob.blockLength)
    return entry.value.blob.byteLength
  }

  async close (): Promise<void> {
    this.closed = true
    const drives = await Promise.allSettled([...this.remotes.values()])
    for (const d of drives) if (d.status === 'fulfilled') await d.value.close()
    if (this.ownDrive !== null) await this.ownDrive.close()
  }
}

async function countBlocks (core: { has(start: number, end?: number): Promise<boolean> }, start: number, end: number): Promise<number> {
  let n = 0
  for (let i = start; i < end; i++) if (await core.has(i)) n++
  return n
}

function sleep (ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}
