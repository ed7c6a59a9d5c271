// What the escrow needs from a Bitcoin chain, and nothing more. Implementations: BitcoinRpc (Bitcoin Core JSON-RPC,
// also bcoin's RPC as used in the tests) and Esplora (REST). Amounts are integer satoshis (bigint).
export type ChainName = 'mainnet' | 'testnet' | 'signet' | 'regtest'
export const CHAINS: readonly ChainName[] = ['mainnet', 'testnet', 'signet', 'regtest']

export interface Utxo {
  txid: string
  vout: number
  valueSats: bigint
  height: number | null // null: unconfirmed
  scriptPubKeyHex: string
}

export interface TxStatus {
  found: boolean // in the mempool or a block
  confirmed: boolean
  height: number | null
  depth: number // 0 when unconfirmed or not found
}

export interface ChainBackend {
  readonly chain: ChainName
  tipHeight (): Promise<number>
  utxos (address: string): Promise<Utxo[]>
  txStatus (txid: string): Promise<TxStatus>
  txHex (txid: string): Promise<string | null>
  // null: unspent; otherwise the spending txid (and whether that spend is confirmed)
  outspend (txid: string, vout: number): Promise<{ txid: string, confirmed: boolean } | null>
  // throws BROADCAST_REJECTED with the node's reason when the tx is not accepted into the mempool
  broadcast (txHex: string): Promise<string>
  // sat/vB for confirmation within `blocks`; never below the floor
  feeRate (blocks: number): Promise<number>
  close (): Promise<void>
}
