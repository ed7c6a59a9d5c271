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
  t.ok(await eventually(async () => (await p2print([...C, '--json', 'wallet', 'balance'])).json.confirmedSats === balA.json.confirmedSats, 20_000, 500), 'the restored wallet sees the same coins')

  // twelve times 'abandon' is twelve valid words with a wrong checksum (…abandon about would be right)
  const wrong = await p2print([...C, '--json', 'wallet', 'restore', '--mnemonic', Array(12).fill('abandon').join(' ')])
  t.is(wrong.code, 1, 'a phrase with a bad checksum is refused')
  t.is(wrong.json.error.code, 'BAD_MNEMONIC')
})
