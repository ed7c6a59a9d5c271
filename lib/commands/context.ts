// What every command gets: the parsed global options and an event sink. Commands do the work and emit
// {tag, data} events; ui/ renders them (text on stderr, or nothing with --json) and renders the result.
import { Peer } from '../peer.js'
import type { Market } from '../market/market.js'
import type { JobJSON } from '../job/json.js'
import type { FileAnalysis } from '../files/model.js'
import type { ChainName } from '../escrow/chain.js'
import { openEscrow, runEscrowSteps, type EscrowSession } from './escrow.js'
import type { ReputationResult } from './reputation.js'
import type { ChatData } from './chat.js'
import type { SendPlan } from './wallet.js'
import type { SettingsJSON } from './escrow.js'
import type { MediatorJSON, DisputeList } from '../disputes/json.js'

export interface Bootstrap { host: string, port: number }

export interface Ctx {
  storage: string
  bootstrap: Bootstrap[] | null
  marketKey: Uint8Array | null
  json: boolean
  syncTimeoutMs: number
  chain: ChainName | null // --chain; null: from the node (--bitcoin-rpc) or the default
  bitcoinRpc: string | null // --bitcoin-rpc URL
  esplora: string | null // --esplora URL
  emit: (tag: string, data?: Record<string, unknown>) => void
  // resolves when the user asks a long-running command to stop (SIGINT / SIGTERM)
  stopped: Promise<void>
  // a long-lived session (the terminal UI, lib/app.ts): commands run on it instead of opening and closing a peer
  session?: Session
}

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
  | { kind: 'sent', data: { txid: string, address: string, sentSats: number, feeSats: number, changeSats: number, feeRate: number } }
  | { kind: 'escrow', data: Record<string, unknown> }
  | { kind: 'chat', data: ChatData }
  | ReputationResult
  | { kind: 'settings', data: SettingsJSON }
  | { kind: 'ruled', data: { id: string, winner: 'client' | 'printer', printerPct: number, txid: string, shared: boolean } }
  | { kind: 'mediator', data: MediatorJSON & { shared: boolean } }
  | { kind: 'mediators', data: { mediators: MediatorJSON[], rules: string[] } }
  | { kind: 'disputes', data: DisputeList }
  | { kind: 'none', data: Record<string, unknown> }

export interface MarketInfo {
  key: string
  name: string
  id: string
  writer: boolean
  indexer: boolean
  created: boolean
  jobs: number
  byStatus: Record<string, number>
  peers: number
  signedLength: number
  viewLength: number
}

export interface Session {
  peer: Peer
  market: Market
  peers: number // peers connected during the catch-up
  escrow: EscrowSession | null // the escrow engine, in a market with escrow when a Bitcoin backend was given
  openEscrow?: () => Promise<EscrowSession | null> // a long-lived session's own way to open it once (lib/app.ts)
}

const openPeers = new Set<Peer>()

export async function openPeer (ctx: Ctx, opts: { network?: boolean } = {}): Promise<Peer> {
  const peer = new Peer(ctx.storage, { bootstrap: ctx.bootstrap, swarm: opts.network !== false })
  openPeers.add(peer)
  peer.once('close', () => openPeers.delete(peer))
  peer.once('wallet-created', (file: string) => ctx.emit('wallet-created', { file }))
  await peer.ready()
  return peer
}

// For signal handlers: closes every open peer in order (swarm → base → store → lock).
export async function closeAllPeers (): Promise<void> {
  await Promise.all([...openPeers].map(p => p.close()))
}

// Opens the storage and the market, connects and catches up, runs fn, and always closes in order
// (swarm → base → store → lock).
// In a market with escrow, this peer's due escrow steps run after the catch-up (before the command acts) and again
// after it, so a flow driven by one-shot commands alone moves forward like one driven by running peers.
export async function withMarket<T> (ctx: Ctx, fn: (s: Session) => Promise<T>, opts: { create?: boolean, name?: string, join?: Uint8Array, escrow?: 'optional' | 'required' } = {}): Promise<T> {
  if (ctx.session !== undefined && opts.create !== true && opts.join === undefined) {
    // the session stays open and connected: only the escrow steps after the command are this call's
    const s = ctx.session
    // kept on the session, so its engine (and its backend) is the session's from now on and closed with it
    // (when the session's own opener has none, openEscrow says what is missing)
    if (opts.escrow === 'required' && s.escrow === null) s.escrow = (await s.openEscrow?.()) ?? await openEscrow(ctx, s.peer, s.market, true)
    await s.market.update()
    const result = await fn({ ...s, peers: s.market.connections })
    if (s.escrow !== null) {
      await s.market.update()
      await runEscrowSteps(ctx, s.escrow, 2000)
    }
    return result
  }
  const peer = await openPeer(ctx)
  let escrow: EscrowSession | null = null
  try {
    const market = opts.create === true
      ? await peer.createMarket(opts.name)
      : opts.join !== undefined ? await peer.joinMarket(opts.join) : await peer.openMarket(ctx.marketKey)
    ctx.emit('connecting', { timeoutSecs: ctx.syncTimeoutMs / 1000 })
    const peers = opts.create === true ? 0 : await market.sync(ctx.syncTimeoutMs)
    if (opts.create !== true) ctx.emit(peers === 0 ? 'offline' : 'synced', { peers })
    if (opts.create !== true) {
      escrow = await openEscrow(ctx, peer, market, opts.escrow === 'required')
      if (escrow !== null) await runEscrowSteps(ctx, escrow, Math.max(2000, Math.min(ctx.syncTimeoutMs, 10_000)))
    }
    const result = await fn({ peer, market, peers, escrow })
    if (escrow !== null) {
      await market.update()
      await runEscrowSteps(ctx, escrow, 2000)
    }
    // whatever this run wrote (the command's op, or an escrow step's after it) must reach a peer before the process
    // exits, or it waits in this storage until the next run
    if (market.connections > 0 && !market.flushed && market.base.local.length > market.waitedLength && !(await market.waitFlushed(ctx.syncTimeoutMs))) ctx.emit('stored-locally', {})
    return result
  } finally {
    if (escrow !== null) await escrow.conn.backend?.close().catch(() => {})
    await peer.close()
  }
}

// After a write: wait until a connected peer holds what this peer wrote, or say that it stays local for now.
export async function share (ctx: Ctx, market: Market): Promise<boolean> {
  if (market.connections === 0) {
    ctx.emit('stored-locally', {})
    return false
  }
  ctx.emit('sharing', {})
  const ok = await market.waitFlushed(ctx.syncTimeoutMs)
  ctx.emit(ok ? 'shared' : 'stored-locally', { peers: market.connections })
  return ok
}
