// The sealed shipping address on the command line (issue 15): a client, a printer, a stranger and a seeder, separate
// processes with separate storages on a local testnet. The address is given only once the job is active, read by
// the printer, refused to the stranger, found in plaintext in nobody's storage, and gone from the view once the job
// closes.
import test from 'brittle'
import fs from 'fs'
import crypto from 'crypto'
import path from 'path'
import { tmpDir, testnet, eventually, p2print, startSeed } from './helpers.js'

// Every file under `dir` whose bytes contain `needle` (UTF-8).
function filesWith (dir: string, needle: string): string[] {
  const hits: string[] = []
  const want = Buffer.from(needle)
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name)
      if (e.isDirectory()) walk(f)
      else if (e.isFile() && fs.readFileSync(f).includes(want)) hits.push(f)
    }
  }
  walk(dir)
  return hits
}

test('cli: a sealed shipping address: given once active, read by the printer only, no plaintext on any disk, dropped at completion', { timeout: 300_000 }, async (t) => {
  const tn = await testnet(t)
  const dir = await tmpDir(t)
  const bootstrap = tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')
  const peer = (name: string): string[] => ['--storage', path.join(dir, name), '--bootstrap', bootstrap, '--sync-timeout', '15']
  const [A, B, C, D] = [peer('a'), peer('b'), peer('c'), peer('d')]
  const key: string = (await p2print([...A, '--json', 'market', 'create', '--admission-bits', '8', '--name', 'address'])).json.key
  const seed = startSeed(t, A)
  t.ok(await eventually(() => seed.lines.some(l => l.tag === 'seeding'), 30_000), 'seed started')
  for (const p of [B, C, D]) t.is((await p2print([...p, 'market', 'join', key])).code, 0, 'joins')

  const id: string = (await p2print([...B, '--json', 'job', 'create', '--title', 'Lamp Unikat-4711', '--material', 'PLA', '--bounty', '0.0005', '--country', 'DE'])).json.id
  const STREET = 'Kastanienallee 77 Hinterhaus'
  const addr = ['--name', 'Bob Builder', '--street', STREET, '--city', 'Berlin', '--postcode', '10435', '--country', 'de', '--phone', '+49 30 1234567']
  const early = await p2print([...B, '--json', 'job', 'address', id, ...addr])
  t.is(early.json?.error?.code, 'BAD_TRANSITION', 'no address for an open job: no printer has taken it')
  t.ok(/active/.test(early.stderr), 'the message says when it can be given')
  const missing = await p2print([...B, '--json', 'job', 'address', id, '--name', 'Bob'])
  t.is(missing.json?.error?.code, 'BAD_ARGUMENT', 'an incomplete address is refused before anything is sent')
  const badCountry = await p2print([...B, '--json', 'job', 'address', id, ...addr.slice(0, 8), '--country', 'Germany'])
  t.is(badCountry.json?.error?.code, 'BAD_ARGUMENT', 'a country that is not an ISO code is refused')

  t.is((await p2print([...C, '--json', 'job', 'accept', id])).json.status, 'active', 'the printer accepts (no escrow in this market: active at once)')
  const notClient = await p2print([...C, '--json', 'job', 'address', id, ...addr])
  t.is(notClient.json?.error?.code, 'NOT_ALLOWED', 'only the client gives the address')
  const given = await p2print([...B, '--json', 'job', 'address', id, ...addr])
  t.is(given.code, 0, 'the client gives its address once the job is active')

  let read: any = null
  t.ok(await eventually(async () => {
    read = await p2print([...C, '--json', 'job', 'address', id])
    return read.json?.address != null
  }, 60_000, 1000), 'the printer reads it')
  t.alike(read.json.address, { name: 'Bob Builder', street: STREET, city: 'Berlin', postcode: '10435', country: 'DE', phone: '+49 30 1234567' }, 'field by field as the client typed it')
  const text = await p2print([...C, 'job', 'address', id])
  t.ok(text.stdout.includes(STREET) && text.stdout.includes('10435 Berlin'), 'the text form prints it as a label')
  const stranger = await p2print([...D, '--json', 'job', 'address', id])
  t.is(stranger.json?.error?.code, 'NOT_ALLOWED', 'a third peer may not read it')
  t.ok((await p2print([...D, '--json', 'job', 'show', id])).json.status === 'active', 'the third peer holds the job (and so the view with the ciphertext)')

  const corrected = await p2print([...B, '--json', 'job', 'address', id, ...addr.slice(0, 2), '--street', 'Kastanienallee 78', ...addr.slice(4)])
  t.is(corrected.code, 0, 'the client corrects it')
  t.ok(await eventually(async () => (await p2print([...C, '--json', 'job', 'address', id])).json?.address?.street === 'Kastanienallee 78', 60_000, 1000), 'the printer reads the correction')

  // nobody's storage holds the address in plaintext: not the stranger's, not the seeder's, not the parties' own
  await p2print([...D, 'sync'])
  for (const [who, d] of [['the seeder', 'a'], ['the third peer', 'd'], ['the printer', 'c'], ['the client', 'b']] as const) {
    t.ok(filesWith(path.join(dir, d), 'Lamp Unikat-4711').length > 0, `control: the job's title is found in ${who}'s storage (the search sees what is stored)`)
    t.alike(filesWith(path.join(dir, d), 'Kastanienallee'), [], `no plaintext address in ${who}'s storage`)
  }

  // photos of the finished print go with the ship into the encrypted chat; a file that is not an image stops the
  // ship before anything is written
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), crypto.randomBytes(30_000)])
  fs.writeFileSync(path.join(dir, 'print.png'), png)
  fs.writeFileSync(path.join(dir, 'fake.jpg'), 'GIF89a not really a jpeg')
  const badPhoto = await p2print([...C, '--json', 'job', 'ship', id, '--note', 'DHL 123', '--photo', path.join(dir, 'fake.jpg')])
  t.is(badPhoto.json?.error?.code, 'NOT_AN_IMAGE', 'a ship with a photo that is not an image is refused')
  t.is((await p2print([...C, '--json', 'job', 'show', id])).json.status, 'active', 'and the job is not shipped')
  const shipped = await p2print([...C, '--json', 'job', 'ship', id, '--note', 'DHL 123', '--photo', path.join(dir, 'print.png')])
  t.is(shipped.code, 0, `shipped with a photo ${shipped.stderr}`)
  const photoDir = path.join(dir, 'photos')
  t.ok(await eventually(async () => {
    const r = await p2print([...B, '--json', 'chat', id, '--photos', photoDir])
    const m = (r.json?.messages ?? []).find((x: any) => x.role === 'printer' && /^Shipped: DHL 123/.test(x.text))
    return m !== undefined && m.photos.length === 1 && fs.existsSync(m.photos[0].file) && fs.readFileSync(m.photos[0].file).equals(png)
  }, 60_000, 1000), 'the client reads the ship\'s photo in the chat, the same bytes')
  t.is((await p2print([...B, '--json', 'job', 'complete', id])).json.status, 'completed', 'completed')
  t.ok(await eventually(async () => {
    const r = await p2print([...C, '--json', 'job', 'address', id])
    return r.json?.address === null && /completed/.test(r.json?.why ?? '')
  }, 60_000, 1000), 'once the job closes the address is gone from the view: the printer reads nothing')
  const late = await p2print([...B, '--json', 'job', 'address', id, ...addr])
  t.is(late.json?.error?.code, 'BAD_TRANSITION', 'and it cannot be given again')

  // a printer that leaves loses it too
  const id2: string = (await p2print([...B, '--json', 'job', 'create', '--title', 'Shade', '--material', 'PLA', '--bounty', '0.0005', '--country', 'DE'])).json.id
  t.is((await p2print([...C, '--json', 'job', 'accept', id2])).json.status, 'active', 'the printer accepts a second job')
  t.is((await p2print([...B, '--json', 'job', 'address', id2, ...addr])).code, 0, 'the client gives the address')
  t.is((await p2print([...C, '--json', 'job', 'withdraw', id2])).json.status, 'open', 'the printer withdraws')
  const gone = await p2print([...B, '--json', 'job', 'address', id2])
  t.is(gone.json?.address, null, 'the address is gone with the printer that left (the client reads nothing)')
})
