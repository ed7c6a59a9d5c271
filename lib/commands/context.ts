// What every command gets: the parsed global options and an event sink. Commands do the work and emit
// {tag, data} events; ui/ renders them (text on stderr, or nothing with --json) and renders the result.
import { P2Print, type P2PrintEvent, type P2PrintOptions, type Bootstrap, type MarketInfo, type EscrowView } from '../service/p2print.js'
import type { JobJSON } from '../job/json.js'
import type { FileAnalysis } from '../files/model.js'
import type { ChatData } from '../service/chat.js'
import type { SendPlan } from '../service/wallet.js'
import type { EscrowLimits } from '../escrow/limits.js'
import type { SettingsJSON, IndexersJSON } from '../service/settings.js'
import type { PeerJSON, ProfileJSON, ReviewJSON, PeerSummaryJSON } from '../reputation/query.js'
import type { MediatorJSON, DisputeList } from '../disputes/json.js'

export type { Bootstrap }

export interface Ctx extends P2PrintOptions {
  json: boolean
  emit: (tag: string, data?: Record<string, unknown>) => void
  // resolves when the user asks a long-running command to stop (SIGINT / SIGTERM)
  stopped: Promise<void>
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
  | { kind: 'jobs', data: { jobs: JobJSON[], peers: number, total: number } }
  | { kind: 'sync', data: { peers: number, shared: boolean, jobs: number } }
  | { kind: 'summary', data: MarketInfo | null }
  | { kind: 'analysis', data: { file: string, analysis: FileAnalysis, previews: Array<{ name: string, text: string }> } }
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
  | { kind: 'none', data: Record<string, unknown> }

export type { MarketInfo }

// What a command's work gets: the service, with the peers reached at its catch-up.
export type Session = P2Print

const open = new Set<P2Print>()

// The service of one command: events go to the command's sink (the text renderer, or nothing with --json).
export function service (ctx: Ctx, opts: { network?: boolean } = {}): P2Print {
  const p = new P2Print({ ...ctx, network: opts.network })
  p.on('event', (e: P2PrintEvent) => ctx.emit(e.tag, e.data))
  open.add(p)
  p.once('close', () => open.delete(p))
  return p
}

// A service's storage (with the swarm unless `network: false`): for commands that need no market of their own.
export async function openPeer (ctx: Ctx, opts: { network?: boolean } = {}): Promise<P2Print['peer']> {
  const p = service(ctx, opts)
  await p.ready()
  p.peer.once('close', () => { void p.close() })
  return p.peer
}

// For signal handlers: closes every open service in order (swarm → base → store → lock).
export async function closeAllPeers (): Promise<void> {
  await Promise.all([...open].map(p => p.close()))
}

// Opens the storage and the market, connects and catches up, runs fn, and always closes in order
// (swarm → base → store → lock).
// In a market with escrow, this peer's due escrow steps run after the catch-up (before the command acts) and again
// after it, so a flow driven by one-shot commands alone moves forward like one driven by running peers.
export async function withMarket<T> (ctx: Ctx, fn: (s: Session) => Promise<T>, opts: { create?: boolean, name?: string, join?: Uint8Array, escrow?: 'optional' | 'required' } = {}): Promise<T> {
  const p = service(ctx)
  try {
    await p.ready()
    if (opts.create === true) await p.createMarket(opts.name)
    else if (opts.join !== undefined) await p.joinMarket(opts.join)
    else await p.openMarket()
    if (opts.create === true) p.peers = 0
    else {
      await p.catchUp(ctx.syncTimeoutMs)
      if (await p.escrowSession(opts.escrow === 'required') !== null) await p.escrowSteps(Math.max(2000, Math.min(ctx.syncTimeoutMs, 10_000)))
    }
    const result = await fn(p)
    if (p.escrow !== null) {
      await p.market.update()
      await p.escrowSteps(2000)
    }
    await p.flush()
    return result
  } finally {
    await p.close()
  }
}
