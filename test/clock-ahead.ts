// The windows' CLI tests (test/delivery-window-cli.test.ts, test/late-printer-cli.test.ts): libfaketime, which runs a
// process on a clock ahead of this machine's (LD_PRELOAD: nothing in p2print is told), and the market they share.
import fs from 'fs'
import { tmpDir, testnet, startSeed, eventually, type Test } from './helpers.js'
import { startRegtest, type RegtestChain } from './regtest.js'
import { cliPeers } from './escrow-helpers.js'

export const FAKETIME_LIB = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/faketime/libfaketime.so.1'].find(f => fs.existsSync(f))

// The environment of a process whose clock runs `hours` ahead.
export function ahead (hours: number): Record<string, string> {
  return { LD_PRELOAD: FAKETIME_LIB ?? '', FAKETIME: `+${hours}h` }
}

export interface CliMarket {
  chain: RegtestChain
  ok: (args: string[]) => Promise<any>
  A: string[] // the creator: the market's only indexer, its seeder running
  R: string[] // the arbitrator
  B: string[] // the client, 2 000 000 sats in its wallet
  C: string[] // the printer, 1 000 000 sats
  seed: ReturnType<typeof startSeed>
  restartSeed: (env: Record<string, string>) => Promise<boolean> // whether it seeds again
}

// A regtest market of separate processes: the creator names R the arbitrator with `settings` (more market settings
// flags), runs its seeder, and B and C join with funded wallets. `before` runs between the arbitrator's id and the
// settings (a test of refused settings).
export async function cliMarket (t: Test & { fail: (message: string) => void }, name: string, settings: string[], before?: (m: Pick<CliMarket, 'A' | 'ok'>) => Promise<void>): Promise<CliMarket> {
  const chain = await startRegtest(t)
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const { peer, ok } = cliPeers(t, dir, tn.bootstrap, chain.rpcUrl)
  const [A, R, B, C] = [peer('creator'), peer('arbitrator'), peer('client'), peer('printer')]
  const key = (await ok([...A, '--json', 'market', 'create', '--admission-bits', '8', '--name', name])).key
  await ok([...R, '--json', 'market', 'join', key])
  const arb = await ok([...R, '--json', 'id'])
  if (before !== undefined) await before({ A, ok })
  await ok([...A, '--json', 'market', 'settings', '--chain', 'regtest', '--arbitrator', `${arb.id}:${arb.arbitratorPubkey}`, ...settings])
  const m: CliMarket = {
    chain, ok, A, R, B, C,
    seed: startSeed(t, A),
    restartSeed: async (env) => {
      m.seed.child.kill('SIGTERM')
      await m.seed.exited
      m.seed = startSeed(t, A, env)
      return await eventually(() => m.seed.lines.some(l => l.tag === 'seeding'), 30_000)
    }
  }
  if (!await eventually(() => m.seed.lines.some(l => l.tag === 'seeding'), 30_000)) throw new Error('the creator\'s seeder did not start')
  await ok([...B, '--json', 'market', 'join', key])
  await ok([...C, '--json', 'market', 'join', key])
  await chain.fund((await ok([...B, '--json', 'wallet', 'address'])).address, 2_000_000n)
  await chain.fund((await ok([...C, '--json', 'wallet', 'address'])).address, 1_000_000n)
  await chain.mine(1)
  return m
}
