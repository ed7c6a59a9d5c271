// Attacks on the command host through the real CLI (separate processes on a local testnet): a command that goes
// through a running seed must answer what it would have answered alone, or refuse; and the seed must not depend on
// the socket to run. Each test asserts what should hold; a failure is a finding.
import test from 'brittle'
import fs from 'fs'
import path from 'path'
import { tmpDir, testnet, p2print, startSeed, eventually, type Test } from './helpers.js'
import { socketPath } from '../lib/sidecar/socket.js'

async function seeded (t: Test & { fail: (m: string) => void }): Promise<{ A: string[], storage: string }> {
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const storage = path.join(dir, 'alice')
  const A = ['--storage', storage, '--bootstrap', tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')]
  const created = await p2print([...A, '--json', 'market', 'create', '--admission-bits', '8', '--name', 'attack'])
  if (created.code !== 0) t.fail(`market create: ${created.stderr}`)
  return { A, storage }
}

test('attack cli 1: options the running seed cannot honour (--chain, --bitcoin-rpc) are honoured or refused, never silently replaced', { timeout: 180_000 }, async (t) => {
  const { A, storage } = await seeded(t)
  const seed = startSeed(t, A)
  t.ok(await eventually(() => fs.existsSync(socketPath(storage)), 30_000), 'the seeder listens')

  const addr = await p2print([...A, '--json', '--chain', 'regtest', 'wallet', 'address'])
  t.comment(`hosted --chain regtest wallet address: exit ${String(addr.code)}, ${addr.stdout.replace(/\s+/g, ' ').slice(0, 160)}`)
  t.ok(addr.code !== 0 || addr.json?.chain === 'regtest', 'asked for a regtest address: it is one, or the command is refused')
  t.ok(addr.code !== 0 || String(addr.json?.address).startsWith('bcrt1'), 'and it is not another chain\'s address')

  const bal = await p2print([...A, '--json', '--bitcoin-rpc', 'http://u:p@127.0.0.1:1', 'wallet', 'balance'])
  t.comment(`hosted --bitcoin-rpc … wallet balance: exit ${String(bal.code)}, ${String(bal.json?.error?.message)}`)
  t.absent(/add --bitcoin-rpc/.test(String(bal.json?.error?.message)), 'a caller who gave --bitcoin-rpc is not told to add --bitcoin-rpc')

  seed.child.kill('SIGTERM')
  t.is(await seed.exited, 0, 'the seeder stops cleanly')
})

test('attack cli 2: a storage where the socket cannot be made still seeds (the command host is a convenience)', { timeout: 180_000 }, async (t) => {
  const { A, storage } = await seeded(t)
  fs.mkdirSync(socketPath(storage)) // stands for a file system without Unix sockets, or a name taken in the temp directory
  const seed = startSeed(t, A)
  const seeding = await eventually(() => seed.lines.some(l => l.tag === 'seeding'), 30_000)
  t.ok(seeding, 'it starts')
  const died = await Promise.race([seed.exited.then(code => ({ code })), new Promise<null>(resolve => setTimeout(() => resolve(null), 5_000))])
  t.is(died, null, `it keeps running (it exited ${died === null ? '' : String(died.code)})`)
  if (died === null) {
    seed.child.kill('SIGTERM')
    await seed.exited
  }
})
