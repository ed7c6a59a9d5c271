// The peer's Bitcoin wallet on a P2Print: receive addresses, the balance, and payments planned and sent.
import path from 'path'
import type { P2Print } from './p2print.js'
import { openChain, ensureWallet, NEEDS_BACKEND, type ChainConnection } from './chain.js'
import { WALLET_FILE, type Wallet } from '../escrow/wallet.js'
import { sendPayment, planPayment } from '../escrow/send.js'
import { outputScriptFor } from '../escrow/psbt.js'
import { DUST_SATS } from '../escrow/amounts.js'
import { BAD_ARGUMENT } from '../errors.js'

export interface ReceiveAddress { address: string, uri: string, path: string, chain: string }
export interface Balance { confirmedSats: number, unconfirmedSats: number, chain: string, tipHeight: number }
export interface SendPlan {
  address: string
  chain: string
  sentSats: number
  feeSats: number
  changeSats: number
  feeRate: number // sat/vB; sending with it spends the same coins for the same fee
  inputs: number
}
export interface Sent { txid: string, address: string, sentSats: number, feeSats: number, changeSats: number, feeRate: number }

export function checkAddress (address: string, c: Pick<ChainConnection, 'chain' | 'network'>): void {
  try {
    outputScriptFor(address, c.network)
  } catch {
    throw BAD_ARGUMENT(`${JSON.stringify(address)} is not a ${c.chain} address (they start with ${c.network.bech32}1 or are base58 for this chain): check it and paste it again`)
  }
}

// The wallet and chain to use: the escrow engine's when it runs (one instance, so the address indexes never go
// backwards when both save wallet.json), else the wallet file on the chain asked for, or the open market's (the
// app's; the CLI's wallet commands open no market).
export async function withWallet<T> (p: P2Print, needBackend: boolean, fn: (w: Wallet, c: ChainConnection) => Promise<T>): Promise<T> {
  if (p.escrow !== null) return await fn(p.escrow.engine.wallet, p.escrow.conn)
  const conn = await openChain({ ...p.opts, chain: p.opts.chain ?? await p.marketChain() }, { needBackend })
  try {
    const { wallet, created } = await ensureWallet(p.peer.dir, conn.network)
    if (created) p.event('wallet-created', { file: path.join(p.peer.dir, WALLET_FILE) })
    return await fn(wallet, conn)
  } finally {
    if (conn.backend !== null) await conn.backend.close()
  }
}

export async function receiveAddress (p: P2Print): Promise<ReceiveAddress> {
  return await withWallet(p, false, async (w, c) => {
    const a = await w.nextReceiveAddress()
    return { address: a.address, uri: `bitcoin:${a.address}`, path: a.path, chain: c.chain }
  })
}

export async function balance (p: P2Print): Promise<Balance> {
  return await withWallet(p, true, async (w, c) => {
    const backend = c.backend!
    const b = await w.balance(backend)
    const tipHeight = await backend.tipHeight()
    await w.save()
    return { confirmedSats: Number(b.confirmedSats), unconfirmedSats: Number(b.unconfirmedSats), chain: c.chain, tipHeight }
  })
}

// What sending `sats` to `address` would pay, without signing or broadcasting.
export async function planSend (p: P2Print, address: string, sats: bigint, feeRate?: number): Promise<SendPlan> {
  if (sats < DUST_SATS) throw BAD_ARGUMENT(`the amount is below the dust limit of ${DUST_SATS} sats`)
  return await withWallet(p, false, async (w, c) => {
    checkAddress(address.trim(), c)
    if (c.backend === null) throw BAD_ARGUMENT(NEEDS_BACKEND)
    const plan = await planPayment(w, c.backend, { address: address.trim(), sats, feeRate })
    return { address: address.trim(), chain: c.chain, sentSats: Number(sats), feeSats: Number(plan.feeSats), changeSats: Number(plan.changeSats), feeRate: plan.feeRate, inputs: plan.utxos.length }
  })
}

export async function send (p: P2Print, address: string, sats: bigint, o: { feeRate?: number, maxFeeSats?: bigint }): Promise<Sent> {
  return await withWallet(p, true, async (w, c) => {
    const r = await sendPayment(w, c.backend!, { address, sats, feeRate: o.feeRate, maxFeeSats: o.maxFeeSats })
    return { txid: r.txid, address, sentSats: Number(r.sentSats), feeSats: Number(r.feeSats), changeSats: Number(r.changeSats), feeRate: r.feeRate }
  })
}
