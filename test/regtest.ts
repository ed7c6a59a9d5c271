// Test helper (not a test file): a bcoin regtest chain in this process, closed in t.teardown.
//   const chain = await startRegtest(t)
//   chain.backend (BitcoinRpc, flavour 'bcoin'), chain.network (bcoinRegtest: rb1… addresses),
//   await chain.fund(address, sats) → txid (in the mempool), await chain.mine(1)
// Startup mines 500 blocks (segwit/CSV active from 432, 400 mature coinbases for the faucet): about a second.
import { startBcoinRegtest, type RegtestChain, type RegtestOptions } from '../lib/escrow/regtest-node.js'
import type { Test } from './helpers.js'

export type { RegtestChain }

export async function startRegtest (t?: Test, opts: RegtestOptions = {}): Promise<RegtestChain> {
  const chain = await startBcoinRegtest(opts)
  if (t !== undefined) t.teardown(() => chain.close(), { order: 20 })
  return chain
}
