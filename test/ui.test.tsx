// The terminal UI with ink-testing-library: frames asserted, keys sent, against a fake AppCore (no network).
import test from 'brittle'
import { render } from 'ink-testing-library'
import b4a from 'b4a'
import { App } from '../ui/App.js'
import { depositSummary, validateDraft, validateSend, validatePct, validateReview, allowedActions, disputeInfo, disputeMoves, formatBtc, type AppCore, type AppState, type JobRow, type JobFilters, type JobDetail, type JobJSON, type ActionName, type DisputeRow, type SeederInfo, type SendPlan, type WalletInfo, type MyJobs, type FilePreview } from '../lib/app.js'
import { AppSession } from '../lib/app.js'
import { qrMatrix } from '../lib/qr.js'
import { testnet, tmpDir, openMarket, eventually } from './helpers.js'
import { parseKey } from '../lib/ids.js'
import { resolveJob } from '../lib/service/resolve.js'
import { startRegtest } from './regtest.js'
import { box, binaryStl } from './fixtures/meshes.js'
import fs from 'fs'
import path from 'path'
import { checkAddress } from '../lib/commands/wallet.js'
import { networkFor } from '../lib/escrow/networks.js'
import type { DisputeRecord } from '../lib/disputes/codec.js'
import { OP, DEFAULT_SETTINGS, type Status, type JobRecord } from '../lib/schema.js'

const KEY = { down: '\u001B[B', up: '\u001B[A', right: '\u001B[C', left: '\u001B[D', enter: '\r', esc: '\u001B', tab: '\t', ctrlC: '\u0003', backspace: '\u007f' }
const ME = b4a.alloc(32, 1)
const OTHER = b4a.alloc(32, 2)

interface FakeJob extends JobRow { client: Uint8Array, printer: Uint8Array | null, dispute?: DisputeRecord | null, hasFile?: boolean, escrowLog?: string[], escrowChain?: string }

const VALID = 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx'
const HOUR = 3_600_000

function proposal (printerPct: number, answerBy = Date.now() + 48 * HOUR): DisputeRecord {
  return { stage: 'proposed', openedAt: Date.now() - HOUR, openedBy: OTHER, mediator: b4a.alloc(32, 3), mediatorFeePct: 2, proposeBy: Date.now() + 71 * HOUR, proposal: { printerPct, note: 'reprint half', feeScript: b4a.alloc(22), feeSats: 200, at: Date.now() - HOUR / 2, answerBy }, acceptedClient: false, acceptedPrinter: false, escalation: 'none', ruling: null }
}

interface FakeOptions { backend?: boolean, mine?: FakeJob[], disputes?: DisputeRow[], mediatorFee?: number | null }

function fakeCore (n = 40, state: Partial<AppState> = {}, o: FakeOptions = {}): AppCore & { calls: string[], jobs: FakeJob[], emit: () => void, seeding: boolean, finishDownload: () => void, finishUpload: () => void } {
  const listeners = new Set<() => void>()
  // the fake download stays at 50 % until the test has seen it (a timer would race a loaded machine)
  let finishDownload = (): void => {}
  const downloadGate = new Promise<void>(resolve => { finishDownload = resolve })
  let finishUpload = (): void => {}
  const uploadGate = new Promise<void>(resolve => { finishUpload = resolve })
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
  const st: AppState = { storage: '/tmp/x', hasMarket: true, walletCreated: false, peers: 2, sync: 'synced', market: { key: 'k'.repeat(52), name: 'Test market', id: 'me', writer: true, jobs: n, byStatus: { open: n }, chain: '', depositPct: 15 }, balance: null, notice: null, ...state }
  const detail = (j: FakeJob): JobDetail => ({
    job: { id: j.id, title: j.title, status: j.status, client: 'c'.repeat(52), printer: j.printer === null ? null : 'p'.repeat(52), material: j.material, colors: j.colors, bountySats: j.bountySats, bountyBtc: j.bountyBtc, country: j.country, notes: '', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '', confirmed: true, updates: 0, file: j.hasFile === true ? { name: 'gear.stl', drive: 'd', path: '/models/x/gear.stl', byteLength: 4096, sha256: '00', summary: { kind: 'stl', models: 1, facets: 12, sizeMm: [10, 10, 10], volumeCm3: 1, areaCm2: 6, shells: 1, closed: true, manifold: true, fits: [] } } : null, history: [], escrow: null, dispute: disputeInfo(j.dispute), clientRecord: { id: 'c', asClient: { completed: 3, cancelled: 0, rating: { average: 4.5, count: 2 } }, asPrinter: { completed: 0, cancelled: 0, shipped: 0, medianShipHours: null, shipSamples: 0, rating: { average: null, count: 0 } }, disputesOpened: 0, disputesLost: 0, disputesWon: 0, rating: { average: 4.5, count: 2 } } } as unknown as JobJSON,
    role: j.role,
    actions: allowedActions(j, ME, false),
    escrowChain: j.escrowChain ?? '',
    escrowLog: j.escrowLog ?? [],
    dispute: disputeInfo(j.dispute),
    review: j.role === 'other'
      ? { can: false, why: null, mine: null }
      : reviews.has(j.id) ? { can: false, why: null, mine: reviews.get(j.id)! } : j.status === 'completed' ? { can: true, why: null, mine: null } : { can: false, why: `a job can be reviewed once it is closed (completed or cancelled); this one is ${j.status}`, mine: null }
  })
  const reviews = new Map<string, { rating: number, text: string }>()
  const mine = o.mine ?? []
  const all = (): FakeJob[] => [...jobs, ...mine]
  let seeding = false
  let mediatorFee = o.mediatorFee ?? null
  const disputes = o.disputes ?? []
  const seederInfo = (): SeederInfo => ({
    running: seeding,
    peers: 2,
    quotaBytes: 10_240 * 1024 * 1024,
    keepClosedDays: 7,
    held: [{ job: 'job0000aaaa', name: 'benchy.stl', bytes: 2048, complete: true, source: 'yours' }, ...(seeding ? [{ job: 'job0001bbbb', name: 'vase.3mf', bytes: 8192, complete: true, source: 'mirrored' as const }] : [])],
    bytesHeld: seeding ? 10_240 : 2048,
    bytesServed: 4096,
    events: seeding ? ['holding vase.3mf (job job0001bb): 8192 bytes'] : []
  })
  return {
    calls,
    jobs,
    emit: () => { for (const fn of listeners) fn() },
    finishDownload: () => finishDownload(),
    finishUpload: () => finishUpload(),
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
    myJobs: async (): Promise<MyJobs> => ({ needsAction: [], asClient: mine.map(j => ({ status: j.status, rows: [j] })), asPrinter: [] }),
    getJob: async (id: string) => {
      const j = all().find(j => j.id.startsWith(id))
      if (j === undefined) throw new Error(`no job ${id}`)
      return detail(j)
    },
    validateDraft,
    analyzeFile: async (file: string) => {
      if (!file.endsWith('gear.stl')) throw new Error('cannot read x.stl: no such file')
      return { name: 'gear.stl', bytes: 4096, summary: { kind: 'stl', models: 1, facets: 12, sizeMm: [20, 20, 20], volumeCm3: 8, closed: true, manifold: true, fits: [] } as unknown as FilePreview['summary'] }
    },
    createJob: async (d, onUpload) => {
      calls.push('create')
      if (d.file !== '') {
        onUpload?.({ bytes: 1024, total: 4096, rate: 2048, etaSecs: 2 })
        await uploadGate // held at 25 % until the test has seen it
        onUpload?.({ bytes: 4096, total: 4096, rate: 2048, etaSecs: 0 })
      }
      return 'newjob'
    },
    act: async (id: string, action: ActionName) => {
      calls.push(`${action} ${id}`)
      const j = all().find(j => j.id === id)!
      if (action === 'accept-proposal') j.dispute = { ...j.dispute!, acceptedClient: true }
      else j.status = 'accepted'
      return detail(j).job
    },
    chat: async () => ({ id: '', me: '', role: 'client', messages: [], unreadable: 0, sent: false, granted: 0, files: [], peers: 0 }),
    wallet: async (): Promise<WalletInfo> => o.backend === false
      ? { chain: 'testnet', backend: false, hint: 'no Bitcoin backend is configured: quit (q) and start p2print again with --bitcoin-rpc URL (Bitcoin Core, or `npm run regtest` for a local test node) or --esplora URL', balance: null, balanceError: null, escrows: [] }
      : { chain: 'testnet', backend: true, hint: null, balance: { confirmedSats: 1_500_000, unconfirmedSats: 20_000 }, balanceError: null, escrows: [{ id: 'esc0000000000', title: 'Gear', status: 'active', role: 'client', state: 'funded', mySats: 11_500, totalSats: 13_000, address: 'tb1qescrowaddress', payoutTxid: null }] },
    receiveAddress: async () => ({ address: VALID, uri: `bitcoin:${VALID}`, path: "m/84'/1'/0'/0/0", chain: 'testnet', qr: qrMatrix(`BITCOIN:${VALID.toUpperCase()}`) }),
    validateSend,
    planSend: async (address: string, btc: string): Promise<SendPlan> => {
      calls.push(`plan ${address} ${btc}`)
      if (!address.startsWith('tb1')) throw new Error(`"${address}" is not a testnet address (they start with tb1 or are base58 for this chain): check it and paste it again`)
      return { address, chain: 'testnet', sentSats: Number(BigInt(Math.round(Number(btc) * 1e8))), feeSats: 141, changeSats: 5000, feeRate: 1, inputs: 1 }
    },
    send: async (plan: SendPlan) => { calls.push(`send ${plan.address} ${plan.sentSats} ${plan.feeRate}`); return { txid: 'ab'.repeat(32), address: plan.address, sentSats: plan.sentSats, feeSats: plan.feeSats, feeRate: plan.feeRate } },
    disputes: async () => ({ mediator: mediatorFee === null ? null : { id: 'me', feePct: mediatorFee, registeredAt: '2026-01-01T00:00:00.000Z', taken: 1, proposed: 0, accepted: 0, overturned: 0, upheld: 0, missed: 0, avgResponseSecs: null, revoked: null }, maxFeePct: 5, rules: ['R2: at least 2 proposals overturned'], disputes }),
    validatePct,
    registerMediator: async (fee: string) => { calls.push(`register ${fee}`); mediatorFee = Number(fee); return { id: 'me', feePct: Number(fee), registeredAt: '2026-01-01T00:00:00.000Z', taken: 0, proposed: 0, accepted: 0, overturned: 0, upheld: 0, missed: 0, avgResponseSecs: null, revoked: null } },
    propose: async (id: string, pct: string, note: string) => {
      calls.push(`propose ${id} ${pct} ${note}`)
      const r = disputes.find(d => d.id === id)!
      r.dispute = disputeInfo(proposal(Number(pct)))
      r.moves = []
      return detail(jobs[0]).job
    },
    answerProposal: async (id: string, accept: boolean, note = '') => {
      calls.push(`${accept ? 'accept' : 'reject'} ${id}${note !== '' ? ' ' + note : ''}`)
      const r = disputes.find(d => d.id === id)!
      r.moves = []
      return detail(jobs[0]).job
    },
    rule: async (id: string, pct: string) => { calls.push(`rule ${id} ${pct}`); return { printerPct: Number(pct), txid: 'cd'.repeat(32) } },
    previewJob: async (id: string, width: number, onProgress) => {
      calls.push(`preview ${id} ${width}`)
      onProgress({ bytes: 4096, total: 4096, rate: 4096, etaSecs: 0 })
      return { name: 'gear.stl', previews: [{ name: 'gear.stl', text: '⣿⣿⣿⣿\n⣿⠛⠛⣿\n⣿⣿⣿⣿' }] }
    },
    download: async (id, dir, onProgress) => {
      calls.push(`download ${id} ${dir}`)
      onProgress({ bytes: 0, total: 4096, rate: 0, etaSecs: null })
      await new Promise(resolve => setTimeout(resolve, 150))
      onProgress({ bytes: 2048, total: 4096, rate: 1024, etaSecs: 2 })
      await downloadGate
      onProgress({ bytes: 4096, total: 4096, rate: 1024, etaSecs: 0 })
      return { file: `/tmp/out/gear.stl`, files: ['/tmp/out/gear.stl'], bytes: 4096, sha256: '00', ms: 450 }
    },
    validateReview,
    review: async (id: string, rating: string, text: string) => {
      calls.push(`review ${id} ${rating} ${text}`)
      reviews.set(id, { rating: Number(rating), text })
      return { rating: Number(rating), subject: 'p'.repeat(52) }
    },
    seeder: async () => seederInfo(),
    setSeeding: async (on: boolean) => { calls.push(`seeding ${String(on)}`); seeding = on; return seederInfo() },
    get seeding () { return seeding },
    // the market page, people and recovery screens have their fake in test/ui-screens.test.tsx
    markets: {} as AppCore['markets'], people: {} as AppCore['people'], recovery: {} as AppCore['recovery'],
    jobTools: {} as AppCore['jobTools'], quotes: {} as AppCore['quotes'], photos: {} as AppCore['photos'], searches: {} as AppCore['searches'], notices: {} as AppCore['notices'], // test/ui-more.test.tsx
    close: async () => {}
  }
}

async function until (frame: () => string | undefined, fn: (f: string) => boolean, ms = 10_000): Promise<string> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const f = frame() ?? ''
    if (fn(f)) return f
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  throw new Error(`until: timed out after ${ms} ms waiting for ${fn.toString()}; the last frame:\n${frame() ?? ''}`)
}

// Types into a form that has just opened: its key handler is attached after the frame that shows it, so a key
// sent at once can be lost; the field is cleared and typed again until the frame shows the whole text.
async function typeText (r: { stdin: { write: (s: string) => void }, lastFrame: () => string | undefined }, text: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await press(r.stdin, '\u0015', ...text.split(''))
    try {
      // the focused field holds exactly `text` (its cursor right after it): a lost Ctrl-U would leave old text before
      await until(r.lastFrame, f => f.includes(' ' + text + '▏'), 2000)
      return
    } catch (err) {
      if (attempt === 2) throw err
    }
  }
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
  // the page label changes before the page's rows arrive: wait for both
  f = await until(r.lastFrame, f => f.includes('page 1') && f.includes('Part 0'))
  t.ok(f.includes('Part 0') && !f.includes('Part 19'), 'previous page')

  // filters: material PETG, country US
  await press(r.stdin, 'f', 'P', 'E', 'T', 'G', KEY.tab, 'u', 's', KEY.enter)
  const rowsOf = (f: string): number[] => [...f.matchAll(/Part (\d+)/g)].map(m => Number(m[1]))
  f = await until(r.lastFrame, f => f.includes('material PETG') && f.includes('country US') && !rowsOf(f).includes(0))
  t.ok(f.includes('country US'), 'filter summary')
  const shown = rowsOf(f)
  t.ok(shown.length > 0 && shown.every(i => i % 3 === 1 && i % 2 === 1), `only PETG jobs in US (${shown.join(',')})`)
  // text search, then reset
  await press(r.stdin, 'r', '/', '3', '3', KEY.enter)
  f = await until(r.lastFrame, f => f.includes('“33”') && f.includes('Part 33'))
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
  f = await until(r.lastFrame, f => f.includes('You accepted the job (the job is accepted)'))
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

test('ui: post form shows what the escrow takes for the bounty typed', async (t) => {
  const core = fakeCore(1, { market: { key: 'k'.repeat(52), name: 'Escrow market', id: 'me', writer: true, jobs: 1, byStatus: { open: 1 }, chain: 'regtest', depositPct: 15 } })
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  await until(r.lastFrame, f => f.includes('Part 0'))
  await press(r.stdin, 'p')
  await until(r.lastFrame, f => f.includes('Post a job') && f.includes('bounty BTC'))
  await press(r.stdin, KEY.tab, KEY.tab, KEY.tab, '0', '.', '0', '1')
  const f = await until(r.lastFrame, f => f.includes('you put in'))
  t.ok(f.includes('you put in 0.0115 BTC') && f.includes('15 % deposit of 0.0015') && f.includes('the printer 0.0015 BTC'), 'bounty + 15 % from the client, 15 % from the printer')
})

test('ui: posting a job with a model shows a peer taking it', async (t) => {
  const core = fakeCore(1)
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  await until(r.lastFrame, f => f.includes('Part 0'))
  await press(r.stdin, 'p')
  await until(r.lastFrame, f => f.includes('Post a job') && f.includes('bounty BTC'))
  await press(r.stdin, 'G', 'e', 'a', 'r', KEY.tab, 'P', 'L', 'A', KEY.tab, KEY.tab, '0', '.', '0', '0', '1', KEY.tab, 'D', 'E', KEY.tab, KEY.tab, ...'/tmp/gear.stl'.split(''), KEY.tab)
  let f = await until(r.lastFrame, f => f.includes('✓ gear.stl'))
  t.ok(f.includes('watertight'), 'the model analysed before posting')
  await press(r.stdin, '\u0013')
  f = await until(r.lastFrame, f => f.includes('sending the model to a peer'))
  t.ok(f.includes('25%') && f.includes('1.0 KB of 4.0 KB'), 'upload progress bar while a peer takes the model')
  core.finishUpload()
  f = await until(r.lastFrame, f => f.includes('job newjob posted'))
  t.absent(f.includes('sending the model'), 'the bar is gone once posted')
  t.alike(core.calls, ['create'])
})

test('ui: status bar: a spinner while syncing, the wallet balance and the chain tip', async (t) => {
  const core = fakeCore(1, { sync: 'syncing', balance: { confirmedSats: 150_000, unconfirmedSats: 0, chain: 'regtest', tipHeight: 812 } })
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  const f = await until(r.lastFrame, f => f.includes('syncing'))
  t.ok(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] syncing/.test(f), 'spinner before the sync state')
  t.ok(f.includes('wallet 0.0015 BTC') && f.includes('regtest block 812'), 'balance and chain tip')
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

const CTRL_U = '\u0015'

test('ui: wallet screen shows the balance, a QR code and the address; send refuses a bad address, then asks to confirm', async (t) => {
  const core = fakeCore(2)
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  await until(r.lastFrame, f => f.includes('Part 1'))
  await press(r.stdin, 'w')
  let f = await until(r.lastFrame, f => f.includes(VALID) && f.includes('Your escrows'))
  t.ok(f.includes('· Wallet'), 'w opens the wallet')
  t.ok(f.includes(VALID) && f.includes(`bitcoin:${VALID}`), 'the receive address and its BIP21 URI')
  t.ok(/[█▀▄]{7}/.test(f), 'a QR code drawn with half blocks')
  t.ok(f.includes('0.015 BTC confirmed') && f.includes('0.0002 BTC unconfirmed'), 'balance')
  t.ok(f.includes('Gear') && f.includes('funded') && f.includes('you put in 0.000115 of 0.00013 BTC') && f.includes('tb1qescrowaddress'), 'the escrows: job, state, amount, address')

  // the amount is checked as it is typed, with wallet send's parser
  // each field is typed once it has the keyboard (typeText: a key sent as focus moves can be lost)
  await press(r.stdin, KEY.tab)
  await typeText(r, 'nope')
  await press(r.stdin, KEY.tab)
  await typeText(r, 'abc')
  f = await until(r.lastFrame, f => f.includes('not an amount in BTC'))
  t.ok(f.includes('"abc" is not an amount in BTC'), 'a bad amount is refused as it is typed')
  // Enter only once the field shows what was typed: keys written faster than ink renders reach a stale handler
  await press(r.stdin, CTRL_U, '0', '.', '0', '0', '1')
  await until(r.lastFrame, f => f.includes('0.001') && !f.includes('not an amount in BTC'))
  await press(r.stdin, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('not a testnet address'))
  t.ok(f.includes('"nope" is not a testnet address') && f.includes('paste it again'), 'a bad address is refused with what to do')
  t.absent(core.calls.some(c => c.startsWith('send')), 'nothing sent')
  t.ok(f.includes('to address') && f.includes('0.001'), 'the form is back with what was typed')

  // the form opens anew after the refused plan: type once it has the keyboard, then submit with Ctrl-S
  await typeText(r, VALID)
  await press(r.stdin, '\u0013')
  f = await until(r.lastFrame, f => f.includes('press y') || f.includes('Press y'))
  t.ok(f.includes('Send 0.001 BTC to') && f.includes('miner fee 141 sats') && f.includes('1 sat/vB'), 'the confirmation shows the amount and the fee')
  t.ok(f.includes('total 0.00100141'), 'and the total')
  t.absent(core.calls.some(c => c.startsWith('send')), 'not sent before y')
  // y here confirms the payment: it is not the global "my jobs" key
  await press(r.stdin, 'y')
  f = await until(r.lastFrame, f => f.includes('sent 0.001 BTC'))
  t.ok(core.calls.includes(`send ${VALID} 100000 1`), 'sent through the core, at the fee rate shown')
  t.ok(f.includes('· Wallet') && f.includes('abababab'), 'the txid is shown, still on the wallet')
})

test('ui: wallet screen without a Bitcoin backend says what to start with', async (t) => {
  const core = fakeCore(1, {}, { backend: false })
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  await until(r.lastFrame, f => f.includes('Part 0'))
  await press(r.stdin, 'w')
  const f = await until(r.lastFrame, f => f.includes('--bitcoin-rpc'))
  t.ok(f.includes('--bitcoin-rpc URL') && f.includes('--esplora URL'), 'names the flags')
  t.ok(f.includes(VALID) && /[█▀▄]{7}/.test(f), 'the receive address and QR still work')
  t.ok(f.includes('none: an escrow is set up'), 'no escrows')
  await press(r.stdin, '?')
  const h = await until(r.lastFrame, f => f.includes('Help — Wallet'))
  t.ok(h.includes('a new receive address') && h.includes('confirm the payment') && h.includes('w ') && h.includes('disputes and mediation') && h.includes('files held and served'), 'help: the wallet\'s keys and the new global ones')
})

test('ui: disputes screen: register, propose a split, accept a proposal', async (t) => {
  const disputes: DisputeRow[] = [
    { id: 'med000000000000', title: 'Bracket', status: 'disputed', bountyBtc: '0.01000000', role: 'mediator', dispute: disputeInfo({ ...proposal(0), stage: 'mediation', proposal: null }), moves: ['propose'] },
    { id: 'cli000000000000', title: 'Vase', status: 'disputed', bountyBtc: '0.00200000', role: 'client', dispute: disputeInfo(proposal(60)), moves: ['accept', 'reject'] },
    { id: 'prn000000000000', title: 'Hinge', status: 'disputed', bountyBtc: '0.00300000', role: 'printer', dispute: disputeInfo(proposal(10)), moves: ['accept', 'reject'] },
    { id: 'arb000000000000', title: 'Lamp', status: 'disputed', bountyBtc: '0.00400000', role: 'arbitrator', dispute: disputeInfo({ ...proposal(10), stage: 'arbitration', escalation: 'rejected' }), moves: ['rule'] }
  ]
  const core = fakeCore(1, {}, { disputes })
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  await until(r.lastFrame, f => f.includes('Part 0'))
  await press(r.stdin, 'd')
  let f = await until(r.lastFrame, f => f.includes('Your disputes') && f.includes('Vase'))
  t.ok(f.includes('You are not a mediator') && f.includes('press r') || f.includes('Press r'), 'not registered: says how')
  t.ok(f.includes('Bracket') && f.includes('you: mediator') && f.includes('→ propose'), 'the dispute it mediates')
  t.ok(f.includes('the mediator proposes by') && f.includes('(in 3 d)'), 'with its deadline')

  // register: the fee is capped
  await press(r.stdin, 'r', '9', KEY.enter)
  f = await until(r.lastFrame, f => f.includes('capped'))
  t.ok(f.includes('the fee is capped at 5 % of the bounty'), 'fee above the cap refused')
  await press(r.stdin, KEY.backspace, '2', KEY.enter)
  f = await until(r.lastFrame, f => f.includes('You mediate'))
  t.ok(core.calls.includes('register 2') && f.includes('fee 2 %'), 'registered with 2 %')

  // propose on the first dispute: a share over 100 is refused, then 60 % with a note
  await press(r.stdin, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('Propose a split'))
  await press(r.stdin, '1', '5', '0', KEY.tab)
  f = await until(r.lastFrame, f => f.includes('whole percentage'))
  t.ok(f.includes('the printer\'s share must be a whole percentage from 0 to 100'), 'printer % checked as typed')
  await press(r.stdin, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('fix the printer %'))
  t.absent(core.calls.some(c => c.startsWith('propose')), 'not proposed with a bad share')
  await press(r.stdin, CTRL_U, '6', '0', KEY.tab, 'h', 'a', 'l', 'f', KEY.enter)
  f = await until(r.lastFrame, f => f.includes('proposed: the printer gets 60 %'))
  t.ok(core.calls.includes('propose med000000000000 60 half'), 'proposal through the core')

  // as the client of the second: accept, confirmed with y
  await press(r.stdin, KEY.down)
  f = await until(r.lastFrame, f => f.includes('a: accept the proposal'))
  t.ok(f.includes('the printer gets 60 %') && f.includes('reprint half') && f.includes('answer by'), 'the proposal and its deadline')
  await press(r.stdin, 'a')
  f = await until(r.lastFrame, f => f.includes('Press y to accept'))
  t.absent(core.calls.includes('accept cli000000000000'), 'asks first')
  await press(r.stdin, 'y')
  f = await until(r.lastFrame, f => f.includes('proposal accepted'))
  t.ok(core.calls.includes('accept cli000000000000'), 'accepted through the core')
  t.ok(f.includes('· Disputes'), 'y answered the prompt: still on the disputes screen')
  await press(r.stdin, 'x')
  f = await until(r.lastFrame, f => f.includes('you accepted') || f.includes('time to answer'))
  t.absent(core.calls.some(c => c.startsWith('reject')), 'no second answer')

  // as the printer of the third: reject with a note; the arbitrator decides
  await press(r.stdin, KEY.down, 'x')
  f = await until(r.lastFrame, f => f.includes('Reject the proposal'))
  await typeText(r, 'too low')
  await press(r.stdin, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('proposal rejected'))
  t.ok(core.calls.includes('reject prn000000000000 too low'), 'rejected through the core, with the note')

  // as the arbitrator of the fourth: rule
  await press(r.stdin, KEY.down)
  f = await until(r.lastFrame, f => f.includes('Enter: rule on this dispute'))
  t.ok(f.includes('escalated: rejected'), 'why it reached the arbitrator')
  await press(r.stdin, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('Rule: the printer gets'))
  await press(r.stdin, '3', '0', KEY.tab, 'o', 'k', KEY.enter)
  f = await until(r.lastFrame, f => f.includes('ruled: the printer gets 30 %'))
  t.ok(core.calls.includes('rule arb000000000000 30'), 'ruled through the core')
})

test('ui: active job offers accept / reject of a pending proposal', async (t) => {
  const job: FakeJob = { ...fakeCore(1).jobs[0], id: 'disp0000000000000', title: 'Disputed gear', status: 'disputed', role: 'client', client: ME, printer: OTHER, dispute: proposal(70) }
  const core = fakeCore(1, {}, { mine: [job] })
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  await until(r.lastFrame, f => f.includes('Part 0'))
  await press(r.stdin, 'y')
  await until(r.lastFrame, f => f.includes('Disputed gear'))
  await press(r.stdin, KEY.enter)
  let f = await until(r.lastFrame, f => f.includes('accept-proposal'))
  t.ok(f.includes('reject-proposal') && f.includes('the printer gets 70 %'), 'both answers offered, with the split')
  t.ok(f.includes('Dispute') && f.includes('reprint half'), 'the dispute shown')
  // select accept-proposal
  // one step at a time, each after the selection has moved (a loaded machine renders late)
  for (let guard = 0; guard < 5 && !/› accept-proposal/.test(r.lastFrame() ?? ''); guard++) {
    const before = (r.lastFrame() ?? '').match(/› \S+/)?.[0]
    await press(r.stdin, KEY.down)
    await until(r.lastFrame, f => f.match(/› \S+/)?.[0] !== before)
  }
  await press(r.stdin, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('press y'))
  await press(r.stdin, 'y')
  f = await until(r.lastFrame, f => f.includes('proposal accepted'))
  t.ok(core.calls.includes('accept-proposal disp0000000000000'), 'accepted through the core')
  t.ok(f.includes('proposal accepted: the split is paid once the printer accepts too'), 'the message follows the dispute: the printer has not accepted yet')
  f = await until(r.lastFrame, f => !f.includes('accept-proposal '))
  t.absent(/accept-proposal\s+accept/.test(f), 'not offered again once accepted')
})

test('ui: the escrow engine\'s refusals and errors reach the user: the status bar and the job\'s timeline', async (t) => {
  const refused = '12:00:01 refuse — the printer\'s coins are not on this node: not funding'
  const job: FakeJob = { ...fakeCore(1).jobs[0], id: 'escr0000000000000', title: 'Escrowed gear', status: 'accepted', role: 'client', client: ME, printer: OTHER, escrowLog: ['12:00:00 propose', refused] }
  const core = fakeCore(1, { notice: `escrow escr0000: ${refused}` }, { mine: [job] })
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  let f = await until(r.lastFrame, f => f.includes('Part 0'))
  t.ok(f.includes('! escrow escr0000: ') && f.includes('not funding'), 'the status bar shows the refusal')
  await press(r.stdin, 'y')
  await until(r.lastFrame, f => f.includes('Escrowed gear'))
  await press(r.stdin, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('Timeline'))
  t.ok(f.includes('escrow 12:00:00 propose'), 'the engine\'s steps in the job\'s timeline')
  t.ok(f.includes('escrow 12:00:01 refuse'), 'and its refusal')
})

test('ui: seeder view renders what is held and can seed from the app', async (t) => {
  const core = fakeCore(1)
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  await until(r.lastFrame, f => f.includes('Part 0'))
  await press(r.stdin, 's')
  let f = await until(r.lastFrame, f => f.includes('Held here'))
  t.ok(f.includes('Files and seeding') && f.includes('peers 2'), 'title and peers')
  t.ok(f.includes('benchy.stl') && f.includes('your file') && f.includes('2.0 KB'), 'the files held')
  t.ok(f.includes('served to peers since the app started: 4.0 KB'), 'bytes served')
  t.ok(f.includes('p2print seed'), 'explains p2print seed when not seeding')
  await press(r.stdin, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('Seeding from this app'))
  t.ok(core.calls.includes('seeding true') && f.includes('vase.3mf') && f.includes('mirrored'), 'seeding: mirrored files listed')
  t.ok(f.includes('holding vase.3mf'), 'the seeder\'s events')
})

test('ui: job page downloads the model with a progress bar', async (t) => {
  const core = fakeCore(2)
  core.jobs[1].hasFile = true
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  await until(r.lastFrame, f => f.includes('Part 1'))
  await press(r.stdin, KEY.enter)
  let f = await until(r.lastFrame, f => f.includes('Actions'))
  await press(r.stdin, 'g')
  f = await until(r.lastFrame, f => f.includes('no model file'))
  t.ok(f.includes('this job has no model file to download'), 'a job without a file says so')
  await press(r.stdin, KEY.esc)
  await until(r.lastFrame, f => f.includes('TITLE'))
  await press(r.stdin, KEY.down, KEY.enter)
  await until(r.lastFrame, f => f.includes('gear.stl'))
  await press(r.stdin, 'g')
  f = await until(r.lastFrame, f => f.includes('Download gear.stl'))
  await press(r.stdin, CTRL_U, 'o', 'u', 't', KEY.enter)
  f = await until(r.lastFrame, f => f.includes('50%'))
  t.ok(f.includes('50%') && f.includes('2.0 KB of 4.0 KB') && f.includes('/s'), 'progress bar with bytes and rate')
  core.finishDownload()
  f = await until(r.lastFrame, f => f.includes('downloaded /tmp/out/gear.stl'))
  t.ok(f.includes('sha256 checked'), 'done, with where it went')
  t.ok(core.calls.includes(`download ${core.jobs[1].id} out`), 'through the core, into the folder typed')
})

test('ui: job page draws the model on v and hides it on v again', async (t) => {
  const core = fakeCore(2)
  core.jobs[1].hasFile = true
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  await until(r.lastFrame, f => f.includes('Part 1'))
  await press(r.stdin, KEY.down, KEY.enter)
  await until(r.lastFrame, f => f.includes('gear.stl'))
  await press(r.stdin, 'v')
  let f = await until(r.lastFrame, f => f.includes('⣿⠛⠛⣿'))
  t.ok(f.includes('⣿⠛⠛⣿') && f.includes('v hides the preview'), 'the preview drawn on the job page')
  t.ok(core.calls.some(c => c.startsWith(`preview ${core.jobs[1].id}`)), 'through the core (`job preview`)')
  await press(r.stdin, 'v')
  f = await until(r.lastFrame, f => !f.includes('⣿⠛⠛⣿'))
  t.absent(f.includes('⣿⠛⠛⣿'), 'hidden again')
})

test('ui: review form on a closed job validates the rating', async (t) => {
  const done: FakeJob = { ...fakeCore(1).jobs[0], id: 'done0000000000000', title: 'Finished part', status: 'completed', role: 'client', client: ME, printer: OTHER }
  const core = fakeCore(1, {}, { mine: [done] })
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  await until(r.lastFrame, f => f.includes('Part 0'))
  // an open job cannot be reviewed: the message says why
  await press(r.stdin, KEY.enter)
  let f = await until(r.lastFrame, f => f.includes('Actions'))
  await press(r.stdin, 'r')
  f = await until(r.lastFrame, f => f.includes('reviewed once it is closed'))
  t.pass('an open job: review refused with the reason')
  await press(r.stdin, 'y')
  await until(r.lastFrame, f => f.includes('Finished part'))
  await press(r.stdin, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('Timeline'))
  await press(r.stdin, 'r')
  f = await until(r.lastFrame, f => f.includes('Review the printer'))
  await press(r.stdin, '7')
  f = await until(r.lastFrame, f => f.includes('whole number from 1 to 5'))
  t.ok(f.includes('the rating must be a whole number from 1 to 5'), 'rating checked as typed')
  await press(r.stdin, KEY.tab, 'o', 'k', KEY.enter)
  f = await until(r.lastFrame, f => f.includes('fix the rating first'))
  t.absent(core.calls.some(c => c.startsWith('review')), 'not posted with a bad rating')
  await press(r.stdin, CTRL_U, '4', KEY.tab, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('review posted'))
  t.ok(core.calls.includes('review done0000000000000 4 ok'), 'posted through the core')
  f = await until(r.lastFrame, f => f.includes('Your review'))
  t.ok(f.includes('★★★★☆') && f.includes('“ok”'), 'the review shown on the job')
  await press(r.stdin, 'r')
  f = await until(r.lastFrame, f => f.includes('already reviewed'))
  t.pass('a second review is refused')
})

test('ui core helpers: the CLI parsers behind the forms, proposal actions, address check', async (t) => {
  t.is(validateSend('', '').address, 'paste the address to pay')
  t.ok(validateSend('x', '0.123456789').amount?.includes('not an amount in BTC'), 'nine decimals refused')
  t.alike(validateSend(VALID, '0.001'), {}, 'a good form')
  t.is(validatePct('101', 'printer'), 'the printer\'s share must be a whole percentage from 0 to 100')
  t.is(validatePct('6', 'fee'), 'the fee is capped at 5 % of the bounty')
  t.is(validatePct('5', 'fee'), null)
  t.is(validateReview('0', '').rating, 'the rating must be a whole number from 1 to 5')
  t.ok(validateReview('5', 'x'.repeat(281)).text?.includes('longer than 280'), 'review length')
  t.alike(validateReview('5', 'fine'), {})

  const job = { client: ME, printer: OTHER, status: 'disputed' as Status, dispute: proposal(40) }
  t.alike(allowedActions(job, ME, true).map(a => a.action).filter(a => a.includes('proposal')), ['accept-proposal', 'reject-proposal'], 'the client may answer')
  t.alike(allowedActions({ ...job, dispute: { ...proposal(40), acceptedClient: true } }, ME, true).filter(a => a.action.includes('proposal')), [], 'not after accepting')
  t.alike(allowedActions({ ...job, dispute: proposal(40, Date.now() - 1) }, ME, true).filter(a => a.action.includes('proposal')), [], 'not after the deadline')
  t.alike(allowedActions(job, b4a.alloc(32, 9), true).filter(a => a.action.includes('proposal')), [], 'not for others')
  // milestones: the client of an active, funded job with parts left may release the next one; not while one is pending
  const escrow = { fundingTxid: b4a.alloc(32), client: {}, closed: null, sigs: [] as Array<{ kind: string, role: string }> }
  const parts = { client: ME, printer: OTHER, status: 'active' as Status, escrow, claims: [], milestones: [{ label: 'first layer', pct: 20 }, { label: 'rest', pct: 80 }], releases: [] }
  t.alike(allowedActions(parts as never, ME, true).filter(a => a.action === 'release').map(a => a.label), ['release milestone 1 ("first layer", 20 %): its part to the printer'], 'the client may release the first part')
  t.alike(allowedActions(parts as never, OTHER, true).filter(a => a.action === 'release'), [], 'the printer may not')
  const released = { ...escrow, sigs: [{ kind: 'next-refund', role: 'client' }, { kind: 'release', role: 'client' }] }
  t.alike(allowedActions({ ...parts, escrow: released, releaseAskedAt: Date.now(), releaseAsks: 1 } as never, ME, true).filter(a => a.action === 'release'), [], 'not while its release waits for the printer in the hold')
  t.alike(allowedActions({ ...parts, escrow: released, releaseAskedAt: Date.now() - 31 * 60_000, releaseAsks: 1 } as never, ME, true).filter(a => a.action === 'release').map(a => a.label), ['ask again for milestone 1 ("first layer"): the printer\'s peer did not co-sign your release in time'], 'after the hold: ask again')
  t.alike(allowedActions({ ...parts, escrow: released, releaseAskedAt: Date.now() - 31 * 60_000, releaseAsks: 3 } as never, ME, true).filter(a => a.action === 'release'), [], 'not after the third ask')
  t.alike(allowedActions({ ...parts, releases: [{}] } as never, ME, true).filter(a => a.action === 'release'), [], 'not past the last part but one')
  t.alike(disputeMoves({ status: 'disputed', dispute: { ...proposal(0), stage: 'mediation', proposal: null } }, 'mediator'), ['propose'])
  t.alike(disputeMoves({ status: 'disputed', dispute: { ...proposal(0), stage: 'arbitration' }, escrow: { ruling: null } }, 'arbitrator'), ['rule'])
  t.alike(disputeMoves({ status: 'disputed', dispute: proposal(0) }, 'arbitrator'), [], 'the arbitrator waits for the mediation')

  const testnet = { chain: 'testnet' as const, network: networkFor('testnet') }
  t.execution(() => checkAddress(VALID, testnet), 'a testnet address passes')
  t.exception(() => checkAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', testnet), /is not a testnet address.*tb1/, 'a mainnet address is refused on testnet, naming the prefix')
  t.exception(() => checkAddress('hello', testnet), /paste it again/)
})

// The real AppSession behind the new screens: every method runs the CLI's command code on the session (one peer
// on a local DHT, a bcoin regtest chain). The ink tests above use a fake core; this one checks the core itself.
test('app session: wallet, send with a planned fee, seeding, mediator registration, review and download refusals', async (t) => {
  const tn = await testnet(t)
  const chain = await startRegtest(t)
  const dir = await tmpDir(t)
  const app = await AppSession.open({ storage: dir, bootstrap: tn.bootstrap, bitcoinRpc: chain.rpcUrl, syncTimeoutMs: 1000 })
  t.teardown(() => app.close(), { order: 5 })
  await app.createMarket('Session test')

  const recv = await app.receiveAddress()
  t.ok(recv.address.startsWith('rb1') && recv.uri === `bitcoin:${recv.address}`, `a regtest receive address (${recv.address})`)
  t.is(recv.qr.size, 17 + 4 * recv.qr.version, 'with its QR matrix')
  t.is((await app.receiveAddress()).address, recv.address, 'the same address until a new one is asked for')
  t.not((await app.receiveAddress(true)).address, recv.address, 'a new one on request')

  let w = await app.wallet()
  t.ok(w.backend && w.hint === null && w.chain === 'regtest', 'backend configured, chain from the node')
  t.alike(w.balance, { confirmedSats: 0, unconfirmedSats: 0 })
  await chain.fund(recv.address, 50_000_000)
  await chain.mine(1)
  w = await app.wallet()
  t.alike(w.balance, { confirmedSats: 50_000_000, unconfirmedSats: 0 }, 'funded and confirmed')
  t.is(app.state().balance?.confirmedSats, 50_000_000, 'the status bar balance follows')

  await t.exception(app.planSend('rb1notanaddress', '0.1'), /is not a regtest address/, 'a bad address refused before anything else')
  await t.exception(app.planSend(chain.minerAddress, '0.123456789'), /not an amount in BTC/)
  await t.exception(app.planSend(chain.minerAddress, '2'), /not enough funds/)
  const plan = await app.planSend(chain.minerAddress, '0.1')
  t.ok(plan.sentSats === 10_000_000 && plan.feeSats > 0 && plan.inputs === 1, `planned: fee ${plan.feeSats} sats at ${plan.feeRate} sat/vB`)
  const sent = await app.send(plan)
  t.is(sent.feeSats, plan.feeSats, 'the fee paid is the fee confirmed')
  t.ok(/^[0-9a-f]{64}$/.test(sent.txid), 'broadcast')

  let s = await app.seeder()
  t.ok(!s.running && s.held.length === 0 && s.bytesServed === 0, 'not seeding, nothing held yet')
  s = await app.setSeeding(true)
  t.ok(s.running && s.quotaBytes === 10_240 * 1024 * 1024 && s.keepClosedDays === 7, 'seeding with `seed`\'s defaults')
  s = await app.setSeeding(false)
  t.absent(s.running, 'stopped')

  await t.exception(app.registerMediator('9'), /capped at 5/)
  await t.exception(app.registerMediator('2'), /has not named you a mediator/, 'only a mediator the market\'s creator names can register')
  const market = app.service!.market
  await market.append({ type: OP.MARKET_SETTINGS, settings: { ...DEFAULT_SETTINGS, mediators: [market.writerKey] } })
  const m = await app.registerMediator('2')
  t.is(m.feePct, 2, 'registered through `mediator register`')
  const d = await app.disputes()
  t.is(d.mediator?.feePct, 2, 'the disputes screen sees the registration')
  t.alike(d.disputes, [])

  const id = await app.createJob({ title: 'Session part', material: 'PLA', colors: '', bounty: '0.001', country: 'DE', notes: '', file: '' })
  const job = await app.getJob(id)
  t.ok(!job.review.can && job.review.why?.includes('once it is closed'), 'an open job cannot be reviewed yet')
  t.is(job.dispute, null)
  await t.exception(app.review(id, '5', ''), /reviewed once it is closed/, '`job review` refuses it')
  await t.exception(app.download(id, dir, () => {}), /no model file/, '`job download` refuses a job without a file')

  // a job with a model: held in this peer's drive, downloaded with progress reports
  const stl = path.join(dir, 'cube.stl')
  await fs.promises.writeFile(stl, binaryStl(box(20, 20, 20)))
  const withFile = await app.createJob({ title: 'Cube', material: 'PLA', colors: '', bounty: '0.001', country: 'DE', notes: '', file: stl })
  s = await app.seeder()
  t.alike(s.held.map(h => [h.name, h.source, h.complete]), [['cube.stl', 'yours', true]], 'the model is held here, as this peer\'s own')
  t.is(s.bytesHeld, fs.statSync(stl).size)
  const progress: number[] = []
  const out = path.join(dir, 'out')
  const got = await app.download(withFile, out, p => progress.push(p.bytes))
  t.is(got.file, path.join(out, 'cube.stl'))
  t.alike(fs.readFileSync(got.file), fs.readFileSync(stl), 'the same bytes')
  t.ok(progress.length > 0 && progress[progress.length - 1] === got.bytes, `progress reported (${progress.join(', ')})`)
  const pv = await app.previewJob(withFile, 40, () => {})
  t.ok(pv.previews.length === 1 && /[\u2801-\u28ff]/.test(pv.previews[0].text) && pv.previews[0].text.split('\n').every(l => l.length <= 40), 'a braille preview of the cube, 40 columns wide (`job preview`)')

  // another peer fetches the model from this one: the seeder view counts the bytes served
  const other = await openMarket(t, path.join(dir, 'other'), parseKey(app.state().market!.key)!, { bootstrap: tn.bootstrap })
  await other.market.sync(10_000)
  t.ok(await eventually(async () => { await other.market.update(); return await resolveJob(other.market, withFile).then(() => true, () => false) }), 'the other peer sees the job')
  const rec = (await resolveJob(other.market, withFile)).job
  await other.market.files.fetch(rec.file!, { maxBytes: 1_000_000, stallMs: 10_000 })
  t.ok(await eventually(async () => (await app.seeder()).bytesServed >= got.bytes), 'bytes served counted')

  // posting while a peer is connected: the upload is reported until that peer holds the whole model
  const stl2 = path.join(dir, 'big.stl')
  await fs.promises.writeFile(stl2, binaryStl(box(30, 30, 30)))
  const uploads: Array<{ bytes: number, total: number }> = []
  const posting = app.createJob({ title: 'Big cube', material: 'PLA', colors: '', bounty: '0.001', country: 'DE', notes: '', file: stl2 }, p => uploads.push(p))
  let big: JobRecord | undefined
  t.ok(await eventually(async () => {
    await other.market.update()
    big = (await other.market.jobs({ status: 'open', limit: 20 })).find(v => v.job.title === 'Big cube')?.job
    return big !== undefined
  }), 'the other peer sees the new job while it is being posted')
  if (big?.file != null) await other.market.files.fetch(big.file, { maxBytes: 1_000_000, stallMs: 10_000 })
  await posting
  const size = fs.statSync(stl2).size
  t.ok(uploads.length > 0 && uploads.every(u => u.total === size) && uploads[uploads.length - 1].bytes === size, `upload progress up to the whole file (${uploads.map(u => u.bytes).join(', ')})`)
})
