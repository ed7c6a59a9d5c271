// bench/scale.ts, section `size`: the view's storage per job against a plain Hyperbee holding the same final
// entries, same run. A market (one writer, no network) gets J jobs, as a real market's are mostly closed: J − 19
// create → cancel pairs and 19 left open, ops appended one at a time (as peers write them). Then every entry of the
// view is put, in key order, into a fresh Hyperbee in one batch (the baseline). Printed: blocks and bytes of each
// core per job, and the ratio (goal, issue 14: ≤ 1.5×).
import path from 'path'
import Corestore from 'corestore'
import Hyperbee from 'hyperbee'
import { Market } from '../lib/market/market.js'
import { OP, LIMITS } from '../lib/schema.js'
import { tmpDir, rmDir, round, sampleJob } from './_util.js'

export interface SizeResult { jobs: number, viewBlocks: number, viewBytes: number, plainBlocks: number, plainBytes: number, bytesPerJob: number, plainBytesPerJob: number, ratio: number }

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
    const r = {
      jobs,
      viewBlocks: view.core.length,
      viewBytes: view.core.byteLength,
      plainBlocks: plain.core.length,
      plainBytes: plain.core.byteLength,
      bytesPerJob: round(view.core.byteLength / jobs, 0),
      plainBytesPerJob: round(plain.core.byteLength / jobs, 0),
      ratio: round(view.core.byteLength / plain.core.byteLength, 2)
    }
    await plain.close()
    return r
  } finally {
    await market.close()
    await store.close()
    await rmDir(dir)
  }
}
