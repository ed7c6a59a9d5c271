// Several indexers (lib/market/clock.ts, README "A market on three machines"): separate peer processes over a local
// testnet and a real bcoin regtest node. The creator names two seeders as indexers; the creator's seeder is killed
// with SIGKILL after the accept; the other two confirm the rest, and the job goes from accept to paid with one-shot
// commands. Afterwards every storage, opened again, holds the same view at the same signed length.
import test from 'brittle'
import path from 'path'
import b4a from 'b4a'
import { tmpDir, testnet, p2print, startSeed, eventually } from './helpers.js'
import { startRegtest } from './regtest.js'
import { cliPeers, fundBySync } from './escrow-helpers.js'
import { Peer } from '../lib/peer.js'
import type { Market } from '../lib/market/market.js'

test('three indexers: the creator\'s seeder is killed with SIGKILL mid-flow; the job still goes from accept to paid, and every peer\'s view hash agrees at the signed length', { timeout: 400_000 }, async (t) => {
  const chain = await startRegtest(t)
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const { peer, ok } = cliPeers(t, dir, tn.bootstrap, chain.rpcUrl)
  const names = ['creator', 'seeder1', 'seeder2', 'arbitrator', 'client', 'printer']
  const [A, S1, S2, R, B, C] = names.map(peer)

  const key = (await ok([...A, '--json', 'market', 'create', '--admission-bits', '8', '--name', 'three'])).key
  for (const p of [S1, S2, R]) await ok([...p, '--json', 'market', 'join', key])
  const arb = await ok([...R, '--json', 'id'])
  await ok([...A, '--json', 'market', 'settings', '--chain', 'regtest', '--arbitrator', `${arb.id}:${arb.arbitratorPubkey}`, '--funding-depth', '1'])
  const s1 = (await ok([...S1, '--json', 'id'])).id
  const s2 = (await ok([...S2, '--json', 'id'])).id
  const notCreator = await p2print([...S1, '--json', 'market', 'indexers', 'add', s2])
  t.is(notCreator.json?.error?.code, 'NOT_ALLOWED', 'only the creator names indexers')
  const named = await ok([...A, '--json', 'market', 'indexers', 'add', s1, s2])
  t.alike(named.indexers.map((i: { id: string }) => i.id), [(await ok([...A, '--json', 'id'])).id, s1, s2], 'the creator and the two it named')
  const again = await p2print([...A, '--json', 'market', 'indexers', 'add', s1])
  t.is(again.json?.error?.code, 'BAD_ARGUMENT', 'naming one twice is refused, with a clear error')
  const early = await p2print([...A, '--json', 'market', 'indexers', 'remove', s1])
  t.ok(early.json?.error?.code === 'BAD_ARGUMENT' && /has not written/.test(early.json.error.message), 'dropping one that has not written yet is refused, saying why')

  const seeds = { A: startSeed(t, A), S1: startSeed(t, S1), S2: startSeed(t, S2) }
  for (const s of Object.values(seeds)) t.ok(await eventually(() => s.lines.some(l => l.tag === 'seeding'), 30_000), 'a seeder is up')
  for (const p of [B, C]) await ok([...p, '--json', 'market', 'join', key])
  const counted = await eventually(async () => {
    const r = await p2print([...B, '--json', 'market', 'indexers'])
    return r.json?.indexers?.length === 3 && r.json.indexers.every((i: { active: boolean }) => i.active)
  }, 90_000, 500)
  t.ok(counted, 'a client sees three indexers, all counted (each seeder wrote its first tick)')

  await chain.fund((await ok([...B, '--json', 'wallet', 'address'])).address, 2_000_000n)
  await chain.fund((await ok([...C, '--json', 'wallet', 'address'])).address, 1_000_000n)
  await chain.mine(1)
  const job = await ok([...B, '--json', 'job', 'create', '--title', 'Gear', '--material', 'Nylon', '--bounty', '0.01', '--country', 'DE'])
  t.is((await ok([...C, '--json', 'job', 'accept', job.id])).status, 'accepted')

  seeds.A.child.kill('SIGKILL')
  t.is(await seeds.A.exited, null, 'the creator\'s seeder is gone (SIGKILL), its storage left as it was')

  const funded = await fundBySync(chain, B, C, job.id)
  t.ok(funded, 'funded and active, confirmed by the two indexers left')
  t.is((await ok([...C, '--json', 'job', 'ship', job.id, '--note', 'DHL 42'])).status, 'shipped')
  const completed = await eventually(async () => (await p2print([...B, '--json', 'job', 'complete', job.id])).json?.status === 'completed', 90_000, 1000)
  t.ok(completed, 'the client completes once the ship is confirmed')
  await chain.mine(1)
  const done = (await p2print([...B, '--json', 'escrow', job.id])).json
  t.is(done.payout?.kind, 'complete', 'paid out: the completion')
  t.ok((await chain.backend.txStatus(done.payout.txid)).confirmed, 'the payout is confirmed on the node')

  // every storage opened again at once (the creator's after its SIGKILL): the same view at the same signed length
  for (const s of [seeds.S1, seeds.S2]) s.child.kill('SIGTERM')
  t.is(await seeds.S1.exited, 0, 'seeder 1 stops cleanly')
  t.is(await seeds.S2.exited, 0, 'seeder 2 stops cleanly')
  const peers = names.map(n => new Peer(path.join(dir, n), { bootstrap: tn.bootstrap }))
  t.teardown(async () => { for (const p of peers) await p.close() }, { order: 5 })
  const markets: Market[] = []
  for (const p of peers) {
    await p.ready()
    markets.push(await p.openMarket(null))
  }
  let hashes: string[] = []
  const agree = await eventually(async () => {
    for (const m of markets) await m.update()
    const lengths = markets.map(m => m.view.core.signedLength)
    if (lengths.some(l => l !== lengths[0]) || lengths[0] === 0) return false
    hashes = await Promise.all(markets.map(async m => b4a.toString(await m.view.core.treeHash(lengths[0]), 'hex')))
    return hashes.every(h => h === hashes[0])
  }, 60_000, 200)
  t.ok(agree, `all six views have the same hash at signed length ${markets[0].view.core.signedLength}: ${hashes[0]?.slice(0, 16)}…`)
  const jobs = await Promise.all(markets.map(async m => (await m.jobs({ limit: 10 }))[0]?.job.status))
  t.alike(jobs, names.map(() => 'completed'), 'and every peer has the job completed')
})
