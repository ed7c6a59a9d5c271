// p2print on pear-runtime (the embeddable Pear runtime): the seeder in its Bare worker, and over-the-air updates of
// the app from its upgrade drive. Node side only: what runs in the worker is bare/p2print-seed.mjs, the same entry as
// `p2print-seed` under bare-runtime's Bare. The Pear platform itself (`pear touch`, `pear stage`, `pear run`) is not
// used: it bootstraps over the public DHT (README "Pear and Bare").
import path from 'path'
import Corestore from 'corestore'
import Hyperswarm from 'hyperswarm'
import PearRuntime, { type Sidecar, type PearRuntimeOptions } from 'pear-runtime'

const HERE = path.dirname(new URL(import.meta.url).pathname) // pear/ in a clone, dist/pear/ when built
const ROOT = path.basename(path.dirname(HERE)) === 'dist' ? path.dirname(path.dirname(HERE)) : path.dirname(HERE)
export const SEED_ENTRY = path.join(ROOT, 'bare', 'p2print-seed.mjs')

// The seeder (options as `p2print seed`; JSON lines with --json) in pear-runtime's Bare worker.
export function runSeederWorker (args: string[]): Sidecar {
  return PearRuntime.run(SEED_ENTRY, args)
}

// The runtime that follows the app's upgrade link (pear://KEY: a Hyperdrive holding /package.json and
// /by-arch/<platform>-<arch>/app/<name>/…) and, once a higher version is there, copies it beside the app and emits
// 'updated' on `updater`; `updater.applyUpdate()` swaps it in place of `opts.app`. The Corestore and the swarm are
// made here and handed to it: pear-runtime 1.1.1's close() destroys only a swarm it was given (its own one stays
// open and keeps the process alive), and with a given swarm it leaves joining the upgrade drive's topic to us.
export async function openRuntime (opts: Omit<PearRuntimeOptions, 'store' | 'swarm'>): Promise<PearRuntime> {
  const store = new Corestore(path.join(opts.dir, 'pear-runtime', 'corestore'))
  const swarm = new Hyperswarm({ bootstrap: opts.bootstrap })
  swarm.on('connection', (conn: NodeJS.EventEmitter) => {
    conn.on('error', () => {}) // a peer that goes away mid-update is not our error
    store.replicate(conn as never)
  })
  const pear = new PearRuntime({ ...opts, store, swarm })
  await pear.ready()
  swarm.join(pear.updater.drive.discoveryKey, { client: true, server: false })
  return pear
}
