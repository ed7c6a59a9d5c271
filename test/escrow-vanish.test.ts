// Nobody who vanishes can lock the others' money: through the command line on a real regtest node, with peer
// processes that simply stop running. (1) The printer vanishes after funding: the client disputes, the
// arbitrator rules for the client, and the client's peer countersigns. (2) The client vanishes after shipping: the
// printer disputes, the arbitrator rules for the printer, and the printer's peer countersigns. This market has no
// mediator, so disputes go straight to the arbitrator.
import test from 'brittle'
import path from 'path'
import { tmpDir, testnet, p2print, startSeed, eventually } from './helpers.js'
import { startRegtest } from './regtest.js'
import { cliPeers } from './escrow-helpers.js'

test('escrow cli: printer vanishes after funding; client vanishes after shipping — the arbitrator and the other side close', { timeout: 400_000 }, async (t) => {
  const chain = await startRegtest(t)
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const { peer, ok } = cliPeers(t, dir, tn.bootstrap, chain.rpcUrl)
  const [A, R, B, C] = [peer('creator'), peer('arbitrator'), peer('client'), peer('printer')]
  const retry = (args: string[]): Promise<boolean> => eventually(async () => (await p2print(args)).code === 0, 60_000, 1000)

  const key = (await ok([...A, '--json', 'market', 'create', '--admission-bits', '8'])).key
  for (const p of [R, B, C]) await ok([...p, '--json', 'market', 'join', key])
  const arb = await ok([...R, '--json', 'id'])
  await ok([...A, '--json', 'market', 'settings', '--chain', 'regtest', '--arbitrator', `${arb.id}:${arb.arbitratorPubkey}`, '--funding-depth', '1'])
  startSeed(t, A)
  await chain.fund((await ok([...B, '--json', 'wallet', 'address'])).address, 3_000_000n)
  // the printer needs a coin per acceptance: coins committed to one job's funding are not offered to another
  await chain.fund((await ok([...C, '--json', 'wallet', 'address'])).address, 500_000n)
  await chain.fund((await ok([...C, '--json', 'wallet', 'address'])).address, 500_000n)
  await chain.mine(1)

  const job1 = await ok([...B, '--json', 'job', 'create', '--title', 'One', '--material', 'PLA', '--bounty', '0.005', '--country', 'DE'])
  const job2 = await ok([...B, '--json', 'job', 'create', '--title', 'Two', '--material', 'PLA', '--bounty', '0.005', '--country', 'DE'])
  await ok([...C, '--json', 'job', 'accept', job1.id])
  await ok([...C, '--json', 'job', 'accept', job2.id])
  const status = async (who: string[], id: string): Promise<string | undefined> => (await p2print([...who, '--json', 'job', 'show', id])).json?.status
  t.ok(await eventually(async () => {
    await p2print([...B, 'sync'])
    await p2print([...C, 'sync'])
    await chain.mine(1)
    return (await status(B, job1.id)) === 'active' && (await status(B, job2.id)) === 'active'
  }, 250_000, 0), 'both jobs funded and active')

  // job 2: the printer ships; from here on the client never runs p2print again
  await ok([...C, '--json', 'job', 'ship', job2.id, '--note', 'posted'])

  // job 1: the printer never runs p2print again for it; the client disputes and the arbitrator rules
  const d1 = await ok([...B, '--json', 'job', 'dispute', job1.id, '--reason', 'the printer stopped answering'])
  t.is(d1.status, 'disputed')
  t.ok(await retry([...R, '--json', 'dispute', 'rule', job1.id, '--printer-pct', '0', '--note', 'no print, no answer']), 'the arbitrator rules for the client')
  const paid1 = await eventually(async () => {
    await p2print([...B, 'sync'])
    await chain.mine(1)
    return (await p2print([...B, '--json', 'escrow', job1.id])).json?.payout?.kind === 'ruling'
  }, 120_000, 0)
  t.ok(paid1, 'the client\'s peer countersigned and the ruling is paid without the printer')

  // job 2: the client is gone; the printer disputes and the arbitrator rules for the printer
  t.ok(await retry([...C, '--json', 'job', 'dispute', job2.id, '--reason', 'shipped, the client is gone']), 'the printer disputes')
  t.ok(await retry([...R, '--json', 'dispute', 'rule', job2.id, '--printer-pct', '100', '--note', 'tracking shows delivery']), 'the arbitrator rules for the printer')
  const paid2 = await eventually(async () => {
    await p2print([...C, 'sync'])
    await chain.mine(1)
    return (await p2print([...C, '--json', 'escrow', job2.id])).json?.payout?.kind === 'ruling'
  }, 120_000, 0)
  t.ok(paid2, 'the printer\'s peer countersigned and the ruling is paid without the client')

  await chain.mine(1)
  for (const [who, id] of [[B, job1.id], [C, job2.id]] as const) {
    const e = (await p2print([...who, '--json', 'escrow', id])).json
    t.ok((await chain.backend.txStatus(e.payoutTxid)).confirmed, `payout of ${id.slice(0, 8)} confirmed`)
  }
  // the arbitrator earned 5 % of each bounty (250 000 sat each) from the losing side's deposit
  t.is((await ok([...R, '--json', 'wallet', 'balance'])).confirmedSats, 2 * 25_000, 'the arbitrator got its fee on both rulings')
})
