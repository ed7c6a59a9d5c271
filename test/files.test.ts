// Model payloads between peers: a client posts a job with a model and goes offline, a seeder that was running
// already holds it, a printer downloads it from the seeder; a cut transfer resumes; limits and hashes hold.
import test from 'brittle'
import path from 'path'
import fs from 'fs'
import crypto from 'crypto'
import b4a from 'b4a'
import { tmpDir, testnet, openMarket, eventually, p2print, startSeed, cliPeers, type Test } from './helpers.js'
import { binaryStl, box } from './fixtures/meshes.js'
import type { FileRef } from '../lib/schema.js'

const sha256 = (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex')

test('files: client posts a model and leaves; the printer downloads it from the seeder', { timeout: 240_000 }, async (t) => {
  const tn = await testnet(t)
  const { dir, A, B, C } = await cliPeers(t, tn)

  const model = binaryStl(box(20, 10, 5))
  const modelPath = path.join(dir, 'part.stl')
  fs.writeFileSync(modelPath, model)

  const key = (await p2print([...A, '--json', 'market', 'create', '--admission-bits', '8'])).json.key
  const seed = startSeed(t, A)
  t.ok(await eventually(() => seed.lines.some(l => l.tag === 'seeding'), 30_000), 'seeder running')
  t.is((await p2print([...B, 'market', 'join', key])).code, 0)
  t.is((await p2print([...C, 'market', 'join', key])).code, 0)

  const posted = await p2print([...B, '--json', 'job', 'create', '--title', 'Bracket', '--material', 'PETG', '--bounty', '0.0002', '--country', 'NL', '--file', modelPath])
  t.is(posted.code, 0, posted.stderr)
  const file = posted.json.file
  t.is(file.name, 'part.stl')
  t.is(file.byteLength, model.byteLength)
  t.is(file.sha256, sha256(model))
  t.is(file.summary.kind, 'stl')
  t.is(file.summary.facets, 12)
  t.alike(file.summary.sizeMm, [20, 10, 5])
  t.is(file.summary.volumeCm3, 1)
  t.is(file.summary.closed && file.summary.manifold, true)
  t.is(posted.json.shared, true, 'the job and its model reached a peer before the command exited')
  t.ok(seed.lines.some(l => l.tag === 'file-mirrored' && l.data.name === 'part.stl'), 'the seeder mirrored the model')
  // B is a one-shot process: it is offline now. C can only get the model from the seeder.

  const out = path.join(dir, 'downloads')
  const got = await p2print([...C, '--json', 'job', 'download', posted.json.id, '--out', out])
  t.is(got.code, 0, got.stderr)
  t.is(got.json.file, path.join(out, 'part.stl'))
  t.is(sha256(fs.readFileSync(path.join(out, 'part.stl'))), sha256(model), 'the downloaded file has the same sha256')

  const analysed = await p2print(['--json', 'analyze', path.join(out, 'part.stl')])
  t.is(analysed.code, 0)
  t.is(analysed.json.facets, 12)
  t.is(analysed.json.volumeCm3, 1)

  const none = await p2print([...C, '--json', 'job', 'download', 'zzzz'])
  t.is(none.json.error.code, 'JOB_NOT_FOUND')

  const bad = path.join(dir, 'photo.stl')
  fs.writeFileSync(bad, b4a.concat([b4a.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), b4a.alloc(200)]))
  const refused = await p2print([...B, '--json', 'job', 'create', '--title', 'x', '--material', 'PLA', '--bounty', '0.0001', '--country', 'NL', '--file', bad])
  t.is(refused.code, 1, 'a PNG renamed .stl is refused')
  t.is(refused.json.error.code, 'NOT_A_MODEL')
  t.ok(/PNG/.test(refused.stderr), refused.stderr)
})

test('files: a transfer cut in the middle resumes and completes with the same sha256', { timeout: 120_000 }, async (t) => {
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const a = await openMarket(t, path.join(dir, 'a'), null, { bootstrap: tn.bootstrap })
  const bytes = crypto.randomBytes(12 * 1024 * 1024)
  const ref = await a.market.files.attach(bytes, 'big.stl', { kind: 'stl', models: 1, facets: 1, sizeMm: [1, 1, 1], volumeCm3: 1, areaCm2: 1, shells: 1, closed: true, manifold: true, fits: [] })

  const first = await openMarket(t, path.join(dir, 'b'), a.market.key, { bootstrap: tn.bootstrap })
  await first.market.sync(15_000)
  let cutAt = 0
  await t.exception(first.market.files.fetch(ref, {
    maxBytes: Number.MAX_SAFE_INTEGER,
    stallMs: 1500,
    onProgress: (p) => {
      if (cutAt === 0 && p.bytes > p.total / 4) {
        cutAt = p.bytes
        first.market.swarm?.destroy().catch(() => {}) // the connection drops mid-transfer
      }
    }
  }), /no peer that has this file is reachable/, 'the cut transfer stops with a clear error')
  t.ok(cutAt > 0 && cutAt < bytes.byteLength, `cut after ${cutAt} bytes`)
  const stored = await first.market.files.local(ref)
  t.ok(stored.bytes >= cutAt && !stored.complete, `${stored.bytes} bytes kept on disk`)
  await first.market.close()
  await first.store.close()

  const again = await openMarket(t, path.join(dir, 'b'), a.market.key, { bootstrap: tn.bootstrap })
  await again.market.sync(15_000)
  let startedAt = -1
  let fetched = 0
  const got = await again.market.files.fetch(ref, {
    maxBytes: Number.MAX_SAFE_INTEGER,
    stallMs: 15_000,
    onProgress: (p) => {
      if (startedAt === -1) startedAt = p.bytes
      fetched = p.downloaded
    }
  })
  t.ok(startedAt >= stored.bytes, `the second run started from ${startedAt} stored bytes`)
  t.ok(fetched <= bytes.byteLength - stored.bytes + 65536, `and fetched only the rest (${fetched} bytes)`)
  t.is(sha256(got), sha256(bytes), 'same sha256')
})

test('files: the declared size is checked before downloading, the sha256 after', { timeout: 120_000 }, async (t) => {
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const a = await openMarket(t, path.join(dir, 'a'), null, { bootstrap: tn.bootstrap })
  const b = await openMarket(t, path.join(dir, 'b'), a.market.key, { bootstrap: tn.bootstrap })
  const bytes = crypto.randomBytes(300_000)
  const ref = await a.market.files.attach(bytes, 'm.stl', { kind: 'stl', models: 1, facets: 1, sizeMm: [1, 1, 1], volumeCm3: 1, areaCm2: 1, shells: 1, closed: true, manifold: true, fits: [] })
  await b.market.sync(15_000)

  await t.exception(b.market.files.fetch(ref, { maxBytes: 1000, stallMs: 5000 }), /more than the limit/, 'over the size limit: refused')
  t.is((await b.market.files.local(ref)).bytes, 0, 'and nothing was downloaded')

  const lying: FileRef = { ...ref, sha256: b4a.alloc(32, 7) }
  await t.exception(b.market.files.fetch(lying, { maxBytes: 1e9, stallMs: 10_000 }), /sha256/, 'content that does not hash to the declared sha256 is refused')
  const wrongSize: FileRef = { ...ref, byteLength: ref.byteLength + 1 }
  await t.exception(b.market.files.fetch(wrongSize, { maxBytes: 1e9, stallMs: 10_000 }), /declares/, 'a drive entry whose size differs from the declared one is refused')
})

// A client's market and a seeder's on one testnet, and what a job with a model needs.
async function clientAndSeeder (t: Test) {
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const client = await openMarket(t, path.join(dir, 'client'), null, { bootstrap: tn.bootstrap })
  const seeder = await openMarket(t, path.join(dir, 'seeder'), client.market.key, { bootstrap: tn.bootstrap })
  const summary = { kind: 'stl' as const, models: 1, facets: 12, sizeMm: [1, 1, 1] as [number, number, number], volumeCm3: 1, areaCm2: 1, shells: 1, closed: true, manifold: true, fits: [] }
  const fields = { title: 'part', material: 'PLA' as const, colors: [], bountySats: 1000, country: 'DE', notes: '' }
  return { dir, client, seeder, summary, fields }
}

test('files: the seeder mirrors live jobs\' models within its quota and frees those of closed jobs', { timeout: 120_000 }, async (t) => {
  const { OP } = await import('../lib/schema.js')
  const { FileSeeder } = await import('../lib/files/seeder.js')
  const { dir, client, seeder, summary, fields } = await clientAndSeeder(t)
  const small = crypto.randomBytes(200_000)
  const large = crypto.randomBytes(900_000)
  const smallRef = await client.market.files.attach(small, 'small.stl', summary)
  const largeRef = await client.market.files.attach(large, 'large.stl', summary)
  const smallJob = (await client.market.append({ type: OP.JOB_CREATE, job: fields, file: smallRef })).jobId!
  await client.market.append({ type: OP.JOB_CREATE, job: fields, file: largeRef })

  const events: Array<{ tag: string, data: any }> = []
  let now = Date.now()
  const files = new FileSeeder(seeder.market, { quotaBytes: 500_000, keepClosedMs: 60_000, stallMs: 10_000, emit: (tag, data) => events.push({ tag, data }), now: () => now })
  t.teardown(() => files.stop(), { order: 5 })
  await files.start()
  t.ok(await eventually(async () => {
    await seeder.market.update()
    return events.some(e => e.tag === 'file-mirrored') && events.some(e => e.tag === 'file-skipped')
  }, 30_000), 'one model mirrored, one skipped')
  t.alike(events.filter(e => e.tag === 'file-mirrored').map(e => e.data.name), ['small.stl'], 'the one that fits the quota')
  t.ok(/over the storage quota/.test(events.find(e => e.tag === 'file-skipped')!.data.reason), 'the skip says why')
  t.ok((await seeder.market.files.local(smallRef)).complete, 'the seeder holds the small model')
  t.is((await seeder.market.files.local(largeRef)).bytes, 0, 'and none of the large one')

  // the client cancels; once the retention has passed, the seeder frees the copy
  await client.market.append({ type: OP.JOB_CANCEL, jobId: smallJob })
  t.ok(await eventually(async () => (await seeder.market.getJob(smallJob))?.job.status === 'cancelled', 30_000))
  await files.idle()
  t.absent(events.some(e => e.tag === 'file-released'), 'kept during the retention period')
  now += 61_000
  seeder.market.emit('update')
  t.ok(await eventually(() => events.some(e => e.tag === 'file-released'), 10_000), 'freed after it')
  t.is((await seeder.market.files.local(smallRef)).complete, false, 'the blocks are gone')
})

test('files: a restarted seeder frees the copy of a job that closed while it was away, from its state file', { timeout: 120_000 }, async (t) => {
  const { OP } = await import('../lib/schema.js')
  const { FileSeeder, seedStatePath } = await import('../lib/files/seeder.js')
  const { dir, client, seeder, summary, fields } = await clientAndSeeder(t)
  const refs = []
  for (const name of ['a.stl', 'b.stl', 'c.stl']) refs.push(await client.market.files.attach(crypto.randomBytes(50_000), name, summary))
  const [jobA, , jobC] = await Promise.all(refs.map(async ref => (await client.market.append({ type: OP.JOB_CREATE, job: fields, file: ref })).jobId!))
  await client.market.append({ type: OP.JOB_CANCEL, jobId: jobC }) // closed before the seeder ever runs
  t.ok(await eventually(async () => { await seeder.market.update(); return (await seeder.market.getJob(jobC))?.job.status === 'cancelled' }, 30_000))

  const statePath = seedStatePath(path.join(dir, 'seeder'), seeder.market.key)
  const run = (now: () => number): { files: InstanceType<typeof FileSeeder>, events: Array<{ tag: string, data: any }> } => {
    const events: Array<{ tag: string, data: any }> = []
    const files = new FileSeeder(seeder.market, { quotaBytes: 1e9, keepClosedMs: 60_000, stallMs: 10_000, emit: (tag, data) => events.push({ tag, data }), now, statePath })
    t.teardown(() => files.stop(), { order: 5 })
    return { files, events }
  }
  const first = run(Date.now)
  await first.files.start()
  t.ok(await eventually(() => first.events.filter(e => e.tag === 'file-mirrored').length === 2, 30_000), 'the two live jobs\' models mirrored')
  await first.files.idle()
  t.alike(first.events.filter(e => e.tag === 'file-mirrored').map(e => e.data.name).sort(), ['a.stl', 'b.stl'], 'not the closed job\'s')
  t.absent(first.events.some(e => e.tag === 'file-released' || e.tag === 'warning'), 'nothing to free, no warning')
  await first.files.stop()
  const saved = JSON.parse(await fs.promises.readFile(statePath, 'utf8'))
  t.alike(saved.files.map((f: { name: string }) => f.name).sort(), ['a.stl', 'b.stl'], 'the state file lists the files held')

  // the client cancels job A while the seeder is away; the next run frees a.stl once it has been kept long enough
  await client.market.append({ type: OP.JOB_CANCEL, jobId: jobA })
  t.ok(await eventually(async () => { await seeder.market.update(); return (await seeder.market.getJob(jobA))?.job.status === 'cancelled' }, 30_000))
  const second = run(() => Date.now() + 61_000)
  await second.files.start()
  t.ok(await eventually(() => second.events.some(e => e.tag === 'file-released'), 30_000), 'a.stl freed')
  await second.files.idle()
  t.alike(second.events.filter(e => e.tag === 'file-released').map(e => e.data.name), ['a.stl'], 'only a.stl')
  t.absent(second.events.some(e => e.tag === 'file-mirrored'), 'b.stl was held already: not fetched again')
  t.is((await seeder.market.files.local(refs[0])).complete, false, 'a.stl\'s blocks are gone')
  t.ok((await seeder.market.files.local(refs[1])).complete, 'b.stl is still held')
  t.alike(second.files.held().map(f => f.name), ['b.stl'], 'held: b.stl')
  await second.files.stop()
  t.alike(JSON.parse(await fs.promises.readFile(statePath, 'utf8')).files.map((f: { name: string }) => f.name), ['b.stl'], 'the state file follows')

  // a state file cut short: a warning, and the seeder runs on
  await fs.promises.writeFile(statePath, '{"version":1,"files":[{"job"')
  const third = run(Date.now)
  await third.files.start()
  await third.files.idle()
  t.ok(third.events.some(e => e.tag === 'warning' && /unreadable/.test(e.data.message)), 'says the file is unreadable')
  t.ok((await seeder.market.files.local(refs[1])).complete, 'and loses nothing')
})
