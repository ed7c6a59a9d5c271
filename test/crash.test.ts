// Crash safety: kill -9 a peer in the middle of a burst of writes, restart it: every write it reported as done
// is there, the view rebuilds to the same state as a fresh peer's, and the peer goes on replicating.
import test from 'brittle'
import path from 'path'
import { spawn } from 'child_process'
import { Peer } from '../lib/peer.js'
import { jobIdString } from '../lib/ids.js'
import { OP } from '../lib/schema.js'
import { tmpDir, testnet, eventually } from './helpers.js'

const ROOT = path.join(path.dirname(new URL(import.meta.url).pathname), '..')

function burst (dir: string, minLines: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/fixtures/burst-writer.ts'), dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
    let buf = ''
    const lines: string[] = []
    child.stdout.on('data', (d) => {
      buf += d
      let i
      while ((i = buf.indexOf('\n')) !== -1) {
        lines.push(buf.slice(0, i))
        buf = buf.slice(i + 1)
      }
      if (lines.length >= minLines && child.exitCode === null) child.kill('SIGKILL')
    })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`burst writer ended with ${String(code)} ${String(signal)}`))
      else resolve(lines) // only whole lines: a write whose line was cut was never reported
    })
  })
}

test('crash: kill -9 mid-burst loses no reported write, rebuilds the same view, replicates on', { timeout: 180_000 }, async (t) => {
  const dir = await tmpDir(t)
  const tn = await testnet(t)
  const storage = path.join(dir, 'writer')

  const first = await burst(storage, 120)
  const second = await burst(storage, 60) // restart after the first kill (stale lock taken over), kill again
  const lines = [...first, ...second]
  const created = lines.filter(l => l.startsWith('created ')).map(l => l.slice(8))
  const cancelled = new Set(lines.filter(l => l.startsWith('cancelled ')).map(l => l.slice(10)))
  t.ok(created.length > 50, `${created.length} jobs reported created before the kills`)

  const peer = new Peer(storage, { bootstrap: tn.bootstrap })
  t.teardown(() => peer.close(), { order: 10 })
  await peer.ready()
  const market = await peer.openMarket()
  await market.update()
  for (const id of created) {
    const hits = (await market.jobs({ limit: 1000 })).filter(j => jobIdString(j.job.id) === id)
    if (hits.length !== 1) { t.fail(`reported job ${id} is missing after restart`); continue }
    if (cancelled.has(id) && hits[0].job.status !== 'cancelled') t.fail(`reported cancel of ${id} is missing`)
  }
  t.pass('every reported write is in the view after restart')

  const before = (await market.jobs({ limit: 1000 })).map(j => [jobIdString(j.job.id), j.job.status, j.job.title])

  // A fresh peer builds its view from the restarted peer's log alone: the two must be identical.
  const other = new Peer(path.join(dir, 'fresh'), { bootstrap: tn.bootstrap })
  t.teardown(() => other.close(), { order: 10 })
  await other.ready()
  const otherMarket = await other.joinMarket(market.key)
  t.ok(await eventually(async () => {
    await otherMarket.update()
    const theirs = (await otherMarket.jobs({ limit: 1000 })).map(j => [jobIdString(j.job.id), j.job.status, j.job.title])
    return JSON.stringify(theirs) === JSON.stringify(before)
  }, 60_000, 200), 'a fresh peer rebuilds exactly the same view from the log')

  // and it goes on replicating: a new write on the fresh peer reaches the restarted one
  const { jobId } = await otherMarket.append({ type: OP.JOB_CREATE, job: { title: 'after the crash', material: 'ABS', colors: [], bountySats: 5000, country: 'NL', notes: '' } })
  t.ok(await eventually(async () => {
    await market.update()
    return (await market.getJob(jobId!)) !== null
  }, 30_000, 100), 'the restarted peer receives new writes')
})
