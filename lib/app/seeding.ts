// The app's seeder screen: the files this peer holds and serves, and the FileSeeder of `p2print seed` run inside
// the app while it is switched on.
import b4a from 'b4a'
import type { P2Print } from '../service/p2print.js'
import { FileSeeder, SEED_DEFAULTS, seedStatePath } from '../files/seeder.js'
import { roleOf } from '../job/state.js'
import { jobIdString } from '../ids.js'
import type { FileRef } from '../schema.js'
import type { HeldInfo, SeederInfo } from './types.js'

export class AppSeeding {
  private run: { seeder: FileSeeder, events: string[] } | null = null

  // ownServed: bytes of this peer's own files fetched by peers (counted by the session); changed: the screens' redraw
  constructor (private readonly p2: P2Print, private readonly ownServed: () => number, private readonly changed: () => void) {}

  async info (): Promise<SeederInfo> {
    {
      const s = this.p2
      const me = s.market.writerKey
      const own = (await s.market.files.own()).key
      const held: HeldInfo[] = []
      const seen = new Set<string>()
      const add = (ref: FileRef, h: Omit<HeldInfo, 'name'>): void => {
        const k = b4a.toString(ref.drive, 'hex') + ref.path
        if (seen.has(k)) return
        seen.add(k)
        held.push({ ...h, name: ref.name })
      }
      // this peer's own models (its drive), and the models of jobs it prints that it downloaded
      for (const v of await s.market.jobs({ mine: me, limit: 500 })) {
        const ref = v.job.file
        if (ref === null) continue
        if (b4a.equals(ref.drive, own)) add(ref, { job: jobIdString(v.job.id), bytes: ref.byteLength, complete: true, source: 'yours' })
        else if (roleOf(v.job, me) === 'printer') {
          const l = await s.market.files.local(ref)
          if (l.bytes > 0) add(ref, { job: jobIdString(v.job.id), bytes: l.bytes, complete: l.complete, source: 'downloaded' })
        }
      }
      const run = this.run
      for (const f of run?.seeder.held() ?? []) {
        if (!held.some(h => h.job === f.job && h.name === f.name)) held.push({ job: f.job, name: f.name, bytes: f.bytes, complete: true, source: 'mirrored' })
      }
      return {
        running: run !== null,
        peers: s.market.connections,
        quotaBytes: SEED_DEFAULTS.quotaBytes,
        keepClosedDays: SEED_DEFAULTS.keepClosedMs / 86_400_000,
        held,
        bytesHeld: held.reduce((n, h) => n + h.bytes, 0),
        bytesServed: this.ownServed() + (run?.seeder.bytesServed ?? 0),
        events: run?.events.slice(-6) ?? []
      }
    }
  }

  // Runs the FileSeeder of `p2print seed` (its default quota and retention) in this session while the app runs.
  async set (on: boolean): Promise<SeederInfo> {
    const s = this.p2
    if (on && this.run === null) {
      const events: string[] = []
      const seeder = new FileSeeder(s.market, {
        ...SEED_DEFAULTS,
        stallMs: Math.max(this.p2.opts.syncTimeoutMs, 5000),
        countOwnUploads: false, // counted by the session itself (ownServed)
        statePath: seedStatePath(s.peer.dir, s.market.key),
        emit: (tag, d) => {
          events.push(seederEvent(tag, d))
          if (events.length > 50) events.shift()
          this.changed()
        }
      })
      this.run = { seeder, events }
      try {
        await seeder.start()
      } catch (err) {
        this.run = null
        throw err
      }
    } else if (!on && this.run !== null) {
      const run = this.run
      this.run = null
      await run.seeder.stop()
    }
    return await this.info()
  }

  async stop (): Promise<void> {
    const run = this.run
    this.run = null
    if (run !== null) await run.seeder.stop().catch(() => {})
  }
}

function seederEvent (tag: string, d: Record<string, unknown>): string {
  const job = typeof d.job === 'string' ? ` (job ${d.job.slice(0, 8)})` : ''
  switch (tag) {
    case 'file-mirrored': return `holding ${String(d.name)}${job}: ${String(d.bytes)} bytes`
    case 'file-skipped': return `not held: ${String(d.name)}${job}: ${String(d.reason)}`
    case 'file-unavailable': return `waiting for ${String(d.name)}${job}: ${String(d.message)}`
    case 'file-released': return `freed ${String(d.name)}${job}: the job is ${String(d.status)}`
    case 'warning': return `warning: ${String(d.message)}`
    default: return tag
  }
}
