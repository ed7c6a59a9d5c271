// What every command gets: the parsed global options and an event sink. Commands do the work and emit
// {tag, data} events; ui/ renders them (text on stderr, or nothing with --json) and renders the result.
import type { QuotesResult } from '../service/quotes.js'
import type { AddressResult } from '../service/address.js'
import { P2Print, type P2PrintEvent, type P2PrintOptions, type Bootstrap, type MarketInfo, type EscrowView } from '../service/p2print.js'
import type { JobJSON } from '../job/json.js'
import type { AnalysisJSON } from '../files/model.js'
import type { ChatData } from '../service/chat.js'
import type { SendPlan } from '../service/wallet.js'
import type { EscrowLimits } from '../escrow/limits.js'
import type { SettingsJSON, IndexersJSON } from '../service/settings.js'
import type { PeerJSON, ProfileJSON, ReviewJSON, PeerSummaryJSON } from '../reputation/query.js'
import type { MediatorJSON, DisputeList } from '../disputes/json.js'
import type { SearchesJSON } from './search.js'
import b4a from 'b4a'
import { peerId } from '../ids.js'
import { HOSTED_REFUSED, P2PrintError } from '../errors.js'

export type { Bootstrap }

export interface Ctx extends P2PrintOptions {
  json: boolean
  emit: (tag: string, data?: Record<string, unknown>) => void
  // resolves when the user asks a long-running command to stop (SIGINT / SIGTERM)
  stopped: Promise<void>
  // where relative paths start, and the caller's terminal (the command may run in another process: lib/sidecar)
  cwd: string
  columns: number
  color: boolean
  // set when the command runs inside the p2print process already running on its storage (lib/sidecar/server.ts):
  // that process's service, open, connected and caught up; the command uses it and leaves it open
  session?: P2Print
  // for seed and the app: serve the commands run on this storage while they run (lib/sidecar/server.ts)
  host?: (p: P2Print) => Promise<{ close: () => Promise<void> }>
}

export type ReputationResult =
  | { kind: 'peer', data: PeerJSON & { peers?: number } }
  | { kind: 'printers', data: { printers: Array<ProfileJSON & { record: PeerSummaryJSON }>, peers: number, total: number } }
  | { kind: 'review', data: ReviewJSON & { subject: string, record: PeerSummaryJSON, shared: boolean, peers: number } }
  | { kind: 'profile', data: { profile: ProfileJSON | null, shared: boolean, peers: number } }

// `kind` tells the text renderer how to show `data`; with --json, `data` is printed as it is.
export type Result =
  | { kind: 'market', data: MarketInfo }
  | { kind: 'id', data: { id: string, short: string, arbitratorPubkey: string } }
  | { kind: 'job', data: JobJSON & { shared?: boolean, peers?: number } }
  | { kind: 'quotes', data: QuotesResult & { peers: number } }
  | { kind: 'shipping', data: AddressResult & { peers: number } }
  | { kind: 'jobs', data: { jobs: JobJSON[], peers: number, total: number } }
  | { kind: 'sync', data: { peers: number, shared: boolean, jobs: number } }
  | { kind: 'summary', data: MarketInfo | null }
  | { kind: 'analysis', data: AnalysisJSON }
  | { kind: 'download', data: { id: string, file: string, files: string[], bytes: number, sha256: string, ms: number } }
  | { kind: 'mnemonic', data: { mnemonic: string, fingerprint: string } }
  | { kind: 'restored', data: { fingerprint: string, movedTo: string | null, unchanged: boolean } }
  | { kind: 'address', data: { address: string, uri: string, path: string, chain: string } }
  | { kind: 'balance', data: { confirmedSats: number, unconfirmedSats: number, chain: string, tipHeight: number } }
  | { kind: 'send-plan', data: SendPlan }
  | { kind: 'limits', data: EscrowLimits }
  | { kind: 'sent', data: { txid: string, address: string, sentSats: number, feeSats: number, changeSats: number, feeRate: number } }
  | { kind: 'escrow', data: EscrowView }
  | { kind: 'chat', data: ChatData }
  | ReputationResult
  | { kind: 'settings', data: SettingsJSON }
  | { kind: 'indexers', data: IndexersJSON }
  | { kind: 'ruled', data: { id: string, winner: 'client' | 'printer', printerPct: number, txid: string, shared: boolean } }
  | { kind: 'mediator', data: MediatorJSON & { shared: boolean } }
  | { kind: 'mediators', data: { mediators: MediatorJSON[], rules: string[] } }
  | { kind: 'disputes', data: DisputeList }
  | { kind: 'searches', data: SearchesJSON }
  | { kind: 'none', data: Record<string, unknown> }

export type { MarketInfo }

// What a command's work gets: the service, with the peers reached at its catch-up.
export type Session = P2Print

const open = new Set<P2Print>()

// The service of one command: events go to the command's sink (the text renderer, or nothing with --json).
export function service (ctx: Ctx, opts: { network?: boolean, noNewWallet?: boolean } = {}): P2Print {
  const p = new P2Print({ ...ctx, network: opts.network, noNewWallet: opts.noNewWallet })
  p.on('event', (e: P2PrintEvent) => ctx.emit(e.tag, e.data))
  open.add(p)
  p.once('close', () => open.delete(p))
  return p
}

// Runs fn with this command's service: the running process's when the command is hosted (left open), else one
// opened for this command (with the swarm unless `network: false`) and closed after it.
export async function withService<T> (ctx: Ctx, fn: (p: P2Print) => Promise<T>, opts: { network?: boolean, noNewWallet?: boolean } = {}): Promise<T> {
  if (ctx.session !== undefined) {
    checkBackend(ctx, ctx.session, true)
    return await hosted(ctx, ctx.session, fn)
  }
  const p = service(ctx, opts)
  try {
    await p.ready()
    return await fn(p)
  } finally {
    await p.close()
  }
}

// A command inside the running process gets that process's events while it runs (commands there run one at a time).
async function hosted<T> (ctx: Ctx, p: P2Print, fn: (p: P2Print) => Promise<T>): Promise<T> {
  // what stays here is shared by that process, not by a later run of this command
  const on = (e: P2PrintEvent): void => ctx.emit(e.tag, e.tag === 'stored-locally' || e.tag === 'file-stored-locally' ? { ...e.data, running: true } : e.data)
  p.on('event', on)
  try {
    return await fn(p)
  } finally {
    p.off('event', on)
  }
}

// What a hosted command cannot do with the running process's service, said before it starts.
export function checkHosted (ctx: Ctx, p: P2Print, opts: { create?: boolean, join?: Uint8Array } = {}): void {
  const what = opts.create === true ? 'create a market' : opts.join !== undefined ? 'join another market' : null
  if (what !== null) throw HOSTED_REFUSED(ctx.storage, `it cannot ${what} for you: stop it first`)
  const key = p.market.key
  if (ctx.marketKey !== null && !b4a.equals(ctx.marketKey, key)) throw HOSTED_REFUSED(ctx.storage, `it serves market ${peerId(key)}: stop it to act on another market with this storage`)
}

// The wallet and the escrow engine of the running process use the chain and the Bitcoin backend it was started
// with. A command given others would act on them silently: refused, saying how to get what was asked. `chain` too
// for the wallet commands (it picks the addresses); for market commands `--chain` is a setting's value.
function checkBackend (ctx: Ctx, p: P2Print, chain: boolean): void {
  const pairs: Array<[string, string | null | undefined, string | null | undefined]> = [['--bitcoin-rpc', ctx.bitcoinRpc, p.opts.bitcoinRpc], ['--esplora', ctx.esplora, p.opts.esplora]]
  if (chain) pairs.push(['--chain', ctx.chain, p.opts.chain])
  for (const [flag, mine, its] of pairs) {
    if (mine === null || mine === undefined || mine === its) continue
    if (!chain && (its === null || its === undefined)) continue // it has none: said if the command needs one (below)
    throw HOSTED_REFUSED(ctx.storage, `it runs ${its === null || its === undefined ? `without ${flag}` : `with ${flag} ${its}`}, not ${mine}: restart it with ${flag} ${mine}, or leave the flag (and P2PRINT_* setting) out here`)
  }
}

// The running process's escrow engine uses the Bitcoin backend it was started with; a command that needs one while
// it has none is told how to give it one (the backend this command was given is not the running engine's).
function hostedEscrowError (ctx: Ctx, err: unknown): unknown {
  if (!(err instanceof P2PrintError) || err.code !== 'ESCROW_NEEDS_BACKEND') return err
  const given = ctx.bitcoinRpc !== null ? `--bitcoin-rpc ${ctx.bitcoinRpc}` : ctx.esplora !== null ? `--esplora ${ctx.esplora}` : '--bitcoin-rpc URL (or P2PRINT_BITCOIN_RPC)'
  return HOSTED_REFUSED(ctx.storage, `it runs without a Bitcoin backend and this needs one: restart it with ${given}`)
}

// For signal handlers: closes every open service in order (swarm → base → store → lock).
export async function closeAllPeers (): Promise<void> {
  await Promise.all([...open].map(p => p.close()))
}

// Opens the storage and the market, connects and catches up, runs fn, and always closes in order
// (swarm → base → store → lock).
// In a market with escrow, this peer's due escrow steps run after the catch-up (before the command acts) and again
// after it, so a flow driven by one-shot commands alone moves forward like one driven by running peers.
export async function withMarket<T> (ctx: Ctx, fn: (s: Session) => Promise<T>, opts: { create?: boolean, name?: string, admissionBits?: number, join?: Uint8Array, escrow?: 'optional' | 'required' } = {}): Promise<T> {
  if (ctx.session !== undefined) {
    const session = ctx.session
    checkHosted(ctx, session, opts)
    checkBackend(ctx, session, false)
    return await hosted(ctx, session, async (p) => {
      await p.market.update()
      p.peers = p.connections
      ctx.emit('hosted', { pid: process.pid, peers: p.peers })
      if (p.peers === 0) ctx.emit('offline', { peers: 0 })
      try {
        if (await p.escrowSession(opts.escrow === 'required') !== null) await p.escrowSteps(2000)
        const result = await fn(p)
        if (p.escrow !== null) {
          await p.market.update()
          await p.escrowSteps(2000)
        }
        return result
      } catch (err) {
        throw hostedEscrowError(ctx, err)
      }
    })
  }
  const p = service(ctx)
  const trace = tracer()
  try {
    await p.ready()
    if (opts.create === true) await p.createMarket(opts.name, opts.admissionBits)
    else if (opts.join !== undefined) await p.joinMarket(opts.join)
    else await p.openMarket()
    trace('open')
    if (opts.create === true) p.peers = 0
    else {
      await p.catchUp(ctx.syncTimeoutMs)
      trace(`catch-up (${p.peers} peers)`)
      if (await p.escrowSession(opts.escrow === 'required') !== null) {
        await p.escrowSteps(Math.max(2000, Math.min(ctx.syncTimeoutMs, 10_000)))
        trace('escrow steps before')
      }
    }
    const result = await fn(p)
    trace('command')
    if (p.escrow !== null) {
      await p.market.update()
      await p.escrowSteps(2000)
      trace('escrow steps after')
    }
    await p.flush()
    trace('flush')
    return result
  } finally {
    await p.close()
    trace('close')
  }
}

// P2PRINT_TRACE=1: where a command's time goes, one stderr line per phase (for finding what makes a command slow).
function tracer (): (phase: string) => void {
  if (process.env.P2PRINT_TRACE !== '1') return () => {}
  let last = Date.now()
  process.stderr.write(`[trace] start: at ${Math.round(performance.now())} ms since the process started\n`)
  return (phase) => {
    const now = Date.now()
    process.stderr.write(`[trace] ${phase}: ${now - last} ms (at ${Math.round(performance.now())} ms since the process started)\n`)
    last = now
  }
}
