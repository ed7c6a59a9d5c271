// The one interface the terminal UI (ui/) talks to: a long-lived session over a Peer, its current Market and (in a
// market with escrow, when a Bitcoin backend is configured) the escrow engine. It keeps the peer open and the swarm
// connected for its whole life, and every action it offers is a CLI command run on this session (lib/commands/*
// through Ctx.session), so the UI can do nothing the command line cannot.
import path from 'path'
import b4a from 'b4a'
import { openPeer, type Ctx, type Session, type Result } from './commands/context.js'
import { marketInfo } from './commands/market.js'
import { jobCreate, jobAccept, jobShip, jobComplete, jobCancel, jobDispute, jobWithdraw, resolveJob, parsePatch, parseMaterial, parseBounty } from './commands/jobs.js'
import { chatCommand, type ChatData } from './commands/chat.js'
import { openEscrow, runEscrowSteps, disputeRule, type EscrowSession } from './commands/escrow.js'
import { loadModelFile, jobDownload, jobPreview } from './commands/files.js'
import { walletAddress, walletBalance, walletSend, walletSendPlan, type SendPlan } from './commands/wallet.js'
import { mediatorRegister, disputePropose, disputeAccept, disputeReject, disputeList } from './commands/dispute.js'
import { jobReview } from './commands/reputation.js'
import { SEED_DEFAULTS } from './commands/seed.js'
import { FileSeeder, countServed } from './files/seeder.js'
import { getSettings, titleMatches } from './market/view.js'
import type { Peer } from './peer.js'
import type { JobView } from './market/market.js'
import type { ChainName } from './escrow/chain.js'
import { networkFor } from './escrow/networks.js'
import { Wallet } from './escrow/wallet.js'
import * as bitcoin from 'bitcoinjs-lib'
import { jobToJSON, type JobJSON } from './job/json.js'
import { roleOf, type Role } from './job/state.js'
import { jobRecords, peerSummary } from './reputation/query.js'
import { reviewRefusal } from './reputation/apply.js'
import { getReview } from './reputation/records.js'
import { disputeJSON, type MediatorJSON as MediatorInfo, type DisputeList as DisputesInfo } from './disputes/json.js'
import { MATERIALS, STATUSES, LIMITS, type JobRecord, type Status, type FileSummary, type FileRef } from './schema.js'
import type { JobQuery } from './market/view.js'
import { parseKey, peerId, jobIdString } from './ids.js'
import { formatBtc } from './btc.js'
import { qrMatrix, qrTextForUri, type QrMatrix } from './qr.js'
import { P2PrintError } from './errors.js'
import { printable } from './text.js'
import { NO_BACKEND_HINT, type AppOptions, type AppState, type JobFilters, type JobRow, type JobPage, type ActionName, type ReviewState, type JobDetail, type EscrowRow, type WalletInfo, type ReceiveInfo, type SentInfo, type SendErrors, type ReviewErrors, type DownloadProgress, type ModelPreview, type DownloadDone, type HeldInfo, type SeederInfo, type MyJobs, type JobDraft, type DraftErrors, type FilePreview, type AppCore } from './app/types.js'
import { allowedActions, validateSend, validatePct, validateReview, validateDraft, draftFlags } from './app/forms.js'

export { MATERIALS, STATUSES, formatBtc }
export * from './app/types.js'
export { allowedActions, validateSend, validatePct, validateReview, depositSummary, validateDraft } from './app/forms.js'
export type { JobJSON, ChatData, Status, FileSummary, QrMatrix, SendPlan }


function friendly (err: unknown): Error {
  if (err instanceof P2PrintError) {
    // the commands name their flags; in the app the backend can only be given by starting it again
    if (err.code === 'ESCROW_NEEDS_BACKEND' || /needs a Bitcoin backend/.test(err.message)) return new P2PrintError(err.code, NO_BACKEND_HINT)
    return err
  }
  const e = err as Error
  return new P2PrintError('INTERNAL', `something went wrong: ${e?.message ?? String(err)}. Try again; if it persists, run the same action with the CLI to see more.`)
}

export class AppSession implements AppCore {
  private peer: Peer | null = null
  private session: Session | null = null
  private listeners = new Set<() => void>()
  private st: AppState
  private closing = false
  private changeTimer: NodeJS.Timeout | null = null
  private balanceTimer: NodeJS.Timeout | null = null
  private escrowBusy = false
  private version = 0 // bumps on every market change
  // where each page of the current filter starts (newest first), and its bounty order (by bounty)
  private pages: { filterKey: string, cursors: Array<Uint8Array | null>, sorted: Array<{ id: Uint8Array, bountySats: number, key: Uint8Array }> | null, version?: number } | null = null
  private escrowOpening: Promise<EscrowSession | null> | null = null
  private receive: ReceiveInfo | null = null // one receive address per run unless a new one is asked for
  private seederRun: { seeder: FileSeeder, events: string[] } | null = null
  private ownServed = 0
  private stopOwnCount: (() => void) | null = null
  private readonly ctx: Ctx

  private constructor (private readonly opts: AppOptions) {
    this.st = { storage: opts.storage, hasMarket: false, walletCreated: false, peers: 0, sync: 'no-market', market: null, balance: null, notice: null }
    this.ctx = {
      storage: opts.storage,
      bootstrap: opts.bootstrap,
      marketKey: opts.marketKey ?? null,
      json: true,
      syncTimeoutMs: opts.syncTimeoutMs ?? 5000,
      chain: opts.chain ?? null,
      bitcoinRpc: opts.bitcoinRpc ?? null,
      esplora: opts.esplora ?? null,
      stopped: new Promise(() => {}),
      emit: (tag) => {
        if (tag === 'wallet-created') this.st = { ...this.st, walletCreated: true }
      }
    }
  }

  // Opens the storage (and the current market, if there is one) without waiting for the network: the catch-up
  // runs in the background and the state says how far it got.
  static async open (opts: AppOptions): Promise<AppSession> {
    const app = new AppSession(opts)
    app.peer = await openPeer(app.ctx)
    if (app.ctx.marketKey !== null || app.peer.currentMarketKey !== null) {
      const market = await app.peer.openMarket(app.ctx.marketKey)
      await app.attach(market)
    }
    return app
  }

  private async attach (market: Session['market']): Promise<void> {
    const peer = this.peer!
    this.session = { peer, market, peers: 0, escrow: null, openEscrow: async () => await this.ensureEscrow() }
    this.st = { ...this.st, hasMarket: true, sync: 'connecting' }
    await this.refreshMarket()
    market.on('update', () => this.changed())
    market.on('peer-add', () => this.changed())
    market.on('peer-remove', () => this.changed())
    market.on('warning', () => {})
    // what peers fetch of this peer's own files while the app runs (the seeder view)
    market.files.own().then(d => countServed(d, n => { this.ownServed += n })).then(off => {
      if (this.closing) off()
      else this.stopOwnCount = off
    }, () => {})
    void this.catchUp()
  }

  // The escrow engine of a market with escrow when a backend is configured; opened once, shared by the session's
  // commands (null otherwise: the commands that need it say what is missing).
  private async ensureEscrow (): Promise<EscrowSession | null> {
    const s = this.need()
    if (s.escrow !== null) return s.escrow
    if (this.ctx.bitcoinRpc === null && this.ctx.esplora === null) return null
    if (this.escrowOpening === null) {
      this.escrowOpening = openEscrow(this.ctx, s.peer, s.market, false).then(e => {
        if (this.closing) { void e?.conn.backend?.close().catch(() => {}); return null }
        s.escrow = e
        if (e === null) this.escrowOpening = null // no chain yet: the creator may set one later
        return e
      })
      this.escrowOpening.catch(() => { this.escrowOpening = null })
    }
    return this.escrowOpening
  }

  private async catchUp (): Promise<void> {
    const s = this.session!
    try {
      const peers = await s.market.sync(10_000)
      if (this.closing) return
      this.st = { ...this.st, sync: peers === 0 ? 'offline' : 'synced' }
      // a market with escrow and a backend: the engine runs for the app's lifetime
      try {
        await this.ensureEscrow()
      } catch (err) {
        this.st = { ...this.st, notice: `escrow engine not running: ${(err as Error).message}` }
      }
      await this.refreshBalance()
      this.balanceTimer = setInterval(() => { void this.refreshBalance() }, 30_000)
      this.balanceTimer.unref()
      this.changed()
    } catch {
      if (!this.closing) this.st = { ...this.st, sync: 'offline' }
    }
  }

  private async refreshBalance (): Promise<void> {
    if (this.ctx.bitcoinRpc === null && this.ctx.esplora === null) return
    try {
      const b = data(await walletBalance(await this.walletCtx()), 'balance')
      this.st = { ...this.st, balance: { confirmedSats: b.confirmedSats, unconfirmedSats: b.unconfirmedSats, chain: b.chain, tipHeight: b.tipHeight } }
    } catch (err) {
      this.st = { ...this.st, notice: `wallet balance unavailable: ${friendly(err).message}` }
    }
  }

  private async refreshMarket (): Promise<void> {
    const s = this.session
    if (s === null || this.closing) return
    const info = await marketInfo({ ...s, peers: s.market.connections })
    const settings = await getSettings(s.market.view)
    this.st = {
      ...this.st,
      peers: s.market.connections,
      sync: this.st.sync === 'synced' || this.st.sync === 'offline' ? (s.market.connections > 0 ? 'synced' : this.st.sync === 'synced' ? 'synced' : 'offline') : this.st.sync,
      market: { key: info.key, name: info.name, id: info.id, writer: info.writer, jobs: info.jobs, byStatus: info.byStatus, chain: settings.chain, depositPct: settings.depositPct }
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
        void this.escrowSteps()
      }, () => {})
    }, 100)
  }

  private async escrowSteps (): Promise<void> {
    const s = this.session
    if (s === null || s.escrow === null || this.escrowBusy || this.closing) return
    this.escrowBusy = true
    try { await runEscrowSteps(this.ctx, s.escrow, 2000) } catch {} finally { this.escrowBusy = false }
  }

  state (): AppState { return this.st }

  subscribe (onChange: () => void): () => void {
    this.listeners.add(onChange)
    return () => { this.listeners.delete(onChange) }
  }

  private need (): Session {
    if (this.session === null) throw new P2PrintError('NO_MARKET', 'no market yet: create one or join one with its key')
    return this.session
  }

  private cmdCtx (): Ctx {
    return { ...this.ctx, session: this.need() }
  }

  async createMarket (name: string): Promise<void> {
    if (name.length > LIMITS.marketNameChars) throw new P2PrintError('BAD_ARGUMENT', `the name is longer than ${LIMITS.marketNameChars} characters`)
    const market = await this.peer!.createMarket(name)
    await this.attach(market)
    this.changed()
  }

  async joinMarket (keyText: string): Promise<void> {
    const key = parseKey(keyText.trim())
    if (key === null) throw new P2PrintError('UNKNOWN_MARKET', 'that is not a market key: paste the 52-character key the market\'s creator shared (`p2print market info` shows it)')
    const market = await this.peer!.joinMarket(key)
    await this.attach(market)
    this.changed()
  }

  async mnemonic (): Promise<string> {
    return (await Wallet.load(this.opts.storage, { network: bitcoin.networks.bitcoin })).mnemonic
  }

  private async row (job: JobRecord, confirmed: boolean): Promise<JobRow> {
    const s = this.need()
    const client = await peerSummary(s.market.view, job.client)
    return {
      id: jobIdString(job.id),
      title: printable(job.title),
      status: job.status,
      material: job.material,
      colors: job.colors.map(c => printable(c)),
      bountySats: job.bountySats,
      bountyBtc: formatBtc(job.bountySats),
      country: job.country,
      fileBytes: job.file === null ? null : job.file.byteLength,
      clientRating: client.rating.average,
      clientRatings: client.rating.count,
      role: roleOf(job, s.market.writerKey),
      confirmed
    }
  }

  // The view query of the market table's filters (the CLI's own parsers and messages).
  private jobQuery (f: JobFilters): JobQuery {
    const q: JobQuery = {}
    if (f.status !== 'all') q.status = f.status ?? 'open'
    if (f.material !== undefined && f.material.trim() !== '') q.material = parseMaterial(f.material)
    if (f.country !== undefined && f.country.trim() !== '') {
      q.country = f.country.trim().toUpperCase()
      const bad = parsePatchError({ country: q.country })
      if (bad !== null) throw new P2PrintError('BAD_ARGUMENT', bad)
    }
    if (f.minBounty !== undefined && f.minBounty.trim() !== '') q.minBountySats = parseBounty(f.minBounty.trim(), 'min bounty')
    const text = (f.text ?? '').trim().toLowerCase()
    if (text !== '') q.text = text
    return q
  }

  // Up to n hits from a cursor; a title search may stop on its read budget before n, so it goes on from there.
  private async fillPage (q: JobQuery, start: Uint8Array | null, n: number): Promise<Array<JobView & { key: Uint8Array }>> {
    const s = this.need()
    const items: Array<JobView & { key: Uint8Array }> = []
    let after = start
    while (items.length < n) {
      const got = await s.market.jobPage({ ...q, limit: n - items.length }, after)
      items.push(...got.items)
      if (got.next === null) break
      after = got.next
    }
    return items
  }

  // Newest first: each page starts from the index key the page before it ended on (kept per filter), so page 200
  // costs what page 1 does; jobs that arrive meanwhile show on page 1 without shifting the pages already seen.
  // By bounty: the filter's index entries (no records) sorted once per market change, then one page of records.
  async queryJobs (f: JobFilters, page: number, pageSize: number): Promise<JobPage> {
    try {
      const s = this.need()
      const q = this.jobQuery(f)
      const filterKey = JSON.stringify({ ...q, sort: f.sort ?? 'newest', pageSize })
      if (this.pages === null || this.pages.filterKey !== filterKey) this.pages = { filterKey, cursors: [null], sorted: null }
      const cache = this.pages
      if (f.sort === 'bounty') {
        if (cache.sorted === null || cache.version !== this.version) {
          const hits = await s.market.jobBounties(q)
          hits.sort((a, b) => b.bountySats - a.bountySats || b4a.compare(a.key, b.key))
          cache.sorted = hits
          cache.version = this.version
        }
        const from = page * pageSize
        const found: JobView[] = []
        let matched = 0
        // without a title search the order is the page; with one, records are read in bounty order until it is full
        for (let i = q.text === undefined ? from : 0; i < cache.sorted.length && found.length <= pageSize; i++) {
          const v = await s.market.getJob(cache.sorted[i].id)
          if (v === null || (q.status !== undefined && v.job.status !== q.status) || !titleMatches(v.job, q)) continue
          if (q.text !== undefined && matched++ < from) continue
          found.push(v)
        }
        const rows = await Promise.all(found.slice(0, pageSize).map(v => this.row(v.job, v.confirmed)))
        return { rows, page, pageSize, hasMore: found.length > pageSize }
      }
      // walk forward from the nearest page whose start is known
      for (let k = Math.min(page, cache.cursors.length - 1); k <= page; k++) {
        const items = await this.fillPage(q, cache.cursors[k] ?? null, pageSize + 1)
        if (items.length > pageSize) cache.cursors[k + 1] = items[pageSize - 1].key
        if (k === page) {
          const rows = await Promise.all(items.slice(0, pageSize).map(v => this.row(v.job, v.confirmed)))
          return { rows, page, pageSize, hasMore: items.length > pageSize }
        }
        if (items.length <= pageSize) break // fewer pages than asked for
      }
      return { rows: [], page, pageSize, hasMore: false }
    } catch (err) { throw friendly(err) }
  }

  async myJobs (): Promise<MyJobs> {
    const s = this.need()
    const list = await s.market.jobs({ mine: s.market.writerKey, limit: 500 })
    const rows = await Promise.all(list.map(v => this.row(v.job, v.confirmed)))
    const needs = (r: JobRow): boolean => (r.role === 'printer' && r.status === 'active') || (r.role === 'client' && r.status === 'shipped')
    const group = (role: Role): Array<{ status: Status, rows: JobRow[] }> =>
      STATUSES.map(st => ({ status: st, rows: rows.filter(r => r.role === role && r.status === st && !needs(r)) })).filter(g => g.rows.length > 0)
    return { needsAction: rows.filter(needs), asClient: group('client'), asPrinter: group('printer') }
  }

  async getJob (id: string): Promise<JobDetail> {
    try {
      const s = this.need()
      await s.market.update()
      const v = await resolveJob(s.market, id)
      const settings = await getSettings(s.market.view)
      const network = s.escrow?.conn.network
      const job: JobJSON = { ...jobToJSON(v.job, v.confirmed, network === undefined ? {} : { network }), ...(await jobRecords(s.market.view, v.job)) }
      return {
        job,
        role: roleOf(v.job, s.market.writerKey),
        actions: allowedActions(v.job, s.market.writerKey, settings.chain !== ''),
        escrowChain: settings.chain,
        dispute: disputeJSON(v.job.dispute),
        review: await this.reviewState(v.job)
      }
    } catch (err) { throw friendly(err) }
  }

  private async reviewState (job: JobRecord): Promise<ReviewState> {
    const s = this.need()
    const me = s.market.writerKey
    if (roleOf(job, me) === 'other') return { can: false, why: null, mine: null }
    const r = await getReview(s.market.view, job.id, me)
    if (r !== null) return { can: false, why: null, mine: { rating: r.rating, text: r.text } }
    const why = reviewRefusal(job, me, 5)
    return { can: why === null, why, mine: null }
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
    if (first !== undefined) throw new P2PrintError('BAD_ARGUMENT', first)
    try {
      // `job create --file` reports a peer taking the model as events; here they go to the caller
      const ctx: Ctx = { ...this.cmdCtx(), emit: (tag, data) => { if (tag === 'upload-progress') onUpload?.(data as unknown as DownloadProgress); else this.ctx.emit(tag, data) } }
      const r = await jobCreate(ctx, draftFlags(d))
      this.changed()
      return (r.data as JobJSON).id
    } catch (err) { throw friendly(err) }
  }

  async act (id: string, action: ActionName, text = ''): Promise<JobJSON> {
    const ctx = this.cmdCtx()
    try {
      if (action === 'accept-proposal') return await this.answerProposal(id, true)
      if (action === 'reject-proposal') return await this.answerProposal(id, false, text)
      const r = action === 'accept' ? await jobAccept(ctx, id)
        : action === 'ship' ? await jobShip(ctx, id, text)
          : action === 'complete' ? await jobComplete(ctx, id)
            : action === 'withdraw' ? await jobWithdraw(ctx, id)
              : action === 'cancel' ? await jobCancel(ctx, id)
                : await jobDispute(ctx, id, text)
      this.changed()
      return r.data as JobJSON
    } catch (err) { throw friendly(err) }
  }

  async chat (id: string, send?: string): Promise<ChatData> {
    try {
      const r = await chatCommand(this.cmdCtx(), id, send)
      if (send !== undefined) this.changed()
      return r.data
    } catch (err) { throw friendly(err) }
  }

  // --- wallet ------------------------------------------------------------------------------------------------------

  // The wallet commands run on the session with the market's chain unless --chain named one.
  private async walletCtx (): Promise<Ctx> {
    const s = this.need()
    await this.ensureEscrow().catch(() => null)
    const chain = (await getSettings(s.market.view)).chain
    return { ...this.cmdCtx(), chain: this.ctx.chain ?? (chain === '' ? null : chain as ChainName) }
  }

  async wallet (): Promise<WalletInfo> {
    try {
      const ctx = await this.walletCtx()
      const backend = ctx.bitcoinRpc !== null || ctx.esplora !== null
      let balance: WalletInfo['balance'] = null
      let balanceError: string | null = null
      let chain: string = ctx.chain ?? this.receive?.chain ?? (ctx.bitcoinRpc !== null ? 'the node\'s chain' : 'testnet')
      if (backend) {
        try {
          const b = data(await walletBalance(ctx), 'balance')
          balance = { confirmedSats: b.confirmedSats, unconfirmedSats: b.unconfirmedSats }
          chain = b.chain
          this.st = { ...this.st, balance: { ...balance, chain, tipHeight: b.tipHeight } }
        } catch (err) {
          balanceError = `the balance is unavailable: ${friendly(err).message}`
        }
      }
      return { chain, backend, hint: backend ? null : NO_BACKEND_HINT, balance, balanceError, escrows: await this.escrowRows() }
    } catch (err) { throw friendly(err) }
  }

  private async escrowRows (): Promise<EscrowRow[]> {
    const s = this.need()
    const me = s.market.writerKey
    const chain = (await getSettings(s.market.view)).chain
    if (chain === '') return []
    const network = s.escrow?.conn.network ?? networkFor(chain as ChainName, 'core')
    const list = await s.market.jobs({ mine: me, limit: 500 })
    const rows: EscrowRow[] = []
    for (const v of list) {
      if (v.job.escrow == null) continue
      const e = jobToJSON(v.job, v.confirmed, { network }).escrow
      if (e === null) continue
      const role = roleOf(v.job, me)
      const mine = e.amounts === null ? null : Number(role === 'client' ? e.amounts.clientInSats : e.amounts.printerInSats)
      rows.push({ id: jobIdString(v.job.id), title: v.job.title, status: v.job.status, role, state: e.state, mySats: mine, totalSats: e.amounts === null ? null : Number(e.amounts.totalSats), address: e.address, payoutTxid: e.payout?.txid ?? null })
    }
    return rows
  }

  async receiveAddress (fresh = false): Promise<ReceiveInfo> {
    try {
      if (this.receive !== null && !fresh) return this.receive
      const a = data(await walletAddress(await this.walletCtx()), 'address')
      this.receive = { ...a, qr: qrMatrix(qrTextForUri(a.uri)) }
      return this.receive
    } catch (err) { throw friendly(err) }
  }

  validateSend (address: string, btc: string): SendErrors { return validateSend(address, btc) }

  async planSend (address: string, btc: string): Promise<SendPlan> {
    const errors = validateSend(address, btc)
    const first = errors.address ?? errors.amount
    if (first !== undefined) throw new P2PrintError('BAD_ARGUMENT', first)
    try {
      return await walletSendPlan(await this.walletCtx(), address, btc)
    } catch (err) { throw friendly(err) }
  }

  // Sends exactly what was confirmed: the same amount at the fee rate of the plan (`wallet send … --fee-rate`).
  async send (plan: SendPlan): Promise<SentInfo> {
    try {
      // at the fee rate shown, and never for a higher fee than the one confirmed
      const r = data(await walletSend(await this.walletCtx(), plan.address, formatBtc(plan.sentSats), String(plan.feeRate), String(plan.feeSats)), 'sent')
      void this.refreshBalance().then(() => this.changed())
      return { txid: r.txid, address: r.address, sentSats: r.sentSats, feeSats: r.feeSats, feeRate: r.feeRate }
    } catch (err) { throw friendly(err) }
  }

  // --- mediation ---------------------------------------------------------------------------------------------------

  async disputes (): Promise<DisputesInfo> {
    try {
      return data(await disputeList(this.cmdCtx()), 'disputes')
    } catch (err) { throw friendly(err) }
  }

  validatePct (text: string, what: 'fee' | 'printer'): string | null { return validatePct(text, what) }

  async registerMediator (feePct: string): Promise<MediatorInfo> {
    const bad = validatePct(feePct, 'fee')
    if (bad !== null) throw new P2PrintError('BAD_ARGUMENT', bad)
    try {
      const r = data(await mediatorRegister(this.cmdCtx(), feePct.trim()), 'mediator')
      this.changed()
      return r
    } catch (err) { throw friendly(err) }
  }

  async propose (id: string, printerPct: string, note: string): Promise<JobJSON> {
    const bad = validatePct(printerPct, 'printer')
    if (bad !== null) throw new P2PrintError('BAD_ARGUMENT', bad)
    try {
      await this.ensureEscrow().catch(() => null)
      const r = data(await disputePropose(this.cmdCtx(), id, printerPct.trim(), note), 'job')
      this.changed()
      return r
    } catch (err) { throw friendly(err) }
  }

  async answerProposal (id: string, accept: boolean, note = ''): Promise<JobJSON> {
    try {
      if (accept) await this.ensureEscrow()
      const r = data(accept ? await disputeAccept(this.cmdCtx(), id) : await disputeReject(this.cmdCtx(), id, note), 'job')
      this.changed()
      return r
    } catch (err) { throw friendly(err) }
  }

  async rule (id: string, printerPct: string, note: string): Promise<{ printerPct: number, txid: string }> {
    const bad = validatePct(printerPct, 'printer')
    if (bad !== null) throw new P2PrintError('BAD_ARGUMENT', bad)
    try {
      await this.ensureEscrow()
      const r = data(await disputeRule(this.cmdCtx(), id, undefined, { printerPct: printerPct.trim(), note }), 'ruled')
      this.changed()
      return { printerPct: r.printerPct, txid: r.txid }
    } catch (err) { throw friendly(err) }
  }

  // --- job extras --------------------------------------------------------------------------------------------------

  // `job download` / `job preview` report their progress as events; here they go to the caller, not the terminal
  private progressCtx (onProgress: (p: DownloadProgress) => void): Ctx {
    return {
      ...this.cmdCtx(),
      emit: (tag, d) => {
        if (tag === 'download-start') onProgress({ bytes: 0, total: Number(d?.total ?? 0), rate: 0, etaSecs: null })
        else if (tag === 'download-progress') onProgress(d as unknown as DownloadProgress)
        else this.ctx.emit(tag, d)
      }
    }
  }

  async previewJob (id: string, width: number, onProgress: (p: DownloadProgress) => void): Promise<ModelPreview> {
    try {
      const ctx = this.progressCtx(onProgress)
      const r = data(await jobPreview(ctx, id, { width: Math.max(20, Math.min(width, 100)), color: false }), 'analysis')
      return { name: r.file, previews: r.previews }
    } catch (err) { throw friendly(err) }
  }

  async download (id: string, outDir: string, onProgress: (p: DownloadProgress) => void): Promise<DownloadDone> {
    try {
      const ctx = this.progressCtx(onProgress)
      const r = data(await jobDownload(ctx, id, path.resolve(outDir.trim() === '' ? '.' : outDir.trim())), 'download')
      return { file: r.file, files: r.files, bytes: r.bytes, sha256: r.sha256, ms: r.ms }
    } catch (err) { throw friendly(err) }
  }

  validateReview (rating: string, text: string): ReviewErrors { return validateReview(rating, text) }

  async review (id: string, rating: string, text: string): Promise<{ rating: number, subject: string }> {
    const errors = validateReview(rating, text)
    const first = errors.rating ?? errors.text
    if (first !== undefined) throw new P2PrintError('BAD_ARGUMENT', first)
    try {
      const r = data(await jobReview(this.cmdCtx(), id, rating.trim(), text), 'review')
      this.changed()
      return { rating: r.rating, subject: r.subject }
    } catch (err) { throw friendly(err) }
  }

  // --- files held and served ---------------------------------------------------------------------------------------

  async seeder (): Promise<SeederInfo> {
    try {
      const s = this.need()
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
      const run = this.seederRun
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
        bytesServed: this.ownServed + (run?.seeder.bytesServed ?? 0),
        events: run?.events.slice(-6) ?? []
      }
    } catch (err) { throw friendly(err) }
  }

  // Runs the FileSeeder of `p2print seed` (its default quota and retention) in this session while the app runs.
  async setSeeding (on: boolean): Promise<SeederInfo> {
    const s = this.need()
    if (on && this.seederRun === null) {
      const events: string[] = []
      const seeder = new FileSeeder(s.market, {
        ...SEED_DEFAULTS,
        stallMs: Math.max(this.ctx.syncTimeoutMs, 5000),
        countOwnUploads: false, // counted by the session itself (ownServed)
        emit: (tag, d) => {
          events.push(seederEvent(tag, d))
          if (events.length > 50) events.shift()
          this.changed()
        }
      })
      this.seederRun = { seeder, events }
      try {
        await seeder.start()
      } catch (err) {
        this.seederRun = null
        throw friendly(err)
      }
    } else if (!on && this.seederRun !== null) {
      const run = this.seederRun
      this.seederRun = null
      await run.seeder.stop()
    }
    return this.seeder()
  }

  async close (): Promise<void> {
    if (this.closing) return
    this.closing = true
    if (this.changeTimer !== null) clearTimeout(this.changeTimer)
    if (this.balanceTimer !== null) clearInterval(this.balanceTimer)
    this.listeners.clear()
    if (this.seederRun !== null) await this.seederRun.seeder.stop().catch(() => {})
    this.stopOwnCount?.()
    const s = this.session
    if (s?.escrow != null) await s.escrow.conn.backend?.close().catch(() => {})
    await this.peer?.close()
  }
}

// The data of a command's result of one kind (the commands' Result union, narrowed).
type DataOf<K extends Result['kind']> = Extract<Result, { kind: K }>['data']
function data<K extends Result['kind']> (r: Result, kind: K): DataOf<K> {
  if (r.kind !== kind) throw new P2PrintError('INTERNAL', `expected a ${kind} result, got ${r.kind}`)
  const d: unknown = r.data
  return d as DataOf<K>
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

function parsePatchError (p: { country: string }): string | null {
  try { parsePatch({ country: p.country }); return null } catch (err) { return (err as Error).message }
}

export { peerId }
