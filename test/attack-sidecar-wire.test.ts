// Attacks on the command host's wire (lib/sidecar): the line reader, the socket's place and owner, the host's
// umask, a host that never answers. In-process CommandHost / runHosted on real Unix sockets, plus the real CLI for
// the socket that someone else put in the temp directory. Each test asserts what should hold; a failure is a finding.
import test from 'brittle'
import fs from 'fs'
import net from 'net'
import path from 'path'
import { spawn } from 'child_process'
import { pathToFileURL } from 'url'
import { tmpDir } from './helpers.js'
import { lineReader, socketPath, MAX_REQUEST_BYTES } from '../lib/sidecar/socket.js'
import { CommandHost } from '../lib/sidecar/server.js'
import { runHosted } from '../lib/sidecar/client.js'

const ROOT = path.join(path.dirname(new URL(import.meta.url).pathname), '..')

const req = { argv: ['jobs'], cwd: '/', columns: 80, color: false, env: {} }

test('attack wire 1: a character split between two chunks arrives intact (line reader)', (t) => {
  const got: unknown[] = []
  const read = lineReader(m => got.push(m), err => t.fail(String(err)))
  const line = Buffer.from(JSON.stringify({ title: 'Würfel €' }) + '\n')
  const cut = line.indexOf(Buffer.from('€')) + 1 // inside the three bytes of '€'
  read(line.subarray(0, cut))
  read(line.subarray(cut))
  t.alike(got, [{ title: 'Würfel €' }], 'the title is what was sent')
})

test('attack wire 2: an answer over 64 KiB with non-ASCII text comes back intact through a real socket', async (t) => {
  const dir = await tmpDir(t)
  const text = '€'.repeat(30_000) // ~90 KB on the wire: more than one read of the socket
  const host = await CommandHost.listen(dir, async () => ({ kind: 'job', data: { notes: text } }))
  t.teardown(() => host.close())
  const answer = await runHosted(dir, req, () => {})
  const notes = (answer as { result: { data: { notes: string } } }).result.data.notes
  t.is(notes.length, text.length, 'as many characters as were sent')
  t.is(notes.includes('\ufffd'), false, 'no replacement character (U+FFFD) where a chunk boundary cut a character')
})

test('attack wire 3: a request line with no end is not buffered without limit', (t) => {
  let bad: Error | null = null
  const read = lineReader(() => {}, (err) => { bad = err }, MAX_REQUEST_BYTES) // as the host reads requests
  const mb = Buffer.alloc(1024 * 1024, 0x61) // 'a', never a newline
  for (let i = 0; i < 64 && bad === null; i++) read(mb)
  t.ok(bad !== null, 'the reader gives up on a line of 64 MiB (it keeps all of it in one string otherwise)')
})

test('attack wire 4: the host\'s umask change does not leak to other work of the process', async (t) => {
  const dir = await tmpDir(t)
  const other = path.join(dir, 'made-meanwhile')
  // the host binds while other async work of the same process (the app, the seeder, a download) goes on
  const [host] = await Promise.all([
    CommandHost.listen(dir, async () => ({ kind: 'none', data: {} })),
    (async () => { await null; fs.mkdirSync(other) })()
  ])
  t.teardown(() => host.close())
  const mode = fs.statSync(other).mode & 0o777
  t.is(mode & 0o700, 0o700, `a directory made meanwhile can be entered by its owner (mode ${mode.toString(8)})`)
  try { fs.writeFileSync(path.join(other, 'x'), 'x') } catch (err) { t.fail(`cannot write into it: ${(err as Error).message}`) }
})

test('attack wire 5: a socket nobody answers on (a stopped seed: Ctrl-Z) does not hang the command for ever', async (t) => {
  const dir = await tmpDir(t)
  const file = socketPath(dir)
  const sockets: net.Socket[] = []
  const server = net.createServer(s => { sockets.push(s) }) // accepts, like the kernel's backlog of a stopped process
  await new Promise<void>(resolve => server.listen(file, resolve))
  t.teardown(async () => { for (const s of sockets) s.destroy(); await new Promise(resolve => server.close(resolve)) })
  const answered = runHosted(dir, req, () => {}).then(() => true)
  const waited = await Promise.race([answered, new Promise<false>(resolve => setTimeout(() => resolve(false), 15_000))])
  t.ok(waited, 'the command says something (an error, or that it waits) within 15 s; it waits silently for ever')
})

test('attack wire 6: with a long storage path, a socket someone else put in the temp directory gets no request and gives no answer', { timeout: 120_000 }, async (t) => {
  const dir = await tmpDir(t)
  const storage = path.join(dir, 'a-storage-path-long-enough-that-its-socket-does-not-fit-into-sun-path-' + 'x'.repeat(40))
  const file = socketPath(storage)
  t.ok(file.startsWith('/tmp/') || !file.startsWith(storage), `the socket is in the temp directory: ${file}`)
  // "another user" listens there first (the name is the hash of the storage path: anyone can compute it)
  const seen: string[] = []
  const server = net.createServer((s) => {
    s.on('data', (d) => {
      seen.push(String(d))
      s.end(JSON.stringify({ result: { kind: 'address', data: { address: 'bcrt1qattackerattackerattackerattacker00000', uri: 'bitcoin:x', path: "m/84'/1'/0'/0/0", chain: 'regtest' } } }) + '\n')
    })
  })
  // the attacker made the directory first (before any p2print of this user ran), open to all
  const made = !fs.existsSync(path.dirname(file))
  if (made) { fs.mkdirSync(path.dirname(file), { mode: 0o777 }); fs.chmodSync(path.dirname(file), 0o777); fs.chownSync(path.dirname(file), 65534, 65534) }
  t.teardown(() => { if (made) fs.rmSync(path.dirname(file), { recursive: true, force: true }) })
  await new Promise<void>(resolve => server.listen(file, resolve))
  fs.chmodSync(file, 0o777)
  fs.chownSync(file, 65534, 65534) // owned by nobody, as another user's socket would be
  t.teardown(async () => { await new Promise(resolve => server.close(resolve)); fs.rmSync(file, { force: true }) })
  const tsx = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href
  const run = await new Promise<{ code: number | null, stdout: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', tsx, path.join(ROOT, 'index.ts'), '--storage', storage, '--json', 'wallet', 'address'], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, P2PRINT_BITCOIN_RPC: 'http://user:secret@127.0.0.1:18443' }
    })
    let stdout = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.on('close', code => resolve({ code, stdout }))
  })
  t.comment(`the foreign socket received: ${seen.join('').slice(0, 300)}`)
  t.absent(seen.join('').includes('secret'), 'the caller\'s Bitcoin RPC password did not reach the foreign socket')
  t.absent(run.stdout.includes('attacker'), 'the command did not print an address the foreign socket made up')
})
