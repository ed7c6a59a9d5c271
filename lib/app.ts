// The one interface the terminal UI (ui/) talks to: a long-lived P2Print service (lib/service) that keeps the
// storage open and the swarm connected for the app's whole life, and shapes what the screens show. Every action is
// a method of that service, the same the command line calls, so the UI can do nothing the command line cannot.
import path from '#path'
import { parseNewJob, parseMilestones } from './job/parse.js'
import { parseSendAmount } from './job/amounts.js'
import type { ChatData } from './service/chat.js'
import { P2Print, type P2PrintEvent, type P2PrintOptions, type JobChange } from './service/p2print.js'
import type { EscrowSession } from './service/chain.js'
import { loadModelFile } from './service/model.js'
import type { SendPlan } from './service/wallet.js'
import { countServed } from './files/seeder.js'
import { getSettings } from './market/view.js'
import { jobToJSON, type JobJSON } from './job/json.js'
import { roleOf } from './job/state.js'
import { jobRecords } from './reputation/query.js'
import { disputeJSON, type MediatorJSON as MediatorInfo, type DisputeList as DisputesInfo } from './disputes/json.js'
import { MATERIALS, STATUSES, LIMITS, type Status, type FileSummary } from './schema.js'
import { parseKey, peerId, jobIdString } from './ids.js'
import { formatBtc } from './btc.js'
import { qrMatrix, qrTextForUri, type QrMatrix } from './qr.js'
import { BAD_ARGUMENT, NO_MARKET_YET, NOT_A_MARKET_KEY } from './errors.js'
import { NO_BACKEND_HINT, type AppOptions, type AppState, type JobFilters, type JobPage, type ActionName, type JobDetail, type WalletInfo, type ReceiveInfo, type SentInfo, type SendErrors, type ReviewErrors, type DownloadProgress, type ModelPreview, type DownloadDone, type SeederInfo, type MyJobs, type JobDraft, type DraftErrors, type FilePreview, type AppCore } from './app/types.js'
import { JobLists } from './app/job-list.js'
import { reviewState, escrowRows, escrowLine, friendly } from './app/details.js'
import { AppSeeding } from './app/seeding.js'
import { AppMarkets } from './app/market.js'
import { AppPeople } from './app/people.js'
import { AppRecovery } from './app/recovery.js'
import { AppJobTools } from './app/job-tools.js'
import { AppQuotes } from './app/quotes.js'
import { AppPhotos } from './app/photos.js'
import { AppSearches } from './app/searches.js'
import { AppNotices } from './app/notices.js'
import * as mediation from './app/mediation.js'
import { allowedActions, validateSend, validatePct, validateReview, validateDraft, draftFlags } from './app/forms.js'

export { MATERIALS, STATUSES, formatBtc }
export * from './app/types.js'
export { allowedActions, validateSend, validatePct, validateReview, depositSummary, acceptDeposit, proposalAccepted, validateDraft, actionDone } from './app/forms.js'
export type { JobJSON, ChatData, Status, FileSummary, QrMatrix, SendPlan }


export class AppSession implements AppCore {
  private p2: P2Print | null = null
  private attached = false
  private listeners = new Set<() => void>()
  private st: AppState
  private closing = false
  private changeTimer: NodeJS.Timeout | null = null
  private balanceTimer: NodeJS.Timeout | null = null
  private escrowLog = new Map<string, string[]>() // job id → what the escrow engine did or refused, newest last
  private version = 0 // bumps on every market change
  private jobLists: JobLists | null = null
  private receive: ReceiveInfo | null = null // one receive address per run unless a new one is asked for
  private seedingRun: AppSeeding | null = null
  private ownServed = 0
  private stopOwnCount: (() => void) | null = null
  private hosting: { close: () => Promise<void> } | null = null
  private readonly ctx: P2PrintOptions
  readonly markets = new AppMarkets(() => this.need(), () => this.changed())
  readonly people = new AppPeople(() => this.need(), () => this.changed())
  readonly recovery = new AppRecovery(() => this.p2!, () => { this.receive = null; void this.refreshBalance().then(() => this.changed()) })
  readonly jobTools = new AppJobTools(() => this.need(), async () => await this.ensureEscrow(), () => this.changed())
  readonly quotes = new AppQuotes(() => this.need(), async () => await this.ensureEscrow(), () => this.changed())
  readonly photos = new AppPhotos(() => this.need(), () => this.changed())
  readonly searches = new AppSearches(() => this.p2!, () => this.changed())
  readonly notices = new AppNotices(() => this.attached ? this.p2 : null, () => this.changed())

  private constructor (opts: AppOptions) {
    this.st = { storage: opts.storage, hasMarket: false, walletCreated: false, peers: 0, sync: 'no-market', market: null, balance: null, notice: null }
    this.ctx = {
      storage: opts.storage,
      bootstrap: opts.bootstrap,
      marketKey: opts.marketKey ?? null,
      syncTimeoutMs: opts.syncTimeoutMs ?? 5000,
      chain: opts.chain ?? null,
      bitcoinRpc: opts.bitcoinRpc ?? null,
      esplora: opts.esplora ?? null,
      blindPeers: opts.blindPeers ?? [],
      network: true
    }
  }

  // Opens the storage (and the current market, if there is one) without waiting for the network: the catch-up
  // runs in the background and the state says how far it got.
  static async open (opts: AppOptions): Promise<AppSession> {
    const app = new AppSession(opts)
    const p2 = new P2Print(app.ctx)
    p2.on('event', (e: P2PrintEvent) => app.onEvent(e))
    app.p2 = p2
    await p2.ready()
    if (app.ctx.marketKey !== null || p2.peer.currentMarketKey !== null) {
      await p2.openMarket()
      await app.attach()
    }
    if (opts.host !== undefined) app.hosting = await opts.host(p2).catch(() => null) // without it, commands find the storage locked
    return app
  }

  // What the service reports: a new wallet, and the escrow engine's steps, refusals and errors (the status bar
  // and the job's page show them).
  private onEvent (e: P2PrintEvent): void {
    if (e.tag === 'wallet-created') this.st = { ...this.st, walletCreated: true }
    if (e.tag === 'admission-work' || e.tag === 'admission-done') {
      // the first write in a market that asks work of new writers takes seconds: the status bar says why
      this.notice('admission', e.tag === 'admission-work' ? `first write here: proving ${String(e.data.bits)} bits of work so the market admits you as a writer (a few seconds, once)…` : null)
      this.changed()
      return
    }
    if (e.tag !== 'escrow-step' && e.tag !== 'escrow-error') return
    const d = e.data as { jobId?: string, action?: string, kind?: string, txid?: string, detail?: string }
    const line = escrowLine(e.tag, d)
    if (d.jobId !== undefined && d.jobId !== '') {
      const log = this.escrowLog.get(d.jobId) ?? []
      log.push(line)
      if (log.length > 20) log.shift()
      this.escrowLog.set(d.jobId, log)
    }
    const about = `escrow${d.jobId !== undefined && d.jobId !== '' ? ' ' + d.jobId.slice(0, 8) : ''}`
    if (e.tag === 'escrow-error' || d.action === 'refuse') this.notice(about, `${about}: ${line}`)
    else this.notice(about, null) // that job's escrow moved on
    this.changed()
  }

  // The status bar's notice, by what it is about: a later success of the same thing clears it.
  private noticeAbout: string | null = null
  private notice (about: string, text: string | null): void {
    if (text === null) {
      if (this.noticeAbout !== about) return
      this.noticeAbout = null
      this.st = { ...this.st, notice: null }
      return
    }
    this.noticeAbout = about
    this.st = { ...this.st, notice: text }
  }

  private async attach (): Promise<void> {
    const p2 = this.p2!
    const market = p2.market
    this.attached = true
    this.st = { ...this.st, hasMarket: true, sync: 'connecting' }
    await this.refreshMarket()
    for (const e of ['update', 'peer-add', 'peer-remove']) market.on(e, () => this.changed())
    market.on('warning', () => {})
    market.on('fault', (err: Error) => this.notice('market', `the market stopped in this app (${err.message}): nothing new is applied or confirmed; quit and start p2print again`))
    market.keepLooking() // while alone, looks for peers every few seconds
    market.startClock() // ticks the market clock while this peer is one of its indexers (lib/market/clock.ts)
    // what peers fetch of this peer's own files while the app runs (the seeder view)
    market.files.own().then(d => countServed(d, n => { this.ownServed += n })).then(off => {
      if (this.closing) off()
      else this.stopOwnCount = off
    }, () => {})
    void this.catchUp()
  }

  // The escrow engine of a market with escrow when a backend is configured; opened once, shared by every action
  // (null otherwise: the actions that need it say what is missing). Once open it watches: its steps run on every
  // market update and every new block.
  private async ensureEscrow (): Promise<EscrowSession | null> {
    const p2 = this.need()
    if (this.ctx.bitcoinRpc === null && this.ctx.esplora === null) return null
    const e = await p2.escrowSession(false)
    if (e !== null && !this.closing) p2.watchEscrow()
    return e
  }

  private async catchUp (): Promise<void> {
    const p2 = this.p2!
    try {
      const peers = await p2.catchUp(10_000)
      if (this.closing) return
      this.st = { ...this.st, sync: peers === 0 ? 'offline' : 'synced' }
      // a market with escrow and a backend: the engine runs for the app's lifetime
      try {
        await this.ensureEscrow()
        this.notice('engine', null)
      } catch (err) {
        this.notice('engine', `escrow engine not running: ${(err as Error).message}`)
      }
      await this.refreshBalance()
      this.balanceTimer ??= setInterval(() => { void this.refreshBalance() }, 30_000) // one, across market switches
      this.balanceTimer.unref()
      this.changed()
    } catch {
      if (!this.closing) this.st = { ...this.st, sync: 'offline' }
    }
  }

  private async refreshBalance (): Promise<void> {
    if (this.ctx.bitcoinRpc === null && this.ctx.esplora === null) return
    try {
      await this.ensureEscrow().catch(() => null)
      const b = await this.need().balance()
      this.st = { ...this.st, balance: { confirmedSats: b.confirmedSats, unconfirmedSats: b.unconfirmedSats, chain: b.chain, tipHeight: b.tipHeight } }
      this.notice('balance', null)
    } catch (err) {
      this.notice('balance', `wallet balance unavailable: ${friendly(err).message}`)
    }
  }

  private async refreshMarket (): Promise<void> {
    if (!this.attached || this.closing) return
    const s = this.p2!
    const info = await s.info()
    const settings = await getSettings(s.market.view)
    this.st = {
      ...this.st,
      peers: s.market.connections,
      sync: this.st.sync === 'synced' || this.st.sync === 'offline' ? (s.market.connections > 0 ? 'synced' : this.st.sync === 'synced' ? 'synced' : 'offline') : this.st.sync,
      market: { key: info.key, name: info.name, id: info.id, writer: info.writer, jobs: info.jobs, byStatus: info.byStatus, chain: settings.chain, depositPct: settings.depositPct },
      alerts: await this.notices.counts()
    }
  }

  // market 'update' and connection changes arrive in bursts: one refresh and one notification per 100 ms
  private changed (): void {
    this.version++
    if (this.closing || this.changeTimer !== null) return
    this.changeTimer = setTimeout(() => {
      this.changeTimer = null
      void this.refreshMarket().then(() => {
        for (const fn of this.listeners) fn()
      }, () => {})
    }, 100)
  }

  state (): AppState { return this.st }

  get service (): P2Print | null { return this.p2 } // for tests: the screens use only the methods of AppCore

  subscribe (onChange: () => void): () => void {
    this.listeners.add(onChange)
    return () => { this.listeners.delete(onChange) }
  }

  private need (): P2Print {
    if (this.p2 === null || !this.attached) throw NO_MARKET_YET('no market yet: create one or join one with its key')
    return this.p2
  }

  private jobJSON (c: JobChange): JobJSON {
    return { ...jobToJSON(c.view.job, c.view.confirmed), shared: c.shared, peers: this.need().connections } as JobJSON
  }

  async createMarket (name: string): Promise<void> {
    if (name.length > LIMITS.marketNameChars) throw BAD_ARGUMENT(`the name is longer than ${LIMITS.marketNameChars} characters`)
    await this.detach()
    await this.p2!.createMarket(name)
    await this.attach()
    this.changed()
  }

  async joinMarket (keyText: string): Promise<void> {
    const key = parseKey(keyText.trim())
    if (key === null) throw NOT_A_MARKET_KEY('that is not a market key: paste the 52-character key the market\'s creator shared (`p2print market info` shows it)')
    await this.detach()
    await this.p2!.joinMarket(key)
    await this.attach()
    this.changed()
  }

  // Before another market opens (the market page): what ran on the open one stops.
  private async detach (): Promise<void> {
    await this.seedingRun?.stop()
    this.stopOwnCount?.()
    this.seedingRun = this.stopOwnCount = this.jobLists = this.receive = null
    this.escrowLog.clear()
  }

  async mnemonic (): Promise<string> {
    return await this.p2!.mnemonic()
  }

  async queryJobs (f: JobFilters, page: number, pageSize: number): Promise<JobPage> {
    try {
      return await this.lists().queryJobs(f, page, pageSize)
    } catch (err) { throw friendly(err) }
  }

  async myJobs (): Promise<MyJobs> {
    return await this.lists().myJobs()
  }

  private lists (): JobLists {
    const p2 = this.need()
    if (this.jobLists === null) this.jobLists = new JobLists(p2, () => this.version)
    return this.jobLists
  }

  async getJob (id: string): Promise<JobDetail> {
    try {
      const s = this.need()
      await s.market.update()
      const v = await s.job(id)
      const settings = await getSettings(s.market.view)
      const network = s.escrow?.conn.network
      const job: JobJSON = { ...jobToJSON(v.job, v.confirmed, network === undefined ? {} : { network }), ...(await jobRecords(s.market.view, v.job)) }
      return {
        job,
        role: roleOf(v.job, s.market.writerKey),
        actions: allowedActions(v.job, s.market.writerKey, settings.chain !== ''),
        escrowChain: settings.chain,
        dispute: disputeJSON(v.job.dispute),
        review: await reviewState(s, v.job),
        escrowLog: this.escrowLog.get(jobIdString(v.job.id)) ?? []
      }
    } catch (err) { throw friendly(err) }
  }


  validateDraft (d: JobDraft): DraftErrors { return validateDraft(d) }

  async analyzeFile (file: string): Promise<FilePreview> {
    try {
      const m = await loadModelFile(path.resolve(file.trim()))
      return { name: m.name, bytes: m.bytes.byteLength, summary: m.summary }
    } catch (err) { throw friendly(err) }
  }

  async createJob (d: JobDraft, onUpload?: (p: DownloadProgress) => void): Promise<string> {
    const errors = validateDraft(d)
    const first = Object.values(errors)[0]
    if (first !== undefined) throw BAD_ARGUMENT(first)
    try {
      const flags = draftFlags(d)
      const fields = parseNewJob(flags)
      const model = flags.file === undefined ? null : await loadModelFile(flags.file)
      const r = await this.need().createJob(fields, model, { onUpload, quotes: flags.quotes === true, milestones: (d.milestones ?? '').trim() === '' ? [] : parseMilestones(d.milestones) })
      this.changed()
      return jobIdString(r.view.job.id)
    } catch (err) { throw friendly(err) }
  }

  async act (id: string, action: ActionName, text = ''): Promise<JobJSON> {
    try {
      if (action === 'accept-proposal') return await this.answerProposal(id, true)
      if (action === 'reject-proposal') return await this.answerProposal(id, false, text)
      const p2 = this.need()
      // the actions of a market with escrow need the engine (it says what is missing when there is no backend)
      if (action !== 'dispute') await this.ensureEscrow().catch(() => null)
      const c: JobChange = action === 'accept' ? await p2.accept(id)
        : action === 'ship' ? await p2.ship(id, text)
          : action === 'complete' ? await p2.complete(id)
            : action === 'withdraw' ? await p2.withdraw(id)
              : action === 'cancel' ? await p2.cancel(id)
                : action === 'release' ? await p2.releaseMilestone(id)
                  : await p2.dispute(id, text)
      this.changed()
      return this.jobJSON(c)
    } catch (err) { throw friendly(err) }
  }

  async chat (id: string, send?: string): Promise<ChatData> {
    try {
      const r = await this.need().chat(id, { text: send })
      if (send !== undefined) this.changed()
      return r
    } catch (err) { throw friendly(err) }
  }

  // --- wallet ------------------------------------------------------------------------------------------------------

  async wallet (): Promise<WalletInfo> {
    try {
      const p2 = this.need()
      await this.ensureEscrow().catch(() => null)
      const backend = this.ctx.bitcoinRpc !== null || this.ctx.esplora !== null
      let balance: WalletInfo['balance'] = null
      let balanceError: string | null = null
      let chain: string = this.ctx.chain ?? await p2.marketChain() ?? this.receive?.chain ?? (this.ctx.bitcoinRpc !== null ? 'the node\'s chain' : 'testnet')
      if (backend) {
        try {
          const b = await p2.balance()
          balance = { confirmedSats: b.confirmedSats, unconfirmedSats: b.unconfirmedSats }
          chain = b.chain
          this.st = { ...this.st, balance: { ...balance, chain, tipHeight: b.tipHeight } }
        } catch (err) {
          balanceError = `the balance is unavailable: ${friendly(err).message}`
        }
      }
      return { chain, backend, hint: backend ? null : NO_BACKEND_HINT, balance, balanceError, escrows: await escrowRows(p2) }
    } catch (err) { throw friendly(err) }
  }


  async receiveAddress (fresh = false): Promise<ReceiveInfo> {
    try {
      if (this.receive !== null && !fresh) return this.receive
      await this.ensureEscrow().catch(() => null)
      const a = await this.need().receiveAddress()
      this.receive = { ...a, qr: qrMatrix(qrTextForUri(a.uri)) }
      return this.receive
    } catch (err) { throw friendly(err) }
  }

  validateSend (address: string, btc: string): SendErrors { return validateSend(address, btc) }

  async planSend (address: string, btc: string): Promise<SendPlan> {
    const errors = validateSend(address, btc)
    const first = errors.address ?? errors.amount
    if (first !== undefined) throw BAD_ARGUMENT(first)
    try {
      await this.ensureEscrow().catch(() => null)
      return await this.need().planSend(address, parseSendAmount(btc))
    } catch (err) { throw friendly(err) }
  }

  // Sends exactly what was confirmed: the same amount at the fee rate of the plan (`wallet send … --fee-rate`).
  async send (plan: SendPlan): Promise<SentInfo> {
    try {
      // at the fee rate shown, and never for a higher fee than the one confirmed
      await this.ensureEscrow().catch(() => null)
      const r = await this.need().send(plan.address, BigInt(plan.sentSats), { feeRate: plan.feeRate, maxFeeSats: BigInt(plan.feeSats) })
      void this.refreshBalance().then(() => this.changed())
      return { txid: r.txid, address: r.address, sentSats: r.sentSats, feeSats: r.feeSats, feeRate: r.feeRate }
    } catch (err) { throw friendly(err) }
  }

  // --- mediation ---------------------------------------------------------------------------------------------------

  private readonly mediation: mediation.MediationDeps = { need: () => this.need(), ensureEscrow: async () => await this.ensureEscrow(), changed: () => this.changed(), jobJSON: (c) => this.jobJSON(c) }
  async disputes (): Promise<DisputesInfo> { return await mediation.disputes(this.mediation) }
  validatePct (text: string, what: 'fee' | 'printer'): string | null { return validatePct(text, what) }
  async registerMediator (feePct: string): Promise<MediatorInfo> { return await mediation.registerMediator(this.mediation, feePct) }
  async propose (id: string, printerPct: string, note: string): Promise<JobJSON> { return await mediation.propose(this.mediation, id, printerPct, note) }
  async answerProposal (id: string, accept: boolean, note = ''): Promise<JobJSON> { return await mediation.answerProposal(this.mediation, id, accept, note) }
  async rule (id: string, printerPct: string, note: string): Promise<{ printerPct: number, txid: string }> { return await mediation.rule(this.mediation, id, printerPct, note) }

  // --- job extras --------------------------------------------------------------------------------------------------

  async previewJob (id: string, width: number, onProgress: (p: DownloadProgress) => void): Promise<ModelPreview> {
    try {
      const r = await this.need().preview(id, { width: Math.max(20, Math.min(width, 100)), color: false, onProgress })
      return { name: r.file, previews: r.previews }
    } catch (err) { throw friendly(err) }
  }

  async download (id: string, outDir: string, onProgress: (p: DownloadProgress) => void): Promise<DownloadDone> {
    try {
      const r = await this.need().download(id, path.resolve(outDir.trim() === '' ? '.' : outDir.trim()), onProgress)
      return { file: r.file, files: r.files, bytes: r.bytes, sha256: r.sha256, ms: r.ms }
    } catch (err) { throw friendly(err) }
  }

  validateReview (rating: string, text: string): ReviewErrors { return validateReview(rating, text) }

  async review (id: string, rating: string, text: string): Promise<{ rating: number, subject: string }> {
    const errors = validateReview(rating, text)
    const first = errors.rating ?? errors.text
    if (first !== undefined) throw BAD_ARGUMENT(first)
    try {
      const r = await this.need().review(id, Number(rating.trim()), text)
      this.changed()
      return { rating: r.rating, subject: r.subject }
    } catch (err) { throw friendly(err) }
  }

  // --- files held and served (./app/seeding.ts) -----------------------------------------------------------------

  async seeder (): Promise<SeederInfo> {
    try {
      return await this.seeding().info()
    } catch (err) { throw friendly(err) }
  }

  // Runs the FileSeeder of `p2print seed` (its default quota and retention) in this session while the app runs.
  async setSeeding (on: boolean): Promise<SeederInfo> {
    try {
      return await this.seeding().set(on)
    } catch (err) { throw friendly(err) }
  }

  private seeding (): AppSeeding {
    const p2 = this.need()
    if (this.seedingRun === null) this.seedingRun = new AppSeeding(p2, () => this.ownServed, () => this.changed())
    return this.seedingRun
  }

  async close (): Promise<void> {
    if (this.closing) return
    this.closing = true
    if (this.changeTimer !== null) clearTimeout(this.changeTimer)
    if (this.balanceTimer !== null) clearInterval(this.balanceTimer)
    this.listeners.clear()
    await this.hosting?.close()
    await this.seedingRun?.stop()
    await this.notices.stop()
    this.stopOwnCount?.()
    await this.p2?.close()
  }
}

export { peerId }
