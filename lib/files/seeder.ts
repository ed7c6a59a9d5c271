// The file side of `p2print seed`: mirrors the payloads of jobs that are still in play so they stay available when
// their client is offline, within a storage quota, and frees those of closed jobs after a retention period.
import b4a from 'b4a'
import type Hyperdrive from 'hyperdrive'
import type { Market } from '../market/market.js'
import type { FileRef, JobRecord, Status } from '../schema.js'
import { jobIdString } from '../ids.js'
import { chatPhotoRefs } from '../chat/seed.js'

export interface SeedFlags {
  quotaBytes: number
  keepClosedMs: number
}

// `seed` without --quota / --keep-closed (index.ts spells the same numbers in MB and days), and the app's seeder
export const SEED_DEFAULTS: SeedFlags = { quotaBytes: 10_240 * 1024 * 1024, keepClosedMs: 7 * 86_400_000 }

const LIVE: readonly Status[] = ['open', 'accepted', 'active', 'shipped', 'disputed']

export interface SeederOptions {
  quotaBytes: number
  keepClosedMs: number
  stallMs: number
  countOwnUploads?: boolean // bytesServed counts this peer's own drive too (default); off when the caller counts it
  emit: (tag: string, data: Record<string, unknown>) => void
  now?: () => number
}

export interface HeldFile { job: string, name: string, bytes: number }

// Counts the content bytes peers fetch from a drive (hypercore 'upload' events on its blob core) until the
// returned function is called.
export async function countServed (drive: Hyperdrive, onBytes: (n: number) => void): Promise<() => void> {
  const core = (await drive.getBlobs()).core
  const onUpload = (_index: number, byteLength: number): void => onBytes(byteLength)
  core.on('upload', onUpload)
  return () => { core.off('upload', onUpload) }
}

export class FileSeeder {
  private readonly market: Market
  private readonly opts: SeederOptions
  private readonly mirrored = new Map<string, HeldFile>() // file key → what is held
  private readonly watched = new Map<string, () => void>() // drive key → stops counting its uploads
  private served = 0
  private readonly skipped = new Set<string>()
  private scanning: Promise<void> | null = null
  private again = false
  private stopped = false
  private readonly onUpdate = (): void => { this.schedule() }

  constructor (market: Market, opts: SeederOptions) {
    this.market = market
    this.opts = opts
  }

  get bytes (): number {
    let n = 0
    for (const f of this.mirrored.values()) n += f.bytes
    return n
  }

  // Bytes peers fetched since start from this peer's own drive and the drives it mirrors.
  get bytesServed (): number { return this.served }

  // The files mirrored now (not this peer's own), newest last.
  held (): HeldFile[] { return [...this.mirrored.values()] }

  async start (): Promise<void> {
    const own = await this.market.files.own() // serve this peer's own files
    if (this.opts.countOwnUploads !== false) await this.watch(own)
    this.market.on('update', this.onUpdate)
    this.schedule()
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.market.off('update', this.onUpdate)
    if (this.scanning !== null) await this.scanning.catch(() => {})
    for (const off of this.watched.values()) off()
    this.watched.clear()
  }

  private async watch (drive: Hyperdrive): Promise<void> {
    const k = b4a.toString(drive.key, 'hex')
    if (this.watched.has(k) || this.stopped) return
    this.watched.set(k, () => {}) // taken while the blob core opens
    const off = await countServed(drive, n => { this.served += n })
    if (this.stopped) off()
    else this.watched.set(k, off)
  }

  // One scan at a time; updates during a scan ask for one more.
  private schedule (): void {
    if (this.stopped) return
    if (this.scanning !== null) {
      this.again = true
      return
    }
    this.scanning = this.scan().catch((err: Error) => {
      if (!this.stopped) this.opts.emit('warning', { message: `file seeding: ${err.message}` })
    }).finally(() => {
      this.scanning = null
      if (this.again && !this.stopped) {
        this.again = false
        setTimeout(() => this.schedule(), 500)
      }
    })
  }

  // Resolves once every live job's file is mirrored (or skipped); for tests and for `seed --once` style use.
  async idle (): Promise<void> {
    while (this.scanning !== null) await this.scanning
  }

  private async scan (): Promise<void> {
    const now = (this.opts.now ?? Date.now)()
    const jobs: JobRecord[] = []
    for await (const job of this.market.allJobs()) if (job.file !== null) jobs.push(job)
    // a file can back several jobs (the same model posted twice): keep it while any of them is live
    const live = new Set(jobs.filter(j => LIVE.includes(j.status)).map(j => fileKey(j.file as FileRef)))
    for (const job of jobs) {
      if (this.stopped) return
      const ref = job.file as FileRef
      const k = fileKey(ref)
      const own = b4a.equals(ref.drive, (await this.market.files.own()).key)
      if (own) continue
      if (LIVE.includes(job.status)) {
        if (this.mirrored.has(k)) continue
        if (this.bytes + ref.byteLength > this.opts.quotaBytes) {
          if (!this.skipped.has(k)) this.opts.emit('file-skipped', { job: jobIdString(job.id), name: ref.name, bytes: ref.byteLength, reason: `over the storage quota (${this.bytes} of ${this.opts.quotaBytes} bytes used)` })
          this.skipped.add(k)
          continue
        }
        const t0 = Date.now()
        try {
          await this.market.files.mirror(ref, this.opts.stallMs)
          this.mirrored.set(k, { job: jobIdString(job.id), name: ref.name, bytes: ref.byteLength })
          this.skipped.delete(k)
          await this.watch(await this.market.files.drive(ref.drive))
          this.opts.emit('file-mirrored', { job: jobIdString(job.id), name: ref.name, bytes: ref.byteLength, ms: Date.now() - t0, totalBytes: this.bytes })
        } catch (err) {
          this.opts.emit('file-unavailable', { job: jobIdString(job.id), name: ref.name, message: (err as Error).message })
        }
      } else if (!live.has(k) && (this.mirrored.has(k) || !this.skipped.has(k))) {
        if (now - job.updatedAt < this.opts.keepClosedMs) continue
        const freed = await this.market.files.release(ref)
        const had = this.mirrored.delete(k)
        this.skipped.add(k) // never fetch a closed job's file again
        if (had || freed > 0) this.opts.emit('file-released', { job: jobIdString(job.id), name: ref.name, bytes: freed, status: job.status })
      }
    }
    await this.mirrorChatPhotos()
  }

  // The encrypted chat photos of live jobs (lib/chat/seed.ts), within the same quota. Ciphertext only.
  private async mirrorChatPhotos (): Promise<void> {
    const own = (await this.market.files.own()).key
    for (const { job, ref } of await chatPhotoRefs(this.market, LIVE)) {
      if (this.stopped) return
      const k = b4a.toString(ref.drive, 'hex') + ref.path
      if (this.mirrored.has(k) || this.skipped.has(k) || b4a.equals(ref.drive, own)) continue
      if (this.bytes + ref.byteLength > this.opts.quotaBytes) continue
      const t0 = Date.now()
      try {
        await this.market.files.mirror(ref, this.opts.stallMs)
        this.mirrored.set(k, { job, name: ref.name, bytes: ref.byteLength })
        await this.watch(await this.market.files.drive(ref.drive))
        this.opts.emit('file-mirrored', { job, name: ref.name, bytes: ref.byteLength, ms: Date.now() - t0, totalBytes: this.bytes })
      } catch (err) {
        this.opts.emit('file-unavailable', { job, name: ref.name, message: (err as Error).message })
      }
    }
  }
}

function fileKey (ref: FileRef): string {
  return b4a.toString(ref.drive, 'hex') + ref.path
}
