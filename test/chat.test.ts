// Job chat: end-to-end encrypted between the parties, ciphertext only on every other peer, offline delivery through
// a seeder, stable order, photo evidence, and apply ignoring everyone else's chat ops.
import test from 'brittle'
import path from 'path'
import fs from 'fs'
import crypto from 'crypto'
import b4a from 'b4a'
import { tmpDir, testnet, p2print, startSeed, eventually, openMarkets, type CliRun } from './helpers.js'

// the real command line
const chat = (args: string[]): Promise<CliRun> => p2print(args)

function filesUnder (dir: string): string[] {
  const out: string[] = []
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...filesUnder(p))
    else if (e.isFile()) out.push(p)
  }
  return out
}

test('chat: client and printer talk through the CLI; the seeder holds ciphertext only; offline delivery; photos', { timeout: 180_000 }, async (t) => {
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const bootstrap = tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')
  const peer = (name: string): string[] => ['--storage', path.join(dir, name), '--bootstrap', bootstrap, '--sync-timeout', '10']
  const [S, B, C, D] = [peer('seeder'), peer('client'), peer('printer'), peer('outsider')]

  const key = (await p2print([...S, '--json', 'market', 'create', '--admission-bits', '8'])).json.key
  const seed = startSeed(t, S)
  t.ok(await eventually(() => seed.lines.some(l => l.tag === 'seeding'), 30_000), 'seeder running')
  await Promise.all([B, C, D].map(p => p2print([...p, 'market', 'join', key])))
  const posted = await p2print([...B, '--json', 'job', 'create', '--title', 'Hinge', '--material', 'PLA', '--bounty', '0.0001', '--country', 'DE'])
  t.is(posted.code, 0, posted.stderr)
  const id = posted.json.id

  const early = await chat([...C, '--json', 'chat', id, 'hello?'])
  t.is(early.code, 1, 'no chat before the job is accepted')
  t.ok(/opens once a printer accepts it/.test(early.stderr), early.stderr)

  t.is((await p2print([...C, '--json', 'job', 'accept', id])).code, 0)
  const opened = await chat([...C, '--json', 'chat', id])
  t.is(opened.code, 0, opened.stderr)
  t.alike(opened.json.messages, [], 'the printer opens the empty chat (publishing its key), then goes offline')

  // the printer is offline now; the client writes, with a photo, and leaves
  const secret = 'the hinge pin is 3.1 mm ' + crypto.randomBytes(6).toString('hex')
  const png = b4a.concat([b4a.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), crypto.randomBytes(200_000)])
  fs.writeFileSync(path.join(dir, 'crack.png'), png)
  const sent = await chat([...B, '--json', 'chat', id, secret, '--photo', path.join(dir, 'crack.png')])
  t.is(sent.code, 0, sent.stderr)
  t.is(sent.json.sent, true)
  t.is(sent.json.shared, true, 'the message and the encrypted photo reached the seeder')

  const got = await chat([...C, '--json', 'chat', id, '--photos', path.join(dir, 'photos')])
  t.is(got.code, 0, got.stderr)
  t.is(got.json.messages.length, 1, 'the printer reads what the client wrote while it was offline')
  const m = got.json.messages[0]
  t.is(m.text, secret)
  t.is(m.role, 'client')
  t.is(m.author, sent.json.me)
  t.ok(!Number.isNaN(Date.parse(m.at)), 'with a time')
  t.is(m.photos.length, 1)
  t.is(m.photos[0].name, 'crack.png')
  t.ok(b4a.equals(fs.readFileSync(m.photos[0].file), png), 'the photo decrypts to the same bytes (fetched from the seeder)')

  const reply = await chat([...C, '--json', 'chat', id, 'thanks, printing now'])
  t.is(reply.code, 0, reply.stderr)
  const seenByClient = await chat([...B, '--json', 'chat', id])
  const seenByPrinter = await chat([...C, '--json', 'chat', id])
  const lines = (r: CliRun): string[] => r.json.messages.map((x: any) => `${x.role}: ${x.text}`)
  t.alike(lines(seenByClient), [`client: ${secret}`, 'printer: thanks, printing now'], 'in log order')
  t.alike(lines(seenByClient), lines(seenByPrinter), 'the same order on both peers')

  const outsider = await chat([...D, '--json', 'chat', id])
  t.is(outsider.code, 1)
  t.is(outsider.json.error.code, 'NOT_ALLOWED', 'a peer that is not a party cannot read the chat')

  fs.writeFileSync(path.join(dir, 'fake.jpg'), b4a.from('GIF89a not really a jpeg'))
  const notImage = await chat([...B, '--json', 'chat', id, 'see', '--photo', path.join(dir, 'fake.jpg')])
  t.is(notImage.code, 1)
  t.is(notImage.json.error.code, 'NOT_AN_IMAGE')
  t.ok(/fake\.jpg is not a JPEG or PNG image/.test(notImage.stderr), notImage.stderr)
  fs.writeFileSync(path.join(dir, 'huge.jpg'), b4a.concat([b4a.from([0xff, 0xd8, 0xff]), b4a.alloc(5 * 1024 * 1024)]))
  const huge = await chat([...B, '--json', 'chat', id, 'see', '--photo', path.join(dir, 'huge.jpg')])
  t.is(huge.json.error.code, 'PHOTO_TOO_LARGE')
  t.ok(/more than the limit of 5242880 bytes/.test(huge.stderr), huge.stderr)

  // the seeder replicated all of it: search every file of its storage for the plaintext
  seed.child.kill('SIGTERM')
  await seed.exited
  const needles = [b4a.from(secret), b4a.from('thanks, printing now'), png.subarray(100, 164)]
  const files = filesUnder(path.join(dir, 'seeder'))
  let bytes = 0
  let found = 0
  for (const f of files) {
    const data = fs.readFileSync(f)
    bytes += data.byteLength
    for (const n of needles) if (data.indexOf(n) !== -1) found++
  }
  t.ok(bytes > 200_000, `the seeder holds ${bytes} bytes in ${files.length} files (the encrypted photo included)`)
  t.is(found, 0, 'none of it is message text or photo bytes')
})

test('chat: apply ignores chat ops of non-parties; order is the same on every peer', { timeout: 90_000 }, async (t) => {
  const { OP } = await import('../lib/schema.js')
  const { publishChatKey, sendMessage, readConversation, conversationKeys } = await import('../lib/chat/chat.js')
  const { getChatJob } = await import('../lib/chat/view.js')
  const { peers } = await openMarkets(t, 3)
  const [client, printer, outsider] = peers.map(p => p.market)
  const { jobId } = await client.append({ type: OP.JOB_CREATE, job: { title: 't', material: 'PLA', colors: [], bountySats: 1000, country: 'DE', notes: '' } })
  const id = jobId as Uint8Array
  t.ok(await eventually(async () => { await printer.update(); return (await printer.getJob(id)) !== null }))
  await printer.append({ type: OP.JOB_ACCEPT, jobId: id })
  for (const m of [client, printer, outsider]) await publishChatKey(m)
  const accepted = async (m: typeof client): Promise<boolean> => { await m.update(); return (await m.getJob(id))?.job.printer !== null && (await m.getJob(id)) !== null }
  t.ok(await eventually(() => accepted(client)))
  t.ok(await eventually(async () => { await client.update(); return (await getChatJob(client.view, id)) !== null && (await client.view.get(b4a.concat([b4a.from('t'), b4a.from([0]), printer.writerKey]))) !== null }))
  await sendMessage(client, (await client.getJob(id))!.job, 'one', [], Date.now())
  t.ok(await eventually(async () => { await outsider.update(); return (await getChatJob(outsider.view, id)).messages === 1 }), 'the outsider replicates the message')

  const chat = await getChatJob(outsider.view, id)
  const keyId = chat.keys[0].id
  await outsider.append({ type: OP.CHAT_MESSAGE, jobId: id, keyId, nonce: b4a.alloc(24, 1), ciphertext: b4a.alloc(40, 2), drive: null, photos: [] })
  await outsider.append({ type: OP.CHAT_GRANT, jobId: id, keyId, wraps: [{ reader: outsider.writerKey, sealed: b4a.alloc(80, 3) }] })
  t.is((await conversationKeys(outsider, id)).size, 0, 'the outsider holds no key')
  await sendMessage(printer, (await printer.getJob(id))!.job, 'two', [], Date.now())
  const settled = async (): Promise<boolean> => {
    for (const m of [client, printer, outsider]) { await m.update(); if ((await getChatJob(m.view, id)).messages !== 2) return false }
    return true
  }
  t.ok(await eventually(settled, 20_000), 'two messages everywhere: the outsider\'s op was ignored')
  await new Promise(resolve => setTimeout(resolve, 1000))
  t.ok(await settled(), 'still two')
  const a = await readConversation(client, (await client.getJob(id))!.job)
  const b = await readConversation(printer, (await printer.getJob(id))!.job)
  t.alike(a.messages.map(x => x.text), ['one', 'two'])
  t.alike(b.messages.map(x => [x.author, x.text]), a.messages.map(x => [x.author, x.text]), 'same order on both parties')
  const o = await readConversation(outsider, (await outsider.getJob(id))!.job)
  t.alike(o.messages.map(x => x.text), [null, null], 'the outsider sees only ciphertext')
})
