// The V8 flags that keep a long-running p2print's heap near what it holds (lib/heap.ts; measured in bench/scale.ts,
// seeder section) reach the process the way a user starts it: the `p2print` command's shebang and `npm start`.
// A process started without them gets the part V8 reads at run time, and `seed` says so.
import test from 'brittle'
import fs from 'fs'
import path from 'path'
import { fileURLToPath } from 'url'
import { spawnSync } from 'child_process'
import { NODE_HEAP_FLAGS } from '../lib/heap.js'

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')

test('heap flags: the bin\'s shebang and npm start pass them; env -S splits the shebang here', (t) => {
  const shebang = fs.readFileSync(path.join(ROOT, 'index.ts'), 'utf8').split('\n')[0]
  t.is(shebang, `#!/usr/bin/env -S node ${NODE_HEAP_FLAGS.join(' ')}`, 'index.ts (and so dist/index.js, the bin) starts node with them')
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  t.is(pkg.bin.p2print, 'dist/index.js')
  t.ok(pkg.scripts.start.startsWith(`node ${NODE_HEAP_FLAGS.join(' ')} `), 'npm start passes them')
  // what the kernel runs for the shebang: env -S must split it into node and its flags
  const r = spawnSync('/usr/bin/env', ['-S', `node ${NODE_HEAP_FLAGS.join(' ')}`, '-e', 'console.log(JSON.stringify(process.execArgv))'], { encoding: 'utf8' })
  t.is(r.status, 0, 'env -S runs node with the flags')
  t.ok(NODE_HEAP_FLAGS.every(f => (JSON.parse(r.stdout) as string[]).includes(f)), 'every flag reached node')
})
