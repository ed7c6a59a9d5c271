// Milestones through the command line, between separate processes on a local testnet and a real regtest node: the
// creator's seeder (the market's indexer), an arbitrator, a client that posts a job in three parts, and a printer.
// The printer's `sync` signs the releases ahead; the client's `job release` pays each part; `escrow ID` and
// `job show` say what is released and what is locked; completion pays the rest. Amounts checked on chain.
import test from 'brittle'
import * as bitcoin from 'bitcoinjs-lib'
import { p2print, eventually } from './helpers.js'
import { fundBySync } from './escrow-helpers.js'
import { cliMarket } from './clock-ahead.js'
import { releaseFee } from '../lib/escrow/milestones.js'

test('milestones cli: a job in three parts; `job release` pays the first two to the printer, each leaving the rest locked; `job complete` pays the last', { timeout: 900_000 }, async (t) => {
  const { chain, ok, B, C } = await cliMarket(t, 'parts', [])

  const bad = await p2print([...B, 'job', 'create', '--title', 'Clip', '--material', 'PLA', '--country', 'DE', '--bounty', '0.01', '--milestones', 'first layer:50,printed:40'])
  t.not(bad.code, 0, 'milestones that do not add up to 100 % are refused')
  t.ok(/add up to 90 %/.test(bad.stderr), `with the reason (${bad.stderr.trim().split('\n')[0]})`)
  t.is((await ok([...B, '--json', 'jobs', '--mine'])).jobs.length, 0, 'and nothing was posted')

  const job = await ok([...B, '--json', 'job', 'create', '--title', 'Clip', '--material', 'PLA', '--country', 'DE', '--bounty', '0.01', '--milestones', 'first layer:20,printed:50,delivered:30'])
  t.alike(job.milestones.map((m: { pct: number }) => m.pct), [20, 50, 30], 'the job is posted in three parts')
  t.ok(await eventually(async () => (await p2print([...C, '--json', 'job', 'accept', job.id])).json?.status === 'accepted', 60_000, 1000), 'the printer accepts')
  t.ok(await fundBySync(chain, B, C, job.id), 'funded by sync on each side')

  // null when a step did not happen in time (failed above): the test then ends there rather than throw, which would
  // stop every test file after this one
  const release = async (k: number): Promise<bitcoin.Transaction | null> => {
    let out = ''
    const done = await eventually(async () => {
      await p2print([...C, 'sync']) // the printer's engine signs the refund of what the release leaves locked
      const r = await p2print([...B, 'job', 'release', job.id])
      out = r.stdout + r.stderr
      return r.code === 0
    }, 300_000, 1000) // each try is two command processes; on a loaded machine the printer's engine took over 120 s
    t.ok(done, `the client released milestone ${k}`)
    t.ok(new RegExp(`Released milestone ${k} `).test(out), `\`job release\` says which (${out.split('\n').find(l => l.startsWith('Released')) ?? out.trim().slice(0, 200)})`)
    let txid = ''
    t.ok(await eventually(async () => {
      await p2print([...C, 'sync']) // the printer's engine completes the release the client signed
      await p2print([...B, 'sync'])
      await chain.mine(1)
      const e = (await p2print([...B, '--json', 'escrow', job.id])).json
      txid = e?.milestones?.[k - 1]?.txid ?? ''
      return txid !== '' && (await chain.backend.txStatus(txid)).confirmed
    }, 120_000, 0), `release ${k} is on chain, confirmed`)
    const hex = txid === '' ? null : await chain.backend.txHex(txid)
    return hex === null ? null : bitcoin.Transaction.fromHex(hex)
  }

  const r1 = await release(1)
  if (r1 === null) return
  const e1 = await ok([...B, '--json', 'escrow', job.id])
  const fee = releaseFee(e1.feeRate)
  t.is(r1.outs[1].value, 200_000n - fee, `the printer got its 20 % part less the release's ${fee}-sat fee`)
  t.is(r1.outs[0].value, 1_000_000n + 2n * 150_000n - 200_000n, 'the rest and both deposits stay locked in the escrow')
  t.is(e1.releasedSats, '200000', '`escrow` shows what was released')
  t.is(e1.lockedSats, '800000', 'and what of the bounty is locked')
  const shown = await p2print([...B, 'job', 'show', job.id])
  t.ok(/1\. first layer 20 % \(released\)/.test(shown.stdout), '`job show` marks the first part released')

  const r2 = await release(2)
  if (r2 === null) return
  t.is(r2.outs[1].value, 500_000n - fee, 'the second release pays the 50 % part')
  const last = await p2print([...B, 'job', 'release', job.id])
  t.not(last.code, 0, 'the last part is not released')
  t.ok(/completion|complete/.test(last.stderr), 'completion pays it, says the refusal')

  t.ok(await eventually(async () => (await p2print([...C, 'job', 'ship', job.id, '--note', 'posted'])).code === 0, 60_000, 1000), 'the printer ships')
  t.ok(await eventually(async () => (await p2print([...B, 'job', 'complete', job.id])).code === 0, 60_000, 1000), 'the client completes')
  let payout: bitcoin.Transaction | null = null
  t.ok(await eventually(async () => {
    await p2print([...B, 'sync'])
    await chain.mine(1)
    const e = (await p2print([...B, '--json', 'escrow', job.id])).json
    if (e?.payout?.kind !== 'complete' || !(await chain.backend.txStatus(e.payout.txid)).confirmed) return false
    payout = bitcoin.Transaction.fromHex((await chain.backend.txHex(e.payout.txid))!)
    return true
  }, 120_000, 0), 'the completion payout is confirmed')
  const tx = payout as unknown as bitcoin.Transaction
  t.is(`${Buffer.from(tx.ins[0].hash).reverse().toString('hex')}:${tx.ins[0].index}`, `${r2.getId()}:0`, 'it spends what the second release left locked')
  const payFee = 1_000_000n + 300_000n - 700_000n - tx.outs.reduce((s, o) => s + o.value, 0n)
  t.alike(tx.outs.map(o => o.value).sort(), [150_000n - (payFee - payFee / 2n), 300_000n + 150_000n - payFee / 2n].sort(), 'the printer gets the last 30 % and its deposit, the client its deposit (each less its fee share)')
})
