// ViewChanges (lib/market/changes.ts): what a long-running consumer of the view reads on an update is what changed
// since it last read, not the whole view; a truncated view is read again from the cut.
import test from 'brittle'
import path from 'path'
import b4a from 'b4a'
import Corestore from 'corestore'
import Hyperbee from 'hyperbee'
import { openMarket, tmpDir } from './helpers.js'
import { ViewChanges, type ViewChange } from '../lib/market/changes.js'
import { decodeJob, JOB_RANGE, type View } from '../lib/market/view.js'
import { OP, type JobFields } from '../lib/schema.js'

const all = { gte: b4a.from([0]), lt: b4a.from([0xff]) }
const text = (b: Uint8Array | null): string | null => b === null ? null : b4a.toString(b)

async function collect (changes: ViewChanges, ranges = [all]): Promise<Array<{ key: string, value: string | null, old: string | null }>> {
  const out: ViewChange[] = []
  await changes.read(ranges, c => { out.push(c) })
  return out.map(c => ({ key: b4a.toString(c.key), value: text(c.value), old: text(c.old) }))
}

test('changes: the first read yields every entry, the next only what changed, a truncation is read again', async (t) => {
  const dir = await tmpDir(t)
  const store = new Corestore(path.join(dir, 'store'))
  const bee = new Hyperbee(store.get({ name: 'bee' }), { keyEncoding: 'binary', valueEncoding: 'binary' }) as unknown as View
  t.teardown(async () => { await bee.close(); await store.close() })
  await bee.ready()
  const changes = new ViewChanges(bee)
  t.teardown(() => changes.close())
  for (const k of ['a', 'b', 'c']) await bee.put(b4a.from(k), b4a.from(k + '1'))
  t.alike(await collect(changes), [{ key: 'a', value: 'a1', old: null }, { key: 'b', value: 'b1', old: null }, { key: 'c', value: 'c1', old: null }], 'from the empty tree: everything')
  t.alike(await collect(changes), [], 'nothing changed: nothing read')

  await bee.put(b4a.from('b'), b4a.from('b2'))
  await bee.del(b4a.from('a'))
  await bee.put(b4a.from('d'), b4a.from('d1'))
  t.alike(await collect(changes), [{ key: 'a', value: null, old: 'a1' }, { key: 'b', value: 'b2', old: 'b1' }, { key: 'd', value: 'd1', old: null }], 'a delete, an update and a new key')
  t.alike(await collect(changes, [{ gte: b4a.from('c'), lt: b4a.from('z') }]), [], 'ranges limit what is read')

  // Autobase cuts its view back when it reorders optimistic ops; what was cut is read again
  const before = bee.core.length
  await bee.put(b4a.from('e'), b4a.from('e1'))
  t.is((await collect(changes)).length, 1)
  await bee.core.truncate(before)
  await bee.put(b4a.from('e'), b4a.from('e2'))
  t.alike(await collect(changes), [{ key: 'e', value: 'e2', old: null }], 'the entry written again after the cut')
})

test('changes: a market job that changes is the one change read', async (t) => {
  const dir = await tmpDir(t)
  const { market } = await openMarket(t, path.join(dir, 'm'), null, { swarm: false })
  const fields: JobFields = { title: 'part', material: 'PLA', colors: [], bountySats: 1000, country: 'DE', notes: '' }
  const ids: Uint8Array[] = []
  for (let i = 0; i < 15; i++) ids.push((await market.append({ type: OP.JOB_CREATE, job: { ...fields, title: `part ${i}` } })).jobId!)
  await market.update()
  const changes = new ViewChanges(market.view)
  t.teardown(() => changes.close())
  let n = 0
  await changes.read([JOB_RANGE], () => { n++ })
  t.is(n, 15, 'every job once at the start')
  await market.append({ type: OP.JOB_CANCEL, jobId: ids[7] })
  await market.update()
  const seen: ViewChange[] = []
  await changes.read([JOB_RANGE], c => { seen.push(c) })
  t.is(seen.length, 1, 'one job changed, one read')
  t.alike(seen.map(c => [decodeJob(c.old!).status, decodeJob(c.value!).status]), [['open', 'cancelled']], 'with its record before and after')
  t.ok(b4a.equals(decodeJob(seen[0].value!).id, ids[7]))
})
