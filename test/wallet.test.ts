// The wallet through the command line, in separate processes, against a real (bcoin) regtest node: addresses,
// balances, a payment between two peers, restoring from the recovery phrase, and refusals.
import test from 'brittle'
import path from 'path'
import fs from 'fs'
import { tmpDir, p2print, eventually } from './helpers.js'
import { startRegtest } from './regtest.js'

test('wallet: address, balance, send, restore on regtest', { timeout: 180_000 }, async (t) => {
  const chain = await startRegtest(t)
  const dir = await tmpDir(t)
  const A = ['--storage', path.join(dir, 'a'), '--bitcoin-rpc', chain.rpcUrl]
  const B = ['--storage', path.join(dir, 'b'), '--bitcoin-rpc', chain.rpcUrl]

  const addrA = await p2print([...A, '--json', 'wallet', 'address'])
  t.is(addrA.code, 0, addrA.stderr)
  t.ok(addrA.json.address.startsWith('rb1q'), 'a P2WPKH address on the node\'s regtest (bcoin prefixes)')
  t.is(addrA.json.uri, `bitcoin:${addrA.json.address}`, 'with a BIP21 URI')
  t.is(addrA.json.chain, 'regtest', 'the chain comes from the node')
  t.ok(/Created a new wallet/.test(addrA.stderr), 'the first run creates the wallet and says so')
  const again = await p2print([...A, '--json', 'wallet', 'address'])
  t.not(again.json.address, addrA.json.address, 'each call hands out a new address')

  await chain.fund(addrA.json.address, 50_000_000n)
  const unconfirmed = await p2print([...A, '--json', 'wallet', 'balance'])
  t.alike([unconfirmed.json.confirmedSats, unconfirmed.json.unconfirmedSats], [0, 50_000_000], 'unconfirmed at first')
  await chain.mine(1)
  const confirmed = await p2print([...A, '--json', 'wallet', 'balance'])
  t.alike([confirmed.json.confirmedSats, confirmed.json.unconfirmedSats], [50_000_000, 0], 'confirmed after a block')

  const addrB = (await p2print([...B, '--json', 'wallet', 'address'])).json.address
  const plan = await p2print([...A, '--json', 'wallet', 'send', addrB, '0.1', '--fee-rate', '2', '--dry-run'])
  t.is(plan.code, 0, plan.stderr)
  t.is(plan.json.sentSats, 10_000_000)
  const afterPlan = (await p2print([...A, '--json', 'wallet', 'balance'])).json
  t.alike([afterPlan.confirmedSats, afterPlan.unconfirmedSats], [50_000_000, 0], 'a dry run sends nothing')
  t.is((await p2print([...B, '--json', 'wallet', 'balance'])).json.unconfirmedSats, 0, 'nothing arrives from a dry run')
  const capped = await p2print([...A, '--json', 'wallet', 'send', addrB, '0.1', '--fee-rate', '2', '--max-fee', String(plan.json.feeSats - 1)])
  t.is(capped.json?.error?.code, 'FEE_CHANGED', 'a fee above --max-fee is refused')
  const sent = await p2print([...A, '--json', 'wallet', 'send', addrB, '0.1', '--fee-rate', '2', '--max-fee', String(plan.json.feeSats)])
  t.is(sent.code, 0, sent.stderr)
  t.is(sent.json.feeSats, plan.json.feeSats, 'the dry run showed the fee the payment paid')
  t.is(sent.json.sentSats, 10_000_000)
  t.ok(sent.json.feeSats > 0 && sent.json.feeSats < 1000, `fee ${sent.json.feeSats} sat at 2 sat/vB`)
  t.ok((await chain.backend.txStatus(sent.json.txid)).found, 'the payment is in the node\'s mempool')
  await chain.mine(1)
  const balB = await p2print([...B, '--json', 'wallet', 'balance'])
  t.is(balB.json.confirmedSats, 10_000_000, 'the other peer received it')
  const balA = await p2print([...A, '--json', 'wallet', 'balance'])
  t.is(balA.json.confirmedSats, 50_000_000 - 10_000_000 - sent.json.feeSats, 'the sender kept the change')

  const tooMuch = await p2print([...A, '--json', 'wallet', 'send', addrB, '5'])
  t.is(tooMuch.code, 1)
  t.is(tooMuch.json.error.code, 'INSUFFICIENT_FUNDS')
  const badAddress = await p2print([...A, '--json', 'wallet', 'send', 'bc1qnotanaddress', '0.01'])
  t.is(badAddress.code, 2, 'a bad address is a usage error')

  // the phrase restores the same wallet in another storage: same funds
  const words = (await p2print([...A, '--json', 'wallet', 'mnemonic'])).json.mnemonic
  t.is(words.split(' ').length, 12)
  const C = ['--storage', path.join(dir, 'c'), '--bitcoin-rpc', chain.rpcUrl]
  t.is((await p2print([...C, '--json', 'wallet', 'address'])).code, 0, 'c starts with a wallet of its own')
  const restored = await p2print([...C, '--json', 'wallet', 'restore', '--mnemonic', words])
  t.is(restored.code, 0, restored.stderr)
  t.ok(restored.json.movedTo !== null && fs.existsSync(restored.json.movedTo), 'the wallet that was there is kept aside, not deleted')
  const fresh = await p2print(['--storage', path.join(dir, 'fresh'), '--json', 'wallet', 'restore', '--mnemonic', words])
  t.is(fresh.json?.movedTo, null, 'on a new storage nothing is moved aside (no wallet was there before the restore)')
  t.absent(fs.readdirSync(path.join(dir, 'fresh')).some(f => f.includes('.replaced-')), 'and no wallet file was set aside')
  t.ok(await eventually(async () => (await p2print([...C, '--json', 'wallet', 'balance'])).json.confirmedSats === balA.json.confirmedSats, 20_000, 500), 'the restored wallet sees the same coins')

  // twelve times 'abandon' is twelve valid words with a wrong checksum (…abandon about would be right)
  const wrong = await p2print([...C, '--json', 'wallet', 'restore', '--mnemonic', Array(12).fill('abandon').join(' ')])
  t.is(wrong.code, 1, 'a phrase with a bad checksum is refused')
  t.is(wrong.json.error.code, 'BAD_MNEMONIC')
})

// --- holds on coins (reserved.json) and the payment messages, without a node ----------------------------------------

test('reserved.json: holds past their time or of an escrow that is over are dropped when read; the over-balance message names only live holds', async (t) => {
  const b4a = (await import('b4a')).default
  const { liveHolds, reservedCoins, reserveCoins, RESERVED_FILE } = await import('../lib/escrow/reservations.js')
  const { holdEnded, HOLD_GRACE_MS } = await import('../lib/service/wallet.js')
  const { planPayment } = await import('../lib/escrow/send.js')
  const { Wallet } = await import('../lib/escrow/wallet.js')
  const { testnet } = await import('../lib/escrow/networks.js')
  const { putJob } = await import('../lib/market/view.js')
  const { jobIdString } = await import('../lib/ids.js')
  const { toHex } = await import('../lib/escrow/script.js')
  const { escrowParties } = await import('./escrow-fixture.js')
  const { openBee } = await import('./helpers.js')
  const dir = await tmpDir(t)
  const now = Date.now()
  const file = path.join(dir, RESERVED_FILE)

  // a hold past its time and a malformed one are dropped from the file when it is read
  fs.writeFileSync(file, JSON.stringify({ version: 1, coins: { 'aa:0': { job: 'j1', until: now - 1 }, 'bb:1': { job: 'j2', until: now + 60_000 }, 'cc:2': { until: 'soon' } } }))
  t.alike([...await reservedCoins(dir, now)], ['bb:1'], 'only the hold still in force')
  t.alike(Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).coins), ['bb:1'], 'the others are gone from the file')
  await reserveCoins(dir, ['dd:0'], 'j3', now + 60_000, now)
  t.ok(JSON.parse(fs.readFileSync(file, 'utf8')).coins['dd:0'].at === now, 'a new hold says when it was made')
  t.alike((await liveHolds(dir, now, h => h.job === 'j2')).map(h => h.outpoint), ['dd:0'], 'a hold whose escrow is over is dropped')
  t.alike(Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).coins), ['dd:0'])

  // whether a hold's escrow is over, from the job's record in the market's view
  const bee = await openBee(t)
  const f = escrowParties('holds test')
  const printer = f.printerSide()
  const coin = `${toHex(printer.inputs[0].txid)}:${printer.inputs[0].vout}`
  const put = async (n: number, status: 'accepted' | 'active' | 'open' | 'cancelled', funded = false): Promise<string> => {
    const id = b4a.alloc(16, n)
    const escrow = status === 'open' ? null : { arbitrator: b4a.alloc(32, 3), arbitratorPubkey: f.arbitrator.publicKey, depositPct: 15, arbitrationFeePct: 5, fundingDepth: 1, fundingTimeoutSecs: 3600, refundDelayBlocks: 20, acceptedAt: 1, printer, client: null, sigs: [], fundingTxid: funded ? b4a.alloc(32, 9) : null, ruling: null, closed: null }
    const job = { id, seq: n, title: 't', material: 'PLA' as const, colors: [], bountySats: 100_000, country: 'DE', notes: '', client: b4a.alloc(32, 1), printer: status === 'open' ? null : b4a.alloc(32, 2), status, createdAt: 1, updatedAt: 1, updates: 0, history: [], file: null, escrow, dispute: null, rev: 0, accepts: 1, leavers: [], claims: [], openToQuotes: false, quotes: 0, offer: null, offers: 0, leadDays: 0, posted: null }
    const b = bee.batch()
    await putJob(b, null, job)
    await b.flush()
    return jobIdString(id)
  }
  const old = now - HOLD_GRACE_MS - 1
  const hold = (job: string, outpoint = coin, at: number | null = old): { outpoint: string, job: string, until: number, at: number | null } => ({ outpoint, job, until: now + 3_600_000, at })
  t.absent(await holdEnded(bee, hold(await put(1, 'accepted')), now), 'waiting for its funding, the record names the coin: held')
  t.ok(await holdEnded(bee, hold(await put(2, 'active', true)), now), 'funded: the coin is spent in it, nothing to hold')
  t.ok(await holdEnded(bee, hold(await put(3, 'open')), now), 'the acceptance lapsed or was withdrawn: over')
  t.ok(await holdEnded(bee, hold(await put(4, 'cancelled')), now), 'cancelled: over')
  t.ok(await holdEnded(bee, hold(await put(5, 'accepted'), 'ee:7'), now), 'accepted with coins the record does not name (another acceptance): over')
  t.absent(await holdEnded(bee, hold(await put(6, 'open'), coin, now - 1000), now), 'a hold minutes old is kept whatever the record says (its op may not be applied yet)')
  t.absent(await holdEnded(bee, hold(jobIdString(b4a.alloc(16, 99))), now), 'a job this view does not have (another market): kept until its time')

  // the over-balance message counts only held coins the wallet still has, and names their jobs
  const wallet = Wallet.generate({ network: testnet })
  await wallet.save(dir)
  const mine = wallet.receiveAddress(0)
  const utxo = (txid: string, valueSats: bigint): any => ({ txid, vout: 0, valueSats, height: 100, scriptPubKeyHex: toHex(mine.script) })
  const chain: any = { chain: 'testnet', feeRate: async () => 1, utxos: async (a: string) => a === mine.address ? [utxo('11'.repeat(32), 50_000n), utxo('22'.repeat(32), 70_000n)] : [] }
  fs.writeFileSync(file, JSON.stringify({ version: 1, coins: { [`${'22'.repeat(32)}:0`]: { job: 'xrsft6xd6suxe9ytxo7x8xp8gh', until: now + 60_000 }, [`${'33'.repeat(32)}:0`]: { job: 'gone5555jobspentintofunding', until: now + 60_000 } } }))
  const err = await planPayment(wallet, chain, { address: mine.address, sats: 100_000n }).catch((e: Error) => e)
  t.is((err as any).code, 'INSUFFICIENT_FUNDS')
  t.ok(/1 coin\(s\) are held for escrows you accepted or proposed \(job xrsft6xd\) until they are funded or time out/.test((err as Error).message), (err as Error).message)
  t.absent((err as Error).message.includes('gone5555'), 'a hold on a coin already spent (into its funding) is not named')
  const plan = await planPayment(wallet, chain, { address: mine.address, sats: 40_000n })
  t.alike(plan.utxos.map(u => u.txid), ['11'.repeat(32)], 'the held coin is left alone')
})

test('wallet send: a bad address says what is wrong and what this chain\'s addresses look like, as the app does', async (t) => {
  const { addressProblem, checkAddress } = await import('../lib/service/wallet.js')
  const { testnet, bcoinRegtest } = await import('../lib/escrow/networks.js')
  const tn = { chain: 'testnet' as const, network: testnet }
  t.is(addressProblem('tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', tn), null, 'a testnet address passes')
  const said = (a: string): string => addressProblem(a, tn) ?? ''
  t.ok(/is a mainnet address \(bc1…\), and this wallet is on testnet; testnet addresses start with tb1 \(or, older ones, with m, n or 2\)/.test(said('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4')), 'another network: which, and what is expected')
  t.ok(/is a mainnet address, and this wallet is on testnet/.test(said('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2')), 'a base58 mainnet address too')
  t.ok(/looks like one \(tb1…\), but its checksum does not match: a character is wrong, missing or extra/.test(said('tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsy')), 'a typo: the checksum')
  t.ok(/its checksum does not match/.test(said('mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfm')), 'a base58 typo')
  t.ok(/has "o" in it/.test(said('tb1qnotanaddress')), 'a character no address has')
  t.ok(/it is not a Bitcoin address/.test(said('hello')), 'not an address at all')
  t.ok(/no spaces/.test(said('tb1q w508')), 'spaces')
  t.ok(/is not a regtest address: .*regtest addresses start with rb1/.test(addressProblem('bc1qnotanaddress', { chain: 'regtest', network: bcoinRegtest }) ?? ''), 'on bcoin\'s regtest: rb1')
  t.exception(() => checkAddress('hello', tn), /paste it again/)

  // the command line says the same, before it needs a node, with --dry-run or without
  const dir = await tmpDir(t)
  for (const dry of [['--dry-run'], []]) {
    const r = await p2print(['--storage', path.join(dir, 's'), '--chain', 'testnet', '--json', 'wallet', 'send', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', '0.001', ...dry])
    t.is(r.code, 2, 'a usage error')
    t.is(r.json?.error?.code, 'BAD_ARGUMENT')
    t.ok(/is a mainnet address \(bc1…\), and this wallet is on testnet; testnet addresses start with tb1/.test(r.stderr), r.stderr.trim())
  }
})
