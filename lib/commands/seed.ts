// seed: keeps running, replicating and serving the market, and logs one line per event until SIGINT/SIGTERM.
import { service, type Ctx, type Result } from './context.js'
import { peerId } from '../ids.js'
import { FileSeeder, seedStatePath, type SeedFlags } from '../files/seeder.js'
import { parseNotify, startSearchAlerts } from './search.js'
import { startBlindPeer } from './blind.js'
import { applyHeapFlags, NODE_HEAP_FLAGS } from '../heap.js'
import { MARKET_STOPPED } from '../errors.js'

// flags.blind: also run a blind peer in this process (lib/commands/blind.ts), with the same quota.
export async function seedCommand (ctx: Ctx, flags: SeedFlags & { notify?: string, blind?: boolean }): Promise<Result> {
  const notify = parseNotify(flags.notify) // --notify CMD: run for each new job that matches a saved search
  const lean = applyHeapFlags() // V8 flags that keep a long-running seeder's heap near what it holds (lib/heap.ts)
  const p = service(ctx)
  let stopAlerts: (() => Promise<void>) | null = null
  let host: { close: () => Promise<void> } | null = null
  let blind: { close: () => Promise<void> } | null = null
  try {
    if (flags.blind === true) blind = await startBlindPeer(ctx, Math.max(1, Math.round(flags.quotaBytes / 1024 / 1024)))
    await p.ready()
    if (!lean) ctx.emit('warning', { message: `started without ${NODE_HEAP_FLAGS.join(' ')} (the p2print command and npm start pass them): expect about 20 % more memory` })
    const market = await p.openMarket()
    market.keepLooking() // while alone, looks for peers every few seconds
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
    stopAlerts = startSearchAlerts(ctx, p, notify) // new jobs matching this storage's saved searches
    // the commands run on this storage while the seeder runs come here (lib/sidecar)
    if (ctx.host !== undefined) {
      try {
        host = await ctx.host(p)
      } catch (err) { // seeding goes on; only the commands beside it must open the storage themselves (and find it locked)
        ctx.emit('warning', { message: `commands on this storage cannot go through this seeder: ${(err as Error).message}` })
      }
    }
    const seeder = new FileSeeder(market, { quotaBytes: flags.quotaBytes, keepClosedMs: flags.keepClosedMs, stallMs: Math.max(ctx.syncTimeoutMs, 5000), emit: ctx.emit, statePath: seedStatePath(p.peer.dir, market.key) })
    await seeder.start()
    // a seeder whose market stopped (lib/market/market.ts `fault`) ends with the error rather than linger connected
    const fault = new Promise<Error>(resolve => { if (market.fault !== null) resolve(market.fault); else market.once('fault', resolve) })
    const failed = await Promise.race([ctx.stopped.then(() => null), fault])
    ctx.emit('stopping', {})
    await p.unwatchEscrow()
    await seeder.stop()
    if (failed !== null) throw MARKET_STOPPED(failed.message)
  } finally {
    await stopAlerts?.()
    await host?.close()
    await p.close()
    await blind?.close()
  }
  ctx.emit('stopped', {})
  return { kind: 'none', data: {} }
}
