// Commands beside a running peer: while `p2print seed` runs on a storage, every command on that storage goes through
// it over a local socket (lib/sidecar), with the same output; without it (or after it died) the command opens the
// storage itself. Separate processes on a local testnet.
import test from 'brittle'
import fs from 'fs'
import path from 'path'
import { tmpDir, testnet, p2print, startSeed, eventually } from './helpers.js'
import { binaryStl, box } from './fixtures/meshes.js'
import { socketPath } from '../lib/sidecar/socket.js'

test('sidecar: commands on a seeded storage go through the seeder, with the same results', { timeout: 240_000 }, async (t) => {
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const boot = tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')
  const A = ['--storage', path.join(dir, 'alice'), '--bootstrap', boot]
  const B = ['--storage', path.join(dir, 'bob'), '--bootstrap', boot]
  const ok = async (args: string[], opts: { cwd?: string } = {}): Promise<any> => {
    const r = await p2print(args, opts)
    if (r.code !== 0) t.fail(`${args.slice(-4).join(' ')} exited ${String(r.code)}: ${r.stderr}`)
    return r.json
  }

  const market = await ok([...A, '--json', 'market', 'create', '--admission-bits', '8', '--name', 'beside'])
  const seed = startSeed(t, A)
  t.ok(await eventually(() => seed.lines.some(l => l.tag === 'seeding'), 30_000), 'the seeder runs')
  const sock = socketPath(path.join(dir, 'alice'))
  t.ok(await eventually(() => fs.existsSync(sock), 10_000), 'it listens on the storage\'s socket')
  t.is(fs.statSync(sock).mode & 0o777, 0o600, 'only this user may connect to it')

  // the storage is locked by the seeder, yet the command works: it ran inside the seeder
  const jobsText = await p2print([...A, 'jobs'])
  t.is(jobsText.code, 0, 'jobs on the seeded storage works')
  t.ok(/Through the p2print running on this storage \(pid \d+/.test(jobsText.stderr), 'and says it went through the running process')

  // a relative model path is the caller's, not the seeder's
  const work = await tmpDir(t)
  fs.writeFileSync(path.join(work, 'cube.stl'), binaryStl(box(20, 20, 20)))
  const posted = await ok([...A, '--json', 'job', 'create', '--title', 'Cube', '--material', 'PLA', '--bounty', '0.0001', '--country', 'DE', '--file', 'cube.stl'], { cwd: work })
  t.is(posted.status, 'open', 'a job posted through the seeder')
  t.is(posted.file?.name, 'cube.stl', 'with the model from the caller\'s directory')
  t.ok(seed.lines.some(l => l.tag === 'market-updated' && l.data.jobs === 1), 'the seeder\'s own log sees the new job')

  // notes within their character limit but over the op's byte limit: a clear error, through the seeder too
  const wide = await p2print([...A, '--json', 'job', 'create', '--title', 'Wide', '--material', 'PLA', '--bounty', '0.0001', '--country', 'DE', '--notes', '€'.repeat(1999)])
  t.is(wide.code, 2, 'an op too large to post is a usage error')
  t.is(wide.json?.error?.code, 'BAD_ARGUMENT')
  t.ok(/shorten the text/.test(wide.json?.error?.message ?? ''), 'saying what to do')

  // five commands at once: each gets its own answer
  const many = await Promise.all([0, 1, 2, 3, 4].map(async () => await p2print([...A, '--json', 'job', 'show', posted.id])))
  t.ok(many.every(r => r.code === 0 && r.json?.id === posted.id), 'five concurrent commands all answered')

  // what it cannot do for the caller is refused, clearly, and nothing changes
  const create = await p2print([...A, '--json', 'market', 'create', '--admission-bits', '8', '--name', 'other'])
  t.is(create.code, 1)
  t.is(create.json?.error?.code, 'STORAGE_LOCKED', 'creating a market through the seeder is refused')
  t.ok(/stop it first/.test(create.json?.error?.message ?? ''), 'saying what to do')
  const restore = await p2print([...A, '--json', 'wallet', 'restore'], { stdin: 'abandon '.repeat(11) + 'about\n' })
  t.is(restore.json?.error?.code, 'STORAGE_LOCKED', 'restoring a wallet through the seeder is refused (before reading the phrase)')
  const other = await p2print([...A, '--json', '--market', 'x'.repeat(52), 'jobs'])
  t.is(other.json?.error?.code, 'STORAGE_LOCKED', 'another market than the seeder\'s is refused')
  t.ok(/serves market/.test(other.json?.error?.message ?? ''), 'naming the market it serves')
  const malformed = await p2print([...A, '--json', '--market', 'notakey', 'jobs'])
  t.is(malformed.code, 2, 'a malformed --market is a usage error')
  const usage = await p2print([...A, 'job', 'frobnicate', 'x'])
  t.is(usage.code, 2, 'a usage mistake exits 2 through the seeder too')
  t.ok(/unknown command `job frobnicate`/.test(usage.stderr))
  const seed2 = await p2print([...A, 'seed'])
  t.is(seed2.code, 1, 'a second seeder on the same storage is refused')
  t.ok(/in use by another p2print process/.test(seed2.stderr))

  // another peer gets what was written through the seeder
  await ok([...B, '--json', 'market', 'join', market.key])
  t.ok(await eventually(async () => (await p2print([...B, '--json', 'jobs'])).json?.jobs?.length === 1, 60_000, 500), 'bob sees the job posted through alice\'s seeder')

  // the same answer with and without the seeder (peers aside)
  const hosted = await ok([...A, '--json', 'job', 'show', posted.id])
  seed.child.kill('SIGKILL') // dies without removing its socket or its lock
  await seed.exited
  t.ok(fs.existsSync(sock), 'a killed seeder leaves its socket behind')
  const alone = await ok([...A, '--json', 'job', 'show', posted.id, '--sync-timeout', '2'])
  const strip = (j: any): any => ({ ...j, peers: 0, shared: undefined })
  t.alike(strip(alone), strip(hosted), 'job show prints the same job with and without the seeder')

  // a new seeder takes the socket over
  const again = startSeed(t, A)
  t.ok(await eventually(() => again.lines.some(l => l.tag === 'seeding'), 30_000), 'a new seeder starts on the storage')
  const through = await p2print([...A, 'jobs'])
  t.ok(/Through the p2print running on this storage/.test(through.stderr), 'and commands go through it again')
  again.child.kill('SIGTERM')
  t.is(await again.exited, 0, 'it stops cleanly on SIGTERM')
  t.absent(fs.existsSync(sock), 'and removes its socket')
  const after = await p2print([...A, '--json', 'jobs', '--sync-timeout', '1'])
  t.is(after.code, 0, 'after it stopped, commands open the storage themselves')
})

test('cli: with nobody online, a read shows what the storage has at once instead of waiting out --sync-timeout', { timeout: 120_000 }, async (t) => {
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const A = ['--storage', path.join(dir, 'alone'), '--bootstrap', tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')]
  t.is((await p2print([...A, '--json', 'market', 'create', '--admission-bits', '8', '--name', 'quiet'])).code, 0)
  const started = Date.now()
  const r = await p2print([...A, 'jobs', '--sync-timeout', '90'])
  const secs = (Date.now() - started) / 1000
  t.is(r.code, 0)
  t.ok(/No peers reachable: showing what this storage already has/.test(r.stderr), 'it says nobody is reachable')
  t.ok(secs < 45, `and answers long before its 90 s sync timeout (${secs.toFixed(1)} s; nobody announced the market)`)
})

test('cli: a peer that fast-forwarded catches up in a moment, not in its whole --sync-timeout', { timeout: 300_000 }, async (t) => {
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const boot = tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')
  const peer = (name: string): string[] => ['--storage', path.join(dir, name), '--bootstrap', boot]
  const [A, P, U] = [peer('creator'), peer('poster'), peer('user')]
  const key = (await p2print([...A, '--json', 'market', 'create', '--admission-bits', '8', '--name', 'busy'])).json.key
  const seed = startSeed(t, A)
  t.ok(await eventually(() => seed.lines.some(l => l.tag === 'seeding'), 30_000), 'the creator seeds')
  // the user joins and posts first; then another writer posts enough that the user, behind, fast-forwards past
  // those ops at its next catch-up (and never downloads their blocks)
  t.is((await p2print([...U, 'market', 'join', key])).code, 0, 'the user joins')
  t.is((await p2print([...U, 'job', 'create', '--title', 'mine', '--material', 'PLA', '--bounty', '0.0001', '--country', 'DE'])).code, 0)
  t.is((await p2print([...U, 'sync'])).code, 0)
  t.is((await p2print([...P, 'market', 'join', key])).code, 0)
  for (let i = 0; i < 10; i++) {
    const r = await p2print([...P, '--json', 'job', 'create', '--title', `part ${i}`, '--material', 'PLA', '--bounty', '0.0001', '--country', 'DE'])
    t.is(r.code, 0, `poster posts job ${i}`)
  }
  t.ok(await eventually(async () => (await p2print([...P, '--json', 'sync'])).json?.shared === true, 60_000, 0), 'the seeder holds the poster\'s jobs')
  t.is((await p2print([...U, 'sync', '--sync-timeout', '60'], { timeoutMs: 120_000 })).code, 0)
  for (let i = 0; i < 2; i++) {
    const started = Date.now()
    const r = await p2print([...U, 'jobs', '--sync-timeout', '60'], { timeoutMs: 120_000 })
    const secs = (Date.now() - started) / 1000
    t.ok(/Caught up with 1 peer/.test(r.stderr), 'caught up with the seeder')
    t.ok(/part 9/.test(r.stdout), 'and lists the jobs')
    t.ok(secs < 30, `in ${secs.toFixed(1)} s, not its 60 s sync timeout`)
  }
})
