// P2Print: the one object between the core (lib/market, lib/escrow, lib/files, lib/chat) and its two front ends
// (the command line in lib/commands, the terminal UI over lib/app.ts). It owns the storage (Peer), the current
// Market and, in a market with escrow when a Bitcoin backend is given, the escrow engine. Its methods take domain
// values and return domain objects; what happens on the way is emitted as {tag, data} 'event's, which the CLI
// prints (or --json) and the UI shows. Job work is in ./jobs.ts, one function per method.
import ReadyResource from 'ready-resource'
import { Peer } from '../peer.js'
import type { Market, JobView } from '../market/market.js'
import { openEscrow, ESCROW_NEEDS_BACKEND, type ChainOptions, type EscrowSession } from './chain.js'
import { resolveJob } from './resolve.js'
import * as jobs from './jobs.js'
import type { StepReport } from '../escrow/engine.js'
import { getSettings } from '../market/view.js'
import { NO_MARKET } from '../errors.js'
import type { JobRecord, JobFields, JobPatch } from '../schema.js'
import type { JobQuery } from '../market/view.js'
import type { LoadedModel } from './model.js'

export interface Bootstrap { host: string, port: number }

export interface P2PrintOptions extends ChainOptions {
  storage: string
  bootstrap: Bootstrap[] | null
  marketKey: Uint8Array | null // --market: act on this market instead of the current one
  syncTimeoutMs: number
  network?: boolean // false: the storage only (no swarm)
}

// What a front end may be told while a method runs. The text renderer (ui/text.ts) has a line for each.
export type EventTag =
  | 'connecting' | 'synced' | 'offline' | 'sharing' | 'shared' | 'stored-locally'
  | 'job-created' | 'job-changed' | 'model-analysed' | 'sharing-file' | 'upload-progress' | 'file-shared' | 'file-stored-locally'
  | 'wallet-created' | 'escrow-offline' | 'escrow-step' | 'escrow-error' | 'payout-broadcast' | 'cancel-signed'

export interface P2PrintEvent { tag: EventTag, data: Record<string, unknown> }

export type JobChange = { view: JobView, shared: boolean }

export class P2Print extends ReadyResource {
  readonly opts: P2PrintOptions
  readonly peer: Peer
  escrow: EscrowSession | null = null
  peers = 0 // peers connected at the last catch-up
  private current: Market | null = null
  private escrowOpening: Promise<EscrowSession | null> | null = null
  private stepping: Promise<StepReport[]> | null = null
  private unwatch: (() => Promise<void>) | null = null

  constructor (opts: P2PrintOptions) {
    super()
    this.opts = opts
    this.peer = new Peer(opts.storage, { bootstrap: opts.bootstrap, swarm: opts.network !== false })
    this.peer.on('wallet-created', (file: string) => this.event('wallet-created', { file }))
  }

  protected override async _open (): Promise<void> {
    await this.peer.ready()
  }

  protected override async _close (): Promise<void> {
    if (this.unwatch !== null) await this.unwatch()
    const opening = this.escrowOpening
    if (opening !== null) await opening.catch(() => null)
    if (this.escrow !== null) await this.escrow.conn.backend?.close().catch(() => {})
    await this.peer.close()
  }

  event (tag: EventTag, data: Record<string, unknown> = {}): void {
    this.emit('event', { tag, data } satisfies P2PrintEvent)
  }

  get hasMarket (): boolean { return this.current !== null }

  get market (): Market {
    if (this.current === null) throw NO_MARKET()
    return this.current
  }

  get connections (): number { return this.current?.connections ?? 0 }

  // --- markets ---------------------------------------------------------------------------------------------------

  // The market --market names, else the storage's current one (NO_MARKET when there is none).
  async openMarket (): Promise<Market> {
    this.current = await this.peer.openMarket(this.opts.marketKey)
    return this.current
  }

  async createMarket (name = ''): Promise<Market> {
    this.current = await this.peer.createMarket(name)
    return this.current
  }

  async joinMarket (key: Uint8Array): Promise<Market> {
    this.current = await this.peer.joinMarket(key)
    return this.current
  }

  // Connects and catches up (up to timeoutMs), then runs this peer's due escrow steps. Returns the peers reached.
  async catchUp (timeoutMs = this.opts.syncTimeoutMs): Promise<number> {
    this.event('connecting', { timeoutSecs: timeoutMs / 1000 })
    this.peers = await this.market.sync(timeoutMs)
    this.event(this.peers === 0 ? 'offline' : 'synced', { peers: this.peers })
    return this.peers
  }

  // --- escrow ------------------------------------------------------------------------------------------------------

  // The escrow engine of this market, opened once. null for a market without escrow, or without a backend unless
  // `require` (then ESCROW_NEEDS_BACKEND says which flag is missing).
  async escrowSession (require = false): Promise<EscrowSession | null> {
    if (this.escrow !== null) return this.escrow
    if (this.escrowOpening === null) {
      const market = this.market
      this.escrowOpening = openEscrow(this.opts, this.peer.dir, market, false, (tag, data) => this.event(tag, data)).then(e => {
        this.escrow = e
        return e
      }).finally(() => { this.escrowOpening = null })
    }
    const e = await this.escrowOpening
    if (e === null && require) {
      const { chain } = await getSettings(this.market.view)
      if (chain !== '') throw ESCROW_NEEDS_BACKEND(chain)
    }
    return e
  }

  needEscrow (job: JobRecord): EscrowSession {
    if (this.escrow === null) throw ESCROW_NEEDS_BACKEND(job.escrow === null ? 'its chain' : 'its chain (see `p2print market info`)')
    return this.escrow
  }

  async hasEscrow (): Promise<boolean> {
    return (await getSettings(this.market.view)).chain !== ''
  }

  // This peer's due escrow steps, each reported as an 'escrow-step' event; one run at a time. An error of the run
  // itself is reported as 'escrow-error' (and returned as a report), never thrown: the command or the screen that
  // triggered it goes on.
  async escrowSteps (timeoutMs = 2000): Promise<StepReport[]> {
    if (this.escrow === null) return []
    if (this.stepping !== null) return await this.stepping
    const engine = this.escrow.engine
    this.stepping = (async () => {
      try {
        const reports = await engine.runUntilIdle(timeoutMs)
        for (const r of reports) this.event(r.action === 'error' ? 'escrow-error' : 'escrow-step', { ...r })
        return reports
      } catch (err) {
        const report: StepReport = { jobId: '', action: 'error', detail: (err as Error).message }
        this.event('escrow-error', { ...report })
        return [report]
      }
    })().finally(() => { this.stepping = null })
    return await this.stepping
  }

  // For a long-running peer (the app, `seed`): this peer's escrow steps run on every market update and on every
  // new block (the chain tip is polled every `tipMs`; funding depth and refund lock heights move with blocks),
  // one run at a time, with one more run when something changed during a run.
  watchEscrow (tipMs = 2000): void {
    if (this.unwatch !== null || this.escrow === null) return
    const market = this.market
    const backend = this.escrow.conn.backend
    let running: Promise<void> | null = null
    let again = false
    let stopped = false
    let tip = -1
    const run = (): void => {
      if (stopped || this.closing !== null) return
      if (running !== null) { again = true; return }
      running = (async () => {
        do {
          again = false
          await this.escrowSteps(5000)
        } while (again && !stopped)
      })().finally(() => { running = null })
    }
    const poll = async (): Promise<void> => {
      if (backend === null || stopped) return
      try {
        const h = await backend.tipHeight()
        if (h !== tip) { tip = h; run() }
      } catch {}
    }
    const timer = setInterval(() => { void poll() }, tipMs)
    // a slow backend or a stalled run is caught up at least every 30 s
    const slow = setInterval(run, 30_000)
    market.on('update', run)
    run()
    this.unwatch = async () => {
      stopped = true
      clearInterval(timer)
      clearInterval(slow)
      market.off('update', run)
      if (running !== null) await running
    }
  }

  async unwatchEscrow (): Promise<void> {
    const off = this.unwatch
    this.unwatch = null
    if (off !== null) await off()
  }

  // --- sharing -----------------------------------------------------------------------------------------------------

  // After a write: wait until a connected peer holds what this peer wrote, or say that it stays local for now.
  async share (): Promise<boolean> {
    const market = this.market
    if (market.connections === 0) {
      this.event('stored-locally')
      return false
    }
    this.event('sharing')
    const ok = await market.waitFlushed(this.opts.syncTimeoutMs)
    this.event(ok ? 'shared' : 'stored-locally', { peers: market.connections })
    return ok
  }

  // Before a one-shot process exits: whatever it wrote (a command's op, or an escrow step's after it) must reach
  // a peer, or it waits in this storage until the next run.
  async flush (): Promise<void> {
    const market = this.current
    if (market === null) return
    if (market.connections > 0 && !market.flushed && market.base.local.length > market.waitedLength && !(await market.waitFlushed(this.opts.syncTimeoutMs))) this.event('stored-locally')
  }

  // --- jobs (./jobs.ts) ----------------------------------------------------------------------------------------------

  // A job by its id or a unique prefix of at least 4 characters.
  async job (idText: string): Promise<JobView> { return await resolveJob(this.market, idText) }

  async jobs (q: JobQuery, mine = false): Promise<JobView[]> { return await jobs.list(this, q, mine) }
  async createJob (fields: JobFields, model: LoadedModel | null, o: { onUpload?: jobs.OnUpload } = {}): Promise<JobChange> { return await jobs.create(this, fields, model, o) }
  async updateJob (idText: string, patch: JobPatch): Promise<JobChange> { return await jobs.update(this, idText, patch) }
  async accept (idText: string): Promise<JobChange> { return await jobs.accept(this, idText) }
  async withdraw (idText: string): Promise<JobChange> { return await jobs.withdraw(this, idText) }
  async ship (idText: string, note = ''): Promise<JobChange> { return await jobs.ship(this, idText, note) }
  async complete (idText: string): Promise<JobChange> { return await jobs.complete(this, idText) }
  async cancel (idText: string): Promise<JobChange> { return await jobs.cancel(this, idText) }
  async dispute (idText: string, reason: string): Promise<JobChange> { return await jobs.dispute(this, idText, reason) }
}
