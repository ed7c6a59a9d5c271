// The app's market page (key, QR code, settings, indexers, other markets), people page (mediators, printers, this
// peer's printer profile) and recovery phrase screen, with Ink on an 80×24 terminal: frames asserted, keys sent,
// against a fake AppCore (no network; the forms use the real validators of lib/app). The controller behind them
// runs on the real stack in test/service.test.ts.
import test from 'brittle'
import { EventEmitter } from 'events'
import { render as inkRender } from 'ink'
import { App } from '../ui/App.js'
import type { AppCore, AppState, MarketDetail, KnownMarket, PrinterRow, ProfileJSON, ProfileDraft, SettingsDraft, RestoreCheck, WalletInfo } from '../lib/app.js'
import { validateSettings, validatePeerId, settingsDraft } from '../lib/app/market.js'
import { validateProfile, validateFilters } from '../lib/app/people.js'
import { validateMnemonic } from '../lib/app/recovery.js'
import { qrMatrix } from '../lib/qr.js'
import { peerId } from '../lib/ids.js'
import b4a from 'b4a'
import type { SettingsJSON } from '../lib/service/settings.js'
import { TtyStdin as In } from './fixtures/term.js'

const KEY = { down: '\u001B[B', up: '\u001B[A', right: '\u001B[C', left: '\u001B[D', enter: '\r', esc: '\u001B', tab: '\t', backspace: '\u007f', ctrlS: '\u0013', ctrlU: '\u0015' }
const COLS = 80
const ROWS = 24
const MARKET_KEY = 'yhdoqba8yhdoqba8yhdoqba8yhdoqba8yhdoqba8yhdoqba8yhdo'
const ME = peerId(b4a.alloc(32, 0x11))
const OTHER = peerId(b4a.alloc(32, 0x5a))
const THIRD = peerId(b4a.alloc(32, 0xc3))
const ABANDON = 'abandon '.repeat(11) + 'about'

// Ink on a terminal of COLS × ROWS (ink-testing-library's is 100 columns with no rows): the app sizes its screens
// from these, as on a real terminal.
class Out extends EventEmitter {
  columns = COLS
  rows = ROWS
  last = ''
  write = (frame: string): boolean => { this.last = frame; return true }
}

function render (tree: React.JSX.Element): { stdin: In, lastFrame: () => string, unmount: () => void } {
  const stdout = new Out()
  const stdin = new In()
  const ink = inkRender(tree, { stdout: stdout as unknown as NodeJS.WriteStream, stderr: new Out() as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream, debug: true, exitOnCtrlC: false, patchConsole: false })
  return { stdin, lastFrame: () => stdout.last, unmount: () => ink.unmount() }
}

const plain = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '') // eslint-disable-line no-control-regex

// Every line within the columns, no more lines than the terminal has.
function fits (t: { ok: (v: boolean, m: string) => void }, frame: string, what: string): void {
  const lines = plain(frame).split('\n')
  const widest = Math.max(...lines.map(l => [...l].length))
  t.ok(lines.length <= ROWS && widest <= COLS, `${what} fits 80×24 (${lines.length} lines, widest ${widest})`)
}

async function until (frame: () => string, fn: (f: string) => boolean, ms = 10_000): Promise<string> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const f = plain(frame())
    if (fn(f)) return f
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  throw new Error(`until: timed out after ${ms} ms waiting for ${fn.toString()}; the last frame:\n${plain(frame())}`)
}

async function press (stdin: In, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    stdin.write(k)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

// Types into the focused field once it has the keyboard: cleared and typed again until the frame shows the text.
async function typeText (r: { stdin: In, lastFrame: () => string }, text: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await press(r.stdin, KEY.ctrlU, ...text.split(''))
    try {
      // the whole field holds `text` (a lost Ctrl-U would leave old text before it); a long one shows its end
      await until(r.lastFrame, f => f.includes(' ' + text + '▏') || (text.length > 40 && f.includes('…') && f.includes(text.slice(-30) + '▏')), 2000)
      return
    } catch (err) {
      if (attempt === 2) throw err
    }
  }
}

interface Fake extends AppCore { calls: string[], emit: () => void }

function settingsOf (chain: SettingsJSON['chain']): SettingsJSON {
  return { chain, arbitrators: chain === '' ? [] : [{ id: ME, pubkey: '02' + 'ab'.repeat(32) }], mediators: [], depositPct: 15, arbitrationFeePct: 5, fundingDepth: 1, fundingTimeoutSecs: 86_400, refundDelayBlocks: 4320, admissionBits: 0, blindPeers: [], deliveryDays: 14 }
}

function fakeCore (o: { creator?: boolean, detailFails?: boolean, escrows?: number } = {}): Fake {
  const calls: string[] = []
  const listeners = new Set<() => void>()
  const creator = o.creator ?? true
  let settings = settingsOf('testnet')
  const indexers = [{ id: ME, creator: true, active: true }, { id: OTHER, creator: false, active: false }]
  let profile: ProfileJSON | null = null
  let wallet = 'aaaa1111'
  const st: AppState = { storage: '/tmp/x', hasMarket: true, walletCreated: false, peers: 2, sync: 'synced', market: { key: MARKET_KEY, name: 'Test market', id: ME, writer: true, jobs: 3, byStatus: { open: 2, active: 1 }, chain: 'testnet', depositPct: 15 }, balance: null, notice: null }
  const detail = (): MarketDetail => ({
    key: MARKET_KEY,
    keyHex: 'c0ffee'.repeat(10) + 'c0fe',
    qr: qrMatrix(MARKET_KEY, 'L'),
    name: 'Test market',
    id: creator ? ME : THIRD,
    creator,
    writer: true,
    indexer: creator,
    peers: 2,
    jobs: 3,
    byStatus: { open: 2, active: 1 },
    settings,
    draft: settingsDraft(settings),
    indexers: { indexers: [...indexers], majority: 2, marketTime: '2026-11-02T10:20:30.000Z' },
    marketTime: '2026-11-02T10:20:30.000Z',
    viewHash: '0123456789abcdef'.repeat(4),
    signedLength: 118,
    viewLength: 120
  })
  const known: KnownMarket[] = [{ key: MARKET_KEY, created: true, open: true, name: 'Test market' }, { key: OTHER, created: false, open: false, name: null }]
  const printers: PrinterRow[] = [0, 1, 2].map(i => ({
    id: `prn${i}prn${i}`.padEnd(52, 'p'),
    materials: i === 1 ? ['PETG'] : ['PLA', 'PETG'],
    bedMm: [220 + i, 220, 250],
    country: i === 2 ? 'US' : 'DE',
    note: `printer ${i} note`,
    updatedAt: '2026-11-01T00:00:00.000Z',
    record: { id: `prn${i}prn${i}`.padEnd(52, 'p'), asClient: { completed: 0, cancelled: 0, split: { count: 0, averageSharePct: null }, rating: { average: null, count: 0 } }, asPrinter: { completed: 4 + i, cancelled: 0, split: { count: 0, averageSharePct: null }, shipped: 4 + i, medianShipHours: 12, shipSamples: 4, rating: { average: 4.5, count: 2 } }, disputesOpened: 0, disputesLost: 0, disputesWon: 0, rating: { average: 4.5, count: 2 } }
  } as unknown as PrinterRow))
  const core = {
    calls,
    emit: () => { for (const fn of listeners) fn() },
    state: () => st,
    subscribe: (fn: () => void) => { listeners.add(fn); return () => { listeners.delete(fn) } },
    queryJobs: async (_f: unknown, page: number, size: number) => ({ rows: [], page, pageSize: size, hasMore: false }),
    joinMarket: async (key: string) => {
      calls.push(`join ${key}`)
      if (key.length < 52) throw new Error('that is not a market key: paste the 52-character key the market\'s creator shared (`p2print market info` shows it)')
    },
    createMarket: async (name: string) => { calls.push(`create ${name}`) },
    wallet: async (): Promise<WalletInfo> => ({ chain: 'testnet', backend: false, hint: 'no backend', balance: null, balanceError: null, escrows: [] }),
    receiveAddress: async () => ({ address: 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', uri: 'bitcoin:tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', path: "m/84'/1'/0'/0/0", chain: 'testnet', qr: qrMatrix('BITCOIN:TB1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KXPJZSX') }),
    validateSend: () => ({}),
    markets: {
      detail: async () => {
        calls.push('detail')
        if (o.detailFails === true) throw new Error('no market yet: create one or join one with its key')
        return detail()
      },
      known: async () => known.map(m => ({ ...m })),
      validateSettings,
      setSettings: async (d: SettingsDraft) => {
        calls.push(`settings ${d.chain} ${d.depositPct} ${d.arbitrationFeePct}`)
        if (!creator) throw new Error('only the market\'s creator sets its escrow settings')
        settings = { ...settings, depositPct: Number(d.depositPct), arbitrationFeePct: Number(d.arbitrationFeePct) }
        return settings
      },
      validatePeerId,
      changeIndexers: async (change: 'add' | 'remove', id: string) => {
        calls.push(`indexers ${change} ${id}`)
        if (change === 'add') indexers.push({ id, creator: false, active: false })
        else indexers.splice(indexers.findIndex(i => i.id === id), 1)
        return { indexers: [...indexers], majority: 2, marketTime: null }
      }
    },
    people: {
      mediators: async () => ({ mediators: [{ id: OTHER, feePct: 2, registeredAt: '2026-01-01T00:00:00.000Z', taken: 5, proposed: 4, accepted: 3, overturned: 1, upheld: 0, missed: 0, avgResponseSecs: 5400, revoked: null }], rules: ['R1: 2 missed deadlines', 'R2: 3 proposals overturned'], named: [] }),
      validateFilters,
      printers: async (f: { material: string, country: string }) => {
        calls.push(`printers ${f.material}/${f.country}`)
        return printers.filter(p => (f.material === '' || p.materials.some(m => m.toLowerCase() === f.material.trim().toLowerCase())) && (f.country === '' || p.country === f.country.trim().toUpperCase()))
      },
      myProfile: async () => profile,
      validateProfile,
      setProfile: async (d: ProfileDraft) => {
        calls.push(`profile ${d.materials}|${d.bed}|${d.country}|${d.note}`)
        profile = { id: ME, materials: ['PLA'], bedMm: [200, 200, 200], country: 'DE', note: d.note, updatedAt: '2026-11-02T00:00:00.000Z' }
        return { profile, shared: true }
      },
      unlist: async () => { calls.push('unlist'); profile = null; return { profile: null, shared: true } }
    },
    recovery: {
      phrase: async () => { calls.push('phrase'); return { mnemonic: 'zoo '.repeat(11) + 'wrong', fingerprint: wallet } },
      validate: validateMnemonic,
      check: async (words: string): Promise<RestoreCheck> => { calls.push('check'); return { fingerprint: 'bbbb2222', current: wallet, unchanged: words.trim() === '' , openEscrows: o.escrows ?? 0 } },
      restore: async (words: string) => { calls.push(`restore ${words}`); wallet = 'bbbb2222'; return { fingerprint: 'bbbb2222', movedTo: '/tmp/x/wallet.json.replaced-2026', unchanged: false } }
    },
    close: async () => {}
  }
  return core as unknown as Fake
}

test('ui screens: the market page shows the key with a QR code, its peers, indexers, time, hash and chain', async (t) => {
  const core = fakeCore()
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  await until(r.lastFrame, f => f.includes('Test market'))
  await press(r.stdin, 'i')
  const f = await until(r.lastFrame, f => f.includes('· This market') && f.includes('Hash'))
  t.ok(f.includes(`key ${MARKET_KEY}`), 'the key, whole, as `market info` prints it')
  t.ok(f.includes('hex c0ffee'), 'and in hex')
  t.ok(/[█▀▄]{10}/.test(f), 'a QR code of the key')
  t.ok(f.includes('"Test market"') && f.includes('2 connected') && f.includes('3 (2 open, 1 active)'), 'name, peers, jobs')
  t.ok(f.includes('testnet · deposit 15 %') && f.includes('1 arbitrator'), 'the escrow chain and its terms')
  t.ok(f.includes('2 · 1 counted · majority 2') && f.includes(`${OTHER.slice(0, 8)} · not counted yet`), 'the indexers, one not counted yet')
  t.ok(f.includes('2026-11-02 10:20:30Z') && f.includes('120 blocks, 118 confirmed') && f.includes('0123456789abcdef'), 'market time, view, hash')
  t.ok(f.includes('e settings') && f.includes('x indexers') && f.includes('o other markets'), 'the keys')
  fits(t, r.lastFrame(), 'the screen')
  const before = core.calls.filter(c => c === 'detail').length
  await press(r.stdin, 'r')
  await until(r.lastFrame, () => core.calls.filter(c => c === 'detail').length > before)
  t.pass('r reads it again')
  await press(r.stdin, '?')
  const h = await until(r.lastFrame, f => f.includes('Help — This market'))
  t.ok(h.includes('other markets of this storage') && h.includes('i this market') && /u\s+people/.test(h), 'help: the page\'s keys and the global i / u')
  fits(t, r.lastFrame(), 'the help')
  await press(r.stdin, '?', KEY.esc)
  await until(r.lastFrame, f => f.includes('· Market'))
  t.pass('Esc goes back to the jobs')

  // bad case: no market to show
  const none = fakeCore({ detailFails: true })
  const r2 = render(<App core={none} onQuit={() => {}} />)
  t.teardown(() => r2.unmount())
  await until(r2.lastFrame, f => f.includes('Test market'))
  await press(r2.stdin, 'i')
  const e = await until(r2.lastFrame, f => f.includes('✗ no market yet'))
  t.ok(e.includes('r to try again'), 'an error says what to do')
})

test('ui screens: market settings: only the creator edits; the form refuses bad input, then saves', async (t) => {
  const joined = fakeCore({ creator: false })
  const r0 = render(<App core={joined} onQuit={() => {}} />)
  t.teardown(() => r0.unmount())
  await until(r0.lastFrame, f => f.includes('Test market'))
  await press(r0.stdin, 'i')
  await until(r0.lastFrame, f => f.includes('Hash'))
  await press(r0.stdin, 'e')
  let f = await until(r0.lastFrame, f => f.includes('Escrow settings') && f.includes('deposits'))
  t.ok(f.includes('set by the market\'s creator') && f.includes('Only the market\'s creator changes them'), 'a joiner sees them, read-only')
  await press(r0.stdin, 'e')
  f = await until(r0.lastFrame, f => f.includes('✗ only the market\'s creator'))
  t.absent(joined.calls.some(c => c.startsWith('settings')), 'nothing sent')

  const core = fakeCore()
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  await until(r.lastFrame, f => f.includes('Test market'))
  await press(r.stdin, 'i')
  await until(r.lastFrame, f => f.includes('Hash'))
  await press(r.stdin, 'e')
  f = await until(r.lastFrame, f => f.includes('Escrow settings') && f.includes('e change'))
  t.ok(f.includes('testnet (set once') && f.includes('4320 blocks'), 'the current settings')
  fits(t, r.lastFrame(), 'the screen')
  await press(r.stdin, 'e')
  f = await until(r.lastFrame, f => f.includes('› chain') && f.includes('Ctrl-S save'))
  t.ok(f.includes('testnet') && f.includes('refund delay') && f.includes('4320'), 'the form opens on the current settings')
  fits(t, r.lastFrame(), 'the form')
  // the chain cannot change; the deposit must be a whole number; neither is sent
  await typeText(r, 'mainnet')
  f = await until(r.lastFrame, f => f.includes('cannot change'))
  t.ok(f.includes('this market\'s chain is testnet and cannot change'), 'a new chain is refused as it is typed')
  await typeText(r, 'testnet')
  await press(r.stdin, KEY.tab, KEY.tab, KEY.tab)
  await until(r.lastFrame, f => f.includes('› deposit %'))
  await typeText(r, 'ten')
  f = await until(r.lastFrame, f => f.includes('the deposit must be a whole number'))
  await press(r.stdin, KEY.ctrlS)
  f = await until(r.lastFrame, f => f.includes('✗ fix the deposit % first'))
  t.absent(core.calls.some(c => c.startsWith('settings')), 'a bad form is not sent')
  await typeText(r, '10')
  await press(r.stdin, KEY.tab)
  await until(r.lastFrame, f => f.includes('› arb. fee %'))
  await typeText(r, '12')
  f = await until(r.lastFrame, f => f.includes('cannot be more than the deposit'))
  t.pass('the fee may not exceed the deposit')
  await typeText(r, '3')
  await press(r.stdin, KEY.ctrlS)
  f = await until(r.lastFrame, f => f.includes('✓ settings saved'))
  t.ok(core.calls.includes('settings testnet 10 3'), 'saved through the core')
  f = await until(r.lastFrame, f => f.includes('10 % of the bounty'))
  t.pass('the page shows the new settings')
})

test('ui screens: indexers: the creator adds one (a bad ID refused) and removes one after asking', async (t) => {
  const core = fakeCore()
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  await until(r.lastFrame, f => f.includes('Test market'))
  await press(r.stdin, 'i')
  await until(r.lastFrame, f => f.includes('Hash'))
  await press(r.stdin, 'x')
  let f = await until(r.lastFrame, f => f.includes('Indexers ·') && f.includes('a add'))
  t.ok(f.includes(ME) && f.includes('creator (you)') && f.includes(OTHER) && f.includes('not counted yet'), 'the indexers, with the creator')
  t.ok(f.includes('2 named, 1 counted'), 'how many count')
  fits(t, r.lastFrame(), 'the screen')
  await press(r.stdin, 'x')
  f = await until(r.lastFrame, f => f.includes('✗ the creator is always an indexer'))
  t.pass('the creator cannot be removed')
  await press(r.stdin, 'a')
  await until(r.lastFrame, f => f.includes('› peer ID'))
  await typeText(r, 'not-an-id')
  f = await until(r.lastFrame, f => f.includes('is not a peer\'s ID'))
  await press(r.stdin, KEY.enter)
  await until(r.lastFrame, f => f.includes('✗') && f.includes('is not a peer\'s ID'))
  t.absent(core.calls.some(c => c.startsWith('indexers')), 'a bad ID is not sent')
  const id = peerId(b4a.alloc(32, 0x77))
  await typeText(r, id)
  await press(r.stdin, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('✓ added'))
  t.ok(core.calls.includes(`indexers add ${id}`), 'added through the core')
  await press(r.stdin, KEY.down, 'x')
  f = await until(r.lastFrame, f => f.includes(`Remove ${OTHER.slice(0, 8)}`))
  t.absent(core.calls.some(c => c.startsWith('indexers remove')), 'asks first')
  await press(r.stdin, 'y')
  f = await until(r.lastFrame, f => f.includes('✓ removed'))
  t.ok(core.calls.includes(`indexers remove ${OTHER}`), 'removed through the core')

  const joined = fakeCore({ creator: false })
  const r2 = render(<App core={joined} onQuit={() => {}} />)
  t.teardown(() => r2.unmount())
  await until(r2.lastFrame, f => f.includes('Test market'))
  await press(r2.stdin, 'i')
  await until(r2.lastFrame, f => f.includes('Hash'))
  await press(r2.stdin, 'x')
  await until(r2.lastFrame, f => f.includes('the creator adds and removes indexers'))
  await press(r2.stdin, 'a')
  await until(r2.lastFrame, f => f.includes('✗ only the market\'s creator names its indexers'))
  t.absent(joined.calls.some(c => c.startsWith('indexers')), 'a joiner is told why not')
})

test('ui screens: other markets: switch to one, join by key (a bad key kept in the form), create one', async (t) => {
  const core = fakeCore()
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  await until(r.lastFrame, f => f.includes('Test market'))
  await press(r.stdin, 'i')
  await until(r.lastFrame, f => f.includes('Hash'))
  await press(r.stdin, 'o')
  let f = await until(r.lastFrame, f => f.includes('Markets in this storage') && f.includes(OTHER))
  t.ok(f.includes(`${MARKET_KEY} open yours "Test market"`), 'the open one, created here, with its name')
  fits(t, r.lastFrame(), 'the screen')
  await press(r.stdin, KEY.enter)
  await until(r.lastFrame, f => f.includes('on this market already'))
  t.absent(core.calls.some(c => c.startsWith('join')), 'the open one is not opened again')
  await press(r.stdin, KEY.down, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('✓ switched'))
  t.ok(core.calls.includes(`join ${OTHER}`), 'switched through `market join` with its key')

  await press(r.stdin, 'j')
  await until(r.lastFrame, f => f.includes('› key'))
  await typeText(r, 'short')
  await press(r.stdin, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('✗ that is not a market key'))
  t.ok(f.includes('› key') && f.includes('short▏'), 'refused: the form is back with what was typed')
  await typeText(r, THIRD)
  await press(r.stdin, KEY.enter)
  await until(r.lastFrame, f => f.includes('✓ market joined'))
  t.ok(core.calls.includes(`join ${THIRD}`), 'joined by its key')

  await press(r.stdin, 'c')
  await until(r.lastFrame, f => f.includes('› name'))
  await typeText(r, 'Beta')
  await press(r.stdin, KEY.enter)
  await until(r.lastFrame, f => f.includes('✓ market created'))
  t.ok(core.calls.includes('create Beta'), 'created through the core')
})

test('ui screens: people: mediators, printers (filtered; a bad filter refused), publish and unlist a profile', async (t) => {
  const core = fakeCore()
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  await until(r.lastFrame, f => f.includes('Test market'))
  await press(r.stdin, 'u')
  let f = await until(r.lastFrame, f => f.includes('· People') && f.includes(OTHER.slice(0, 8)))
  t.ok(f.includes('2%') && f.includes('2 h') && f.includes('Revoked for good when: R1'), 'a mediator\'s fee, record and answer time; the rules')
  fits(t, r.lastFrame(), 'mediators')

  await press(r.stdin, KEY.right)
  f = await until(r.lastFrame, f => f.includes('Printers') && f.includes('prn0prn0'))
  t.ok(f.includes('prn1prn1') && f.includes('prn2prn2') && f.includes('220×220×250') && f.includes('★4.5 (2)'), 'the printers with bed and rating')
  t.ok(f.includes('as printer: 4 completed'), 'the selected one\'s record')
  await press(r.stdin, KEY.down)
  f = await until(r.lastFrame, f => f.includes('as printer: 5 completed'))
  t.ok(f.includes('printer 1 note'), '↓ selects the next')
  fits(t, r.lastFrame(), 'printers')
  await press(r.stdin, 'f')
  await until(r.lastFrame, f => f.includes('› material'))
  await typeText(r, 'wood')
  f = await until(r.lastFrame, f => f.includes('unknown material'))
  await press(r.stdin, KEY.ctrlS)
  await until(r.lastFrame, f => f.includes('✗ fix the material first'))
  t.absent(core.calls.includes('printers wood/'), 'a bad filter is not run')
  await typeText(r, 'pla')
  await press(r.stdin, KEY.tab)
  await until(r.lastFrame, f => f.includes('› country'))
  await typeText(r, 'us')
  await press(r.stdin, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('pla in US · 1'))
  t.ok(core.calls.includes('printers pla/us') && f.includes('prn2prn2') && !f.includes('prn0prn0'), 'filtered by material and country')

  await press(r.stdin, '3')
  f = await until(r.lastFrame, f => f.includes('Your printer profile'))
  t.ok(f.includes('not listed') && f.includes('e publish'), 'not listed yet')
  await press(r.stdin, 'e')
  await until(r.lastFrame, f => f.includes('› materials'))
  await typeText(r, 'PLA')
  await press(r.stdin, KEY.tab)
  await until(r.lastFrame, f => f.includes('› bed mm'))
  await typeText(r, '200x200')
  f = await until(r.lastFrame, f => f.includes('must be XxYxZ'))
  await press(r.stdin, KEY.ctrlS)
  await until(r.lastFrame, f => f.includes('✗ fix the bed mm first'))
  t.absent(core.calls.some(c => c.startsWith('profile')), 'a bad profile is not published')
  fits(t, r.lastFrame(), 'the profile form')
  await typeText(r, '200x200x200')
  await press(r.stdin, KEY.tab)
  await until(r.lastFrame, f => f.includes('› country'))
  await typeText(r, 'de')
  await press(r.stdin, KEY.tab)
  await until(r.lastFrame, f => f.includes('› note'))
  await typeText(r, 'fast')
  await press(r.stdin, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('✓ profile published') && f.includes('200 × 200 × 200'))
  t.ok(core.calls.includes('profile PLA|200x200x200|de|fast'), 'published through the core')
  await press(r.stdin, 'x')
  await until(r.lastFrame, f => f.includes('Take your profile off the listing?'))
  t.absent(core.calls.includes('unlist'), 'asks first')
  await press(r.stdin, 'y')
  await until(r.lastFrame, f => f.includes('✓ you are no longer listed'))
  t.ok(core.calls.includes('unlist'), 'unlisted through the core')
})

test('ui screens: recovery phrase: shown only after the warning; restore checks the words and asks first', async (t) => {
  const core = fakeCore({ escrows: 2 })
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  await until(r.lastFrame, f => f.includes('Test market'))
  await press(r.stdin, 'w')
  await until(r.lastFrame, f => f.includes('k recovery phrase'))
  await press(r.stdin, 'k')
  let f = await until(r.lastFrame, f => f.includes('· Recovery phrase') && f.includes('v  show'))
  fits(t, r.lastFrame(), 'the screen')
  await press(r.stdin, 'v')
  f = await until(r.lastFrame, f => f.includes('Anyone who sees these words can take your coins'))
  t.absent(core.calls.includes('phrase'), 'the words are not even read before y')
  await press(r.stdin, 'n')
  await until(r.lastFrame, f => f.includes('v  show'))
  t.absent(core.calls.includes('phrase'), 'n: not shown')
  await press(r.stdin, 'v', 'y')
  f = await until(r.lastFrame, f => f.includes('12. wrong'))
  t.ok(f.includes(' 1. zoo') && f.includes('Wallet aaaa1111'), 'the words, numbered, and the fingerprint')
  fits(t, r.lastFrame(), 'the words')
  await press(r.stdin, KEY.esc)
  f = await until(r.lastFrame, f => f.includes('v  show'))
  t.absent(f.includes('zoo'), 'Esc hides them')
  t.ok(f.includes('· Recovery phrase'), 'and stays on the screen')

  await press(r.stdin, 't')
  await until(r.lastFrame, f => f.includes('› words'))
  await typeText(r, 'abandon abandon')
  f = await until(r.lastFrame, f => f.includes('it has 2 words'))
  await press(r.stdin, KEY.enter)
  await until(r.lastFrame, f => f.includes('✗ invalid recovery phrase'))
  t.absent(core.calls.includes('check'), 'a bad phrase is not even checked against the wallet')
  await typeText(r, ABANDON)
  await press(r.stdin, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('Restore wallet bbbb2222'))
  t.ok(f.includes('in place of aaaa1111') && f.includes('moved aside') && f.includes('2 escrows of yours not paid out'), 'what it replaces, where the old one goes, the escrows at stake')
  fits(t, r.lastFrame(), 'the question')
  await press(r.stdin, 'n')
  await until(r.lastFrame, f => f.includes('nothing restored'))
  t.absent(core.calls.some(c => c.startsWith('restore')), 'n: nothing restored')
  await press(r.stdin, 't')
  await until(r.lastFrame, f => f.includes('› words'))
  await typeText(r, ABANDON)
  await press(r.stdin, KEY.enter)
  await until(r.lastFrame, f => f.includes('Restore wallet bbbb2222'))
  await press(r.stdin, 'y')
  f = await until(r.lastFrame, f => f.includes('✓ wallet bbbb2222 restored') && f.includes('v  show'))
  t.ok(core.calls.includes(`restore ${ABANDON}`), 'restored through the core')
  t.ok(f.includes('kept in\n/tmp/x/wallet.json.replaced-2026'), 'says where the old wallet is')
})
