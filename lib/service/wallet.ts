// The peer's Bitcoin wallet on a P2Print: receive addresses, the balance, and payments planned and sent.
import fs from '#fs'
import path from '#path'
import * as bitcoin from 'bitcoinjs-lib'
import type { Network } from 'bitcoinjs-lib'
import type { P2Print } from './p2print.js'
import { openChain, ensureWallet, NEEDS_BACKEND, type ChainConnection } from './chain.js'
import { WALLET_FILE, Wallet, checkMnemonic } from '../escrow/wallet.js'
import { sendPayment, planPayment } from '../escrow/send.js'
import { outputScriptFor } from '../escrow/psbt.js'
import { DUST_SATS } from '../escrow/amounts.js'
import { mainnet, testnet, regtest, bcoinRegtest } from '../escrow/networks.js'
import { liveHolds, type Hold } from '../escrow/reservations.js'
import { toHex } from '../escrow/script.js'
import { getJob } from '../market/view.js'
import { parseJobIdPrefix } from '../ids.js'
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
  const why = addressProblem(address, c)
  if (why !== null) throw BAD_ARGUMENT(why)
}

const OTHER_NETWORKS: Array<[string, Network]> = [['mainnet', mainnet], ['testnet or signet', testnet], ['regtest (Bitcoin Core)', regtest], ['regtest (bcoin)', bcoinRegtest]]

// The first characters of this network's base58 addresses (P2PKH and P2SH), e.g. "1 or 3".
function base58Starts (n: Network): string {
  const starts = new Set<string>()
  for (const version of [n.pubKeyHash, n.scriptHash]) {
    for (const fill of [0, 0xff]) starts.add(bitcoin.address.toBase58Check(new Uint8Array(20).fill(fill), version)[0])
  }
  const list = [...starts]
  return list.length === 1 ? list[0] : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`
}

// What is wrong with an address for this wallet's chain, in words (null: it can be paid): not an address at all, a
// typo its checksum catches, or an address of another network; and what this chain's addresses look like.
export function addressProblem (address: string, c: Pick<ChainConnection, 'chain' | 'network'>): string | null {
  const a = address.trim()
  try {
    outputScriptFor(a, c.network)
    return null
  } catch {}
  const expected = `${c.chain} addresses start with ${c.network.bech32}1 (or, older ones, with ${base58Starts(c.network)})`
  const not = (why: string): string => `${JSON.stringify(address)} is not a ${c.chain} address: ${why}; ${expected}. Check it and paste it again`
  if (a === '') return not('it is empty')
  if (/\s/.test(a)) return not('an address has no spaces in it')
  const other = (match: (n: Network) => boolean): string | undefined => OTHER_NETWORKS.find(([, n]) => match(n))?.[0]
  let bech: { prefix: string, version: number } | null = null
  try { bech = bitcoin.address.fromBech32(a) } catch (err) {
    const hrp = a.toLowerCase().slice(0, a.lastIndexOf('1'))
    const name = other(n => n.bech32 === hrp)
    if (name !== undefined && a.lastIndexOf('1') > 0) {
      const like = `it looks like ${hrp === c.network.bech32 ? 'one' : `a ${name} address`} (${hrp}1…), but`
      const msg = (err as Error).message
      if (/checksum/i.test(msg)) return not(`${like} its checksum does not match: a character is wrong, missing or extra`)
      const bad = /Unknown character (.)/.exec(msg)?.[1]
      if (bad !== undefined) return not(`${like} has ${JSON.stringify(bad)} in it, which no such address has (after ${hrp}1 there is never a b, i, o or 1)`)
      if (/mixed-case/i.test(msg)) return not(`${like} it mixes capital and small letters`)
      return not(`${like} it is ${/short/.test(msg) ? 'too short' : /length/.test(msg) ? 'too long' : 'not a valid address of that kind'}`)
    }
  }
  if (bech !== null) {
    const name = other(n => n.bech32 === bech.prefix)
    if (bech.prefix === c.network.bech32) return not(`it is a kind of address this wallet cannot pay (witness version ${bech.version})`)
    return not(name !== undefined ? `it is a ${name} address (${bech.prefix}1…), and this wallet is on ${c.chain}` : `it is an address of another coin or network (${bech.prefix}1…)`)
  }
  let b58: { version: number } | null = null
  try { b58 = bitcoin.address.fromBase58Check(a) } catch (err) {
    if (/checksum/i.test((err as Error).message) && /^[1-9A-HJ-NP-Za-km-z]{25,35}$/.test(a)) return not('its checksum does not match: a character is wrong, missing or extra')
  }
  if (b58 !== null) {
    const name = other(n => n.pubKeyHash === b58.version || n.scriptHash === b58.version)
    return not(name !== undefined ? `it is a ${name} address, and this wallet is on ${c.chain}` : 'it is an address of another coin or network')
  }
  return not('it is not a Bitcoin address')
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

// Drops the holds in reserved.json of escrows the market's record shows are over (funded: the coins are spent in
// it; lapsed, withdrawn, cancelled, closed), so neither a payment nor its over-balance message counts coins held
// for them. Reads the view of the market open on this storage; `openCurrent` opens the current one for it (the CLI's
// wallet commands open none). Holds of jobs this view does not have (another market's) stay until their time.
export async function releaseEndedHolds (p: P2Print, opts: { openCurrent?: boolean } = {}): Promise<void> {
  const now = Date.now()
  if ((await liveHolds(p.peer.dir, now)).length === 0) return
  if (p.peer.market === null && opts.openCurrent === true && p.peer.currentMarketKey !== null) await p.peer.openMarket()
  const view = p.peer.market?.view
  if (view === undefined) return
  await liveHolds(p.peer.dir, now, async h => await holdEnded(view, h, now))
}

// A hold this young is kept whatever the record says: the op that names its coins may not be applied yet.
export const HOLD_GRACE_MS = 10 * 60_000

export async function holdEnded (view: Parameters<typeof getJob>[0], h: Hold, now: number): Promise<boolean> {
  if (h.at !== null && now - h.at < HOLD_GRACE_MS) return false
  const id = parseJobIdPrefix(h.job)
  if (id === null || id.text.length !== 26) return false
  const job = await getJob(view, id.bytes)
  if (job === null) return false
  const e = job.escrow ?? null
  if (job.status !== 'accepted' || e === null || e.closed !== null || e.fundingTxid !== null) return true
  // still waiting for its funding: held while this escrow's record names the coin (not if another printer's does)
  return ![...e.printer.inputs, ...(e.client?.inputs ?? [])].some(c => `${toHex(c.txid)}:${c.vout}` === h.outpoint)
}

// What sending `sats` to `address` would pay, without signing or broadcasting.
export async function planSend (p: P2Print, address: string, sats: bigint, feeRate?: number): Promise<SendPlan> {
  if (sats < DUST_SATS) throw BAD_ARGUMENT(`the amount is below the dust limit of ${DUST_SATS} sats`)
  return await withWallet(p, false, async (w, c) => {
    checkAddress(address.trim(), c)
    if (c.backend === null) throw BAD_ARGUMENT(NEEDS_BACKEND)
    await releaseEndedHolds(p)
    const plan = await planPayment(w, c.backend, { address: address.trim(), sats, feeRate })
    return { address: address.trim(), chain: c.chain, sentSats: Number(sats), feeSats: Number(plan.feeSats), changeSats: Number(plan.changeSats), feeRate: plan.feeRate, inputs: plan.utxos.length }
  })
}

export async function send (p: P2Print, address: string, sats: bigint, o: { feeRate?: number, maxFeeSats?: bigint }): Promise<Sent> {
  if (sats < DUST_SATS) throw BAD_ARGUMENT(`the amount is below the dust limit of ${DUST_SATS} sats`)
  address = address.trim()
  return await withWallet(p, false, async (w, c) => {
    checkAddress(address, c) // what is wrong with it, before anything else (as planSend does)
    if (c.backend === null) throw BAD_ARGUMENT(NEEDS_BACKEND)
    await releaseEndedHolds(p)
    const r = await sendPayment(w, c.backend, { address, sats, feeRate: o.feeRate, maxFeeSats: o.maxFeeSats })
    return { txid: r.txid, address, sentSats: Number(r.sentSats), feeSats: Number(r.feeSats), changeSats: Number(r.changeSats), feeRate: r.feeRate }
  })
}

export interface Restored { fingerprint: string, movedTo: string | null, unchanged: boolean }

// What restoring these words would do (nothing is written): the phrase checked, its wallet's fingerprint, and the
// fingerprint of the wallet in the storage now (null when there is none).
export async function previewRestore (dir: string, words: string): Promise<{ fingerprint: string, current: string | null }> {
  const mnemonic = checkMnemonic(words)
  const fingerprint = Wallet.fromMnemonic(mnemonic, { network: bitcoin.networks.bitcoin }).fingerprint
  if (!fs.existsSync(path.join(dir, WALLET_FILE))) return { fingerprint, current: null }
  return { fingerprint, current: (await Wallet.load(dir, { network: bitcoin.networks.bitcoin })).fingerprint }
}

// `wallet restore`: the phrase is checked before anything moves, and a different wallet already in the storage is
// never deleted: it is moved aside (wallet.json.replaced-TIME).
export async function restoreWallet (dir: string, words: string): Promise<Restored> {
  const mnemonic = checkMnemonic(words)
  const file = path.join(dir, WALLET_FILE)
  let movedTo: string | null = null
  if (fs.existsSync(file)) {
    const old = await Wallet.load(dir, { network: bitcoin.networks.bitcoin })
    if (old.mnemonic === mnemonic) return { fingerprint: old.fingerprint, movedTo: null, unchanged: true }
    movedTo = `${file}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`
    await fs.promises.rename(file, movedTo)
  }
  const wallet = Wallet.fromMnemonic(mnemonic, { network: bitcoin.networks.bitcoin })
  await wallet.save(dir)
  return { fingerprint: wallet.fingerprint, movedTo, unchanged: false }
}
