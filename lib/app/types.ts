// The shapes the terminal UI gets from the core: the AppCore interface (lib/app.ts implements it, the UI tests fake
// it) and everything its methods take and return.
import type { Bootstrap, P2Print, EscrowView } from '../service/p2print.js'
import type { ChatData } from '../service/chat.js'
import type { QuotesResult, QuoteJSON } from '../service/quotes.js'
import type { AddressResult } from '../service/address.js'
import type { SendPlan } from '../service/wallet.js'
import type { ChainName } from '../escrow/chain.js'
import type { JobJSON } from '../job/json.js'
import type { Role } from '../job/state.js'
import type { Status, FileSummary } from '../schema.js'
import type { QrMatrix } from '../qr.js'
import type { SettingsJSON, IndexersJSON } from '../service/settings.js'
import type { ProfileJSON, PeerSummaryJSON } from '../reputation/query.js'
import type { DisputeJSON as DisputeInfo, MediatorJSON as MediatorInfo, DisputeList as DisputesInfo } from '../disputes/json.js'

export interface AppOptions {
  storage: string
  bootstrap: Bootstrap[] | null
  marketKey?: Uint8Array | null
  chain?: ChainName | null
  bitcoinRpc?: string | null
  esplora?: string | null
  blindPeers?: Uint8Array[] // lib/market/blind.ts
  syncTimeoutMs?: number // how long an action waits for a peer to take what it wrote (default 5 s)
  host?: (p: P2Print) => Promise<{ close: () => Promise<void> }> // serve the commands run on this storage (lib/sidecar)
}

export type SyncState = 'no-market' | 'connecting' | 'syncing' | 'synced' | 'offline'

export interface AppState {
  storage: string
  hasMarket: boolean
  walletCreated: boolean // this run created the wallet: show its recovery phrase once
  peers: number
  sync: SyncState
  market: { key: string, name: string, id: string, writer: boolean, jobs: number, byStatus: Record<string, number>, chain: string, depositPct: number } | null
  balance: { confirmedSats: number, unconfirmedSats: number, chain: string, tipHeight: number } | null
  notice: string | null // a background problem (e.g. the Bitcoin backend is unreachable), until the same thing works again
  alerts?: AlertCounts // what needs this peer, and new jobs matching its saved searches (lib/app/notices.ts)
}

export interface JobFilters {
  status?: Status | 'all' // default open
  material?: string
  country?: string
  minBounty?: string // BTC
  text?: string // words that must all be in the title (searched over every job the other filters match)
  sort?: 'newest' | 'bounty'
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
  quotes?: number // live quotes on it
  offerToMe?: boolean // its client offers it to this peer: accepting makes the deal
}

export interface JobPage { rows: JobRow[], page: number, pageSize: number, hasMore: boolean }

export type ActionName = 'accept' | 'withdraw' | 'ship' | 'complete' | 'cancel' | 'dispute' | 'accept-proposal' | 'reject-proposal' | 'release'
export interface ActionInfo { action: ActionName, needsText: 'none' | 'optional' | 'required', label: string }

export interface ReviewState {
  can: boolean // this peer may leave its review now
  why: string | null // why not (when it cannot and has not reviewed)
  mine: { rating: number, text: string } | null // the review this peer left
}

export interface JobDetail {
  job: JobJSON
  role: Role
  actions: ActionInfo[] // allowed to this peer in this state (checkTransition, and answers to a proposal)
  escrowChain: string // '' in a market without escrow
  dispute: DisputeInfo | null
  review: ReviewState
  escrowLog: string[] // what this peer's escrow engine did or refused for this job while the app runs, newest last
}

export interface EscrowRow {
  id: string
  title: string
  status: Status
  role: Role
  state: string // lib/escrow/engine.ts EscrowState
  mySats: number | null // what this peer puts in (bounty + deposit, or the deposit)
  totalSats: number | null
  address: string | null
  payoutTxid: string | null
}

export interface WalletInfo {
  chain: string
  backend: boolean // a Bitcoin backend (--bitcoin-rpc / --esplora) is configured
  hint: string | null // without one: what to start p2print with
  balance: { confirmedSats: number, unconfirmedSats: number } | null
  balanceError: string | null
  escrows: EscrowRow[]
}

export interface ReceiveInfo { address: string, uri: string, path: string, chain: string, qr: QrMatrix }
export interface SentInfo { txid: string, address: string, sentSats: number, feeSats: number, feeRate: number }
export type SendErrors = Partial<Record<'address' | 'amount', string>>

// The dispute shapes are lib/disputes/json.ts's, the same the CLI prints with --json.
export type { DisputeJSON as DisputeInfo, MediatorJSON as MediatorInfo, DisputeRow, DisputeRole, DisputeMove, DisputeList as DisputesInfo } from '../disputes/json.js'
export { disputeJSON as disputeInfo, disputeMoves } from '../disputes/json.js'

export type ReviewErrors = Partial<Record<'rating' | 'text', string>>

export interface DownloadProgress { bytes: number, total: number, rate: number, etaSecs: number | null }
export interface ModelPreview { name: string, previews: Array<{ name: string, text: string }> }
export interface DownloadDone { file: string, files: string[], bytes: number, sha256: string, ms: number }

export interface HeldInfo { job: string, name: string, bytes: number, complete: boolean, source: 'yours' | 'mirrored' | 'downloaded' }

export interface SeederInfo {
  running: boolean // this app seeds (the same FileSeeder `p2print seed` runs)
  peers: number
  quotaBytes: number
  keepClosedDays: number
  held: HeldInfo[] // model files stored here
  bytesHeld: number
  bytesServed: number // content bytes peers fetched from this peer since the app started
  events: string[] // the seeder's latest events
}

export interface MyJobs {
  needsAction: JobRow[] // jobs waiting for this peer (ship as printer, complete as client)
  asClient: Array<{ status: Status, rows: JobRow[] }>
  asPrinter: Array<{ status: Status, rows: JobRow[] }>
  quoted?: JobRow[] // open jobs this peer has a live quote on (one offered to it is in needsAction)
}

export interface JobDraft { title: string, material: string, colors: string, bounty: string, country: string, notes: string, file: string, milestones?: string }
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
  createJob (draft: JobDraft, onUpload?: (p: DownloadProgress) => void): Promise<string> // onUpload: a peer taking the model
  act (id: string, action: ActionName, text?: string): Promise<JobJSON>
  chat (id: string, send?: string): Promise<ChatData>
  // wallet (`wallet balance`, `wallet address`, `wallet send`)
  wallet (): Promise<WalletInfo>
  receiveAddress (fresh?: boolean): Promise<ReceiveInfo>
  validateSend (address: string, btc: string): SendErrors
  planSend (address: string, btc: string): Promise<SendPlan>
  send (plan: SendPlan): Promise<SentInfo>
  // mediation (`mediator register`, `dispute propose|accept|reject`, `dispute rule`)
  disputes (): Promise<DisputesInfo>
  validatePct (text: string, what: 'fee' | 'printer'): string | null
  registerMediator (feePct: string): Promise<MediatorInfo>
  propose (id: string, printerPct: string, note: string): Promise<JobJSON>
  answerProposal (id: string, accept: boolean, note?: string): Promise<JobJSON>
  rule (id: string, printerPct: string, note: string): Promise<{ printerPct: number, txid: string }>
  // job extras (`job download`, `job review`)
  download (id: string, outDir: string, onProgress: (p: DownloadProgress) => void): Promise<DownloadDone>
  previewJob (id: string, width: number, onProgress: (p: DownloadProgress) => void): Promise<ModelPreview> // `job preview`
  validateReview (rating: string, text: string): ReviewErrors
  review (id: string, rating: string, text: string): Promise<{ rating: number, subject: string }>
  // files held and served (`p2print seed`)
  seeder (): Promise<SeederInfo>
  setSeeding (on: boolean): Promise<SeederInfo>
  // the market's key, settings and indexers, other markets (lib/app/market.ts); mediators, printers, this peer's
  // printer profile (lib/app/people.ts); the wallet's recovery phrase and restoring one (lib/app/recovery.ts)
  readonly markets: MarketsCore
  readonly people: PeopleCore
  readonly recovery: RecoveryCore
  // editing the client's open job (`job update`) and a job's whole escrow (`escrow ID`) (lib/app/job-tools.ts); chat
  // photos (`chat ID --photo PATH`, `--photos DIR`) (lib/app/photos.ts); saved searches (`search save|list|remove`)
  // and the notices (lib/app/notices.ts)
  readonly jobTools: JobToolsCore
  readonly quotes: QuotesCore // quotes and offers (`job quote|quotes|take-quote|offer`, lib/app/quotes.ts)
  readonly photos: PhotosCore
  readonly searches: SearchesCore
  readonly notices: NoticesCore
  close (): Promise<void>
}

export const NO_BACKEND_HINT = 'no Bitcoin backend is configured: quit (q) and start p2print again with --bitcoin-rpc URL (Bitcoin Core, or `npm run regtest` for a local test node) or --esplora URL'

// --- the market's page (`market info`, `market settings`, `market indexers`, `market join`) ---------------------------

export interface MarketDetail {
  key: string // z-base32, as `market info` prints it and `market join` takes it
  keyHex: string
  qr: QrMatrix // of `key`
  name: string
  id: string // this peer's id in the market
  creator: boolean // this peer created it: it alone sets the settings and names the indexers
  writer: boolean
  indexer: boolean
  peers: number // connected now
  jobs: number
  byStatus: Record<string, number>
  settings: SettingsJSON
  draft: SettingsDraft // the settings as the form shows them
  indexers: IndexersJSON
  marketTime: string | null
  viewHash: string | null
  signedLength: number
  viewLength: number
}

export interface KnownMarket { key: string, created: boolean, open: boolean, name: string | null } // name: of the open one

export interface SettingsDraft { chain: string, arbitrators: string, mediators: string, depositPct: string, arbitrationFeePct: string, fundingDepth: string, fundingTimeoutSecs: string, refundDelayBlocks: string, admissionBits: string, deliveryDays: string, blindPeers: string }
export type SettingsErrors = Partial<Record<keyof SettingsDraft, string>>

export interface MarketsCore {
  detail (): Promise<MarketDetail>
  known (): Promise<KnownMarket[]>
  validateSettings (draft: SettingsDraft, currentChain: string): SettingsErrors
  setSettings (draft: SettingsDraft): Promise<SettingsJSON>
  validatePeerId (text: string): string | null
  changeIndexers (change: 'add' | 'remove', idText: string): Promise<IndexersJSON>
  // switching, joining and creating: AppCore.joinMarket (a known market's key switches to it) and createMarket
}

// --- people (`mediator list`, `printers`, `printer profile`, `printer unlist`) ------------------------------------

export type { ProfileJSON }
export type PrinterRow = ProfileJSON & { record: PeerSummaryJSON }
export interface PrinterFilters { material: string, country: string }
export interface ProfileDraft { materials: string, bed: string, country: string, note: string }
export type ProfileErrors = Partial<Record<keyof ProfileDraft, string>>

export interface PeopleCore {
  mediators (): Promise<{ mediators: MediatorInfo[], rules: string[], named: string[] }> // named: the ids the creator named ([]: any may register)
  validateFilters (f: PrinterFilters): Partial<Record<keyof PrinterFilters, string>>
  printers (f: PrinterFilters): Promise<PrinterRow[]>
  myProfile (): Promise<ProfileJSON | null>
  validateProfile (draft: ProfileDraft): ProfileErrors
  setProfile (draft: ProfileDraft): Promise<{ profile: ProfileJSON | null, shared: boolean }>
  unlist (): Promise<{ profile: ProfileJSON | null, shared: boolean }>
}

// --- the wallet's recovery phrase (`wallet mnemonic`, `wallet restore`) -------------------------------------------

export interface RestoreCheck { fingerprint: string, current: string | null, unchanged: boolean, openEscrows: number }
export interface RestoredInfo { fingerprint: string, movedTo: string | null, unchanged: boolean }

export interface RecoveryCore {
  phrase (): Promise<{ mnemonic: string, fingerprint: string }>
  validate (words: string): string | null // null: a good BIP39 phrase
  check (words: string): Promise<RestoreCheck> // what restoring would do; writes nothing
  restore (words: string): Promise<RestoredInfo>
}

// --- editing a job, its escrow (`job update`, `escrow ID`) ---------------------------------------------------------

export type { EscrowView }

export interface JobToolsCore {
  draftOf (job: JobJSON): JobDraft // the job's fields as the edit form starts them (file: '')
  edit (id: string, draft: JobDraft): Promise<JobJSON> // sends only the fields that changed (BAD_ARGUMENT when none did)
  escrow (id: string): Promise<EscrowView>
  // the client's sealed shipping address (`job address ID`): read (client, printer; mediator and arbitrator in a
  // dispute) and given by the client once the job is active
  address (id: string): Promise<AddressResult>
  validateAddress (d: AddressDraft): AddressErrors
  setAddress (id: string, d: AddressDraft): Promise<JobJSON>
}
export type { AddressResult }
export interface AddressDraft { name: string, street: string, city: string, postcode: string, country: string, phone: string }
export type AddressErrors = Partial<Record<keyof AddressDraft, string>>

// --- quotes and offers (`job quote|withdraw-quote|quotes|take-quote|offer|withdraw-offer`) ----------------------------

export type { QuoteJSON }
export interface QuotesInfo extends QuotesResult {
  role: Role // this peer in the job: its client, its printer, or another peer (who may quote it)
  mine: QuoteJSON | null // this peer's own live quote
  offer: JobJSON['offer'] // the client's standing offer
}
export interface QuoteDraft { price: string, days: string, note: string }
export type QuoteRef = Pick<QuoteJSON, 'printer' | 'revision'> // a quote as the screen showed it
export type QuoteErrors = Partial<Record<keyof QuoteDraft, string>>

export interface QuotesCore {
  list (id: string): Promise<QuotesInfo>
  validate (d: QuoteDraft, counter?: boolean): QuoteErrors // counter: an offer's terms (days may be empty: the quote's)
  quote (id: string, d: QuoteDraft): Promise<JobJSON> // a printer's quote (replaces its last one)
  withdraw (id: string): Promise<JobJSON> // a printer takes its quote back (declining an offer standing to it)
  take (id: string, q: QuoteRef): Promise<JobJSON> // the client offers the job at that quote's terms
  counter (id: string, q: QuoteRef, d: QuoteDraft): Promise<JobJSON> // at other terms
  takeBack (id: string): Promise<JobJSON> // the client takes its offer back
}

// --- chat photos (`chat ID --photo PATH`, `chat ID --photos DIR`) -------------------------------------------------

export interface PhotosCore {
  validateFile (file: string): string | null // a quick check of the path as typed (the photo itself is checked on send)
  validateDir (dir: string): string | null
  send (id: string, file: string, caption: string): Promise<ChatData>
  save (id: string, dir: string): Promise<ChatData> // ChatData.files: the files written
}

// --- saved searches (`search save|list|remove`) and the notices -----------------------------------------------------

export interface SearchDraft { material: string, country: string, minBounty: string }
export type SearchErrors = Partial<Record<keyof SearchDraft | 'all', string>>
export interface SavedSearchInfo { n: number, text: string, material: string | null, country: string | null, minBountyBtc: string }

export interface SearchesCore {
  list (): Promise<SavedSearchInfo[]>
  validate (draft: SearchDraft): SearchErrors
  save (draft: SearchDraft): Promise<SavedSearchInfo>
  remove (n: number): Promise<SavedSearchInfo>
}

// A new job that matched saved searches while the app ran.
export interface SearchMatchInfo { id: string, title: string, bountyBtc: string, material: string, country: string, searches: number[], at: string }

// Something this peer must do on one of its jobs: answer a mediator's proposal, confirm a shipped job, or act
// before a deadline that ends within 24 h of market time (a mediator's proposal, an acceptance's funding).
export interface NeedsYouInfo { kind: 'proposal' | 'shipped' | 'deadline', id: string, title: string, text: string, due: string | null, hoursLeft: number | null }

export interface AlertCounts { needsYou: number, matches: number, latest: SearchMatchInfo | null }

export interface NoticesCore {
  needsYou (): Promise<NeedsYouInfo[]>
  matches (): SearchMatchInfo[] // newest first
  dismiss (): void // forget the matches shown
}
