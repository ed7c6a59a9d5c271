// Child process for bench/transfer.ts: serves one payload, either from a market peer's Hyperdrive or over a plain
// TCP socket, so sender and receiver each have their own process (and core), as two real peers would.
//   node --import tsx bench/_transfer-peer.ts drive DIR BOOTSTRAP_JSON MIB   → prints {"key","ref"} then serves
//   node --import tsx bench/_transfer-peer.ts tcp MIB                        → prints {"port"} then serves once
//   node --import tsx bench/_transfer-peer.ts swarm BOOTSTRAP_JSON TOPIC MIB  → a raw Hyperswarm stream, no hypercore
import net from 'net'
import path from 'path'
import c from 'compact-encoding'
import b4a from 'b4a'
import Corestore from 'corestore'
import Hyperswarm from 'hyperswarm'
import { Market } from '../lib/market/market.js'
import { fileRef } from '../lib/schema.js'
import { payload } from './_util.js'

const [mode, ...args] = process.argv.slice(2)
if (mode === 'swarm') {
  const [bootstrapJson, topic, mib] = args
  const bytes = payload(Number(mib))
  const swarm = new Hyperswarm({ bootstrap: JSON.parse(bootstrapJson) })
  swarm.on('connection', (conn) => {
    conn.on('error', () => {})
    void (async () => {
      for (let off = 0; off < bytes.byteLength; off += 65536) {
        if (!conn.write(bytes.subarray(off, off + 65536))) await new Promise(resolve => conn.once('drain', resolve))
      }
      conn.end()
    })()
  })
  await swarm.join(b4a.from(topic, 'hex'), { server: true, client: false }).flushed()
  process.stdout.write(JSON.stringify({ ready: true }) + '\n')
  process.on('SIGTERM', () => { swarm.destroy().finally(() => process.exit(0)) })
} else if (mode === 'tcp') {
  const bytes = payload(Number(args[0]))
  const server = net.createServer((sock) => {
    sock.on('error', () => {})
    void (async () => {
      for (let off = 0; off < bytes.byteLength; off += 65536) {
        if (!sock.write(bytes.subarray(off, off + 65536))) await new Promise(resolve => sock.once('drain', resolve))
      }
      sock.end()
    })()
  })
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ port: (server.address() as net.AddressInfo).port }) + '\n')
  })
  process.on('SIGTERM', () => { server.close(); process.exit(0) })
} else {
  const [dir, bootstrapJson, mib] = args
  const store = new Corestore(path.join(dir, 'server'))
  const market = new Market(store.namespace('market'), null, { bootstrap: JSON.parse(bootstrapJson), admissionBits: 8 })
  await market.ready()
  const ref = await market.files.attach(payload(Number(mib)), 'payload.bin', { kind: 'stl', models: 1, facets: 0, sizeMm: [0, 0, 0], volumeCm3: 0, areaCm2: 0, shells: 0, closed: false, manifold: false, fits: [] })
  process.stdout.write(JSON.stringify({ key: b4a.toString(market.key, 'hex'), ref: b4a.toString(c.encode(fileRef, ref), 'hex') }) + '\n')
  process.on('SIGTERM', () => {
    market.close().then(() => store.close()).finally(() => process.exit(0))
  })
}

