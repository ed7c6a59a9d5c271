// Bench: a model payload between two local peers, against a raw TCP loopback copy of the same bytes.
//
// Peers: A and B join one market over a local testnet (one process, real Hyperswarm connections). A attaches a
// payload to its Hyperdrive; B fetches it with the same code `job download` uses (ModelDrives.fetch: entry, blocks,
// then the sha256 check). Baseline, same run: the same bytes sent over a plain TCP socket on 127.0.0.1 and read by
// the other end, in 64 KiB writes. Both are run twice, alternating, best of each kept.
// Goal: Hyperdrive MB/s ≥ 0.3 × TCP MB/s.
//
//   node --import tsx bench/transfer.ts        (BENCH_MB=100 to change the size)
import net from 'net'
import path from 'path'
import crypto from 'crypto'
import Corestore from 'corestore'
import createTestnet from '@hyperswarm/testnet'
import { Market } from '../lib/market/market.js'
import { tmpDir, rmDir, nowMs, round, printResult, exitGuard, env } from './_util.js'

const MB = env('BENCH_MB', 100)
const GOAL = 0.3

async function tcpCopy (bytes: Uint8Array): Promise<number> {
  const server = net.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  const received = new Promise<number>((resolve, reject) => {
    server.once('connection', (sock) => {
      let n = 0
      const hash = crypto.createHash('sha256')
      sock.on('data', (d: Buffer) => { n += d.byteLength; hash.update(d) })
      sock.on('end', () => {
        const ok = hash.digest().equals(crypto.createHash('sha256').update(bytes).digest())
        if (!ok || n !== bytes.byteLength) reject(new Error('tcp copy corrupted'))
        else resolve(nowMs())
      })
      sock.on('error', reject)
    })
  })
  const t0 = nowMs()
  const sock = net.connect(port, '127.0.0.1')
  await new Promise<void>(resolve => sock.once('connect', () => resolve()))
  for (let off = 0; off < bytes.byteLength; off += 65536) {
    if (!sock.write(bytes.subarray(off, off + 65536))) await new Promise(resolve => sock.once('drain', resolve))
  }
  sock.end()
  const t1 = await received
  sock.destroy()
  await new Promise(resolve => server.close(resolve))
  return t1 - t0
}

async function main (): Promise<void> {
  const dir = await tmpDir('transfer')
  const tn = await createTestnet(4)
  const stores: Corestore[] = []
  const markets: Market[] = []
  try {
    const bytes = crypto.randomBytes(MB * 1024 * 1024)
    console.log(`transfer: ${MB} MiB payload, Hyperdrive between two local peers vs TCP loopback`)
    const open = async (name: string, key: Uint8Array | null): Promise<Market> => {
      const store = new Corestore(path.join(dir, name))
      stores.push(store)
      const m = new Market(store.namespace('market'), key, { bootstrap: tn.bootstrap })
      markets.push(m)
      await m.ready()
      return m
    }
    const a = await open('a', null)
    let t = nowMs()
    const ref = await a.files.attach(bytes, 'payload.bin', { kind: 'stl', models: 1, facets: 0, sizeMm: [0, 0, 0], volumeCm3: 0, areaCm2: 0, shells: 0, closed: false, manifold: false, fits: [] })
    console.log(`  attached to A's drive in ${round(nowMs() - t, 0)} ms`)

    const drive: number[] = []
    const tcp: number[] = []
    for (let run = 0; run < 2; run++) {
      if (run === 0) {
        tcp.push(await tcpCopy(bytes))
        console.log(`  tcp run ${run + 1}: ${round(tcp.at(-1)!, 0)} ms`)
      }
      // a fresh peer each run, so nothing is stored yet
      const b = await open('b' + run, a.key)
      await Promise.all([a.sync(20_000), b.sync(20_000)])
      t = nowMs()
      const got = await b.files.fetch(ref, { maxBytes: Number.MAX_SAFE_INTEGER, stallMs: 30_000 })
      drive.push(nowMs() - t)
      if (got.byteLength !== bytes.byteLength) throw new Error('size mismatch')
      console.log(`  hyperdrive run ${run + 1}: ${round(drive.at(-1)!, 0)} ms (entry + blocks + sha256 check)`)
      await b.close()
      if (run === 1) {
        tcp.push(await tcpCopy(bytes))
        console.log(`  tcp run ${run + 1}: ${round(tcp.at(-1)!, 0)} ms`)
      }
    }
    t = nowMs()
    crypto.createHash('sha256').update(bytes).digest()
    const shaMs = nowMs() - t

    const mbytes = bytes.byteLength / 1e6
    const driveMBs = mbytes / (Math.min(...drive) / 1000)
    const tcpMBs = mbytes / (Math.min(...tcp) / 1000)
    const ratio = driveMBs / tcpMBs
    console.log('')
    console.log(`  hyperdrive: ${round(driveMBs, 1)} MB/s   (best of ${drive.length}; includes a ${round(shaMs, 0)} ms sha256 of the whole file)`)
    console.log(`  tcp:        ${round(tcpMBs, 1)} MB/s   (best of ${tcp.length}; the receiver hashes as it reads)`)
    console.log(`  ratio:      ${round(ratio, 3)}×`)
    console.log(`  goal: ≥ ${GOAL}× → ${ratio >= GOAL ? 'MET' : 'NOT MET'}`)
    printResult({ bench: 'transfer', mib: MB, hyperdriveMBs: round(driveMBs, 1), tcpMBs: round(tcpMBs, 1), ratio: round(ratio, 3), shaMs: round(shaMs, 0), goal: `>= ${GOAL}x tcp`, goalMet: ratio >= GOAL })
  } finally {
    for (const m of markets) await m.close().catch(() => {})
    for (const s of stores) await s.close().catch(() => {})
    await tn.destroy()
    await rmDir(dir)
    exitGuard()
  }
}

main().catch((err: unknown) => {
  console.error('transfer failed:', err)
  process.exitCode = 1
})
