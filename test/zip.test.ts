// ZIP archives and 3MF packages: models out of archives, hostile archives refused before they can hurt (path
// traversal, bombs that tell the truth and bombs that lie, encryption, duplicates, links), safe extraction, and the
// 3MF core (units, build and component transforms, the production extension's p:path, cycles, malformed XML).
import test from 'brittle'
import fs from 'fs'
import path from 'path'
import { randomBytes } from 'crypto'
import yazl from 'yazl'
import { checkEntryName, readZipEntries, extractZip } from '../lib/files/zip.js'
import { readZipModels } from '../lib/files/archive.js'
import { parse3mf } from '../lib/files/threemf.js'
import { XmlReader } from '../lib/files/xml.js'
import { DEFAULT_LIMITS, type FileLimits, type Mesh } from '../lib/files/model.js'
import { P2PrintError } from '../lib/errors.js'
import { tmpDir } from './helpers.js'

// ---- helpers -----------------------------------------------------------------------------------------------------

type Tri = [number, number, number, number, number, number, number, number, number]

// A binary STL: 80-byte header, uint32 count, 50 bytes per facet (normal, three vertices, attribute).
function binaryStl (tris: Tri[]): Uint8Array {
  const buf = Buffer.alloc(84 + 50 * tris.length)
  buf.write('binary stl written by the zip test', 0, 'latin1')
  buf.writeUInt32LE(tris.length, 80)
  tris.forEach((t, i) => {
    const o = 84 + 50 * i
    for (let k = 0; k < 9; k++) buf.writeFloatLE(t[k], o + 12 + 4 * k)
  })
  return buf
}

// The 8 vertices and 12 outward triangles of an axis-aligned box from the origin to (sx, sy, sz).
function boxGeometry (sx: number, sy: number, sz: number): { vertices: number[][], triangles: number[][] } {
  const vertices = [[0, 0, 0], [sx, 0, 0], [sx, sy, 0], [0, sy, 0], [0, 0, sz], [sx, 0, sz], [sx, sy, sz], [0, sy, sz]]
  const triangles = [[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4], [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]]
  return { vertices, triangles }
}

function boxStl (sx: number, sy: number, sz: number, dx = 0): Uint8Array {
  const { vertices, triangles } = boxGeometry(sx, sy, sz)
  return binaryStl(triangles.map(t => t.flatMap(i => [vertices[i][0] + dx, vertices[i][1], vertices[i][2]]) as Tri))
}

interface ZipFileSpec { name: string, data: Uint8Array | string, compress?: boolean, mode?: number }

async function makeZip (files: ZipFileSpec[]): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  for (const f of files) {
    const data = typeof f.data === 'string' ? Buffer.from(f.data) : Buffer.from(f.data)
    zip.addBuffer(data, f.name, { compress: f.compress ?? true, ...(f.mode !== undefined ? { mode: f.mode } : {}) })
  }
  zip.end()
  const chunks: Buffer[] = []
  for await (const c of zip.outputStream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

// Replaces every occurrence of an entry name (local header and central directory) by another of the same length:
// yazl refuses to write evil names, so the tests write a harmless one and patch it.
function renameEntry (zip: Buffer, from: string, to: string): Buffer {
  const a = Buffer.from(from)
  const b = Buffer.from(to)
  if (a.length !== b.length) throw new Error('rename needs names of the same length')
  const out = Buffer.from(zip)
  let n = 0
  for (let i = out.indexOf(a); i !== -1; i = out.indexOf(a, i + 1)) { b.copy(out, i); n++ }
  if (n !== 2) throw new Error(`expected the name twice, found it ${n} times`)
  return out
}

// Offsets of the central directory headers.
function centralHeaders (zip: Buffer): number[] {
  const out: number[] = []
  for (let i = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); i !== -1; i = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), i + 4)) out.push(i)
  return out
}
function localHeaders (zip: Buffer): number[] {
  const out: number[] = []
  for (let i = zip.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04])); i !== -1; i = zip.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]), i + 4)) out.push(i)
  return out
}

async function refused (t: { is: (a: unknown, b: unknown, m?: string) => void, ok: (v: unknown, m?: string) => void, fail: (m?: string) => void, comment: (m: string) => void }, p: Promise<unknown>, code: string, match?: RegExp, msg?: string): Promise<P2PrintError | null> {
  try {
    await p
    t.fail(`${msg ?? code}: expected a refusal`)
    return null
  } catch (err) {
    if (!(err instanceof P2PrintError)) {
      t.fail(`${msg ?? code}: expected a P2PrintError, got ${String(err)}`)
      return null
    }
    t.is(err.code, code, msg ?? code)
    if (match !== undefined) t.ok(match.test(err.message), `message ${JSON.stringify(err.message)} matches ${String(match)}`)
    return err
  }
}

function bbox (mesh: Mesh): { min: number[], max: number[] } {
  const min = [Infinity, Infinity, Infinity]
  const max = [-Infinity, -Infinity, -Infinity]
  const t = mesh.triangles
  for (let i = 0; i < t.length; i++) {
    const k = i % 3
    if (t[i] < min[k]) min[k] = t[i]
    if (t[i] > max[k]) max[k] = t[i]
  }
  return { min, max }
}

function round (v: number[]): number[] {
  return v.map(x => Math.round(x * 1e4) / 1e4 + 0)
}

const limits = (over: Partial<FileLimits>): FileLimits => ({ ...DEFAULT_LIMITS, ...over })

// ---- 3MF builders ------------------------------------------------------------------------------------------------

const CORE = 'http://schemas.microsoft.com/3dmanufacturing/core/2015/02'
const PROD = 'http://schemas.microsoft.com/3dmanufacturing/production/2015/06'

const CONTENT_TYPES = '<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>'

function rels (target = '/3D/3dmodel.model'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Target="${target}" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>`
}

function meshXml (sx: number, sy: number, sz: number): string {
  const { vertices, triangles } = boxGeometry(sx, sy, sz)
  return '<mesh><vertices>' + vertices.map(v => `<vertex x="${v[0]}" y="${v[1]}" z="${v[2]}"/>`).join('\n') + '</vertices>\n<triangles>' +
    triangles.map(t => `<triangle v1="${t[0]}" v2="${t[1]}" v3="${t[2]}"/>`).join('\n') + '</triangles></mesh>'
}

function modelXml (body: { unit?: string, resources: string, build: string, extra?: string }): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!-- written by the zip test -->\n<model unit="${body.unit ?? 'millimeter'}" xml:lang="en-US" xmlns="${CORE}"${body.extra ?? ''}>\n` +
    `<metadata name="Title">a &amp; b</metadata>\n<resources>${body.resources}</resources>\n<build>${body.build}</build>\n</model>\n`
}

async function make3mf (model: string | null, extra: ZipFileSpec[] = [], relsXml: string | null = rels()): Promise<Buffer> {
  const files: ZipFileSpec[] = [{ name: '[Content_Types].xml', data: CONTENT_TYPES }]
  if (relsXml !== null) files.push({ name: '_rels/.rels', data: relsXml })
  if (model !== null) files.push({ name: '3D/3dmodel.model', data: model })
  return makeZip(files.concat(extra))
}

// ---- entry names -------------------------------------------------------------------------------------------------

test('zip: checkEntryName normalises safe names and refuses absolute paths, .., backslash and drive tricks', (t) => {
  t.is(checkEntryName('a.zip', 'part.stl'), 'part.stl')
  t.is(checkEntryName('a.zip', './dir//part.stl'), 'dir/part.stl')
  t.is(checkEntryName('a.zip', 'dir\\sub\\part.stl'), 'dir/sub/part.stl', 'backslashes are separators')
  t.is(checkEntryName('a.zip', 'dir/'), 'dir', 'a folder')
  t.is(checkEntryName('a.zip', 'tête.stl'), 'tête.stl')
  t.is(checkEntryName('a.zip', '..stl'), '..stl', 'dots inside a name are fine')
  t.is(checkEntryName('a.zip', 'aux.stl'), 'aux.stl', 'Windows device names only matter when extracting on Windows')
  const bad = ['../evil.stl', 'a/../../evil.stl', 'a/..', '/etc/passwd', '//server/share/x', '\\\\server\\share\\x', '\\x.stl',
    'C:\\Windows\\x.stl', 'c:x.stl', 'C:/x', '..\\evil.stl', 'a\\..\\..\\x', '.. /x', 'a/.../x', '', 'a\0b.stl', '.', './',
    'a/b:c.stl', 'line\nbreak.stl']
  for (const name of bad) {
    try {
      checkEntryName('a.zip', name)
      t.fail(`${JSON.stringify(name)} should be refused`)
    } catch (err) {
      t.is((err as P2PrintError).code, 'UNSAFE_PATH', `${JSON.stringify(name)} → UNSAFE_PATH`)
    }
  }
  try {
    checkEntryName('a.zip', '../evil.stl')
  } catch (err) {
    t.ok((err as Error).message.includes('"../evil.stl"') && (err as Error).message.includes('a.zip'), 'the message names the archive and the entry')
  }
})

// ---- models out of archives ----------------------------------------------------------------------------------------

test('zip: two STLs and a README give two models; macOS junk is skipped', async (t) => {
  const zip = await makeZip([
    { name: 'README.txt', data: 'print these two\n' },
    { name: 'parts/left.stl', data: boxStl(10, 20, 30) },
    { name: 'right.STL', data: boxStl(5, 5, 5, 100), compress: false },
    { name: 'photo.jpg', data: randomBytes(2000) },
    { name: '__MACOSX/parts/._left.stl', data: randomBytes(100) },
    { name: '.DS_Store', data: randomBytes(100) },
    { name: 'parts/._left.stl', data: randomBytes(100) }
  ])
  const models = await readZipModels(zip, 'two.zip')
  t.alike(models.map(m => [m.name, m.kind, m.mesh.triangles.length / 9]), [['parts/left.stl', 'stl', 12], ['right.STL', 'stl', 12]])
  t.alike(round(bbox(models[0].mesh).max), [10, 20, 30])
  t.alike(round(bbox(models[1].mesh).min), [100, 0, 0])

  // A "./" folder entry (older Python's shutil.make_archive writes one) is skipped, not refused.
  const dirZip = new yazl.ZipFile()
  dirZip.addEmptyDirectory('q')
  dirZip.addBuffer(Buffer.from('hello'), 'hello.txt', { compress: false })
  dirZip.end()
  const chunks: Buffer[] = []
  for await (const c of dirZip.outputStream) chunks.push(c as Buffer)
  const dotted = renameEntry(Buffer.concat(chunks), 'q/', './')
  t.alike((await readZipEntries(dotted, 'dotted.zip')).map(e => e.path), ['hello.txt'])

  const entries = await readZipEntries(zip, 'two.zip')
  t.is(entries.length, 7, 'readZipEntries returns every file')
  t.alike(Buffer.from(entries[0].bytes).toString(), 'print these two\n')
})

test('zip: OBJ and 3MF entries are models too; a 3MF with several build items gives entry#object names', async (t) => {
  const obj = 'v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 3 2\nf 1 2 4\nf 1 4 3\nf 2 3 4\n'
  const two = await make3mf(modelXml({
    resources: `<object id="1" name="bolt" type="model">${meshXml(1, 1, 1)}</object><object id="2" name="nut">${meshXml(2, 2, 2)}</object>`,
    build: '<item objectid="1"/><item objectid="2"/>'
  }))
  const one = await make3mf(modelXml({ resources: `<object id="7">${meshXml(3, 3, 3)}</object>`, build: '<item objectid="7"/>' }))
  const zip = await makeZip([{ name: 'tetra.obj', data: obj }, { name: 'set.3mf', data: two }, { name: 'single.3mf', data: one }])
  const models = await readZipModels(zip, 'mixed.zip')
  t.alike(models.map(m => [m.name, m.kind, m.mesh.triangles.length / 9]), [
    ['tetra.obj', 'obj', 4], ['set.3mf#bolt', '3mf', 12], ['set.3mf#nut', '3mf', 12], ['single.3mf', '3mf', 12]
  ])
})

test('zip: an archive without models is NOT_A_MODEL, and says what it holds', async (t) => {
  const zip = await makeZip([{ name: 'README.txt', data: 'nothing here' }, { name: 'photo.jpg', data: randomBytes(100) }, { name: '__MACOSX/._x.stl', data: 'junk' }])
  await refused(t, readZipModels(zip, 'none.zip'), 'NOT_A_MODEL', /none\.zip.*2 files.*"README\.txt", "photo\.jpg"/)
  await refused(t, readZipModels(await makeZip([]), 'empty.zip'), 'NOT_A_MODEL', /holds no files/)
})

test('zip: a model entry that does not parse refuses the archive and names the entry', async (t) => {
  const zip = await makeZip([{ name: 'good.stl', data: boxStl(1, 1, 1) }, { name: 'bad.stl', data: 'solid x\nfacet nonsense\n' }])
  try {
    await readZipModels(zip, 'mixed.zip')
    t.fail('should refuse')
  } catch (err) {
    t.ok(err instanceof P2PrintError, (err as Error).message)
    t.ok((err as Error).message.includes('bad.stl in mixed.zip'), 'the message names the entry in the archive')
  }
})

// ---- hostile archives ----------------------------------------------------------------------------------------------

test('zip: not a ZIP, a truncated ZIP, a corrupted entry → ZIP_REFUSED', async (t) => {
  await refused(t, readZipEntries(Buffer.from('solid cube\nendsolid cube\n'), 'text.zip'), 'ZIP_REFUSED', /^text\.zip: not a valid ZIP archive: /)
  await refused(t, readZipEntries(new Uint8Array(0), 'empty.zip'), 'ZIP_REFUSED', /not a valid ZIP archive/)
  const zip = await makeZip([{ name: 'a.stl', data: boxStl(1, 1, 1), compress: false }, { name: 'b.txt', data: 'x'.repeat(100) }])
  await refused(t, readZipEntries(zip.subarray(0, zip.length - 30), 'cut.zip'), 'ZIP_REFUSED', /not a valid ZIP archive/)
  const flipped = Buffer.from(zip)
  flipped[localHeaders(zip)[0] + 30 + 'a.stl'.length + 100] ^= 0xff // a byte of the stored STL
  await refused(t, readZipEntries(flipped, 'flipped.zip'), 'ZIP_REFUSED', /"a\.stl" is corrupt: its CRC-32 does not match/)
  await refused(t, readZipEntries(zip, 'big.zip', limits({ maxFileBytes: 100 })), 'FILE_TOO_LARGE', /big\.zip is \d+ bytes, more than the limit of 100 bytes/)
})

test('zip: too many entries is refused from the central directory count', async (t) => {
  const files = Array.from({ length: 5 }, (_, i) => ({ name: `p${i}.stl`, data: boxStl(1, 1, 1) }))
  const zip = await makeZip(files)
  await refused(t, readZipEntries(zip, 'many.zip', limits({ maxZipEntries: 4 })), 'ZIP_REFUSED', /many\.zip: it has 5 entries, more than the limit of 4/)
  t.is((await readZipEntries(zip, 'many.zip', limits({ maxZipEntries: 5 }))).length, 5, 'five is fine with a limit of 5')
})

test('zip: total unpacked size and per-entry size over the limits are refused', async (t) => {
  const zip = await makeZip([{ name: 'a.bin', data: randomBytes(600) }, { name: 'b.bin', data: randomBytes(600) }])
  await refused(t, readZipEntries(zip, 'sum.zip', limits({ maxUnpackedBytes: 1000 })), 'ZIP_REFUSED', /more than 1000 bytes unpacked \(the limit\), 1200 bytes/)
  const small = await makeZip([{ name: 'z.bin', data: Buffer.alloc(100 * 1024) }])
  await refused(t, readZipEntries(small, 'one.zip', limits({ maxFileBytes: 50_000 })), 'FILE_TOO_LARGE', /z\.bin in one\.zip is 102400 bytes, more than the limit of 50000 bytes/)
  t.is((await readZipEntries(zip, 'sum.zip', limits({ maxUnpackedBytes: 1200 }))).length, 2, 'exactly at the limit is fine')
})

test('zip: an honest zip bomb (50 MB of zeros) is refused by its declared compression ratio', async (t) => {
  const zeros = Buffer.alloc(50 * 1024 * 1024)
  const zip = await makeZip([{ name: 'bomb.stl', data: zeros }])
  t.comment(`50 MB of zeros pack into ${zip.length} bytes`)
  const start = Date.now()
  await refused(t, readZipEntries(zip, 'bomb.zip'), 'ZIP_REFUSED', /"bomb\.stl" declares 52428800 bytes packed into \d+, a compression ratio of \d+:1, more than the limit of 100:1/)
  t.ok(Date.now() - start < 1000, 'refused before inflating anything')
  await refused(t, readZipEntries(zip, 'bomb.zip', limits({ maxCompressionRatio: 2000, maxUnpackedBytes: 10 * 1024 * 1024 })), 'ZIP_REFUSED', /more than 10485760 bytes unpacked/)
  const ok = await readZipEntries(zip, 'bomb.zip', limits({ maxCompressionRatio: 2000 }))
  t.is(ok[0].bytes.length, zeros.length, 'with a ratio limit of 2000:1 it unpacks')
})

test('zip: compression ratios are not held against files below 1 MiB', async (t) => {
  const zip = await makeZip([{ name: 'notes.txt', data: Buffer.alloc(500 * 1024, 0x20) }, { name: 'part.stl', data: boxStl(1, 1, 1) }])
  t.ok(500 * 1024 / zip.length > 100, `a ratio of ${Math.round(500 * 1024 / zip.length)}:1`)
  t.is((await readZipModels(zip, 'spaces.zip')).length, 1)
  t.is((await readZipEntries(zip, 'spaces.zip')).length, 2)
})

test('zip: many small entries that each pass but together exceed the overall ratio are refused', async (t) => {
  const files = Array.from({ length: 4 }, (_, i) => ({ name: `z${i}.bin`, data: Buffer.alloc(900 * 1024) }))
  const zip = await makeZip(files)
  await refused(t, readZipEntries(zip, 'spread.zip'), 'ZIP_REFUSED', /spread\.zip: its entries declare 3686400 bytes unpacked from a \d+-byte archive, a compression ratio of \d+:1, more than the limit of 100:1/)
})

test('zip: a bomb that lies about its size is stopped as soon as the real bytes exceed the declared ones', async (t) => {
  const zeros = Buffer.alloc(50 * 1024 * 1024)
  const zip = await makeZip([{ name: 'liar.stl', data: zeros }])
  // Patch the declared uncompressed size (central directory at +24, local header at +22) down to 1000 bytes: the
  // declared ratio now looks innocent.
  const evil = Buffer.from(zip)
  for (const c of centralHeaders(evil)) evil.writeUInt32LE(1000, c + 24)
  for (const l of localHeaders(evil)) evil.writeUInt32LE(1000, l + 22)
  const start = Date.now()
  const err = await refused(t, readZipEntries(evil, 'liar.zip'), 'ZIP_REFUSED', /"liar\.stl" inflates to more than the 1000 bytes its header declares \(a zip bomb\?\); stopped after \d+ bytes/)
  const stoppedAfter = Number(/stopped after (\d+) bytes/.exec(err?.message ?? '')?.[1])
  t.ok(stoppedAfter < 1024 * 1024, `stopped after ${stoppedAfter} bytes, not 50 MB`)
  t.comment(`refused in ${Date.now() - start} ms`)
  // Same lie, but the declared size is big enough that the lie only shows past the unpacked limit.
  const evil2 = Buffer.from(zip)
  for (const c of centralHeaders(evil2)) evil2.writeUInt32LE(4 * 1024 * 1024, c + 24)
  await refused(t, readZipEntries(evil2, 'liar2.zip', limits({ maxCompressionRatio: 1e6 })), 'ZIP_REFUSED', /inflates to more than the 4194304 bytes its header declares/)
  // In a file readZipModels ignores, the lie is never inflated: the archive is checked, the photo is not read.
  const photo = await makeZip([{ name: 'photo.jpg', data: zeros }, { name: 'part.stl', data: boxStl(1, 1, 1) }])
  for (const c of centralHeaders(photo)) if (photo.readUInt16LE(c + 28) === 'photo.jpg'.length) photo.writeUInt32LE(1000, c + 24)
  t.alike((await readZipModels(photo, 'photo.zip')).map(m => m.name), ['part.stl'], 'models are read, the lying photo is never inflated')
  await refused(t, readZipEntries(photo, 'photo.zip'), 'ZIP_REFUSED', /"photo\.jpg" inflates to more than the 1000 bytes/, 'readZipEntries inflates it and stops')
  // And one that declares more than it holds: corrupt.
  const short = await makeZip([{ name: 'short.txt', data: 'hello hello hello hello' }])
  for (const c of centralHeaders(short)) short.writeUInt32LE(30, c + 24)
  await refused(t, readZipEntries(short, 'short.zip'), 'ZIP_REFUSED', /"short\.txt" is corrupt: it unpacks to 23 bytes but its header declares 30/)
})

test('zip: .. and absolute entry names → UNSAFE_PATH, and extractZip writes nothing', async (t) => {
  const root = await tmpDir(t)
  const outDir = path.join(root, 'out')
  const cases: Array<[string, string]> = [
    ['xx/evil.stl', '../evil.stl'],
    ['Xetc/x.stl', '/etc/x.stl'],
    ['a/xx/xx/evil.stl', 'a/../../evil.stl'],
    ['XXevil.stl', 'C:evil.stl'],
    ['xxxevil.stl', '..\\evil.stl'],
    ['qqsvqx.stl', '\\\\sv\\x.stl']
  ]
  for (const [harmless, evil] of cases) {
    const zip = renameEntry(await makeZip([{ name: 'fine.stl', data: boxStl(1, 1, 1) }, { name: harmless, data: boxStl(2, 2, 2) }]), harmless, evil)
    await refused(t, readZipEntries(zip, 'evil.zip'), 'UNSAFE_PATH', /evil\.zip: entry .* would be written outside the target folder/, `readZipEntries: ${evil}`)
    await refused(t, readZipModels(zip, 'evil.zip'), 'UNSAFE_PATH', undefined, `readZipModels: ${evil}`)
    await refused(t, extractZip(zip, 'evil.zip', outDir), 'UNSAFE_PATH', undefined, `extractZip: ${evil}`)
  }
  t.absent(fs.existsSync(outDir), 'nothing was written, not even the output folder')
  t.alike(fs.readdirSync(root), [], 'nothing was written next to it')
  t.absent(fs.existsSync(path.join(path.dirname(root), 'evil.stl')), 'nothing escaped above the temporary folder')
})

test('zip: extractZip writes every file under outDir and refuses links and planted symlinks', async (t) => {
  const root = await tmpDir(t)
  const outDir = path.join(root, 'out')
  const zip = await makeZip([{ name: 'a/b/part.stl', data: boxStl(1, 1, 1) }, { name: 'readme.txt', data: 'hi' }])
  const written = await extractZip(zip, 'ok.zip', outDir)
  t.alike(written, [path.join(outDir, 'a', 'b', 'part.stl'), path.join(outDir, 'readme.txt')])
  t.is(fs.readFileSync(path.join(outDir, 'readme.txt'), 'utf8'), 'hi')
  t.alike(fs.readdirSync(path.join(outDir, 'a', 'b')), ['part.stl'], 'no temporary files left')
  await extractZip(await makeZip([{ name: 'readme.txt', data: 'again' }]), 'again.zip', outDir)
  t.is(fs.readFileSync(path.join(outDir, 'readme.txt'), 'utf8'), 'again', 'an existing file is replaced')

  // A symlink entry (unix mode 0120777) is refused.
  const link = await makeZip([{ name: 'link.stl', data: '/etc/passwd', mode: 0o120777 }])
  await refused(t, extractZip(link, 'link.zip', path.join(root, 'out2')), 'ZIP_REFUSED', /"link\.stl" is a symbolic link/)
  t.absent(fs.existsSync(path.join(root, 'out2')))

  // A symlink already inside outDir must not carry the extraction outside.
  const outside = path.join(root, 'outside')
  fs.mkdirSync(outside)
  fs.symlinkSync(outside, path.join(outDir, 'sneaky'))
  await refused(t, extractZip(await makeZip([{ name: 'sneaky/x.stl', data: boxStl(1, 1, 1) }]), 'sneaky.zip', outDir), 'ZIP_REFUSED', /is not a folder \(a symbolic link\)/)
  fs.symlinkSync(path.join(outside, 'target.stl'), path.join(outDir, 'dangling.stl'))
  await refused(t, extractZip(await makeZip([{ name: 'dangling.stl', data: boxStl(1, 1, 1) }]), 'dangling.zip', outDir), 'ZIP_REFUSED', /is not a regular file \(a symbolic link\)/)
  t.alike(fs.readdirSync(outside), [], 'nothing was written through the links')
})

test('zip: encrypted entries, duplicate names and case collisions are refused', async (t) => {
  const zip = await makeZip([{ name: 'secret.stl', data: boxStl(1, 1, 1) }])
  const enc = Buffer.from(zip)
  for (const c of centralHeaders(enc)) enc.writeUInt16LE(enc.readUInt16LE(c + 8) | 1, c + 8)
  for (const l of localHeaders(enc)) enc.writeUInt16LE(enc.readUInt16LE(l + 6) | 1, l + 6)
  await refused(t, readZipModels(enc, 'enc.zip'), 'ZIP_REFUSED', /enc\.zip: entry "secret\.stl" is encrypted/)

  const dup = await makeZip([{ name: 'part.stl', data: boxStl(1, 1, 1) }, { name: 'part.stl', data: boxStl(2, 2, 2) }])
  await refused(t, readZipModels(dup, 'dup.zip'), 'ZIP_REFUSED', /dup\.zip: entry "part\.stl" appears twice/)
  const dup2 = await makeZip([{ name: 'dir/part.stl', data: boxStl(1, 1, 1) }, { name: 'dir//./part.stl', data: boxStl(2, 2, 2) }])
  await refused(t, readZipModels(dup2, 'dup2.zip'), 'ZIP_REFUSED', /appears twice/, 'the same path written differently')
  const cased = await makeZip([{ name: 'Part.stl', data: boxStl(1, 1, 1) }, { name: 'part.STL', data: boxStl(2, 2, 2) }])
  await refused(t, readZipModels(cased, 'cased.zip'), 'ZIP_REFUSED', /"Part\.stl" and "part\.STL" would be the same file on a case-insensitive file system/)
  const both = await makeZip([{ name: 'x.stl', data: boxStl(1, 1, 1) }, { name: 'x.stl/y.stl', data: boxStl(2, 2, 2) }])
  await refused(t, readZipModels(both, 'both.zip'), 'ZIP_REFUSED', /"x\.stl" is both a file and a folder/)
})

test('zip: overlapping entries (several records pointing at the same data) are refused', async (t) => {
  const zip = await makeZip([{ name: 'a.bin', data: randomBytes(3000) }, { name: 'b.bin', data: randomBytes(3000) }])
  const evil = Buffer.from(zip)
  const [c0, c1] = centralHeaders(evil)
  // Point b's central record at a's local header; give it a's sizes, CRC and a name of the same length.
  evil.copy(evil, c1 + 16, c0 + 16, c0 + 28)
  evil.writeUInt32LE(evil.readUInt32LE(c0 + 42), c1 + 42)
  await refused(t, readZipEntries(evil, 'overlap.zip'), 'ZIP_REFUSED', /overlap in the archive/)
})

// ---- 3MF -----------------------------------------------------------------------------------------------------------

test('3mf: a millimetre cube and a centimetre cube moved by its build transform', async (t) => {
  const mm = await make3mf(modelXml({ resources: `<object id="1" name="cube" type="model">${meshXml(10, 10, 10)}</object>`, build: '<item objectid="1"/>' }))
  const [cube] = await parse3mf(mm, 'cube.3mf')
  t.is(cube.name, 'cube')
  t.is(cube.mesh.triangles.length, 12 * 9, '12 triangles')
  t.alike(bbox(cube.mesh), { min: [0, 0, 0], max: [10, 10, 10] })

  const cm = await make3mf(modelXml({
    unit: 'centimeter',
    resources: `<object id="3">${meshXml(1, 2, 3)}</object>`,
    build: '<item objectid="3" transform="1 0 0 0 1 0 0 0 1 5 0 -1"/>'
  }))
  const [moved] = await parse3mf(cm, 'cm.3mf')
  t.is(moved.name, '3', 'named by id when the object has no name')
  t.is(moved.mesh.triangles.length, 12 * 9)
  t.alike(round(bbox(moved.mesh).min), [50, 0, -10], 'translation in centimetres')
  t.alike(round(bbox(moved.mesh).max), [60, 20, 20])

  // Row-vector convention: a +90° turn about z maps x to y: m00=0 m01=1 m10=-1 m11=0.
  const rot = await make3mf(modelXml({
    unit: 'inch',
    resources: `<object id="1">${meshXml(1, 2, 3)}</object>`,
    build: '<item objectid="1" transform="0 1 0 -1 0 0 0 0 1 0 0 0"/>'
  }))
  const [turned] = await parse3mf(rot, 'rot.3mf')
  t.alike(round(bbox(turned.mesh).min), [-50.8, 0, 0])
  t.alike(round(bbox(turned.mesh).max), [0, 25.4, 76.2])
})

test('3mf: components are placed recursively; objects placed twice get distinct names', async (t) => {
  const model = modelXml({
    resources: `<object id="1" name="brick">${meshXml(2, 1, 1)}</object>` +
      '<object id="2" name="pair"><components><component objectid="1"/><component objectid="1" transform="1 0 0 0 1 0 0 0 1 0 0 1"/></components></object>' +
      '<object id="3" name="wall"><components><component objectid="2" transform="2 0 0 0 1 0 0 0 1 0 0 0"/><component objectid="2" transform="1 0 0 0 1 0 0 0 1 10 0 0"/></components></object>',
    build: '<item objectid="3" transform="1 0 0 0 1 0 0 0 1 0 5 0"/><item objectid="1"/><item objectid="1" transform="1 0 0 0 1 0 0 0 1 0 0 7"/>'
  })
  const meshes = await parse3mf(await make3mf(model), 'wall.3mf')
  t.alike(meshes.map(m => [m.name, m.mesh.triangles.length / 9]), [['wall', 48], ['brick', 12], ['brick (2)', 12]])
  t.alike(round(bbox(meshes[0].mesh).min), [0, 5, 0])
  t.alike(round(bbox(meshes[0].mesh).max), [12, 6, 2], 'the scaled pair reaches x=4, the moved one x=12')
  t.alike(round(bbox(meshes[2].mesh).min), [0, 0, 7])
})

test('3mf: the start part comes from _rels/.rels, and p:path components are followed into other parts', async (t) => {
  const part = `<?xml version="1.0"?><model unit="millimeter" xmlns="${CORE}"><resources><object id="1" name="inner">${meshXml(4, 4, 4)}</object></resources><build/></model>`
  const root = modelXml({
    extra: ` xmlns:p="${PROD}" requiredextensions="p"`,
    resources: '<object id="5" name="assembly"><components><component p:path="/3D/Objects/object_1.model" objectid="1" transform="1 0 0 0 1 0 0 0 1 1 2 3"/></components></object>',
    build: '<item objectid="5"/>'
  })
  const zip = await make3mf(null, [{ name: '3D/Main Model.model', data: root }, { name: '3D/Objects/object_1.model', data: part }], rels('/3D/Main%20Model.model'))
  const [m] = await parse3mf(zip, 'prod.3mf')
  t.is(m.name, 'assembly')
  t.alike(round(bbox(m.mesh).min), [1, 2, 3])
  t.alike(round(bbox(m.mesh).max), [5, 6, 7])
})

test('3mf: cycles, missing parts and objects, bad indices, bad numbers, no build items, too many triangles', async (t) => {
  const cube = meshXml(1, 1, 1)
  const bad = async (model: string, match: RegExp, code = 'BAD_MODEL', lim?: FileLimits, msg?: string): Promise<void> => {
    await refused(t, parse3mf(await make3mf(model), 'bad.3mf', lim), code, match, msg ?? String(match))
  }
  await bad(modelXml({
    resources: '<object id="2"><components><component objectid="3"/></components></object><object id="3"><components><component objectid="2"/></components></object>',
    build: '<item objectid="2"/>'
  }), /components form a cycle \(objects 2 → 3 → 2\)/)
  await bad(modelXml({ resources: '<object id="2"><components><component objectid="2"/></components></object>', build: '<item objectid="2"/>' }), /cycle \(objects 2 → 2\)/)
  await refused(t, parse3mf(await make3mf(null), 'nomodel.3mf'), 'BAD_MODEL', /the 3D model part "\/3D\/3dmodel\.model" named by _rels\/\.rels is missing/, 'missing model part')
  await refused(t, parse3mf(await make3mf(null, [], null), 'nomodel.3mf'), 'BAD_MODEL', /no 3D model part: there is no _rels\/\.rels and 3D\/3dmodel\.model is missing/)
  await refused(t, parse3mf(Buffer.from('not a zip at all'), 'fake.3mf'), 'BAD_MODEL', /fake\.3mf: not a valid 3MF file \(a 3MF is a ZIP archive/)
  await bad(modelXml({ resources: `<object id="1">${cube}</object>`, build: '<item objectid="9"/>' }), /build item 0 in 3D\/3dmodel\.model refers to object 9, which 3D\/3dmodel\.model does not define/)
  await bad(modelXml({ resources: `<object id="1">${cube.replace('v3="5"', 'v3="8"')}</object>`, build: '<item objectid="1"/>' }), /object 1: triangle \d+ refers to vertex 8, but the object has only 8 vertices/)
  await bad(modelXml({ resources: `<object id="1">${cube.replace('v2="2"', 'v2="-2"')}</object>`, build: '<item objectid="1"/>' }), /v2="-2", not a vertex index/)
  await bad(modelXml({ resources: `<object id="1" name="x">${cube.replace('x="1"', 'x="1e400"')}</object>`, build: '<item objectid="1"/>' }), /object 1 \("x"\): vertex 1 has x="1e400", not a finite number/)
  await bad(modelXml({ resources: `<object id="1">${cube.replace('y="0"', 'y="NaN"')}</object>`, build: '<item objectid="1"/>' }), /y="NaN", not a finite number/)
  await bad(modelXml({ resources: `<object id="1">${cube.replace('z="0"', 'z=""')}</object>`, build: '<item objectid="1"/>' }), /z="", not a finite number/)
  await bad(modelXml({ resources: `<object id="1">${cube.replace('z="0"', 'q="0"')}</object>`, build: '<item objectid="1"/>' }), /vertex 0 lacks its z coordinate/)
  await bad(modelXml({ resources: `<object id="1">${cube}</object>`, build: '' }), /has no build items/)
  await bad(modelXml({ resources: `<object id="1">${cube}</object>`, build: '<item objectid="1" transform="1 0 0 0 1 0 0 0 1 0 0"/>' }), /has 11 numbers, expected 12/)
  await bad(modelXml({ resources: `<object id="1">${cube}</object>`, build: '<item objectid="1" transform="1 0 0 0 1 0 0 0 1 0 0 Infinity"/>' }), /"Infinity", not a finite number/)
  await bad(modelXml({ resources: `<object id="1">${cube}</object><object id="1">${cube}</object>`, build: '<item objectid="1"/>' }), /object id 1 is used twice/)
  await bad(modelXml({ unit: 'parsec', resources: `<object id="1">${cube}</object>`, build: '<item objectid="1"/>' }), /unknown unit "parsec"/)
  await bad(modelXml({ resources: `<object id="1" name="big">${cube}</object>`, build: '<item objectid="1"/>' }), /bad\.3mf object 1 \("big"\) has 12 facets, more than the limit of 11/, 'TOO_MANY_FACETS', limits({ maxFacets: 11 }))
  await bad(modelXml({
    resources: `<object id="1">${cube}</object><object id="2"><components><component objectid="1"/><component objectid="1"/></components></object>`,
    build: '<item objectid="2"/>'
  }), /has 24 facets, more than the limit of 20/, 'TOO_MANY_FACETS', limits({ maxFacets: 20 }), 'components multiply facets')
  await bad(modelXml({
    extra: ' xmlns:b="http://schemas.microsoft.com/3dmanufacturing/beamlattice/2017/02" requiredextensions="b"',
    resources: `<object id="1">${cube}</object>`,
    build: '<item objectid="1"/>'
  }), /requires the 3MF extension http:\/\/schemas\.microsoft\.com\/3dmanufacturing\/beamlattice\/2017\/02, which p2print cannot read/)
})

test('3mf: the XML tokenizer is strict: DOCTYPE, mismatched tags, bad entities, unquoted attributes', async (t) => {
  const body = `<resources><object id="1">${meshXml(1, 1, 1)}</object></resources><build><item objectid="1"/></build>`
  const cases: Array<[string, RegExp]> = [
    [`<?xml version="1.0"?><!DOCTYPE model [<!ENTITY a "aaaa">]><model xmlns="${CORE}">${body}</model>`, /DOCTYPE declarations are not allowed/],
    [`<model xmlns="${CORE}">${body}</modle>`, /line \d+: end tag <\/modle> does not match <model>/],
    [`<model xmlns="${CORE}">${body}`, /<model> is not closed/],
    [`<model xmlns="${CORE}" unit=millimeter>${body}</model>`, /attribute unit in <model is not quoted/],
    [`<model xmlns="${CORE}">\n<resources><object id="1" name="a &bogus; b">${meshXml(1, 1, 1)}</object></resources></model>`, /unknown entity &bogus;/],
    [`<model xmlns="${CORE}" unit="millimeter" unit="inch">${body}</model>`, /attribute unit appears twice/],
    [`<model xmlns="${CORE}">${body}</model><model/>`, /content after the root element/],
    [`<model xmlns="${CORE}" xmlns:q="urn:x"><q:thing/><z:thing/>${body}</model>`, /undeclared namespace prefix "z"/],
    [`<?xml version="1.0" encoding="ISO-8859-1"?><model xmlns="${CORE}">${body}</model>`, /declared as ISO-8859-1; 3MF requires UTF-8/],
    [`<Model xmlns="${CORE}">${body}</Model>`, /the root element is <Model>, not a 3MF <model>/],
    [`<model xmlns="${CORE}"><resources><object id="1"><mesh><vertices><vertex x="1" y="2" z="<"/></vertices></mesh></object></resources></model>`, /"<" in the value of attribute z/]
  ]
  for (const [xml, match] of cases) {
    await refused(t, parse3mf(await make3mf(xml), 'x.3mf'), 'BAD_MODEL', match, String(match))
  }
  // What the tokenizer accepts: a BOM, the declaration, comments, PIs, CDATA, entities, character references,
  // foreign namespaces (skipped), single quotes, whitespace around "=".
  const xml = `\ufeff<?xml version="1.0" encoding="utf-8"?>\n<!-- c --><?pi data?>\n<model xmlns="${CORE}" xmlns:s="urn:slicer" unit = 'millimeter'>` +
    '<s:config><object id="9"/></s:config><metadata name="x"><![CDATA[<not markup>]]></metadata>' +
    `<resources><object id="1" name="A &amp; B &lt;&#x263A;&#9731;&gt; &quot;q&quot; &apos;s&apos;">${meshXml(1, 1, 1)}</object></resources>` +
    '<build><item objectid="1"><s:extra/></item></build></model>\n<!-- after -->\n'
  const [m] = await parse3mf(await make3mf(xml), 'ok.3mf')
  t.is(m.name, 'A & B <☺☃> "q" \'s\'')
  t.is(m.mesh.triangles.length, 12 * 9)

  const r = new XmlReader(Buffer.from('<a xmlns="urn:a" xmlns:b="urn:b"><b:c b:k="1" k="2"/></a>'))
  t.is(r.next(), 'open')
  t.is(r.ns, 'urn:a')
  t.is(r.next(), 'open')
  t.alike([r.local, r.ns, r.attr('k'), r.attr('k', 'urn:b')], ['c', 'urn:b', '2', '1'])
  t.is(r.next(), 'close')
  t.is(r.next(), 'close')
  t.is(r.next(), 'end')
})

test('3mf: a larger mesh parses in reasonable time', async (t) => {
  const n = 200 // (n+1)² vertices, 2n² triangles: a height field
  const verts: string[] = []
  const tris: string[] = []
  for (let i = 0; i <= n; i++) for (let j = 0; j <= n; j++) verts.push(`<vertex x="${i * 0.5}" y="${j * 0.5}" z="${Math.sin(i / 10) * Math.cos(j / 10)}"/>`)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const a = i * (n + 1) + j
      tris.push(`<triangle v1="${a}" v2="${a + n + 1}" v3="${a + 1}"/>`, `<triangle v1="${a + 1}" v2="${a + n + 1}" v3="${a + n + 2}"/>`)
    }
  }
  const xml = modelXml({ resources: `<object id="1" name="terrain"><mesh><vertices>${verts.join('\n')}</vertices><triangles>${tris.join('\n')}</triangles></mesh></object>`, build: '<item objectid="1"/>' })
  const zip = await make3mf(xml)
  const start = Date.now()
  const [m] = await parse3mf(zip, 'terrain.3mf')
  const ms = Date.now() - start
  t.is(m.mesh.triangles.length, 2 * n * n * 9)
  t.comment(`${2 * n * n} triangles from ${xml.length} bytes of XML in ${ms} ms`)
  t.ok(ms < 5000)
})
