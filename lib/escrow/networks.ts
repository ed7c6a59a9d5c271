// bitcoinjs Network parameters for each chain. Bitcoin Core's regtest and bcoin's regtest use different address
// prefixes (bcrt / 0x6f / 0xc4 / 0xef against rb / 0x3c / 0x26 / 0x5a), so the regtest network depends on which node
// answers: BitcoinRpc reports it as `flavour` once it is ready. `--chain regtest` means Core's; the tests run bcoin.
import { networks, type Network } from 'bitcoinjs-lib'
import type { ChainName } from './chain.js'

export type Flavour = 'core' | 'bcoin'

export const mainnet: Network = networks.bitcoin
export const testnet: Network = networks.testnet
// signet uses testnet's prefixes (tb, 0x6f, 0xc4, 0xef)
export const signet: Network = { ...networks.testnet }
export const regtest: Network = networks.regtest // bcrt, 0x6f, 0xc4, 0xef
export const bcoinRegtest: Network = {
  messagePrefix: '\x18Bitcoin Signed Message:\n',
  bech32: 'rb',
  bip32: { public: 0xeab4fa05, private: 0xeab404c7 }, // bcoin's own rpub / rprv
  pubKeyHash: 0x3c,
  scriptHash: 0x26,
  wif: 0x5a
}

export function networkFor (chain: ChainName, flavour: Flavour = 'core'): Network {
  switch (chain) {
    case 'mainnet': return mainnet
    case 'testnet': return testnet
    case 'signet': return signet
    case 'regtest': return flavour === 'bcoin' ? bcoinRegtest : regtest
  }
}
