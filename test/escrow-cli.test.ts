// The escrow through the command line: separate peer processes (creator with a seeder, arbitrator, client,
// printer) over a local testnet, a real bcoin regtest node, and a flow driven only by one-shot commands:
// accept, `sync` on each side until funded, ship, complete. Ends with confirmed payouts at the right amounts.
import test from 'brittle'
import path from 'path'
import { tmpDir, testnet, p2print, startSeed, eventually } from './helpers.js'
import { startRegtest } from './regtest.js'
import { cliPeers, fundBySync } from './escrow-helpers.js'

test('escrow cli: post, accept, fund by sync, ship, complete — confirmed payouts', { timeout: 300_000 }, async (t) => {
  const chain = await startRegtest(t)
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const { peer, ok, bootstrap } = cliPeers(t, dir, tn.bootstrap, chain.rpcUrl)
  const [A, R, B, C] = [peer('creator'), peer('arbitrator'), peer('client'), peer('printer')]

  const key = (await ok([...A, '--json', 'market', 'create', '--admission-bits', '8', '--name', 'escrowed'])).key
  await ok([...R, '--json', 'market', 'join', key])
  const arb = await ok([...R, '--json', 'id'])
  t.ok(/^0[23][0-9a-f]{64}$/.test(arb.arbitratorPubkey), 'id shows the arbitrator key')
  const settings = await ok([...A, '--json', 'market', 'settings', '--chain', 'regtest', '--arbitrator', `${arb.id}:${arb.arbitratorPubkey}`, '--funding-depth', '1'])
  t.is(settings.chain, 'regtest')
  const notCreator = await p2print([...R, '--json', 'market', 'settings', '--funding-depth', '3'])
  t.is(notCreator.json?.error?.code, 'NOT_ALLOWED', 'only the creator changes the settings')

  const seed = startSeed(t, A) // the creator is the indexer: it confirms ops while the others come and go
  t.ok(await eventually(() => seed.lines.some(l => l.tag === 'seeding'), 30_000))
  await ok([...B, '--json', 'market', 'join', key])
  await ok([...C, '--json', 'market', 'join', key])
  const fundB = (await ok([...B, '--json', 'wallet', 'address'])).address
  const fundC = (await ok([...C, '--json', 'wallet', 'address'])).address
  await chain.fund(fundB, 2_000_000n)
  await chain.fund(fundC, 1_000_000n)
  await chain.mine(1)

  const job = await ok([...B, '--json', 'job', 'create', '--title', 'Gear', '--material', 'Nylon', '--bounty', '0.01', '--country', 'DE'])
  const noBackend = await p2print(['--storage', path.join(dir, 'printer'), '--bootstrap', bootstrap, '--json', 'job', 'accept', job.id])
  t.is(noBackend.json?.error?.code, 'ESCROW_NEEDS_BACKEND', 'accepting an escrowed job needs a Bitcoin backend')
  const accepted = await ok([...C, '--json', 'job', 'accept', job.id])
  t.is(accepted.status, 'accepted', 'in an escrow market, accept waits for the funding')

  // each side syncs in turn; blocks are mined meanwhile, as time passes on a real chain
  const funded = await fundBySync(chain, B, C, job.id)
  t.ok(funded, 'funded and active after a few syncs on each side')
  const escrow = (await p2print([...C, '--json', 'escrow', job.id])).json
  t.ok(escrow.fundingTxid !== null && escrow.fundingDepth >= 1, `funding ${escrow.fundingTxid} at depth ${escrow.fundingDepth}`)
  t.is(escrow.amounts.totalSats, String(1_000_000 + 150_000 + 150_000), 'the escrow holds bounty + both 15 % deposits')
  t.ok((await chain.backend.txStatus(escrow.fundingTxid)).confirmed, 'the funding is confirmed on the node')

  const shipped = await ok([...C, '--json', 'job', 'ship', job.id, '--note', 'DHL 42'])
  t.is(shipped?.status, 'shipped')
  if (shipped?.status !== 'shipped') {
    // what the indexer (the creator's seeder) and the printer's view said when the ship was refused
    t.comment(`seeder ${seed.child.exitCode === null ? 'running' : `exited ${seed.child.exitCode}`}; its last events: ${JSON.stringify(seed.lines.slice(-12))}\nits stderr: ${seed.stderr().slice(-3000)}`)
    t.comment(`printer's market info: ${JSON.stringify((await p2print([...C, '--json', 'market', 'info'])).json)}`)
  }
  const completed = await eventually(async () => {
    const r = await p2print([...B, '--json', 'job', 'complete', job.id])
    return r.json?.status === 'completed'
  }, 60_000, 1000)
  t.ok(completed, 'the client completes (once the ship is confirmed)')
  await chain.mine(1)
  const done = (await p2print([...B, '--json', 'escrow', job.id])).json
  t.is(done?.payout?.kind, 'complete')
  if (done?.payout == null) return
  t.ok((await chain.backend.txStatus(done.payout.txid)).confirmed, 'the payout is confirmed')

  const complete = (escrow.paths as Array<{ kind: string, outputs: Array<{ role: string, valueSats: string }> }>).find(p => p.kind === 'complete')!
  const printerGets = Number(complete.outputs.find(o => o.role === 'printer')!.valueSats)
  const clientGets = Number(complete.outputs.find(o => o.role === 'client')!.valueSats)
  t.ok(printerGets > 1_150_000 - 1000 && printerGets <= 1_150_000, `the printer gets bounty + deposit less its fee share (${printerGets})`)
  t.ok(clientGets > 150_000 - 1000 && clientGets <= 150_000, `the client gets its deposit back less its fee share (${clientGets})`)
  const balB = (await ok([...B, '--json', 'wallet', 'balance'])).confirmedSats
  const balC = (await ok([...C, '--json', 'wallet', 'balance'])).confirmedSats
  t.ok(balC > 1_000_000 + 1_000_000 - 2000 && balC < 1_000_000 + 1_000_000, `printer's wallet: ${balC} sats (was 1 000 000, +bounty, −fees)`)
  t.ok(balB < 2_000_000 - 1_000_000 && balB > 2_000_000 - 1_000_000 - 2000, `client's wallet: ${balB} sats (was 2 000 000, −bounty, −fees)`)
})
