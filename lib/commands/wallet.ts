// wallet mnemonic | wallet restore | wallet address | wallet balance | wallet send ADDRESS BTC
import fs from 'fs'
import path from 'path'
import * as bitcoin from 'bitcoinjs-lib'
import { openPeer, type Ctx, type Result } from './context.js'
import { Wallet, WALLET_FILE, checkMnemonic } from '../escrow/wallet.js'
import { openChain, ensureWallet, NEEDS_BACKEND, type ChainConnection } from '../service/chain.js'
import { sendPayment, planPayment } from '../escrow/send.js'
import { outputScriptFor } from '../escrow/psbt.js'
import { DUST_SATS } from '../escrow/amounts.js'
import type { ChainBackend } from '../escrow/chain.js'
import { parseBtc } from '../btc.js'
import { BAD_ARGUMENT } from '../errors.js'

async function withWallet<T> (ctx: Ctx, needBackend: boolean, fn: (w: Wallet, c: ChainConnection) => Promise<T>): Promise<T> {
  if (ctx.session !== undefined) {
    // a long-lived session (the terminal UI) holds the storage's lock; its escrow engine holds the wallet, and
    // using that one instance keeps the address indexes from going backwards when both save wallet.json
    const s = ctx.session
    if (s.escrow !== null) return await fn(s.escrow.engine.wallet, s.escrow.conn)
    const conn = await openChain(ctx, { needBackend })
    try {
      const { wallet, created } = await ensureWallet(s.peer.dir, conn.network)
      if (created) ctx.emit('wallet-created', { file: path.join(s.peer.dir, WALLET_FILE) })
      return await fn(wallet, conn)
    } finally {
      if (conn.backend !== null) await conn.backend.close()
    }
  }
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
    const tipHeight = await (c.backend as ChainBackend).tipHeight()
    await w.save()
    return { kind: 'balance', data: { confirmedSats: Number(b.confirmedSats), unconfirmedSats: Number(b.unconfirmedSats), chain: c.chain, tipHeight } }
  })
}

export function parseSendAmount (btc: string): bigint {
  const sats = parseBtc(btc.trim())
  if (sats === null || sats === 0) throw BAD_ARGUMENT(`${JSON.stringify(btc)} is not an amount in BTC: use a decimal number with at most 8 decimals`)
  return BigInt(sats)
}

export function parseFeeRate (text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const feeRate = Number(text)
  if (!Number.isFinite(feeRate) || feeRate < 1 || feeRate > 1000) throw BAD_ARGUMENT('--fee-rate must be a number of sat/vB from 1 to 1000')
  return feeRate
}

export function checkAddress (address: string, c: Pick<ChainConnection, 'chain' | 'network'>): void {
  try {
    outputScriptFor(address, c.network)
  } catch {
    throw BAD_ARGUMENT(`${JSON.stringify(address)} is not a ${c.chain} address (they start with ${c.network.bech32}1 or are base58 for this chain): check it and paste it again`)
  }
}

export { CHAINS } from '../service/chain.js'

export interface SendPlan {
  address: string
  chain: string
  sentSats: number
  feeSats: number
  changeSats: number
  feeRate: number // sat/vB; `wallet send … --fee-rate` with it spends the same coins for the same fee
  inputs: number
}

// What `wallet send ADDRESS BTC` would pay, without signing or broadcasting (`wallet send --dry-run`, and the UI's
// confirmation before it sends at this same fee rate).
export async function walletSendPlan (ctx: Ctx, address: string, btc: string, feeRateText?: string): Promise<SendPlan> {
  const sats = parseSendAmount(btc)
  const wantRate = parseFeeRate(feeRateText)
  if (sats < DUST_SATS) throw BAD_ARGUMENT(`the amount is below the dust limit of ${DUST_SATS} sats`)
  return withWallet(ctx, false, async (w, c) => {
    checkAddress(address.trim(), c)
    if (c.backend === null) throw BAD_ARGUMENT(NEEDS_BACKEND)
    const plan = await planPayment(w, c.backend, { address: address.trim(), sats, feeRate: wantRate })
    return { address: address.trim(), chain: c.chain, sentSats: Number(sats), feeSats: Number(plan.feeSats), changeSats: Number(plan.changeSats), feeRate: plan.feeRate, inputs: plan.utxos.length }
  })
}

export async function walletSend (ctx: Ctx, address: string, btc: string, feeRateText: string | undefined, maxFeeText?: string): Promise<Result> {
  const sats = parseSendAmount(btc)
  const feeRate = parseFeeRate(feeRateText)
  let maxFeeSats: bigint | undefined
  if (maxFeeText !== undefined) {
    if (!/^\d+$/.test(maxFeeText.trim())) throw BAD_ARGUMENT('--max-fee must be a whole number of sats')
    maxFeeSats = BigInt(maxFeeText.trim())
  }
  return withWallet(ctx, true, async (w, c) => {
    const r = await sendPayment(w, c.backend as ChainBackend, { address, sats, feeRate, maxFeeSats })
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
