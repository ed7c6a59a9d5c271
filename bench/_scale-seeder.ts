// The seeder process of bench/scale.ts (not a bench by itself): joins a market on the local testnet, catches up,
// runs the file seeder (lib/files/seeder.ts, as `p2print seed` does) and answers the parent's commands on stdin
// with one JSON line each on stdout:
//   wait N C → once its view holds N jobs, C of them cancelled, and the file seeder has handled every update: { jobs, cpuMs, rssMb }
//   idle MS  → its CPU over MS ms of doing nothing, and its RSS at the end: { cpuMs, rssMb }
//   scan     → CPU of one read of every job record (what the seeder did on every update before it followed the
//              view's changes): { cpuMs, jobs }
//   quit
// argv: storage dir, market key (hex), bootstrap host:port,host:port,…
import readline from 'readline'
import b4a from 'b4a'
import Corestore from 'corestore'
import { Market } from '../lib/market/market.js'
import { allJobs } from '../lib/market/view.js'
import { FileSeeder } from '../lib/files/seeder.js'
import { sleep } from './_util.js'
import { applyHeapFlags } from '../lib/heap.js'

const [dir, keyHex, boot] = process.argv.slice(2)
const bootstrap = boot.split(',').map(hp => ({ host: hp.split(':')[0], port: Number(hp.split(':')[1]) }))
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
const rssMb = (): number => process.memoryUsage().rss / 1024 / 1024
// where the RSS is: the JS heap, and memory outside it that V8 knows of (buffers); the rest is native (RocksDB, libuv,
// …). BENCH_SEEDER_GC=1 with NODE_OPTIONS=--expose-gc collects garbage before each figure (live heap only; it costs
// CPU per op)
const heap = (): { heapMb: number, externalMb: number } => { if (process.env.BENCH_SEEDER_GC === '1') (globalThis as { gc?: () => void }).gc?.(); const m = process.memoryUsage(); return { heapMb: Math.round(m.heapUsed / 1048576), externalMb: Math.round(m.external / 1048576) } }
const say = (x: Record<string, unknown>): void => { process.stdout.write(JSON.stringify(x) + '\n') }

async function main (): Promise<void> {
  // as `p2print seed` does (lib/heap.ts); BENCH_SEEDER_HEAP=0: V8's defaults, to compare
  if (process.env.BENCH_SEEDER_HEAP !== '0') applyHeapFlags()
  const store = new Corestore(dir)
  const market = new Market(store.namespace('market'), b4a.from(keyHex, 'hex'), { bootstrap })
  await market.ready()
  market.keepLooking() // as `p2print seed` does
  const events = { mirrored: 0, unavailable: 0 }
  const seeder = new FileSeeder(market, {
    quotaBytes: 1e12,
    keepClosedMs: 7 * 86_400_000,
    stallMs: 10_000,
    emit: (tag) => { if (tag === 'file-mirrored') events.mirrored++; else if (tag === 'file-unavailable') events.unavailable++ }
  })
  let started = false
  const settle = async (): Promise<void> => {
    await seeder.idle()
    await sleep(100) // an 'update' still on its way
    await seeder.idle()
  }
  const t0 = Date.now()
  const cpu0 = cpuMs()
  const rl = readline.createInterface({ input: process.stdin })
  for await (const line of rl) {
    const [cmd, arg, arg2] = line.trim().split(' ')
    if (cmd === 'wait') {
      const want = Number(arg)
      const cancelled = Number(arg2)
      let shown = Date.now()
      while (await market.jobCount() < want || ((await market.statusCounts()).cancelled ?? 0) < cancelled) {
        await market.update()
        await sleep(20)
        if (process.env.BENCH_TRACE === '1' && Date.now() - shown > 2000) {
          shown = Date.now()
          process.stderr.write(`[seeder] ${await market.jobCount()} jobs, ${JSON.stringify(await market.statusCounts())}, ${market.connections} peers, view ${market.view.core.length}\n`)
        }
      }
      if (!started) {
        const caughtUp = { ms: Date.now() - t0, cpuMs: cpuMs() - cpu0, rssMb: rssMb() }
        started = true
        const s0 = cpuMs()
        const w0 = Date.now()
        await seeder.start()
        await settle()
        say({ jobs: await market.jobCount(), caughtUp, firstPass: { ms: Date.now() - w0, cpuMs: cpuMs() - s0 }, cpuMs: cpuMs(), rssMb: rssMb(), ...events })
      } else {
        await settle()
        say({ jobs: await market.jobCount(), cpuMs: cpuMs(), rssMb: rssMb(), ...heap(), ...events })
      }
    } else if (cmd === 'idle') {
      const c0 = cpuMs()
      await sleep(Number(arg))
      say({ cpuMs: cpuMs() - c0, rssMb: rssMb() })
    } else if (cmd === 'scan') {
      const c0 = cpuMs()
      let jobs = 0
      for await (const e of allJobs(market.view)) if (e.job.file !== null) jobs++
      say({ cpuMs: cpuMs() - c0, jobs })
    } else if (cmd === 'quit') {
      break
    }
  }
  await seeder.stop()
  await market.close()
  await store.close()
}

main().catch((err) => {
  process.stderr.write(String(err?.stack ?? err) + '\n')
  process.exit(1)
})
