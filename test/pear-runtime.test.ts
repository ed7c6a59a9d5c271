// pear-runtime 1.1.1 on the local testnet: (1) the p2print seeder in its Bare worker (bare-sidecar's own Bare) serves a
// model to a Node peer after the client that posted it left; (2) the app takes an over-the-air update from an upgrade
// drive served by a publisher on the testnet, and applies it in place of the app's folder.
import test from 'brittle'
import path from 'path'
import fs from 'fs'
import crypto from 'crypto'
import Corestore from 'corestore'
import Hyperdrive from 'hyperdrive'
import Hyperswarm from 'hyperswarm'
import b4a from 'b4a'
import z32 from 'z32'
import { tmpDir, testnet, eventually, p2print, cliPeers } from './helpers.js'
import { builtEntry } from './bare-helpers.js'
import { binaryStl, box } from './fixtures/meshes.js'
import { runSeederWorker, openRuntime } from '../pear/runtime.js'

const sha256 = (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex')

test('pear-runtime: the seeder in its Bare worker serves a Node peer', { timeout: 300_000 }, async (t) => {
  t.ok(builtEntry() !== null, 'dist/bare/main.js is built (npm run build)')
  const tn = await testnet(t)
  const { dir, A, B, C } = await cliPeers(t, tn)
  const model = binaryStl(box(20, 10, 5))
  fs.writeFileSync(path.join(dir, 'part.stl'), model)

  const key = (await p2print([...A, '--json', 'market', 'create', '--admission-bits', '8'])).json.key
  const worker = runSeederWorker([...A, '--json'])
  const lines: any[] = []
  let buf = ''
  let err = ''
  worker.stdout.on('data', (d: Buffer) => {
    buf += String(d)
    let i
    while ((i = buf.indexOf('\n')) !== -1) { try { lines.push(JSON.parse(buf.slice(0, i))) } catch {} buf = buf.slice(i + 1) }
  })
  worker.stderr.on('data', (d: Buffer) => { err += String(d) })
  worker.on('error', () => {})
  const exited = new Promise<number | null>(resolve => worker.on('exit', (code) => resolve(code)))
  let done = false
  t.teardown(async () => { if (!done) { worker.destroy(); await exited } }, { order: 1 })
  t.ok(await eventually(() => lines.some(l => l.tag === 'seeding'), 60_000), `the seeder runs in pear-runtime's worker ${err}`)

  t.is((await p2print([...B, 'market', 'join', key])).code, 0)
  const posted = await p2print([...B, '--json', 'job', 'create', '--title', 'Bracket', '--material', 'PETG', '--bounty', '0.0002', '--country', 'NL', '--file', path.join(dir, 'part.stl')])
  t.is(posted.code, 0, posted.stderr)
  t.ok(await eventually(() => lines.some(l => l.tag === 'file-mirrored' && l.data.name === 'part.stl'), 30_000), 'the worker mirrored the model')
  t.is((await p2print([...C, 'market', 'join', key])).code, 0)
  const got = await p2print([...C, '--json', 'job', 'download', posted.json.id, '--out', path.join(dir, 'dl')])
  t.is(got.code, 0, got.stderr)
  t.is(sha256(fs.readFileSync(path.join(dir, 'dl', 'part.stl'))), sha256(model), 'downloaded from the worker, same sha256')

  worker.stdin.end() // nothing to say to it
  ;(worker as unknown as { _process: { kill: (s: string) => void } })._process.kill('SIGTERM')
  t.is(await exited, 0, 'SIGTERM: the worker exits 0')
  done = true
  t.is(lines.at(-1)?.tag, 'stopped', 'after saying stopped')
})

test('pear-runtime: an over-the-air update of the app from an upgrade drive on the local testnet', { timeout: 120_000 }, async (t) => {
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const host = `${process.platform}-${process.arch}`
  // the publisher: the app's next version in an upgrade drive, served on the testnet
  const store = new Corestore(path.join(dir, 'publisher'))
  const drive = new Hyperdrive(store.namespace('upgrade'))
  const swarm = new Hyperswarm({ bootstrap: tn.bootstrap })
  swarm.on('connection', (c: any) => { c.on('error', () => {}); store.replicate(c) })
  t.teardown(async () => { await swarm.destroy(); await drive.close(); await store.close() }, { order: 20 })
  await drive.ready()
  await drive.put('/package.json', b4a.from(JSON.stringify({ name: 'p2print', version: '0.2.0' })))
  await drive.put(`/by-arch/${host}/app/p2print/package.json`, b4a.from(JSON.stringify({ name: 'p2print', version: '0.2.0' })))
  await drive.put(`/by-arch/${host}/app/p2print/NEW`, b4a.from('the new version'))
  await swarm.join(drive.discoveryKey, { server: true, client: false }).flushed()

  // the installed app, version 0.1.0, and its runtime following the upgrade link
  const app = path.join(dir, 'installed', 'p2print')
  fs.mkdirSync(app, { recursive: true })
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'p2print', version: '0.1.0' }))
  const pear = await openRuntime({ dir: path.join(dir, 'runtime'), upgrade: 'pear://' + z32.encode(drive.key), name: 'p2print', version: '0.1.0', app, bootstrap: tn.bootstrap })
  pear.on('error', () => {})
  t.teardown(async () => { await pear.close() }, { order: 10 })
  const updated = new Promise<void>(resolve => { if (pear.updater.updated) resolve(); else pear.updater.once('updated', () => resolve()) })
  const arrived = await Promise.race([updated.then(() => true), new Promise<boolean>(resolve => setTimeout(() => resolve(false), 60_000))])
  t.ok(arrived, 'the runtime found version 0.2.0 on the upgrade drive and copied it beside the app (updated)')
  if (!arrived) return
  await pear.updater.applyUpdate()
  t.is(JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8')).version, '0.2.0', 'applyUpdate swapped the new version in place of the app')
  t.is(fs.readFileSync(path.join(app, 'NEW'), 'utf8'), 'the new version', 'with its new files')
})
