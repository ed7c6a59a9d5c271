// A BIP39/BIP84 wallet: the keys a peer funds escrows with, signs its own inputs and escrow spends with, and
// everything needed to get them back from the recovery phrase alone.
//
// Recovery phrase: new wallets get 12 words (128 bits of entropy, BIP39 English list); `strength: 256` gives 24.
// Restoring accepts any valid BIP39 phrase (12–24 words), checks every word against the list and the checksum,
// and says which word is wrong or that the checksum fails. An optional BIP39 passphrase is supported.
//
// Derivation (coin' = 0' on mainnet, 1' on every other network, as BIP44/BIP84 say):
//   m/84'/coin'/0'/0/i          receive addresses (P2WPKH, BIP84 account 0)
//   m/84'/coin'/0'/1/i          change addresses
//   m/84'/coin'/1000'/a'/b'/r'  the escrow key of job `jobId` in role r (0 client, 1 printer, 2 arbitrator), where
//                               h = sha256(UTF-8 bytes of the job id string exactly as p2print prints it: the
//                               26-character lower-case z-base32 id), a = (first 4 bytes of h, big-endian) >>> 1
//                               (its first 31 bits) and b = (bytes 4–7 of h, big-endian) >>> 1. Two indexes give
//                               62 bits, so two jobs practically never share a key. A restored phrase re-derives
//                               the escrow key of every job from the job ids alone; no counter is needed.
// Account 1000' is outside the range BIP84 wallets scan for accounts, so other wallets restoring the same phrase
// neither show nor spend escrow keys by accident.
//
// Persistence: `<dir>/wallet.json` (mode 0600, the directory 0700) holds the phrase, the passphrase if any and the
// next unused receive/change index per network. It is written atomically: a temporary file in the same directory,
// fsync, rename over wallet.json, fsync of the directory; a crash leaves either the old file or the new one, never
// a torn one. save() refuses to replace a wallet.json that holds a different phrase.
//
// Scanning: ChainBackend can list an address's unspent coins but not its history, so an address whose coins were
// all spent looks unused to it. "Used" therefore means: has coins now, or its index is below the next index this
// wallet has handed out (kept in wallet.json). A phrase restored on a new machine finds every address that still
// holds coins within the gap limit (20) of the last one that does; it cannot see fully-spent addresses, which hold
// nothing. (An address-history call in ChainBackend would lift this.)
//
// Coin selection (selectCoins): coins worth less than the fee to spend them are skipped; then the smallest single
// coin that pays the whole amount (fewest inputs, keeps big coins whole, links fewer of the user's coins), and
// otherwise largest-first until the amount and the fee for the inputs so far are covered. Change below dust is
// left to the miner. The fee model is fees.ts's (272 WU per P2WPKH input, the change output, a fixed part).
import crypto from '#crypto'
import fs from '#fs'
import path from '#path'
import * as bitcoin from 'bitcoinjs-lib'
import * as ecc from 'tiny-secp256k1'
import { BIP32Factory, type BIP32Interface } from 'bip32'
import { generateMnemonic, mnemonicToSeedSync, validateMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import type { ChainBackend, Utxo } from './chain.js'
import { DUST_SATS, type EscrowAmounts } from './amounts.js'
import { feeForWeight, fundingSharedShare, outputWeight, WEIGHT } from './fees.js'
import { isP2wpkhScript } from './psbt.js'
import { signInputs } from './psbt-sign.js'
import { bytesEqual, parseEscrowScript, toHex } from './script.js'
import { BAD_ESCROW, BAD_MNEMONIC, INSUFFICIENT_FUNDS, WALLET_EXISTS, WALLET_NOT_FOUND } from '../errors.js'

bitcoin.initEccLib(ecc)
const bip32 = BIP32Factory(ecc)

export const GAP_LIMIT = 20
export const WALLET_FILE = 'wallet.json'
export const ESCROW_ACCOUNT = 1000
export type EscrowRole = 'client' | 'printer' | 'arbitrator'
export const ESCROW_ROLE_INDEX: Record<EscrowRole, number> = { client: 0, printer: 1, arbitrator: 2 }

export interface WalletAddress {
  address: string
  path: string
  chain: 0 | 1 // 0 receive, 1 change
  index: number
  pubkey: Uint8Array
  script: Uint8Array
}

export interface WalletUtxo extends Utxo {
  path: string
  chain: 0 | 1
  index: number
  address: string
}

export interface Balance {
  confirmedSats: bigint
  unconfirmedSats: bigint
}

export interface ScanResult {
  utxos: WalletUtxo[]
  nextReceive: number
  nextChange: number
}

interface WalletFile {
  version: 1
  mnemonic: string
  passphrase?: string
  // next unused index per network (keyed by the network's bech32 prefix)
  indexes?: Record<string, { receive: number, change: number }>
}

export function coinTypeFor (network: bitcoin.Network): 0 | 1 {
  return network.bech32 === bitcoin.networks.bitcoin.bech32 ? 0 : 1
}

export function normalizeMnemonic (text: string): string {
  return text.normalize('NFKD').trim().toLowerCase().split(/\s+/).join(' ')
}

// Throws BAD_MNEMONIC saying what is wrong (word count, unknown words by position, or the checksum).
export function checkMnemonic (text: string): string {
  if (typeof text !== 'string') throw BAD_MNEMONIC('expected the words as text')
  const m = normalizeMnemonic(text)
  const words = m.length === 0 ? [] : m.split(' ')
  if (![12, 15, 18, 21, 24].includes(words.length)) {
    throw BAD_MNEMONIC(`it has ${words.length} word${words.length === 1 ? '' : 's'}; a BIP39 phrase has 12, 15, 18, 21 or 24`)
  }
  const unknown = words.map((w, i) => ({ w, i })).filter(({ w }) => !wordlist.includes(w))
  if (unknown.length > 0) {
    throw BAD_MNEMONIC(unknown.map(({ w, i }) => `word ${i + 1} (${JSON.stringify(w)})`).join(', ') + ` ${unknown.length === 1 ? 'is' : 'are'} not in the BIP39 English word list`)
  }
  if (!validateMnemonic(m, wordlist)) throw BAD_MNEMONIC('the checksum does not match: a word is wrong or two are swapped')
  return m
}

// The escrow key path of a job and role (see the header).
export function escrowPath (jobId: string, role: EscrowRole, network: bitcoin.Network): string {
  if (typeof jobId !== 'string' || jobId.length === 0) throw BAD_ESCROW('an escrow key needs the job id')
  const r = ESCROW_ROLE_INDEX[role]
  if (r === undefined) throw BAD_ESCROW(`unknown escrow role ${JSON.stringify(role)}`)
  const h = crypto.createHash('sha256').update(jobId, 'utf8').digest()
  const a = h.readUInt32BE(0) >>> 1
  const b = h.readUInt32BE(4) >>> 1
  return `m/84'/${coinTypeFor(network)}'/${ESCROW_ACCOUNT}'/${a}'/${b}'/${r}'`
}

export interface SelectOptions {
  targetSats: bigint // what the selected coins must pay (besides the fee)
  feeRate: number // sat/vB
  fixedFeeSats?: bigint // a fee the selection must also pay (e.g. its share of a shared transaction)
  changeScriptLength?: number // 22 for P2WPKH change
}

export interface Selection<U extends { valueSats: bigint }> {
  utxos: U[]
  inputSats: bigint
  feeSats: bigint // all the fee these coins pay (including fixedFeeSats and any dust change)
  changeSats: bigint // 0n: no change output
}

// See the header. Only P2WPKH coins. Deterministic for the same coins (ties broken by txid:vout).
export function selectCoins<U extends { txid: string, vout: number, valueSats: bigint }> (utxos: U[], o: SelectOptions): Selection<U> {
  if (typeof o.targetSats !== 'bigint' || o.targetSats <= 0n) throw BAD_ESCROW('the amount to pay must be a positive number of sats')
  const fixed = o.fixedFeeSats ?? 0n
  const changeW = outputWeight(new Uint8Array(o.changeScriptLength ?? 22))
  const inputFee = feeForWeight(WEIGHT.p2wpkhInput, o.feeRate)
  const plan = (coins: U[]): Selection<U> | null => {
    let inputSats = 0n
    for (const c of coins) inputSats += c.valueSats
    const w = coins.length * WEIGHT.p2wpkhInput
    const feeWith = feeForWeight(w + changeW, o.feeRate) + fixed
    const change = inputSats - o.targetSats - feeWith
    if (change >= DUST_SATS) return { utxos: coins, inputSats, feeSats: feeWith, changeSats: change }
    const feeNo = feeForWeight(w, o.feeRate) + fixed
    const left = inputSats - o.targetSats - feeNo
    if (left < 0n) return null
    return { utxos: coins, inputSats, feeSats: feeNo + left, changeSats: 0n }
  }
  const usable = utxos.filter(u => u.valueSats > inputFee).sort((x, y) =>
    x.valueSats === y.valueSats ? (`${x.txid}:${x.vout}` < `${y.txid}:${y.vout}` ? -1 : 1) : (x.valueSats > y.valueSats ? -1 : 1))
  // the smallest single coin that does it
  for (let i = usable.length - 1; i >= 0; i--) {
    const s = plan([usable[i]])
    if (s !== null) return s
  }
  // largest first
  const picked: U[] = []
  for (const u of usable) {
    picked.push(u)
    const s = plan(picked)
    if (s !== null) return s
  }
  let have = 0n
  for (const u of usable) have += u.valueSats
  const need = o.targetSats + feeForWeight(Math.max(1, usable.length) * WEIGHT.p2wpkhInput, o.feeRate) + fixed
  throw INSUFFICIENT_FUNDS(need, have)
}

// The coins one side brings to a joint funding transaction: pays its contribution, its own inputs and change, and
// its half of the shared part, exactly as buildFunding will compute it.
export function selectFundingCoins<U extends { txid: string, vout: number, valueSats: bigint }> (utxos: U[], role: 'client' | 'printer', amounts: EscrowAmounts, feeRate: number): Selection<U> {
  return selectCoins(utxos, {
    targetSats: role === 'client' ? amounts.clientIn : amounts.printerIn,
    feeRate,
    fixedFeeSats: fundingSharedShare(role, feeRate)
  })
}

export class Wallet {
  readonly network: bitcoin.Network
  readonly coinType: 0 | 1
  dir: string | null = null
  nextReceive = 0
  nextChange = 0
  private readonly phrase: string
  private readonly passphrase: string
  private readonly root: BIP32Interface
  private readonly account: BIP32Interface
  private readonly chains: [BIP32Interface, BIP32Interface]
  private readonly byScript = new Map<string, WalletAddress>()
  private readonly derived: [number, number] = [0, 0] // how many of each chain are in byScript

  private constructor (mnemonic: string, passphrase: string, network: bitcoin.Network) {
    this.phrase = mnemonic
    this.passphrase = passphrase
    this.network = network
    this.coinType = coinTypeFor(network)
    this.root = bip32.fromSeed(mnemonicToSeedSync(mnemonic, passphrase), network)
    this.account = this.root.derivePath(`m/84'/${this.coinType}'/0'`)
    this.chains = [this.account.derive(0), this.account.derive(1)]
  }

  // A new wallet with a fresh phrase (12 words by default, 24 with strength 256).
  static generate ({ network, strength = 128 }: { network: bitcoin.Network, strength?: 128 | 256 }): Wallet {
    if (strength !== 128 && strength !== 256) throw BAD_ESCROW('strength is 128 (12 words) or 256 (24 words)')
    return new Wallet(generateMnemonic(wordlist, strength), '', network)
  }

  static fromMnemonic (mnemonic: string, { network, passphrase = '' }: { network: bitcoin.Network, passphrase?: string }): Wallet {
    return new Wallet(checkMnemonic(mnemonic), passphrase.normalize('NFKD'), network)
  }

  static async load (dir: string, { network }: { network: bitcoin.Network }): Promise<Wallet> {
    const file = path.join(dir, WALLET_FILE)
    let text: string
    try {
      text = await fs.promises.readFile(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw WALLET_NOT_FOUND(file)
      throw err
    }
    let data: WalletFile
    try {
      data = JSON.parse(text) as WalletFile
    } catch (err) {
      throw BAD_MNEMONIC(`${file} is not valid JSON (${(err as Error).message})`)
    }
    if (data === null || typeof data !== 'object' || data.version !== 1 || typeof data.mnemonic !== 'string') throw BAD_MNEMONIC(`${file} is not a p2print wallet file`)
    const w = Wallet.fromMnemonic(data.mnemonic, { network, passphrase: data.passphrase ?? '' })
    const ix = data.indexes?.[network.bech32]
    if (ix !== undefined) {
      w.nextReceive = Number.isSafeInteger(ix.receive) && ix.receive >= 0 ? ix.receive : 0
      w.nextChange = Number.isSafeInteger(ix.change) && ix.change >= 0 ? ix.change : 0
    }
    w.dir = dir
    return w
  }

  // Writes <dir>/wallet.json atomically (see the header). Keeps the indexes other networks stored.
  async save (dir: string | null = this.dir): Promise<void> {
    if (dir === null) throw BAD_ESCROW('save(dir): this wallet has no directory yet')
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 })
    const file = path.join(dir, WALLET_FILE)
    let indexes: Record<string, { receive: number, change: number }> = {}
    try {
      const old = JSON.parse(await fs.promises.readFile(file, 'utf8')) as WalletFile
      if (normalizeMnemonic(String(old.mnemonic)) !== this.phrase || (old.passphrase ?? '') !== this.passphrase) throw WALLET_EXISTS(file)
      indexes = old.indexes ?? {}
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        if ((err as { code?: string }).code === 'WALLET_EXISTS') throw err
        throw WALLET_EXISTS(file) // unreadable or not ours: never overwrite what may be someone's only copy
      }
    }
    indexes[this.network.bech32] = { receive: this.nextReceive, change: this.nextChange }
    const data: WalletFile = { version: 1, mnemonic: this.phrase, ...(this.passphrase === '' ? {} : { passphrase: this.passphrase }), indexes }
    await writeFileAtomic(file, JSON.stringify(data, null, 2) + '\n', 0o600)
    this.dir = dir
  }

  // The recovery phrase, to show the user (once) so they can write it down.
  get mnemonic (): string {
    return this.phrase
  }

  get fingerprint (): string {
    return toHex(this.root.fingerprint)
  }

  // The account's extended public key (m/84'/coin'/0'), for a watch-only copy.
  get accountXpub (): string {
    return this.account.neutered().toBase58()
  }

  address (chain: 0 | 1, index: number): WalletAddress {
    if (!Number.isInteger(index) || index < 0 || index >= 0x80000000) throw BAD_ESCROW(`bad address index ${index}`)
    const node = this.chains[chain].derive(index)
    const pay = bitcoin.payments.p2wpkh({ pubkey: node.publicKey, network: this.network })
    if (pay.address === undefined || pay.output === undefined) throw new Error('cannot derive address')
    const a: WalletAddress = { address: pay.address, path: `m/84'/${this.coinType}'/0'/${chain}/${index}`, chain, index, pubkey: node.publicKey, script: pay.output }
    this.byScript.set(toHex(a.script), a)
    return a
  }

  receiveAddress (index: number): WalletAddress { return this.address(0, index) }
  changeAddress (index: number): WalletAddress { return this.address(1, index) }

  // Hands out the next unused address (and saves the new index when the wallet has a directory).
  async nextReceiveAddress (): Promise<WalletAddress> {
    const a = this.receiveAddress(this.nextReceive++)
    if (this.dir !== null) await this.save()
    return a
  }

  async nextChangeAddress (): Promise<WalletAddress> {
    const a = this.changeAddress(this.nextChange++)
    if (this.dir !== null) await this.save()
    return a
  }

  escrowPath (jobId: string, role: EscrowRole): string {
    return escrowPath(jobId, role, this.network)
  }

  // The signing key for a job's escrow in a role (a bitcoinjs Signer).
  escrowKey (jobId: string, role: EscrowRole): BIP32Interface {
    return this.root.derivePath(this.escrowPath(jobId, role))
  }

  escrowPubkey (jobId: string, role: EscrowRole): Uint8Array {
    return this.escrowKey(jobId, role).publicKey
  }

  private ensureDerived (extra = GAP_LIMIT): void {
    const want: [number, number] = [this.nextReceive + extra, this.nextChange + extra]
    for (const c of [0, 1] as const) {
      for (let i = this.derived[c]; i < want[c]; i++) this.address(c, i)
      this.derived[c] = Math.max(this.derived[c], want[c])
    }
  }

  // Which address of this wallet a script pays, if any (looks up to the gap limit past the last used index).
  findScript (script: Uint8Array): WalletAddress | null {
    const hex = toHex(script)
    if (!this.byScript.has(hex)) this.ensureDerived()
    return this.byScript.get(hex) ?? null
  }

  // Signs the P2WPKH inputs this wallet owns (recognised by the coin's script), only those in `inputIndexes` if
  // given (then every one of them must be ours). SIGHASH_ALL only. Returns the indexes it signed.
  signPsbt (psbt: bitcoin.Psbt, inputIndexes?: number[]): number[] {
    const signed: number[] = []
    const which = inputIndexes ?? psbt.data.inputs.map((_, i) => i)
    for (const i of which) {
      const d = psbt.data.inputs[i]
      if (d === undefined) throw BAD_ESCROW(`no input ${i}`)
      const script = d.witnessUtxo?.script
      const mine = script !== undefined && isP2wpkhScript(script) ? this.findScript(script) : null
      if (mine === null) {
        if (inputIndexes !== undefined) throw BAD_ESCROW(`input ${i} does not spend a coin of this wallet`)
        continue
      }
      signInputs(psbt, this.chains[mine.chain].derive(mine.index), [i])
      signed.push(i)
    }
    return signed
  }

  // Signs the escrow input (a P2WSH 2-of-3 whose script holds this job's key for `role`).
  signEscrow (psbt: bitcoin.Psbt, jobId: string, role: EscrowRole, inputIndex = 0): void {
    const d = psbt.data.inputs[inputIndex]
    if (d === undefined) throw BAD_ESCROW(`no input ${inputIndex}`)
    const key = this.escrowKey(jobId, role)
    const keys = d.witnessScript === undefined ? null : parseEscrowScript(d.witnessScript)
    if (keys === null || !keys.some(k => bytesEqual(k, key.publicKey))) throw BAD_ESCROW(`input ${inputIndex} is not this job's escrow (no ${role} key of job ${jobId} in its script)`)
    signInputs(psbt, key, [inputIndex])
  }

  // Finds this wallet's coins: both chains, until GAP_LIMIT consecutive addresses past the last used one show
  // nothing. Raises nextReceive/nextChange past any address found holding coins.
  async scan (chain: ChainBackend, { gapLimit = GAP_LIMIT }: { gapLimit?: number } = {}): Promise<ScanResult> {
    if (!Number.isInteger(gapLimit) || gapLimit < 1) throw BAD_ESCROW('gapLimit must be a positive integer')
    const utxos: WalletUtxo[] = []
    for (const c of [0, 1] as const) {
      let lastUsed = (c === 0 ? this.nextReceive : this.nextChange) - 1
      let i = 0
      while (i - 1 - lastUsed < gapLimit || i <= lastUsed) {
        const batch: WalletAddress[] = []
        for (let k = 0; k < gapLimit; k++) batch.push(this.address(c, i + k))
        const found = await Promise.all(batch.map(a => chain.utxos(a.address)))
        for (let k = 0; k < batch.length; k++) {
          const a = batch[k]
          if (a.index - lastUsed > gapLimit) break // gapLimit unused addresses in a row: the end
          const list = found[k]
          if (list.length > 0) lastUsed = Math.max(lastUsed, a.index)
          for (const u of list) utxos.push({ ...u, path: a.path, chain: c, index: a.index, address: a.address, scriptPubKeyHex: toHex(a.script) })
        }
        i += gapLimit
      }
      if (c === 0) this.nextReceive = Math.max(this.nextReceive, lastUsed + 1)
      else this.nextChange = Math.max(this.nextChange, lastUsed + 1)
    }
    this.ensureDerived(gapLimit)
    return { utxos, nextReceive: this.nextReceive, nextChange: this.nextChange }
  }

  async listUtxos (chain: ChainBackend, opts: { gapLimit?: number } = {}): Promise<WalletUtxo[]> {
    return (await this.scan(chain, opts)).utxos
  }

  async balance (chain: ChainBackend, opts: { gapLimit?: number } = {}): Promise<Balance> {
    return balanceOf(await this.listUtxos(chain, opts))
  }

  selectCoins<U extends { txid: string, vout: number, valueSats: bigint }> (utxos: U[], o: SelectOptions): Selection<U> {
    return selectCoins(utxos, o)
  }
}

export function balanceOf (utxos: Utxo[]): Balance {
  let confirmedSats = 0n
  let unconfirmedSats = 0n
  for (const u of utxos) {
    if (u.height === null) unconfirmedSats += u.valueSats
    else confirmedSats += u.valueSats
  }
  return { confirmedSats, unconfirmedSats }
}

// tmp file in the same directory → write → fsync → rename → fsync the directory.
export async function writeFileAtomic (file: string, data: string, mode: number): Promise<void> {
  const dir = path.dirname(file)
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`)
  const fh = await fs.promises.open(tmp, 'wx', mode)
  try {
    const bytes = Buffer.from(data, 'utf8') // FileHandle.write, not writeFile: Bare's file handles have no writeFile
    for (let at = 0; at < bytes.byteLength;) at += (await fh.write(bytes, at, bytes.byteLength - at)).bytesWritten
    await fh.chmod(mode) // the umask may have cleared bits of `mode`; never leave it wider either
    await fh.sync()
  } catch (err) {
    await fh.close()
    await fs.promises.rm(tmp, { force: true })
    throw err
  }
  await fh.close()
  try {
    await fs.promises.rename(tmp, file)
  } catch (err) {
    await fs.promises.rm(tmp, { force: true })
    throw err
  }
  const dh = await fs.promises.open(dir, 'r')
  try {
    await dh.sync()
  } catch {
    // some file systems do not fsync directories; the rename itself is still atomic
  } finally {
    await dh.close()
  }
}
