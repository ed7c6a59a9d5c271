// Mediation through the command line: separate peer processes (creator with a seeder, arbitrator, mediator,
// client, printer), a real bcoin regtest node, one-shot commands only. A funded job is disputed, the market picks
// the registered mediator, it proposes a split, both sides accept, and the split is paid on chain.
import test from 'brittle'
import path from 'path'
import { tmpDir, testnet, p2print, startSeed, eventually } from './helpers.js'
import { startRegtest } from './regtest.js'
import { cliPeers } from './escrow-helpers.js'

test('dispute cli: mediator registers, is picked, proposes 60 %; both accept; the split is paid', { timeout: 400_000 }, async (t) => {
  const chain = await startRegtest(t)
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const { peer, ok } = cliPeers(t, dir, tn.bootstrap, chain.rpcUrl)
  const [A, R, M, B, C] = [peer('creator'), peer('arbitrator'), peer('mediator'), peer('client'), peer('printer')]

  const key = (await ok([...A, '--json', 'market', 'create', '--admission-bits', '8'])).key
  for (const p of [R, M, B, C]) await ok([...p, '--json', 'market', 'join', key])
  const arb = await ok([...R, '--json', 'id'])
  const mediatorId = (await ok([...M, '--json', 'id'])).id
  const unnamed = await p2print([...M, '--json', 'mediator', 'register', '--fee-pct', '2'])
  t.is(unnamed.code, 1, 'a mediator the creator has not named cannot register')
  t.ok(unnamed.stderr.includes(`market settings --mediator ${mediatorId}`), 'and is told what the creator must run')
  const settings = await ok([...A, '--json', 'market', 'settings', '--chain', 'regtest', '--arbitrator', `${arb.id}:${arb.arbitratorPubkey}`, '--mediator', mediatorId, '--funding-depth', '1'])
  t.alike(settings.mediators, [mediatorId], 'the creator names the mediator')
  const seed = startSeed(t, A)
  t.ok(await eventually(() => seed.lines.some(l => l.tag === 'seeding'), 30_000))

  const reg = await ok([...M, '--json', 'mediator', 'register', '--fee-pct', '2'])
  t.is(reg.feePct, 2, 'the mediator registered with a 2 % fee')
  const tooHigh = await p2print([...M, '--json', 'mediator', 'register', '--fee-pct', '50'])
  t.is(tooHigh.code, 2, 'a fee over the cap is refused')
  t.ok(await eventually(async () => ((await p2print([...B, '--json', 'mediator', 'list'])).json?.mediators ?? []).some((m: any) => m.id === mediatorId), 30_000, 500), 'the client sees the mediator in the list')

  await chain.fund((await ok([...B, '--json', 'wallet', 'address'])).address, 2_000_000n)
  await chain.fund((await ok([...C, '--json', 'wallet', 'address'])).address, 1_000_000n)
  await chain.mine(1)
  const job = await ok([...B, '--json', 'job', 'create', '--title', 'Bracket', '--material', 'PETG', '--bounty', '0.01', '--country', 'AT'])
  await ok([...C, '--json', 'job', 'accept', job.id])
  t.ok(await eventually(async () => {
    await p2print([...B, 'sync'])
    await p2print([...C, 'sync'])
    await chain.mine(1)
    return (await p2print([...B, '--json', 'job', 'show', job.id])).json?.status === 'active'
  }, 200_000, 0), 'funded and active')

  const disputed = await ok([...B, '--json', 'job', 'dispute', job.id, '--reason', 'warped corners'])
  t.is(disputed.status, 'disputed')
  t.is(disputed.dispute?.mediator, mediatorId, 'the market picked the registered mediator')

  // `dispute list` names each side's next step, in JSON and as text
  t.ok(await eventually(async () => {
    const l = (await p2print([...M, '--json', 'dispute', 'list'])).json
    return l?.disputes?.some((d: any) => d.id === job.id && d.role === 'mediator' && d.moves.includes('propose')) === true
  }, 60_000, 500), 'the mediator\'s dispute list shows the dispute and its next step: propose')
  const text = await p2print([...M, 'dispute', 'list'])
  const listed = text.stdout.includes(`next: p2print dispute propose ${job.id}`) && text.stdout.includes('You are a mediator (fee 2 %)')
  t.ok(listed, listed ? 'dispute list as text' : `dispute list as text, not JSON:\n${text.stdout}`)
  const mediators = await p2print([...B, 'mediator', 'list'])
  const mediatorText = mediators.stdout.includes(`${mediatorId}  fee 2 %`) && !mediators.stdout.trimStart().startsWith('{')
  t.ok(mediatorText, mediatorText ? 'mediator list as text' : `mediator list as text:\n${mediators.stdout}`)

  const notMediator = await p2print([...C, '--json', 'dispute', 'propose', job.id, '--printer-pct', '90'])
  t.is(notMediator.code, 1, 'only the mediator proposes')
  t.ok(await eventually(async () => (await p2print([...M, '--json', 'dispute', 'propose', job.id, '--printer-pct', '60', '--note', 'reprint the corners'])).code === 0, 60_000, 1000), 'the mediator proposes 60 % for the printer')
  // each try is a one-shot command that connects and catches up first: on a loaded machine a try takes seconds
  const accepts = async (who: string[], label: string): Promise<void> => {
    let last = ''
    const done = await eventually(async () => {
      const r = await p2print([...who, '--json', 'dispute', 'accept', job.id])
      last = r.stdout + r.stderr
      return r.code === 0
    }, 120_000, 1000)
    t.ok(done, done ? label : `${label}: ${last}`)
  }
  await accepts(B, 'the client accepts')
  await accepts(C, 'the printer accepts')

  const paid = await eventually(async () => {
    await p2print([...B, 'sync'])
    await p2print([...C, 'sync'])
    await chain.mine(1)
    const e = (await p2print([...B, '--json', 'escrow', job.id])).json
    return e?.payout?.kind === 'split'
  }, 120_000, 0)
  t.ok(paid, 'the split was paid')
  if (!paid) return // the asserts below would only fail again (and an RPC call on no txid throws)
  const e = (await p2print([...B, '--json', 'escrow', job.id])).json
  t.ok((await chain.backend.txStatus(e.payoutTxid)).confirmed || (await chain.mine(1), (await chain.backend.txStatus(e.payoutTxid)).confirmed), 'the payout is confirmed')
  const mediatorBalance = (await ok([...M, '--json', 'wallet', 'balance'])).confirmedSats
  t.is(mediatorBalance, 20_000, 'the mediator got its 2 % of the bounty')

  // the job ended in a split: said so in `job show`, `jobs` and both records, counted as neither completed nor cancelled
  const shown = await eventually(async () => (await p2print([...B, 'job', 'show', job.id])).stdout.includes('status    split: the printer got 60 % of the bounty, the client 40 %'), 60_000, 1000)
  t.ok(shown, 'job show: the split, not "completed"')
  const shownJson = (await p2print([...B, '--json', 'job', 'show', job.id])).json
  t.alike(shownJson?.outcome, { kind: 'split', printerPct: 60, by: 'mediator' }, 'JSON: the outcome')
  t.ok((await p2print([...B, 'jobs', '--mine'])).stdout.includes('split 60%'), 'jobs: split 60%')
  const printerRecord = (await p2print([...B, '--json', 'peer', (await ok([...C, '--json', 'id'])).id])).json
  t.alike([printerRecord?.asPrinter?.completed, printerRecord?.asPrinter?.split], [0, { count: 1, averageSharePct: 60 }], 'the printer\'s record: one split with 60 %, no completion')
  const clientRecord = (await p2print([...B, '--json', 'peer'])).json
  t.alike([clientRecord?.asClient?.completed, clientRecord?.asClient?.split], [0, { count: 1, averageSharePct: 40 }], 'the client\'s record: one split with 40 %')
  const again = await p2print([...C, 'dispute', 'accept', job.id])
  t.is(again.code, 1)
  t.ok(/both sides accepted the proposal/.test(again.stderr) && !/once the other side accepts/.test(again.stderr), `accepting again says what happened: ${again.stderr.trim()}`)
})
