// What a node's JSON-RPC (and bcoin's REST API) answers, as BitcoinRpc (rpc.ts) reads it: its errors, its chain
// names, its BTC amounts, and the shapes of the answers read.
import type { ChainName } from './chain.js'
import { CHAIN_ERROR } from '../errors.js'

// An error the node answered with (JSON-RPC error object).
export class RpcError extends Error {
  readonly code: number
  readonly method: string
  constructor (method: string, code: number, message: string) {
    super(`${method}: ${message} (code ${code})`)
    this.name = 'RpcError'
    this.code = code
    this.method = method
  }
}

// BTC amount as JSON number (8 decimals at most) → satoshis, without going through float multiplication.
export function btcToSats (btc: number): bigint {
  if (!Number.isFinite(btc)) throw CHAIN_ERROR(`not an amount: ${String(btc)}`)
  const neg = btc < 0
  const [int, frac = ''] = Math.abs(btc).toFixed(8).split('.')
  const sats = BigInt(int) * 100_000_000n + BigInt(frac.padEnd(8, '0'))
  return neg ? -sats : sats
}

// BTC per 1000 vB → sat/vB
export function btcPerKvbToSatPerVb (btcPerKvb: number): number {
  return btcPerKvb * 1e8 / 1000
}

export const CORE_CHAINS: Record<string, ChainName> = { main: 'mainnet', test: 'testnet', testnet4: 'testnet', signet: 'signet', regtest: 'regtest' }
export const BCOIN_CHAINS: Record<string, ChainName> = { main: 'mainnet', testnet: 'testnet', regtest: 'regtest', simnet: 'regtest' }

export interface BcoinCoin { hash: string, index: number, value: number, height: number, script: string, address: string | null }
export interface BcoinTx { hash: string, height: number, inputs: Array<{ prevout: { hash: string, index: number } }>, outputs: Array<{ address: string | null, script: string, value: number }> }
export interface RawTxVerbose {
  txid: string
  blockhash?: string
  confirmations?: number
  vin: Array<{ txid?: string, vout?: number, coinbase?: string }>
  vout: Array<{ value: number, n: number, scriptPubKey: { hex: string, address?: string, addresses?: string[] } }>
}
