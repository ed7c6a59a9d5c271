// The command line end to end: separate processes with separate storages over a local testnet, one of them
// running `seed`, the way the README walks through it.
import test from 'brittle'
import path from 'path'
import { tmpDir, testnet, eventually, p2print, startSeed } from './helpers.js'
import crypto from 'crypto'
import { peerId } from '../lib/ids.js'

test('cli: three peers and a seeder run a job from post to completion', { timeout: 240_000 }, async (t) => {
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const bootstrap = tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')
  const peer = (name: string): string[] => ['--storage', path.join(dir, name), '--bootstrap', bootstrap, '--sync-timeout', '15']
  const [A, B, C] = [peer('a'), peer('b'), peer('c')]

  const created = await p2print([...A, '--json', 'market', 'create', '--admission-bits', '8', '--name', 'test market'])
  t.is(created.code, 0, 'market create exits 0')
  const key: string = created.json.key
  t.is(key.length, 52, 'market key is z-base32')
  t.is(created.json.name, 'test market')

  const seed = startSeed(t, A)
  t.ok(await eventually(() => seed.lines.some(l => l.tag === 'seeding'), 30_000), 'seed started')

  const beside = await p2print([...A, '--json', 'jobs'])
  t.is(beside.code, 0, 'a command on the seed\'s storage runs through the seed (test/sidecar.test.ts)')
  const locked = await p2print([...A, '--json', 'seed'])
  t.is(locked.json?.error?.code, 'STORAGE_LOCKED', 'a second seed on its storage fails')

  t.is((await p2print([...B, 'market', 'join', key])).code, 0, 'b joins')
  t.is((await p2print([...C, 'market', 'join', key])).code, 0, 'c joins')
  const bId = (await p2print([...B, '--json', 'id'])).json.id
  const cId = (await p2print([...C, '--json', 'id'])).json.id
  t.is(bId.length, 52)
  t.not(bId, cId, 'peers have distinct ids')

  const post = await p2print([...B, '--json', 'job', 'create', '--title', 'Benchy', '--material', 'pla', '--color', 'red', '--color', 'blue', '--bounty', '0.0005', '--country', 'de', '--notes', '0.2 mm layers'])
  t.is(post.code, 0, 'job create exits 0')
  const job = post.json
  t.is(job.status, 'open')
  t.is(job.bountySats, 50_000, 'BTC decimal parsed exactly')
  t.is(job.material, 'PLA')
  t.alike(job.colors, ['red', 'blue'])
  t.is(job.country, 'DE')
  t.is(job.client, bId)
  t.is(job.shared, true, 'the post reached a peer before the command exited')
  for (const f of ['id', 'title', 'status', 'client', 'printer', 'material', 'colors', 'bountySats', 'country', 'notes', 'createdAt', 'updatedAt', 'confirmed']) {
    t.ok(f in job, `job JSON has ${f}`)
  }

  const listed = await p2print([...C, '--json', 'jobs', '--status', 'open', '--material', 'PLA', '--country', 'DE', '--min-bounty', '0.0001'])
  t.is(listed.code, 0)
  t.alike(listed.json.jobs.map((j: any) => j.id), [job.id], 'c sees the job through the seeder')
  t.ok(listed.json.peers >= 1, 'jobs reports the peers it reached')
  const filteredOut = await p2print([...C, '--json', 'jobs', '--min-bounty', '0.001'])
  t.is(filteredOut.json.jobs.length, 0, 'min-bounty filter excludes it')

  const own = await p2print([...B, '--json', 'job', 'accept', job.id])
  t.is(own.code, 1, 'a client cannot accept its own job')
  t.is(own.json.error.code, 'NOT_ALLOWED')
  t.ok(/client/.test(own.stderr), 'the message says why')

  const edited = await p2print([...B, '--json', 'job', 'update', job.id, '--bounty', '0.0006', '--notes', '0.1 mm layers'])
  t.is(edited.code, 0, 'the client edits its open job')
  t.is(edited.json.bountySats, 60_000)
  t.is(edited.json.notes, '0.1 mm layers')
  const notMine = await p2print([...C, '--json', 'job', 'update', job.id, '--bounty', '1'])
  t.is(notMine.code, 1, 'another peer cannot edit it')
  t.is(notMine.json.error.code, 'NOT_ALLOWED')

  const accepted = await p2print([...C, '--json', 'job', 'accept', job.id.slice(0, 6)])
  t.is(accepted.code, 0, 'c accepts by id prefix')
  t.is(accepted.json.status, 'active', 'accept moves on to active (no escrow yet)')
  t.is(accepted.json.printer, cId)

  const withdrawn = await p2print([...C, '--json', 'job', 'withdraw', job.id])
  t.is(withdrawn.code, 0, 'the printer gives the job back')
  t.is(withdrawn.json.status, 'open')
  t.is(withdrawn.json.printer, null)
  t.is((await p2print([...C, '--json', 'job', 'accept', job.id])).json.status, 'active', 'and accepts it again')

  const notPrinter = await p2print([...B, '--json', 'job', 'ship', job.id])
  t.is(notPrinter.code, 1, 'the client cannot ship')
  t.is(notPrinter.json.error.code, 'NOT_ALLOWED')

  const shipped = await p2print([...C, '--json', 'job', 'ship', job.id, '--note', 'DHL 123'])
  t.is(shipped.code, 0)
  t.is(shipped.json.status, 'shipped')
  t.is(shipped.json.history.at(-1).note, 'DHL 123')

  const completed = await p2print([...B, '--json', 'job', 'complete', job.id])
  t.is(completed.code, 0)
  t.is(completed.json.status, 'completed')

  const second = (await p2print([...B, '--json', 'job', 'create', '--title', 'Bracket', '--material', 'PETG', '--bounty', '0.001', '--country', 'AT'])).json
  t.is((await p2print([...C, '--json', 'job', 'accept', second.id])).code, 0)
  const noReason = await p2print([...B, '--json', 'job', 'dispute', second.id])
  t.is(noReason.code, 2, 'a dispute needs a reason')
  const disputed = await p2print([...B, '--json', 'job', 'dispute', second.id, '--reason', 'never arrived'])
  t.is(disputed.code, 0)
  t.is(disputed.json.status, 'disputed')
  t.is(disputed.json.history.at(-1).note, 'never arrived')

  const again = await p2print([...B, '--json', 'job', 'cancel', job.id])
  t.is(again.code, 1, 'a completed job cannot be cancelled')
  t.is(again.json.error.code, 'BAD_TRANSITION')

  t.ok(await eventually(async () => {
    const shown = await p2print([...C, '--json', 'job', 'show', job.id])
    return shown.json?.status === 'completed' && shown.json?.confirmed === true
  }, 60_000, 500), 'the final state is confirmed by the indexer and seen by c')

  // usage errors exit 2, with a JSON error too
  const abc = await p2print([...B, '--json', 'job', 'create', '--title', 'x', '--material', 'PLA', '--bounty', 'abc', '--country', 'DE'])
  t.is(abc.code, 2)
  t.is(abc.json.error.code, 'BAD_ARGUMENT')
  const neg = await p2print([...B, '--json', 'job', 'create', '--title', 'x', '--material', 'PLA', '--bounty=-1', '--country', 'DE'])
  t.is(neg.code, 2, 'a negative bounty is a usage error')
  const unknownCountry = await p2print([...B, 'job', 'create', '--title', 'x', '--material', 'PLA', '--bounty', '1', '--country', 'XX'])
  t.is(unknownCountry.code, 2)
  t.ok(/ISO 3166/.test(unknownCountry.stderr))
  const missing = await p2print([...B, '--json', 'job', 'show', 'zzzzzzzz'])
  t.is(missing.code, 1)
  t.is(missing.json.error.code, 'JOB_NOT_FOUND')
  const badCmd = await p2print([...B, 'frobnicate'])
  t.is(badCmd.code, 2)

  // seed stops cleanly on SIGTERM
  seed.child.kill('SIGTERM')
  t.is(await seed.exited, 0, 'seed exits 0 on SIGTERM')
  t.ok(seed.lines.some(l => l.tag === 'stopped'), 'seed logged that it stopped')
  const after = await p2print([...A, '--json', '--sync-timeout', '0', 'jobs'])
  t.is(after.code, 0, 'the lock was released')
})

test('cli: a job posted offline is shared the next time the peer meets another', { timeout: 240_000 }, async (t) => {
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const bootstrap = tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')
  const A = ['--storage', path.join(dir, 'a'), '--bootstrap', bootstrap, '--sync-timeout', '15']
  const B = ['--storage', path.join(dir, 'b'), '--bootstrap', bootstrap, '--sync-timeout', '15']
  const key = (await p2print([...A, '--json', 'market', 'create', '--admission-bits', '8'])).json.key
  const seed = startSeed(t, A)
  t.ok(await eventually(() => seed.lines.some(l => l.tag === 'seeding'), 30_000))
  t.is((await p2print([...B, 'market', 'join', key])).code, 0)
  seed.child.kill('SIGTERM')
  await seed.exited

  // nobody is online: the post is kept locally and the user is told so
  const offline = await p2print([...B, '--json', '--sync-timeout', '2', 'job', 'create', '--title', 'Offline vase', '--material', 'PETG', '--bounty', '0.001', '--country', 'FR'])
  t.is(offline.code, 0)
  t.is(offline.json.shared, false)
  t.ok(/Stored locally/.test(offline.stderr), 'the user is told it is stored locally')

  const seed2 = startSeed(t, A)
  t.ok(await eventually(() => seed2.lines.some(l => l.tag === 'seeding'), 30_000))
  // A non-writer's first (optimistic) block is not always picked up by the indexer on the first connection (an
  // Autobase wakeup that does not come; ../shared/notes/stack-facts.md; seen on the project's earlier commits too,
  // under load). The command says so ("Stored locally … run `p2print sync`"), and a user runs sync again.
  let synced = await p2print([...B, '--json', 'sync'])
  for (let i = 0; i < 2 && synced.code === 0 && synced.json.shared !== true; i++) {
    t.ok(/Stored locally/.test(synced.stderr), 'a sync that did not hand the post over says so')
    synced = await p2print([...B, '--json', 'sync'])
  }
  t.is(synced.code, 0)
  t.is(synced.json.shared, true, 'sync hands the offline post to a peer')
  t.ok(await eventually(() => seed2.lines.some(l => l.tag === 'market-updated' && l.data.jobs === 1), 30_000), 'the seeder has the job')
  const mine = await p2print([...B, 'jobs', '--mine'])
  t.is(mine.code, 0)
  t.ok(/Offline vase/.test(mine.stdout), 'jobs --mine lists it')
  t.absent(/Stored locally/.test(mine.stderr + mine.stdout), 'a read-only command says nothing of storing locally: it wrote nothing')
  seed2.child.kill('SIGTERM')
  t.is(await seed2.exited, 0)
  const seen = await p2print([...A, '--json', '--sync-timeout', '0', 'jobs'])
  t.alike(seen.json.jobs.map((j: any) => j.title), ['Offline vase'], 'the creator\'s storage holds the job')
})

test('cli: `testnet` on a port that is taken fails, naming the port, instead of moving to another one', { timeout: 60_000 }, async (t) => {
  const tn = await testnet(t) // holds its bootstrap port
  const port = tn.bootstrap[0].port
  const r = await p2print(['--json', 'testnet', '--port', String(port)], { timeoutMs: 30_000 })
  t.is(r.code, 1, 'exit 1')
  t.is(r.json?.error?.code, 'PORT_IN_USE')
  t.ok(new RegExp(`port ${port} is taken`).test(r.json?.error?.message ?? ''), r.json?.error?.message)
})

test('cli: `market join` with no key (a usage mistake) exits 2; with a key nobody answers for, it warns', { timeout: 60_000 }, async (t) => {
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const bootstrap = tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')
  const C = ['--storage', path.join(dir, 'c'), '--bootstrap', bootstrap, '--sync-timeout', '2']
  const bad = await p2print([...C, '--json', 'market', 'join', 'notakey'])
  t.is(bad.code, 2, 'text that is no key: exit 2, like every usage mistake')
  t.is(bad.json?.error?.code, 'UNKNOWN_MARKET')
  const nobody = await p2print([...C, 'market', 'join', peerId(crypto.randomBytes(32))])
  t.is(nobody.code, 0, 'a well-formed key is joined')
  t.ok(/Nothing answered for market/.test(nobody.stderr), 'and the user is told nothing answered for it')
})

test('cli: a mistyped option or a negative amount is named in the user\'s terms (exit 2)', async (t) => {
  const typo = await p2print(['--storag', '/tmp/nowhere', 'jobs'])
  t.is(typo.code, 2)
  t.ok(/unknown option --storag \(did you mean --storage\?\)/.test(typo.stderr), typo.stderr.trim())
  const negative = await p2print(['--storage', '/tmp/nowhere', 'wallet', 'send', 'rb1qxyz', '-1'])
  t.is(negative.code, 2)
  t.ok(/-1 is not an option: a negative number cannot be given here/.test(negative.stderr), negative.stderr.trim())
  t.absent(/positional/.test(typo.stderr + negative.stderr), 'nothing of Node\'s own parser wording')
})

// Runs p2print with HOME set and no P2PRINT_STORAGE: the default storage is HOME/.p2print, as the README writes it.
async function p2printAt (home: string, args: string[]): Promise<{ code: number | null, stdout: string, stderr: string, json: any }> {
  const { spawn } = await import('child_process')
  const entry = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'index.ts')
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home }
  delete env.P2PRINT_STORAGE
  return await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: path.dirname(entry), env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      let json: any = null
      try { json = JSON.parse(stdout) } catch {}
      resolve({ code, stdout, stderr, json })
    })
  })
}

test('cli: `mediator list` and the other reads work without --storage and create no wallet (nor a storage where there is none)', { timeout: 180_000 }, async (t) => {
  const fs = await import('fs')
  const tn = await testnet(t)
  const bootstrap = tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')
  const home = await tmpDir(t)
  const storage = path.join(home, '.p2print')

  // no market in ~/.p2print: the read says so, naming the storage, and leaves nothing behind
  for (const args of [['mediator', 'list'], ['dispute', 'list'], ['jobs'], ['peer']]) {
    const r = await p2printAt(home, ['--json', '--bootstrap', bootstrap, ...args])
    t.is(r.code, 1, `${args.join(' ')}: refused`)
    t.is(r.json?.error?.code, 'NO_MARKET')
    t.ok(r.stderr.includes(`the storage ${storage} has no market yet`) && r.stderr.includes('--storage DIR'), r.stderr.trim())
    t.absent(fs.existsSync(storage), `${args.join(' ')}: no ~/.p2print created`)
  }

  // with a market there (its wallet removed, as on a storage that never made one), every read works and makes none
  t.is((await p2printAt(home, ['--json', '--bootstrap', bootstrap, 'market', 'create', '--admission-bits', '8', '--name', 'home'])).code, 0)
  const wallet = path.join(storage, 'wallet.json')
  t.ok(fs.existsSync(wallet), 'a write (market create) makes the wallet, as before')
  fs.rmSync(wallet)
  const list = await p2printAt(home, ['--json', '--bootstrap', bootstrap, '--sync-timeout', '1', 'mediator', 'list'])
  t.is(list.code, 0, list.stderr)
  t.alike(list.json?.mediators, [], 'the mediator list of the market in ~/.p2print')
  t.ok(list.json?.rules?.length > 0)
  for (const args of [['dispute', 'list'], ['jobs'], ['peer'], ['market', 'info']]) {
    const r = await p2printAt(home, ['--json', '--bootstrap', bootstrap, '--sync-timeout', '1', ...args])
    t.is(r.code, 0, `${args.join(' ')}: ${r.stderr.trim()}`)
  }
  t.absent(fs.existsSync(wallet), 'no wallet created by any read')
  t.absent(/Created a new wallet/.test(list.stderr))
})

test('cli: event texts and dispute refusals say what happened in the user\'s terms', async (t) => {
  const b4a = (await import('b4a')).default
  const { renderEvent } = await import('../ui/text.js')
  const { stepWords } = await import('../lib/escrow/step-words.js')
  const { noAnswerWhy } = await import('../lib/service/disputes.js')
  const id = 'xrsft6xd6suxe9ytxo7x8xp8gh'
  t.is(renderEvent('split-signed', { id, txid: 'ab', printerPct: 60, both: false }), 'Accepted the mediator\'s proposal for job xrsft6xd (the printer gets 60 % of the bounty, the client the rest): it is paid out once the other side accepts it too.')
  t.is(renderEvent('split-signed', { id, txid: 'ab', printerPct: 60, both: true }), 'Accepted the mediator\'s proposal for job xrsft6xd: both sides have now, so the split is paid out (the printer gets 60 % of the bounty, the client the rest).')
  t.is(renderEvent('escrow-step', { jobId: id, action: 'propose' }), 'Escrow of job xrsft6xd: proposed the funding (your coins, and the refund\'s lock height)')
  t.is(renderEvent('escrow-step', { jobId: id, action: 'sign', kind: 'complete' }), 'Escrow of job xrsft6xd: signed the payout to the printer')
  t.is(renderEvent('escrow-step', { jobId: id, action: 'settled', kind: 'split' }), 'Escrow of job xrsft6xd: done: the split\'s payout is confirmed and recorded')
  t.is(renderEvent('escrow-error', { jobId: id, action: 'error', kind: 'funding', detail: 'node down' }), 'Escrow of job xrsft6xd: could not act on the funding — node down')
  t.is(renderEvent('payout-broadcast', { kind: 'complete', txid: 'cd' }), 'Sent the payout to the printer to the Bitcoin network: cd')
  for (const a of ['propose', 'sign', 'broadcast', 'funded', 'paid', 'settled', 'lapse', 'escalate', 'refuse', 'error']) {
    t.absent(stepWords(a, 'split') === a || stepWords(a, 'split').startsWith(`${a} `), `${a}: words, not the action's name`)
  }

  // answering a proposal that waits for nobody's answer: what the dispute is doing instead
  const me = b4a.alloc(32, 1)
  const other = b4a.alloc(32, 2)
  const proposal = { printerPct: 60, note: '', feeSats: 0, at: 1, answerBy: 2, feeScript: b4a.alloc(22) }
  const job = (stage: string, acceptedClient = false, acceptedPrinter = false, status = 'disputed'): any => ({ client: me, printer: other, status, dispute: { stage, proposal, acceptedClient, acceptedPrinter } })
  t.is(noAnswerWhy(job('proposed'), me), null, 'a proposal waits for this side: nothing in the way')
  t.ok(/you accepted this proposal already .* paid out once the other side accepts it too/.test(noAnswerWhy(job('proposed', true), me) ?? ''))
  t.ok(/both sides accepted the proposal: the split is being paid out/.test(noAnswerWhy(job('settled', true, true), me) ?? ''), 'after both accepted: not "once the other side accepts"')
  t.ok(/both sides accepted the proposal, and the split is paid out/.test(noAnswerWhy(job('settled', true, true, 'completed'), me) ?? ''))
  t.ok(/the mediator has not proposed a split yet/.test(noAnswerWhy(job('mediation'), me) ?? ''))
  t.ok(/went to the arbitrator/.test(noAnswerWhy(job('arbitration'), me) ?? ''))
  t.ok(/only the client or the printer/.test(noAnswerWhy(job('proposed'), b4a.alloc(32, 3)) ?? ''))
})
