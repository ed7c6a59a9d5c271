// Quotes, offers and the shipping address through the app's session (lib/app/quotes.ts, job-tools.ts, job-list.ts)
// on real sessions over a local testnet: what the app's screens call, on the real stack (the screens themselves run
// against a fake core in test/ui-quotes.test.tsx).
import test from 'brittle'
import path from 'path'
import { tmpDir, testnet, eventually } from './helpers.js'
import { AppSession } from '../lib/app.js'

async function waitFor (what: string, fn: () => Promise<boolean>, ms = 60_000): Promise<void> {
  if (!(await eventually(async () => { try { return await fn() } catch { return false } }, ms, 200))) throw new Error(`timed out waiting for ${what}`)
}

test('app session: post open to quotes, quote, see it in My jobs, counter, accept, give and read the address', { timeout: 240_000 }, async (t) => {
  const tn = await testnet(t)
  const root = await tmpDir(t)
  const open = async (name: string): Promise<AppSession> => {
    const s = await AppSession.open({ storage: path.join(root, name), bootstrap: tn.bootstrap, syncTimeoutMs: 2000 })
    t.teardown(() => s.close(), { order: 5 })
    return s
  }
  const client = await open('client')
  const printer = await open('printer')
  await client.createMarket('Quotes app')
  const key = (await client.markets.detail()).key
  await printer.joinMarket(key)
  await waitFor('the printer to read the market', async () => (await printer.markets.detail()).name === 'Quotes app')

  const draft = { title: 'Knob', material: 'PLA', colors: '', bounty: 'quotes', country: 'DE', notes: '', file: '' }
  t.alike(client.validateDraft(draft), {}, 'a bounty of `quotes` is a valid post form')
  const id = await client.createJob(draft)
  const posted = await client.getJob(id)
  t.alike([posted.job.openToQuotes, posted.job.bountySats], [true, 0], 'posted open to quotes, with no bounty')

  await waitFor('the printer to see the job', async () => (await printer.getJob(id)).job.status === 'open')
  t.ok(printer.quotes.validate({ price: '0', days: '5', note: '' }).price !== undefined, 'a price of 0 is refused by the form')
  t.ok(printer.quotes.validate({ price: '0.0004', days: '0', note: '' }).days !== undefined, 'so is a lead time of 0 days')
  await printer.quotes.quote(id, { price: '0.0004', days: '6', note: 'matte' })
  const mine = await printer.quotes.list(id)
  t.alike([mine.role, mine.mine?.priceSats, mine.mine?.leadDays, mine.mine?.note], ['other', 40_000, 6, 'matte'], 'the printer sees its own quote')
  t.ok((await printer.myJobs()).quoted?.some(r => r.id === id), 'My jobs lists it under the jobs it quoted')

  await waitFor('the client to see the quote', async () => (await client.quotes.list(id)).quotes.length === 1)
  const seen = await client.quotes.list(id)
  t.is(seen.role, 'client')
  t.is(typeof seen.quotes[0].record.asPrinter.completed, 'number', 'with the printer\'s record')
  t.ok((await client.myJobs()).asClient.some(g => g.rows.some(r => r.id === id && r.quotes === 1)), 'the client\'s My jobs counts its quotes')
  await t.exception(client.quotes.take(id, { ...seen.quotes[0], revision: 7 }), /changed since you looked/, 'a quote that changed since the screen showed it is not taken')
  await client.quotes.counter(id, seen.quotes[0], { price: '0.00035', days: '', note: '' })
  t.alike([(await client.quotes.list(id)).offer?.priceSats, (await client.quotes.list(id)).offer?.leadDays], [35_000, 6], 'a counter-offer at 0.00035 BTC, the quote\'s 6 days')

  await waitFor('the printer to see the offer', async () => (await printer.myJobs()).needsAction.some(r => r.id === id && r.offerToMe === true))
  t.pass('the offer waits for the printer in My jobs')
  const accepted = await printer.act(id, 'accept')
  t.alike([accepted.status, accepted.bountySats, accepted.leadDays], ['active', 35_000, 6], 'the printer accepts: the deal at the counter-offer')

  await waitFor('the client to see the job active', async () => (await client.getJob(id)).job.status === 'active')
  const addr = { name: 'Ada', street: 'Rue 1', city: 'Lyon', postcode: '69001', country: 'FR', phone: '' }
  t.ok(client.jobTools.validateAddress({ ...addr, country: 'France' }).country !== undefined, 'a bad country is refused by the form')
  await client.jobTools.setAddress(id, addr)
  await waitFor('the printer to read the address', async () => (await printer.jobTools.address(id)).address?.city === 'Lyon')
  t.alike((await printer.jobTools.address(id)).address, { ...addr, phone: null }, 'the printer reads the address the client gave')
})
