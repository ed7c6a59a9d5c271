// Chain backends: BitcoinRpc against a real (in-process) bcoin regtest node, Esplora against a local HTTP server
// serving canned Esplora answers (that part checks our HTTP/JSON handling and error paths, not Bitcoin).
import test from 'brittle'
import fs from 'fs'
import os from 'os'
import path from 'path'
import http from 'http'
import type { AddressInfo } from 'net'
import { Psbt, payments, Transaction, networks } from 'bitcoinjs-lib'
import { ECPairFactory, type ECPairInterface } from 'ecpair'
import * as ecc from 'tiny-secp256k1'
import { startRegtest, type RegtestChain } from './regtest.js'
import { BitcoinRpc } from '../lib/escrow/rpc.js'
import { Esplora } from '../lib/escrow/esplora.js'
import { bcoinRegtest, networkFor, regtest } from '../lib/escrow/networks.js'
import type { Utxo } from '../lib/escrow/chain.js'
import { P2PrintError } from '../lib/errors.js'

const ECPair = ECPairFactory(ecc)

interface Wallet { key: ECPairInterface, address: string, script: Uint8Array }

function newWallet (): Wallet {
  const key = ECPair.makeRandom({ network: bcoinRegtest })
  const p = payments.p2wpkh({ pubkey: key.publicKey, network: bcoinRegtest })
  return { key, address: p.address!, script: p.output! }
}

// A signed tx spending `u` (a P2WPKH output of w) to `to`, minus a 300-sat fee.
function spend (w: Wallet, u: Utxo, to: Uint8Array, opts: { fee?: bigint, locktime?: number, sequence?: number } = {}): Transaction {
  const psbt = new Psbt({ network: bcoinRegtest })
  if (opts.locktime !== undefined) psbt.setLocktime(opts.locktime)
  psbt.addInput({ hash: u.txid, index: u.vout, sequence: opts.sequence, witnessUtxo: { script: w.script, value: u.valueSats } })
  psbt.addOutput({ script: to, value: u.valueSats - (opts.fee ?? 300n) })
  psbt.signAllInputs(w.key)
  psbt.finalizeAllInputs()
  return psbt.extractTransaction()
}

async function rejects (t: any, p: Promise<unknown>, code: string, re?: RegExp, what = code): Promise<P2PrintError | null> {
  try {
    await p
    t.fail(`${what}: expected ${code}, it resolved`)
    return null
  } catch (err) {
    const ok = err instanceof P2PrintError && err.code === code && (re === undefined || re.test(err.message))
    t.ok(ok, `${what}: ${err instanceof Error ? err.message : String(err)}`)
    return err as P2PrintError
  }
}

test('networks: prefixes per chain and flavour', (t) => {
  t.is(networkFor('regtest', 'core').bech32, 'bcrt')
  t.is(networkFor('regtest', 'bcoin').bech32, 'rb')
  t.is(networkFor('regtest').pubKeyHash, 0x6f)
  t.is(networkFor('signet').bech32, 'tb')
  t.is(networkFor('mainnet').bech32, 'bc')
  t.is(bcoinRegtest.wif, 0x5a)
  t.is(regtest.scriptHash, 0xc4)
})

test('BitcoinRpc on a bcoin regtest node', { timeout: 60_000 }, async (t) => {
  const t0 = Date.now()
  const chain: RegtestChain = await startRegtest(t)
  const rpc = chain.backend
  t.comment(`regtest node up and 500 blocks mined in ${chain.startupMs} ms`)

  await t.test('detection and chain check', async (t) => {
    t.is(rpc.flavour, 'bcoin')
    t.is(rpc.chain, 'regtest')
    const wrong = new BitcoinRpc({ url: chain.rpcUrl, chain: 'mainnet' })
    await rejects(t, wrong.tipHeight(), 'CHAIN_MISMATCH', /regtest/)
    await wrong.close()
  })

  await t.test('credentials, cookie file, unreachable node', async (t) => {
    const bad = new BitcoinRpc({ url: `http://x:wrong@127.0.0.1:${chain.port}/`, chain: 'regtest' })
    await rejects(t, bad.tipHeight(), 'CHAIN_AUTH_FAILED')
    await bad.close()
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'p2print-cookie-'))
    t.teardown(() => fs.promises.rm(dir, { recursive: true, force: true }))
    const cookie = path.join(dir, '.cookie')
    await fs.promises.writeFile(cookie, `__cookie__:${chain.apiKey}\n`)
    const viaCookie = new BitcoinRpc({ url: `http://127.0.0.1:${chain.port}/`, chain: 'regtest', cookieFile: cookie })
    t.is(await viaCookie.tipHeight(), 500, 'cookie file auth')
    await viaCookie.close()
    const server = http.createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const freePort = (server.address() as AddressInfo).port
    await new Promise(resolve => server.close(resolve))
    const gone = new BitcoinRpc({ url: `http://user:secret@127.0.0.1:${freePort}/`, chain: 'regtest', timeoutMs: 2000 })
    const err = await rejects(t, gone.tipHeight(), 'CHAIN_UNREACHABLE', /connection refused/)
    t.absent(err?.message.includes('secret'), 'the password is not in the message')
    await gone.close()
  })

  await t.test('tipHeight, fund → utxos unconfirmed → confirmed, txStatus depth, txHex', async (t) => {
    t.is(await rpc.tipHeight(), 500)
    const w = newWallet()
    t.alike(await rpc.utxos(w.address), [], 'fresh address has no utxos')
    const txid = await chain.fund(w.address, 1_234_567n)
    let utxos = await rpc.utxos(w.address)
    t.is(utxos.length, 1)
    t.is(utxos[0].txid, txid)
    t.is(utxos[0].valueSats, 1_234_567n)
    t.is(utxos[0].height, null, 'unconfirmed')
    t.is(utxos[0].scriptPubKeyHex, Buffer.from(w.script).toString('hex'))
    t.alike(await rpc.txStatus(txid), { found: true, confirmed: false, height: null, depth: 0 })

    await chain.mine(1)
    utxos = await rpc.utxos(w.address)
    t.is(utxos[0].height, 501, 'confirmed at 501')
    t.alike(await rpc.txStatus(txid), { found: true, confirmed: true, height: 501, depth: 1 })
    await chain.mine(2)
    t.alike(await rpc.txStatus(txid), { found: true, confirmed: true, height: 501, depth: 3 })

    const hex = await rpc.txHex(txid)
    t.is(hex !== null && Transaction.fromHex(hex).getId(), txid, 'txHex is the tx')
    const unknown = 'ab'.repeat(32)
    t.is(await rpc.txHex(unknown), null)
    t.alike(await rpc.txStatus(unknown), { found: false, confirmed: false, height: null, depth: 0 })
  })

  await t.test('outspend and broadcast: valid, double spend, garbage, bad signature, non-final, again', async (t) => {
    const w = newWallet()
    const other = newWallet()
    await chain.fund(w.address, 500_000n)
    await chain.mine(1)
    const [u] = await rpc.utxos(w.address)
    t.is(await rpc.outspend(u.txid, u.vout), null, 'unspent')
    t.is(await rpc.outspend('cd'.repeat(32), 0), null, 'unknown outpoint: null')

    const tx = spend(w, u, other.script)
    t.is(await rpc.broadcast(tx.toHex()), tx.getId(), 'valid tx accepted')
    t.alike(await rpc.outspend(u.txid, u.vout), { txid: tx.getId(), confirmed: false }, 'spent in the mempool')
    t.alike(await rpc.utxos(w.address), [], 'a utxo spent in the mempool is not listed')

    const ds = spend(w, u, w.script, { fee: 1000n })
    await rejects(t, rpc.broadcast(ds.toHex()), 'BROADCAST_REJECTED', new RegExp(`already spent by ${tx.getId()} \\(in the mempool\\)`), 'double spend of a mempool spend')

    await chain.mine(1)
    t.alike(await rpc.outspend(u.txid, u.vout), { txid: tx.getId(), confirmed: true }, 'spent, confirmed')
    await rejects(t, rpc.broadcast(ds.toHex()), 'BROADCAST_REJECTED', new RegExp(`already spent by ${tx.getId()} \\(confirmed\\)`), 'double spend of a confirmed spend')
    t.is(await rpc.broadcast(tx.toHex()), tx.getId(), 'broadcasting a confirmed tx again is accepted')

    await rejects(t, rpc.broadcast('deadbeef'), 'BROADCAST_REJECTED', undefined, 'garbage hex')
    await rejects(t, rpc.broadcast('not hex at all'), 'BROADCAST_REJECTED', undefined, 'not hex')

    const [o] = await rpc.utxos(other.address)
    const good = spend(other, o, w.script)
    const forged = Transaction.fromHex(good.toHex())
    const sig = Uint8Array.from(forged.ins[0].witness[0])
    sig[10] ^= 1
    forged.ins[0].witness[0] = sig
    await rejects(t, rpc.broadcast(forged.toHex()), 'BROADCAST_REJECTED', /script|signature|verify/i, 'bad signature')

    const tip = await rpc.tipHeight()
    const locked = spend(other, o, w.script, { locktime: tip + 5, sequence: 0xfffffffe })
    await rejects(t, rpc.broadcast(locked.toHex()), 'BROADCAST_REJECTED', /non-final/, 'nLockTime in the future')
    t.is(await rpc.outspend(o.txid, o.vout), null, 'refused txs leave the output unspent')
    t.is(await rpc.broadcast(good.toHex()), good.getId(), 'the honest version goes through')
  })

  await t.test('feeRate: floor on regtest, configurable', async (t) => {
    t.is(await rpc.feeRate(2), 1, 'bcoin answers -1 on regtest: the 1 sat/vB floor')
    const high = new BitcoinRpc({ url: chain.rpcUrl, chain: 'regtest', minFeeRate: 3.5 })
    t.is(await high.feeRate(6), 3.5)
    await high.close()
  })

  t.comment(`whole regtest test: ${Date.now() - t0} ms`)
})

// ---------------------------------------------------------------------------------------------------------------
// Esplora against canned answers

interface Canned { status: number, body: string, delayMs?: number }

async function cannedServer (t: any, routes: Record<string, Canned | ((body: string) => Canned)>): Promise<{ url: string, seen: string[] }> {
  const seen: string[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d) => { body += d })
    req.on('end', () => {
      const key = `${req.method ?? ''} ${req.url ?? ''}`
      seen.push(key + (body === '' ? '' : ' ' + body))
      const r = routes[key]
      const c: Canned = r === undefined ? { status: 404, body: 'not found' } : typeof r === 'function' ? r(body) : r
      setTimeout(() => {
        if (res.destroyed) return
        res.writeHead(c.status, { 'content-type': 'text/plain' })
        res.end(c.body)
      }, c.delayMs ?? 0)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`, seen }
}

test('Esplora: answers, 404s, rejections and failures', async (t) => {
  const key = ECPair.makeRandom({ network: networks.testnet })
  const pay = payments.p2wpkh({ pubkey: key.publicKey, network: networks.testnet })
  const addr = pay.address!
  const T1 = '11'.repeat(32)
  const T2 = '22'.repeat(32)
  const T3 = '33'.repeat(32)
  const { url, seen } = await cannedServer(t, {
    'GET /api/blocks/tip/height': { status: 200, body: '2500100' },
    [`GET /api/address/${addr}/utxo`]: { status: 200, body: JSON.stringify([
      { txid: T2, vout: 1, value: 70000, status: { confirmed: false } },
      { txid: T1, vout: 0, value: 150000, status: { confirmed: true, block_height: 2500000, block_hash: 'x', block_time: 1 } }
    ]) },
    [`GET /api/tx/${T1}/status`]: { status: 200, body: JSON.stringify({ confirmed: true, block_height: 2500091 }) },
    [`GET /api/tx/${T2}/status`]: { status: 200, body: JSON.stringify({ confirmed: false }) },
    [`GET /api/tx/${T3}/status`]: { status: 404, body: 'Transaction not found' },
    [`GET /api/tx/${T1}/hex`]: { status: 200, body: '0200abcd\n' },
    [`GET /api/tx/${T3}/hex`]: { status: 404, body: 'Transaction not found' },
    [`GET /api/tx/${T1}/outspend/0`]: { status: 200, body: JSON.stringify({ spent: true, txid: T2, vin: 0, status: { confirmed: false } }) },
    [`GET /api/tx/${T1}/outspend/1`]: { status: 200, body: JSON.stringify({ spent: false }) },
    [`GET /api/tx/${T2}/outspend/0`]: { status: 500, body: 'internal trouble' },
    'POST /api/tx': (body) => body === 'good'
      ? { status: 200, body: T2 }
      : body === 'boom' ? { status: 502, body: 'bad gateway' } : { status: 400, body: 'sendrawtransaction RPC error: {"code":-26,"message":"min relay fee not met"}' },
    'GET /api/fee-estimates': { status: 200, body: JSON.stringify({ 1: 20.5, 2: 15.1, 3: 12, 6: 8.25, 144: 1.2, 1008: 0.5 }) }
  })
  const es = new Esplora({ baseUrl: url, chain: 'testnet' })
  t.teardown(() => es.close())

  t.is(await es.tipHeight(), 2500100)
  const utxos = await es.utxos(addr)
  t.alike(utxos.map(u => [u.txid, u.vout, u.valueSats, u.height]), [[T1, 0, 150000n, 2500000], [T2, 1, 70000n, null]], 'confirmed first, unconfirmed height null')
  t.is(utxos[0].scriptPubKeyHex, Buffer.from(pay.output!).toString('hex'), 'scriptPubKey derived from the address')
  await rejects(t, es.utxos('bcrt1qnotanaddress'), 'BAD_ARGUMENT', undefined, 'address of another chain')

  t.alike(await es.txStatus(T1), { found: true, confirmed: true, height: 2500091, depth: 10 })
  t.alike(await es.txStatus(T2), { found: true, confirmed: false, height: null, depth: 0 })
  t.alike(await es.txStatus(T3), { found: false, confirmed: false, height: null, depth: 0 })
  await rejects(t, es.txStatus('../etc'), 'BAD_ARGUMENT', undefined, 'txid is checked before it goes into a path')
  t.is(await es.txHex(T1), '0200abcd')
  t.is(await es.txHex(T3), null)
  t.alike(await es.outspend(T1, 0), { txid: T2, confirmed: false })
  t.is(await es.outspend(T1, 1), null)
  await rejects(t, es.outspend(T2, 0), 'CHAIN_ERROR', /HTTP 500.*internal trouble/, 'server error')

  t.is(await es.broadcast('good'), T2)
  t.ok(seen.includes('POST /api/tx good'), 'tx hex sent as the text body')
  await rejects(t, es.broadcast('bad'), 'BROADCAST_REJECTED', /min relay fee not met/, '400 body is the reason')
  await rejects(t, es.broadcast('boom'), 'CHAIN_ERROR', /502/, 'other statuses are backend errors')

  t.is(await es.feeRate(1), 20.5)
  t.is(await es.feeRate(5), 12, 'largest target ≤ 5')
  t.is(await es.feeRate(500), 1.2)
  t.is(await es.feeRate(5000), 1, 'never below the floor')

  const empty = await cannedServer(t, {
    'GET /api/fee-estimates': { status: 200, body: '{}' },
    'GET /api/blocks/tip/height': { status: 200, body: '<html>oops</html>' },
    [`GET /api/tx/${T1}/outspend/0`]: { status: 200, body: 'not json' },
    [`GET /api/tx/${T1}/hex`]: { status: 200, body: 'slow', delayMs: 800 }
  })
  const es2 = new Esplora({ baseUrl: empty.url + '/', chain: 'testnet', timeoutMs: 200, minFeeRate: 2 })
  t.teardown(() => es2.close())
  t.is(await es2.feeRate(3), 2, 'no estimates (regtest/signet): the floor')
  await rejects(t, es2.tipHeight(), 'CHAIN_ERROR', /not a height/, 'tip height that is not a number')
  await rejects(t, es2.outspend(T1, 0), 'CHAIN_ERROR', /not JSON/, 'non-JSON answer')
  await rejects(t, es2.txHex(T1), 'CHAIN_UNREACHABLE', /no answer within 200 ms/, 'timeout')

  const closed = http.createServer()
  await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
  const port = (closed.address() as AddressInfo).port
  await new Promise(resolve => closed.close(resolve))
  const es3 = new Esplora({ baseUrl: `http://127.0.0.1:${port}/api`, chain: 'testnet' })
  await rejects(t, es3.tipHeight(), 'CHAIN_UNREACHABLE', /connection refused/, 'nothing listening')
  await es3.close()
})

test('Esplora: an already-confirmed tx broadcast again counts as accepted', async (t) => {
  // a real tx, so that its txid can be computed locally
  const key = ECPair.makeRandom({ network: networks.testnet })
  const pay = payments.p2wpkh({ pubkey: key.publicKey, network: networks.testnet })
  const psbt = new Psbt({ network: networks.testnet })
  psbt.addInput({ hash: '44'.repeat(32), index: 0, witnessUtxo: { script: pay.output!, value: 10_000n } })
  psbt.addOutput({ script: pay.output!, value: 9_000n })
  psbt.signAllInputs(key)
  psbt.finalizeAllInputs()
  const tx = psbt.extractTransaction()
  const { url } = await cannedServer(t, {
    'POST /api/tx': { status: 400, body: 'sendrawtransaction RPC error: {"code":-27,"message":"Transaction already in block chain"}' },
    [`GET /api/tx/${tx.getId()}/status`]: { status: 200, body: JSON.stringify({ confirmed: true, block_height: 10 }) },
    'GET /api/blocks/tip/height': { status: 200, body: '12' }
  })
  const es = new Esplora({ baseUrl: url, chain: 'testnet' })
  t.teardown(() => es.close())
  t.is(await es.broadcast(tx.toHex()), tx.getId())
})
