// wallet mnemonic | wallet restore | wallet address | wallet balance | wallet send ADDRESS BTC
import fs from 'fs'
import path from 'path'
import * as bitcoin from 'bitcoinjs-lib'
import { openPeer, type Ctx, type Result } from './context.js'
import { Wallet, WALLET_FILE, checkMnemonic } from '../escrow/wallet.js'
import { BitcoinRpc } from '../escrow/rpc.js'
import { Esplora } from '../escrow/esplora.js'
import { networkFor } from '../escrow/networks.js'
import { sendPayment } from '../escrow/send.js'
import type { ChainBackend, ChainName } from '../escrow/chain.js'
import { parseBtc } from '../btc.js'
import { BAD_ARGUMENT, P2PrintError } from '../errors.js'

export const CHAINS: readonly ChainName[] = ['mainnet', 'testnet', 'signet', 'regtest']

export interface ChainConnection {
  chain: ChainName
  network: bitcoin.Network
  backend: ChainBackend | null
}

// The chain and backend the command line asked for. Without --chain, a --bitcoin-rpc node says which chain it is
// on; otherwise the default is testnet: mainnet is only ever used when asked for by name.
export async function openChain (ctx: Ctx, opts: { needBackend: boolean }): Promise<ChainConnection> {
  let chain = ctx.chain
  if (ctx.bitcoinRpc !== null) {
    if (chain === null) chain = await BitcoinRpc.detectChain({ url: ctx.bitcoinRpc })
    const rpc = new BitcoinRpc({ url: ctx.bitcoinRpc, chain })
    await rpc.ready()
    return { chain, network: networkFor(chain, rpc.flavour), backend: rpc }
  }
  chain = chain ?? 'testnet'
  if (ctx.esplora !== null) return { chain, network: networkFor(chain, 'core'), backend: new Esplora({ baseUrl: ctx.esplora, chain }) }
  if (opts.needBackend) {
    throw BAD_ARGUMENT('this command needs a Bitcoin backend: add --bitcoin-rpc URL (Bitcoin Core, or `npm run regtest` for a local test node) or --esplora URL')
  }
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

async function withWallet<T> (ctx: Ctx, needBackend: boolean, fn: (w: Wallet, c: ChainConnection) => Promise<T>): Promise<T> {
  const peer = await openPeer(ctx, { network: false })
  let conn: ChainConnection | null = null
  try {
    conn = await openChain(ctx, { needBackend })
    const { wallet, created } = await ensureWallet(peer.dir, conn.network)
    if (created) ctx.emit('wallet-created', { file: path.join(peer.dir, WALLET_FILE) })
    return await fn(wallet, conn)
  } finally {
    if (conn?.backend != null) await conn.backend.close()
    await peer.close()
  }
}

export async function walletMnemonic (ctx: Ctx): Promise<Result> {
  return withWallet(ctx, false, async (w) => ({ kind: 'mnemonic', data: { mnemonic: w.mnemonic, fingerprint: w.fingerprint } }))
}

// Takes a recovery phrase. A different wallet already in the storage is never deleted: it is moved aside.
export async function walletRestore (ctx: Ctx, words: string | null): Promise<Result> {
  const text = words ?? await readStdin()
  const mnemonic = checkMnemonic(text)
  const peer = await openPeer(ctx, { network: false })
  try {
    const file = path.join(peer.dir, WALLET_FILE)
    let movedTo: string | null = null
    if (fs.existsSync(file)) {
      const old = await Wallet.load(peer.dir, { network: bitcoin.networks.bitcoin })
      if (old.mnemonic === mnemonic) return { kind: 'restored', data: { fingerprint: old.fingerprint, movedTo: null, unchanged: true } }
      movedTo = `${file}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`
      await fs.promises.rename(file, movedTo)
    }
    const wallet = Wallet.fromMnemonic(mnemonic, { network: bitcoin.networks.bitcoin })
    await wallet.save(peer.dir)
    return { kind: 'restored', data: { fingerprint: wallet.fingerprint, movedTo, unchanged: false } }
  } finally {
    await peer.close()
  }
}

export async function walletAddress (ctx: Ctx): Promise<Result> {
  return withWallet(ctx, false, async (w, c) => {
    const a = await w.nextReceiveAddress()
    return { kind: 'address', data: { address: a.address, uri: `bitcoin:${a.address}`, path: a.path, chain: c.chain } }
  })
}

export async function walletBalance (ctx: Ctx): Promise<Result> {
  return withWallet(ctx, true, async (w, c) => {
    const b = await w.balance(c.backend as ChainBackend)
    await w.save()
    return { kind: 'balance', data: { confirmedSats: Number(b.confirmedSats), unconfirmedSats: Number(b.unconfirmedSats), chain: c.chain } }
  })
}

export async function walletSend (ctx: Ctx, address: string, btc: string, feeRateText: string | undefined): Promise<Result> {
  const sats = parseBtc(btc)
  if (sats === null || sats === 0) throw BAD_ARGUMENT(`${JSON.stringify(btc)} is not an amount in BTC: use a decimal number with at most 8 decimals`)
  let feeRate: number | undefined
  if (feeRateText !== undefined) {
    feeRate = Number(feeRateText)
    if (!Number.isFinite(feeRate) || feeRate < 1 || feeRate > 1000) throw BAD_ARGUMENT('--fee-rate must be a number of sat/vB from 1 to 1000')
  }
  return withWallet(ctx, true, async (w, c) => {
    const r = await sendPayment(w, c.backend as ChainBackend, { address, sats: BigInt(sats), feeRate })
    return { kind: 'sent', data: { txid: r.txid, address, sentSats: Number(r.sentSats), feeSats: Number(r.feeSats), changeSats: Number(r.changeSats), feeRate: r.feeRate } }
  })
}

async function readStdin (): Promise<string> {
  if (process.stdin.isTTY === true) process.stderr.write('Type the recovery phrase (12 or 24 words) and press Enter:\n')
  let text = ''
  for await (const chunk of process.stdin) {
    text += String(chunk)
    if (process.stdin.isTTY === true && text.includes('\n')) break
  }
  return text
}
