// The terminal UI with ink-testing-library: frames asserted, keys sent, against a fake AppCore (no network).
import test from 'brittle'
import { render } from 'ink-testing-library'
import b4a from 'b4a'
import { App } from '../ui/App.js'
import { validateDraft, allowedActions, formatBtc, type AppCore, type AppState, type JobRow, type JobFilters, type JobDetail, type JobJSON, type ActionName } from '../lib/app.js'
import type { Status } from '../lib/schema.js'

const KEY = { down: '\u001B[B', up: '\u001B[A', right: '\u001B[C', left: '\u001B[D', enter: '\r', esc: '\u001B', tab: '\t', ctrlC: '\u0003' }
const ME = b4a.alloc(32, 1)
const OTHER = b4a.alloc(32, 2)

interface FakeJob extends JobRow { client: Uint8Array, printer: Uint8Array | null }

function fakeCore (n = 40, state: Partial<AppState> = {}): AppCore & { calls: string[], jobs: FakeJob[], emit: () => void } {
  const listeners = new Set<() => void>()
  const materials = ['PLA', 'PETG', 'ABS']
  const jobs: FakeJob[] = Array.from({ length: n }, (_, i) => ({
    id: `job${String(i).padStart(4, '0')}xxxxxxxxxxxxxxxxxxxx`,
    title: `Part ${i}`,
    status: 'open' as Status,
    material: materials[i % 3],
    colors: ['red'],
    bountySats: 10_000 * (i + 1),
    bountyBtc: formatBtc(10_000 * (i + 1)),
    country: i % 2 === 0 ? 'DE' : 'US',
    fileBytes: 2048,
    clientRating: null,
    clientRatings: 0,
    role: i === 0 ? 'client' : 'other',
    confirmed: true,
    client: i === 0 ? ME : OTHER,
    printer: null
  }))
  const calls: string[] = []
  const st: AppState = { storage: '/tmp/x', hasMarket: true, walletCreated: false, peers: 2, sync: 'synced', market: { key: 'k'.repeat(52), name: 'Test market', id: 'me', writer: true, jobs: n, byStatus: { open: n }, chain: '' }, balance: null, notice: null, ...state }
  const detail = (j: FakeJob): JobDetail => ({
    job: { id: j.id, title: j.title, status: j.status, client: 'c'.repeat(52), printer: null, material: j.material, colors: j.colors, bountySats: j.bountySats, bountyBtc: j.bountyBtc, country: j.country, notes: '', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '', confirmed: true, updates: 0, file: null, history: [], escrow: null, dispute: null, clientRecord: { id: 'c', asClient: { completed: 3, cancelled: 0, rating: { average: 4.5, count: 2 } }, asPrinter: { completed: 0, cancelled: 0, shipped: 0, medianShipHours: null, shipSamples: 0, rating: { average: null, count: 0 } }, disputesOpened: 0, disputesLost: 0, disputesWon: 0, rating: { average: 4.5, count: 2 } } } as unknown as JobJSON,
    role: j.role,
    actions: allowedActions(j, ME, false),
    escrowChain: ''
  })
  return {
    calls,
    jobs,
    emit: () => { for (const fn of listeners) fn() },
    state: () => st,
    subscribe: (fn) => { listeners.add(fn); return () => listeners.delete(fn) },
    createMarket: async () => {},
    joinMarket: async () => {},
    mnemonic: async () => 'abandon '.repeat(11) + 'about',
    queryJobs: async (f: JobFilters, page: number, size: number) => {
      let list = jobs.filter(j => j.status === 'open')
      if (f.material) list = list.filter(j => j.material.toLowerCase() === f.material!.toLowerCase())
      if (f.country) list = list.filter(j => j.country === f.country!.toUpperCase())
      if (f.text) list = list.filter(j => j.title.toLowerCase().includes(f.text!.toLowerCase()))
      return { rows: list.slice(page * size, (page + 1) * size), page, pageSize: size, hasMore: list.length > (page + 1) * size }
    },
    myJobs: async () => ({ needsAction: [], asClient: [], asPrinter: [] }),
    getJob: async (id: string) => {
      const j = jobs.find(j => j.id.startsWith(id))
      if (j === undefined) throw new Error(`no job ${id}`)
      return detail(j)
    },
    validateDraft,
    analyzeFile: async () => { throw new Error('cannot read x.stl: no such file') },
    createJob: async () => { calls.push('create'); return 'newjob' },
    act: async (id: string, action: ActionName) => {
      calls.push(`${action} ${id}`)
      const j = jobs.find(j => j.id === id)!
      j.status = 'accepted'
      return detail(j).job
    },
    chat: async () => ({ id: '', me: '', role: 'client', messages: [], unreadable: 0, sent: false, granted: 0, files: [], peers: 0 }),
    close: async () => {}
  }
}

async function until (frame: () => string | undefined, fn: (f: string) => boolean, ms = 3000): Promise<string> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const f = frame() ?? ''
    if (fn(f)) return f
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  return frame() ?? ''
}

async function press (stdin: { write: (s: string) => void }, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    stdin.write(k)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

test('ui: market table pages, filters and opens a job', async (t) => {
  const core = fakeCore(40)
  const r = render(<App core={core} onQuit={() => {}} pageSize={10} />)
  t.teardown(() => r.unmount())
  let f = await until(r.lastFrame, f => f.includes('Part 0'))
  t.ok(f.includes('Part 9') && !f.includes('Part 10'), 'first page: 10 rows')
  t.ok(f.includes('peers 2') && f.includes('synced') && f.includes('Test market'), 'status bar')
  t.ok(f.includes('0.0001') && f.includes('DE') && f.includes('2.0 KB') && f.includes('new'), 'bounty, country, file size, rating columns')
  await press(r.stdin, KEY.right)
  f = await until(r.lastFrame, f => f.includes('Part 10'))
  t.ok(f.includes('Part 19') && !f.includes('Part 9 ') && f.includes('page 2'), 'next page'); if (!f.includes('page 2')) console.log(f)
  await press(r.stdin, KEY.left)
  f = await until(r.lastFrame, f => f.includes('page 1'))
  t.ok(f.includes('Part 0'), 'previous page')

  // filters: material PETG, country US
  await press(r.stdin, 'f', 'P', 'E', 'T', 'G', KEY.tab, 'u', 's', KEY.enter)
  f = await until(r.lastFrame, f => f.includes('material PETG'))
  t.ok(f.includes('country US'), 'filter summary')
  const shown = [...f.matchAll(/Part (\d+)/g)].map(m => Number(m[1]))
  t.ok(shown.length > 0 && shown.every(i => i % 3 === 1 && i % 2 === 1), `only PETG jobs in US (${shown.join(',')})`)
  // text search, then reset
  await press(r.stdin, 'r', '/', '3', '3', KEY.enter)
  f = await until(r.lastFrame, f => f.includes('“33”'))
  t.ok(f.includes('Part 33') && !f.includes('Part 0 '), 'text search')
  await press(r.stdin, 'r')
  f = await until(r.lastFrame, f => f.includes('Part 0 '))
  t.pass('reset')

  // new jobs appear as they arrive
  core.jobs.unshift({ ...core.jobs[5], id: 'fresh00000000000000000000', title: 'Fresh one' })
  core.emit()
  f = await until(r.lastFrame, f => f.includes('Fresh one'))
  t.ok(f.includes('Fresh one'), 'live update')

  // open the selected job (down twice: Part 1? the list starts with Fresh one)
  await press(r.stdin, KEY.down, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('Actions'))
  t.ok(f.includes('Part 0') && f.includes('★4.5'), 'job page with the client record')
})

test('ui: job page lists the allowed actions and runs one', async (t) => {
  const core = fakeCore(3)
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  await until(r.lastFrame, f => f.includes('Part 2'))
  // Part 0 is mine: only cancel
  await press(r.stdin, KEY.enter)
  let f = await until(r.lastFrame, f => f.includes('Actions'))
  t.ok(f.includes('cancel') && !f.includes('accept '), 'own open job: cancel only')
  await press(r.stdin, KEY.esc)
  await until(r.lastFrame, f => f.includes('TITLE'))
  // Part 1 is someone else's: accept
  await press(r.stdin, KEY.down, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('Actions'))
  t.ok(f.includes('accept') && !f.includes('cancel '), 'another client\'s open job: accept only')
  await press(r.stdin, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('confirm'))
  t.ok(f.includes('press y'), 'asks to confirm')
  await press(r.stdin, 'y')
  f = await until(r.lastFrame, f => f.includes('now accepted'))
  t.alike(core.calls, [`accept ${core.jobs[1].id}`], 'accept called through the core')
  t.ok(f.includes('· Job'), 'y confirmed the action and stayed on the job page')
})

test('ui: post form validates as you type', async (t) => {
  const core = fakeCore(1)
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  await until(r.lastFrame, f => f.includes('Part 0'))
  await press(r.stdin, 'p')
  let f = await until(r.lastFrame, f => f.includes('Post a job') && f.includes('bounty BTC'))
  await press(r.stdin, 'G', 'e', 'a', 'r', KEY.tab, 'w', 'o', 'o', 'd', KEY.tab, KEY.tab, '0', '.', '1', '2', '3', '4', '5', '6', '7', '8', '9', KEY.tab, 'X', 'X', KEY.tab)
  f = await until(r.lastFrame, f => f.includes('unknown material'))
  t.ok(f.includes('unknown material "wood"'), 'material message')
  t.ok(f.includes('not an amount in BTC'), 'bounty message')
  t.ok(f.includes('not an ISO 3166'), 'country message')
  t.ok(f.includes('q') || true)
  // q inside a text field is text, not quit
  await press(r.stdin, 'q')
  f = await until(r.lastFrame, f => f.includes('notes') && f.includes('q▏'))
  t.ok(f.includes('q▏'), 'q typed into the notes field')
  // posting with errors says what to fix
  await press(r.stdin, '\u0013')
  f = await until(r.lastFrame, f => f.includes('fix the material'))
  t.ok(f.includes('fix the material'), 'post refused with a message')
  t.alike(core.calls, [], 'nothing posted')
})

test('ui: help overlay and quitting', async (t) => {
  const core = fakeCore(2)
  let quits = 0
  const r = render(<App core={core} onQuit={() => { quits++ }} />)
  t.teardown(() => r.unmount())
  await until(r.lastFrame, f => f.includes('Part 1'))
  await press(r.stdin, '?')
  let f = await until(r.lastFrame, f => f.includes('Help'))
  t.ok(f.includes('Help — Market') && f.includes('filters') && f.includes('quit'), 'help lists the keys')
  t.absent(f.includes('TITLE'), 'the table is hidden under the overlay')
  await press(r.stdin, '?')
  f = await until(r.lastFrame, f => f.includes('TITLE'))
  t.absent(f.includes('Help —'), 'closed')
  await press(r.stdin, 'q')
  t.is(quits, 1, 'q quits')
  await press(r.stdin, KEY.ctrlC)
  t.is(quits, 2, 'Ctrl-C quits')
})

test('ui: first run offers create / join and shows a new wallet\'s words once', async (t) => {
  const core = fakeCore(0, { hasMarket: false, walletCreated: true, market: null, sync: 'no-market' })
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  let f = await until(r.lastFrame, f => f.includes('no market'))
  t.ok(f.includes('create a new market') && f.includes('join a market'), 'choices')
  await press(r.stdin, 'c', 'D', 'e', 'm', 'o', KEY.enter)
  f = await until(r.lastFrame, f => f.includes('Write these words down'))
  t.ok(f.includes('abandon abandon'), 'mnemonic shown with a warning')
  await press(r.stdin, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('TITLE'))
  t.ok(f.includes('Market'), 'then the market')
})
