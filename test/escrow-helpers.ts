// Helpers shared by the engine-level escrow tests (test/escrow-flow.test.ts, test/disputes.test.ts).
import type * as bitcoin from 'bitcoinjs-lib'
import path from 'path'
import { eventually, sleep, p2print } from './helpers.js'
import type { RegtestChain } from './regtest.js'
import type { Market } from '../lib/market/market.js'
import type { JobRecord } from '../lib/schema.js'
import type { EscrowEngine, StepReport } from '../lib/escrow/engine.js'
import { addressOf } from '../lib/escrow/psbt.js'

export const WAIT = 40_000

export async function jobOn (m: Market, id: Uint8Array): Promise<{ job: JobRecord, confirmed: boolean } | null> {
  await m.update()
  return m.getJob(id)
}

// Until the job's record on `m` is confirmed and satisfies `pred`.
export async function until (m: Market, id: Uint8Array, pred: (j: JobRecord) => boolean, timeout = WAIT): Promise<boolean> {
  return eventually(async () => {
    const v = await jobOn(m, id)
    return v !== null && v.confirmed && pred(v.job)
  }, timeout, 100)
}

// Runs the given engines (and mines a block whenever the mempool holds something, unless `mine` is false) until
// `done`.
export async function drive (chain: RegtestChain, engines: EscrowEngine[], done: () => Promise<boolean>, timeout = WAIT, mine = true): Promise<StepReport[]> {
  const deadline = Date.now() + timeout
  const reports: StepReport[] = []
  while (Date.now() < deadline) {
    for (const e of engines) reports.push(...await e.step())
    if (mine && (await chain.backend.call<string[]>('getrawmempool', [false])).length > 0) await chain.mine(1)
    if (await done()) return reports
    await sleep(100)
  }
  throw new Error('drive: timed out; reports: ' + JSON.stringify(reports.slice(-8)))
}

// The value the tx pays to a script, confirmed and unspent at that address; -1n if not.
export async function paidTo (chain: RegtestChain, tx: bitcoin.Transaction, script: Uint8Array): Promise<bigint> {
  const u = (await chain.backend.utxos(addressOf(script, chain.network))).find(x => x.txid === tx.getId())
  return u === undefined || u.height === null ? -1n : u.valueSats
}

// The peers of a CLI escrow test: `peer(name)` is the storage, testnet and node flags of one peer process, and
// `ok(args)` runs p2print and fails the test (with its stderr) on a non-zero exit, returning the --json result.
export function cliPeers (t: { fail: (message: string) => void }, dir: string, bootstrap: Array<{ host: string, port: number }>, rpcUrl: string): { peer: (name: string) => string[], ok: (args: string[]) => Promise<any>, bootstrap: string } {
  const boot = bootstrap.map(b => `${b.host}:${b.port}`).join(',')
  return {
    bootstrap: boot,
    peer: (name) => ['--storage', path.join(dir, name), '--bootstrap', boot, '--bitcoin-rpc', rpcUrl, '--sync-timeout', '8'],
    ok: async (args) => {
      const r = await p2print(args)
      if (r.code !== 0) t.fail(`${args.slice(-5).join(' ')}: ${r.stderr}`)
      return r.json
    }
  }
}

// The client's and the printer's one-shot commands: each syncs in turn, and a block is mined meanwhile (as time
// passes on a real chain), until the client's `escrow` shows the job active and funded. Whether it did in time.
export async function fundBySync (chain: RegtestChain, client: string[], printer: string[], jobId: string, timeoutMs = 200_000): Promise<boolean> {
  return await eventually(async () => {
    await p2print([...client, 'sync'])
    await p2print([...printer, 'sync'])
    await chain.mine(1)
    const e = (await p2print([...client, '--json', 'escrow', jobId])).json
    return e?.status === 'active' && e?.state === 'funded'
  }, timeoutMs, 0)
}
