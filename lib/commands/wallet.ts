// wallet mnemonic | wallet restore | wallet address | wallet balance | wallet send ADDRESS BTC
import fs from '#fs'
import path from '#path'
import * as bitcoin from 'bitcoinjs-lib'
import { withService, type Ctx, type Result } from './context.js'
import { parseSendAmount, parseFeeRate } from '../job/amounts.js'
import type { P2Print } from '../service/p2print.js'
import { Wallet, WALLET_FILE, checkMnemonic } from '../escrow/wallet.js'
import { withWallet, receiveAddress, balance, planSend, send, checkAddress, releaseEndedHolds, type SendPlan } from '../service/wallet.js'
import { BAD_ARGUMENT, HOSTED_REFUSED } from '../errors.js'
import { LIMIT_BOUNDS, LIMIT_FLAGS, type EscrowLimits } from '../escrow/limits.js'

// The wallet needs the storage only: a service without the swarm (or the running process's, lib/sidecar).
async function onService<T> (ctx: Ctx, fn: (p: P2Print) => Promise<T>): Promise<T> {
  return await withService(ctx, fn, { network: false })
}

export async function walletMnemonic (ctx: Ctx): Promise<Result> {
  return onService(ctx, async (p) => await withWallet(p, false, async (w) => ({ kind: 'mnemonic', data: { mnemonic: w.mnemonic, fingerprint: w.fingerprint } })))
}

// Takes a recovery phrase. A different wallet already in the storage is never deleted: it is moved aside.
export async function walletRestore (ctx: Ctx, words: string | null): Promise<Result> {
  if (ctx.session !== undefined) throw HOSTED_REFUSED(ctx.storage, 'its escrow engine signs with the wallet it opened: stop it to restore a wallet')
  const text = words ?? await readStdin()
  const mnemonic = checkMnemonic(text)
  return await withService(ctx, async ({ peer }) => {
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
  }, { network: false, noNewWallet: true })
}

export async function walletAddress (ctx: Ctx): Promise<Result> {
  return onService(ctx, async (p) => ({ kind: 'address', data: await receiveAddress(p) }))
}

export async function walletBalance (ctx: Ctx): Promise<Result> {
  return onService(ctx, async (p) => ({ kind: 'balance', data: await balance(p) }))
}

export { checkAddress, type SendPlan }

// What `wallet send ADDRESS BTC` would pay, without signing or broadcasting (`wallet send --dry-run`, and the UI's
// confirmation before it sends at this same fee rate).
export async function walletSendPlan (ctx: Ctx, address: string, btc: string, feeRateText?: string): Promise<SendPlan> {
  const sats = parseSendAmount(btc)
  const feeRate = parseFeeRate(feeRateText)
  return onService(ctx, async (p) => {
    await releaseEndedHolds(p, { openCurrent: true })
    return await planSend(p, address, sats, feeRate)
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
  return onService(ctx, async (p) => {
    await releaseEndedHolds(p, { openCurrent: true })
    return { kind: 'sent', data: await send(p, address, sats, { feeRate, maxFeeSats }) }
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

// `wallet limits [--max-arbitration-fee N] [--max-deposit N] [--max-refund-delay BLOCKS] [--max-funding-timeout SECS]
// [--min-funding-depth N] [--min-delivery-window DAYS]`: this peer's own limits on the escrow terms it takes part in; shown, or changed and shown.
export async function walletLimits (ctx: Ctx, flags: Partial<Record<keyof EscrowLimits, string>>): Promise<Result> {
  const patch: Partial<EscrowLimits> = {}
  for (const k of Object.keys(LIMIT_BOUNDS) as Array<keyof EscrowLimits>) {
    const text = flags[k]
    if (text === undefined) continue
    const [min, max] = LIMIT_BOUNDS[k]
    const n = Number(text)
    if (!Number.isInteger(n) || n < min || n > max) throw BAD_ARGUMENT(`${LIMIT_FLAGS[k]} must be a whole number from ${min} to ${max}`)
    patch[k] = n
  }
  return onService(ctx, async (p) => ({ kind: 'limits', data: Object.keys(patch).length === 0 ? await p.escrowLimits() : await p.setEscrowLimits(patch) }))
}
