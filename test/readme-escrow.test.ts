// The README's money walk-throughs, run as written (test/readme-walk.ts reads them from README.md): "Wallet" (a
// regtest node with a faucet, an address, a payment, the recovery phrase restored elsewhere), "Escrow" (an
// arbitrator, a funded job shipped and completed) and its "Mediation" (a mediator named, registered and picked; a
// split proposed, accepted by both sides and paid). test/readme-chat.test.ts runs the chat and the ruling.
import test from 'brittle'
import { Walk, readmeSection, fundHook, escrowFunding } from './readme-walk.js'

test('README: wallet, escrow and mediation, as written', { timeout: 600_000 }, async (t) => {
  // the ruling line fails here, as its comment says: both sides accepted the proposal
  const walk = await Walk.create(t, { syncTimeout: 3, hooks: [fundHook], fails: [{ match: /dispute rule/, code: 1, says: /only after the mediation has failed/ }] })
  await walk.guard(async () => {
    // the market of "Three peers on one machine": its DHT, Alice's market and seeder, Bob and Carol
    await walk.lines(readmeSection('Three peers on one machine').filter(l => /npx \. testnet|^alias|market (create|join)|seed\s*(#|$)/.test(l.text)))

    await walk.lines(readmeSection('Wallet'))
    const phrase = walk.mnemonic
    await walk.command(['p2', '--storage', '/tmp/new', 'wallet', 'mnemonic'], 'after README\'s `wallet restore`')
    t.ok(phrase !== null && walk.mnemonic === phrase, '/tmp/new holds the wallet restored from Bob\'s phrase')

    await walk.lines(readmeSection('Escrow'))
    t.is(await walk.payout('complete'), 'complete', '"the payout is broadcast" and confirmed')
    // the Mediation block disputes a funded job: the Escrow block's lines again, from `job create` to funded
    await walk.lines(escrowFunding())
    await walk.lines(readmeSection('Mediation'))
    t.is(await walk.payout('split'), 'split', '"both accepted → the split is paid"')
    await walk.stop()
  })
})
