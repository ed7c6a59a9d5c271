// Saved searches on the real stack: the watcher on two markets over a local testnet (only new, open, matching jobs
// of others, each once), and `p2print search …` with `seed --notify CMD` as separate processes (the command gets the
// job in environment variables, and a title full of shell syntax is never run).
import test from 'brittle'
import fs from 'fs'
import path from 'path'
import { openMarkets, openMarket, tmpDir, testnet, eventually, p2print, startSeed } from './helpers.js'
import { SearchWatcher, saveSearch, removeSearch, loadSearches, parseSearch, type SearchMatch } from '../lib/service/searches.js'
import { OP, type JobFields } from '../lib/schema.js'
import { jobIdString } from '../lib/ids.js'

const job = (title: string, material: JobFields['material'], bountySats: number, country = 'DE'): JobFields => ({ title, material, colors: [], bountySats, country, notes: '' })

test('searches: the watcher reports each new matching job of another peer once', { timeout: 120_000 }, async (t) => {
  const { peers } = await openMarkets(t, 2)
  const [a, b] = peers.map(p => p.market)
  const dir = await tmpDir(t)
  await saveSearch(dir, parseSearch({ material: 'pla', country: 'de', minBounty: '0.001' }))
  const seen: SearchMatch[] = []
  const errors: Error[] = []
  const watcher = new SearchWatcher(b, dir, { onMatch: m => seen.push(m), onError: err => errors.push(err) })
  watcher.start()
  t.teardown(() => watcher.stop(), { order: 1 })

  const ids = new Map<string, Uint8Array>()
  const post = async (fields: JobFields): Promise<string> => {
    const { jobId } = await a.append({ type: OP.JOB_CREATE, job: fields, file: null })
    ids.set(jobIdString(jobId!), jobId!)
    return jobIdString(jobId!)
  }
  const hit = await post(job('Gear', 'PLA', 200_000))
  const cheap = await post(job('Cheap gear', 'PLA', 50_000))
  await post(job('Tough gear', 'PETG', 300_000))
  await post(job('Far gear', 'PLA', 300_000, 'US'))
  t.ok(await eventually(async () => (await b.jobCount()) === 4), 'b has the four jobs')
  await watcher.idle()
  t.ok(await eventually(() => seen.length >= 1), 'a match')
  t.alike(seen.map(m => [m.id, m.title, m.bountySats, m.material, m.country, m.searches]), [[hit, 'Gear', 200_000, 'PLA', 'DE', [1]]], 'exactly the matching job')

  // an edit that makes a job match is not a new job; the same job is never reported twice
  await a.append({ type: OP.JOB_UPDATE, jobId: ids.get(cheap)!, patch: { bountySats: 500_000 } })
  await a.append({ type: OP.JOB_UPDATE, jobId: ids.get(hit)!, patch: { notes: 'edited' } })
  t.ok(await eventually(async () => (await b.getJob(ids.get(hit)!))?.job.notes === 'edited' && (await b.getJob(ids.get(cheap)!))?.job.bountySats === 500_000), 'b has the edits')
  // a search saved while the watcher runs applies to the next job
  await saveSearch(dir, parseSearch({ country: 'us' }))
  const us = await post(job('Lamp', 'ABS', 1000, 'US'))
  t.ok(await eventually(() => seen.length >= 2), 'the new search matched')
  await watcher.idle()
  t.alike(seen.map(m => m.id), [hit, us], 'the edited jobs not reported, the new one once')
  t.alike(seen[1].searches, [2])

  // b's own job matches its search but is not news to it
  await b.append({ type: OP.JOB_CREATE, job: job('My own gear', 'PLA', 900_000), file: null })
  await removeSearch(dir, 2)
  await post(job('Another lamp', 'ABS', 1000, 'US'))
  t.ok(await eventually(async () => (await b.jobCount()) === 7), 'b has its own job and the last one')
  await watcher.idle()
  t.alike(seen.map(m => m.id), [hit, us], 'its own job and a job of a removed search are not reported')
  t.alike(errors, [])
  t.is((await loadSearches(dir)).length, 1)
})

test('searches: a searches file that cannot be read is an error and is never overwritten', async (t) => {
  const dir = await tmpDir(t)
  const file = path.join(dir, 'searches.json')
  fs.writeFileSync(file, '{"version":1,"searches":[{"n":"one"}]}')
  await t.exception(loadSearches(dir), /searches\.json .*malformed/)
  await t.exception(saveSearch(dir, parseSearch({ material: 'PLA' })), /searches\.json/)
  t.is(fs.readFileSync(file, 'utf8'), '{"version":1,"searches":[{"n":"one"}]}', 'left as it was')
  t.exception(() => parseSearch({}), /at least one of --material, --country, --min-bounty/)
  t.exception(() => parseSearch({ minBounty: 'lots' }), /--min-bounty "lots" is not an amount/)
})

test('searches: a searches file that cannot be read is said once by a running watcher, not on every update', async (t) => {
  const dir = await tmpDir(t)
  const { market } = await openMarket(t, path.join(dir, 'store'), null, { swarm: false })
  const file = path.join(dir, 'searches.json')
  fs.writeFileSync(file, 'not json')
  const errors: string[] = []
  const seen: string[] = []
  const watcher = new SearchWatcher(market, dir, { onMatch: m => seen.push(m.title), onError: err => errors.push(err.message), now: () => Date.now() })
  watcher.start()
  t.teardown(() => watcher.stop(), { order: 1 })
  for (const title of ['One', 'Two']) {
    await market.append({ type: OP.JOB_CREATE, job: job(title, 'PLA', 200_000), file: null })
    await market.update()
    await watcher.idle()
  }
  t.is(errors.length, 1, 'said once')
  t.ok(/searches\.json/.test(errors[0]), errors[0])
  t.alike(seen, [], 'nothing matched meanwhile (and this peer\'s own jobs never are)')
})

test('searches: `search save|list|remove` and `seed --notify`: the matching job only, once, its title never run', { timeout: 300_000 }, async (t) => {
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const bootstrap = tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')
  const peer = (name: string): string[] => ['--storage', path.join(dir, name), '--bootstrap', bootstrap, '--sync-timeout', '15']
  const [A, B] = [peer('a'), peer('b')]
  const created = await p2print([...A, '--json', 'market', 'create', '--admission-bits', '8', '--name', 'searches'])
  t.is(created.code, 0, 'a creates the market')
  t.is((await p2print([...B, 'market', 'join', created.json.key])).code, 0, 'b joins')

  // the search commands: no market needed, bad input refused with the flag's message
  const bad = await p2print([...B, '--json', 'search', 'save', '--material', 'wood'])
  t.is(bad.code, 2, 'a bad material is a usage error')
  t.ok(bad.stderr.includes('unknown material "wood"'))
  const saved = await p2print([...B, '--json', 'search', 'save', '--material', 'pla', '--country', 'de', '--min-bounty', '0.001'])
  t.is(saved.code, 0)
  t.is(saved.json.saved.n, 1)
  t.is(saved.json.saved.minBountySats, 100_000)
  t.is((await p2print([...B, '--json', 'search', 'save', '--country', 'jp'])).json.saved.n, 2)
  const removed = await p2print([...B, 'search', 'remove', '2'])
  t.ok(removed.code === 0 && removed.stdout.includes('Removed search #2'), 'search remove N')
  const listed = await p2print([...B, 'search', 'list'])
  t.ok(listed.stdout.includes('#1') && listed.stdout.includes('PLA, to DE, ≥ 0.001 BTC') && !listed.stdout.includes('#2'), 'search list')
  t.is((await p2print([...B, 'search', 'remove', '7'])).code, 2, 'an unknown number is refused')

  // the notify command: writes the P2PRINT_* variables it gets, one JSON line per run
  const script = path.join(dir, 'notify.cjs')
  const out = path.join(dir, 'notified.jsonl')
  fs.writeFileSync(script, "const fs = require('fs')\nconst env = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^P2PRINT_(JOB_|SEARCHES|MARKET)/.test(k)))\nfs.appendFileSync(process.argv[2], JSON.stringify(env) + '\\n')\n")
  const seed = startSeed(t, [...B, '--notify', `${process.execPath} ${script} ${out}`])
  t.ok(await eventually(() => seed.lines.some(l => l.tag === 'seeding'), 30_000), 'b seeds with --notify')

  const pwned = ['a', 'b', 'c', 'd'].map(x => `/tmp/p2x-${process.pid}-${x}`)
  t.teardown(() => { for (const f of pwned) fs.rmSync(f, { force: true }) })
  const title = `Gear $(touch ${pwned[0]}) \`touch ${pwned[1]}\`; touch ${pwned[2]} | touch ${pwned[3]}`
  const post = async (args: string[]): Promise<string> => {
    const r = await p2print([...A, '--json', 'job', 'create', ...args])
    t.is(r.code, 0, `job create ${args.join(' ')}`)
    return r.json.id
  }
  const hit = await post(['--title', title, '--material', 'PLA', '--bounty', '0.002', '--country', 'DE'])
  await post(['--title', 'Tough gear', '--material', 'PETG', '--bounty', '0.002', '--country', 'DE'])
  await post(['--title', 'Cheap gear', '--material', 'PLA', '--bounty', '0.0005', '--country', 'DE'])
  t.ok(await eventually(() => seed.lines.some(l => l.tag === 'market-updated' && l.data.jobs === 3), 60_000), 'the seeder has the three jobs')
  t.ok(await eventually(() => fs.existsSync(out) && fs.readFileSync(out, 'utf8').trim() !== '', 30_000), 'the command ran')
  // one more job after, so a second run for the first would have happened by the time it is seen
  await post(['--title', 'Far gear', '--material', 'PLA', '--bounty', '0.002', '--country', 'US'])
  t.ok(await eventually(() => seed.lines.some(l => l.tag === 'market-updated' && l.data.jobs === 4), 60_000), 'the seeder has the fourth job')

  const matches = seed.lines.filter(l => l.tag === 'search-match')
  t.alike(matches.map(l => [l.data.id, l.data.title, l.data.searches]), [[hit, title, [1]]], 'one search-match line, for the matching job')
  const runs = fs.readFileSync(out, 'utf8').trim().split('\n').map(l => JSON.parse(l))
  t.is(runs.length, 1, 'the command ran once')
  t.is(runs[0].P2PRINT_JOB_ID, hit)
  t.is(runs[0].P2PRINT_JOB_TITLE, title, 'the title reached it as it was written, as data')
  t.is(runs[0].P2PRINT_JOB_BOUNTY_SATS, '200000')
  t.is(runs[0].P2PRINT_JOB_BOUNTY_BTC, '0.002')
  t.is(runs[0].P2PRINT_JOB_MATERIAL, 'PLA')
  t.is(runs[0].P2PRINT_JOB_COUNTRY, 'DE')
  t.is(runs[0].P2PRINT_SEARCHES, '1')
  t.is(runs[0].P2PRINT_MARKET, created.json.key)
  t.alike(pwned.filter(f => fs.existsSync(f)), [], 'nothing in the title was run')
  t.absent(seed.lines.some(l => l.tag === 'notify-failed'), 'no failed runs')

  seed.child.kill('SIGTERM')
  t.is(await seed.exited, 0, 'seed stops cleanly')
  const noCmd = await p2print([...B, 'seed', '--notify', '  '])
  t.is(noCmd.code, 2, '--notify without a command is refused before anything starts')
})
