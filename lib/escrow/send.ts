// An ordinary payment from the wallet: coin selection, a P2WPKH transaction with change back to the wallet,
// signed, checked and broadcast.
import * as bitcoin from 'bitcoinjs-lib'
import type { Wallet } from './wallet.js'
import { selectCoins } from './wallet.js'
import { liveHolds } from './reservations.js'
import type { ChainBackend } from './chain.js'
import { outputScriptFor, TX_VERSION } from './psbt.js'
import { finalize } from './psbt-sign.js'
import { outputWeight, MIN_FEE_RATE } from './fees.js'
import { verifyTx } from './witness.js'
import { DUST_SATS } from './amounts.js'
import { fromHex } from './script.js'
import { BAD_ARGUMENT, FEE_CHANGED, INSUFFICIENT_FUNDS_RESERVED, SIGNING_FAILED, type P2PrintError } from '../errors.js'

export interface SendResult {
  txid: string
  hex: string
  sentSats: bigint
  feeSats: bigint
  changeSats: bigint
  feeRate: number
}

export interface PaymentPlan {
  script: Uint8Array
  feeRate: number
  utxos: Awaited<ReturnType<Wallet['listUtxos']>>
  feeSats: bigint
  changeSats: bigint
}

// The coin selection of a payment at a fixed fee rate, with nothing signed, saved or sent: what `wallet send
// --dry-run` and the UI's confirmation show, and what sendPayment then pays.
export async function planPayment (wallet: Wallet, chain: ChainBackend, opts: { address: string, sats: bigint, feeRate?: number }): Promise<PaymentPlan> {
  if (opts.sats < DUST_SATS) throw BAD_ARGUMENT(`the amount is below the dust limit of ${DUST_SATS} sats`)
  let script: Uint8Array
  try {
    script = outputScriptFor(opts.address, wallet.network)
  } catch {
    throw BAD_ARGUMENT(`${JSON.stringify(opts.address)} is not a ${wallet.network.bech32} address`)
  }
  const feeRate = Math.max(MIN_FEE_RATE, opts.feeRate ?? await chain.feeRate(6))
  // coins an escrow op of this wallet has put up (an accept, a proposal) stay for that escrow
  const holds = await liveHolds(wallet.dir, Date.now())
  const reserved = new Set(holds.map(h => h.outpoint))
  const all = await wallet.listUtxos(chain)
  const utxos = all.filter(u => !reserved.has(`${u.txid}:${u.vout}`))
  // the payment output and the transaction's own overhead are paid on top of the coins' inputs; every change
  // address is P2WPKH, so the first one's length is every one's
  const fixedFeeSats = BigInt(Math.ceil(feeRate * (outputWeight(script) + 42) / 4))
  let sel: ReturnType<typeof selectCoins<(typeof utxos)[number]>>
  try {
    sel = selectCoins(utxos, { targetSats: opts.sats, feeRate, fixedFeeSats, changeScriptLength: wallet.changeAddress(0).script.byteLength })
  } catch (err) {
    // only holds on coins the wallet still has (one spent into its funding holds nothing back), naming their jobs
    const held = holds.filter(h => all.some(u => `${u.txid}:${u.vout}` === h.outpoint))
    if ((err as P2PrintError).code === 'INSUFFICIENT_FUNDS' && held.length > 0) {
      throw INSUFFICIENT_FUNDS_RESERVED((err as Error).message, held.length, [...new Set(held.map(h => h.job))])
    }
    throw err
  }
  return { script, feeRate, utxos: sel.utxos, feeSats: sel.feeSats, changeSats: sel.changeSats }
}

// maxFeeSats: what the payer saw and agreed to (a dry run, the UI's confirmation); a plan that now costs more (the
// coins changed meanwhile) is refused instead of sent.
export async function sendPayment (wallet: Wallet, chain: ChainBackend, opts: { address: string, sats: bigint, feeRate?: number, maxFeeSats?: bigint }): Promise<SendResult> {
  const plan = await planPayment(wallet, chain, opts)
  if (opts.maxFeeSats !== undefined && plan.feeSats > opts.maxFeeSats) throw FEE_CHANGED(plan.feeSats, opts.maxFeeSats)
  const { script, feeRate } = plan
  const sel = plan
  const change = await wallet.nextChangeAddress()
  const psbt = new bitcoin.Psbt({ network: wallet.network })
  psbt.setVersion(TX_VERSION)
  for (const u of sel.utxos) {
    psbt.addInput({ hash: u.txid, index: u.vout, sequence: 0xfffffffd, witnessUtxo: { script: fromHex(u.scriptPubKeyHex), value: u.valueSats } })
  }
  psbt.addOutput({ script, value: opts.sats })
  if (sel.changeSats > 0n) psbt.addOutput({ script: change.script, value: sel.changeSats })
  wallet.signPsbt(psbt)
  const { hex } = finalize(psbt)
  const problems = verifyTx(hex, sel.utxos.map(u => ({ script: fromHex(u.scriptPubKeyHex), value: u.valueSats })))
  if (problems.length > 0) throw SIGNING_FAILED(problems)
  const txid = await chain.broadcast(hex)
  if (sel.changeSats > 0n) await wallet.save()
  return { txid, hex, sentSats: opts.sats, feeSats: sel.feeSats, changeSats: sel.changeSats, feeRate }
}
