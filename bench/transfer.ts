// Bench: a model payload between two local peers, against a raw TCP loopback copy of the same bytes.
//
// Two processes each time, so sender and receiver have a core each, as two real peers would. Peers: a child
// process creates a market and attaches the payload to its Hyperdrive; this process joins over a local testnet and
// fetches it with the code `job download` uses (ModelDrives.fetch: drive entry, blocks, then the sha256 check).
// Baseline, same run: a child process sends the same bytes over a plain TCP socket on 127.0.0.1 in 64 KiB writes;
// this process reads and hashes them. Alternating runs, best of each kept.
// Goal: Hyperdrive MB/s ≥ 0.3 × TCP MB/s.
//
//   node --import tsx bench/transfer.ts        (BENCH_MB=100 to change the size, BENCH_RUNS=2)
import net from 'net'
import path from 'path'
import crypto from 'crypto'
import c from 'compact-encoding'
import b4a from 'b4a'
import { spawn, type ChildProcess } from 'child_process'
import Corestore from 'corestore'
import Hyperswarm from 'hyperswarm'
import createTestnet from '@hyperswarm/testnet'
import { Market } from '../lib/market/market.js'
import { fileRef } from '../lib/schema.js'
import { tmpDir, rmDir, nowMs, round, printResult, exitGuard, env, payload } from './_util.js'

const MB = env('BENCH_MB', 100)
const RUNS = env('BENCH_RUNS', 2)
const GOAL = 0.3
const HERE = path.dirname(new URL(import.meta.url).pathname)

function child (args: string[]): Promise<{ proc: ChildProcess, info: any }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, '_transfer-peer.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    let buf = ''
    proc.stdout!.on('data', (d) => {
      buf += d
      const i = buf.indexOf('\n')
      if (i !== -1) resolve({ proc, info: JSON.parse(buf.slice(0, i)) })
    })
    proc.on('error', reject)
    proc.on('close', (code) => reject(new Error(`bench child exited with ${String(code)}`)))
  })
}

async function stop (proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return
  const closed = new Promise(resolve => proc.once('close', resolve))
  proc.kill('SIGTERM')
  await closed
}

async function tcpRun (expectSha: string): Promise<number> {
  const { proc, info } = await child(['tcp', String(MB)])
  try {
    const t0 = nowMs()
    const sock = net.connect(info.port, '127.0.0.1')
    const hash = crypto.createHash('sha256')
    let n = 0
    await new Promise<void>((resolve, reject) => {
      sock.on('data', (d: Buffer) => { n += d.byteLength; hash.update(d) })
      sock.on('end', () => resolve())
      sock.on('error', reject)
    })
    const ms = nowMs() - t0
    if (n !== MB * 1024 * 1024 || hash.digest('hex') !== expectSha) throw new Error('tcp copy corrupted')
    return ms
  } finally {
    await stop(proc)
  }
}

// Reference: the same bytes over a raw Hyperswarm connection (UDX + secretstream, no hypercore): the ceiling any
// Hyperswarm app has here, which shows how much of the gap to TCP is the transport itself.
async function swarmRun (bootstrap: Array<{ host: string, port: number }>, expectSha: string): Promise<number> {
  const topic = crypto.randomBytes(32)
  const { proc } = await child(['swarm', JSON.stringify(bootstrap), b4a.toString(topic, 'hex'), String(MB)])
  const swarm = new Hyperswarm({ bootstrap })
  try {
    const got = new Promise<number>((resolve, reject) => {
      swarm.once('connection', (conn) => {
        conn.on('error', reject)
        const hash = crypto.createHash('sha256')
        let n = 0
        const t0 = nowMs()
        conn.on('data', (d: Uint8Array) => { n += d.byteLength; hash.update(d) })
        conn.on('end', () => {
          if (n !== MB * 1024 * 1024 || hash.digest('hex') !== expectSha) reject(new Error('swarm copy corrupted'))
          else resolve(nowMs() - t0)
        })
      })
    })
    swarm.join(topic, { server: false, client: true })
    return await got
  } finally {
    await swarm.destroy()
    await stop(proc)
  }
}

async function driveRun (dir: string, bootstrap: Array<{ host: string, port: number }>, run: number, expectSha: string): Promise<number> {
  const { proc, info } = await child(['drive', path.join(dir, 'serve' + run), JSON.stringify(bootstrap), String(MB)])
  const store = new Corestore(path.join(dir, 'fetch' + run))
  const market = new Market(store.namespace('market'), b4a.from(info.key, 'hex'), { bootstrap })
  try {
    await market.ready()
    await market.sync(20_000)
    const ref = c.decode(fileRef, b4a.from(info.ref, 'hex'))
    const t0 = nowMs()
    const got = await market.files.fetch(ref, { maxBytes: Number.MAX_SAFE_INTEGER, stallMs: 30_000 })
    const ms = nowMs() - t0
    if (crypto.createHash('sha256').update(got).digest('hex') !== expectSha) throw new Error('drive copy corrupted')
    return ms
  } finally {
    await market.close()
    await store.close()
    await stop(proc)
  }
}

async function main (): Promise<void> {
  const dir = await tmpDir('transfer')
  const tn = await createTestnet(4)
  try {
    console.log(`transfer: ${MB} MiB payload between two processes: Hyperdrive peers vs TCP loopback`)
    const expectSha = crypto.createHash('sha256').update(payload(MB)).digest('hex')
    const drive: number[] = []
    const tcp: number[] = []
    const raw: number[] = []
    for (let run = 0; run < RUNS; run++) {
      raw.push(await swarmRun(tn.bootstrap, expectSha))
      console.log(`  raw hyperswarm stream run ${run + 1}: ${round(raw.at(-1)!, 0)} ms`)
      const order = run % 2 === 0 ? ['tcp', 'drive'] : ['drive', 'tcp']
      for (const which of order) {
        if (which === 'tcp') {
          tcp.push(await tcpRun(expectSha))
          console.log(`  tcp run ${run + 1}: ${round(tcp.at(-1)!, 0)} ms`)
        } else {
          drive.push(await driveRun(dir, tn.bootstrap, run, expectSha))
          console.log(`  hyperdrive run ${run + 1}: ${round(drive.at(-1)!, 0)} ms (drive entry + blocks + sha256 check)`)
        }
      }
    }
    const mbytes = MB * 1024 * 1024 / 1e6
    const driveMBs = mbytes / (Math.min(...drive) / 1000)
    const tcpMBs = mbytes / (Math.min(...tcp) / 1000)
    const ratio = driveMBs / tcpMBs
    const rawMBs = mbytes / (Math.min(...raw) / 1000)
    console.log('')
    console.log(`  raw hyperswarm stream: ${round(rawMBs, 1)} MB/s = ${round(rawMBs / tcpMBs, 3)}× tcp (reference: the transport alone, no hypercore)`)
    console.log(`  hyperdrive: ${round(driveMBs, 1)} MB/s   (best of ${drive.length})`)
    console.log(`  tcp:        ${round(tcpMBs, 1)} MB/s   (best of ${tcp.length}; the receiver hashes as it reads)`)
    console.log(`  ratio:      ${round(ratio, 3)}×`)
    console.log(`  goal: ≥ ${GOAL}× → ${ratio >= GOAL ? 'MET' : 'NOT MET'}`)
    printResult({ bench: 'transfer', mib: MB, hyperdriveMBs: round(driveMBs, 1), tcpMBs: round(tcpMBs, 1), ratio: round(ratio, 3), rawSwarmMBs: round(rawMBs, 1), rawSwarmRatio: round(rawMBs / tcpMBs, 3), hyperdriveToRawSwarm: round(driveMBs / rawMBs, 3), goal: `>= ${GOAL}x tcp`, goalMet: ratio >= GOAL })
  } finally {
    await tn.destroy()
    await rmDir(dir)
    exitGuard()
  }
}

main().catch((err: unknown) => {
  console.error('transfer failed:', err)
  process.exitCode = 1
})
