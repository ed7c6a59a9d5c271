// Bench (issue 14, writers cost something): what a market's writer admission (lib/market/admission.ts) costs the
// newcomer against what it costs every peer's apply, in one run.
//
// Prints: the time to find the work at the market default (DEFAULT_ADMISSION_BITS) over RUNS fresh keys (median,
// min, max: the number of hashes is geometric, so single runs spread widely); one check of a nonce (µs); and, through
// the real reducer on a Hyperbee, the time per refused admission (a writer/admit without the work, from a fresh key)
// against the time per job/create a writer applies (the baseline, same run). The ratio `workPerCheck` is what the
// spammer pays per key for each unit of work it makes every peer do; `refusedPerCreate` shows a refused admission
// costs a peer less than an ordinary op.
//
//   node --import tsx bench/admission.ts     (BENCH_RUNS=5)
import crypto from 'hypercore-crypto'
import Corestore from 'corestore'
import Hyperbee from 'hyperbee'
import path from 'path'
import type { ApplyHost, ApplyNode } from 'autobase'
import { apply } from '../lib/market/apply.js'
import { admissionWork, findAdmission, DEFAULT_ADMISSION_BITS } from '../lib/market/admission.js'
import { OP, encodeOp } from '../lib/schema.js'
import type { View } from '../lib/market/view.js'
import { tmpDir, rmDir, round, median, sampleJob, printResult, env } from './_util.js'

const RUNS = env('BENCH_RUNS', 5)
const OPS = 2000

function node (from: Uint8Array, value: Uint8Array, length: number, optimistic: boolean): ApplyNode {
  return { value, from: { key: from } as ApplyNode['from'], length, indexed: false, optimistic }
}

async function main (): Promise<void> {
  const market = crypto.randomBytes(32)
  const finds: number[] = []
  for (let i = 0; i < RUNS; i++) finds.push((await findAdmission(market, crypto.randomBytes(32), DEFAULT_ADMISSION_BITS)).ms)

  const key = crypto.randomBytes(32)
  const checks = 200_000
  let t = process.hrtime.bigint()
  for (let i = 0; i < checks; i++) admissionWork(market, key, i)
  const checkUs = Number(process.hrtime.bigint() - t) / 1e3 / checks

  const dir = await tmpDir('admission')
  const store = new Corestore(path.join(dir, 'store'))
  const bee: View = new Hyperbee(store.get({ name: 'view' }), { keyEncoding: 'binary', valueEncoding: 'binary' })
  await bee.ready()
  const host: ApplyHost = { addWriter: async () => {}, removeWriter: async () => {}, ackWriter: async () => {}, interrupt: () => {} }
  const creator = crypto.randomBytes(32)
  await apply([node(creator, encodeOp({ type: OP.MARKET_INIT, name: 'bench', admissionBits: DEFAULT_ADMISSION_BITS }, 1), 1, false)], bee, host, market)
  // baseline: creates (and cancels, so the open-jobs limit never refuses one) by one writer, one op per apply call
  const { jobIdFor } = await import('../lib/market/apply.js')
  t = process.hrtime.bigint()
  for (let i = 0; i < OPS; i += 2) {
    await apply([node(creator, encodeOp({ type: OP.JOB_CREATE, job: sampleJob(i) }, 10 + i), 2 + i, false)], bee, host, market)
    await apply([node(creator, encodeOp({ type: OP.JOB_CANCEL, jobId: jobIdFor(creator, 2 + i) }, 11 + i), 3 + i, false)], bee, host, market)
  }
  const opUs = Number(process.hrtime.bigint() - t) / 1e3 / OPS
  const length = bee.core.length
  t = process.hrtime.bigint()
  for (let i = 0; i < OPS; i++) await apply([node(crypto.randomBytes(32), encodeOp({ type: OP.WRITER_ADMIT, nonce: i }, 20 + i), 1, true)], bee, host, market)
  const refusedUs = Number(process.hrtime.bigint() - t) / 1e3 / OPS
  const unchanged = bee.core.length === length
  await bee.close()
  await store.close()
  await rmDir(dir)

  const findMs = median(finds)
  printResult({
    bench: 'admission',
    bits: DEFAULT_ADMISSION_BITS,
    runs: RUNS,
    findMs: { median: findMs, min: Math.min(...finds), max: Math.max(...finds) },
    checkUs: round(checkUs, 2),
    workPerCheck: round(findMs * 1000 / checkUs, 0),
    refusedAdmissionUs: round(refusedUs, 1),
    createOrCancelUs: round(opUs, 1),
    refusedPerCreate: round(refusedUs / opUs, 3),
    refusedWroteNothing: unchanged
  })
}

main().catch((err) => { console.error(err); process.exit(1) })
