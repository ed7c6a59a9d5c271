// One peer process of bench/scale-converge.ts (not a bench by itself). argv: storage dir, market key (hex) or
// `new` (this peer creates the market and is its indexer), bootstrap host:port,…, ackInterval (ms).
// Answers one JSON line per stdin command:
//   ready     → once it has the market's first op: { key, writer }
//   post K    → appends K jobs at once (its first write does the market's admission work first): { cpuMs }
//   state     → { jobs, length, signed, hash (tree hash of the view at its signed length, once it holds every job
//               asked for by `expect`), cpuMs }
//   expect N  → remember N as the number of jobs to hash at: { ok }
//   quit
import readline from 'readline'
import b4a from 'b4a'
import Corestore from 'corestore'
import { Market } from '../lib/market/market.js'
import { OP } from '../lib/schema.js'
import { sampleJob, sleep } from './_util.js'

const [dir, keyArg, boot, ackArg] = process.argv.slice(2)
const bootstrap = boot.split(',').map(hp => ({ host: hp.split(':')[0], port: Number(hp.split(':')[1]) }))
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
const say = (x: Record<string, unknown>): void => { process.stdout.write(JSON.stringify(x) + '\n') }

async function main (): Promise<void> {
  const store = new Corestore(dir)
  const market = new Market(store.namespace('market'), keyArg === 'new' ? null : b4a.from(keyArg, 'hex'), { bootstrap, name: 'converge', admissionBits: 8, ackInterval: Number(ackArg), ...(process.env.BENCH_MAX_OUT !== undefined ? { maxOutgoing: Number(process.env.BENCH_MAX_OUT) } : {}) })
  await market.ready()
  market.keepLooking()
  let expect = Infinity
  const rl = readline.createInterface({ input: process.stdin })
  for await (const line of rl) {
    const [cmd, arg] = line.trim().split(' ')
    if (cmd === 'ready') {
      while ((await market.meta()) === null) { await market.update(); await sleep(50) }
      say({ key: b4a.toString(market.key, 'hex'), writer: b4a.toString(market.writerKey, 'hex') })
    } else if (cmd === 'post') {
      const n = Number(arg)
      const posts: Array<Promise<unknown>> = []
      for (let i = 0; i < n; i++) posts.push(market.append({ type: OP.JOB_CREATE, job: sampleJob(i) }))
      await Promise.all(posts)
      say({ cpuMs: cpuMs() })
    } else if (cmd === 'expect') {
      expect = Number(arg)
      say({ ok: true })
    } else if (cmd === 'state') {
      const jobs = await market.jobCount()
      const core = market.view.core
      const signed = core.signedLength
      const hash = jobs >= expect && signed > 0 ? b4a.toString(await core.treeHash(signed), 'hex') : null
      say({ jobs, length: core.length, signed, hash, cpuMs: cpuMs(), writer: market.isWriter() })
    } else if (cmd === 'quit') {
      break
    }
  }
  await market.close()
  await store.close()
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1) })
