// P2Print: the one object between the core (lib/market, lib/escrow, lib/files, lib/chat) and its two front ends
// (the command line in lib/commands, the terminal UI over lib/app.ts). It owns the storage (Peer), the current
// Market and, in a market with escrow when a Bitcoin backend is given, the escrow engine. Its methods take domain
// values and return domain objects; what happens on the way is emitted as {tag, data} 'event's, which the CLI
// prints (or --json) and the UI shows. Job work is in ./jobs.ts, one function per method.
import fs from '#fs'
import path from '#path'
import ReadyResource from 'ready-resource'
import b4a from 'b4a'
import { peerId, jobIdString } from '../ids.js'
import { fromHex } from '../escrow/script.js'
import { summarizeEscrow, type EscrowSummary } from '../escrow/summary.js'
import { printable } from '../text.js'
import { Peer } from '../peer.js'
import type { Market, JobView } from '../market/market.js'
import { openEscrow, ensureWallet, type ChainOptions, type EscrowSession } from './chain.js'
import { WALLET_FILE } from '../escrow/wallet.js'
import { loadEscrowLimits, saveEscrowLimits, type EscrowLimits } from '../escrow/limits.js'
import { resolveJob } from './resolve.js'
import * as jobs from './jobs.js'
import * as quotes from './quotes.js'
import * as address from './address.js'
import * as disputes from './disputes.js'
import { chat, type ChatData } from './chat.js'
import * as files from './files.js'
import * as wallet from './wallet.js'
import * as reputation from './reputation.js'
import * as searches from './searches.js'
import { setSettings, indexersJSON, changeIndexers, type SettingsPatch, type IndexersJSON } from './settings.js'
import type { LoadedPhoto } from '../chat/photos.js'
import type { StepReport } from '../escrow/engine.js'
import type { ChainName } from '../escrow/chain.js'
import { getSettings } from '../market/view.js'
import { NO_MARKET, NO_ESCROW, ESCROW_NEEDS_BACKEND } from '../errors.js'
import type { JobRecord, JobFields, JobPatch, Status, MarketSettings, PrinterProfile, ShippingAddress, Milestone } from '../schema.js'
import type { JobQuery } from '../market/view.js'
import type { LoadedModel } from './model.js'
import type { DisputeList, MediatorJSON } from '../disputes/json.js'
import type { PeerJSON, ProfileJSON, PeerSummaryJSON, PrinterQuery } from '../reputation/query.js'

export interface Bootstrap { host: string, port: number }

// How long a command waits at its end for writes of earlier runs to reach a peer (./p2print.ts flush).
const EARLIER_WRITES_MS = 1500

export interface P2PrintOptions extends ChainOptions {
  storage: string
  bootstrap: Bootstrap[] | null
  marketKey: Uint8Array | null // --market: act on this market instead of the current one
  syncTimeoutMs: number
  network?: boolean // false: the storage only (no swarm)
  // a command that only reads: it creates no wallet (nor the escrow engine that needs one), and nothing at all in a
  // storage that has no market yet
  readOnly?: boolean
  noNewWallet?: boolean // wallet restore: no wallet is made on open (the restored one takes its place)
  blindPeers?: Uint8Array[] // keys of the blind peers this peer uses (lib/market/blind.ts)
}

// What a front end may be told while a method runs. The text renderer (ui/text.ts) has a line for each.
export type EventTag =
  | 'connecting' | 'synced' | 'offline' | 'sharing' | 'shared' | 'stored-locally'
  | 'job-created' | 'job-changed' | 'model-analysed' | 'sharing-file' | 'upload-progress' | 'file-shared' | 'file-stored-locally'
  | 'wallet-created' | 'escrow-offline' | 'escrow-step' | 'escrow-error' | 'payout-broadcast' | 'cancel-signed' | 'split-signed' | 'milestone-released'
  | 'chat-sent' | 'chat-photo-saved' | 'download-start' | 'download-progress' | 'review-posted'
  | 'admission-work' | 'admission-done' | 'blind-held' | 'address-sealed'

export interface P2PrintEvent { tag: EventTag, data: Record<string, unknown> }

export type JobChange = { view: JobView, shared: boolean }

export type EscrowView = EscrowSummary & { id: string, status: Status, confirmed: boolean, depth: number | null, payoutTxid: string | null }

export interface MarketInfo {
  key: string
  name: string
  id: string
  writer: boolean
  indexer: boolean
  created: boolean
  indexers: number // the creator and the indexers it named
  viewHash: string | null // the hash of the confirmed view (its first signedLength blocks): equal on every peer at that length
  marketTime: string | null // market time (lib/market/clock.ts), which every deadline is measured on
  jobs: number
  byStatus: Record<string, number>
  peers: number
  signedLength: number
  viewLength: number
}

export class P2Print extends ReadyResource {
  readonly opts: P2PrintOptions
  readonly peer: Peer
  escrow: EscrowSession | null = null
  peers = 0 // peers connected at the last catch-up
  private current: Market | null = null
  private escrowOpening: Promise<EscrowSession | null> | null = null
  private stepping: Promise<StepReport[]> | null = null
  private unwatch: (() => Promise<void>) | null = null
  private leaving = false // the market is being left (or the service closed): no new watcher, no new step run
  private offlineSaid = false // 'escrow-offline' was said for this market

  constructor (opts: P2PrintOptions) {
    super()
    this.opts = opts
    this.peer = new Peer(opts.storage, { bootstrap: opts.bootstrap, swarm: opts.network !== false, blindPeers: opts.blindPeers })
  }

  // Every storage has a wallet from its first run (the recovery phrase stays in it); the app shows a new one's words.
  // Only a missing file is created here: a wallet file that cannot be read fails the wallet and escrow work that
  // needs it, not every command.
  protected override async _open (): Promise<void> {
    const read = this.opts.readOnly === true
    if (read && this.opts.marketKey === null && !fs.existsSync(path.join(this.peer.dir, 'config.json'))) return // no market here: NO_MARKET follows
    await this.peer.ready()
    if (read || this.opts.noNewWallet === true) return
    try {
      if (!fs.existsSync(path.join(this.peer.dir, WALLET_FILE))) {
        const { created } = await ensureWallet(this.peer.dir)
        if (created) this.event('wallet-created', { file: path.join(this.peer.dir, WALLET_FILE) })
      }
    } catch (err) {
      await this.peer.close() // ready-resource does not run _close after a failed _open
      throw err
    }
  }

  protected override async _close (): Promise<void> {
    await this.leaveMarket()
    await this.peer.close()
  }

  event (tag: EventTag, data: Record<string, unknown> = {}): void {
    this.emit('event', { tag, data } satisfies P2PrintEvent)
  }

  get market (): Market {
    if (this.current === null) throw NO_MARKET()
    return this.current
  }

  get connections (): number { return this.current?.connections ?? 0 }

  // --- markets ---------------------------------------------------------------------------------------------------

  // The market --market names, else the storage's current one (NO_MARKET when there is none).
  async openMarket (): Promise<Market> {
    await this.leaveMarket()
    this.current = this.tell(await this.peer.openMarket(this.opts.marketKey))
    return this.current
  }

  async createMarket (name = '', admissionBits?: number): Promise<Market> {
    await this.leaveMarket()
    this.current = this.tell(await this.peer.createMarket(name, admissionBits))
    return this.current
  }

  async joinMarket (key: Uint8Array): Promise<Market> {
    await this.leaveMarket()
    this.current = this.tell(await this.peer.joinMarket(key))
    return this.current
  }

  // A peer's first write in a market that asks work of new writers takes seconds (lib/market/admission.ts): say why.
  private tell (market: Market): Market {
    market.on('admitting', (d: { bits: number }) => this.event('admission-work', d))
    market.on('admission', (d: { bits: number, ms: number, tried: number }) => this.event('admission-done', d))
    return market
  }

  // The escrow engine belongs to the market it was opened on: it stops before another market is opened.
  private async leaveMarket (): Promise<void> {
    if (this.current === null) return
    await this.stopEscrow()
    this.current = null
  }

  // Stops the escrow engine (its watcher, its step runs, its backend); escrowSession opens it again when asked.
  private async stopEscrow (): Promise<void> {
    this.leaving = true
    try {
      await this.unwatchEscrow()
      if (this.escrowOpening !== null) await this.escrowOpening.catch(() => null)
      while (this.stepping !== null) await this.stepping
      const escrow = this.escrow
      this.escrow = null
      this.offlineSaid = false
      await this.unwatchEscrow() // one started while the opening above finished
      if (escrow !== null) await escrow.conn.backend?.close().catch(() => {})
    } finally {
      this.leaving = false
    }
  }

  // The market this service acts on: its key and name, this peer's place in it, its jobs by status.
  async info (): Promise<MarketInfo> {
    const market = this.market
    const hex = b4a.toString(market.key, 'hex')
    const known = this.peer.knownMarkets().find(m => m.key === hex)
    const meta = await market.meta()
    return {
      key: peerId(market.key),
      name: printable(meta?.name ?? ''),
      id: peerId(market.writerKey),
      writer: market.isWriter(),
      indexer: market.isIndexer(),
      created: known?.created === true,
      indexers: (await market.indexers()).length,
      viewHash: market.view.core.signedLength > 0 ? b4a.toString(await market.view.core.treeHash(market.view.core.signedLength), 'hex') : null,
      marketTime: await market.clockTime().then(t => t === null ? null : new Date(t).toISOString()),
      jobs: await market.jobCount(),
      byStatus: await market.statusCounts(),
      peers: this.peers,
      signedLength: market.view.core.signedLength,
      viewLength: market.view.core.length
    }
  }

  // Connects and catches up (up to timeoutMs). Returns the peers reached.
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
    if (this.opts.readOnly === true && !require && !fs.existsSync(path.join(this.peer.dir, WALLET_FILE))) return null // no wallet, no escrows of its own
    if (this.escrowOpening === null) {
      const market = this.market
      this.escrowOpening = openEscrow(this.opts, this.peer.dir, market, (tag, data) => {
        if (tag === 'escrow-offline' && (this.offlineSaid || require)) return // said once; with `require` the error says it
        if (tag === 'escrow-offline') this.offlineSaid = true
        this.event(tag, data)
      }).then(e => {
        if (this.current === market) this.escrow = e
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

  // What the record says about a job's escrow and, with the engine, what this peer's node says (depth, tip).
  async escrowOf (idText: string): Promise<EscrowView> {
    const v = await this.job(idText)
    if (v.job.escrow === null) throw NO_ESCROW(`job ${jobIdString(v.job.id)} has no escrow${(await getSettings(this.market.view)).chain === '' ? ' (this market has none)' : ' yet: it is open'}`)
    const summary = this.escrow !== null ? await this.escrow.engine.describe(v.job) : summarizeEscrow(v.job, null)!
    const arbitrator = /^[0-9a-f]{64}$/.test(summary.arbitrator) ? peerId(fromHex(summary.arbitrator)) : summary.arbitrator
    // depth and payoutTxid: the names the escrow issue gives them, next to the fuller fields
    return { id: jobIdString(v.job.id), status: v.job.status, confirmed: v.confirmed, ...summary, arbitrator, depth: summary.fundingDepth, payoutTxid: summary.payout?.txid ?? null }
  }

  needEscrow (job: JobRecord): EscrowSession {
    if (this.escrow === null) throw ESCROW_NEEDS_BACKEND(job.escrow === null ? 'its chain' : 'its chain (see `p2print market info`)')
    return this.escrow
  }

  // The markets this storage knows (z32 keys; `current`: the one commands act on by default).
  markets (): Array<{ key: string, created: boolean, current: boolean }> {
    return this.peer.knownMarkets().map(m => ({ ...m, key: peerId(b4a.from(m.key, 'hex')) }))
  }

  async settings (): Promise<MarketSettings> { return await getSettings(this.market.view) }

  // Only the market's creator: its chain (once), its arbitrators and mediators, its rules.
  async setSettings (patch: SettingsPatch): Promise<MarketSettings> { return await setSettings(this, patch) }
  async indexers (): Promise<IndexersJSON> { return await indexersJSON(this) }
  async changeIndexers (change: 'add' | 'remove', keys: Uint8Array[]): Promise<IndexersJSON> { return await changeIndexers(this, change, keys) }

  // The market's chain ('' without escrow), or null when no market is open (wallet commands on a bare storage).
  async marketChain (): Promise<ChainName | null> {
    if (this.current === null) return null
    const chain = (await getSettings(this.current.view)).chain
    return chain === '' ? null : chain
  }

  async hasEscrow (): Promise<boolean> {
    return (await getSettings(this.market.view)).chain !== ''
  }

  // This peer's due escrow steps, each reported as an 'escrow-step' event; one run at a time. An error of the run
  // itself is reported as 'escrow-error' (and returned as a report), never thrown: the command or the screen that
  // triggered it goes on.
  async escrowSteps (timeoutMs = 2000): Promise<StepReport[]> {
    // a run in flight may have read the record before the caller's change: wait for it and run again
    while (this.stepping !== null) await this.stepping
    if (this.escrow === null || this.leaving) return []
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
    if (this.unwatch !== null || this.escrow === null || this.leaving) return
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
          await this.escrowSteps(2000)
        } while (again && !stopped)
      })().finally(() => { running = null })
    }
    let polling = false
    const poll = async (): Promise<void> => {
      if (backend === null || stopped || polling) return // one poll at a time: a hung backend does not pile them up
      polling = true
      try {
        const h = await backend.tipHeight()
        if (h !== tip) { tip = h; run() }
      } catch {} finally { polling = false }
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
    if (market.blind !== null) {
      // what this peer wrote stays available while it is offline once a blind peer holds it
      const held = await market.waitBlindHeld(this.opts.syncTimeoutMs)
      this.event('blind-held', { held, of: market.blind.keys.length })
    }
    return ok
  }

  // Before a one-shot process exits: whatever it wrote (a command's op, or an escrow step's after it) must reach
  // a peer, or it waits in this storage until the next run, and says so. Writes of earlier runs that no peer is
  // known to hold get a short try only, said nothing of: a connected peer may hold them without having told this
  // one yet, and a read-only command must not wait its whole sync timeout for that (\`sync\` waits for them).
  async flush (): Promise<void> {
    const market = this.current
    if (market === null || market.connections === 0 || market.flushed || market.base.local.length <= market.waitedLength) return
    const wrote = market.base.local.length > market.openedLength
    const ok = await market.waitFlushed(wrote ? this.opts.syncTimeoutMs : Math.min(this.opts.syncTimeoutMs, EARLIER_WRITES_MS))
    if (!ok && wrote) this.event('stored-locally')
  }

  // --- jobs (./jobs.ts) ----------------------------------------------------------------------------------------------

  // A job by its id or a unique prefix of at least 4 characters.
  async job (idText: string): Promise<JobView> { return await resolveJob(this.market, idText) }

  async jobs (q: JobQuery, mine = false): Promise<JobView[]> { return await jobs.list(this, q, mine) }
  async createJob (fields: JobFields, model: LoadedModel | null, o: { onUpload?: jobs.OnUpload, quotes?: boolean, milestones?: Milestone[] } = {}): Promise<JobChange> { return await jobs.create(this, fields, model, o) }
  async updateJob (idText: string, patch: JobPatch): Promise<JobChange> { return await jobs.update(this, idText, patch) }
  async accept (idText: string): Promise<JobChange> { return await jobs.accept(this, idText) }
  async withdraw (idText: string): Promise<JobChange> { return await jobs.withdraw(this, idText) }
  async ship (idText: string, note = ''): Promise<JobChange> { return await jobs.ship(this, idText, note) }
  async complete (idText: string): Promise<JobChange> { return await jobs.complete(this, idText) }
  async cancel (idText: string): Promise<JobChange> { return await jobs.cancel(this, idText) }
  async releaseMilestone (idText: string): Promise<JobChange> { return await jobs.release(this, idText) }
  async dispute (idText: string, reason: string): Promise<JobChange> { return await jobs.dispute(this, idText, reason) }
  // quotes and offers (./quotes.ts)
  async quote (idText: string, t: quotes.QuoteTerms): Promise<JobChange> { return await quotes.quote(this, idText, t) }
  async withdrawQuote (idText: string): Promise<JobChange> { return await quotes.withdrawQuote(this, idText) }
  async quotes (idText: string): Promise<quotes.QuotesResult> { return await quotes.list(this, idText) }
  async offer (idText: string, which: string, counter: { priceSats?: number, leadDays?: number } = {}, seen?: { printer: string, revision: number }): Promise<JobChange> { return await quotes.offer(this, idText, which, counter, seen) }
  async takeBackOffer (idText: string): Promise<JobChange> { return await quotes.takeBackOffer(this, idText) }
  async setAddress (idText: string, a: ShippingAddress): Promise<JobChange> { return await address.setAddress(this, idText, a) } // ./address.ts
  async readAddress (idText: string): Promise<address.AddressResult> { return await address.readAddress(this, idText) }

  // --- mediation and arbitration (./disputes.ts) ----------------------------------------------------------------------

  async registerMediator (feePct: number): Promise<MediatorJSON & { shared: boolean }> { return await disputes.registerMediator(this, feePct) }
  async mediators (): Promise<{ mediators: MediatorJSON[], rules: string[] }> { return await disputes.mediators(this) }
  async disputes (): Promise<DisputeList> { return await disputes.disputes(this) }
  async propose (idText: string, printerPct: number, note = ''): Promise<JobChange> { return await disputes.propose(this, idText, printerPct, note) }
  async acceptProposal (idText: string): Promise<JobChange> { return await disputes.acceptProposal(this, idText) }
  async rejectProposal (idText: string, note = ''): Promise<JobChange> { return await disputes.rejectProposal(this, idText, note) }
  async rule (idText: string, printerPct: number, note = ''): Promise<disputes.Ruling> { return await disputes.rule(this, idText, printerPct, note) }

  // --- chat (./chat.ts) ----------------------------------------------------------------------------------------------

  async chat (idText: string, o: { text?: string, photos?: LoadedPhoto[], saveDir?: string } = {}): Promise<ChatData> { return await chat(this, idText, o) }

  // --- a job's model (./files.ts) --------------------------------------------------------------------------------------

  async preview (idText: string, o: { width: number, color: boolean, onProgress?: files.OnProgress }): Promise<files.Preview> { return await files.preview(this, idText, o) }
  async download (idText: string, outDir: string, onProgress?: files.OnProgress): Promise<files.Downloaded> { return await files.download(this, idText, outDir, onProgress) }

  // --- reputation (./reputation.ts) ----------------------------------------------------------------------------------

  async review (idText: string, rating: number, text = ''): Promise<reputation.PostedReview & { shared: boolean }> {
    const r = await reputation.reviewOn(this.market, idText, rating, text)
    this.event('review-posted', { job: r.job, subject: r.subject, rating: r.rating })
    return { ...r, shared: await this.share() }
  }

  // --- saved searches (./searches.ts): this storage's own, never written to the market ----------------------------

  async searches (): Promise<searches.SavedSearch[]> { return await searches.loadSearches(this.peer.dir) }
  async saveSearch (f: searches.SearchFilter): Promise<searches.SavedSearch> { return (await searches.saveSearch(this.peer.dir, f)).search }
  async removeSearch (n: number): Promise<searches.SavedSearch> { return (await searches.removeSearch(this.peer.dir, n)).search }

  // For a long-running peer (the app, `seed`): each new job of the current market that matches a saved search, once.
  watchSearches (o: searches.WatchOptions): searches.SearchWatcher {
    const w = new searches.SearchWatcher(this.market, this.peer.dir, o)
    w.start()
    return w
  }

  // `peer [ID]`, `printers`, `printer profile` / `printer unlist` (an unlisting profile has no materials)
  async peerRecord (idText?: string): Promise<PeerJSON> { return await reputation.peerOf(this.market, idText) }
  async printers (q: PrinterQuery): Promise<Array<ProfileJSON & { record: PeerSummaryJSON }>> { return await reputation.printersOf(this.market, q) }
  async publishProfile (profile: PrinterProfile): Promise<{ profile: ProfileJSON | null, shared: boolean }> {
    const r = await reputation.publishProfile(this.market, profile)
    return { profile: r, shared: await this.share() }
  }

  // --- the wallet (./wallet.ts) ----------------------------------------------------------------------------------------

  // The wallet's recovery phrase (the same on every chain).
  async mnemonic (): Promise<string> { return (await ensureWallet(this.peer.dir)).wallet.mnemonic }
  async recoveryPhrase (): Promise<{ mnemonic: string, fingerprint: string }> {
    const { wallet: w } = await ensureWallet(this.peer.dir)
    return { mnemonic: w.mnemonic, fingerprint: w.fingerprint }
  }

  async previewRestore (words: string): Promise<{ fingerprint: string, current: string | null }> { return await wallet.previewRestore(this.peer.dir, words) }

  // `wallet restore` in a running peer: the escrow engine signs with the wallet it opened, so it stops first (once
  // the phrase is known to be good) and opens again, on the restored wallet, when next asked for.
  async restoreWallet (words: string): Promise<wallet.Restored> {
    await wallet.previewRestore(this.peer.dir, words)
    await this.stopEscrow()
    return await wallet.restoreWallet(this.peer.dir, words)
  }
  async receiveAddress (): Promise<wallet.ReceiveAddress> { return await wallet.receiveAddress(this) }
  async balance (): Promise<wallet.Balance> { return await wallet.balance(this) }
  async planSend (address: string, sats: bigint, feeRate?: number): Promise<wallet.SendPlan> { return await wallet.planSend(this, address, sats, feeRate) }
  async send (address: string, sats: bigint, o: { feeRate?: number, maxFeeSats?: bigint } = {}): Promise<wallet.Sent> { return await wallet.send(this, address, sats, o) }

  // This peer's own limits on the escrow terms it takes part in (lib/escrow/limits.ts); a running engine uses the
  // new ones at once.
  async escrowLimits (): Promise<EscrowLimits> { return await loadEscrowLimits(this.peer.dir) }
  async setEscrowLimits (patch: Partial<EscrowLimits>): Promise<EscrowLimits> {
    const next = { ...(await loadEscrowLimits(this.peer.dir)), ...patch }
    await saveEscrowLimits(this.peer.dir, next)
    if (this.escrow !== null) this.escrow.engine.limits = next
    return next
  }
}
