// The one interface the terminal UI (ui/) talks to: a long-lived session over a Peer, its current Market and (in a
// market with escrow, when a Bitcoin backend is configured) the escrow engine. It keeps the peer open and the swarm
// connected for its whole life, and every action it offers is a CLI command run on this session (lib/commands/*
// through Ctx.session), so the UI can do nothing the command line cannot.
import path from 'path'
import { openPeer, type Ctx, type Session, type Bootstrap } from './commands/context.js'
import { marketInfo } from './commands/market.js'
import { jobCreate, jobAccept, jobShip, jobComplete, jobCancel, jobDispute, jobWithdraw, resolveJob, parsePatch, parseMaterial, parseBounty } from './commands/jobs.js'
import { chatCommand, type ChatData } from './commands/chat.js'
import { openEscrow, runEscrowSteps } from './commands/escrow.js'
import { loadModelFile } from './commands/files.js'
import { openChain } from './commands/wallet.js'
import { getSettings } from './market/view.js'
import type { Peer } from './peer.js'
import type { ChainName } from './escrow/chain.js'
import { Wallet } from './escrow/wallet.js'
import * as bitcoin from 'bitcoinjs-lib'
import { jobToJSON, type JobJSON } from './job/json.js'
import { checkTransition, roleOf, type Role } from './job/state.js'
import { jobRecords, peerSummary } from './reputation/query.js'
import { OP, MATERIALS, STATUSES, LIMITS, type JobRecord, type OpType, type Status, type FileSummary } from './schema.js'
import type { JobQuery } from './market/view.js'
import { parseKey, peerId, jobIdString } from './ids.js'
import { parseBtc, formatBtc } from './btc.js'
import { P2PrintError } from './errors.js'

export { MATERIALS, STATUSES, formatBtc }
export type { JobJSON, ChatData, Status, FileSummary }

export interface AppOptions {
  storage: string
  bootstrap: Bootstrap[] | null
  marketKey?: Uint8Array | null
  chain?: ChainName | null
  bitcoinRpc?: string | null
  esplora?: string | null
  syncTimeoutMs?: number // how long an action waits for a peer to take what it wrote (default 5 s)
}

export type SyncState = 'no-market' | 'connecting' | 'syncing' | 'synced' | 'offline'

export interface AppState {
  storage: string
  hasMarket: boolean
  walletCreated: boolean // this run created the wallet: show its recovery phrase once
  peers: number
  sync: SyncState
  market: { key: string, name: string, id: string, writer: boolean, jobs: number, byStatus: Record<string, number>, chain: string } | null
  balance: { confirmedSats: number, unconfirmedSats: number, chain: string } | null
  notice: string | null // a background problem, said once (e.g. the Bitcoin backend is unreachable)
}

export interface JobFilters {
  status?: Status | 'all' // default open
  material?: string
  country?: string
  minBounty?: string // BTC
  text?: string // in the title (applied to the index hits read, see queryJobs)
  sort?: 'newest' | 'bounty' | 'title'
}

export interface JobRow {
  id: string
  title: string
  status: Status
  material: string
  colors: string[]
  bountySats: number
  bountyBtc: string
  country: string
  fileBytes: number | null
  clientRating: number | null
  clientRatings: number
  role: Role
  confirmed: boolean
}

export interface JobPage { rows: JobRow[], page: number, pageSize: number, hasMore: boolean }

export type ActionName = 'accept' | 'withdraw' | 'ship' | 'complete' | 'cancel' | 'dispute'
export interface ActionInfo { action: ActionName, needsText: 'none' | 'optional' | 'required', label: string }

export interface JobDetail {
  job: JobJSON
  role: Role
  actions: ActionInfo[] // allowed to this peer in this state (checkTransition)
  escrowChain: string // '' in a market without escrow
}

export interface MyJobs {
  needsAction: JobRow[] // jobs waiting for this peer (ship as printer, complete as client)
  asClient: Array<{ status: Status, rows: JobRow[] }>
  asPrinter: Array<{ status: Status, rows: JobRow[] }>
}

export interface JobDraft { title: string, material: string, colors: string, bounty: string, country: string, notes: string, file: string }
export type DraftErrors = Partial<Record<keyof JobDraft, string>>

export interface FilePreview { name: string, bytes: number, summary: FileSummary }

// What ui/ needs; AppSession implements it, tests implement it with a fake.
export interface AppCore {
  state (): AppState
  subscribe (onChange: () => void): () => void
  createMarket (name: string): Promise<void>
  joinMarket (keyText: string): Promise<void>
  mnemonic (): Promise<string>
  queryJobs (filters: JobFilters, page: number, pageSize: number): Promise<JobPage>
  myJobs (): Promise<MyJobs>
  getJob (id: string): Promise<JobDetail>
  validateDraft (draft: JobDraft): DraftErrors
  analyzeFile (file: string): Promise<FilePreview>
  createJob (draft: JobDraft): Promise<string>
  act (id: string, action: ActionName, text?: string): Promise<JobJSON>
  chat (id: string, send?: string): Promise<ChatData>
  close (): Promise<void>
}

const ACTIONS: Array<{ op: OpType, action: ActionName, needsText: ActionInfo['needsText'], label: string }> = [
  { op: OP.JOB_ACCEPT, action: 'accept', needsText: 'none', label: 'accept this job (you print it)' },
  { op: OP.JOB_SHIP, action: 'ship', needsText: 'optional', label: 'mark as shipped (note: tracking…)' },
  { op: OP.JOB_COMPLETE, action: 'complete', needsText: 'none', label: 'confirm receipt: complete' },
  { op: OP.JOB_WITHDRAW, action: 'withdraw', needsText: 'none', label: 'withdraw (give the job back)' },
  { op: OP.JOB_CANCEL, action: 'cancel', needsText: 'none', label: 'cancel the job' },
  { op: OP.JOB_DISPUTE, action: 'dispute', needsText: 'required', label: 'open a dispute (reason)' }
]

// Actions this peer may take on a job, in the order the UI lists them.
export function allowedActions (job: Pick<JobRecord, 'client' | 'printer' | 'status'> & { escrow?: unknown }, me: Uint8Array, escrowMarket: boolean): ActionInfo[] {
  const escrowed = (job.escrow !== null && job.escrow !== undefined) || (job.status === 'open' && escrowMarket)
  const out: ActionInfo[] = []
  for (const a of ACTIONS) {
    let ok = checkTransition(job, a.op, me, escrowed).ok
    // an escrowed, funded job is cancelled by agreement of both sides (`job cancel` signs the cancel payout)
    if (!ok && a.action === 'cancel' && escrowed && (job.status === 'active' || job.status === 'shipped') && roleOf(job, me) !== 'other') ok = true
    if (ok) out.push({ action: a.action, needsText: a.needsText, label: a.label })
  }
  return out
}

// Field-by-field validation of the post form, with the CLI's own parsers and messages.
export function validateDraft (d: JobDraft): DraftErrors {
  const errors: DraftErrors = {}
  const one = (field: keyof JobDraft, fn: () => unknown): void => {
    try { fn() } catch (err) { errors[field] = (err as Error).message }
  }
  if (d.title.trim().length === 0) errors.title = 'a title is needed'
  else one('title', () => parsePatch({ title: d.title }))
  if (d.material.trim().length === 0) errors.material = `a material is needed: one of ${MATERIALS.join(', ')}`
  else one('material', () => parseMaterial(d.material))
  if (d.colors.trim().length > 0) one('colors', () => parsePatch({ color: [d.colors] }))
  if (d.bounty.trim().length === 0) errors.bounty = 'a bounty in BTC is needed, e.g. 0.0005'
  else if (parseBtc(d.bounty.trim()) === null) errors.bounty = `${JSON.stringify(d.bounty)} is not an amount in BTC: a decimal number with at most 8 decimals, e.g. 0.0005`
  else one('bounty', () => parseBounty(d.bounty.trim()))
  if (d.country.trim().length === 0) errors.country = 'a country is needed: an ISO 3166 code such as DE, US, JP'
  else one('country', () => parsePatch({ country: d.country }))
  if (d.notes.length > 0) one('notes', () => parsePatch({ notes: d.notes }))
  return errors
}

function draftFlags (d: JobDraft): { title: string, material: string, color: string[], bounty: string, country: string, notes: string, file?: string } {
  return {
    title: d.title,
    material: d.material,
    color: d.colors.trim().length === 0 ? [] : [d.colors],
    bounty: d.bounty.trim(),
    country: d.country,
    notes: d.notes,
    ...(d.file.trim().length > 0 ? { file: path.resolve(d.file.trim()) } : {})
  }
}

function friendly (err: unknown): Error {
  if (err instanceof P2PrintError) return err
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
    this.session = { peer, market, peers: 0, escrow: null }
    this.st = { ...this.st, hasMarket: true, sync: 'connecting' }
    await this.refreshMarket()
    market.on('update', () => this.changed())
    market.on('peer-add', () => this.changed())
    market.on('peer-remove', () => this.changed())
    market.on('warning', () => {})
    void this.catchUp()
  }

  private async catchUp (): Promise<void> {
    const s = this.session!
    try {
      const peers = await s.market.sync(10_000)
      if (this.closing) return
      this.st = { ...this.st, sync: peers === 0 ? 'offline' : 'synced' }
      // a market with escrow and a backend: the engine runs for the app's lifetime
      try {
        s.escrow = await openEscrow(this.ctx, s.peer, s.market, false)
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
      const conn = await openChain(this.ctx, { needBackend: true })
      try {
        const w = await Wallet.load(this.opts.storage, { network: conn.network })
        const b = await w.balance(conn.backend!)
        this.st = { ...this.st, balance: { confirmedSats: Number(b.confirmedSats), unconfirmedSats: Number(b.unconfirmedSats), chain: conn.chain } }
      } finally {
        await conn.backend?.close()
      }
    } catch (err) {
      this.st = { ...this.st, notice: `wallet balance unavailable: ${(err as Error).message}` }
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
      market: { key: info.key, name: info.name, id: info.id, writer: info.writer, jobs: info.jobs, byStatus: info.byStatus, chain: settings.chain }
    }
  }

  // market 'update' and connection changes arrive in bursts: one refresh and one notification per 100 ms
  private changed (): void {
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
      title: job.title,
      status: job.status,
      material: job.material,
      colors: job.colors,
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

  // Newest first from the view's indexes (range reads): page p reads (p + 1) × size + 1 matching index entries,
  // never the job records of other pages. The text filter applies to the entries read, widening the read up to
  // 1 000 entries; the bounty and title sorts order the page's window.
  async queryJobs (f: JobFilters, page: number, pageSize: number): Promise<JobPage> {
    try {
      const s = this.need()
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
      const want = (page + 1) * pageSize + 1
      q.limit = text === '' ? want : 1000
      let list = await s.market.jobs(q)
      if (text !== '') list = list.filter(v => v.job.title.toLowerCase().includes(text)).slice(0, want)
      const hasMore = list.length > (page + 1) * pageSize
      let window = list.slice(page * pageSize, (page + 1) * pageSize)
      if (f.sort === 'bounty') window = window.slice().sort((a, b) => b.job.bountySats - a.job.bountySats)
      else if (f.sort === 'title') window = window.slice().sort((a, b) => a.job.title.localeCompare(b.job.title))
      const rows = await Promise.all(window.map(v => this.row(v.job, v.confirmed)))
      return { rows, page, pageSize, hasMore }
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
      return { job, role: roleOf(v.job, s.market.writerKey), actions: allowedActions(v.job, s.market.writerKey, settings.chain !== ''), escrowChain: settings.chain }
    } catch (err) { throw friendly(err) }
  }

  validateDraft (d: JobDraft): DraftErrors { return validateDraft(d) }

  async analyzeFile (file: string): Promise<FilePreview> {
    try {
      const m = await loadModelFile(path.resolve(file.trim()))
      return { name: m.name, bytes: m.bytes.byteLength, summary: m.summary }
    } catch (err) { throw friendly(err) }
  }

  async createJob (d: JobDraft): Promise<string> {
    const errors = validateDraft(d)
    const first = Object.values(errors)[0]
    if (first !== undefined) throw new P2PrintError('BAD_ARGUMENT', first)
    try {
      const r = await jobCreate(this.cmdCtx(), draftFlags(d))
      this.changed()
      return (r.data as JobJSON).id
    } catch (err) { throw friendly(err) }
  }

  async act (id: string, action: ActionName, text = ''): Promise<JobJSON> {
    const ctx = this.cmdCtx()
    try {
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

  async close (): Promise<void> {
    if (this.closing) return
    this.closing = true
    if (this.changeTimer !== null) clearTimeout(this.changeTimer)
    if (this.balanceTimer !== null) clearInterval(this.balanceTimer)
    this.listeners.clear()
    const s = this.session
    if (s?.escrow != null) await s.escrow.conn.backend?.close().catch(() => {})
    await this.peer?.close()
  }
}

function parsePatchError (p: { country: string }): string | null {
  try { parsePatch({ country: p.country }); return null } catch (err) { return (err as Error).message }
}

export { peerId }
