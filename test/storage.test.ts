// Identity and storage: a peer's id survives restarts, a second process on the same storage is refused, and the
// small parsers the command line relies on (BTC amounts, job ids) are exact.
import test from 'brittle'
import path from 'path'
import fs from 'fs'
import { spawn } from 'child_process'
import { Peer } from '../lib/peer.js'
import { parseBtc, formatBtc } from '../lib/btc.js'
import { parseJobIdPrefix, jobIdString, peerId } from '../lib/ids.js'
import { P2PrintError } from '../lib/errors.js'
import { parseQuery, parseNewJob } from '../lib/job/parse.js'
import { tmpDir } from './helpers.js'

test('storage: the id survives a restart and the market stays current', async (t) => {
  const dir = path.join(await tmpDir(t), 'peer')
  const a = new Peer(dir, { swarm: false })
  await a.ready()
  const market = await a.createMarket('kept')
  const key = peerId(market.key)
  const id = peerId(market.writerKey)
  await a.close()

  const b = new Peer(dir, { swarm: false })
  t.teardown(() => b.close())
  await b.ready()
  const again = await b.openMarket()
  t.is(peerId(again.key), key, 'the current market is remembered')
  t.is(peerId(again.writerKey), id, 'the id is the same after a restart')
  t.is((await again.meta())?.name, 'kept')
  t.alike(b.knownMarkets(), [{ key: Buffer.from(again.key).toString('hex'), created: true, current: true }])
})

test('storage: a second peer on the same storage gets STORAGE_LOCKED, in-process and from another process', async (t) => {
  const dir = path.join(await tmpDir(t), 'peer')
  const a = new Peer(dir, { swarm: false })
  t.teardown(() => a.close())
  await a.ready()

  const b = new Peer(dir, { swarm: false })
  try {
    await b.ready()
    t.fail('second open succeeded')
  } catch (err) {
    t.ok(err instanceof P2PrintError)
    t.is((err as P2PrintError).code, 'STORAGE_LOCKED')
    t.ok(/in use by another p2print process/.test((err as Error).message))
  }

  // a lock file left by a process that is gone (kill -9) is taken over
  await a.close()
  const child = spawn(process.execPath, ['-e', ''])
  const deadPid = child.pid as number
  await new Promise(resolve => child.on('close', resolve))
  fs.writeFileSync(path.join(dir, 'LOCK'), String(deadPid))
  const c = new Peer(dir, { swarm: false })
  t.teardown(() => c.close())
  await c.ready()
  t.pass('stale lock taken over')
})

test('storage: a corrupt config is refused with a message, not overwritten', async (t) => {
  const dir = path.join(await tmpDir(t), 'peer')
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'config.json'), '{ not json')
  const p = new Peer(dir, { swarm: false })
  await t.exception(p.ready(), /not a p2print config/)
  t.is(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'), '{ not json', 'the file is untouched')
  t.absent(fs.existsSync(path.join(dir, 'LOCK')), 'the lock was released')
})

test('btc: decimal BTC parses exactly to satoshis', (t) => {
  t.is(parseBtc('0.0005'), 50_000)
  t.is(parseBtc('1'), 100_000_000)
  t.is(parseBtc('1.23456789'), 123_456_789)
  t.is(parseBtc('0.1'), 10_000_000, 'no float rounding')
  t.is(parseBtc('.5'), 50_000_000)
  t.is(parseBtc('21000000'), 2_100_000_000_000_000)
  t.is(parseBtc('21000000.00000001'), null, 'more than the supply')
  t.is(parseBtc('0.000000001'), null, 'more than 8 decimals')
  for (const bad of ['abc', '-1', '1e-3', '', ' ', '1,5', '0x10', 'Infinity', 'NaN', '1.2.3']) t.is(parseBtc(bad), null, `refuses ${JSON.stringify(bad)}`)
  t.is(formatBtc(50_000), '0.0005')
  t.is(formatBtc(100_000_000), '1')
  t.is(formatBtc(123_456_789), '1.23456789')
})

test('cli parsing: bad flags are usage errors with a message', (t) => {
  const usage = (fn: () => unknown, re: RegExp): void => {
    try {
      fn()
      t.fail('no error')
    } catch (err) {
      t.ok(err instanceof P2PrintError && err.usage, 'usage error')
      t.ok(re.test((err as Error).message), (err as Error).message)
    }
  }
  usage(() => parseNewJob({ title: 'x', material: 'PLA', bounty: 'abc', country: 'DE' }), /not an amount in BTC/)
  usage(() => parseNewJob({ title: 'x', material: 'PLA', bounty: '0', country: 'DE' }), /more than 0/)
  usage(() => parseNewJob({ title: 'x', material: 'wood', bounty: '1', country: 'DE' }), /unknown material/)
  usage(() => parseNewJob({ title: 'x', material: 'PLA', bounty: '1', country: 'XX' }), /ISO 3166/)
  usage(() => parseNewJob({ title: ' ', material: 'PLA', bounty: '1', country: 'DE' }), /title is empty/)
  usage(() => parseNewJob({ material: 'PLA', bounty: '1', country: 'DE' }), /needs --title/)
  usage(() => parseQuery({ status: 'lost' }), /unknown status/)
  usage(() => parseQuery({ limit: '0' }), /--limit/)
  const ok = parseNewJob({ title: ' Vase ', material: 'petg', color: ['red, blue', 'green'], bounty: '0.01', country: 'fr' })
  t.alike(ok, { title: 'Vase', material: 'PETG', colors: ['red', 'blue', 'green'], bountySats: 1_000_000, country: 'FR', notes: '' })
})

test('ids: job ids and prefixes', (t) => {
  const id = new Uint8Array(16).map((_, i) => i * 13)
  const s = jobIdString(id)
  t.is(s.length, 26)
  t.alike(Buffer.from(parseJobIdPrefix(s)!.bytes), Buffer.from(id), 'a full id decodes to its bytes')
  const p = parseJobIdPrefix(s.slice(0, 10))
  t.is(p?.bytes.byteLength, 5, 'a 10-character prefix fixes 5 whole bytes')
  t.alike(Buffer.from(p!.bytes), Buffer.from(id.subarray(0, 5)))
  t.is(parseJobIdPrefix('not-an-id!'), null)
  t.is(parseJobIdPrefix(s.toUpperCase())?.text, s, 'case does not matter')
})
