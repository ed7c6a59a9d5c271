// The escrow watcher of the Bare seeder: the printer's seeder runs under Bare with --bitcoin-rpc against a real bcoin
// regtest node, and does the printer's part of the funding by itself while the client (Node, one-shot `sync`s) does
// its own; SIGTERM stops it, and the printer's storage then serves a Node command (the ship).
import test from 'brittle'
import { tmpDir, testnet, p2print, startSeed, eventually } from './helpers.js'
import { startRegtest } from './regtest.js'
import { cliPeers } from './escrow-helpers.js'
import { bareBinary, startBareSeed } from './bare-helpers.js'

const bare = bareBinary()
if (bare.bin === null) console.log(`# the Bare binary does not run here, so bare-escrow is skipped: ${bare.reason}`)

test('bare seeder: its escrow watcher funds the printer\'s side of an escrow on a regtest node', { skip: bare.bin === null, timeout: 400_000 }, async (t) => {
  if (bare.bin === null) return
  const chain = await startRegtest(t)
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const { peer, ok } = cliPeers(t, dir, tn.bootstrap, chain.rpcUrl)
  const [A, R, B, C] = [peer('creator'), peer('arbitrator'), peer('client'), peer('printer')]

  const key = (await ok([...A, '--json', 'market', 'create', '--admission-bits', '8', '--name', 'escrowed'])).key
  await ok([...R, '--json', 'market', 'join', key])
  const arb = await ok([...R, '--json', 'id'])
  await ok([...A, '--json', 'market', 'settings', '--chain', 'regtest', '--arbitrator', `${arb.id}:${arb.arbitratorPubkey}`, '--funding-depth', '1'])
  const seed = startSeed(t, A) // the creator's Node seeder: the indexer
  t.ok(await eventually(() => seed.lines.some(l => l.tag === 'seeding'), 30_000), 'the indexer (Node) seeds')
  await ok([...B, '--json', 'market', 'join', key])
  await ok([...C, '--json', 'market', 'join', key])
  await chain.fund((await ok([...B, '--json', 'wallet', 'address'])).address, 2_000_000n)
  await chain.fund((await ok([...C, '--json', 'wallet', 'address'])).address, 1_000_000n)
  await chain.mine(1)

  const job = await ok([...B, '--json', 'job', 'create', '--title', 'Gear', '--material', 'Nylon', '--bounty', '0.01', '--country', 'DE'])
  const accepted = await ok([...C, '--json', 'job', 'accept', job.id])
  t.is(accepted?.status, 'accepted', 'the printer accepts (Node); the escrow waits for the funding')

  // from here on the printer is its Bare seeder: nothing of the printer's runs on Node until it stops
  const printer = startBareSeed(t, bare.bin, C)
  t.ok(await eventually(() => printer.lines.some(l => l.tag === 'seeding'), 60_000), `the printer's Bare seeder runs with --bitcoin-rpc ${printer.stderr()}`)
  const funded = await eventually(async () => {
    await p2print([...B, 'sync'])
    await chain.mine(1)
    const e = (await p2print([...B, '--json', 'escrow', job.id])).json
    return e?.status === 'active' && e?.state === 'funded'
  }, 150_000, 500)
  t.ok(funded, 'the escrow is funded and the job active: the client synced, the printer\'s Bare watcher did the rest')
  if (!funded) console.error(`the Bare seeder's last events: ${JSON.stringify(printer.lines.slice(-15))}\nits stderr: ${printer.stderr().slice(-3000)}`)
  const steps = printer.lines.filter(l => l.tag === 'escrow-step')
  t.ok(steps.length > 0, `the Bare seeder's watcher took the printer's escrow steps: ${steps.map(l => l.data.action).join(', ')}`)
  t.absent(printer.lines.some(l => l.tag === 'escrow-error' || l.tag === 'escrow-offline'), 'no escrow error, never offline from the node')
  const escrow = (await p2print([...B, '--json', 'escrow', job.id])).json
  t.ok(escrow?.fundingTxid != null && (await chain.backend.txStatus(escrow.fundingTxid)).confirmed, 'the funding transaction is confirmed on the node')

  printer.child.kill('SIGTERM')
  t.is(await printer.exited, 0, 'SIGTERM: the Bare seeder exits 0')
  t.is(printer.lines.at(-1)?.tag, 'stopped', 'its last line says stopped')
  const shipped = await ok([...C, '--json', 'job', 'ship', job.id, '--note', 'DHL 42'])
  t.is(shipped?.status, 'shipped', 'the printer\'s storage, left by the Bare seeder, ships on Node')
})
