// The quotes screen (ui/screens/QuotesScreen.tsx) and the address panel (ui/components/AddressPanel.tsx) driven by keys against a fake core (the quotes part of AppCore,
// with the app's own validation, lib/app/quotes.ts), drawn at 80 columns; the service under it is tested on the real
// stack in test/quotes-cli.test.ts and test/quotes.test.ts.
import test from 'brittle'
import { EventEmitter } from 'events'
import { render as inkRender } from 'ink'
import { QuotesScreen } from '../ui/screens/QuotesScreen.js'
import { AppQuotes } from '../lib/app/quotes.js'
import { AppJobTools } from '../lib/app/job-tools.js'
import { AddressForm, AddressLines } from '../ui/components/AddressPanel.js'
import type { AppCore, QuotesInfo, QuoteDraft, QuoteRef, JobJSON, AddressDraft } from '../lib/app.js'
import type { Msg } from '../ui/components/Message.js'
import type { PeerSummaryJSON } from '../lib/reputation/query.js'
import { TtyStdin as Stdin } from './fixtures/term.js'

const KEY = { down: '\u001B[B', enter: '\r', esc: '\u001B', tab: '\t', ctrlU: '\u0015' }
const COLS = 80

class Stdout extends EventEmitter {
  columns = COLS
  rows = 24
  frames: string[] = []
  write = (frame: string): void => { this.frames.push(frame) }
  lastFrame = (): string => this.frames[this.frames.length - 1] ?? ''
}

const record = (completed: number): PeerSummaryJSON => ({
  id: 'p'.repeat(52),
  asClient: { completed: 0, cancelled: 0, split: { count: 0, averageSharePct: null }, rating: { average: null, count: 0 } },
  asPrinter: { completed, cancelled: 0, split: { count: 0, averageSharePct: null }, shipped: completed, medianShipHours: completed > 0 ? 30 : null, shipSamples: completed, rating: { average: completed > 0 ? 4.5 : null, count: completed } },
  disputesOpened: 0,
  disputesLost: 0,
  disputesWon: 0,
  rating: { average: null, count: 0 }
})

function fake (role: QuotesInfo['role']): { core: AppCore, calls: string[] } {
  const calls: string[] = []
  const validate = new AppQuotes(() => { throw new Error('no service in this test') }, async () => {}, () => {}).validate
  const info: QuotesInfo = {
    job: 'job00000aaaaaaaaaaaaaaaaaaaa',
    title: 'Bracket',
    status: 'open',
    openToQuotes: true,
    bountySats: 0,
    role,
    offer: null,
    mine: null,
    quotes: [
      { n: 1, printer: 'd'.repeat(52), priceSats: 35_000, priceBtc: '0.00035', leadDays: 9, material: 'PETG', colors: ['black'], note: 'stronger in PETG', at: '2026-12-02T00:00:00.000Z', revision: 1, offered: false, record: record(12) },
      { n: 2, printer: 'c'.repeat(52), priceSats: 40_000, priceBtc: '0.0004', leadDays: 5, material: null, colors: [], note: '', at: '2026-12-02T00:00:00.000Z', revision: 1, offered: false, record: record(0) }
    ]
  }
  const job = {} as JobJSON
  const quotes: AppCore['quotes'] = {
    list: async () => info,
    validate,
    quote: async (id: string, d: QuoteDraft) => { calls.push(`quote ${id} ${d.price} ${d.days} ${d.note}`); return job },
    withdraw: async (id: string) => { calls.push(`withdraw ${id}`); return job },
    take: async (id: string, q: QuoteRef) => { calls.push(`take ${id} ${q.printer.slice(0, 8)} r${q.revision}`); return job },
    counter: async (id: string, q: QuoteRef, d: QuoteDraft) => { calls.push(`counter ${id} ${q.printer.slice(0, 8)} ${d.price} ${d.days}`); return job },
    takeBack: async (id: string) => { calls.push(`take-back ${id}`); return job }
  }
  return { core: { quotes } as unknown as AppCore, calls }
}

function mount (core: AppCore): { frame: () => string, stdin: Stdin, msgs: Array<Msg | null>, unmount: () => void } {
  const stdout = new Stdout()
  const stdin = new Stdin()
  const msgs: Array<Msg | null> = []
  const el = <QuotesScreen core={core} active setTyping={() => {}} say={(m) => { msgs.push(m) }} go={() => {}} back={() => { msgs.push({ kind: 'info', text: 'back' }) }} version={0} id='job00000' />
  const instance = inkRender(el, { stdout: stdout as unknown as NodeJS.WriteStream, stderr: new Stdout() as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream, debug: true, exitOnCtrlC: false, patchConsole: false })
  return { frame: stdout.lastFrame, stdin, msgs, unmount: () => instance.unmount() }
}

async function until (frame: () => string, fn: (f: string) => boolean, ms = 10_000): Promise<string> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (fn(frame())) return frame()
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  throw new Error(`until: timed out; the last frame:\n${frame()}`)
}

async function press (stdin: Stdin, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    stdin.write(k)
    await new Promise(resolve => setTimeout(resolve, 40))
  }
}

const fits = (frame: string): boolean => frame.split('\n').every(l => [...l].length <= COLS)
const settle = async (): Promise<void> => { await new Promise(resolve => setTimeout(resolve, 200)) }

test('quotes screen, client: both quotes with records; take one, counter another, take the offer back', async (t) => {
  const { core, calls } = fake('client')
  const ui = mount(core)
  t.teardown(() => ui.unmount())
  const first = await until(ui.frame, f => f.includes('0.00035 BTC'))
  t.ok(first.includes('Quotes on Bracket') && first.includes('open to quotes'), 'the job and that it is open to quotes')
  t.ok(first.includes('0.0004 BTC · 5 days') && first.includes('12 printed') && first.includes('median accept→ship 30 h') && first.includes('proposes PETG black'), 'each quote with the printer\'s record and its proposal')
  t.ok(first.includes('"stronger in PETG"'), 'the selected quote\'s note')
  t.ok(fits(first), 'every line fits 80 columns')
  await press(ui.stdin, KEY.down, KEY.enter)
  await until(ui.frame, f => f.includes('offer the job to cccccccc at 0.0004 BTC, 5 days?'))
  await press(ui.stdin, 'y')
  await until(() => calls.join('\n'), c => c.includes('take job00000 cccccccc r1'))
  t.pass('Enter then y takes quote 2, pinned to its printer and revision as shown')

  await settle()
  await press(ui.stdin, 'o')
  await until(ui.frame, f => f.includes('price BTC'))
  await settle()
  await press(ui.stdin, KEY.ctrlU, ...'0.0003', KEY.tab, KEY.ctrlU, ...'400', KEY.enter)
  await until(ui.frame, f => f.includes('1 to 365'))
  t.ok(ui.msgs.some(m => m?.kind === 'error' && /lead days/.test(m.text)), 'a lead time of 400 days is refused with the reason')
  await press(ui.stdin, KEY.ctrlU, ...'8', KEY.enter)
  await until(() => calls.join('\n'), c => c.includes('counter job00000 cccccccc 0.0003 8'))
  t.pass('o counters the selected quote with the typed price and days')

  await settle()
  await press(ui.stdin, 'w')
  await until(() => JSON.stringify(ui.msgs), m => m.includes('no offer of yours stands'))
  t.pass('w with no offer standing says so (the fake\'s offer stays null)')
  await press(ui.stdin, 'n')
  t.absent(calls.some(c => c.startsWith('quote')), 'n does nothing for the client')
})

test('quotes screen, printer: quote with a checked form; the client\'s keys are refused', async (t) => {
  const { core, calls } = fake('other')
  const ui = mount(core)
  t.teardown(() => ui.unmount())
  await until(ui.frame, f => f.includes('0.00035 BTC'))
  await press(ui.stdin, KEY.enter)
  await until(() => JSON.stringify(ui.msgs), m => m.includes('only the job\'s client offers it'))
  t.pass('Enter: only the client offers')
  await press(ui.stdin, 'n')
  await until(ui.frame, f => f.includes('lead days'))
  await settle()
  await press(ui.stdin, ...'abc', KEY.tab, ...'5', KEY.tab, ...'PLA in 0.2 mm', KEY.enter)
  await until(() => JSON.stringify(ui.msgs), m => m.includes('not an amount in BTC'))
  t.pass('a price that is not BTC is refused')
  await press(ui.stdin, KEY.ctrlU, ...'0.00045', KEY.tab, KEY.tab, KEY.enter) // a refused submit puts the cursor on the field it names
  await until(() => calls.join('\n'), c => c.includes('quote job00000 0.00045 5 PLA in 0.2 mm'))
  t.pass('the quote is sent with its price, days and note')
  await settle()
  await press(ui.stdin, 'w')
  await until(() => JSON.stringify(ui.msgs), m => m.includes('you have no quote on this job'))
  t.pass('w without a quote of one\'s own says so')
  await press(ui.stdin, KEY.esc)
  await until(() => JSON.stringify(ui.msgs), m => m.includes('back'))
  t.pass('Esc goes back')
})

test('address form (job page, a): fields checked as the CLI checks them; the printer\'s "ship to" line', async (t) => {
  const tools = new AppJobTools(() => { throw new Error('no service in this test') }, async () => {}, () => {})
  const core = { jobTools: { validateAddress: (d: AddressDraft) => tools.validateAddress(d) } } as unknown as AppCore
  const got: AddressDraft[] = []
  const msgs: Array<Msg | null> = []
  const stdout = new Stdout()
  const stdin = new Stdin()
  const instance = inkRender(<AddressForm core={core} start={null} active say={(m) => { msgs.push(m) }} onSubmit={(d) => { got.push(d) }} onCancel={() => {}} />, { stdout: stdout as unknown as NodeJS.WriteStream, stderr: new Stdout() as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream, debug: true, exitOnCtrlC: false, patchConsole: false })
  t.teardown(() => instance.unmount())
  await until(stdout.lastFrame, f => f.includes('encrypted to this job\'s printer'))
  await settle()
  await press(stdin, ...'Bob Builder', KEY.tab, ...'Kastanienallee 77', KEY.tab, ...'10435', KEY.tab, ...'Berlin', KEY.tab, ...'Germany', KEY.tab, KEY.enter)
  await until(() => JSON.stringify(msgs), m => m.includes('ISO 3166'))
  t.is(got.length, 0, 'a country that is not an ISO code is refused, with the reason')
  await press(stdin, KEY.ctrlU, ...'de', KEY.tab, KEY.enter)
  await until(() => String(got.length), n => n === '1')
  t.alike(got[0], { name: 'Bob Builder', street: 'Kastanienallee 77', city: 'Berlin', postcode: '10435', country: 'de', phone: '' }, 'the address as typed (the service upper-cases the country)')

  const out = new Stdout()
  const shown = inkRender(<AddressLines a={{ job: 'j'.repeat(26), status: 'active', address: { name: 'Bob Builder', street: 'Kastanienallee 77', city: 'Berlin', postcode: '10435', country: 'DE', phone: null }, at: '2026-12-02T00:00:00.000Z', revisions: 1, why: null }} />, { stdout: out as unknown as NodeJS.WriteStream, stderr: new Stdout() as unknown as NodeJS.WriteStream, stdin: new Stdin() as unknown as NodeJS.ReadStream, debug: true, exitOnCtrlC: false, patchConsole: false })
  t.teardown(() => shown.unmount())
  await until(out.lastFrame, f => f.includes('ship to'))
  t.ok(out.lastFrame().includes('Bob Builder, Kastanienallee 77, 10435 Berlin, DE'), 'the printer sees the address on one line')
})
