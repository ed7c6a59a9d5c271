// Milestones ("pay as you go", README; lib/escrow/PROTOCOL.md "Milestones") through the app's session (lib/app.ts) as
// the Ink app drives it, on the real stack: three AppSessions on a local testnet with the embedded bcoin regtest node
// as their backend — the market's creator (its indexer, which confirms the client's ask, and its arbitrator), the
// client and the printer. The client posts a job in three parts with the post form's draft, the printer accepts, the
// session's escrow watchers fund it; the job page offers the client its first release, the client releases it, the
// printer's watcher completes it, and the node shows the printer paid exactly its part less the release's fee.
import test from 'brittle'
import path from 'path'
import * as bitcoin from 'bitcoinjs-lib'
import b4a from 'b4a'
import { tmpDir, testnet, sleep } from './helpers.js'
import { startRegtest, type RegtestChain } from './regtest.js'
import { paidTo } from './escrow-helpers.js'
import { AppSession, type JobDraft } from '../lib/app.js'
import { Wallet } from '../lib/escrow/wallet.js'
import { arbitratorPubkey } from '../lib/escrow/engine.js'
import { toHex } from '../lib/escrow/script.js'
import { escrowContext } from '../lib/escrow/context.js'
import { releaseFee, stageOf } from '../lib/escrow/milestones.js'
import { escrowAmounts } from '../lib/escrow/amounts.js'
import type { JobRecord } from '../lib/schema.js'

// Polls `fn` until it holds; throws on timeout (with the last error `fn` threw, if any). With `chain`, mines a block
// between polls (a funding or a release waits for its confirmation).
async function until (what: string, fn: () => Promise<boolean>, ms = 90_000, chain: RegtestChain | null = null): Promise<void> {
  const deadline = Date.now() + ms
  let last: unknown = null
  for (;;) {
    try {
      if (await fn()) return
    } catch (err) { last = err }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}${last === null ? '' : ` (last error: ${(last as Error).message})`}`)
    if (chain !== null) await chain.mine(1)
    await sleep(chain !== null ? 1000 : 250)
  }
}

// The job's record as a session's own view has it, and whether it is confirmed there.
async function recordOn (s: AppSession, id: string): Promise<{ job: JobRecord, confirmed: boolean }> {
  const v = await s.service!.job(id)
  return { job: v.job, confirmed: v.confirmed }
}

const DRAFT: JobDraft = { title: 'Drone frame', material: 'PETG', colors: '', bounty: '0.002', country: 'DE', notes: '', file: '', milestones: 'first layer:20,printed:50,delivered:30' }
const BOUNTY = 200_000n
const FIRST = 40_000n // 20 %

test('app session: a job in three parts; accept, funding, the job page offers the client milestone 1, the printer\'s watcher completes its release', { timeout: 240_000 }, async (t) => {
  const started = Date.now()
  const chain = await startRegtest(t)
  const tn = await testnet(t)
  const root = await tmpDir(t)
  const open = async (name: string): Promise<AppSession> => {
    const s = await AppSession.open({ storage: path.join(root, name), bootstrap: tn.bootstrap, bitcoinRpc: chain.rpcUrl, syncTimeoutMs: 2000 })
    t.teardown(() => s.close(), { order: 5 })
    return s
  }
  const creator = await open('creator')
  const client = await open('client')
  const printer = await open('printer')

  // the creator's market with escrow on regtest; the creator is its arbitrator (as in service.test.ts 'app controller')
  await creator.createMarket('Milestones app')
  const d0 = await creator.markets.detail()
  await client.joinMarket(d0.key)
  await printer.joinMarket(d0.key)
  for (const s of [client, printer]) await until('a joiner to read the market', async () => (await s.markets.detail()).name === 'Milestones app')
  const arbWallet = await Wallet.load(path.join(root, 'creator'), { network: chain.network })
  await creator.markets.setSettings({ ...d0.draft, chain: 'regtest', arbitrators: `${d0.id}:${toHex(arbitratorPubkey(arbWallet))}` })
  for (const s of [client, printer]) await until('the settings at a joiner', async () => (await s.markets.detail()).settings.chain === 'regtest')

  // each session's wallet: the receive address as the wallet screen asks for it (which also starts the session's
  // escrow engine and its watcher, AppSession.ensureEscrow); the node pays the client and the printer
  await creator.wallet()
  for (const [s, coins] of [[client, [400_000n, 400_000n]], [printer, [100_000n]]] as const) {
    for (const v of coins) await chain.fund((await s.receiveAddress(true)).address, v)
  }
  await chain.mine(1)
  for (const s of [creator, client, printer]) t.ok(s.service!.escrow !== null, 'the session\'s escrow engine runs')

  // the post form, with its milestones field
  t.alike(client.validateDraft(DRAFT), {}, 'the post form takes "first layer:20,printed:50,delivered:30"')
  t.ok(client.validateDraft({ ...DRAFT, milestones: 'a:50,b:40' }).milestones !== undefined, 'parts that do not add up to 100 are refused by the form')
  const id = await client.createJob(DRAFT)
  const posted = await client.getJob(id)
  t.alike(posted.job.milestones, [{ label: 'first layer', pct: 20 }, { label: 'printed', pct: 50 }, { label: 'delivered', pct: 30 }], 'the job carries its three parts')
  t.is(posted.job.bountySats, Number(BOUNTY))
  t.absent(posted.actions.some(a => a.action === 'release'), 'nothing to release while the job is open')

  await until('the printer to see the job', async () => (await printer.getJob(id)).job.status === 'open')
  const accepted = await printer.act(id, 'accept')
  t.is(accepted.status, 'accepted', 'the printer accepts from the job page: accepted, waiting for the funding')

  // the watchers propose, sign and put out the funding; blocks until it is confirmed and the job active on both sides
  await until('the job active (confirmed) on both sides', async () => {
    const [c, p] = [await recordOn(client, id), await recordOn(printer, id)]
    return c.confirmed && p.confirmed && c.job.status === 'active' && p.job.status === 'active'
  }, 120_000, chain)
  t.pass('funded: active on both sides')

  // the printer's engine signs, by itself, the refund of what the first release will leave locked
  await until('the printer\'s next-refund signature at the client, confirmed', async () => {
    const c = await recordOn(client, id)
    return c.confirmed && c.job.escrow?.sigs.some(s => s.kind === 'next-refund' && s.role === 'printer') === true
  })
  const page = await client.getJob(id)
  const offer = page.actions.find(a => a.action === 'release')
  t.ok(offer !== undefined && /^release milestone 1 \("first layer", 20 %\)/.test(offer.label), `the client's job page offers ${JSON.stringify(offer?.label)}`)
  t.absent((await printer.getJob(id)).actions.some(a => a.action === 'release'), 'the printer\'s page offers no release')

  // the client releases; its ask is confirmed by the creator's indexer first (releaseMilestone waits up to 30 s)
  const released = await client.act(id, 'release')
  t.is(released.status, 'active', 'the release leaves the job active')
  const job0 = (await recordOn(client, id)).job
  const stage0 = escrowContext(job0, chain.network, 0)
  await until('the release confirmed on chain and recorded (stage 1) on every side', async () => {
    for (const s of [client, printer, creator]) {
      const r = await recordOn(s, id)
      if (!r.confirmed || stageOf(r.job) !== 1) return false
    }
    const out = await chain.backend.outspend(stage0.escrow.txid, stage0.escrow.vout)
    return out !== null && (await chain.backend.txStatus(out.txid)).confirmed
  }, 120_000, chain)

  const job = (await recordOn(client, id)).job
  const spent = (await chain.backend.outspend(stage0.escrow.txid, stage0.escrow.vout))!
  const tx = bitcoin.Transaction.fromHex((await chain.backend.txHex(spent.txid))!)
  t.is(toHex(job.releases![0].txid), tx.getId(), 'the record\'s release is the transaction that spent the funding\'s escrow output')
  const fee = releaseFee(job.escrow!.client!.feeRate)
  const total = escrowAmounts({ bountySats: BOUNTY, depositPct: 15n }).total // the market's default deposit
  t.is(stage0.escrow.valueSats, total, 'the funding locked the bounty and both 15 % deposits')
  t.is(tx.outs.length, 2, 'the release has two outputs')
  t.is(await paidTo(chain, tx, job.escrow!.printer.payoutScript), FIRST - fee, `the node: the printer's payout address got the 20 % part less the release's miner fee (${FIRST} − ${fee} sats)`)
  t.is(tx.outs[0].value, total - FIRST, 'output 0 keeps the rest of the bounty and both deposits locked')
  t.ok(b4a.equals(tx.outs[0].script, escrowContext(job, chain.network).script.outputScript), 'in the same 2-of-3 escrow')
  t.is(stage0.escrow.valueSats - tx.outs.reduce((sum, o) => sum + o.value, 0n), fee, 'the release\'s miner fee is what the printer\'s part paid')

  // what the job pages show now
  const after = await client.getJob(id)
  t.is(after.job.released, 1, 'the client\'s page: one part released')
  t.is(job.releases!.length, 1, 'the record holds one release (stage 1)')
  t.alike(job.releases![0].sigs.filter(x => x.kind === 'release').map(x => x.role).sort(), ['client', 'printer'], 'signed by the client (after its confirmed ask) and completed by the printer')
  t.is(job.releaseAsks ?? 0, 0, 'the next stage starts with no ask')
  const next = after.actions.find(a => a.action === 'release')
  t.ok(next !== undefined && /^release milestone 2 \("printed", 50 %\)/.test(next.label), `the client's page now offers ${JSON.stringify(next?.label)}`)
  const pp = await printer.getJob(id)
  t.absent(pp.actions.some(a => a.action === 'release'), 'the printer\'s page offers no release')
  t.ok(pp.escrowLog.some(l => /signed the release payout/.test(l)), 'the printer\'s timeline: its session\'s watcher signed the release')
  t.comment(`took ${Math.round((Date.now() - started) / 1000)} s`)
})
