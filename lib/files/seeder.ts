// The file side of `p2print seed`: mirrors the payloads of jobs that are still in play so they stay available when
// their client is offline, within a storage quota, and frees those of closed jobs after a retention period.
// It follows the view's changes (lib/market/changes.ts), not the whole job list: an update costs what it changed.
// At start it reads only the jobs still in play, through the status index, and the files it held when it last ran
// (`statePath`): a seeder that starts on a market of 100 000 closed jobs does not read them.
// In memory: how many live jobs use each file, the files it wants and has not got (over the quota, or their drive
// unreachable: tried again with a back-off), and the files of closed jobs waiting out the retention period.
import fs from '#fs'
import path from '#path'
import b4a from 'b4a'
import type Hyperdrive from 'hyperdrive'
import type { Market } from '../market/market.js'
import type { BlobRef } from './drive.js'
import z32 from 'z32'
import { JOB_ID_BYTES, type JobRecord, type Status } from '../schema.js'
import { jobIdString } from '../ids.js'
import { messagePhotoRefs } from '../chat/seed.js'
import { decodeMessage, jobMessagesRange, MESSAGE_RANGE } from '../chat/view.js'
import { ViewChanges, type ViewChange } from '../market/changes.js'
import { decodeJob, getJob, jobsWithStatus, JOB_RANGE } from '../market/view.js'
import { writeFileAtomic } from '../escrow/wallet.js'

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
  // where the seeder keeps the list of files it mirrored, so that a restart frees those whose jobs closed while it
  // was away without reading every job (none: such copies stay until a later run sees their jobs close)
  statePath?: string
}

// The state file of the seeder of a market in a peer's storage directory.
export function seedStatePath (dir: string, marketKey: Uint8Array): string {
  return path.join(dir, `seeding-${b4a.toString(marketKey, 'hex')}.json`)
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
  private readonly mirrored = new Map<string, { job: string, ref: BlobRef }>() // file key → what is held
  private readonly watched = new Map<string, () => void>() // drive key → stops counting its uploads
  private readonly liveUses = new Map<string, number>() // file key → live jobs that use it
  private readonly wanted = new Map<string, Wanted>() // live files not held yet, in the order they came
  private readonly closing = new Map<string, Closing>() // files of closed jobs, freed once kept long enough
  private readonly skipped = new Set<string>() // over the quota: said once
  private changes: ViewChanges | null = null
  private ownKey: Uint8Array | null = null
  private served = 0
  private scanning: Promise<void> | null = null
  private again = false
  private next: Promise<void> | null = null // the pass an update during a pass asked for, 500 ms later
  private stopped = false
  private cold = true // the jobs in play not read yet
  private saving: Promise<void> = Promise.resolve()
  private saveQueued = false // a write of the state file is waiting: it will write the latest list
  private timer: NodeJS.Timeout | null = null
  private readonly onUpdate = (): void => { this.schedule() }

  constructor (market: Market, opts: SeederOptions) {
    this.market = market
    this.opts = opts
  }

  get bytes (): number {
    let n = 0
    for (const f of this.mirrored.values()) n += f.ref.byteLength
    return n
  }

  // Bytes peers fetched since start from this peer's own drive and the drives it mirrors.
  get bytesServed (): number { return this.served }

  // The files mirrored now (not this peer's own), newest last.
  held (): HeldFile[] { return [...this.mirrored.values()].map(({ job, ref }) => ({ job, name: ref.name, bytes: ref.byteLength })) }

  async start (): Promise<void> {
    const own = await this.market.files.own() // serve this peer's own files (ready once own() resolves)
    this.ownKey = own.key
    if (this.opts.countOwnUploads !== false) await this.watch(own)
    // no change is read until the jobs in play are (`startAt`); a truncation meanwhile still counts
    this.changes = new ViewChanges(this.market.view, Infinity)
    await this.loadState()
    this.market.on('update', this.onUpdate)
    // retries and the end of retention periods come with time, not with updates
    this.timer = setInterval(() => { if (this.wanted.size > 0 || this.closing.size > 0) this.schedule() }, RECHECK_MS)
    this.timer.unref()
    this.schedule()
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.market.off('update', this.onUpdate)
    if (this.timer !== null) clearInterval(this.timer)
    if (this.scanning !== null) await this.scanning.catch(() => {})
    await this.saving
    this.changes?.close()
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

  // One pass at a time; updates during a pass ask for one more.
  private schedule (): void {
    if (this.stopped) return
    if (this.scanning !== null) {
      this.again = true
      return
    }
    this.scanning = this.pass().catch((err: Error) => {
      if (!this.stopped) this.opts.emit('warning', { message: `file seeding: ${err.message}` })
    }).finally(() => {
      this.scanning = null
      if (this.again && !this.stopped) {
        this.again = false
        this.next = new Promise(resolve => setTimeout(resolve, 500)).then(() => { this.next = null; this.schedule() })
      }
    })
  }

  // Resolves once no pass runs or waits to run: every update seen so far is handled (tests and benches).
  async idle (): Promise<void> {
    while (this.scanning !== null || this.next !== null) await (this.scanning ?? this.next)
  }

  private async pass (): Promise<void> {
    const changes = this.changes
    if (changes === null) return
    if (this.cold) await this.readInPlay(changes)
    if (this.cold) return
    await changes.read([JOB_RANGE, MESSAGE_RANGE], c => this.onChange(c), () => this.stopped)
    await this.releaseClosed()
    await this.mirrorWanted()
  }

  // The first pass: the jobs in play and their chat messages, from one snapshot, through the status index; changes
  // are read from that snapshot's version on.
  private async readInPlay (changes: ViewChanges): Promise<void> {
    const snap = this.market.view.snapshot()
    try {
      await snap.ready()
      for (const status of LIVE) {
        for await (const job of jobsWithStatus(snap, status)) {
          if (this.stopped) return
          this.onJob(null, job)
          for await (const e of snap.createReadStream(jobMessagesRange(job.id))) await this.onMessage(e.key, e.value)
        }
      }
      changes.startAt(snap.version)
      this.cold = false
    } finally {
      await snap.close()
    }
  }

  // The files mirrored in an earlier run: held again, and freed once their job has closed and been kept long enough.
  private async loadState (): Promise<void> {
    const file = this.opts.statePath
    if (file === undefined) return
    let saved: unknown[] = []
    try {
      const parsed = JSON.parse(await fs.promises.readFile(file, 'utf8'))
      if (Array.isArray(parsed?.files)) saved = parsed.files
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.opts.emit('warning', { message: `file seeding: ${file} unreadable (${(err as Error).message}); files mirrored before are kept until their jobs change` })
      return
    }
    for (const f of saved) {
      const held = savedFile(f)
      if (held === null) continue
      const { job: id, ref } = held
      const k = fileKey(ref)
      this.mirrored.set(k, held)
      const job = await getJob(this.market.view, z32.decode(id))
      if (job === null || !LIVE.includes(job.status)) this.closing.set(k, { job: id, ref, closedAt: job?.updatedAt ?? 0, status: job?.status ?? 'cancelled' })
    }
  }

  private saveState (): void {
    const file = this.opts.statePath
    if (file === undefined) return
    if (this.saveQueued) return
    this.saveQueued = true
    this.saving = this.saving.then(async () => {
      this.saveQueued = false
      const files = [...this.mirrored.values()].map(({ job, ref }) => ({ job, drive: b4a.toString(ref.drive, 'hex'), path: ref.path, name: ref.name, byteLength: ref.byteLength, sha256: b4a.toString(ref.sha256, 'hex') }))
      await writeFileAtomic(file, JSON.stringify({ version: 1, files }) + '\n', 0o600)
    }).catch((err: Error) => {
      this.opts.emit('warning', { message: `file seeding: could not save ${file}: ${err.message}` })
    })
  }

  private async onChange (c: ViewChange): Promise<void> {
    if (c.key[0] === JOB_RANGE.gte[0]) this.onJob(c.old === null ? null : decodeJob(c.old), c.value === null ? null : decodeJob(c.value))
    else if (c.value !== null && c.old === null) await this.onMessage(c.key, c.value)
  }

  // A job record changed: count the live jobs of each file, want the files of live jobs, let go of closed ones.
  private onJob (before: JobRecord | null, after: JobRecord | null): void {
    const was = before !== null && before.file !== null && LIVE.includes(before.status) ? fileKey(before.file) : null
    const is = after !== null && after.file !== null && LIVE.includes(after.status) ? fileKey(after.file) : null
    if (was !== is) {
      if (was !== null) this.liveUses.set(was, (this.liveUses.get(was) ?? 1) - 1)
      if (is !== null) this.liveUses.set(is, (this.liveUses.get(is) ?? 0) + 1)
    }
    if (is !== null && after !== null) {
      this.closing.delete(is)
      this.want(is, after)
    }
    // a file is let go of once no live job uses it: a closed job's (seen closed at start too: a copy from an earlier
    // run is freed), or the one an edit replaced
    if (after === null) return
    const ended: Array<{ k: string, ref: BlobRef }> = []
    if (after.file !== null && is === null) ended.push({ k: fileKey(after.file), ref: after.file })
    if (was !== null && was !== is && before?.file != null && ended.every(e => e.k !== was)) ended.push({ k: was, ref: before.file })
    for (const { k, ref } of ended) {
      if ((this.liveUses.get(k) ?? 0) > 0) continue
      this.liveUses.delete(k)
      this.wanted.delete(k)
      if (!this.isOwn(ref)) this.closing.set(k, { job: jobIdString(after.id), ref, closedAt: after.updatedAt, status: after.status })
    }
  }

  private want (k: string, job: JobRecord): void {
    if (job.file === null || this.mirrored.has(k) || this.wanted.has(k) || this.isOwn(job.file)) return
    this.wanted.set(k, { job: jobIdString(job.id), ref: job.file, chat: false, tries: 0, nextTry: 0 })
  }

  // A new chat message with photos, in a live job: its ciphertext is wanted like a model (never freed: a chat's
  // photos are small and stay readable after the job closes).
  private async onMessage (key: Uint8Array, value: Uint8Array): Promise<void> {
    const m = decodeMessage(key, value)
    const refs = messagePhotoRefs(m.jobId, m)
    if (refs.length === 0) return
    const job = await getJob(this.market.view, m.jobId)
    if (job === null || job.printer === null || !LIVE.includes(job.status)) return
    for (const ref of refs) {
      const k = fileKey(ref)
      if (this.mirrored.has(k) || this.wanted.has(k) || this.isOwn(ref)) continue
      this.wanted.set(k, { job: jobIdString(job.id), ref, chat: true, tries: 0, nextTry: 0 })
    }
  }

  private async releaseClosed (): Promise<void> {
    const now = (this.opts.now ?? Date.now)()
    for (const [k, c] of this.closing) {
      if (this.stopped) return
      if (now - c.closedAt < this.opts.keepClosedMs) continue
      this.closing.delete(k)
      if ((this.liveUses.get(k) ?? 0) > 0 || this.isOwn(c.ref)) continue
      const freed = await this.market.files.release(c.ref)
      const had = this.mirrored.delete(k)
      if (had) this.saveState()
      if (had || freed > 0) this.opts.emit('file-released', { job: c.job, name: c.ref.name, bytes: freed, status: c.status })
    }
  }

  private async mirrorWanted (): Promise<void> {
    const now = Date.now()
    for (const [k, w] of this.wanted) {
      if (this.stopped) return
      if (w.nextTry > now) continue
      if (this.bytes + w.ref.byteLength > this.opts.quotaBytes) {
        if (!w.chat && !this.skipped.has(k)) this.opts.emit('file-skipped', { job: w.job, name: w.ref.name, bytes: w.ref.byteLength, reason: `over the storage quota (${this.bytes} of ${this.opts.quotaBytes} bytes used)` })
        this.skipped.add(k)
        continue // stays wanted: space may be freed
      }
      const t0 = Date.now()
      try {
        await this.market.files.mirror(w.ref, this.opts.stallMs)
        this.wanted.delete(k)
        this.skipped.delete(k)
        this.mirrored.set(k, { job: w.job, ref: w.ref })
        this.saveState()
        await this.watch(await this.market.files.drive(w.ref.drive))
        this.opts.emit('file-mirrored', { job: w.job, name: w.ref.name, bytes: w.ref.byteLength, ms: Date.now() - t0, totalBytes: this.bytes })
      } catch (err) {
        w.tries++
        w.nextTry = Date.now() + Math.min(MAX_RETRY_MS, RECHECK_MS * 2 ** (w.tries - 1))
        this.opts.emit('file-unavailable', { job: w.job, name: w.ref.name, message: (err as Error).message })
      }
    }
  }

  private isOwn (ref: BlobRef): boolean {
    return this.ownKey !== null && b4a.equals(ref.drive, this.ownKey)
  }
}

interface Wanted { job: string, ref: BlobRef, chat: boolean, tries: number, nextTry: number }
interface Closing { job: string, ref: BlobRef, closedAt: number, status: Status }

const RECHECK_MS = 30_000 // a file that could not be fetched is tried again after this, doubling up to MAX_RETRY_MS
const MAX_RETRY_MS = 10 * 60_000

// One entry of the state file, checked field by field (the file is this peer's own, but may be cut short or edited).
function savedFile (f: unknown): { job: string, ref: BlobRef } | null {
  const o = f as Record<string, unknown> | null
  if (o === null || typeof o !== 'object') return null
  const { job, drive, path, name, byteLength, sha256 } = o
  if (typeof job !== 'string' || typeof drive !== 'string' || typeof path !== 'string' || typeof name !== 'string' || typeof sha256 !== 'string') return null
  if (!/^[0-9a-f]{64}$/.test(drive) || !/^[0-9a-f]{64}$/.test(sha256) || !Number.isSafeInteger(byteLength) || (byteLength as number) < 0) return null
  try { if (z32.decode(job).byteLength !== JOB_ID_BYTES) return null } catch { return null }
  return { job, ref: { drive: b4a.from(drive, 'hex'), path, name, byteLength: byteLength as number, sha256: b4a.from(sha256, 'hex') } }
}

function fileKey (ref: BlobRef): string {
  return b4a.toString(ref.drive, 'hex') + ref.path
}
