// A throw-away Bitcoin regtest chain for development and tests: an in-process bcoin FullNode (in memory, no P2P),
// mined past segwit/CSV activation to a key held here, with a faucet that pays from that key's coinbases.
//
// bcoin is a devDependency: it is loaded with a dynamic import, so a published p2print runs without it and only
// these helpers fail, with BCOIN_MISSING. Addresses are bcoin's regtest ones (rb1…, see networks.ts); the faucet also
// takes Core-style bcrt1… addresses (the output script is the same).
import http from '#http'
import crypto from '#crypto'
import type { AddressInfo } from '#net'
import { Psbt, payments, address as baddress, type Network } from 'bitcoinjs-lib'
import { ECPairFactory, type ECPairInterface } from 'ecpair'
import * as ecc from 'tiny-secp256k1'
import type bcoinTypes from 'bcoin'
import { BitcoinRpc } from './rpc.js'
import { bcoinRegtest, regtest as coreRegtest } from './networks.js'
import { BAD_ARGUMENT, BCOIN_MISSING, CHAIN_ERROR } from '../errors.js'

type FullNode = InstanceType<typeof bcoinTypes.FullNode>

const ECPair = ECPairFactory(ecc)
const COINBASE_MATURITY = 100
const FAUCET_FEE_RATE = 2n // sat/vB

export interface RegtestChain {
  node: FullNode
  rpcUrl: string // http://x:APIKEY@127.0.0.1:PORT/
  apiKey: string
  port: number
  backend: BitcoinRpc
  network: Network // bcoinRegtest
  minerAddress: string
  startupMs: number
  mine (n: number, address?: string): Promise<string[]> // block hashes
  fund (address: string, sats: bigint | number): Promise<string> // txid (unconfirmed until mine)
  close (): Promise<void>
}

export interface RegtestOptions {
  port?: number // 0 (default): a free port
  host?: string
  apiKey?: string // default: random
  blocks?: number // mined at start; default 500 (segwit and CSV are active from 432; 400 mature coinbases)
}

async function loadBcoin (): Promise<typeof bcoinTypes> {
  try {
    const mod = await import('bcoin') as unknown as { default?: typeof bcoinTypes } & typeof bcoinTypes
    return mod.default ?? mod
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    if (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') throw BCOIN_MISSING()
    throw err
  }
}

// Output script of a regtest address, bcoin's (rb1…, 0x3c, 0x26) or Core's (bcrt1…, 0x6f, 0xc4).
export function regtestOutputScript (address: string): Uint8Array {
  for (const net of [bcoinRegtest, coreRegtest]) {
    try { return baddress.toOutputScript(address, net) } catch {}
  }
  throw BAD_ARGUMENT(`${JSON.stringify(address)} is not a regtest address (rb1…/bcrt1…, or base58 for regtest)`)
}

export async function startBcoinRegtest (opts: RegtestOptions = {}): Promise<RegtestChain> {
  const started = Date.now()
  const bcoin = await loadBcoin()
  const apiKey = opts.apiKey ?? crypto.randomBytes(16).toString('hex')
  const host = opts.host ?? '127.0.0.1'
  const node = new bcoin.FullNode({
    network: 'regtest',
    memory: true,
    workers: false,
    listen: false,
    httpHost: host,
    httpPort: opts.port ?? 0,
    apiKey,
    indexTX: true,
    indexAddress: true,
    logLevel: 'none'
  })
  // bcoin emits 'error' for every tx its mempool refuses (also from sendrawtransaction, which it does not await):
  // without a listener that would crash the process. The reasons reach BitcoinRpc.broadcast by other means.
  node.on('error', () => {})
  await node.open()
  const server = node.http.http
  const port = (server.address() as AddressInfo).port
  const rpcUrl = `http://x:${apiKey}@${host}:${port}/`
  const backend = new BitcoinRpc({ url: rpcUrl, chain: 'regtest', timeoutMs: 60_000 })

  const closeNode = async (): Promise<void> => {
    await backend.close()
    // bcoin relays every tx its mempool refused anyway ("broadcast anyway"), and each relay holds a 60 s timer that
    // node.close() leaves running: this, not the HTTP server, is what kept a process alive for a minute. End them.
    for (const item of [...node.pool.invMap.values()]) item.resolve()
    // and do not let open keep-alive connections (ours or anyone's) delay the HTTP server's close
    server.closeAllConnections()
    await node.close()
  }

  try {
    await backend.ready()
    if (backend.flavour !== 'bcoin') throw CHAIN_ERROR('expected bcoin to answer on the regtest port')
    const key: ECPairInterface = ECPair.makeRandom({ network: bcoinRegtest })
    const pay = payments.p2wpkh({ pubkey: key.publicKey, network: bcoinRegtest })
    const minerAddress = pay.address!
    const minerScript = pay.output!

    const mine = async (n: number, address?: string): Promise<string[]> => {
      if (!Number.isInteger(n) || n < 1 || n > 10_000) throw BAD_ARGUMENT('blocks to mine: 1 to 10000')
      return backend.call<string[]>('generatetoaddress', [n, address ?? minerAddress])
    }
    const blocks = opts.blocks ?? 500
    if (blocks > 0) await mine(blocks)

    let queue: Promise<unknown> = Promise.resolve()
    const fund = (address: string, amount: bigint | number): Promise<string> => {
      const sats = BigInt(amount)
      if (sats < 546n) return Promise.reject(BAD_ARGUMENT('faucet: at least 546 sats'))
      const script = regtestOutputScript(address)
      const run = async (): Promise<string> => {
        const tip = await backend.tipHeight()
        // the miner's confirmed, mature outputs; bcoin leaves out those a mempool tx already spends
        const coins = (await backend.utxos(minerAddress))
          .filter(u => u.height !== null && tip + 1 - u.height > COINBASE_MATURITY)
          .sort((a, b) => (b.valueSats > a.valueSats ? 1 : b.valueSats < a.valueSats ? -1 : 0))
        const psbt = new Psbt({ network: bcoinRegtest })
        let total = 0n
        let fee = 0n
        for (const c of coins) {
          psbt.addInput({ hash: c.txid, index: c.vout, witnessUtxo: { script: minerScript, value: c.valueSats } })
          total += c.valueSats
          fee = (11n + 68n * BigInt(psbt.inputCount) + 2n * 43n) * FAUCET_FEE_RATE
          if (total >= sats + fee) break
        }
        if (total < sats + fee) throw CHAIN_ERROR(`faucet: only ${total} sats are spendable; mine more blocks`)
        psbt.addOutput({ script, value: sats })
        const change = total - sats - fee
        if (change >= 546n) psbt.addOutput({ script: minerScript, value: change })
        psbt.signAllInputs(key)
        psbt.finalizeAllInputs()
        return backend.broadcast(psbt.extractTransaction().toHex())
      }
      const p = queue.then(run, run)
      queue = p.catch(() => {})
      return p
    }

    return {
      node,
      rpcUrl,
      apiKey,
      port,
      backend,
      network: bcoinRegtest,
      minerAddress,
      startupMs: Date.now() - started,
      mine,
      fund,
      close: closeNode
    }
  } catch (err) {
    await closeNode().catch(() => {})
    throw err
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The dev node: the chain above plus a small faucet HTTP API (127.0.0.1 by default):
//   POST /faucet {"address": "rb1…", "btc": "0.5"}   → {"txid", "confirmed"}   (mines 1 block unless "confirm": false)
//   POST /mine   {"blocks": 1, "address"?: "rb1…"}   → {"height", "hashes"}
//   GET  /                                          → {rpcUrl, network, height, minerAddress}

export interface RegtestNodeInfo {
  rpcUrl: string
  rpcPort: number
  apiKey: string
  faucetUrl: string
  height: number
  minerAddress: string
  startupMs: number
}

export interface RegtestNodeHandle extends RegtestNodeInfo {
  chain: RegtestChain
  close (): Promise<void>
}

function parseSats (body: Record<string, unknown>): bigint {
  if (body.sats !== undefined) {
    if (typeof body.sats !== 'number' && typeof body.sats !== 'string') throw BAD_ARGUMENT('"sats" must be an integer')
    if (!/^\d+$/.test(String(body.sats))) throw BAD_ARGUMENT('"sats" must be an integer')
    return BigInt(String(body.sats))
  }
  const m = /^(\d{1,8})(?:\.(\d{1,8}))?$/.exec(String(body.btc ?? '1'))
  if (m === null) throw BAD_ARGUMENT('"btc" must be an amount like "0.5" (8 decimals at most)')
  return BigInt(m[1]) * 100_000_000n + BigInt((m[2] ?? '').padEnd(8, '0'))
}

function readJson (req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let text = ''
    req.setEncoding('utf8')
    req.on('data', (d: string) => {
      text += d
      if (text.length > 64 * 1024) { reject(BAD_ARGUMENT('request too large')); req.destroy() }
    })
    req.on('end', () => {
      try {
        const v = text.trim() === '' ? {} : JSON.parse(text)
        if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object')
        resolve(v as Record<string, unknown>)
      } catch { reject(BAD_ARGUMENT('the body must be a JSON object')) }
    })
    req.on('error', reject)
  })
}

export async function runRegtestNode (opts: { port?: number, faucetPort?: number, host?: string, apiKey?: string, blocks?: number, onReady?: (info: RegtestNodeInfo) => void } = {}): Promise<RegtestNodeHandle> {
  const host = opts.host ?? '127.0.0.1'
  const chain = await startBcoinRegtest({ port: opts.port ?? 0, host, apiKey: opts.apiKey, blocks: opts.blocks })
  const send = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body) + '\n')
  }
  const faucet = http.createServer((req, res) => {
    const handle = async (): Promise<void> => {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      if (req.method === 'GET' && path === '/') {
        send(res, 200, { rpcUrl: chain.rpcUrl, network: 'bcoin regtest (rb1… addresses)', height: await chain.backend.tipHeight(), minerAddress: chain.minerAddress })
      } else if (req.method === 'POST' && path === '/faucet') {
        const body = await readJson(req)
        if (typeof body.address !== 'string') throw BAD_ARGUMENT('"address" is required')
        const txid = await chain.fund(body.address, parseSats(body))
        const confirm = body.confirm !== false
        if (confirm) await chain.mine(1)
        send(res, 200, { txid, confirmed: confirm })
      } else if (req.method === 'POST' && path === '/mine') {
        const body = await readJson(req)
        const n = body.blocks === undefined ? 1 : Number(body.blocks)
        const hashes = await chain.mine(n, typeof body.address === 'string' ? body.address : undefined)
        send(res, 200, { height: await chain.backend.tipHeight(), hashes })
      } else {
        send(res, 404, { error: { code: 'NOT_FOUND', message: 'use POST /faucet {"address","btc"}, POST /mine {"blocks"} or GET /' } })
      }
    }
    handle().catch((err: { code?: string, message?: string, usage?: boolean }) => {
      send(res, err.usage === true ? 400 : 500, { error: { code: err.code ?? 'INTERNAL', message: err.message ?? String(err) } })
    })
  })
  try {
    await new Promise<void>((resolve, reject) => {
      faucet.once('error', reject)
      faucet.listen(opts.faucetPort ?? 0, host, () => resolve())
    })
  } catch (err) {
    await chain.close()
    throw err
  }
  const faucetPort = (faucet.address() as AddressInfo).port
  const info: RegtestNodeInfo = {
    rpcUrl: chain.rpcUrl,
    rpcPort: chain.port,
    apiKey: chain.apiKey,
    faucetUrl: `http://${host}:${faucetPort}/`,
    height: await chain.backend.tipHeight(),
    minerAddress: chain.minerAddress,
    startupMs: chain.startupMs
  }
  opts.onReady?.(info)
  return {
    ...info,
    chain,
    close: async () => {
      faucet.closeAllConnections()
      await new Promise<void>(resolve => faucet.close(() => resolve()))
      await chain.close()
    }
  }
}
