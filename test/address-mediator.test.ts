// The sealed shipping address (README "A sealed shipping address") and the job's mediator: "readable by the
// mediator/arbitrator only if a dispute opens". test/hostile-quotes.test.ts ('hostile address') shows the arbitrator
// reading it once a dispute is open; this is the same for the mediator the dispute picks. Five real Autobase peers of
// a market with escrow on regtest (no node: the escrow is driven with raw ops signed by real keys, test/escrow-raw.ts):
// the creator (indexer and arbitrator), the client, the printer, a mediator the creator names and that registers, and
// another peer. Every one of them publishes its chat key before the address is written.
import test from 'brittle'
import b4a from 'b4a'
import c from 'compact-encoding'
import { openMarkets, eventually } from './helpers.js'
import { Hostile, admitted, faults } from './hostile.js'
import { escrowParties } from './escrow-fixture.js'
import { escrowTo, postRaw, waitJob } from './escrow-raw.js'
import { OP, DEFAULT_SETTINGS, addressPlaintext, type MarketSettings } from '../lib/schema.js'
import { getAddress } from '../lib/market/address.js'
import { getSettings } from '../lib/market/view.js'
import { getMediators } from '../lib/disputes/apply.js'
import { publishChatKey, writingKey, grantDue, conversationKeys } from '../lib/chat/chat.js'
import { grantsFor } from '../lib/chat/view.js'
import { chatRoleOf, chatParticipants } from '../lib/chat/roles.js'
import { encrypt, decrypt } from '../lib/chat/crypto.js'
import type { Market } from '../lib/market/market.js'

// Polls until `fn` holds; throws on timeout.
async function must (what: string, fn: () => Promise<boolean>): Promise<void> {
  if (!(await eventually(fn, 30_000, 200))) throw new Error(`timed out waiting for ${what}`)
}

const ADDRESS = { name: 'Bob Builder', street: 'Kastanienallee 77', city: 'Berlin', postcode: '10435', country: 'DE', phone: null }

test('address: the job\'s mediator reads the sealed address only once the dispute opens and a party\'s peer grants it the key; another peer never does', { timeout: 180_000 }, async (t) => {
  const f = escrowParties('address mediator')
  const { peers } = await openMarkets(t, 5, { ackInterval: 100 })
  const ms = peers.map(p => p.market)
  await admitted(ms)
  const [arb, clientM, printerM, medM, otherM] = ms
  const settings: MarketSettings = { ...DEFAULT_SETTINGS, chain: 'regtest', arbitrators: [{ id: arb.writerKey, pubkey: f.arbitrator.publicKey }], mediators: [medM.writerKey] }
  await arb.append({ type: OP.MARKET_SETTINGS, settings })
  for (const m of ms) {
    if (!(await eventually(async () => { await m.update(); return (await getSettings(m.view)).mediators.length === 1 }, 30_000))) throw new Error('the settings did not replicate')
  }
  await medM.append({ type: OP.MEDIATOR_REGISTER, feePct: 2 })
  for (const m of ms) {
    if (!(await eventually(async () => { await m.update(); return (await getMediators(m.view)).length === 1 }, 30_000))) throw new Error('the mediator did not register')
  }
  for (const m of ms) await publishChatKey(m)
  const before = faults()

  const client = new Hostile(clientM)
  const printer = new Hostile(printerM)
  const id = await postRaw(client)
  await escrowTo('active', client, printer, id, f)
  // the client seals the address as `job address` does: under the conversation key it writes with
  const { keyId, key } = await writingKey(clientM, (await clientM.getJob(id))!.job)
  const { nonce, ciphertext } = encrypt(c.encode(addressPlaintext, { author: clientM.writerKey, jobId: id, address: ADDRESS }), key)
  await clientM.append({ type: OP.JOB_ADDRESS, jobId: id, keyId, nonce, ciphertext })
  const kid = b4a.toString(keyId, 'hex')
  const held = async (m: Market): Promise<boolean> => (await conversationKeys(m, id)).has(kid)
  const street = async (m: Market): Promise<string | null> => {
    const rec = await getAddress(m.view, id)
    const k = (await conversationKeys(m, id)).get(kid)
    if (rec === null || k === undefined) return null
    const plain = decrypt(rec.nonce, rec.ciphertext, k)
    return plain === null ? null : c.decode(addressPlaintext, plain).address.street
  }
  const noWrap = async (m: Market, reader: Market): Promise<boolean> => (await grantsFor(m.view, id, keyId, reader.writerKey)).length === 0

  // before any dispute: the printer reads it; the mediator, the arbitrator and the other peer hold its ciphertext only
  await must('the printer to read the address', async () => { await printerM.update(); return (await street(printerM)) === ADDRESS.street })
  t.pass('the printer reads the address')
  for (const m of [clientM, printerM]) {
    await must('the address at each party', async () => { await m.update(); return (await getAddress(m.view, id)) !== null })
    t.is(await grantDue(m, (await m.getJob(id))!.job), 0, 'a party\'s peer has nothing more to grant before a dispute: the mediator is due nothing')
    t.ok(await noWrap(m, medM), 'its view holds no wrap of the key for the mediator')
  }
  await must('the address at the mediator', async () => { await medM.update(); return (await getAddress(medM.view, id)) !== null })
  const job0 = (await medM.getJob(id))!.job
  t.is(job0.status, 'active', 'no dispute yet')
  t.is(chatRoleOf(job0, medM.writerKey), null, 'the named, registered mediator is no participant of the job\'s chat yet')
  t.alike(chatParticipants(job0).length, 2, 'the chat is the client\'s and the printer\'s')
  t.ok((await getAddress(medM.view, id)) !== null, 'the mediator\'s view holds the sealed address')
  t.absent(await held(medM), 'but no key of its conversation')
  t.is(await street(medM), null, 'so the mediator cannot read it before a dispute')
  t.ok(await noWrap(medM, medM), 'no party\'s peer sealed the key to the mediator')
  t.absent(b4a.includes((await getAddress(medM.view, id))!.ciphertext, b4a.from('Kastanienallee')), 'its view holds ciphertext only')
  t.is(await grantDue(medM, job0), 0, 'and the mediator\'s own peer has nothing to grant')

  // the client opens a dispute: the pick names the mediator, and the parties' peers seal the key to it
  await clientM.append({ type: OP.JOB_DISPUTE, jobId: id, reason: 'never arrived' })
  const disputed = await waitJob(medM, id, j => j.status === 'disputed', 'the dispute at the mediator')
  t.ok(disputed.dispute?.mediator != null && b4a.equals(disputed.dispute.mediator, medM.writerKey), 'the dispute picked the registered mediator')
  t.is(chatRoleOf(disputed, medM.writerKey), 'mediator', 'which is now a participant of the chat')
  t.is(chatRoleOf(disputed, otherM.writerKey), null, 'the other peer is not')
  t.absent(await held(medM), 'the dispute alone gives the mediator no key')
  await waitJob(clientM, id, j => j.status === 'disputed', 'the client sees the dispute')
  t.ok(await grantDue(clientM, (await clientM.getJob(id))!.job) > 0, 'now the client\'s peer seals the conversation key to the mediator (and the arbitrator)')
  await must('the mediator to hold the key', async () => { await medM.update(); return await held(medM) })
  t.pass('the mediator holds the conversation key')
  t.is(await street(medM), ADDRESS.street, 'and the mediator reads the address')
  const plain = decrypt((await getAddress(medM.view, id))!.nonce, (await getAddress(medM.view, id))!.ciphertext, (await conversationKeys(medM, id)).get(kid)!)
  t.alike(c.decode(addressPlaintext, plain!).address, ADDRESS, 'all of it, as the client gave it')

  // the other peer: never a reader, whatever the parties' peers grant
  await waitJob(printerM, id, j => j.status === 'disputed', 'the printer sees the dispute')
  await grantDue(printerM, (await printerM.getJob(id))!.job)
  await must('the other peer to see the dispute and the grants', async () => { await otherM.update(); return !(await noWrap(otherM, medM)) && (await otherM.getJob(id))?.job.status === 'disputed' })
  t.ok((await getAddress(otherM.view, id)) !== null, 'the other peer\'s view holds the sealed address')
  t.ok(await noWrap(otherM, otherM), 'no wrap of the key names the other peer')
  t.absent(await held(otherM), 'it holds no key of the conversation')
  t.is(await street(otherM), null, 'and cannot read the address, before or after the dispute')
  t.is(await grantDue(otherM, (await otherM.getJob(id))!.job), 0, 'its own peer cannot grant itself anything')
  t.is(faults(), before, 'no handler threw')
})
