// The one place that opens a Bitcoin backend, loads the peer's wallet and opens the escrow engine of a market.
import * as bitcoin from 'bitcoinjs-lib'
import path from '#path'
import { Wallet, WALLET_FILE } from '../escrow/wallet.js'
import { BitcoinRpc } from '../escrow/rpc.js'
import { Esplora } from '../escrow/esplora.js'
import { networkFor } from '../escrow/networks.js'
import { EscrowEngine } from '../escrow/engine.js'
import { loadEscrowLimits } from '../escrow/limits.js'
import { getSettings } from '../market/view.js'
import type { Market } from '../market/market.js'
import type { MarketSettings } from '../schema.js'
import type { ChainBackend, ChainName } from '../escrow/chain.js'
import { BAD_ARGUMENT, MARKET_CHAIN_MISMATCH, type P2PrintError } from '../errors.js'

export { CHAINS } from '../escrow/chain.js'

export interface ChainOptions {
  chain: ChainName | null // --chain; null: from the node (--bitcoin-rpc) or the default
  bitcoinRpc: string | null // --bitcoin-rpc URL
  esplora: string | null // --esplora URL
}

export interface ChainConnection {
  chain: ChainName
  network: bitcoin.Network
  backend: ChainBackend | null
}

export interface EscrowSession {
  engine: EscrowEngine
  conn: ChainConnection
  settings: MarketSettings
}

export const NEEDS_BACKEND = 'this command needs a Bitcoin backend: add --bitcoin-rpc URL (Bitcoin Core, or `npm run regtest` for a local test node) or --esplora URL'

// The chain and backend asked for. Without a chain, a --bitcoin-rpc node says which chain it is on; otherwise the
// default is testnet: mainnet is only ever used when asked for by name.
export async function openChain (o: ChainOptions, opts: { needBackend: boolean }): Promise<ChainConnection> {
  let chain = o.chain
  if (o.bitcoinRpc !== null) {
    if (chain === null) chain = await BitcoinRpc.detectChain({ url: o.bitcoinRpc })
    const rpc = new BitcoinRpc({ url: o.bitcoinRpc, chain })
    await rpc.ready()
    return { chain, network: networkFor(chain, rpc.flavour), backend: rpc }
  }
  chain = chain ?? 'testnet'
  if (o.esplora !== null) return { chain, network: networkFor(chain, 'core'), backend: new Esplora({ baseUrl: o.esplora, chain }) }
  if (opts.needBackend) throw BAD_ARGUMENT(NEEDS_BACKEND)
  return { chain, network: networkFor(chain, 'core'), backend: null }
}

// The peer's wallet, created at first use; its file lives in the peer's storage.
export async function ensureWallet (dir: string, network: bitcoin.Network = bitcoin.networks.bitcoin): Promise<{ wallet: Wallet, created: boolean }> {
  try {
    return { wallet: await Wallet.load(dir, { network }), created: false }
  } catch (err) {
    if ((err as P2PrintError).code !== 'WALLET_NOT_FOUND') throw err
  }
  const wallet = Wallet.generate({ network })
  await wallet.save(dir)
  return { wallet, created: true }
}

// The escrow engine for this market, or null for a market without escrow, and without a backend (read-only work
// still goes on; P2Print.escrowSession says what is missing when it is required). `onEvent` hears 'escrow-offline'
// and 'wallet-created'.
export async function openEscrow (o: ChainOptions, dir: string, market: Market, onEvent: (tag: 'escrow-offline' | 'wallet-created', data: Record<string, unknown>) => void): Promise<EscrowSession | null> {
  const settings = await getSettings(market.view)
  if (settings.chain === '') return null
  if (o.bitcoinRpc === null && o.esplora === null) {
    onEvent('escrow-offline', { chain: settings.chain })
    return null
  }
  const conn = await openChain({ ...o, chain: o.chain ?? settings.chain }, { needBackend: true })
  if (conn.chain !== settings.chain) {
    await conn.backend?.close()
    throw MARKET_CHAIN_MISMATCH(settings.chain, conn.chain)
  }
  const { wallet, created } = await ensureWallet(dir, conn.network)
  if (created) onEvent('wallet-created', { file: path.join(dir, WALLET_FILE) })
  const engine = new EscrowEngine({ market, wallet, chain: conn.backend!, network: conn.network, limits: await loadEscrowLimits(dir) })
  return { engine, conn, settings }
}
