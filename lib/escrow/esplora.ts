// Esplora: a ChainBackend over the Esplora REST API (blockstream.info, mempool.space, a self-hosted electrs).
// baseUrl is the API root, e.g. https://mempool.space/api or https://blockstream.info/testnet/api.
//
// Esplora lists UTXOs without their script: the scriptPubKey is derived from the address (Core's prefixes for the
// chain). Unknown txs are { found: false } / null, as the API reports them (404). A POST /tx that the node refuses
// answers 400 with the node's reason as text, which becomes BROADCAST_REJECTED; "already in block chain" for a tx
// that Esplora shows confirmed counts as accepted. Fee estimates: the estimate for the largest target ≤ `blocks`,
// never below minFeeRate (regtest/signet instances often return {}).
import http from '#http'
import https from '#https'
import { Transaction, address as baddress } from 'bitcoinjs-lib'
import type { ChainBackend, ChainName, TxStatus, Utxo } from './chain.js'
import { networkFor } from './networks.js'
import { httpRequest, redactUrl, type HttpResponse } from './http.js'
import { BROADCAST_REJECTED, CHAIN_ERROR, BAD_ARGUMENT } from '../errors.js'

export interface EsploraOptions {
  baseUrl: string
  chain: ChainName
  timeoutMs?: number // per request; default 30 s
  minFeeRate?: number // sat/vB; default 1
}

const TXID = /^[0-9a-f]{64}$/

export class Esplora implements ChainBackend {
  readonly chain: ChainName
  private readonly base: URL
  private readonly shown: string
  private readonly timeoutMs: number
  private readonly minFeeRate: number
  private readonly agent: http.Agent
  private closed = false

  constructor (opts: EsploraOptions) {
    this.chain = opts.chain
    this.base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : opts.baseUrl + '/')
    this.shown = redactUrl(this.base)
    this.timeoutMs = opts.timeoutMs ?? 30_000
    this.minFeeRate = opts.minFeeRate ?? 1
    this.agent = this.base.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 4 }) : new http.Agent({ keepAlive: true, maxSockets: 4 })
  }

  private async req (path: string, body?: string): Promise<HttpResponse> {
    if (this.closed) throw CHAIN_ERROR('this Bitcoin backend is closed')
    const url = new URL(path, this.base)
    return httpRequest({
      url,
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? { accept: 'application/json, text/plain' } : { 'content-type': 'text/plain' },
      body,
      timeoutMs: this.timeoutMs,
      agent: this.agent
    })
  }

  private fail (path: string, res: HttpResponse): never {
    const text = res.body.trim().slice(0, 300)
    throw CHAIN_ERROR(`GET ${path}: HTTP ${res.status} from ${this.shown}${text === '' ? '' : ': ' + text}`)
  }

  // body of a 200 as JSON; null for 404
  private async json<T> (path: string): Promise<T | null> {
    const res = await this.req(path)
    if (res.status === 404) return null
    if (res.status !== 200) this.fail(path, res)
    try {
      return JSON.parse(res.body) as T
    } catch {
      throw CHAIN_ERROR(`GET ${path}: ${this.shown} answered with something that is not JSON: ${res.body.slice(0, 200)}`)
    }
  }

  private async text (path: string): Promise<string | null> {
    const res = await this.req(path)
    if (res.status === 404) return null
    if (res.status !== 200) this.fail(path, res)
    return res.body.trim()
  }

  private static txid (txid: string): string {
    if (!TXID.test(txid)) throw BAD_ARGUMENT(`${JSON.stringify(txid)} is not a txid (64 lowercase hex digits)`)
    return txid
  }

  async tipHeight (): Promise<number> {
    const text = await this.text('blocks/tip/height')
    const n = Number(text)
    if (text === null || text === '' || !Number.isInteger(n) || n < 0) throw CHAIN_ERROR(`blocks/tip/height: ${this.shown} answered ${JSON.stringify(text)}, not a height`)
    return n
  }

  async utxos (address: string): Promise<Utxo[]> {
    let script: string
    try {
      script = Buffer.from(baddress.toOutputScript(address, networkFor(this.chain, 'core'))).toString('hex')
    } catch (err) {
      throw BAD_ARGUMENT(`${JSON.stringify(address)} is not a ${this.chain} address: ${(err as Error).message}`)
    }
    const list = await this.json<Array<{ txid: string, vout: number, value: number, status: { confirmed: boolean, block_height?: number } }>>(`address/${encodeURIComponent(address)}/utxo`)
    if (list === null) return []
    if (!Array.isArray(list)) throw CHAIN_ERROR(`address/…/utxo: ${this.shown} did not answer with a list`)
    return list.map(u => {
      if (typeof u.txid !== 'string' || !Number.isInteger(u.vout) || !Number.isSafeInteger(u.value)) throw CHAIN_ERROR(`address/…/utxo: malformed entry ${JSON.stringify(u).slice(0, 200)}`)
      return {
        txid: u.txid,
        vout: u.vout,
        valueSats: BigInt(u.value),
        height: u.status?.confirmed === true ? u.status.block_height ?? null : null,
        scriptPubKeyHex: script
      }
    }).sort((a, b) => (a.height ?? Infinity) - (b.height ?? Infinity) || (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : a.vout - b.vout))
  }

  async txStatus (txid: string): Promise<TxStatus> {
    const st = await this.json<{ confirmed: boolean, block_height?: number }>(`tx/${Esplora.txid(txid)}/status`)
    if (st === null) return { found: false, confirmed: false, height: null, depth: 0 }
    if (st.confirmed !== true || typeof st.block_height !== 'number') return { found: true, confirmed: false, height: null, depth: 0 }
    const tip = await this.tipHeight()
    return { found: true, confirmed: true, height: st.block_height, depth: Math.max(1, tip - st.block_height + 1) }
  }

  async txHex (txid: string): Promise<string | null> {
    return this.text(`tx/${Esplora.txid(txid)}/hex`)
  }

  async outspend (txid: string, vout: number): Promise<{ txid: string, confirmed: boolean } | null> {
    const r = await this.json<{ spent: boolean, txid?: string, status?: { confirmed: boolean } }>(`tx/${Esplora.txid(txid)}/outspend/${vout}`)
    if (r === null || r.spent !== true) return null
    if (typeof r.txid !== 'string') throw CHAIN_ERROR(`tx/…/outspend: ${this.shown} says spent but names no spender`)
    return { txid: r.txid, confirmed: r.status?.confirmed === true }
  }

  async broadcast (txHex: string): Promise<string> {
    const res = await this.req('tx', txHex.trim())
    if (res.status === 200) return res.body.trim()
    const reason = res.body.trim()
    if (res.status === 400) {
      if (/already in (the )?block ?chain|outputs already in utxo set|-27/i.test(reason)) {
        let id: string | null = null
        try { id = Transaction.fromHex(txHex).getId() } catch {}
        if (id !== null && (await this.txStatus(id)).found) return id
      }
      throw BROADCAST_REJECTED(reason === '' ? 'HTTP 400 without a reason' : reason)
    }
    this.fail('tx', res)
  }

  async feeRate (blocks: number): Promise<number> {
    const est = await this.json<Record<string, number>>('fee-estimates')
    let rate = this.minFeeRate
    if (est !== null && typeof est === 'object') {
      const targets = Object.keys(est).map(Number).filter(k => Number.isInteger(k) && k > 0 && typeof est[k] === 'number' && est[k] > 0).sort((a, b) => a - b)
      if (targets.length > 0) {
        const fit = targets.filter(k => k <= blocks)
        const key = fit.length > 0 ? fit[fit.length - 1] : targets[0]
        rate = Math.max(rate, est[key])
      }
    }
    return Math.ceil(rate * 1000) / 1000
  }

  async close (): Promise<void> {
    this.closed = true
    this.agent.destroy()
  }
}
