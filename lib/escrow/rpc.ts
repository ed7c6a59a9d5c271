// BitcoinRpc: a ChainBackend over a node's JSON-RPC (Bitcoin Core, or bcoin as used in the tests).
//
// Which node answers is detected on first use (`getnetworkinfo` subversion: "/bcoin:…/" or "/Satoshi:…/") and
// exposed as `flavour`; the chain the node is on is checked against `chain` (a mainnet node given to a regtest
// config, or the reverse, is refused). How each call is answered:
//
//                 Bitcoin Core                                   bcoin (needs indexTX and indexAddress)
//   tipHeight     getblockcount                                  getblockcount
//   utxos         scantxoutset addr(A) (confirmed), minus        REST GET /coin/address/:a (confirmed + mempool,
//                 outputs spent in the mempool (gettxout with    minus outputs spent in the mempool)
//                 mempool); plus mempool outputs to A when the
//                 mempool holds ≤ mempoolScanLimit txs (regtest,
//                 signet, quiet testnets); on a large mempool
//                 unconfirmed outputs are not listed
//   txStatus      getrawtransaction txid true (needs -txindex    getrawtransaction txid true; height from
//                 for confirmed txs) + getblockheader            getblockheader
//   txHex         getrawtransaction txid false                   same
//   outspend      gettxout txid n true; if gone:                 REST GET /coin/:txid/:n (404 = spent or unknown);
//                 gettxspendingprevout (mempool, Core ≥ 24),     the spender is found through the address index:
//                 else a bounded scan of the blocks from the     GET /tx/address/:addr of the output's address
//                 funding block to the tip (getblock v2)
//   broadcast     sendrawtransaction; its errors are the         REST POST /broadcast (reports consensus errors),
//                 rejection; "already in chain" counts as        then getmempoolentry/getrawtransaction: bcoin
//                 accepted                                       swallows policy rejections (double spend,
//                                                                non-final, …), so when the tx is not there we
//                                                                work out the reason from its inputs
//   feeRate       estimatesmartfee (BTC/kvB), at least the       estimatesmartfee ({fee: BTC/kvB | -1})
//                 mempool's minimum fee
//
// Every answer is in satoshis and sat/vB. Network failures are CHAIN_UNREACHABLE, bad credentials
// CHAIN_AUTH_FAILED, unexpected answers CHAIN_ERROR.
import fs from '#fs'
import http from '#http'
import https from '#https'
import { Transaction } from 'bitcoinjs-lib'
import type { ChainBackend, ChainName, TxStatus, Utxo } from './chain.js'
import type { Flavour } from './networks.js'
import { httpRequest, redactUrl, type HttpResponse } from './http.js'
import { BCOIN_CHAINS, CORE_CHAINS, RpcError, btcPerKvbToSatPerVb, btcToSats, type BcoinCoin, type BcoinTx, type RawTxVerbose } from './rpc-wire.js'
import { BROADCAST_REJECTED, CHAIN_AUTH_FAILED, CHAIN_ERROR, CHAIN_MISMATCH, CHAIN_UNREACHABLE } from '../errors.js'

export interface BitcoinRpcOptions {
  // http://user:password@host:port/ (Core: rpcuser/rpcpassword; bcoin: any user, the API key as password)
  url: string
  chain: ChainName
  // Bitcoin Core's .cookie file; read on first use and again after a 401 (Core rewrites it on restart)
  cookieFile?: string
  timeoutMs?: number // per request; default 30 s
  minFeeRate?: number // sat/vB; default 1
  flavour?: Flavour // skip detection
  // Core: how many blocks after the funding block outspend may scan for a confirmed spender (default 2016)
  maxOutspendScan?: number
  // Core: mempools up to this many txs are scanned for unconfirmed outputs / spenders (default 5000)
  mempoolScanLimit?: number
}

export class BitcoinRpc implements ChainBackend {
  readonly chain: ChainName
  private readonly url: URL
  private readonly shownUrl: string
  private readonly cookieFile: string | null
  private readonly timeoutMs: number
  private readonly minFeeRate: number
  private readonly maxOutspendScan: number
  private readonly mempoolScanLimit: number
  private readonly agent: http.Agent
  private auth: string | null = null
  private _flavour: Flavour | null
  private readying: Promise<void> | null = null
  private nextId = 1
  private closed = false

  constructor (opts: BitcoinRpcOptions) {
    this.chain = opts.chain
    this.url = new URL(opts.url)
    this.shownUrl = redactUrl(this.url)
    this.cookieFile = opts.cookieFile ?? null
    this.timeoutMs = opts.timeoutMs ?? 30_000
    this.minFeeRate = opts.minFeeRate ?? 1
    this.maxOutspendScan = opts.maxOutspendScan ?? 2016
    this.mempoolScanLimit = opts.mempoolScanLimit ?? 5000
    this._flavour = opts.flavour ?? null
    this.agent = this.url.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 4 }) : new http.Agent({ keepAlive: true, maxSockets: 4 })
    if (this.url.username !== '' || this.url.password !== '') {
      this.auth = 'Basic ' + Buffer.from(`${decodeURIComponent(this.url.username)}:${decodeURIComponent(this.url.password)}`).toString('base64')
    }
  }

  // 'core' or 'bcoin'; throws before ready() resolved (unless given in the options)
  get flavour (): Flavour {
    if (this._flavour === null) throw new Error('BitcoinRpc.flavour is known only after ready()')
    return this._flavour
  }

  // Detects the node and checks its chain. Safe to call many times; every other method calls it.
  ready (): Promise<void> {
    if (this.readying === null) {
      this.readying = this.detect()
      this.readying.catch(() => { this.readying = null }) // retry on next use
    }
    return this.readying
  }

  // Which chain the node at `url` is on (for a command line that did not say --chain).
  static async detectChain (opts: Omit<BitcoinRpcOptions, 'chain'>): Promise<ChainName> {
    const probe = new BitcoinRpc({ ...opts, chain: 'mainnet' })
    try {
      const { actual, name } = await probe.identify()
      if (actual === undefined) throw CHAIN_MISMATCH(probe.shownUrl, 'mainnet', name)
      return actual
    } finally {
      await probe.close()
    }
  }

  private async identify (): Promise<{ flavour: Flavour, actual: ChainName | undefined, name: string }> {
    const info = await this.rawCall<{ subversion?: string }>('getnetworkinfo', [])
    const flavour: Flavour = /bcoin/i.test(info.subversion ?? '') ? 'bcoin' : 'core'
    let name: string
    if (flavour === 'core') {
      name = (await this.rawCall<{ chain: string }>('getblockchaininfo', [])).chain
      return { flavour, actual: CORE_CHAINS[name], name }
    }
    name = (await this.rest<{ network: string }>('/')).body?.network ?? '?'
    return { flavour, actual: BCOIN_CHAINS[name], name }
  }

  private async detect (): Promise<void> {
    const { flavour, actual, name } = await this.identify()
    if (actual !== this.chain) throw CHAIN_MISMATCH(this.shownUrl, this.chain, actual ?? name)
    if (this._flavour === null) this._flavour = flavour
  }

  // One JSON-RPC call (after detection). Throws RpcError when the node answers with an error.
  async call<T = unknown> (method: string, params: unknown[] = []): Promise<T> {
    await this.ready()
    return this.rawCall<T>(method, params)
  }

  private async authHeader (refresh: boolean): Promise<string | null> {
    if (this.cookieFile !== null && (this.auth === null || refresh)) {
      let cookie: string
      try {
        cookie = (await fs.promises.readFile(this.cookieFile, 'utf8')).trim()
      } catch (err) {
        throw CHAIN_UNREACHABLE(this.shownUrl, `cannot read the cookie file ${this.cookieFile}: ${(err as Error).message}`)
      }
      this.auth = 'Basic ' + Buffer.from(cookie).toString('base64')
    }
    return this.auth
  }

  private async send (url: URL, method: 'GET' | 'POST', body?: string): Promise<HttpResponse> {
    if (this.closed) throw CHAIN_ERROR('this Bitcoin backend is closed')
    for (let attempt = 0; ; attempt++) {
      const auth = await this.authHeader(attempt > 0)
      const headers: Record<string, string> = { accept: 'application/json' }
      if (auth !== null) headers.authorization = auth
      if (body !== undefined) headers['content-type'] = 'application/json'
      const res = await httpRequest({ url, method, headers, body, timeoutMs: this.timeoutMs, agent: this.agent })
      if (res.status === 401 || res.status === 403) {
        if (attempt === 0 && this.cookieFile !== null) continue
        throw CHAIN_AUTH_FAILED(this.shownUrl)
      }
      return res
    }
  }

  private async rawCall<T> (method: string, params: unknown[]): Promise<T> {
    const id = this.nextId++
    const res = await this.send(this.url, 'POST', JSON.stringify({ jsonrpc: '1.0', id, method, params }))
    let msg: { result?: T, error?: { code: number, message: string } | null }
    try {
      msg = JSON.parse(res.body)
    } catch {
      throw CHAIN_ERROR(`${method}: ${this.shownUrl} answered HTTP ${res.status} with something that is not JSON-RPC: ${res.body.slice(0, 200)}`)
    }
    if (msg.error !== null && msg.error !== undefined) throw new RpcError(method, msg.error.code, msg.error.message)
    if (res.status !== 200) throw CHAIN_ERROR(`${method}: HTTP ${res.status} from ${this.shownUrl}`)
    return msg.result as T
  }

  // bcoin's REST API on the same host and port. body is null for 404.
  private async rest<T> (path: string, post?: unknown): Promise<{ status: number, body: T | null }> {
    const url = new URL(path, `${this.url.protocol}//${this.url.host}`) // the origin (Bare's URL has no .origin)
    const res = await this.send(url, post === undefined ? 'GET' : 'POST', post === undefined ? undefined : JSON.stringify(post))
    if (res.status === 404) return { status: 404, body: null }
    let body: any
    try {
      body = res.body === '' ? null : JSON.parse(res.body)
    } catch {
      throw CHAIN_ERROR(`GET ${path}: ${this.shownUrl} answered HTTP ${res.status} with something that is not JSON`)
    }
    if (res.status !== 200) {
      if (post !== undefined) return { status: res.status, body } // the caller reads the error
      throw CHAIN_ERROR(`${path}: HTTP ${res.status} from ${this.shownUrl}: ${body?.error?.message ?? res.body.slice(0, 200)}`)
    }
    return { status: 200, body }
  }

  // ---- ChainBackend -------------------------------------------------------------------------------------------

  async tipHeight (): Promise<number> {
    return this.call<number>('getblockcount')
  }

  async utxos (address: string): Promise<Utxo[]> {
    await this.ready()
    const list = this.flavour === 'bcoin' ? await this.bcoinUtxos(address) : await this.coreUtxos(address)
    return list.sort((a, b) => (a.height ?? Infinity) - (b.height ?? Infinity) || (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : a.vout - b.vout))
  }

  private async bcoinUtxos (address: string): Promise<Utxo[]> {
    const { body } = await this.rest<BcoinCoin[]>(`/coin/address/${encodeURIComponent(address)}`)
    return (body ?? []).map(c => ({
      txid: c.hash,
      vout: c.index,
      valueSats: BigInt(c.value),
      height: c.height < 0 ? null : c.height,
      scriptPubKeyHex: c.script
    }))
  }

  private async coreUtxos (address: string): Promise<Utxo[]> {
    let scan: { success: boolean, unspents: Array<{ txid: string, vout: number, scriptPubKey: string, amount: number, height: number }> }
    try {
      scan = await this.call('scantxoutset', ['start', [`addr(${address})`]])
    } catch (err) {
      if (err instanceof RpcError && /in progress/i.test(err.message)) {
        await new Promise(resolve => setTimeout(resolve, 1000))
        scan = await this.call('scantxoutset', ['start', [`addr(${address})`]])
      } else throw err
    }
    if (scan.success === false) throw CHAIN_ERROR(`scantxoutset for ${address} did not complete`)
    const out: Utxo[] = []
    for (const u of scan.unspents) {
      // drop outputs a mempool tx already spends
      const still = await this.call<unknown>('gettxout', [u.txid, u.vout, true])
      if (still === null) continue
      out.push({ txid: u.txid, vout: u.vout, valueSats: btcToSats(u.amount), height: u.height, scriptPubKeyHex: u.scriptPubKey })
    }
    // unconfirmed outputs: only when the mempool is small enough to read whole
    const info = await this.call<{ size: number }>('getmempoolinfo')
    if (info.size > 0 && info.size <= this.mempoolScanLimit) {
      for (const txid of await this.call<string[]>('getrawmempool', [false])) {
        let tx: RawTxVerbose
        try { tx = await this.call<RawTxVerbose>('getrawtransaction', [txid, true]) } catch { continue } // just mined or evicted
        for (const o of tx.vout) {
          const a = o.scriptPubKey.address ?? o.scriptPubKey.addresses?.[0]
          if (a !== address) continue
          if (await this.call<unknown>('gettxout', [txid, o.n, true]) === null) continue
          out.push({ txid, vout: o.n, valueSats: btcToSats(o.value), height: null, scriptPubKeyHex: o.scriptPubKey.hex })
        }
      }
    }
    return out
  }

  // getrawtransaction verbose, or null when the node does not know the tx
  private async rawTx (txid: string): Promise<RawTxVerbose | null> {
    try {
      return await this.call<RawTxVerbose>('getrawtransaction', [txid, true])
    } catch (err) {
      if (err instanceof RpcError && (err.code === -5 || /not found/i.test(err.message))) return null
      throw err
    }
  }

  async txStatus (txid: string): Promise<TxStatus> {
    const tx = await this.rawTx(txid)
    if (tx === null) return { found: false, confirmed: false, height: null, depth: 0 }
    if (tx.blockhash === undefined || tx.blockhash === null || (tx.confirmations ?? 0) <= 0) {
      return { found: true, confirmed: false, height: null, depth: 0 }
    }
    const header = await this.call<{ height: number, confirmations: number }>('getblockheader', [tx.blockhash, true])
    if (header.confirmations < 0) return { found: true, confirmed: false, height: null, depth: 0 } // block reorged out
    return { found: true, confirmed: true, height: header.height, depth: header.confirmations }
  }

  async txHex (txid: string): Promise<string | null> {
    try {
      return await this.call<string>('getrawtransaction', [txid, false])
    } catch (err) {
      if (err instanceof RpcError && (err.code === -5 || /not found/i.test(err.message))) return null
      throw err
    }
  }

  async outspend (txid: string, vout: number): Promise<{ txid: string, confirmed: boolean } | null> {
    await this.ready()
    return this.flavour === 'bcoin' ? this.bcoinOutspend(txid, vout) : this.coreOutspend(txid, vout)
  }

  // Unknown txs and outputs count as unspent (null), as on Esplora.
  private async bcoinOutspend (txid: string, vout: number): Promise<{ txid: string, confirmed: boolean } | null> {
    const coin = await this.rest<BcoinCoin>(`/coin/${txid}/${vout}`)
    if (coin.status === 200) return null
    const funding = (await this.rest<BcoinTx>(`/tx/${txid}`)).body
    const output = funding?.outputs[vout]
    if (funding === null || output === undefined) return null
    if (output.address === null) throw CHAIN_ERROR(`${txid}:${vout} is spent, but its script has no address, so bcoin's address index cannot tell by whom`)
    const txs = (await this.rest<BcoinTx[]>(`/tx/address/${encodeURIComponent(output.address)}`)).body ?? []
    const spender = txs.find(t => t.inputs.some(i => i.prevout.hash === txid && i.prevout.index === vout))
    if (spender === undefined) throw CHAIN_ERROR(`${txid}:${vout} is spent, but bcoin's address index does not show the spender (is the node running with indexAddress?)`)
    return { txid: spender.hash, confirmed: spender.height >= 0 }
  }

  private async coreOutspend (txid: string, vout: number): Promise<{ txid: string, confirmed: boolean } | null> {
    if (await this.call<unknown>('gettxout', [txid, vout, true]) !== null) return null
    // spent in the mempool?
    const inMempool = await this.coreMempoolSpender(txid, vout)
    if (inMempool !== null) return { txid: inMempool, confirmed: false }
    const funding = await this.rawTx(txid)
    if (funding === null || vout >= funding.vout.length) return null // unknown (Core needs -txindex for confirmed txs)
    if (funding.blockhash === undefined) return null // funding unconfirmed and no mempool spender: raced, unspent
    const header = await this.call<{ height: number }>('getblockheader', [funding.blockhash, true])
    const tip = await this.call<number>('getblockcount')
    if (tip - header.height > this.maxOutspendScan) {
      throw CHAIN_ERROR(`${txid}:${vout} is spent, but finding the spender on Bitcoin Core means reading every block since ${header.height} (${tip - header.height} blocks, more than maxOutspendScan ${this.maxOutspendScan}); use an Esplora backend`)
    }
    for (let h = header.height; h <= tip; h++) {
      const hash = await this.call<string>('getblockhash', [h])
      const block = await this.call<{ tx: RawTxVerbose[] }>('getblock', [hash, 2])
      for (const tx of block.tx) {
        if (tx.vin.some(i => i.txid === txid && i.vout === vout)) return { txid: tx.txid, confirmed: true }
      }
    }
    // a block may have arrived in between: look again once
    if (await this.call<unknown>('gettxout', [txid, vout, true]) !== null) return null
    throw CHAIN_ERROR(`${txid}:${vout} is not in Bitcoin Core's UTXO set, but no spender was found up to block ${tip} (unspendable output, or a block arrived during the scan; try again)`)
  }

  private async coreMempoolSpender (txid: string, vout: number): Promise<string | null> {
    try {
      const r = await this.call<Array<{ spendingtxid?: string }>>('gettxspendingprevout', [[{ txid, vout }]])
      return r[0]?.spendingtxid ?? null
    } catch (err) {
      if (!(err instanceof RpcError && err.code === -32601)) throw err // method not found: Core < 24
    }
    const info = await this.call<{ size: number }>('getmempoolinfo')
    if (info.size > this.mempoolScanLimit) throw CHAIN_ERROR(`this Bitcoin Core has no gettxspendingprevout (Core < 24) and its mempool is too large to scan for the spender of ${txid}:${vout}`)
    for (const id of await this.call<string[]>('getrawmempool', [false])) {
      const tx = await this.rawTx(id)
      if (tx?.vin.some(i => i.txid === txid && i.vout === vout) === true) return id
    }
    return null
  }

  async broadcast (txHex: string): Promise<string> {
    await this.ready()
    let tx: Transaction | null = null
    try { tx = Transaction.fromHex(txHex) } catch {}
    if (this.flavour === 'core') {
      try {
        return await this.call<string>('sendrawtransaction', [txHex])
      } catch (err) {
        if (!(err instanceof RpcError)) throw err
        if (err.code === -27 && tx !== null) return tx.getId() // already in the chain: accepted earlier
        if (err.code === -25 || err.code === -26 || err.code === -22) throw BROADCAST_REJECTED(err.message.replace(/^sendrawtransaction: /, ''))
        throw err
      }
    }
    // bcoin: POST /broadcast awaits the mempool and reports consensus errors (bad scripts, bad amounts, parse errors)
    const res = await this.rest<{ success?: boolean, error?: { message: string, type?: string } }>('/broadcast', { tx: txHex })
    if (res.status !== 200) throw BROADCAST_REJECTED(res.body?.error?.message ?? `HTTP ${res.status}`)
    if (tx === null) throw BROADCAST_REJECTED('not a transaction that can be decoded')
    const txid = tx.getId()
    // … but policy rejections (double spend, non-final, fee, …) come back as success: look for the tx
    if (await this.bcoinInMempoolOrChain(txid)) return txid
    throw BROADCAST_REJECTED(await this.bcoinWhyRejected(tx))
  }

  private async bcoinInMempoolOrChain (txid: string): Promise<boolean> {
    try {
      await this.call('getmempoolentry', [txid])
      return true
    } catch (err) {
      if (!(err instanceof RpcError)) throw err
    }
    const st = await this.txStatus(txid)
    return st.confirmed
  }

  // bcoin does not say why its mempool refused a tx; find the usual reasons from the inputs.
  private async bcoinWhyRejected (tx: Transaction): Promise<string> {
    const tip = await this.call<number>('getblockcount')
    for (const [i, input] of tx.ins.entries()) {
      const prev = Buffer.from(input.hash).reverse().toString('hex')
      const coin = await this.rest<BcoinCoin>(`/coin/${prev}/${input.index}`)
      if (coin.status === 404) {
        let spender: { txid: string, confirmed: boolean } | null = null
        try { spender = await this.bcoinOutspend(prev, input.index) } catch {}
        if (spender !== null) return `input ${i} (${prev}:${input.index}) is already spent by ${spender.txid} (${spender.confirmed ? 'confirmed' : 'in the mempool'}): double spend`
        return `input ${i} (${prev}:${input.index}) does not exist (missing or spent inputs)`
      }
      const c = coin.body!
      // BIP68 relative lock (version ≥ 2, disable flag clear, block-based)
      if (tx.version >= 2 && (input.sequence & 0x80000000) === 0 && (input.sequence & 0x00400000) === 0 && c.height >= 0) {
        const need = input.sequence & 0xffff
        const age = tip + 1 - c.height
        if (age < need) return `input ${i} is locked for ${need} blocks after its confirmation and is only ${age} blocks old (non-BIP68-final)`
      }
      if (c.height < 0 && tx.version >= 2 && (input.sequence & 0x80000000) === 0 && (input.sequence & 0xffff) > 0) {
        return `input ${i} spends an unconfirmed output under a relative lock (non-BIP68-final)`
      }
    }
    const final = tx.ins.every(i => i.sequence === 0xffffffff)
    if (!final && tx.locktime > 0 && tx.locktime < 500_000_000 && tx.locktime >= tip + 1) {
      return `nLockTime ${tx.locktime} is not below the next block height ${tip + 1} (non-final)`
    }
    // bcoin verifies the rest (scripts with policy flags, fees, standardness) and keeps the reason to its log; note
    // that it files an invalid segwit signature under policy too (non-mandatory-script-verify-flag, score 0)
    return 'bcoin did not take it into its mempool and does not say why: its inputs exist, are unspent and unlocked, so a script or policy check failed (an invalid signature, a fee below the relay minimum or a non-standard script)'
  }

  async feeRate (blocks: number): Promise<number> {
    const target = Math.max(1, Math.min(1008, Math.round(blocks)))
    const est = await this.call<{ feerate?: number, fee?: number }>('estimatesmartfee', [target])
    let rate = this.minFeeRate
    const btcPerKvb = this.flavour === 'bcoin' ? est.fee : est.feerate
    if (typeof btcPerKvb === 'number' && btcPerKvb > 0) rate = Math.max(rate, btcPerKvbToSatPerVb(btcPerKvb))
    if (this.flavour === 'core') {
      const info = await this.call<{ mempoolminfee?: number }>('getmempoolinfo')
      if (typeof info.mempoolminfee === 'number') rate = Math.max(rate, btcPerKvbToSatPerVb(info.mempoolminfee))
    }
    return Math.ceil(rate * 1000) / 1000
  }

  async close (): Promise<void> {
    this.closed = true
    this.agent.destroy()
  }
}
