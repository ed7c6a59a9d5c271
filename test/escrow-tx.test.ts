// The escrow's transactions, offline: wallet (BIP39/BIP84 vectors, escrow key derivation, persistence), the 2-of-3
// script (BIP67), the money rules (property loop over many bounties), every transaction built, checked, signed by
// two of the three keys, finalized and verified; checkPsbt's refusals; a mediator key never counts.
// The last test runs the happy path on a bcoin regtest node (test/regtest.ts).
import test from 'brittle'
import crypto from 'crypto'
import fs from 'fs'
import path from 'path'
import * as bitcoin from 'bitcoinjs-lib'
import * as ecc from 'tiny-secp256k1'
import { ECPairFactory } from 'ecpair'
import { tmpDir } from './helpers.js'
import { startRegtest } from './regtest.js'
import {
  DUST_SATS, escrowAmounts, minBountySats, payoutOutputs, splitFee,
  type EscrowAmounts, type PayoutPath, type PayoutPlan
} from '../lib/escrow/amounts.js'
import { escrowAddress, escrowScript, isEscrowOutput, isEscrowScript, multisigScript, parseEscrowScript, sortPubkeys, toHex } from '../lib/escrow/script.js'
import {
  buildFunding, buildPayout, buildRefund, escrowUtxoOf, unsignedTx, SEQUENCE_REFUND,
  type EscrowUtxo, type FundingParams, type PayoutTxParams
} from '../lib/escrow/psbt.js'
import { checkPsbt } from '../lib/escrow/psbt-check.js'
import { combine, finalize, signInputs } from '../lib/escrow/psbt-sign.js'
import { WEIGHT } from '../lib/escrow/fees.js'
import { verifyTx, witnessToBytes } from '../lib/escrow/witness.js'
import { Wallet, checkMnemonic, escrowPath, selectCoins, selectFundingCoins, type WalletUtxo } from '../lib/escrow/wallet.js'
import { isP2PrintError } from '../lib/errors.js'

bitcoin.initEccLib(ecc)
const ECPair = ECPairFactory(ecc)

// bcoin's regtest prefixes (Core's are bcrt / 0x6f / 0xc4 / 0xef)
const rb: bitcoin.Network = {
  messagePrefix: '\x18Bitcoin Signed Message:\n',
  bech32: 'rb',
  bip32: { public: 0xeab4fa05, private: 0xeab404c7 },
  pubKeyHash: 0x3c,
  scriptHash: 0x26,
  wif: 0x5a
}
const mainnet = bitcoin.networks.bitcoin
const VECTOR = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about'
const JOB = 'yb1ndrfg8ejkmcpqxot1uwisza' // a 26-character z-base32 job id

function code (err: unknown): string | undefined {
  return isP2PrintError(err) ? err.code : undefined
}

function throwsCode (t: { is: (a: unknown, b: unknown, m?: string) => void, fail: (m?: string) => void }, fn: () => unknown, want: string, msg: string): string {
  try {
    fn()
  } catch (err) {
    t.is(code(err), want, msg)
    return (err as Error).message
  }
  t.fail(msg + ' (did not throw)')
  return ''
}

function fakeTxid (seed: string): string {
  return crypto.createHash('sha256').update(seed).digest('hex')
}

// A coin of this wallet's address i (as a chain backend would list it).
function coinOf (w: Wallet, i: number, sats: bigint, seed: string): WalletUtxo {
  const a = w.receiveAddress(i)
  return { txid: fakeTxid(seed), vout: i % 3, valueSats: sats, height: 100, scriptPubKeyHex: toHex(a.script), path: a.path, chain: 0, index: i, address: a.address }
}

// --- wallet ------------------------------------------------------------------------------------------------------

test('wallet: BIP84 test vectors (mainnet)', (t) => {
  const w = Wallet.fromMnemonic(VECTOR, { network: mainnet })
  t.is(w.receiveAddress(0).address, 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', 'm/84\'/0\'/0\'/0/0')
  t.is(w.receiveAddress(0).path, "m/84'/0'/0'/0/0")
  t.is(toHex(w.receiveAddress(0).pubkey), '0330d54fd0dd420a6e5f8d3624f5f3482cae350f79d5f0753bf5beef9c2d91af3c', 'first receive pubkey')
  t.is(w.receiveAddress(1).address, 'bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g', 'm/84\'/0\'/0\'/0/1')
  t.is(w.changeAddress(0).address, 'bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el', 'm/84\'/0\'/0\'/1/0')
  t.is(w.fingerprint, '73c5da0a', 'master fingerprint of the vector')
  const tw = Wallet.fromMnemonic(VECTOR, { network: bitcoin.networks.testnet })
  t.is(tw.coinType, 1)
  t.is(tw.receiveAddress(0).path, "m/84'/1'/0'/0/0")
  t.ok(tw.receiveAddress(0).address.startsWith('tb1q'))
  const rw = Wallet.fromMnemonic(VECTOR, { network: rb })
  t.ok(rw.receiveAddress(0).address.startsWith('rb1q'), 'bcoin regtest prefix')
  t.alike(rw.receiveAddress(0).pubkey, tw.receiveAddress(0).pubkey, 'same key on every non-mainnet network (coin type 1)')
})

test('wallet: mnemonic create/restore round trip, 12 and 24 words, clear errors', (t) => {
  const w = Wallet.generate({ network: rb })
  t.is(w.mnemonic.split(' ').length, 12, 'default: 12 words (128 bits)')
  const w24 = Wallet.generate({ network: rb, strength: 256 })
  t.is(w24.mnemonic.split(' ').length, 24)
  for (const x of [w, w24]) {
    const r = Wallet.fromMnemonic('  ' + x.mnemonic.toUpperCase().split(' ').join('   ') + '\n', { network: rb })
    t.is(r.mnemonic, x.mnemonic, 'normalized')
    t.is(r.receiveAddress(7).address, x.receiveAddress(7).address, 'same addresses after restore')
    t.alike(r.escrowPubkey(JOB, 'printer'), x.escrowPubkey(JOB, 'printer'), 'same escrow keys after restore')
  }
  const words = VECTOR.split(' ')
  let m = throwsCode(t, () => checkMnemonic(words.slice(0, 11).join(' ')), 'BAD_MNEMONIC', '11 words')
  t.ok(m.includes('11 words'), m)
  m = throwsCode(t, () => checkMnemonic([...words.slice(0, 3), 'bitcoinz', ...words.slice(4)].join(' ')), 'BAD_MNEMONIC', 'unknown word')
  t.ok(m.includes('word 4') && m.includes('bitcoinz'), m)
  m = throwsCode(t, () => checkMnemonic([...words.slice(0, 11), 'abandon'].join(' ')), 'BAD_MNEMONIC', 'bad checksum')
  t.ok(m.includes('checksum'), m)
  t.not(Wallet.fromMnemonic(VECTOR, { network: mainnet, passphrase: 'TREZOR' }).receiveAddress(0).address,
    'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', 'a passphrase gives another wallet')
})

test('wallet: escrow keys are derived from the job id alone', (t) => {
  const a = Wallet.fromMnemonic(VECTOR, { network: rb })
  const b = Wallet.fromMnemonic(VECTOR, { network: rb })
  const h = crypto.createHash('sha256').update(JOB, 'utf8').digest()
  const want = `m/84'/1'/1000'/${h.readUInt32BE(0) >>> 1}'/${h.readUInt32BE(4) >>> 1}'/1'`
  t.is(a.escrowPath(JOB, 'printer'), want, 'path documented in wallet.ts')
  t.is(escrowPath(JOB, 'client', mainnet).slice(0, 17), "m/84'/0'/1000'/" + String(h.readUInt32BE(0) >>> 1).slice(0, 2), 'coin type 0 on mainnet')
  t.alike(a.escrowPubkey(JOB, 'client'), b.escrowPubkey(JOB, 'client'), 'deterministic')
  const keys = new Set([
    toHex(a.escrowPubkey(JOB, 'client')), toHex(a.escrowPubkey(JOB, 'printer')), toHex(a.escrowPubkey(JOB, 'arbitrator')),
    toHex(a.escrowPubkey('ybndrfg8ejkmcpqxot1uwisza3', 'client')), toHex(a.receiveAddress(0).pubkey)
  ])
  t.is(keys.size, 5, 'roles, jobs and receive keys all differ')
  const k = a.escrowKey(JOB, 'client')
  const hash = crypto.randomBytes(32)
  t.ok(ecc.verify(hash, k.publicKey, k.sign(hash)), 'the escrow key signs')
})

test('wallet: save/load is atomic, 0600, and never overwrites another wallet', async (t) => {
  const dir = path.join(await tmpDir(t), 'w')
  const w = Wallet.generate({ network: rb })
  await w.save(dir)
  const file = path.join(dir, 'wallet.json')
  t.is((await fs.promises.stat(file)).mode & 0o777, 0o600, 'wallet.json is 0600')
  t.alike(await fs.promises.readdir(dir), ['wallet.json'], 'no temporary file left')
  const a1 = await w.nextReceiveAddress()
  const a2 = await w.nextReceiveAddress()
  const back = await Wallet.load(dir, { network: rb })
  t.is(back.mnemonic, w.mnemonic)
  t.is(back.nextReceive, 2, 'the next index survives')
  t.is((await back.nextReceiveAddress()).address, w.receiveAddress(2).address)
  t.not(a1.address, a2.address)
  const other = Wallet.generate({ network: rb })
  await t.exception(other.save(dir), /already holds a different wallet/, 'WALLET_EXISTS')
  t.is((await Wallet.load(dir, { network: rb })).mnemonic, w.mnemonic, 'the first wallet is intact')
  await t.exception(Wallet.load(path.join(dir, 'nope'), { network: rb }), /no wallet at/, 'WALLET_NOT_FOUND')
  // per-network indexes are kept side by side
  const main = await Wallet.load(dir, { network: mainnet })
  t.is(main.nextReceive, 0)
  await main.nextChangeAddress()
  t.is((await Wallet.load(dir, { network: rb })).nextReceive, 3, 'saving on mainnet kept the regtest index')
})

test('wallet: gap-limit scan, balance, coin selection', async (t) => {
  const w = Wallet.fromMnemonic(VECTOR, { network: rb })
  const held = new Map<string, Array<{ sats: bigint, height: number | null }>>([
    [w.receiveAddress(3).address, [{ sats: 10_000n, height: 5 }]],
    [w.receiveAddress(22).address, [{ sats: 20_000n, height: null }, { sats: 30_000n, height: 7 }]],
    [w.receiveAddress(43).address, [{ sats: 40_000n, height: 9 }]], // 20 unused after 22 → never seen
    [w.changeAddress(0).address, [{ sats: 5_000n, height: 8 }]]
  ])
  let queries = 0
  const backend = {
    chain: 'regtest' as const,
    async utxos (address: string) {
      queries++
      return (held.get(address) ?? []).map((c, i) => ({ txid: fakeTxid(address + i), vout: i, valueSats: c.sats, height: c.height, scriptPubKeyHex: '' }))
    }
  }
  const res = await w.scan(backend as never)
  t.is(res.utxos.length, 4, 'finds coins up to the gap')
  t.is(res.nextReceive, 23)
  t.is(res.nextChange, 1)
  t.ok(queries >= 43 + 20, 'looked 20 past the last used address on each chain')
  const bal = await w.balance(backend as never)
  t.alike(bal, { confirmedSats: 45_000n, unconfirmedSats: 20_000n })
  t.ok(res.utxos.every(u => u.scriptPubKeyHex === toHex(w.findScript(Buffer.from(u.scriptPubKeyHex, 'hex'))?.script ?? new Uint8Array())), 'scripts are the wallet\'s')

  const coins = [coinOf(w, 0, 100_000n, 'a'), coinOf(w, 1, 60_000n, 'b'), coinOf(w, 2, 30_000n, 'c'), coinOf(w, 3, 200n, 'dust')]
  const one = selectCoins(coins, { targetSats: 50_000n, feeRate: 2 })
  t.is(one.utxos.length, 1, 'one coin suffices')
  t.is(one.utxos[0].valueSats, 60_000n, 'the smallest single coin that pays')
  t.is(one.inputSats, one.changeSats + 50_000n + one.feeSats, 'balances')
  const many = selectCoins(coins, { targetSats: 150_000n, feeRate: 2 })
  t.alike(many.utxos.map(u => u.valueSats), [100_000n, 60_000n], 'largest first')
  t.ok(!many.utxos.some(u => u.valueSats === 200n), 'an uneconomical coin is not used')
  throwsCode(t, () => selectCoins(coins, { targetSats: 190_000n, feeRate: 2 }), 'INSUFFICIENT_FUNDS', 'not enough')
  const exact = selectCoins([coinOf(w, 0, 50_000n + 200n, 'e')], { targetSats: 50_000n, feeRate: 1 })
  t.is(exact.changeSats, 0n, 'change below dust goes to the fee')
  t.is(exact.feeSats, 200n)
})

// --- script ------------------------------------------------------------------------------------------------------

test('script: BIP67 ordering, P2WSH address, recognition', (t) => {
  // keys from the BIP67 test vectors: 02fe6f… sorts before 02ff12…
  const k1 = Buffer.from('02ff12471208c14bd580709cb2358d98975247d8765f92bc25eab3b2763ed605f8', 'hex')
  const k2 = Buffer.from('02fe6f0a5a297eb38c391581c4413e084773ea23954d93f7753db7dc0adc188b2f', 'hex')
  const k3 = Buffer.from('0300e47bd2b1b0a2f0bcebbd2a0e1bb3b29f7e0e1b9cdb8b41c38f1d5b7c7f9c3e', 'hex')
  t.alike(sortPubkeys([k1, k2]).map(toHex), [toHex(k2), toHex(k1)], 'BIP67 vector order')
  const keys = { client: ECPair.makeRandom().publicKey, printer: ECPair.makeRandom().publicKey, arbitrator: ECPair.makeRandom().publicKey }
  const s = escrowScript(keys)
  const s2 = escrowScript({ client: keys.arbitrator, printer: keys.client, arbitrator: keys.printer })
  t.alike(s.witnessScript, s2.witnessScript, 'the script depends on the set of keys only')
  t.is(s.witnessScript.length, 105)
  t.ok(Buffer.compare(Buffer.from(s.pubkeys[0]), Buffer.from(s.pubkeys[1])) < 0 && Buffer.compare(Buffer.from(s.pubkeys[1]), Buffer.from(s.pubkeys[2])) < 0, 'sorted')
  t.is(bitcoin.script.toASM(s.witnessScript).split(' ')[0], 'OP_2')
  t.is(bitcoin.script.toASM(s.witnessScript).split(' ').slice(-2).join(' '), 'OP_3 OP_CHECKMULTISIG')
  t.ok(isEscrowScript(s.witnessScript))
  t.alike(parseEscrowScript(s.witnessScript)?.map(toHex), s.pubkeys.map(toHex))
  t.ok(isEscrowOutput(s.outputScript, s))
  t.ok(escrowAddress(s, rb).startsWith('rb1q') && escrowAddress(s, rb).length === 62, 'P2WSH address')
  t.ok(escrowAddress(s, mainnet).startsWith('bc1q'))
  t.absent(isEscrowScript(multisigScript([s.pubkeys[1], s.pubkeys[0], s.pubkeys[2]])), 'unsorted is not ours')
  t.absent(isEscrowScript(bitcoin.script.compile([bitcoin.opcodes.OP_1, ...s.pubkeys, bitcoin.opcodes.OP_3, bitcoin.opcodes.OP_CHECKMULTISIG])), '1-of-3 is not ours')
  throwsCode(t, () => escrowScript({ client: keys.client, printer: keys.client, arbitrator: keys.arbitrator }), 'BAD_ESCROW', 'duplicate keys refused')
  throwsCode(t, () => sortPubkeys([k1, k3.subarray(0, 32)]), 'BAD_ESCROW', 'uncompressed/short keys refused')
})

// --- amounts -----------------------------------------------------------------------------------------------------

function rand (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

test('amounts: the rules hold for every path over many bounties (property loop)', (t) => {
  const r = rand(42)
  let checked = 0
  let problems = 0
  let drops = 0
  let refusals = 0
  const fail = (msg: string): void => { if (problems++ < 10) t.fail(msg) }
  for (let n = 0; n < 4000; n++) {
    const depositPct = [15n, 15n, 15n, 10n, 20n, 33n, 100n][n % 7]
    const lo = Math.log(Number(minBountySats(depositPct)))
    const bounty = n < 50 ? minBountySats(depositPct) + BigInt(n) : BigInt(Math.floor(Math.exp(lo + r() * (Math.log(2e13) - lo))))
    const a = escrowAmounts({ bountySats: bounty, depositPct })
    const dep = bounty * depositPct / 100n
    if (a.clientDepositSats !== dep || a.printerDepositSats !== dep || a.clientIn !== bounty + dep || a.printerIn !== dep || a.total !== bounty + 2n * dep) fail(`escrowAmounts ${bounty}`)
    const feeSats = BigInt(Math.floor(r() * Math.min(Number(dep) * 2.2, 200_000)))
    const pct = BigInt(Math.floor(r() * 101))
    const cap = bounty * 5n / 100n
    const med = r() < 0.2 ? 0n : BigInt(Math.floor(r() * Number(cap + 1n)))
    const arbPct = depositPct < 5n ? depositPct : 5n
    const paths: PayoutPath[] = [
      { kind: 'complete' }, { kind: 'cancel' }, { kind: 'refund' },
      { kind: 'split', printerPct: pct, mediatorFeeSats: med, mediatorAddress: 'M' },
      { kind: 'ruling', winner: 'client', arbitratorAddress: 'A', arbitrationFeePct: arbPct },
      { kind: 'ruling', winner: 'printer', arbitratorAddress: 'A', arbitrationFeePct: arbPct }
    ]
    const { clientFeeSats: cf, printerFeeSats: pf } = splitFee(feeSats)
    if (cf + pf !== feeSats || cf - pf > 1n || cf < pf) fail(`splitFee ${feeSats}`)
    for (const p of paths) {
      // the expected gross amounts, written out again independently
      const arb = bounty * arbPct / 100n
      let c = 0n; let q = 0n; let third = 0n; let cDep = dep; let pDep = dep
      if (p.kind === 'complete') { q = bounty }
      else if (p.kind === 'cancel' || p.kind === 'refund') { c = bounty }
      else if (p.kind === 'split') { q = (bounty - med) * pct / 100n; c = bounty - med - q; third = med }
      else if (p.winner === 'client') { c = bounty; pDep = dep - arb; third = arb }
      else { q = bounty; cDep = dep - arb; third = arb }
      let plan: PayoutPlan
      try {
        plan = payoutOutputs(p, { amounts: a, feeSats, clientAddress: 'C', printerAddress: 'P' })
      } catch (err) {
        if (code(err) === 'ESCROW_AMOUNTS' && (cf > cDep || pf > pDep)) { refusals++; continue }
        fail(`${p.kind} ${bounty}/${feeSats}: ${(err as Error).message}`)
        continue
      }
      if (cf > cDep || pf > pDep) fail(`${p.kind}: a fee share above the deposit was accepted`)
      checked++
      let sum = 0n
      for (const o of plan.outputs) {
        sum += o.valueSats
        if (o.valueSats < DUST_SATS) fail(`${p.kind}: dust output ${o.valueSats}`)
      }
      if (sum + plan.feeSats !== a.total) fail(`${p.kind} ${bounty}: outputs + fee != escrow`)
      if (plan.feeSats !== feeSats + plan.droppedSats) fail(`${p.kind}: fee accounting`)
      const want = new Map<string, bigint>([['C', c + cDep - cf], ['P', q + pDep - pf], [p.kind === 'split' ? 'M' : 'A', third]])
      for (const [addr, v] of want) {
        const got = plan.outputs.find(o => o.address === addr)?.valueSats ?? 0n
        const expect = v >= DUST_SATS ? v : 0n
        if (got !== expect) fail(`${p.kind} ${bounty}/${feeSats}: ${addr} got ${got}, want ${expect}`)
        if (v > 0n && v < DUST_SATS) drops++
      }
      if (plan.outputs.map(o => o.address).join('') !== ['C', 'P', 'M', 'A'].filter(x => plan.outputs.some(o => o.address === x)).join('')) fail('output order')
    }
  }
  t.is(problems, 0, `${checked} payouts checked, ${drops} dust outputs dropped, ${refusals} fee-above-deposit refusals`)
  t.ok(checked > 20_000 && drops > 0 && refusals > 0, 'the loop reached every branch')
})

test('amounts: rounding, caps and refusals', (t) => {
  const a = escrowAmounts({ bountySats: 100_001n })
  t.is(a.clientDepositSats, 15_000n, 'deposit: floor(15 % of the bounty)')
  t.is(a.total, 130_001n)
  t.is(minBountySats(), 3640n)
  throwsCode(t, () => escrowAmounts({ bountySats: 3639n }), 'ESCROW_AMOUNTS', 'a deposit below dust is refused')
  t.is(escrowAmounts({ bountySats: 3640n }).printerDepositSats, 546n)
  t.alike(splitFee(177n), { clientFeeSats: 89n, printerFeeSats: 88n }, 'the client pays the odd sat')
  const split = payoutOutputs({ kind: 'split', printerPct: 33n, mediatorFeeSats: 1001n, mediatorAddress: 'M' }, { amounts: a, feeSats: 177n, clientAddress: 'C', printerAddress: 'P' })
  // rest = 99 000; printer floor(99 000 × 33 / 100) = 32 670; client 66 330
  t.alike(split.outputs.map(o => [o.role, o.valueSats]), [['client', 66_330n + 15_000n - 89n], ['printer', 32_670n + 15_000n - 88n], ['mediator', 1001n]])
  throwsCode(t, () => payoutOutputs({ kind: 'split', printerPct: 50n, mediatorFeeSats: 5001n, mediatorAddress: 'M' }, { amounts: a, feeSats: 0n, clientAddress: 'C', printerAddress: 'P' }), 'ESCROW_AMOUNTS', 'mediator fee above the 5 % cap')
  const tiny = payoutOutputs({ kind: 'split', printerPct: 50n, mediatorFeeSats: 500n, mediatorAddress: 'M' }, { amounts: a, feeSats: 200n, clientAddress: 'C', printerAddress: 'P' })
  t.alike(tiny.dropped, ['mediator'], 'a mediator fee below dust is dropped into the miner fee')
  t.is(tiny.feeSats, 700n)
  const ruling = payoutOutputs({ kind: 'ruling', winner: 'printer', arbitratorAddress: 'A' }, { amounts: a, feeSats: 300n, clientAddress: 'C', printerAddress: 'P' })
  t.alike(ruling.outputs.map(o => [o.role, o.valueSats]), [['client', 15_000n - 5_000n - 150n], ['printer', 100_001n + 15_000n - 150n], ['arbitrator', 5_000n]], 'arbitration fee 5 % from the loser\'s deposit')
  throwsCode(t, () => payoutOutputs({ kind: 'ruling', winner: 'client', arbitratorAddress: 'A', arbitrationFeePct: 16n }, { amounts: a, feeSats: 0n, clientAddress: 'C', printerAddress: 'P' }), 'ESCROW_AMOUNTS', 'arbitration fee above the deposit %')
  throwsCode(t, () => payoutOutputs({ kind: 'complete' }, { amounts: a, feeSats: 30_002n, clientAddress: 'C', printerAddress: 'P' }), 'ESCROW_AMOUNTS', 'a fee share above the deposit')
  const dust = payoutOutputs({ kind: 'complete' }, { amounts: escrowAmounts({ bountySats: 4000n }), feeSats: 200n, clientAddress: 'C', printerAddress: 'P' })
  t.alike(dust.dropped, ['client'], 'the client\'s 600 − 100 sats is dust: dropped')
  t.is(dust.outputs.length, 1)
})

// --- transactions ------------------------------------------------------------------------------------------------

interface Fixture {
  client: Wallet
  printer: Wallet
  arbitrator: Wallet
  mediator: ReturnType<typeof ECPair.makeRandom>
  amounts: EscrowAmounts
  funding: FundingParams
  escrow: EscrowUtxo
  params: PayoutTxParams
}

function fixture (bounty = 250_000n, feeRate = 3): Fixture {
  const client = Wallet.fromMnemonic(VECTOR, { network: rb })
  const printer = Wallet.generate({ network: rb })
  const arbitrator = Wallet.generate({ network: rb })
  const mediator = ECPair.makeRandom({ network: rb })
  const amounts = escrowAmounts({ bountySats: bounty })
  const script = escrowScript({ client: client.escrowPubkey(JOB, 'client'), printer: printer.escrowPubkey(JOB, 'printer'), arbitrator: arbitrator.escrowPubkey(JOB, 'arbitrator') })
  // the client needs two of its coins (bounty 250 000 + deposit 37 500), the printer one
  const cCoins = [coinOf(client, 0, bounty * 4n / 5n, 'c0'), coinOf(client, 1, bounty * 3n / 5n, 'c1'), coinOf(client, 2, 9_000n, 'c2')]
  const pCoins = [coinOf(printer, 0, bounty * 8n / 25n, 'p0')]
  const cSel = selectFundingCoins(cCoins, 'client', amounts, feeRate)
  const pSel = selectFundingCoins(pCoins, 'printer', amounts, feeRate)
  const funding: FundingParams = {
    clientUtxos: cSel.utxos,
    printerUtxos: pSel.utxos,
    clientChange: client.changeAddress(0).address,
    printerChange: printer.changeAddress(0).address,
    escrow: script,
    amounts,
    feeRate,
    network: rb
  }
  const { psbt } = buildFunding(funding)
  const escrow = escrowUtxoOf(psbt, script)
  const params: PayoutTxParams = { escrow, amounts, clientAddress: client.receiveAddress(5).address, printerAddress: printer.receiveAddress(5).address, feeRate, network: rb }
  return { client, printer, arbitrator, mediator, amounts, funding, escrow, params }
}

test('funding: joint transaction, each side checks every output and signs only its inputs', (t) => {
  const f = fixture()
  const { psbt, plan } = buildFunding(f.funding)
  t.is(psbt.txOutputs[0].value, f.amounts.total, 'escrow output holds exactly the total')
  t.ok(isEscrowOutput(psbt.txOutputs[0].script, f.funding.escrow))
  t.is(plan.client.inputSats, plan.client.contributionSats + plan.client.feeSats + plan.client.changeSats, 'client side balances')
  t.is(plan.printer.inputSats, plan.printer.contributionSats + plan.printer.feeSats + plan.printer.changeSats, 'printer side balances')
  t.ok(psbt.data.inputs.every(d => d.witnessUtxo !== undefined), 'witnessUtxo on every input')
  t.ok(psbt.txInputs.every(i => i.sequence === 0xffffffff) && psbt.locktime === 0)
  const sel = selectFundingCoins(f.funding.clientUtxos, 'client', f.amounts, 3)
  t.is(sel.feeSats, plan.client.feeSats, 'coin selection predicts the client\'s fee exactly')
  t.is(sel.changeSats, plan.client.changeSats)
  // the client's share: its inputs + change + half the shared part; the printer's likewise
  t.ok(plan.client.feeSats > plan.printer.feeSats, 'the side with more inputs pays more')

  // both check the PSBT against what they expect, then sign their own inputs only
  const forPrinter = bitcoin.Psbt.fromBase64(psbt.toBase64(), { network: rb })
  const forClient = bitcoin.Psbt.fromBase64(psbt.toBase64(), { network: rb })
  checkPsbt({ kind: 'funding', params: f.funding }, forPrinter)
  checkPsbt({ kind: 'funding', params: f.funding }, forClient)
  t.alike(f.printer.signPsbt(forPrinter), plan.printer.inputIndexes, 'the printer signs exactly its inputs')
  t.alike(f.client.signPsbt(forClient), plan.client.inputIndexes, 'the client signs exactly its inputs')
  throwsCode(t, () => f.printer.signPsbt(forPrinter, [0]), 'BAD_ESCROW', 'asked to sign a coin that is not its own')
  checkPsbt({ kind: 'funding', params: f.funding }, forClient) // a signed PSBT still checks (signatures verified)
  const both = combine(forClient, forPrinter)
  checkPsbt({ kind: 'funding', params: f.funding }, both)
  const done = finalize(both)
  t.ok(done.vsize <= plan.vsize && done.vsize >= plan.vsize - plan.client.inputIndexes.length - 2, `vsize ${done.vsize} vs estimate ${plan.vsize}`)
  t.is(done.txid, f.escrow.txid, 'the txid known before signing (the refund spends it) is the final one')
  t.ok(done.feeSats * 1000n >= BigInt(done.vsize) * 3000n, 'pays at least the fee rate')
  const tx = bitcoin.Transaction.fromHex(done.hex)
  t.ok(tx.hasWitnesses() && tx.ins.every(i => i.witness.length === 2), 'P2WPKH witnesses')
  // a printer that is asked to pay into a different escrow refuses
  const evil = escrowScript({ client: f.client.escrowPubkey(JOB, 'client'), printer: f.client.escrowPubkey(JOB, 'printer'), arbitrator: f.arbitrator.escrowPubkey(JOB, 'arbitrator') })
  const bad = buildFunding({ ...f.funding, escrow: evil }).psbt
  const m = throwsCode(t, () => checkPsbt({ kind: 'funding', params: f.funding }, bad), 'PSBT_REFUSED', 'funding to another escrow refused')
  t.ok(m.includes('output 0') && m.includes('changed address'), m)
  const m2 = throwsCode(t, () => checkPsbt({ kind: 'funding', params: f.funding }, buildFunding({ ...f.funding, printerChange: f.client.changeAddress(1).address }).psbt), 'PSBT_REFUSED', 'printer change redirected')
  t.ok(m2.includes('output 2'), m2)
})

function signedBy (psbt: bitcoin.Psbt, f: Fixture, who: Array<'client' | 'printer' | 'arbitrator'>): bitcoin.Psbt[] {
  return who.map(role => {
    const p = bitcoin.Psbt.fromBase64(psbt.toBase64(), { network: rb })
    f[role].signEscrow(p, JOB, role)
    return p
  })
}

function outputsOf (hex: string): Array<[string, bigint]> {
  return bitcoin.Transaction.fromHex(hex).outs.map(o => [bitcoin.address.fromOutputScript(o.script, rb), o.value])
}

test('payouts: every path builds, two of the three keys sign, finalizes and verifies, outputs follow the rules', (t) => {
  const f = fixture()
  const paths: Array<{ path: PayoutPath, signers: Array<'client' | 'printer' | 'arbitrator'> }> = [
    { path: { kind: 'complete' }, signers: ['client', 'printer'] },
    { path: { kind: 'cancel' }, signers: ['printer', 'client'] },
    { path: { kind: 'split', printerPct: 60n, mediatorFeeSats: 5_000n, mediatorAddress: bitcoin.payments.p2wpkh({ pubkey: f.mediator.publicKey, network: rb }).address as string }, signers: ['client', 'printer'] },
    { path: { kind: 'ruling', winner: 'printer', arbitratorAddress: f.arbitrator.receiveAddress(0).address }, signers: ['printer', 'arbitrator'] },
    { path: { kind: 'ruling', winner: 'client', arbitratorAddress: f.arbitrator.receiveAddress(0).address }, signers: ['client', 'arbitrator'] }
  ]
  for (const { path: p, signers } of paths) {
    const { psbt, plan } = buildPayout(p, f.params)
    t.is(psbt.txInputs.length, 1)
    t.is(psbt.data.inputs[0].witnessScript?.length, 105)
    checkPsbt({ kind: 'payout', path: p, params: f.params }, psbt)
    const parts = signedBy(psbt, f, signers)
    for (const part of parts) checkPsbt({ kind: 'payout', path: p, params: f.params }, part)
    const done = finalize(combine(parts[0], parts[1]))
    t.alike(outputsOf(done.hex), plan.outputs.map(o => [o.address, o.valueSats]), `${p.kind}${p.kind === 'ruling' ? ' ' + p.winner : ''}: outputs as planned`)
    t.is(done.feeSats, plan.feeSats)
    t.ok(done.vsize <= plan.vsize && done.vsize >= plan.vsize - 1, `${p.kind}: vsize ${done.vsize}, estimate ${plan.vsize}`)
    t.ok(done.feeSats >= BigInt(done.vsize) * 3n, 'at least the fee rate')
    const w = bitcoin.Transaction.fromHex(done.hex).ins[0].witness
    t.is(w.length, 4, 'witness: dummy, 2 signatures, script')
    t.is(w[0].length, 0)
    t.alike(verifyTx(done.hex, [{ script: f.escrow.script.outputScript, value: f.escrow.valueSats }]), [])
    t.ok(plan.outputs.some(o => o.role === 'client') && plan.outputs.some(o => o.role === 'printer'), 'each party has its own output (CPFP)')
  }
  // the happy path in numbers: printer bounty + deposit − ½ fee, client deposit − ½ fee
  const { plan } = buildPayout({ kind: 'complete' }, f.params)
  t.is(plan.vsize, 177, 'a two-output payout is 177 vB')
  t.is(plan.requestedFeeSats, 531n)
  t.alike(plan.outputs.map(o => o.valueSats), [37_500n - 266n, 250_000n + 37_500n - 265n])
  // any two of the three keys: client + arbitrator on a complete payout works too
  const alt = signedBy(buildPayout({ kind: 'complete' }, f.params).psbt, f, ['arbitrator', 'client'])
  t.ok(finalize(combine(alt[0], alt[1])).hex.length > 0, 'client + arbitrator')
  // one signature is not enough
  const one = signedBy(buildPayout({ kind: 'complete' }, f.params).psbt, f, ['printer'])[0]
  throwsCode(t, () => finalize(one), 'PSBT_REFUSED', 'one signature cannot finalize')
})

test('refund: nLockTime height, sequence 0xfffffffe, each gets back what it put in minus its fee share', (t) => {
  const f = fixture()
  const lockHeight = 800_123
  const { psbt, plan } = buildRefund({ ...f.params, feeRate: 10, lockHeight })
  t.is(psbt.locktime, lockHeight)
  t.is(psbt.txInputs[0].sequence, SEQUENCE_REFUND)
  t.is(plan.outputs[0].valueSats, f.amounts.clientIn - plan.clientFeeSats)
  t.is(plan.outputs[1].valueSats, f.amounts.printerIn - plan.printerFeeSats)
  const expected = { kind: 'payout' as const, path: { kind: 'refund' as const }, params: { ...f.params, feeRate: 10, lockHeight } }
  const parts = signedBy(psbt, f, ['client', 'printer'])
  parts.forEach(p => checkPsbt(expected, p))
  const done = finalize(combine(...parts as [bitcoin.Psbt, bitcoin.Psbt]))
  const tx = bitcoin.Transaction.fromHex(done.hex)
  t.is(tx.locktime, lockHeight)
  t.is(tx.ins[0].sequence, 0xfffffffe)
  throwsCode(t, () => buildPayout({ kind: 'refund' }, f.params), 'BAD_ESCROW', 'a refund needs a lock height')
  throwsCode(t, () => buildRefund({ ...f.params, lockHeight: 500_000_000 }), 'BAD_ESCROW', 'a timestamp lock is refused')
})

test('checkPsbt refuses a changed output, a changed amount, an extra output, an inflated fee, another locktime', (t) => {
  const f = fixture()
  const path: PayoutPath = { kind: 'complete' }
  const expected = { kind: 'payout' as const, path, params: f.params }
  const { psbt } = buildPayout(path, f.params)
  const tx = unsignedTx(psbt)
  const thief = bitcoin.payments.p2wpkh({ pubkey: f.mediator.publicKey, network: rb }).address as string

  // rebuilds a PSBT from the good one with the outputs/locktime changed
  const variant = (mut: (outs: Array<{ script: Uint8Array, value: bigint }>) => void, locktime = psbt.locktime, sequence?: number): bitcoin.Psbt => {
    const p = new bitcoin.Psbt({ network: rb })
    p.setVersion(2)
    p.setLocktime(locktime)
    p.addInput({ hash: tx.ins[0].hash, index: tx.ins[0].index, sequence: sequence ?? tx.ins[0].sequence, witnessUtxo: psbt.data.inputs[0].witnessUtxo, witnessScript: psbt.data.inputs[0].witnessScript })
    const outs = psbt.txOutputs.map(o => ({ script: o.script, value: o.value }))
    mut(outs)
    for (const o of outs) p.addOutput(o)
    return p
  }
  let m = throwsCode(t, () => checkPsbt(expected, variant(o => { o[1].script = bitcoin.address.toOutputScript(thief, rb) })), 'PSBT_REFUSED', 'changed output address')
  t.ok(m.includes('output 1') && m.includes(thief) && m.includes('changed address'), m)
  m = throwsCode(t, () => checkPsbt(expected, variant(o => { o[0].value += 1000n; o[1].value -= 1000n })), 'PSBT_REFUSED', 'changed amounts')
  t.ok(m.includes('changed amount') && m.includes('(client)') && m.includes('(printer)'), m)
  m = throwsCode(t, () => checkPsbt(expected, variant(o => { o[1].value -= 10_000n; o.push({ script: bitcoin.address.toOutputScript(thief, rb), value: 10_000n }) })), 'PSBT_REFUSED', 'extra output')
  t.ok(m.includes('extra output 2') && m.includes(thief), m)
  m = throwsCode(t, () => checkPsbt(expected, variant(o => { o[1].value -= 200_000n })), 'PSBT_REFUSED', 'inflated fee')
  t.ok(m.includes('inflated fee') && m.includes('above the cap'), m)
  m = throwsCode(t, () => checkPsbt(expected, variant(() => {}, 900_000)), 'PSBT_REFUSED', 'other locktime')
  t.ok(m.includes('nLockTime 900000, expected 0'), m)
  m = throwsCode(t, () => checkPsbt(expected, variant(() => {}, 0, 0xffffffff)), 'PSBT_REFUSED', 'other sequence')
  t.ok(m.includes('sequence'), m)
  m = throwsCode(t, () => checkPsbt(expected, variant(o => { o.pop() })), 'PSBT_REFUSED', 'missing output')
  t.ok(m.includes('output 1 is missing'), m)
  // a refund with another lock height than agreed
  const refund = buildRefund({ ...f.params, lockHeight: 1000 }).psbt
  m = throwsCode(t, () => checkPsbt({ kind: 'payout', path: { kind: 'refund' }, params: { ...f.params, lockHeight: 2000 } }, refund), 'PSBT_REFUSED', 'refund lock height')
  t.ok(m.includes('nLockTime 1000, expected 2000'), m)
  // an agreed fee rate above the cap, and a signature with another sighash type
  m = throwsCode(t, () => checkPsbt({ ...expected, params: { ...f.params, feeRate: 900 } }, psbt), 'PSBT_REFUSED', 'agreed fee rate above the cap')
  t.ok(m.includes('above the cap of 500'), m)
  const anyone = bitcoin.Psbt.fromBase64(psbt.toBase64(), { network: rb })
  const none = bitcoin.Transaction.SIGHASH_NONE | bitcoin.Transaction.SIGHASH_ANYONECANPAY
  anyone.updateInput(0, { sighashType: none })
  anyone.signInput(0, f.printer.escrowKey(JOB, 'printer'), [none])
  throwsCode(t, () => signInputs(bitcoin.Psbt.fromBase64(anyone.toBase64(), { network: rb }), f.client.escrowKey(JOB, 'client'), [0]), 'PSBT_REFUSED', 'signInputs will not sign SIGHASH_NONE')
  m = throwsCode(t, () => checkPsbt(expected, anyone), 'PSBT_REFUSED', 'SIGHASH_NONE signature refused')
  t.ok(m.includes('SIGHASH_ALL'), m)
  // an untouched PSBT passes and reports its fee
  const ok = checkPsbt(expected, psbt)
  t.is(ok.feeSats, 531n)
})

test('a mediator key plus one party cannot spend the escrow', (t) => {
  const f = fixture()
  const p: PayoutPath = { kind: 'split', printerPct: 100n, mediatorFeeSats: 0n, mediatorAddress: '' }
  const { psbt } = buildPayout(p, f.params)
  // bitcoinjs will not even sign with a key that is not in the script
  const m0 = bitcoin.Psbt.fromBase64(psbt.toBase64(), { network: rb })
  t.exception(() => m0.signInput(0, f.mediator), /Can not sign for this input/, 'the mediator\'s key is not in the script')
  // a valid signature by the mediator over the right sighash, forced into the PSBT next to the printer's
  const tx = unsignedTx(psbt)
  const hash = tx.hashForWitnessV0(0, f.escrow.script.witnessScript, f.escrow.valueSats, bitcoin.Transaction.SIGHASH_ALL)
  const medSig = bitcoin.script.signature.encode(f.mediator.sign(hash), bitcoin.Transaction.SIGHASH_ALL)
  const forged = signedBy(psbt, f, ['printer'])[0]
  forged.updateInput(0, { partialSig: [{ pubkey: f.mediator.publicKey, signature: medSig }] })
  t.is(forged.data.inputs[0].partialSig?.length, 2, 'two signatures present')
  const m = throwsCode(t, () => finalize(forged), 'PSBT_REFUSED', 'the finalizer refuses')
  t.ok(m.includes('1 of the 3 escrow keys') && m.includes('not in the escrow script'), m)
  const m2 = throwsCode(t, () => checkPsbt({ kind: 'payout', path: p, params: f.params }, forged), 'PSBT_REFUSED', 'checkPsbt flags the foreign signature')
  t.ok(m2.includes('not in the escrow script'), m2)
  // and a hand-made witness with the mediator's signature fails the script check (CHECKMULTISIG semantics)
  const printerSig = forged.data.inputs[0].partialSig?.find(s => !Buffer.from(s.pubkey).equals(Buffer.from(f.mediator.publicKey)))?.signature as Uint8Array
  const keys = f.escrow.script.pubkeys.map(toHex)
  const printerFirst = keys.indexOf(toHex(f.printer.escrowPubkey(JOB, 'printer')))
  for (const order of [[printerSig, medSig], [medSig, printerSig]]) {
    const bad = tx.clone()
    bad.setWitness(0, [new Uint8Array(0), ...order, f.escrow.script.witnessScript])
    const errs = verifyTx(bad, [{ script: f.escrow.script.outputScript, value: f.escrow.valueSats }])
    t.is(errs.length, 1, `mediator + printer (printer key #${printerFirst}) fails: ${errs[0]}`)
  }
  // the same transaction with the client's signature instead is valid
  const good = combine(signedBy(psbt, f, ['printer'])[0], signedBy(psbt, f, ['client'])[0])
  t.ok(finalize(good).hex.length > 0, 'client + printer can')
  t.ok(witnessToBytes([new Uint8Array(0)]).length === 2)
})

test('sizes: the weights used for fees match real transactions', (t) => {
  t.is(WEIGHT.p2wpkhInput / 4, 68, 'P2WPKH input 68 vB')
  t.is(WEIGHT.escrowInput / 4, 104.5, 'P2WSH 2-of-3 input 104.5 vB')
  const f = fixture(1_000_000n, 1)
  for (let n = 0; n < 20; n++) {
    const { psbt, plan } = buildPayout({ kind: 'ruling', winner: 'client', arbitratorAddress: f.arbitrator.receiveAddress(n).address }, f.params)
    const parts = signedBy(psbt, f, ['client', 'arbitrator'])
    const done = finalize(combine(parts[0], parts[1]))
    t.ok(done.vsize <= plan.vsize && done.vsize >= plan.vsize - 1, `estimate ${plan.vsize} vB, real ${done.vsize} vB (weight ${done.weight})`)
  }
})

// --- on chain ----------------------------------------------------------------------------------------------------

test('on chain (bcoin regtest): joint funding from two wallets, confirmed, happy-path payout, balances', { timeout: 120_000 }, async (t) => {
  const chain = await startRegtest(t)
  const net = chain.network
  t.is(net.bech32, 'rb', 'bcoin regtest prefixes')
  const backend = chain.backend
  const client = Wallet.generate({ network: net })
  const printer = Wallet.generate({ network: net })
  const arbitrator = Wallet.generate({ network: net })
  const jobId = 'ybndrfg8ejkmcpqxot1uwisza3'

  await chain.fund((await client.nextReceiveAddress()).address, 300_000n)
  await chain.fund((await client.nextReceiveAddress()).address, 100_000n)
  await chain.fund((await printer.nextReceiveAddress()).address, 60_000n)
  await chain.mine(1)
  t.alike(await client.balance(backend), { confirmedSats: 400_000n, unconfirmedSats: 0n }, 'client funded')
  t.alike(await printer.balance(backend), { confirmedSats: 60_000n, unconfirmedSats: 0n }, 'printer funded')

  const amounts = escrowAmounts({ bountySats: 250_000n })
  const feeRate = await backend.feeRate(2)
  const script = escrowScript({ client: client.escrowPubkey(jobId, 'client'), printer: printer.escrowPubkey(jobId, 'printer'), arbitrator: arbitrator.escrowPubkey(jobId, 'arbitrator') })
  const cSel = selectFundingCoins(await client.listUtxos(backend), 'client', amounts, feeRate)
  const pSel = selectFundingCoins(await printer.listUtxos(backend), 'printer', amounts, feeRate)
  const funding: FundingParams = {
    clientUtxos: cSel.utxos,
    printerUtxos: pSel.utxos,
    clientChange: (await client.nextChangeAddress()).address,
    printerChange: (await printer.nextChangeAddress()).address,
    escrow: script,
    amounts,
    feeRate,
    network: net
  }
  const { psbt, plan } = buildFunding(funding)
  const escrow = escrowUtxoOf(psbt, script)
  const payoutParams: PayoutTxParams = { escrow, amounts, clientAddress: (await client.nextReceiveAddress()).address, printerAddress: (await printer.nextReceiveAddress()).address, feeRate, network: net }
  // the refund is signed by both before the funding is
  const tip = await backend.tipHeight()
  const refundParams = { ...payoutParams, lockHeight: tip + 144 }
  const refund = buildRefund(refundParams).psbt
  const rc = bitcoin.Psbt.fromBase64(refund.toBase64(), { network: net }); client.signEscrow(rc, jobId, 'client')
  const rp = bitcoin.Psbt.fromBase64(refund.toBase64(), { network: net }); checkPsbt({ kind: 'payout', path: { kind: 'refund' }, params: refundParams }, rc); printer.signEscrow(rp, jobId, 'printer')
  const refundTx = finalize(combine(rc, rp))

  const fc = bitcoin.Psbt.fromBase64(psbt.toBase64(), { network: net })
  const fp = bitcoin.Psbt.fromBase64(psbt.toBase64(), { network: net })
  checkPsbt({ kind: 'funding', params: funding }, fc); client.signPsbt(fc)
  checkPsbt({ kind: 'funding', params: funding }, fp); printer.signPsbt(fp)
  const fundingTx = finalize(combine(fc, fp))
  t.is(await backend.broadcast(fundingTx.hex), fundingTx.txid, 'funding broadcast')
  await t.exception(backend.broadcast(refundTx.hex), undefined, 'the refund is not valid before its lock height')
  await chain.mine(1)
  const st = await backend.txStatus(fundingTx.txid)
  t.ok(st.confirmed, 'funding confirmed')

  const payout = buildPayout({ kind: 'complete' }, payoutParams)
  const pc = bitcoin.Psbt.fromBase64(payout.psbt.toBase64(), { network: net })
  const pp = bitcoin.Psbt.fromBase64(payout.psbt.toBase64(), { network: net })
  checkPsbt({ kind: 'payout', path: { kind: 'complete' }, params: payoutParams }, pc); client.signEscrow(pc, jobId, 'client')
  checkPsbt({ kind: 'payout', path: { kind: 'complete' }, params: payoutParams }, pp); printer.signEscrow(pp, jobId, 'printer')
  const payoutTx = finalize(combine(pc, pp))
  t.is(await backend.broadcast(payoutTx.hex), payoutTx.txid, 'payout broadcast')
  await chain.mine(1)
  t.ok((await backend.txStatus(payoutTx.txid)).confirmed, 'payout confirmed')
  t.alike(await backend.outspend(escrow.txid, escrow.vout), { txid: payoutTx.txid, confirmed: true }, 'the escrow output is spent by the payout')

  const cBal = await client.balance(backend)
  const pBal = await printer.balance(backend)
  const cPay = payout.plan.outputs.find(o => o.role === 'client')?.valueSats ?? 0n
  const pPay = payout.plan.outputs.find(o => o.role === 'printer')?.valueSats ?? 0n
  t.is(cBal.confirmedSats, 400_000n - plan.client.inputSats + plan.client.changeSats + cPay, `client: ${cBal.confirmedSats} sats`)
  t.is(pBal.confirmedSats, 60_000n - plan.printer.inputSats + plan.printer.changeSats + pPay, `printer: ${pBal.confirmedSats} sats`)
  t.is(pPay, 250_000n + 37_500n - payout.plan.printerFeeSats, 'the printer got the bounty and its deposit, less its fee share')
  t.is(cBal.unconfirmedSats + pBal.unconfirmedSats, 0n)
})
