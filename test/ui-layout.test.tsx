// The app at 80×24 and at a large size: every frame shorter than the terminal and no wider (a taller one scrolls the
// header off and leaves stale lines), with the header, the screen's main content and its key line on screen.
import test from 'brittle'
import { openTerm, fake, fits, KEY, ADDRESS, ME, OTHER, type Term, type FakeJob } from './fixtures/term.js'

const SIZES: Array<[number, number]> = [[80, 24], [150, 45]]

function checkFits (t: { is: (a: unknown, b: unknown, m: string) => void, comment: (m: string) => void }, term: Term, columns: number, rows: number, what: string): void {
  const bad = fits(term.frame(), columns, rows)
  t.is(bad, null, `${what}: fits ${columns}×${rows}`)
  if (bad !== null) t.comment(term.frame())
}

for (const [columns, rows] of SIZES) {
  test(`layout ${columns}×${rows}: market, job page with the model drawn, post form, wallet`, async (t) => {
    const core = fake(40)
    // the page size the app is started with (ui/run.tsx)
    const term = openTerm(core, columns, rows, Math.max(5, rows - 12))
    t.teardown(() => term.unmount())

    let f = await term.until(f => f.includes('Part 1:'))
    t.ok(f.startsWith('p2print · Market'), 'market: header on the first line')
    t.ok(f.includes('↑↓ select') && f.includes('Enter open'), 'market: key line')
    t.ok(f.split('\n').filter(l => /Part \d+:/.test(l)).length >= Math.min(rows - 12, 10), 'market: a page of rows, one line each')
    checkFits(t, term, columns, rows, 'market')

    await term.keys(KEY.down, KEY.enter)
    f = await term.until(f => f.includes('Actions') && f.includes('accept'))
    t.ok(f.startsWith('p2print · Job') && f.includes('v view model'), 'job page: header and key line with v')
    checkFits(t, term, columns, rows, 'job page')
    await term.keys('v')
    f = await term.until(f => f.includes('v hides the preview'))
    t.ok(f.includes('TOP'), 'job page: the top of the drawing is on screen')
    t.ok(f.startsWith('p2print · Job') && f.includes('accept') && f.includes('v hide model'), 'job page with the model: header, actions and key line stay')
    checkFits(t, term, columns, rows, 'job page with the model')
    const width = Number(core.calls.find(c => c.startsWith('preview'))?.split(' ')[2])
    t.ok(width <= columns - 4 && Math.round(width / 2) <= rows - 8, `the drawing was asked for at a size that fits (${width} columns)`)

    await term.keys('p')
    f = await term.until(f => f.includes('Post a job') && f.includes('model file'))
    await term.keys(KEY.ctrlS)
    f = await term.until(f => f.includes('fix the title first'))
    t.ok(f.startsWith('p2print · Post a job') && f.includes('Ctrl-S post'), 'post form: header and key line')
    t.ok(['title', 'material', 'colours', 'bounty BTC', 'country', 'notes', 'model file'].every(l => f.includes(l)), 'post form: every field, with the errors of a refused post')
    checkFits(t, term, columns, rows, 'post form with errors')
    await term.keys(KEY.esc)
    await term.until(f => f.includes('p2print · Job'))

    await term.keys('w')
    f = await term.until(f => f.includes(ADDRESS) && f.includes('Your escrows'))
    t.ok(f.startsWith('p2print · Wallet') && f.includes('Tab send'), 'wallet: header and key line')
    t.ok(f.includes('0.015 BTC confirmed') && f.includes(`bitcoin:${ADDRESS}`), 'wallet: balance, address and URI')
    const qr = /[█▀▄]{7}/.test(f)
    if (rows >= 40) t.ok(qr, 'wallet: the QR code beside the address on a large terminal')
    else t.ok(!qr && f.includes('c QR code'), 'wallet: no room for the QR code: c shows it')
    checkFits(t, term, columns, rows, 'wallet')
    if (!qr) {
      await term.keys('c')
      f = await term.until(f => /[█▀▄]{7}/.test(f))
      t.ok(f.includes(ADDRESS) && f.includes('c: back'), 'wallet: c shows the QR code with the address')
      checkFits(t, term, columns, rows, 'wallet QR code')
    }
  })
}

test('layout: a terminal made smaller redraws to the new size', async (t) => {
  const core = fake(40)
  const term = openTerm(core, 150, 45, 20)
  t.teardown(() => term.unmount())
  await term.until(f => f.includes('Part 1:'))
  term.resize(80, 24)
  await term.until(f => fits(f, 80, 24) === null)
  t.pass('the market fits 80×24 after the resize')
  t.ok(term.frame().includes('↑↓ select'), 'with its key line')
})

test('layout 80×24: an active job with a long timeline shows its newest entries, the actions and the key line', async (t) => {
  const job: FakeJob = { ...fake(1).jobs[0], id: 'act0000000000000', title: 'Long-running job', status: 'shipped', role: 'client', client: ME, printer: OTHER, history: 30 }
  const core = fake(1, { mine: [job] })
  const term = openTerm(core, 80, 24)
  t.teardown(() => term.unmount())
  await term.until(f => f.includes('Part 0:'))
  await term.keys('y')
  await term.until(f => f.includes('Long-running job'))
  await term.keys(KEY.enter)
  const f = await term.until(f => f.includes('Timeline') && f.includes('Actions'))
  t.ok(f.startsWith('p2print · Active job') && f.includes('Tab chat'), 'header and key line')
  t.ok(/Timeline \(latest \d+ of 30\)/.test(f), 'the timeline says how many of its entries it shows')
  t.ok(f.includes('complete') && f.includes('say'), 'the actions and the message field')
  const bad = fits(f, 80, 24)
  t.is(bad, null, 'fits 80×24')
  if (bad !== null) t.comment(f)
})
