// Keys as a terminal delivers them: several in one read (a paste, key repeat over SSH, fast typing) and right after a
// screen opens; and the app's small promises about keys and messages (Esc after posting, a fixed field's message,
// the first-run keys, the job page's key line, what accepting locks, the answer to a proposal).
import test from 'brittle'
import { render } from 'ink-testing-library'
import { useInput, type Key } from 'ink'
import { splitKeys, parseKey } from '../ui/components/keys.js'
import { disputeInfo, type DisputeRow } from '../lib/app.js'
import { openTerm, fake, proposal, KEY, ME, OTHER, type FakeJob } from './fixtures/term.js'

test('keys: a read is split into the keys it holds', (t) => {
  t.alike(splitKeys('\u007f\u007f\u007f'), ['\u007f', '\u007f', '\u007f'], 'three backspaces')
  t.alike(splitKeys('Gear\tPLA\r'), ['G', 'ear', '\t', 'P', 'LA', '\r'], 'Tab and Enter apart; a run\'s first key alone (it may open a field), the rest one piece')
  t.alike(splitKeys('ab\bc'), ['a', 'b', '\b', 'c'])
  t.alike(splitKeys('😀ab'), ['😀', 'ab'], 'by characters, not UTF-16 halves')
  t.alike(splitKeys('\u001B[A'), ['\u001B[A'], 'an escape sequence (Ink has split those off) stays whole')
  t.alike(splitKeys('q'), ['q'])
  t.alike(splitKeys(''), [])
})

const field = (f: string, label: string): string => f.split('\n').find(l => l.includes(label)) ?? ''

test('keys: backspaces in one read all count', async (t) => {
  const core = fake(3)
  const term = openTerm(core, 100, 40)
  t.teardown(() => term.unmount())
  await term.until(f => f.includes('Part 1:'))
  await term.keys('p')
  await term.until(f => f.includes('Post a job'))
  await term.keys('Gearxyz')
  await term.until(f => field(f, 'title').includes('Gearxyz'))
  await term.keys('\u007f\u007f\u007f')
  const f = await term.until(f => !field(f, 'title').includes('Gearx'))
  t.ok(field(f, 'title').includes('Gear▏'), `three backspaces in one read removed three characters (${field(f, 'title').trim()})`)
  await term.keys('\b\b')
  t.ok(field(await term.until(f => field(f, 'title').includes('Ge▏')), 'title').includes('Ge▏'), 'and Ctrl-H (\\b) twice')
})

test('keys: a whole form in one read: Tab moves, Enter on the last field posts', async (t) => {
  const core = fake(3)
  const term = openTerm(core, 100, 40)
  t.teardown(() => term.unmount())
  await term.until(f => f.includes('Part 1:'))
  // p and the form's text in one read: the form opens and takes the rest
  await term.keys('pGear\tPLA\t\t0.001\tDE\t\t\t\r')
  const f = await term.until(f => core.calls.length > 0 || f.includes('fix the'))
  t.alike(core.calls, ['create Gear PLA 0.001 DE'], 'posted with every field where it was typed')
  if (core.calls.length === 0) t.comment(f)
  t.absent(f.includes('\t'), 'no Tab typed as text')
})

test('keys: arrows and Enter in one read act in order', async (t) => {
  const mine: FakeJob[] = [0, 1, 2].map(i => ({ ...fake(1).jobs[0], id: `mine${i}000000000000`, title: `Mine ${i}`, status: 'active', role: 'client', client: ME, printer: OTHER }))
  const core = fake(1, { mine })
  const term = openTerm(core, 100, 40)
  t.teardown(() => term.unmount())
  await term.until(f => f.includes('Part 0:'))
  await term.keys('y')
  await term.until(f => f.includes('Mine 2'))
  await term.keys(KEY.down + KEY.down + KEY.enter)
  const f = await term.until(f => f.includes('Timeline'))
  t.ok(f.includes('Mine 2 [active]'), 'the third job opened: the Enter saw both moves')
})

test('keys: keys typed as a screen opens reach it', async (t) => {
  const core = fake(3)
  const term = openTerm(core, 100, 40)
  t.teardown(() => term.unmount())
  await term.until(f => f.includes('Part 1:'))
  // no wait between them: the form's key handler is attached a moment after its first frame
  await term.keys('p', 'G', 'e', KEY.tab, 'P', 'L', 'A')
  const f = await term.until(f => field(f, 'material').includes('PLA'))
  t.ok(field(f, 'title').includes('Ge'), `the title got its keys (${field(f, 'title').trim()})`)
})

test('keys: Esc from the posted job goes back to the market, not into the form', async (t) => {
  const core = fake(3)
  const term = openTerm(core, 100, 40)
  t.teardown(() => term.unmount())
  await term.until(f => f.includes('Part 1:'))
  await term.keys('p')
  await term.until(f => f.includes('Post a job'))
  await term.keys('Gear', KEY.tab, 'PLA', KEY.tab, KEY.tab, '0.001', KEY.tab, 'DE', KEY.ctrlS)
  await term.until(f => f.includes('posted') && f.includes('Actions'))
  await term.keys(KEY.esc)
  let f = await term.until(f => !f.includes('Actions') && (f.includes('TITLE') || f.includes('Post a job')))
  t.ok(f.includes('p2print · Market') && f.includes('TITLE'), 'back on the market')
  if (!f.includes('TITLE')) t.comment(f)
  t.absent(f.includes('Post a job'), 'not in an old post form')
  await term.keys('m')
  f = await term.until(f => f.includes('TITLE'))
  t.absent(f.includes('m▏'), 'm is a key again, not text in a field')
})

test('keys: the post form\'s message about a field goes once the field is fixed', async (t) => {
  const core = fake(1)
  const term = openTerm(core, 100, 40)
  t.teardown(() => term.unmount())
  await term.until(f => f.includes('Part 0:'))
  await term.keys('p')
  await term.until(f => f.includes('Post a job'))
  await term.keys('Gear', KEY.tab, 'wood', KEY.ctrlS)
  let f = await term.until(f => f.includes('fix the material first'))
  t.ok(f.includes('✗ fix the material first'), 'refused, naming the field')
  await term.keys(KEY.ctrlU, 'P', 'L')
  f = await term.until(f => field(f, 'material').includes('PL▏'))
  t.ok(f.includes('fix the material first'), 'still there while the material is wrong')
  await term.keys('A')
  f = await term.until(f => field(f, 'material').includes('PLA▏'))
  t.absent(f.includes('fix the material first'), 'gone once the material is valid')
})

test('keys: first run: the global keys say what to do first, and help lists only what works', async (t) => {
  const core = fake(0, { state: { hasMarket: false, market: null, sync: 'no-market', balance: null } })
  const term = openTerm(core, 100, 40)
  t.teardown(() => term.unmount())
  await term.until(f => f.includes('create a new market'))
  await term.keys('w')
  let f = await term.until(f => f.includes('first'))
  t.ok(f.includes('create a market (c) or join one (j) first') && f.includes('wallet'), 'w answers: create or join a market first')
  await term.keys('?')
  f = await term.until(f => f.includes('Help — First run'))
  t.absent(/^\s*│?\s*w\s+wallet/m.test(f), 'help does not offer w')
  t.ok(f.includes('quit'), 'it lists quit')
})

test('keys: the job page\'s key line names v; accepting in an escrow market shows the deposit it locks', async (t) => {
  const core = fake(3, { state: { market: { key: 'k'.repeat(52), name: 'Escrow market', id: 'me', writer: true, jobs: 3, byStatus: { open: 3 }, chain: 'regtest', depositPct: 15 } } })
  core.jobs[1].escrowChain = 'regtest'
  const term = openTerm(core, 100, 40)
  t.teardown(() => term.unmount())
  await term.until(f => f.includes('Part 1:'))
  await term.keys(KEY.down, KEY.enter)
  let f = await term.until(f => f.includes('Actions') && f.includes('accept'))
  t.ok(/v view model/.test(f), 'v in the key line')
  await term.keys(KEY.enter)
  f = await term.until(f => f.includes('press y'))
  // bounty 20 000 sats, 15 % deposit
  t.ok(f.includes('locks your deposit of 3000 sats (0.00003 BTC, 15 % of the bounty)') && f.includes('on regtest'), 'the deposit, in sats and BTC')
  t.absent(core.calls.some(c => c.startsWith('accept')), 'nothing done before y')
})

test('keys: accepting a proposal the other side accepted says the split is paid, not that it waits', async (t) => {
  const disputes: DisputeRow[] = [{ id: 'cli000000000000', title: 'Vase', status: 'disputed', bountyBtc: '0.00200000', role: 'client', dispute: disputeInfo(proposal(60, { printer: true })), moves: ['accept', 'reject'] }]
  const core = fake(1, { disputes })
  const term = openTerm(core, 100, 40)
  t.teardown(() => term.unmount())
  await term.until(f => f.includes('Part 0:'))
  await term.keys('d')
  let f = await term.until(f => f.includes('Vase') && f.includes('a: accept'))
  t.ok(f.includes('the printer accepted, waiting for the client'), 'the stage says who has accepted')
  await term.keys('a')
  await term.until(f => f.includes('Press y'))
  await term.keys('y')
  f = await term.until(f => f.includes('proposal accepted'))
  t.ok(f.includes('proposal accepted by both sides: the split is being paid'), 'both accepted: being paid')
  t.absent(f.includes('once the other side accepts'), 'no "once the other side accepts too"')
})

test('keys: each key reads as Ink\'s useInput reads it', async (t) => {
  const seen: Array<{ input: string, key: Key }> = []
  function Probe (): null { useInput((input, key) => { seen.push({ input, key }) }); return null }
  const r = render(<Probe />)
  t.teardown(() => r.unmount())
  const keys = ['a', 'Q', ' ', '\r', '\t', '\u007f', '\b', '\u0013', '\u0015', '\u0003', KEY.up, KEY.down, '\u001B[C', '\u001B[D', '\u001B[5~', '\u001B[6~', '\u001B[H', '\u001B[F', '\u001B[3~', '\u001B[Z', '\u001B[1;5A', '\u001Bx']
  for (const k of keys) {
    r.stdin.write(k)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
  await new Promise(resolve => setTimeout(resolve, 50))
  t.is(seen.length, keys.length, 'Ink read each')
  for (let i = 0; i < keys.length; i++) t.alike(parseKey(keys[i]), seen[i], JSON.stringify(keys[i]))
})
