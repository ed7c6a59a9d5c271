// bench/scale.ts, section `join`: a market built by W writers with J jobs; a fresh peer joins it over the local
// testnet, against a plain Hyperbee of the same final entries replicated from one writer, same run.
//
// Build: the creator (this process, the only indexer, on the testnet) and W writers, each on its own Corestore,
// replicating with the creator over an in-process pipe one after the other: each does the market's admission, then
// appends its share of the jobs as create → cancel pairs (a real market's jobs are mostly closed; the last 19 of
// the last writer's stay open) in one batch, and leaves once the creator holds them. Then every entry of the view is
// copied into a plain Hyperbee on the creator's store, which the creator also serves.
// Join: a fresh peer (its own Corestore and swarm) joins the market, waits until its view counts J jobs and reads
// every entry of it; a fresh peer opens the plain Hyperbee by key and reads every entry. Printed: both times, their ratio, and how many blocks
// of the writers' logs the joiner downloaded (a fast-forward downloads the view, not every writer's log).
// Goals (issue 14): joiner ≤ 2× the plain Hyperbee, and not growing with W.
import path from 'path'
import Corestore from 'corestore'
import Hyperbee from 'hyperbee'
import Hyperswarm from 'hyperswarm'
import type { Duplex } from 'stream'
import type { Hypercore } from 'hypercore'
import { Market } from '../lib/market/market.js'
import { jobIdFor } from '../lib/market/apply.js'
import { OP, LIMITS, encodeOp, type FileRef } from '../lib/schema.js'
import { tmpDir, rmDir, round, sampleJob, sleep } from './_util.js'

export interface JoinResult { writers: number, jobs: number, buildMs: number, joinMs: number, plainMs: number, ratio: number, writerBlocksDownloaded: number, viewBlocks: number }

type Bootstrap = Array<{ host: string, port: number }>

async function until (what: string, fn: () => Promise<boolean>, ms = 600_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await sleep(20)
  }
}

function pipe (a: Market, b: Market): () => void {
  const s1 = a.replicate(true) as Duplex
  const s2 = b.replicate(false) as Duplex
  s1.on('error', () => {})
  s2.on('error', () => {})
  s1.pipe(s2).pipe(s1)
  return () => { s1.destroy(); s2.destroy() }
}

// Also the seeder section's market (bench/scale.ts), with a model on every job: a writer may write
// LIMITS.opsPerWriter ops, so a market of 100 000 closed jobs needs several.
export async function buildMarket (creator: Market, dir: string, writers: number, jobs: number, file: FileRef | null = null): Promise<void> {
  const open = LIMITS.openJobsPerClient - 1
  let made = 0
  for (let w = 0; w < writers; w++) {
    const share = Math.floor(jobs / writers) + (w < jobs % writers ? 1 : 0)
    const store = new Corestore(path.join(dir, `w${w}`))
    const m = new Market(store.namespace('market'), creator.key, { swarm: false, admissionBits: 8 })
    await m.ready()
    const unpipe = pipe(creator, m)
    try {
      await m.admit()
      await until('the writer admitted', async () => { await m.update(); return m.isWriter() })
      const start = m.base.local.length
      const values: Uint8Array[] = []
      const keepOpen = w === writers - 1 ? Math.min(open, share) : 0
      for (let k = 0; k < share; k++) {
        const at = Date.now()
        values.push(encodeOp({ type: OP.JOB_CREATE, job: sampleJob(made + k), ...(file === null ? {} : { file }) }, at))
        if (k < share - keepOpen) values.push(encodeOp({ type: OP.JOB_CANCEL, jobId: jobIdFor(m.writerKey, start + values.length) }, at))
      }
      for (let i = 0; i < values.length; i += 500) await (m.base.append as unknown as (v: Uint8Array[]) => Promise<number>)(values.slice(i, i + 500))
      made += share
      await until('the creator holding the writer\'s jobs', async () => { await creator.update(); return (await creator.jobCount()) >= made })
    } finally {
      unpipe()
      await m.close()
      await store.close()
    }
  }
}

function writerBlocks (m: Market): number {
  const base = m.base as unknown as { activeWriters: Iterable<{ core: Hypercore }> }
  let n = 0
  for (const w of base.activeWriters) if (w.core !== m.base.local) n += w.core.contiguousLength
  return n
}

export async function joinMarket (writers: number, jobs: number, bootstrap: Bootstrap): Promise<JoinResult> {
  const dir = await tmpDir('scale-join')
  const store = new Corestore(path.join(dir, 'creator'))
  const creator = new Market(store.namespace('market'), null, { bootstrap, name: 'join', admissionBits: 8, ackInterval: 100 })
  const closing: Array<() => Promise<void>> = []
  try {
    await creator.ready()
    const b0 = Date.now()
    await buildMarket(creator, dir, writers, jobs)
    await until('the creator confirming every job', async () => { await creator.update(); return creator.view.core.signedLength === creator.view.core.length })
    const buildMs = Date.now() - b0
    // the baseline: the same final entries in a plain Hyperbee, served by the creator's swarm
    const plain = new Hyperbee(store.get({ name: 'plain' }), { keyEncoding: 'binary', valueEncoding: 'binary' })
    await plain.ready()
    const batch = plain.batch()
    for await (const e of creator.view.createReadStream()) await batch.put(e.key, e.value)
    await batch.flush()
    creator.swarm!.join(plain.core.discoveryKey!)
    await creator.swarm!.flush()
    closing.push(async () => { await plain.close() })

    const jStore = new Corestore(path.join(dir, 'joiner'))
    const joiner = new Market(jStore.namespace('market'), creator.key, { bootstrap })
    closing.push(async () => { await joiner.close(); await jStore.close() })
    const j0 = Date.now()
    await joiner.ready()
    await until('the joiner holding every job', async () => { await joiner.update(); return (await joiner.jobCount()) >= jobs })
    // the count is one record: the joiner holds every job once it has read every entry of its view, as the
    // baseline reads every entry of the plain Hyperbee
    let viewEntries = 0
    for await (const e of joiner.view.createReadStream()) if (e !== null) viewEntries++
    const joinMs = Date.now() - j0
    const downloaded = writerBlocks(joiner)

    const pStore = new Corestore(path.join(dir, 'plain-reader'))
    const swarm = new Hyperswarm({ bootstrap })
    closing.push(async () => { await swarm.destroy(); await pStore.close() })
    swarm.on('connection', (conn: Duplex) => { conn.on('error', () => {}); pStore.replicate(conn) })
    const p0 = Date.now()
    const reader = new Hyperbee(pStore.get({ key: plain.core.key! }), { keyEncoding: 'binary', valueEncoding: 'binary' })
    await reader.ready()
    swarm.join(reader.core.discoveryKey!)
    await until('the plain Hyperbee reader', async () => { await reader.core.update({ wait: true }); return reader.core.length >= plain.core.length })
    let entries = 0
    for await (const e of reader.createReadStream()) if (e !== null) entries++
    const plainMs = Date.now() - p0
    await reader.close()
    if (entries === 0 || entries !== viewEntries) throw new Error(`the plain Hyperbee reader read ${entries} entries, the joiner's view has ${viewEntries}`)
    return { writers, jobs, buildMs, joinMs, plainMs, ratio: round(joinMs / plainMs, 2), writerBlocksDownloaded: downloaded, viewBlocks: creator.view.core.length }
  } finally {
    for (const c of closing.reverse()) await c().catch(() => {})
    await creator.close()
    await store.close()
    await rmDir(dir)
  }
}
