// seed: keeps running, replicating and serving the market, and logs one line per event until SIGINT/SIGTERM.
import { service, type Ctx, type Result } from './context.js'
import { peerId } from '../ids.js'
import { FileSeeder, type SeedFlags } from '../files/seeder.js'

export async function seedCommand (ctx: Ctx, flags: SeedFlags): Promise<Result> {
  const p = service(ctx)
  try {
    await p.ready()
    const market = await p.openMarket()
    market.startClock() // ticks the market clock while this peer is one of its indexers (lib/market/clock.ts)
    let lastCount = await market.jobCount()
    let lastSigned = market.view.core.signedLength
    ctx.emit('seeding', { key: peerId(market.key), id: peerId(market.writerKey), indexer: market.isIndexer(), jobs: lastCount })
    market.on('peer-add', () => ctx.emit('peer-connected', { peers: market.connections }))
    market.on('peer-remove', () => ctx.emit('peer-disconnected', { peers: market.connections }))
    market.on('warning', (err: Error) => ctx.emit('warning', { message: err.message }))
    market.on('update', () => {
      void (async () => {
        if (market.closing !== null) return
        const jobs = await market.jobCount()
        const signed = market.view.core.signedLength
        if (jobs !== lastCount || signed !== lastSigned) {
          ctx.emit('market-updated', { jobs, newJobs: jobs - lastCount, viewLength: market.view.core.length, signedLength: signed })
          lastCount = jobs
          lastSigned = signed
        }
      })().catch(() => {})
    })
    // the escrow watcher: this peer's due escrow steps on every update and every new block
    if (await p.escrowSession() !== null) p.watchEscrow()
    const seeder = new FileSeeder(market, { quotaBytes: flags.quotaBytes, keepClosedMs: flags.keepClosedMs, stallMs: Math.max(ctx.syncTimeoutMs, 5000), emit: ctx.emit })
    await seeder.start()
    await ctx.stopped
    ctx.emit('stopping', {})
    await p.unwatchEscrow()
    await seeder.stop()
  } finally {
    await p.close()
  }
  ctx.emit('stopped', {})
  return { kind: 'none', data: {} }
}
