// Quotes and offers on the command line (issue 15): a client, two printers and a seeder, separate processes with
// separate storages on a local testnet. The client posts a job open to quotes, both printers quote, the client
// takes one quote, then counters the other printer, who accepts: the deal is made at the counter-offer's price.
import test from 'brittle'
import path from 'path'
import { tmpDir, testnet, eventually, p2print, startSeed } from './helpers.js'

test('cli: quotes, taking a quote, a counter-offer and the accept that makes the deal', { timeout: 300_000 }, async (t) => {
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const bootstrap = tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')
  const peer = (name: string): string[] => ['--storage', path.join(dir, name), '--bootstrap', bootstrap, '--sync-timeout', '15']
  const [A, B, C, D] = [peer('a'), peer('b'), peer('c'), peer('d')]

  const key: string = (await p2print([...A, '--json', 'market', 'create', '--admission-bits', '8', '--name', 'quotes'])).json.key
  const seed = startSeed(t, A)
  t.ok(await eventually(() => seed.lines.some(l => l.tag === 'seeding'), 30_000), 'seed started')
  for (const p of [B, C, D]) t.is((await p2print([...p, 'market', 'join', key])).code, 0, 'joins')
  const cId: string = (await p2print([...C, '--json', 'id'])).json.id
  const dId: string = (await p2print([...D, '--json', 'id'])).json.id

  const noBounty = await p2print([...B, '--json', 'job', 'create', '--title', 'Bracket', '--material', 'PLA', '--country', 'DE'])
  t.is(noBounty.json?.error?.code, 'BAD_ARGUMENT', 'without --quotes a job needs a bounty')
  t.ok(/--quotes/.test(noBounty.stderr), 'and the message names --quotes')
  const post = await p2print([...B, '--json', 'job', 'create', '--quotes', '--title', 'Bracket', '--material', 'PLA', '--country', 'DE'])
  t.is(post.code, 0, 'the client posts a job open to quotes, with no bounty')
  const id: string = post.json.id
  t.alike([post.json.openToQuotes, post.json.bountySats, post.json.quotes, post.json.offer], [true, 0, 0, null])

  const asPosted = await p2print([...C, '--json', 'job', 'accept', id])
  t.is(asPosted.json?.error?.code, 'NOT_ALLOWED', 'a job open to quotes is not accepted as posted')
  t.ok(/job quote/.test(asPosted.stderr), 'the message says how to quote')

  for (const [args, code, what] of [
    [['--price', 'abc', '--days', '5'], 'BAD_ARGUMENT', 'a price that is not BTC'],
    [['--price', '0', '--days', '5'], 'BAD_ARGUMENT', 'a price of 0'],
    [['--price', '0.0004', '--days', '0'], 'BAD_ARGUMENT', 'a lead time of 0 days'],
    [['--price', '0.0004', '--days', '366'], 'BAD_ARGUMENT', 'a lead time over a year'],
    [['--price', '0.0004'], 'BAD_ARGUMENT', 'no lead time']
  ] as Array<[string[], string, string]>) {
    const r = await p2print([...C, '--json', 'job', 'quote', id, ...args])
    t.is(r.json?.error?.code, code, `refused: ${what}`)
  }
  const own = await p2print([...B, '--json', 'job', 'quote', id, '--price', '0.0001', '--days', '1'])
  t.is(own.json?.error?.code, 'NOT_ALLOWED', 'the client cannot quote its own job')

  const qc = await p2print([...C, '--json', 'job', 'quote', id, '--price', '0.0004', '--days', '5', '--note', 'printed at 0.2 mm'])
  t.is(qc.code, 0, 'printer C quotes')
  t.is(qc.json.quotes, 1)
  const qd = await p2print([...D, '--json', 'job', 'quote', id, '--price', '0.00035', '--days', '9', '--material', 'petg', '--color', 'black'])
  t.is(qd.code, 0, 'printer D quotes, proposing PETG in black')

  const listed = await p2print([...B, '--json', 'job', 'quotes', id])
  t.is(listed.code, 0)
  t.alike(listed.json.quotes.map((q: any) => [q.n, q.printer, q.priceSats, q.leadDays, q.material]), [[1, dId, 35_000, 9, 'PETG'], [2, cId, 40_000, 5, null]], 'the client sees both quotes, cheapest first')
  t.is(listed.json.quotes[1].note, 'printed at 0.2 mm')
  t.ok(listed.json.quotes.every((q: any) => typeof q.record?.asPrinter?.completed === 'number'), 'each with the printer\'s record')
  const text = await p2print([...B, 'job', 'quotes', id])
  t.ok(text.stdout.includes('0.00035 BTC, 9 days') && text.stdout.includes('proposes PETG — black'), 'the text form lists them')

  const bad = await p2print([...B, '--json', 'job', 'take-quote', id, '3'])
  t.is(bad.json?.error?.code, 'BAD_ARGUMENT', 'there is no quote 3')
  const take = await p2print([...B, '--json', 'job', 'take-quote', id, '2'])
  t.is(take.code, 0, 'the client takes C\'s quote')
  t.alike([take.json.offer?.printer, take.json.offer?.priceSats, take.json.offer?.leadDays], [cId, 40_000, 5])

  const notOffered = await p2print([...D, '--json', 'job', 'accept', id])
  t.is(notOffered.json?.error?.code, 'NOT_ALLOWED', 'D may not accept: the offer is to C')

  const counter = await p2print([...B, '--json', 'job', 'offer', id, dId.slice(0, 8), '--price', '0.0003', '--days', '8'])
  t.is(counter.code, 0, 'the client counters D\'s quote (by a prefix of its id)')
  t.alike([counter.json.offer?.printer, counter.json.offer?.priceSats, counter.json.offer?.leadDays, counter.json.offer?.material], [dId, 30_000, 8, 'PETG'])
  const late = await p2print([...C, '--json', 'job', 'accept', id])
  t.is(late.json?.error?.code, 'NOT_ALLOWED', 'C\'s offer is gone: it may not accept')

  const deal = await p2print([...D, '--json', 'job', 'accept', id])
  t.is(deal.code, 0, 'D accepts the counter-offer')
  t.alike([deal.json.status, deal.json.printer, deal.json.bountySats, deal.json.leadDays, deal.json.material, deal.json.colors, deal.json.offer], ['active', dId, 30_000, 8, 'PETG', ['black'], null], 'the deal is made at the counter-offer: 0.0003 BTC, 8 days, PETG in black')
  const shown = await p2print([...C, 'job', 'show', id])
  t.ok(/lead time 8 days/.test(shown.stdout), 'job show says the agreed lead time')

  const after = await p2print([...C, '--json', 'job', 'quote', id, '--price', '0.0001', '--days', '1'])
  t.is(after.json?.error?.code, 'BAD_TRANSITION', 'no quote on a job that is no longer open')
  const withdrawn = await p2print([...C, '--json', 'job', 'withdraw-quote', id])
  t.is(withdrawn.json?.error?.code, 'BAD_TRANSITION', 'nor a withdrawal')
})

test('cli: a printer withdraws its quote, which declines the offer standing to it', { timeout: 240_000 }, async (t) => {
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const bootstrap = tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')
  const peer = (name: string): string[] => ['--storage', path.join(dir, name), '--bootstrap', bootstrap, '--sync-timeout', '15']
  const [A, B, C] = [peer('a'), peer('b'), peer('c')]
  const key: string = (await p2print([...A, '--json', 'market', 'create', '--admission-bits', '8', '--name', 'quotes 2'])).json.key
  const seed = startSeed(t, A)
  t.ok(await eventually(() => seed.lines.some(l => l.tag === 'seeding'), 30_000), 'seed started')
  for (const p of [B, C]) t.is((await p2print([...p, 'market', 'join', key])).code, 0, 'joins')

  const id: string = (await p2print([...B, '--json', 'job', 'create', '--title', 'Hinge', '--material', 'PLA', '--bounty', '0.0005', '--country', 'FR'])).json.id
  t.is((await p2print([...C, '--json', 'job', 'quote', id, '--price', '0.0006', '--days', '3'])).code, 0, 'C quotes above the bounty')
  t.is((await p2print([...B, '--json', 'job', 'take-quote', id, '1'])).json.offer?.priceSats, 60_000, 'the client takes it')
  const gone = await p2print([...C, '--json', 'job', 'withdraw-quote', id])
  t.is(gone.code, 0, 'C withdraws its quote')
  t.alike([gone.json.quotes, gone.json.offer], [0, null], 'no live quote, no offer standing')
  const none = await p2print([...B, '--json', 'job', 'withdraw-offer', id])
  t.is(none.json?.error?.code, 'NOT_ALLOWED', 'no offer left to take back')
  const asPosted = await p2print([...C, '--json', 'job', 'accept', id])
  t.is(asPosted.code, 0, 'the job is not open to quotes: C accepts it as posted')
  t.is(asPosted.json.bountySats, 50_000, 'at the posted bounty')
})
