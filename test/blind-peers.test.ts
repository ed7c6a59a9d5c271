// Blind peers (lib/market/blind.ts, `p2print blind-peer`): two blind peers run as `p2print blind-peer` processes on
// the local testnet; a client posts a job with a model and goes away, and so does the market's creator (its only
// indexer); a printer that was never online with either sees the job and downloads the model from the blind peers.
import test from 'brittle'
import path from 'path'
import crypto from 'crypto'
import { spawn } from 'child_process'
import b4a from 'b4a'
import { openMarket, tmpDir, testnet, eventually, type Test } from './helpers.js'
import { JOB } from './escrow-raw.js'
import { binaryStl, uvSphere } from './fixtures/meshes.js'
import { OP, DEFAULT_SETTINGS } from '../lib/schema.js'
import { getSettings } from '../lib/market/view.js'
import { parseKey } from '../lib/ids.js'
import type { Market } from '../lib/market/market.js'
import type { Hypercore } from 'hypercore'

const ROOT = path.join(path.dirname(new URL(import.meta.url).pathname), '..')
const ENTRY = path.join(ROOT, 'index.ts')

// Starts `p2print blind-peer` on its own storage and resolves with its key (from its JSON event line).
async function blindPeer (t: Test, storage: string, bootstrap: string): Promise<Uint8Array> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, '--storage', storage, '--bootstrap', bootstrap, '--json', 'blind-peer'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>(resolve => child.on('close', resolve))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT')
    await exited
  }, { order: 1 })
  let err = ''
  child.stderr!.on('data', (d) => { err += d })
  return await new Promise((resolve, reject) => {
    let buf = ''
    child.stdout!.on('data', (d) => {
      buf += d
      for (const line of buf.split('\n')) {
        try {
          const e = JSON.parse(line)
          if (e.tag === 'blind-peer') resolve(parseKey(e.data.key)!)
        } catch {}
      }
    })
    void exited.then(code => reject(new Error(`p2print blind-peer exited ${String(code)}: ${err}`)))
  })
}

function heldByAll (m: Market, core: Hypercore, length: number): boolean {
  return m.blind !== null && m.blind.holding(core, length) === m.blind.keys.length
}

// Whether every blind peer holds what a printer needs with the client and the creator gone: the client's log and
// drive (db and blobs), the creator's log, and the system and view cores up to the signed length now.
async function everythingHeld (client: Market, creator: Market): Promise<() => boolean> {
  const drive = await client.files.own()
  const blobs = (await drive.getBlobs()).core
  const viewLength = creator.view.core.signedLength
  const system = (creator.base as unknown as { core: Hypercore }).core
  return () =>
    heldByAll(client, client.base.local, client.base.local.length) &&
    heldByAll(client, drive.core, drive.core.length) &&
    heldByAll(client, blobs, blobs.length) &&
    heldByAll(creator, creator.base.local, creator.base.local.length) &&
    heldByAll(creator, creator.view.core, viewLength) &&
    heldByAll(creator, system, system.signedLength)
}

test('two blind peers keep a client\'s job and model: a printer downloads it with the client and the creator offline', async (t) => {
  const tn = await testnet(t)
  const root = await tmpDir(t)
  const boot = tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')
  const keys = [await blindPeer(t, path.join(root, 'bp1'), boot), await blindPeer(t, path.join(root, 'bp2'), boot)]
  t.is(keys.length, 2, 'two blind peers started')
  const opts = { bootstrap: tn.bootstrap, ackInterval: 100, blindPeers: keys }

  const creator = await openMarket(t, path.join(root, 'creator'), null, opts)
  const client = await openMarket(t, path.join(root, 'client'), creator.market.key, opts)
  t.ok(await eventually(async () => { await client.market.update(); return (await client.market.meta()) !== null }, 30_000), 'the client joined')

  // the client attaches a model and posts the job
  const model = binaryStl(uvSphere(20, 64, 32)) // ~200 KB
  const sha = crypto.createHash('sha256').update(model).digest()
  const file = await client.market.files.attach(model, 'sphere.stl', { kind: 'stl', models: 1, facets: 1, sizeMm: [40, 40, 40], volumeCm3: 33, areaCm2: 50, shells: 1, closed: true, manifold: true, fits: [] })
  const { jobId } = await client.market.append({ type: OP.JOB_CREATE, job: { ...JOB, title: 'kept by blind peers' }, file })
  t.ok(await eventually(async () => {
    await creator.market.update()
    const j = await creator.market.getJob(jobId!)
    return j !== null && j.confirmed
  }, 60_000), 'the creator (the indexer) confirmed the job')

  // both blind peers hold the client's log and drive, and the creator's log, system and view up to the job
  t.ok(await eventually(await everythingHeld(client.market, creator.market), 60_000), 'both blind peers hold everything the printer will need')
  t.ok(await client.market.waitBlindHeld(1000) === 2, 'waitBlindHeld says 2 of 2')

  await client.market.close()
  await creator.market.close()

  const printer = await openMarket(t, path.join(root, 'printer'), creator.market.key, opts)
  await printer.market.sync(30_000)
  t.ok(printer.market.blindConnected(), 'the printer reached a blind peer')
  t.ok(await eventually(async () => { await printer.market.update(); return (await printer.market.getJob(jobId!)) !== null }, 60_000), 'the printer sees the job')
  const job = (await printer.market.getJob(jobId!))!.job
  const bytes = await printer.market.files.fetch(job.file!, { maxBytes: 50 * 1024 * 1024, stallMs: 30_000 })
  t.ok(b4a.equals(crypto.createHash('sha256').update(bytes).digest(), sha), 'the model it downloaded has the client\'s sha256')
})

test('blind peers the market\'s settings name: peers that were given none use them', async (t) => {
  const tn = await testnet(t)
  const root = await tmpDir(t)
  const boot = tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')
  const keys = [await blindPeer(t, path.join(root, 'bp1'), boot), await blindPeer(t, path.join(root, 'bp2'), boot)]
  const opts = { bootstrap: tn.bootstrap, ackInterval: 100 }
  const creator = await openMarket(t, path.join(root, 'creator'), null, { ...opts, blindPeers: keys })
  await creator.market.append({ type: OP.MARKET_SETTINGS, settings: { ...DEFAULT_SETTINGS, blindPeers: [keys[0], keys[0]] } })
  await creator.market.update()
  t.alike((await getSettings(creator.market.view)).blindPeers, [], 'the same blind peer named twice: refused')
  await creator.market.append({ type: OP.MARKET_SETTINGS, settings: { ...DEFAULT_SETTINGS, blindPeers: keys } })
  await creator.market.update()
  t.is((await getSettings(creator.market.view)).blindPeers.length, 2, 'the creator named two blind peers')

  // the printer joins while the creator is online, learns the settings, and leaves
  const printerDir = path.join(root, 'printer')
  const first = await openMarket(t, printerDir, creator.market.key, opts)
  t.ok(await eventually(async () => { await first.market.update(); return (await getSettings(first.market.view)).blindPeers.length === 2 }, 30_000), 'the printer has the settings')
  await first.market.close()
  await first.store.close()

  const client = await openMarket(t, path.join(root, 'client'), creator.market.key, opts)
  t.ok(await eventually(async () => { await client.market.update(); return client.market.blind !== null && client.market.blind.keys.length === 2 }, 30_000), 'the client, given no blind peer, uses the two the settings name')
  const model = binaryStl(uvSphere(10, 32, 16))
  const sha = crypto.createHash('sha256').update(model).digest()
  const file = await client.market.files.attach(model, 'small.stl', { kind: 'stl', models: 1, facets: 1, sizeMm: [20, 20, 20], volumeCm3: 4, areaCm2: 12, shells: 1, closed: true, manifold: true, fits: [] })
  const { jobId } = await client.market.append({ type: OP.JOB_CREATE, job: { ...JOB, title: 'named in the settings' }, file })
  t.ok(await eventually(async () => { await creator.market.update(); const j = await creator.market.getJob(jobId!); return j !== null && j.confirmed }, 60_000), 'the job is confirmed')
  t.ok(await eventually(await everythingHeld(client.market, creator.market), 60_000), 'both blind peers hold the client\'s job and model and the creator\'s log, system and view')
  await client.market.close()
  await creator.market.close()

  const printer = await openMarket(t, printerDir, creator.market.key, opts)
  await printer.market.sync(30_000)
  t.ok(printer.market.blindConnected(), 'the printer, given no blind peer, reached one the settings name')
  t.ok(await eventually(async () => { await printer.market.update(); return (await printer.market.getJob(jobId!)) !== null }, 60_000), 'the printer sees the job')
  const job = (await printer.market.getJob(jobId!))!.job
  const bytes = await printer.market.files.fetch(job.file!, { maxBytes: 50 * 1024 * 1024, stallMs: 30_000 })
  t.ok(b4a.equals(crypto.createHash('sha256').update(bytes).digest(), sha), 'and downloads the model (sha256 equal)')
})

test('--blind-peer takes only a blind peer\'s key', async (t) => {
  const { p2print } = await import('./helpers.js')
  const dir = await tmpDir(t)
  const r = await p2print(['--storage', dir, '--blind-peer', 'not-a-key', '--json', 'jobs'])
  t.is(r.code, 2, 'refused as a usage mistake')
  t.is(r.json?.error?.code, 'BAD_ARGUMENT')
  t.ok(/--blind-peer "not-a-key" is not a blind peer's key/.test(r.json?.error?.message ?? ''), r.json?.error?.message)
})

test('seed --blind runs a blind peer beside the seeder: a peer using its key holds its log there', async (t) => {
  const { p2print, startSeed } = await import('./helpers.js')
  const tn = await testnet(t)
  const root = await tmpDir(t)
  const boot = tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')
  const A = ['--storage', path.join(root, 'seed'), '--bootstrap', boot]
  const created = await p2print([...A, '--json', 'market', 'create', '--admission-bits', '8'])
  t.is(created.code, 0, 'market created')
  const seed = startSeed(t, [...A, '--blind'])
  t.ok(await eventually(() => seed.lines.some(l => l.tag === 'blind-peer') && seed.lines.some(l => l.tag === 'seeding'), 60_000), 'the seed says it seeds and runs a blind peer')
  const key = parseKey(seed.lines.find(l => l.tag === 'blind-peer').data.key)!
  const peer = await openMarket(t, path.join(root, 'peer'), parseKey(created.json.key), { bootstrap: tn.bootstrap, blindPeers: [key] })
  await peer.market.append({ type: OP.JOB_CREATE, job: { ...JOB, title: 'held by the seed\'s blind peer' } })
  t.ok(await eventually(() => peer.market.blind !== null && peer.market.blind.holding(peer.market.base.local) === 1, 60_000), 'the blind peer holds the peer\'s log')
  seed.child.kill('SIGINT')
  t.is(await seed.exited, 0, 'the seed stops cleanly on SIGINT')
})
