// The P2Print service itself (lib/service/p2print.ts), on the real stack: services with their own storage, real
// Autobase peers over a local DHT testnet (never the public one) and, for the escrow, the embedded bcoin regtest
// node. Every service is closed in t.teardown (before the node, the testnet and the directories).
//   1. jobs between two services: what createJob / accept / job return, the codes of the refusals, the 'event' stream
//   2. an escrow market: with watchEscrow() running on both sides, a job goes accepted → funding broadcast →
//      (a block) → active with no other call: the watchers alone move it, on market updates and on the new block;
//      accept on a service without a Bitcoin backend fails with ESCROW_NEEDS_BACKEND
import test from 'brittle'
import path from 'path'
import b4a from 'b4a'
import { tmpDir, testnet, eventually, type Test } from './helpers.js'
import { startRegtest, type RegtestChain } from './regtest.js'
import { P2Print, type P2PrintEvent, type Bootstrap } from '../lib/service/p2print.js'
import { P2PrintError } from '../lib/errors.js'
import { OP, type JobFields, type MarketSettings } from '../lib/schema.js'
import { getSettings } from '../lib/market/view.js'
import { jobIdString } from '../lib/ids.js'
import { arbitratorPubkey } from '../lib/escrow/engine.js'
import { Wallet } from '../lib/escrow/wallet.js'
import fs from 'fs'
import { AppSession } from '../lib/app.js'
import { toHex } from '../lib/escrow/script.js'
import { peerId, parseKey } from '../lib/ids.js'

const WAIT = 60_000

const FIELDS: JobFields = { title: 'Benchy', material: 'PLA', colors: ['red'], bountySats: 200_000, country: 'DE', notes: '0.2 mm layers' }

// A service on its own storage; with `chain`, its Bitcoin backend is the regtest node. Closed in teardown.
async function service (t: Test, dir: string, bootstrap: Bootstrap[], chain: RegtestChain | null = null): Promise<P2Print> {
  const p = new P2Print({
    storage: dir,
    bootstrap,
    marketKey: null,
    syncTimeoutMs: 10_000,
    chain: chain === null ? null : 'regtest',
    bitcoinRpc: chain === null ? null : chain.rpcUrl,
    esplora: null
  })
  t.teardown(() => p.close(), { order: 10 })
  await p.ready()
  return p
}

// Everything a service emits on 'event', in order.
function recordEvents (p: P2Print): P2PrintEvent[] {
  const events: P2PrintEvent[] = []
  p.on('event', (e: P2PrintEvent) => events.push(e))
  return events
}

// Polls until `fn` holds; throws (failing the test) when the time is up.
async function waitFor (what: string, fn: () => Promise<boolean> | boolean, timeoutMs = WAIT): Promise<void> {
  if (!await eventually(fn, timeoutMs, 100)) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for: ${what}`)
}

// The P2PrintError code a call fails with ('NO ERROR' if it succeeds, 'NOT A P2PrintError: …' for anything else).
async function codeOf (fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn()
    return 'NO ERROR'
  } catch (err) {
    return err instanceof P2PrintError ? err.code : `NOT A P2PrintError: ${(err as Error).message}`
  }
}

// The job's status on a service's market ('' while it does not hold the job). Reads the view only.
async function statusOn (p: P2Print, id: string, o: { confirmed?: boolean } = {}): Promise<string> {
  try {
    const v = await p.job(id)
    return o.confirmed === true && !v.confirmed ? '' : v.job.status
  } catch (err) {
    if ((err as P2PrintError).code === 'JOB_NOT_FOUND') return ''
    throw err
  }
}

// Until neither market has emitted 'update' for `quietMs` (fails after timeoutMs): nothing left in flight.
async function quiet (ps: P2Print[], quietMs = 3000, timeoutMs = 30_000): Promise<void> {
  let last = Date.now()
  const bump = (): void => { last = Date.now() }
  for (const p of ps) p.market.on('update', bump)
  try {
    await waitFor(`${quietMs / 1000} s without a market update`, () => Date.now() - last >= quietMs, timeoutMs)
  } finally {
    for (const p of ps) p.market.off('update', bump)
  }
}

const tags = (events: P2PrintEvent[]): string[] => events.map(e => e.tag)
const steps = (events: P2PrintEvent[], id: string): Array<Record<string, unknown>> =>
  events.filter(e => e.tag === 'escrow-step' && e.data.jobId === id).map(e => e.data)

test('service: createJob, accept and job between two services; refusals carry codes; the event stream', { timeout: 180_000 }, async (t) => {
  const tn = await testnet(t)
  const root = await tmpDir(t)
  const client = await service(t, path.join(root, 'client'), tn.bootstrap)
  const printer = await service(t, path.join(root, 'printer'), tn.bootstrap)
  await client.createMarket('service test')
  await printer.joinMarket(client.market.key)
  t.ok(b4a.equals(printer.market.key, client.market.key), 'the printer joined the client\'s market')
  await waitFor('the two services to connect', () => client.connections > 0 && printer.connections > 0)

  const clientEvents = recordEvents(client)
  const created = await client.createJob(FIELDS, null)
  const job = created.view.job
  const id = jobIdString(job.id)
  t.is(job.status, 'open', 'createJob returns the job view: open')
  t.is(job.title, FIELDS.title)
  t.is(job.bountySats, FIELDS.bountySats)
  t.ok(b4a.equals(job.client, client.market.writerKey), 'its client is the creating service\'s writer')
  t.is(typeof created.shared, 'boolean', 'and says whether it reached a peer')
  const createdTags = tags(clientEvents)
  t.ok(clientEvents.some(e => e.tag === 'job-created' && e.data.id === id), `'job-created' with the job's id (events: ${createdTags.join(', ')})`)
  t.ok(createdTags.includes('shared') || createdTags.includes('stored-locally'), 'then \'shared\' or \'stored-locally\'')
  t.ok(createdTags.indexOf('job-created') < Math.max(createdTags.indexOf('shared'), createdTags.indexOf('stored-locally')), '\'job-created\' comes first')
  t.is(created.shared, createdTags.includes('shared'), 'the result\'s `shared` agrees with the events')

  await waitFor('the job at the printer', async () => await statusOn(printer, id) === 'open')
  const seen = await printer.job(id)
  t.is(seen.job.title, FIELDS.title, 'the other service sees the job')
  t.is(jobIdString((await printer.job(id.slice(0, 8))).job.id), id, 'and finds it by an 8-character prefix')

  t.is(await codeOf(() => client.accept(id)), 'NOT_ALLOWED', 'a client accepting its own job is refused: NOT_ALLOWED')
  const unknown = id.startsWith('abcd') ? 'abce' : 'abcd'
  t.is(await codeOf(() => printer.job(unknown)), 'JOB_NOT_FOUND', `job('${unknown}'), a prefix no job has: JOB_NOT_FOUND`)
  t.is(await codeOf(() => client.job(unknown)), 'JOB_NOT_FOUND', 'on the client too')
  t.is(await codeOf(() => client.job('ab')), 'JOB_NOT_FOUND', 'a prefix under 4 characters: JOB_NOT_FOUND')

  const printerEvents = recordEvents(printer)
  const accepted = await printer.accept(id)
  t.ok(accepted.view.job.history.some(h => h.action === OP.JOB_ACCEPT), 'accept returns the job with the accept in its history')
  t.is(accepted.view.job.status, 'active', 'accepted, and moved on to active at once in a market without escrow')
  t.ok(accepted.view.job.printer !== null && b4a.equals(accepted.view.job.printer, printer.market.writerKey), 'its printer is the accepting service\'s writer')
  t.ok(printerEvents.some(e => e.tag === 'job-changed' && e.data.id === id && e.data.status === 'active'), `accept emits 'job-changed' (events: ${tags(printerEvents).join(', ')})`)
  t.ok(tags(printerEvents).includes('shared') || tags(printerEvents).includes('stored-locally'), 'and \'shared\' or \'stored-locally\'')

  const again = await codeOf(() => printer.accept(id))
  t.ok(again === 'BAD_TRANSITION' || again === 'NOT_ALLOWED', `accepting it again is refused: ${again}`)
  t.is(await codeOf(() => client.accept(id)), 'NOT_ALLOWED', 'so is the client\'s accept now')

  await waitFor('the accept at the client, confirmed', async () => await statusOn(client, id, { confirmed: true }) === 'active')
  const atClient = await client.job(id)
  t.ok(atClient.job.printer !== null && b4a.equals(atClient.job.printer, printer.market.writerKey), 'the client sees who accepted')
  const mine = await client.jobs({}, true)
  t.ok(mine.some(v => jobIdString(v.job.id) === id), 'jobs(…, mine) lists it for the client')
})

test('service: escrow on regtest — watchEscrow alone takes an accepted job to active; no backend, no accept', { timeout: 240_000 }, async (t) => {
  const chain = await startRegtest(t)
  const tn = await testnet(t)
  const root = await tmpDir(t)
  const client = await service(t, path.join(root, 'client'), tn.bootstrap, chain)
  const printer = await service(t, path.join(root, 'printer'), tn.bootstrap, chain)
  const offline = await service(t, path.join(root, 'arbitrator'), tn.bootstrap) // no Bitcoin backend
  await client.createMarket('escrowed')
  await printer.joinMarket(client.market.key)
  await offline.joinMarket(client.market.key)

  // the creator's settings, with the backend-less peer as the arbitrator (it never has to sign here)
  const arbWallet = await Wallet.load(offline.peer.dir, { network: chain.network })
  const settings: MarketSettings = {
    chain: 'regtest',
    arbitrators: [{ id: offline.market.writerKey, pubkey: arbitratorPubkey(arbWallet) }],
    depositPct: 15,
    arbitrationFeePct: 5,
    fundingDepth: 1,
    fundingTimeoutSecs: 3600,
    refundDelayBlocks: 20,
    admissionBits: 0,
    blindPeers: [],
    mediators: []
  }
  await client.market.append({ type: OP.MARKET_SETTINGS, settings })
  for (const p of [client, printer, offline]) {
    await waitFor('the settings on every service', async () => (await getSettings(p.market.view)).chain === 'regtest')
  }
  t.ok(await client.hasEscrow() && await printer.hasEscrow() && await offline.hasEscrow(), 'every service sees a market with escrow')

  const offlineEvents = recordEvents(offline)
  t.is(await offline.escrowSession(), null, 'no backend: no escrow session')
  t.ok(offlineEvents.some(e => e.tag === 'escrow-offline' && e.data.chain === 'regtest'), '\'escrow-offline\' says which chain is missing')
  t.is(await codeOf(() => offline.escrowSession(true)), 'ESCROW_NEEDS_BACKEND', 'escrowSession(true) without a backend: ESCROW_NEEDS_BACKEND')

  const cs = await client.escrowSession(true)
  const ps = await printer.escrowSession(true)
  t.ok(cs !== null && ps !== null, 'both sides have an escrow session on the regtest node')
  for (let i = 0; i < 3; i++) await chain.fund((await cs!.engine.wallet.nextReceiveAddress()).address, 400_000n)
  for (let i = 0; i < 2; i++) await chain.fund((await ps!.engine.wallet.nextReceiveAddress()).address, 60_000n)
  await chain.mine(1)

  const clientEvents = recordEvents(client)
  const printerEvents = recordEvents(printer)
  client.watchEscrow()
  printer.watchEscrow()

  const id = jobIdString((await client.createJob(FIELDS, null)).view.job.id)
  await waitFor('the job at the printer and the backend-less peer', async () => await statusOn(printer, id) === 'open' && await statusOn(offline, id) === 'open')

  t.is(await codeOf(() => offline.accept(id)), 'ESCROW_NEEDS_BACKEND', 'accept in an escrow market on a service without a backend: ESCROW_NEEDS_BACKEND')
  t.is(await statusOn(offline, id), 'open', 'and nothing was appended: the job is still open')

  const accepted = await printer.accept(id)
  t.is(accepted.view.job.status, 'accepted', 'accept in an escrow market returns the job accepted (waiting for its funding)')
  t.ok(accepted.view.job.escrow !== null, 'with the printer\'s escrow part in its record')
  t.ok(printerEvents.some(e => e.tag === 'job-changed' && e.data.id === id && e.data.status === 'accepted'), 'accept emits \'job-changed\'')

  // from here on the test only reads the views and the node, and mines: the watchers do the rest
  const broadcastOf = (): Record<string, unknown> | undefined =>
    [...steps(clientEvents, id), ...steps(printerEvents, id)].find(s => s.action === 'broadcast' && s.kind === 'funding')
  await waitFor('the funding broadcast by a watcher (on market updates alone)', () => broadcastOf() !== undefined, 120_000)
  const fundingTxid = broadcastOf()!.txid as string
  t.ok(typeof fundingTxid === 'string' && fundingTxid.length === 64, `the funding ${fundingTxid.slice(0, 16)}… went out`)
  const before = await chain.backend.txStatus(fundingTxid)
  t.ok(before.found && !before.confirmed, 'it is in the node\'s mempool, unconfirmed')
  t.is(await statusOn(printer, id), 'accepted', 'the job is still accepted before any block')
  const clientSteps = steps(clientEvents, id)
  const printerSteps = steps(printerEvents, id)
  t.ok(clientSteps.some(s => s.action === 'propose'), 'the client\'s watcher proposed the funding (escrow-step on its event stream)')
  t.ok(printerSteps.some(s => s.action === 'sign' && s.kind === 'refund'), 'the printer\'s watcher signed the refund')
  t.ok(clientSteps.some(s => s.action === 'sign' && s.kind === 'refund') && clientSteps.some(s => s.action === 'sign' && s.kind === 'funding'), 'the client\'s signed the refund and its funding inputs')
  t.ok(printerSteps.some(s => s.action === 'sign' && s.kind === 'funding'), 'the printer\'s signed its funding inputs')
  t.absent(clientSteps.some(s => s.action === 'funded') || printerSteps.some(s => s.action === 'funded'), 'no funded step before the block')

  // a block: the funding reaches its depth (1). With the markets quiet first, only the watchers' tip polls can
  // notice it (no market update would wake them)
  await quiet([client, printer])
  t.is(await statusOn(printer, id), 'accepted', 'the markets are quiet and the job is still accepted')
  await chain.mine(1)
  t.ok((await chain.backend.txStatus(fundingTxid)).confirmed, 'the funding is confirmed on the node')
  await waitFor('the job active (confirmed) on both sides after the block', async () =>
    await statusOn(client, id, { confirmed: true }) === 'active' && await statusOn(printer, id, { confirmed: true }) === 'active', 60_000)
  t.pass('active on both sides, with no command run')
  const v = await client.job(id)
  t.ok(v.job.escrow?.fundingTxid !== null && v.job.escrow?.fundingTxid !== undefined && b4a.toString(v.job.escrow.fundingTxid, 'hex') === fundingTxid, 'the record names the funding that went out')
  await waitFor('a \'funded\' escrow-step event', () => [...steps(clientEvents, id), ...steps(printerEvents, id)].some(s => s.action === 'funded'), 30_000)
  const funded = [...steps(clientEvents, id), ...steps(printerEvents, id)].find(s => s.action === 'funded')!
  t.is(funded.txid, fundingTxid, `a watcher reported it funded (${String(funded.detail)})`)
  t.absent([...clientEvents, ...printerEvents].some(e => e.tag === 'escrow-error' && e.data.jobId === id), 'no escrow-error for the job')

  await client.unwatchEscrow()
  await printer.unwatchEscrow()
})

// The app's controller for the market page, people and the recovery phrase (lib/app/market.ts, people.ts,
// recovery.ts) over two real sessions on a local testnet; the creator's has the regtest node as its backend.
test('app controller: market page and settings, indexers, people, other markets, the recovery phrase', { timeout: 240_000 }, async (t) => {
  const ABANDON = 'abandon '.repeat(11) + 'about'
  const chain = await startRegtest(t)
  const tn = await testnet(t)
  const root = await tmpDir(t)
  const creatorDir = path.join(root, 'creator')
  const creator = await AppSession.open({ storage: creatorDir, bootstrap: tn.bootstrap, bitcoinRpc: chain.rpcUrl, syncTimeoutMs: 2000 })
  t.teardown(() => creator.close(), { order: 5 })
  const joiner = await AppSession.open({ storage: path.join(root, 'joiner'), bootstrap: tn.bootstrap, syncTimeoutMs: 2000 })
  t.teardown(() => joiner.close(), { order: 5 })

  // the market page: `market info` with a QR code of the key
  await creator.createMarket('Alpha')
  const d0 = await creator.markets.detail()
  const market = creator.service!.market
  t.is(d0.key, peerId(market.key), 'the key as `market info` prints it')
  t.is(d0.keyHex, b4a.toString(market.key, 'hex'))
  t.ok(b4a.equals(parseKey(d0.key)!, market.key), 'and as `market join` takes it')
  t.ok(d0.qr.size === 17 + 4 * d0.qr.version && d0.qr.size <= 29, `a QR code of it (${d0.qr.size} modules a side)`)
  t.ok(d0.name === 'Alpha' && d0.creator && d0.indexer, 'its name; this peer created it and indexes it')
  t.alike(d0.indexers.indexers.map(i => [i.id, i.creator]), [[d0.id, true]], 'the creator is its one indexer')
  t.is(d0.settings.chain, '', 'no escrow yet')

  await t.exception(joiner.joinMarket('not-a-key'), /not a market key/, 'a bad key is refused')
  await joiner.joinMarket(d0.key)
  await waitFor('the joiner to read the market', async () => (await joiner.markets.detail()).name === 'Alpha')
  const dj = await joiner.markets.detail()
  t.ok(!dj.creator && dj.key === d0.key, 'the joiner is on the same market, not its creator')

  // `market settings`, the creator's only
  const arbWallet = await Wallet.load(creatorDir, { network: chain.network })
  const arbitrator = `${d0.id}:${toHex(arbitratorPubkey(arbWallet))}`
  const good = { ...d0.draft, chain: 'regtest', arbitrators: arbitrator, depositPct: '10', arbitrationFeePct: '2' }
  t.alike(creator.markets.validateSettings(good, ''), {}, 'a good form has no errors')
  const bad = creator.markets.validateSettings({ ...good, chain: 'dogecoin', arbitrators: 'x:02ab', mediators: 'nope', depositPct: '0', arbitrationFeePct: '20' }, '')
  t.ok(bad.chain?.includes('none or one of') === true && bad.arbitrators?.includes('ID:PUBKEY') === true && bad.mediators?.includes('peer\'s ID') === true, 'chain, arbitrators and mediators each say what is wrong')
  t.ok(bad.depositPct?.includes('from 1 to 100') === true && bad.arbitrationFeePct?.includes('from 0 to 15') === true, 'so do the numbers, with their bounds')
  t.ok(creator.markets.validateSettings({ ...good, depositPct: '2', arbitrationFeePct: '5' }, '').arbitrationFeePct?.includes('more than the deposit') === true, 'the fee may not exceed the deposit')
  await t.exception(creator.markets.setSettings({ ...good, depositPct: 'lots' }), /must be a whole number/, 'a bad form is refused')
  t.is((await creator.markets.detail()).settings.chain, '', 'and changes nothing')
  await waitFor('the joiner to see the creator', async () => (await joiner.markets.detail()).indexers.indexers.length === 1)
  await t.exception(joiner.markets.setSettings(good), /only the market's creator/, 'the joiner may not set them')
  const set = await creator.markets.setSettings(good)
  t.ok(set.chain === 'regtest' && set.depositPct === 10 && set.arbitrationFeePct === 2, 'the creator sets the chain, deposit and fee')
  t.alike(set.arbitrators.map(a => `${a.id}:${a.pubkey}`), [arbitrator], 'and the arbitrator, as `p2print id` prints it')
  t.ok(creator.markets.validateSettings({ ...good, chain: 'testnet' }, 'regtest').chain?.includes('cannot change') === true, 'the chain is set once')
  await t.exception(creator.markets.setSettings({ ...good, chain: 'testnet' }), /cannot change/)
  await waitFor('the settings at the joiner', async () => (await joiner.markets.detail()).settings.chain === 'regtest')

  // people: `printer profile`, `printers`, `printer unlist`, `mediator list`
  t.alike(await creator.people.printers({ material: '', country: '' }), [], 'nobody listed yet')
  const pe = joiner.people.validateProfile({ materials: 'PLA, wood', bed: '200x200', country: 'XX', note: '' })
  t.ok(pe.materials?.includes('unknown material') === true && pe.bed?.includes('XxYxZ') === true && pe.country?.includes('ISO 3166') === true && pe.note === undefined, 'the profile form says what is wrong per field')
  await t.exception(joiner.people.setProfile({ materials: 'PLA', bed: '0x1x1', country: 'DE', note: '' }), /whole millimetres/, 'a bad profile is refused')
  t.is(await joiner.people.myProfile(), null, 'and publishes nothing')
  const prof = await joiner.people.setProfile({ materials: 'petg, PLA', bed: '220x220x250', country: 'de', note: 'fast' })
  t.ok(prof.profile !== null && prof.profile.country === 'DE' && prof.profile.note === 'fast', 'published')
  t.alike(prof.profile?.materials, ['PLA', 'PETG'], 'materials in the market\'s order')
  t.alike((await joiner.people.myProfile())?.bedMm, [220, 220, 250], 'its own profile reads back')
  await waitFor('the creator to list the printer', async () => (await creator.people.printers({ material: '', country: '' })).some(p => p.id === dj.id))
  const listed = await creator.people.printers({ material: 'pla', country: 'de' })
  t.ok(listed.length === 1 && listed[0].id === dj.id && listed[0].record.id === dj.id && listed[0].note === 'fast', 'listed with its record, found by material and country')
  t.alike(await creator.people.printers({ material: 'Resin', country: '' }), [], 'another material: none')
  const fe = creator.people.validateFilters({ material: 'wood', country: 'Germany' })
  t.ok(fe.material?.includes('unknown material') === true && fe.country?.includes('ISO 3166') === true, 'bad filters are named')
  await t.exception(creator.people.printers({ material: 'wood', country: '' }), /unknown material/)
  await joiner.people.unlist()
  t.is(await joiner.people.myProfile(), null, 'unlisted')

  const med0 = await creator.people.mediators()
  t.ok(med0.mediators.length === 0 && med0.named.length === 0 && med0.rules.length > 0, 'no mediators; the revocation rules')
  await creator.markets.setSettings({ ...good, mediators: dj.id })
  await waitFor('the joiner named a mediator', async () => (await joiner.markets.detail()).settings.mediators.includes(dj.id))
  await joiner.registerMediator('2')
  await waitFor('the creator to list the mediator', async () => (await creator.people.mediators()).mediators.some(m => m.id === dj.id && m.feePct === 2))
  t.alike((await creator.people.mediators()).named, [dj.id], 'the ids the creator named')

  // `market indexers add|remove`, the creator's only
  await t.exception(joiner.markets.changeIndexers('add', d0.id), /only the market's creator/, 'the joiner may not name indexers')
  t.ok(creator.markets.validatePeerId('nope')?.includes('not a peer\'s ID') === true, 'a bad ID is named as one')
  await t.exception(creator.markets.changeIndexers('add', 'nope'), /not a peer's ID/)
  await t.exception(creator.markets.changeIndexers('add', d0.id), /creator is always an indexer/)
  const ix = await creator.markets.changeIndexers('add', dj.id)
  t.alike(ix.indexers.map(i => i.id), [d0.id, dj.id], 'the joiner is an indexer')
  await t.exception(creator.markets.changeIndexers('add', dj.id), /an indexer already/)
  await t.exception(creator.markets.changeIndexers('remove', peerId(b4a.alloc(32, 9))), /not one of this market's indexers/)

  // the recovery phrase, with the escrow engine running on the wallet
  await creator.wallet()
  t.ok(creator.service!.escrow !== null, 'the escrow engine runs')
  const addrBefore = (await creator.receiveAddress()).address
  const before = await creator.recovery.phrase()
  t.ok(before.mnemonic === arbWallet.mnemonic && before.fingerprint === arbWallet.fingerprint, '`wallet mnemonic`: the words and fingerprint')
  t.ok(creator.recovery.validate('abandon abandon')?.includes('2 words') === true, 'a short phrase is named')
  t.is(creator.recovery.validate(ABANDON), null, 'a good one passes')
  const check = await creator.recovery.check(ABANDON)
  t.ok(check.current === before.fingerprint && check.fingerprint !== before.fingerprint && !check.unchanged, 'check: the new fingerprint and the one it replaces')
  const walletFile = path.join(creatorDir, 'wallet.json')
  const oldFile = fs.readFileSync(walletFile)
  await t.exception(creator.recovery.restore('abandon '.repeat(12).trim()), /checksum/, 'a bad phrase is refused')
  t.alike(fs.readFileSync(walletFile), oldFile, 'and moves nothing')
  t.ok(creator.service!.escrow !== null, 'and leaves the engine running')
  const r = await creator.recovery.restore(ABANDON)
  t.ok(r.fingerprint === check.fingerprint && !r.unchanged && r.movedTo !== null, 'restored')
  t.alike(fs.readFileSync(r.movedTo!), oldFile, 'the wallet that was here is kept aside, whole')
  t.is((await creator.recovery.phrase()).mnemonic, ABANDON, 'the storage holds the restored one')
  await waitFor('the engine on the restored wallet', () => creator.service!.escrow?.engine.wallet.fingerprint === r.fingerprint)
  t.not((await creator.receiveAddress()).address, addrBefore, 'the receive address is the restored wallet\'s')
  const same = await creator.recovery.restore(ABANDON)
  t.ok(same.unchanged && same.movedTo === null, 'the same words again: unchanged')

  // other markets: create one (the seeder of the one left stops), then switch back
  await creator.setSeeding(true)
  await creator.createMarket('Beta')
  const known = await creator.markets.known()
  t.is(known.length, 2, 'two markets in this storage')
  t.is(known.find(m => m.open)?.name, 'Beta', 'the new one is open')
  t.absent((await creator.seeder()).running, 'the seeder of the market left stopped')
  await creator.joinMarket(d0.key)
  const back = await creator.markets.detail()
  t.ok(back.name === 'Alpha' && back.creator && back.settings.chain === 'regtest', 'switched back: the same market, its settings')
  t.ok((await creator.markets.known()).find(m => m.key === d0.key)?.open === true, 'open in the list')
  t.is(creator.state().market?.name, 'Alpha', 'the status bar follows')
})
