// The README's first walk-throughs, run as written (test/readme-walk.ts reads them from README.md): "Three peers on
// one machine" (a local DHT, a market with a seeder, a job with a model from post to completion) and "A market on
// three machines" (two more indexers named in one change, three seeders).
import test from 'brittle'
import fs from 'fs'
import path from 'path'
import { Walk, readmeSection } from './readme-walk.js'
import { binaryStl, uvSphere } from './fixtures/meshes.js'

test('README: three peers on one machine, then a market on three machines', { timeout: 600_000 }, async (t) => {
  const walk = await Walk.create(t, { syncTimeout: 3 })
  const model = binaryStl(uvSphere(20, 24, 12, [20, 20, 20]))
  fs.writeFileSync(path.join(walk.cwd, 'benchy.stl'), model)

  await walk.guard(async () => {
    await walk.lines(readmeSection('Three peers on one machine'))
    const downloaded = path.join(walk.home, 'prints', 'benchy.stl')
    t.alike(fs.existsSync(downloaded) ? new Uint8Array(fs.readFileSync(downloaded)) : null, model, '`job download … --out ~/prints` wrote the model as Bob posted it')

    await walk.lines(readmeSection('A market on three machines'))
    await walk.stop()
  })
})
