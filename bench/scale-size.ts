// bench/scale.ts, section `size`: the view's storage per job against a plain Hyperbee holding the same final
// entries, same run. A market (one writer, no network) gets J jobs, as a real market's are mostly closed: J − 19
// create → cancel pairs and 19 left open, ops appended one at a time (as peers write them). Then every entry of the
// view is put, in key order, into a fresh Hyperbee in one batch (the baseline). Printed: blocks and bytes of each
// core per job, and the ratio (goal, issue 14: ≤ 1.5×). Two floors from the same run say where the rest comes from:
// `incremental`, the same final entries put one at a time in the order the view last wrote them (what any Hyperbee
// written op by op costs, without churn), and `replay`, every put and delete of the view's history replayed into a
// plain Hyperbee without Autobase, one batch per op as apply writes them (this key layout's churn; the view against it is Autobase's own cost).
import path from 'path'
import Corestore from 'corestore'
import Hyperbee from 'hyperbee'
import { Market } from '../lib/market/market.js'
import { OP, LIMITS } from '../lib/schema.js'
import { tmpDir, rmDir, round, sampleJob } from './_util.js'

export interface SizeResult { jobs: number, viewBlocks: number, viewBytes: number, plainBlocks: number, plainBytes: number, bytesPerJob: number, plainBytesPerJob: number, ratio: number, incrementalBytesPerJob: number, replayBlocks: number, replayBytesPerJob: number, ratioToReplay: number, ratioToIncremental: number }

export async function viewSize (jobs: number): Promise<SizeResult> {
  const dir = await tmpDir('scale-size')
  const store = new Corestore(path.join(dir, 'store'))
  const market = new Market(store.namespace('market'), null, { swarm: false, name: 'size', admissionBits: 8 })
  try {
    await market.ready()
    const open = LIMITS.openJobsPerClient - 1
    for (let i = 0; i < jobs; i++) {
      const { jobId } = await market.append({ type: OP.JOB_CREATE, job: sampleJob(i) })
      if (i < jobs - open) await market.append({ type: OP.JOB_CANCEL, jobId: jobId! })
    }
    while (await market.jobCount() < jobs) await market.update()
    const view = market.view
    const plain = new Hyperbee(store.get({ name: 'plain' }), { keyEncoding: 'binary', valueEncoding: 'binary' })
    await plain.ready()
    const batch = plain.batch()
    for await (const e of view.createReadStream()) await batch.put(e.key, e.value)
    await batch.flush()
    // floors: replay the view's history as written (puts and deletes), and its final entries in last-written order
    const replay = new Hyperbee(store.get({ name: 'replay' }), { keyEncoding: 'binary', valueEncoding: 'binary' })
    const incremental = new Hyperbee(store.get({ name: 'incremental' }), { keyEncoding: 'binary', valueEncoding: 'binary' })
    await replay.ready()
    await incremental.ready()
    const lastPut = new Map<string, { seq: number, key: Uint8Array, value: Uint8Array }>()
    // apply writes each op as one batch that ends with the author's writer record ('w'): replay the same batches
    let opBatch = replay.batch()
    for await (const e of view.createHistoryStream()) {
      const id = Buffer.from(e.key).toString('hex')
      if (e.type === 'put') {
        await opBatch.put(e.key, e.value!)
        lastPut.set(id, { seq: e.seq, key: e.key, value: e.value! })
      } else {
        await opBatch.del(e.key)
        lastPut.delete(id)
      }
      if (e.key[0] === 0x77) {
        await opBatch.flush()
        opBatch = replay.batch()
      }
    }
    await opBatch.flush()
    for (const e of [...lastPut.values()].sort((a, b) => a.seq - b.seq)) await incremental.put(e.key, e.value)
    const r = {
      jobs,
      viewBlocks: view.core.length,
      viewBytes: view.core.byteLength,
      plainBlocks: plain.core.length,
      plainBytes: plain.core.byteLength,
      bytesPerJob: round(view.core.byteLength / jobs, 0),
      plainBytesPerJob: round(plain.core.byteLength / jobs, 0),
      ratio: round(view.core.byteLength / plain.core.byteLength, 2),
      incrementalBytesPerJob: round(incremental.core.byteLength / jobs, 0),
      replayBlocks: replay.core.length,
      replayBytesPerJob: round(replay.core.byteLength / jobs, 0),
      ratioToReplay: round(view.core.byteLength / replay.core.byteLength, 2),
      ratioToIncremental: round(view.core.byteLength / incremental.core.byteLength, 2)
    }
    await plain.close()
    await replay.close()
    await incremental.close()
    return r
  } finally {
    await market.close()
    await store.close()
    await rmDir(dir)
  }
}
