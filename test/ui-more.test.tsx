// The app's job editing, escrow view, chat photos, notices and saved searches: screens driven by keys against a fake
// AppCore, drawn at 80×24 (each frame asserted to fit, and saved to /tmp/captures); then the controllers behind them
// (lib/app/*) on a real market.
import test from 'brittle'
import { EventEmitter } from 'events'
import fs from 'fs'
import path from 'path'
import b4a from 'b4a'
import { render as inkRender } from 'ink'
import { App } from '../ui/App.js'
import { AppSession, allowedActions, validateDraft, formatBtc, type AppCore, type AppState, type JobDetail, type JobJSON, type JobRow, type ChatData, type EscrowView, type NeedsYouInfo, type SearchMatchInfo, type SavedSearchInfo, type SearchDraft } from '../lib/app.js'
import { validateSearch } from '../lib/app/searches.js'
import { needOf } from '../lib/app/notices.js'
import { tmpDir, testnet, openMarket, eventually } from './helpers.js'
import { OP } from '../lib/schema.js'
import type { JobRecord } from '../lib/schema.js'
import type { DisputeRecord } from '../lib/disputes/codec.js'
import { TtyStdin as Stdin } from './fixtures/term.js'

const KEY = { down: '\u001B[B', up: '\u001B[A', enter: '\r', esc: '\u001B', tab: '\t', ctrlU: '\u0015', ctrlS: '\u0013' }
const ME = b4a.alloc(32, 1)
const OTHER = b4a.alloc(32, 2)
const COLS = 80
const ROWS = 24

// ink-testing-library at a fixed terminal size (its stdout is 100 columns with no rows).
class Stdout extends EventEmitter {
  columns = COLS
  rows = ROWS
  frames: string[] = []
  write = (frame: string): void => { this.frames.push(frame) }
  lastFrame = (): string => this.frames[this.frames.length - 1] ?? ''
}

function render (tree: React.JSX.Element): { lastFrame: () => string, stdin: Stdin, unmount: () => void } {
  const stdout = new Stdout()
  const stdin = new Stdin()
  const instance = inkRender(tree, { stdout: stdout as unknown as NodeJS.WriteStream, stderr: new Stdout() as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream, debug: true, exitOnCtrlC: false, patchConsole: false })
  return { lastFrame: stdout.lastFrame, stdin, unmount: () => instance.unmount() }
}

// Ink's width of a line (CJK and emoji are two columns; the app's text here is not).
const fits = (frame: string): boolean => frame.split('\n').length <= ROWS && frame.split('\n').every(l => [...l].length <= COLS)

function capture (name: string, frame: string): void {
  fs.mkdirSync('/tmp/captures', { recursive: true })
  fs.writeFileSync(`/tmp/captures/${name}.txt`, frame + '\n')
}

async function until (frame: () => string, fn: (f: string) => boolean, ms = 10_000): Promise<string> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const f = frame()
    if (fn(f)) return f
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  throw new Error(`until: timed out waiting for ${fn.toString()}; the last frame:\n${frame()}`)
}

// A form's key handler is attached in an effect after the frame that shows it: a key sent at once can be lost.
const settle = async (): Promise<void> => { await new Promise(resolve => setTimeout(resolve, 200)) }

async function press (stdin: Stdin, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    stdin.write(k)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

interface FakeJob { id: string, title: string, status: JobJSON['status'], role: JobDetail['role'], material: string, colors: string[], bountySats: number, country: string, notes: string, escrow?: boolean }

const HEX = (c: string): string => c.repeat(64)
const ESCROW: EscrowView = {
  id: 'esc00000aaaaaaaaaaaaaaaaaaaa', status: 'active', confirmed: true, state: 'funded', address: 'tb1q' + 'x'.repeat(58), arbitrator: 'a'.repeat(52),
  amounts: { bountySats: '100000', depositPct: 15, clientDepositSats: '15000', printerDepositSats: '15000', clientInSats: '115000', printerInSats: '15000', totalSats: '130000' },
  feeRate: 2, fundedBy: { client: true, printer: true }, refundSigned: { client: true, printer: true }, cancelSigned: { client: false, printer: false },
  fundingTxid: HEX('f'), fundingDepth: 3, requiredDepth: 1,
  paths: [
    { kind: 'complete', feeSats: '354', outputs: [{ role: 'printer', address: 'tb1qp', valueSats: '114823' }, { role: 'client', address: 'tb1qc', valueSats: '14823' }] },
    { kind: 'cancel', feeSats: '354', outputs: [{ role: 'client', address: 'tb1qc', valueSats: '114823' }, { role: 'printer', address: 'tb1qp', valueSats: '14823' }] },
    { kind: 'refund', feeSats: '300', outputs: [{ role: 'client', address: 'tb1qc', valueSats: '114850' }, { role: 'printer', address: 'tb1qp', valueSats: '14850' }] }
  ],
  ruling: null, agreed: null, payout: null, refundClaims: [],
  deadlines: { lapseAt: '2026-12-02T10:00:00.000Z', lockHeight: 2_500_144, tipHeight: 2_500_003, shipBy: '2026-12-10T10:00:00.000Z', releaseAt: '2026-12-24T10:00:00.000Z', deliveryDays: 14 },
  depth: 3, payoutTxid: null
}

function fakeCore (o: { alerts?: AppState['alerts'], needs?: NeedsYouInfo[], matches?: SearchMatchInfo[], chat?: ChatData } = {}): { core: AppCore, calls: string[], emit: () => void, searches: SavedSearchInfo[] } {
  const listeners = new Set<() => void>()
  const calls: string[] = []
  const jobs: FakeJob[] = [
    { id: 'gear0000aaaaaaaaaaaaaaaaaaaa', title: 'Gear', status: 'open', role: 'client', material: 'PLA', colors: ['red'], bountySats: 100_000, country: 'DE', notes: 'fine layers' },
    { id: 'esc00000aaaaaaaaaaaaaaaaaaaa', title: 'Bracket', status: 'active', role: 'client', material: 'PETG', colors: [], bountySats: 100_000, country: 'DE', notes: '', escrow: true },
    { id: 'vase0000aaaaaaaaaaaaaaaaaaaa', title: 'Vase', status: 'open', role: 'other', material: 'PLA', colors: [], bountySats: 200_000, country: 'DE', notes: '' }
  ]
  const searches: SavedSearchInfo[] = [{ n: 1, text: 'PLA, to DE, ≥ 0.001 BTC', material: 'PLA', country: 'DE', minBountyBtc: '0.001' }]
  let matches = o.matches ?? []
  const st: AppState = { storage: '/tmp/x', hasMarket: true, walletCreated: false, peers: 1, sync: 'synced', market: { key: 'k'.repeat(52), name: 'More', id: 'me', writer: true, jobs: jobs.length, byStatus: { open: 2, active: 1 }, chain: 'testnet', depositPct: 15 }, balance: null, notice: null, ...(o.alerts !== undefined ? { alerts: o.alerts } : {}) }
  const json = (j: FakeJob): JobJSON => ({
    id: j.id, title: j.title, status: j.status, client: (j.role === 'client' ? 'm' : 'c').repeat(52), printer: j.status === 'open' ? null : 'p'.repeat(52), material: j.material, colors: j.colors,
    bountySats: j.bountySats, bountyBtc: formatBtc(j.bountySats), country: j.country, notes: j.notes, createdAt: '2026-12-01T00:00:00.000Z', updatedAt: '2026-12-01T00:00:00.000Z',
    confirmed: true, updates: 1, file: null, history: [], escrow: j.escrow === true ? { ...ESCROW, fundingDepth: null } : null, dispute: null, outcome: null
  } as unknown as JobJSON)
  const detail = (j: FakeJob): JobDetail => ({
    job: json(j),
    role: j.role,
    actions: allowedActions({ client: j.role === 'client' ? ME : OTHER, printer: j.status === 'open' ? null : OTHER, status: j.status }, ME, false),
    escrowChain: 'testnet',
    dispute: null,
    review: { can: false, why: 'not closed', mine: null },
    escrowLog: []
  } as unknown as JobDetail)
  const find = (id: string): FakeJob => {
    const j = jobs.find(x => x.id.startsWith(id))
    if (j === undefined) throw new Error(`no job ${id}`)
    return j
  }
  let chat: ChatData = o.chat ?? { id: jobs[1].id, me: 'me', role: 'client', messages: [], unreadable: 0, sent: false, granted: 0, files: [], peers: 1 }
  const core = {
    state: () => st,
    subscribe: (fn: () => void) => { listeners.add(fn); return () => { listeners.delete(fn) } },
    queryJobs: async (_f: unknown, page: number, size: number) => ({ rows: jobs.map(j => ({ ...j, bountyBtc: formatBtc(j.bountySats), fileBytes: null, clientRating: null, clientRatings: 0, confirmed: true }) as unknown as JobRow), page, pageSize: size, hasMore: false }),
    getJob: async (id: string) => detail(find(id)),
    validateDraft,
    chat: async (id: string, send?: string) => { if (send !== undefined) calls.push(`chat ${id} ${send}`); return chat },
    jobTools: {
      draftOf: (j: JobJSON) => ({ title: j.title, material: j.material, colors: j.colors.join(','), bounty: j.bountyBtc, country: j.country, notes: j.notes, file: '' }),
      edit: async (id: string, d: { title: string, bounty: string, material: string }) => {
        calls.push(`edit ${id} ${d.title} ${d.material} ${d.bounty}`)
        const j = find(id)
        j.title = d.title
        j.bountySats = Math.round(Number(d.bounty) * 1e8)
        return json(j)
      },
      escrow: async (id: string) => { calls.push(`escrow ${id}`); return ESCROW }
    },
    photos: {
      validateFile: (f: string) => f.trim() === '' ? 'the path of a JPEG or PNG photo is needed (at most 5 MB)' : null,
      validateDir: () => null,
      send: async (id: string, file: string, caption: string) => {
        calls.push(`photo ${id} ${file} ${caption}`)
        if (!file.endsWith('.jpg')) throw new Error(`${file} is not a JPEG or PNG image (it starts with bytes 6869)`)
        chat = { ...chat, messages: [...chat.messages, { author: 'me', role: 'client', at: '2026-12-01T10:00:00.000Z', text: caption, photos: [{ name: path.basename(file), type: 'jpeg', byteLength: 20_480 }], mine: true }] }
        return chat
      },
      save: async (id: string, dir: string) => {
        calls.push(`save ${id} ${dir}`)
        if (dir === '/etc/passwd') throw new Error('/etc/passwd is a file, not a folder')
        return { ...chat, files: [path.join(dir, '1-crack.jpg')] }
      }
    },
    searches: {
      list: async () => [...searches],
      validate: (d: SearchDraft) => validateSearch(d),
      save: async (d: SearchDraft) => {
        calls.push(`search save ${d.material}|${d.country}|${d.minBounty}`)
        const s = { n: searches.length + 1, text: `${d.material.toUpperCase()}, to ${d.country.toUpperCase()}`, material: d.material, country: d.country, minBountyBtc: d.minBounty }
        searches.push(s)
        return s
      },
      remove: async (n: number) => {
        calls.push(`search remove ${n}`)
        const i = searches.findIndex(s => s.n === n)
        return searches.splice(i, 1)[0]
      }
    },
    notices: {
      needsYou: async () => o.needs ?? [],
      matches: () => matches,
      dismiss: () => { calls.push('dismiss'); matches = [] }
    },
    close: async () => {}
  }
  return { core: core as unknown as AppCore, calls, emit: () => { for (const fn of listeners) fn() }, searches }
}

async function openJob (r: ReturnType<typeof render>, row: number): Promise<string> {
  await until(r.lastFrame, f => f.includes('Gear') && f.includes('Vase'))
  await press(r.stdin, ...Array<string>(row).fill(KEY.down), KEY.enter)
  return await until(r.lastFrame, f => f.includes('ship to') && f.includes('Actions'))
}

test('ui-more: the client edits its open job with the post form\'s fields and checks', async (t) => {
  const { core, calls } = fakeCore()
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  let f = await openJob(r, 0)
  t.ok(f.includes('e edit'), 'the job page offers e edit to its client')
  await press(r.stdin, 'e')
  f = await until(r.lastFrame, f => f.includes('Edit job gear0000'))
  await settle()
  t.ok(f.includes('Gear') && f.includes('PLA') && f.includes('0.001') && f.includes('fine layers'), 'the form starts from the job\'s fields')
  t.ok(fits(f), 'fits 80×24')
  capture('edit-job', f)
  // a bad material is caught before anything is sent
  await press(r.stdin, KEY.tab, KEY.ctrlU, 'w', 'o', 'o', 'd', KEY.ctrlS)
  f = await until(r.lastFrame, f => f.includes('fix the material first'))
  t.ok(f.includes('unknown material "wood"'), 'the CLI\'s own message')
  t.is(calls.filter(c => c.startsWith('edit')).length, 0, 'nothing sent')
  await press(r.stdin, KEY.ctrlU, 'P', 'E', 'T', 'G', KEY.tab, KEY.tab, KEY.ctrlU, '0', '.', '0', '0', '2', KEY.ctrlS)
  f = await until(r.lastFrame, f => f.includes('updated') && f.includes('0.002'))
  t.alike(calls.filter(c => c.startsWith('edit')), ['edit gear0000aaaaaaaaaaaaaaaaaaaa Gear PETG 0.002'], 'job update with the new material and bounty')
  t.ok(f.includes('ship to') && !f.includes('Edit job'), 'back on the job page')
})

test('ui-more: only the client edits, and only an open job', async (t) => {
  const { core } = fakeCore()
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  let f = await openJob(r, 2)
  t.absent(f.includes('e edit'), 'no e edit on another\'s job')
  await press(r.stdin, 'e')
  f = await until(r.lastFrame, f => f.includes('only the job\'s client can edit it'))
  t.pass('says why')
})

test('ui-more: the whole escrow, from the job page', async (t) => {
  const { core, calls } = fakeCore()
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  let f = await openJob(r, 1)
  t.ok(f.includes('x escrow'), 'the job page offers x escrow')
  await press(r.stdin, 'x')
  f = await until(r.lastFrame, f => f.includes('Escrow of job esc00000') && f.includes('if refund'))
  t.ok(f.includes('funded') && f.includes('tb1qxxxx') && f.includes('client 0.00115 BTC') && f.includes('deposits 15 %'), 'state, address, amounts')
  t.ok(f.includes('refund: client yes, printer yes') && f.includes('3 confirmations (1 needed)') && f.includes(HEX('f')), 'signatures, the funding txid and its depth')
  t.ok(f.includes('if complete') && f.includes('printer 0.00114823 BTC') && f.includes('block 2500144 (tip 2500003)'), 'each payout path and the refund\'s lock height')
  t.ok(f.includes('ship by') && f.includes('2026-12-10T10:00:00.000Z'), 'a deal with a lead time: its ship-by time')
  t.ok(f.includes('release at') && f.includes('2026-12-24T10:00:00.000Z'), 'a shipped deal: the end of the client\'s delivery window')
  t.ok(fits(f), 'fits 80×24')
  capture('escrow', f)
  t.alike(calls, ['escrow esc00000aaaaaaaaaaaaaaaaaaaa'])
  await press(r.stdin, KEY.esc)
  await until(r.lastFrame, f => f.includes('x escrow'))
  t.pass('Esc: back to the job')
})

test('ui-more: chat photos: names and sizes in the chat, send one from a path, save them into a folder', async (t) => {
  const chat: ChatData = { id: 'esc00000aaaaaaaaaaaaaaaaaaaa', me: 'me', role: 'client', messages: [{ author: 'p', role: 'printer', at: '2026-12-01T09:00:00.000Z', text: 'it cracked', photos: [{ name: 'crack.jpg', type: 'jpeg', byteLength: 12_288 }], mine: false }], unreadable: 0, sent: false, granted: 0, files: [], peers: 1 }
  const { core, calls } = fakeCore({ chat })
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  await openJob(r, 1)
  await press(r.stdin, 'c')
  let f = await until(r.lastFrame, f => f.includes('it cracked'))
  t.ok(f.includes('[photo crack.jpg 12.0') && !f.includes('photo(s)'), 'a photo by its name and size (cut at the chat column\'s width)')
  t.ok(fits(f), 'fits 80×24')
  capture('chat-photos', f)
  await press(r.stdin, '?')
  f = await until(r.lastFrame, f => f.includes('Help'))
  t.ok(f.includes('attach a photo') && f.includes('save the chat\'s photos'), 'the keys, in the help')
  await press(r.stdin, '?')
  await until(r.lastFrame, f => f.includes('it cracked'))

  await press(r.stdin, 'a')
  f = await until(r.lastFrame, f => f.includes('Send a photo'))
  await settle()
  await press(r.stdin, KEY.enter, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('fix the photo first'))
  t.ok(f.includes('the path of a JPEG or PNG photo is needed'), 'an empty path is refused')
  await press(r.stdin, ...'/tmp/notes.txt'.split(''), KEY.tab, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('is not a JPEG or PNG image'))
  t.pass('a file that is no image: the error, nothing sent')
  await press(r.stdin, 'a')
  await until(r.lastFrame, f => f.includes('Send a photo'))
  await settle()
  await press(r.stdin, ...'/tmp/broken.jpg'.split(''), KEY.tab, ...'see here'.split(''), KEY.enter)
  f = await until(r.lastFrame, f => f.includes('photo sent') && f.includes('broken.jpg 20.0 KB'))
  t.ok(calls.includes('photo esc00000aaaaaaaaaaaaaaaaaaaa /tmp/broken.jpg see here'), 'sent with its caption')
  capture('chat-photo-send', f)

  await press(r.stdin, 'o')
  f = await until(r.lastFrame, f => f.includes('Save every photo'))
  await settle()
  t.ok(/› folder +\./.test(f), 'the folder defaults to the current one')
  capture('chat-photo-save', f)
  await press(r.stdin, KEY.ctrlU, ...'/etc/passwd'.split(''), KEY.enter)
  await until(r.lastFrame, f => f.includes('/etc/passwd is a file, not a folder'))
  t.pass('a bad path: a clear error')
  await press(r.stdin, 'o')
  await until(r.lastFrame, f => f.includes('Save every photo'))
  await settle()
  await press(r.stdin, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('saved 1 photo(s)'))
  t.ok(calls.includes('save esc00000aaaaaaaaaaaaaaaaaaaa .'), 'saved into the current folder')
})

test('ui-more: notices: the alert line, what needs you, new matching jobs; saved searches added and removed', async (t) => {
  const needs: NeedsYouInfo[] = [
    { kind: 'proposal', id: 'esc00000aaaaaaaaaaaaaaaaaaaa', title: 'Bracket', text: 'the mediator proposes 60 % of the bounty for the printer: accept or reject it', due: '2026-12-02T08:00:00.000Z', hoursLeft: 5.5 },
    { kind: 'shipped', id: 'gear0000aaaaaaaaaaaaaaaaaaaa', title: 'Gear', text: 'shipped: confirm receipt (complete) or open a dispute', due: null, hoursLeft: null }
  ]
  const matches: SearchMatchInfo[] = [{ id: 'vase0000aaaaaaaaaaaaaaaaaaaa', title: 'Vase', bountyBtc: '0.002', material: 'PLA', country: 'DE', searches: [1], at: '2026-12-01T10:15:00.000Z' }]
  const { core, calls, searches } = fakeCore({ alerts: { needsYou: 2, matches: 1, latest: matches[0] }, needs, matches })
  const r = render(<App core={core} onQuit={() => {}} />)
  t.teardown(() => r.unmount())
  let f = await until(r.lastFrame, f => f.includes('Gear'))
  t.ok(f.includes('⚑ 2 things need you · new job “Vase” 0.002 BTC matches search #1 — ! to see'), 'the alert line above the status bar')
  t.ok(fits(f), 'the market still fits 80×24 with it')
  capture('alert-line', f)

  await press(r.stdin, '!')
  f = await until(r.lastFrame, f => f.includes('Needs you (2)') && f.includes('Bracket'))
  t.ok(f.includes('answer') && f.includes('6 h left') && f.includes('confirm') && f.includes('Gear'), 'a proposal to answer (with its time left), a shipped job to confirm')
  t.ok(f.includes('New jobs matching your saved searches (1)') && f.includes('Vase') && f.includes('(#1)'), 'the new matching job')
  t.ok(fits(f), 'fits 80×24')
  capture('notices', f)
  await press(r.stdin, KEY.down, KEY.down, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('Vase') && f.includes('ship to') && !f.includes('Needs you'))
  t.pass('Enter opens the selected job')
  await press(r.stdin, KEY.esc)
  await until(r.lastFrame, f => f.includes('Needs you (2)'))
  await press(r.stdin, 'c')
  f = await until(r.lastFrame, f => f.includes('(0)') && f.includes('none since the app started'))
  t.ok(calls.includes('dismiss'), 'c clears the new-job notices')

  await press(r.stdin, 'f')
  // the selected row, not just '#1' (the alert line can name search #1 while the list is still loading)
  f = await until(r.lastFrame, f => f.includes('Saved searches') && f.includes('› #1'))
  t.ok(f.includes('PLA, to DE, ≥ 0.001 BTC'), 'the saved searches')
  await press(r.stdin, 'a')
  await until(r.lastFrame, f => f.includes('Add a saved search'))
  await settle()
  await press(r.stdin, KEY.ctrlS)
  f = await until(r.lastFrame, f => f.includes('fill in at least one of'))
  t.pass('an empty search is refused')
  await press(r.stdin, 'x', 'x', KEY.ctrlS)
  f = await until(r.lastFrame, f => f.includes('fix the material first'))
  t.ok(f.includes('unknown material "xx"'), 'the CLI\'s own message for a bad material')
  await press(r.stdin, KEY.ctrlU, 'p', 'e', 't', 'g', KEY.tab, 'u', 's', KEY.enter, KEY.enter)
  f = await until(r.lastFrame, f => f.includes('saved search #2'))
  t.ok(calls.includes('search save petg|us|'), 'saved')
  t.ok(fits(f), 'fits 80×24')
  capture('searches', f)
  await press(r.stdin, KEY.down, 'x')
  f = await until(r.lastFrame, f => f.includes('Remove #2'))
  await settle()
  await press(r.stdin, 'y')
  f = await until(r.lastFrame, f => f.includes('removed saved search #2'))
  t.ok(calls.includes('search remove 2') && searches.length === 1, 'removed after y')
})

test('ui-more: core helpers: what needs this peer, on market time; the search form', async (t) => {
  const HOUR = 3_600_000
  const now = Date.parse('2026-12-01T12:00:00Z')
  const base = { id: b4a.alloc(16, 7), seq: 1, title: 'Part', material: 'PLA', colors: [], bountySats: 1000, country: 'DE', notes: '', client: ME, printer: OTHER, createdAt: now, updatedAt: now, history: [], file: null, escrow: null, dispute: null, updates: 0, rev: 0, accepts: 1, leavers: [], claims: [] } as unknown as JobRecord
  const proposal = (answerBy: number, accepted = false): DisputeRecord => ({ stage: 'proposed', openedAt: now - HOUR, openedBy: OTHER, mediator: b4a.alloc(32, 3), mediatorFeePct: 2, proposeBy: now + HOUR, proposal: { printerPct: 60, note: '', feeScript: b4a.alloc(22), feeSats: 20, at: now - HOUR, answerBy }, acceptedClient: accepted, acceptedPrinter: false, escalation: 'none', ruling: null })
  t.is(needOf({ ...base, status: 'shipped' }, ME, now)?.kind, 'shipped', 'the client confirms a shipped job')
  t.is(needOf({ ...base, status: 'shipped' }, OTHER, now), null, 'its printer has nothing to do')
  const windowed = needOf({ ...base, status: 'shipped', deliveryDays: 14, shippedAt: now - 86_400_000 }, ME, now)
  t.is(windowed?.due, new Date(now + 13 * 86_400_000).toISOString(), 'with a delivery window, the notice is due when the printer is paid')
  const p = needOf({ ...base, status: 'disputed', dispute: proposal(now + 30 * HOUR) }, OTHER, now)
  t.ok(p?.kind === 'proposal' && p.hoursLeft === 30 && p.text.includes('60 %'), 'a proposal to answer, with the hours left on market time')
  t.is(needOf({ ...base, status: 'disputed', dispute: proposal(now + HOUR, true) }, ME, now), null, 'not once this side accepted it')
  t.is(needOf({ ...base, status: 'disputed', dispute: proposal(now - 1) }, OTHER, now), null, 'not after its time')
  const mediating = { ...proposal(now), stage: 'mediation' as const, proposal: null, proposeBy: now + 3 * HOUR, mediator: b4a.alloc(32, 9) }
  t.is(needOf({ ...base, status: 'disputed', dispute: mediating }, b4a.alloc(32, 9), now)?.kind, 'deadline', 'the mediator: propose within 3 h')
  t.is(needOf({ ...base, status: 'disputed', dispute: { ...mediating, proposeBy: now + 48 * HOUR } }, b4a.alloc(32, 9), now), null, 'not while more than 24 h are left')
  const escrow = { acceptedAt: now - 20 * HOUR, fundingTimeoutSecs: 24 * 3600, fundingTxid: null }
  const lapse = needOf({ ...base, status: 'accepted', escrow } as unknown as JobRecord, OTHER, now)
  t.ok(lapse?.kind === 'deadline' && lapse.hoursLeft === 4, 'an unfunded acceptance that lapses in 4 h')
  t.is(needOf({ ...base, status: 'accepted', escrow: { ...escrow, fundingTxid: b4a.alloc(32) } } as unknown as JobRecord, OTHER, now), null, 'not once funded')

  t.alike(validateSearch({ material: '', country: '', minBounty: '' }), { all: 'fill in at least one of material, country, minimum bounty' })
  t.alike(validateSearch({ material: 'pla', country: 'de', minBounty: '0.001' }), {})
  const bad = validateSearch({ material: 'wood', country: 'XX', minBounty: '1.123456789' })
  t.ok(bad.material !== undefined && bad.country !== undefined && bad.minBounty !== undefined, 'each field with its own message')
})

test('app session: edit a job (only what changed), its escrow refusal, photos sent and saved, saved searches, notices', async (t) => {
  const dir = await tmpDir(t)
  const app = await AppSession.open({ storage: path.join(dir, 'store'), bootstrap: [], syncTimeoutMs: 500 })
  t.teardown(() => app.close(), { order: 5 })
  await app.createMarket('More test')
  const id = await app.createJob({ title: 'Hinge', material: 'PLA', colors: 'red,black', bounty: '0.001', country: 'DE', notes: 'as drawn', file: '' })
  const before = await app.getJob(id)
  const draft = app.jobTools.draftOf(before.job)
  t.alike(draft, { title: 'Hinge', material: 'PLA', colors: 'red,black', bounty: '0.001', country: 'DE', notes: 'as drawn', file: '' }, 'the edit form starts from the record')
  await t.exception(app.jobTools.edit(id, draft), /nothing changed/, 'an unchanged form sends nothing')
  await t.exception(app.jobTools.edit(id, { ...draft, bounty: 'lots' }), /not an amount in BTC/, 'the post form\'s checks')
  const edited = await app.jobTools.edit(id, { ...draft, bounty: '0.0025', colors: '' })
  t.is(edited.bountySats, 250_000)
  t.alike(edited.colors, [], 'colours cleared')
  const after = await app.getJob(id)
  t.is(after.job.updates, 1, 'one job/update op')
  t.is(after.job.title, 'Hinge', 'the fields not touched kept')
  t.is(after.job.notes, 'as drawn')
  await t.exception(app.jobTools.escrow(id), /has no escrow/, '`escrow ID` refuses a job without one')

  // photos: the job needs a printer for its chat; the checks come first
  await t.exception(app.photos.send(id, path.join(dir, 'nope.jpg'), ''), /nope\.jpg/, 'a missing photo file')
  const txt = path.join(dir, 'notes.txt')
  fs.writeFileSync(txt, 'hello')
  await t.exception(app.photos.send(id, txt, ''), /not a JPEG or PNG/, 'a file that is no image')
  await t.exception(app.photos.save(id, txt), /is a file, not a folder/, 'saving into a file')
  await t.exception(app.photos.save(id, path.join(txt, 'sub')), /is a file, not a folder/, 'saving under a file')
  const png = path.join(dir, 'shot.png')
  fs.writeFileSync(png, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]))
  await t.exception(app.photos.send(id, png, 'look'), /has no printer/, 'a photo on a job without a printer: its chat is not open')

  // saved searches and notices
  t.alike(await app.searches.list(), [])
  await t.exception(app.searches.save({ material: '', country: '', minBounty: '' }), /at least one/)
  const s = await app.searches.save({ material: 'pla', country: 'de', minBounty: '0.001' })
  t.alike(s, { n: 1, text: 'PLA, to DE, ≥ 0.001 BTC', material: 'PLA', country: 'DE', minBountyBtc: '0.001' })
  t.ok(fs.existsSync(path.join(dir, 'store', 'searches.json')), 'kept in the storage, beside config.json')
  await t.exception(app.searches.save({ material: 'PLA', country: 'DE', minBounty: '0.001' }), /already saved as #1/)
  t.is((await app.searches.remove(1)).n, 1)
  await t.exception(app.searches.remove(1), /no saved search #1/)
  t.alike(await app.notices.needsYou(), [], 'nothing needs this peer on an open job of its own')
  t.alike(app.notices.matches(), [], 'its own jobs never match its searches')
  t.alike(validateDraft({ ...draft, file: '' }), {})
})

test('app session: a job another peer posts that matches a saved search becomes a notice, once', { timeout: 120_000 }, async (t) => {
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const app = await AppSession.open({ storage: path.join(dir, 'app'), bootstrap: tn.bootstrap, syncTimeoutMs: 1000 })
  t.teardown(() => app.close(), { order: 5 })
  await app.createMarket('Notices')
  await app.searches.save({ material: 'PLA', country: '', minBounty: '0.001' })
  const other = await openMarket(t, path.join(dir, 'other'), app.service!.market.key, { bootstrap: tn.bootstrap })
  const fields = { title: 'Lamp shade', material: 'PLA' as const, colors: [], bountySats: 150_000, country: 'FR', notes: '' }
  await other.market.append({ type: OP.JOB_CREATE, job: fields, file: null })
  await other.market.append({ type: OP.JOB_CREATE, job: { ...fields, title: 'Cheap shade', bountySats: 1000 }, file: null })
  t.ok(await eventually(() => app.state().alerts?.matches === 1, 60_000), 'the status line counts one new matching job')
  const m = app.notices.matches()
  t.alike(m.map(x => [x.title, x.bountyBtc, x.material, x.country, x.searches]), [['Lamp shade', '0.0015', 'PLA', 'FR', [1]]], 'the matching job, not the cheap one')
  t.is(app.state().alerts?.latest?.title, 'Lamp shade')
  app.notices.dismiss()
  t.alike(app.notices.matches(), [], 'dismissed')
  t.ok(await eventually(() => app.state().alerts?.matches === 0), 'and the count follows')
})
