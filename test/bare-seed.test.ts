// The seeder under Bare serving Node peers: a Node client posts a job with a model and leaves, the Bare seeder
// (bare/p2print-seed.mjs, run by bare-runtime's binary) mirrors it, another Node peer downloads it from the Bare
// seeder alone (sha256 equal); SIGTERM stops the Bare seeder cleanly.
import test from 'brittle'
import path from 'path'
import fs from 'fs'
import crypto from 'crypto'
import { testnet, eventually, p2print, cliPeers } from './helpers.js'
import { bareBinary, builtEntry, startBareSeed } from './bare-helpers.js'
import { binaryStl, torus } from './fixtures/meshes.js'

const sha256 = (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex')
const bare = bareBinary()
if (bare.bin === null) console.log(`# the Bare binary does not run here, so bare-seed is skipped: ${bare.reason}`)

test('bare seeder: a Node client posts a model and leaves, another Node peer downloads it from the Bare seeder', { skip: bare.bin === null, timeout: 300_000 }, async (t) => {
  if (bare.bin === null) return
  t.ok(builtEntry() !== null, 'dist/bare/main.js is built (npm run build)')
  const tn = await testnet(t)
  const { dir, A, B, C } = await cliPeers(t, tn)

  const model = binaryStl(torus(20, 6, 96, 48)) // 9 216 facets, 460 884 bytes: several Hyperdrive blocks
  const modelPath = path.join(dir, 'ring.stl')
  fs.writeFileSync(modelPath, model)

  const created = await p2print([...A, '--json', 'market', 'create', '--admission-bits', '8', '--name', 'bare market'])
  t.is(created.code, 0, 'market create (Node) exits 0')
  const key: string = created.json.key

  const seed = startBareSeed(t, bare.bin, A)
  t.ok(await eventually(() => seed.lines.some(l => l.tag === 'seeding'), 60_000), `the Bare seeder runs (${bare.version}) ${seed.stderr()}`)
  const seeding = seed.lines.find(l => l.tag === 'seeding')
  t.is(seeding?.data.key, key, 'it seeds the market created on Node, from the same storage')

  t.is((await p2print([...B, 'market', 'join', key])).code, 0, 'the client joins (Node)')
  const posted = await p2print([...B, '--json', 'job', 'create', '--title', 'Ring', '--material', 'PLA', '--bounty', '0.0002', '--country', 'NL', '--file', modelPath])
  t.is(posted.code, 0, posted.stderr)
  t.is(posted.json.file.sha256, sha256(model), 'the job names the model by its sha256')
  t.is(posted.json.shared, true, 'the job and its model reached a peer (the Bare seeder) before the client exited')
  t.ok(await eventually(() => seed.lines.some(l => l.tag === 'file-mirrored' && l.data.name === 'ring.stl' && l.data.bytes === model.byteLength), 30_000), 'the Bare seeder mirrored the model')
  // the client's process has exited: the printer can only get the model from the Bare seeder

  t.is((await p2print([...C, 'market', 'join', key])).code, 0, 'the printer joins (Node)')
  const out = path.join(dir, 'downloads')
  const got = await p2print([...C, '--json', 'job', 'download', posted.json.id, '--out', out])
  t.is(got.code, 0, got.stderr)
  t.is(sha256(fs.readFileSync(path.join(out, 'ring.stl'))), sha256(model), 'the file downloaded from the Bare seeder has the same sha256')
  const listed = await p2print([...C, '--json', 'jobs'])
  t.alike(listed.json.jobs.map((j: any) => j.id), [posted.json.id], 'the printer sees the job through the Bare seeder')

  seed.child.kill('SIGTERM')
  const code = await seed.exited
  t.is(code, 0, 'SIGTERM: the Bare seeder exits 0')
  t.ok(seed.lines.some(l => l.tag === 'stopping') && seed.lines.at(-1)?.tag === 'stopped', 'it says stopping, then stopped, last')
  t.absent(/Uncaught|Error/.test(seed.stderr()), `nothing on its stderr ${seed.stderr()}`)
})
