// ZIP archives of models, read in memory and refused early when they look hostile.
//
// Everything an archive says about itself is checked before a single byte is inflated: the entry count, every
// entry's name (no absolute paths, no `..`, no backslash or drive tricks), its type (no symlinks or devices), its
// encryption and compression method, its declared sizes against the limits and its declared compression ratio, and
// whether two entries collide (same path, or same path on a case-insensitive file system) or overlap in the file.
// Then each entry is inflated by our own zlib stream and counted as it comes: the moment the real bytes exceed what
// the central directory declared (a bomb that lies about its sizes), or any limit, the stream is destroyed and the
// rest is never inflated. Inflated entries are checked against their declared size and CRC-32.
//
// The models in an archive are read by archive.ts. Nothing is written to disk except by extractZip, which writes only
// after the whole archive passed.
import fs from '#fs'
import path from '#path'
import zlib from '#zlib'
import { randomBytes } from '#crypto'
import { readZipDirectory, entryName, type ZipRecord as Entry, type ZipDirectory as ZipFile } from './zip-reader.js'
import { DEFAULT_LIMITS, type FileLimits } from './model.js'
import { FILE_TOO_LARGE, P2PrintError, UNSAFE_PATH, ZIP_REFUSED } from '../errors.js'

export interface ZipEntry {
  path: string // normalised, relative, '/'-separated
  bytes: Uint8Array
}

// Compression ratios are only enforced once an entry (or the archive) unpacks to more than this: a small text file
// of spaces legitimately compresses 200×, and a megabyte cannot hurt anyone. The unpacked-size limit still applies.
export const RATIO_FLOOR_BYTES = 1024 * 1024

// Names Windows opens as devices whatever the folder (checked by extractZip on Windows only: elsewhere `aux.stl`
// is an ordinary file).
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i

// Returns the entry's path normalised ('/'-separated, no '.' or empty segments, no trailing '/'), or throws
// UNSAFE_PATH. Backslashes count as separators (that is what they are on Windows, where an extracted `..\x` would
// escape), so `a\b.stl` is `a/b.stl` and `..\x` is refused.
export function checkEntryName (archive: string, entry: string): string {
  if (entry.length === 0) throw UNSAFE_PATH(archive, entry, 'has an empty name')
  if (entry.includes('\0')) throw UNSAFE_PATH(archive, entry, 'contains a NUL byte')
  // eslint-disable-next-line no-control-regex
  if (/[\x01-\x1f\x7f]/.test(entry)) throw UNSAFE_PATH(archive, entry, 'contains control characters')
  const name = entry.replace(/\\/g, '/')
  // Absolute: /x, //server/share (\\server\share), C:x and C:/x (drive letters), and any other colon (a drive
  // or an NTFS alternate data stream).
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) throw UNSAFE_PATH(archive, entry)
  if (name.includes(':')) throw UNSAFE_PATH(archive, entry, 'contains ":" (a drive letter or an NTFS stream on Windows)')
  const out: string[] = []
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg === '..') throw UNSAFE_PATH(archive, entry)
    // Windows strips trailing dots and spaces, so `.. ` or `...` would become `..` there.
    if (/^[. ]+$/.test(seg)) throw UNSAFE_PATH(archive, entry)
    out.push(seg)
  }
  if (out.length === 0) throw UNSAFE_PATH(archive, entry, 'names no file (only "." and "/")')
  return out.join('/')
}

// The key under which two paths would land on the same file on a case-insensitive (macOS, Windows) file system.
function collisionKey (p: string): string {
  return p.normalize('NFC').toLowerCase().split('/').map(s => s.replace(/[. ]+$/, '')).join('/')
}

const S_IFMT = 0o170000
const S_IFREG = 0o100000
const S_IFDIR = 0o040000
const S_IFLNK = 0o120000

function unixType (entry: Entry): number {
  return (entry.externalFileAttributes >>> 16) & S_IFMT
}

function errorMessage (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function notAZip (name: string, err: unknown): P2PrintError {
  return ZIP_REFUSED(name, `not a valid ZIP archive: ${errorMessage(err)}`)
}

// CRC-32 (IEEE), zlib.crc32 where Node has it (20.15+), a table otherwise.
let crcTable: Uint32Array | null = null
function crc32 (data: Uint8Array): number {
  const native = (zlib as { crc32?: (d: Uint8Array, v?: number) => number }).crc32
  if (typeof native === 'function') return native(data) >>> 0
  if (crcTable === null) {
    crcTable = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      crcTable[n] = c >>> 0
    }
  }
  let c = 0xffffffff
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

interface FileEntry {
  entry: Entry
  path: string
}

function ratioText (unpacked: number, packed: number): string {
  return packed === 0 ? 'infinite' : `${Math.round(unpacked / packed)}:1`
}

// Reads the central directory and checks everything it declares; returns the file entries (directories skipped).
async function readCentralDirectory (zip: ZipFile, name: string, size: number, limits: FileLimits): Promise<FileEntry[]> {
  const files: FileEntry[] = []
  const seen = new Map<string, string>() // collision key → path as given
  const dirs = new Set<string>() // collision keys of every folder some file lives in
  const spans: Array<{ start: number, end: number, path: string }> = []
  let declaredTotal = 0
  for (const entry of zip.entries) {
    // zip-reader.ts only decodes the name: we judge it, and refuse with UNSAFE_PATH.
    const rawName = entryName(entry, crc32)
    // A folder entry for the archive's root ("./", as some tools write) names nothing: skip it.
    if (/^(\.?[/\\])+$/.test(rawName)) continue
    const p = checkEntryName(name, rawName)
    const type = unixType(entry)
    if (type === S_IFLNK) throw ZIP_REFUSED(name, `entry ${JSON.stringify(rawName)} is a symbolic link; archives with links are refused`)
    if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) throw ZIP_REFUSED(name, `entry ${JSON.stringify(rawName)} is a special file (device, FIFO or socket), not a regular file`)
    const isDir = /[/\\]$/.test(rawName) || type === S_IFDIR
    if (isDir) continue
    const label = `${p} in ${name}`
    if (entry.isEncrypted()) throw ZIP_REFUSED(name, `entry ${JSON.stringify(p)} is encrypted (password-protected); encrypted archives are refused`)
    if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
      throw ZIP_REFUSED(name, `entry ${JSON.stringify(p)} uses compression method ${entry.compressionMethod}; only stored (0) and deflate (8) are supported`)
    }
    const unpacked = entry.uncompressedSize
    const packed = entry.compressedSize
    if (unpacked > limits.maxFileBytes) throw FILE_TOO_LARGE(label, unpacked, limits.maxFileBytes)
    if (unpacked > RATIO_FLOOR_BYTES && unpacked > packed * limits.maxCompressionRatio) {
      throw ZIP_REFUSED(name, `entry ${JSON.stringify(p)} declares ${unpacked} bytes packed into ${packed}, a compression ratio of ${ratioText(unpacked, packed)}, more than the limit of ${limits.maxCompressionRatio}:1 (a zip bomb?)`)
    }
    if (entry.compressionMethod === 0 && packed !== unpacked) {
      throw ZIP_REFUSED(name, `entry ${JSON.stringify(p)} is stored uncompressed but declares ${packed} bytes packed and ${unpacked} unpacked`)
    }
    const key = collisionKey(p)
    const other = seen.get(key)
    if (other !== undefined) {
      throw ZIP_REFUSED(name, other === p ? `entry ${JSON.stringify(p)} appears twice` : `entries ${JSON.stringify(other)} and ${JSON.stringify(p)} would be the same file on a case-insensitive file system`)
    }
    seen.set(key, p)
    const parts = key.split('/')
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'))
    declaredTotal += unpacked
    if (declaredTotal > limits.maxUnpackedBytes) {
      throw ZIP_REFUSED(name, `its entries declare more than ${limits.maxUnpackedBytes} bytes unpacked (the limit), ${declaredTotal} bytes counting up to ${JSON.stringify(p)}`)
    }
    // A local header is at least 30 bytes plus the name before the data.
    spans.push({ start: entry.relativeOffsetOfLocalHeader, end: entry.relativeOffsetOfLocalHeader + 30 + entry.fileNameLength + packed, path: p })
    files.push({ entry, path: p })
  }
  for (const f of files) {
    const key = collisionKey(f.path)
    if (dirs.has(key)) throw ZIP_REFUSED(name, `entry ${JSON.stringify(f.path)} is both a file and a folder of other entries`)
  }
  if (declaredTotal > RATIO_FLOOR_BYTES && declaredTotal > size * limits.maxCompressionRatio) {
    throw ZIP_REFUSED(name, `its entries declare ${declaredTotal} bytes unpacked from a ${size}-byte archive, a compression ratio of ${ratioText(declaredTotal, size)}, more than the limit of ${limits.maxCompressionRatio}:1 (a zip bomb?)`)
  }
  // Entries whose data overlap (several central records pointing at the same bytes) are a zip-bomb technique.
  spans.sort((a, b) => a.start - b.start)
  for (let i = 1; i < spans.length; i++) {
    if (spans[i].start < spans[i - 1].end) {
      throw ZIP_REFUSED(name, `entries ${JSON.stringify(spans[i - 1].path)} and ${JSON.stringify(spans[i].path)} overlap in the archive (a zip-bomb technique)`)
    }
  }
  return files
}

interface Counters {
  unpacked: number // actual bytes inflated so far, all entries
}

// Inflates one entry with our own zlib stream, counting as it goes; refuses as soon as any count is exceeded.
async function inflateEntry (zip: ZipFile, f: FileEntry, name: string, size: number, limits: FileLimits, counters: Counters): Promise<Uint8Array> {
  const { entry, path: p } = f
  const declared = entry.uncompressedSize
  let raw: Uint8Array
  try {
    raw = zip.data(entry)
  } catch (err) {
    throw notAZip(name, err)
  }
  const out = Buffer.allocUnsafe(declared)
  let got = 0
  let source: AsyncIterable<Buffer> | Iterable<Buffer>
  let inflater: zlib.InflateRaw | null = null
  if (entry.compressionMethod === 8) {
    const inf = zlib.createInflateRaw()
    inflater = inf
    inf.end(raw)
    source = inf
  } else {
    source = [Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)]
  }
  try {
    for await (const chunk of source) {
      got += chunk.length
      counters.unpacked += chunk.length
      if (got > declared) {
        throw ZIP_REFUSED(name, `entry ${JSON.stringify(p)} inflates to more than the ${declared} bytes its header declares (a zip bomb?); stopped after ${got} bytes`)
      }
      if (counters.unpacked > limits.maxUnpackedBytes) {
        throw ZIP_REFUSED(name, `its entries unpack to more than ${limits.maxUnpackedBytes} bytes (the limit); stopped in ${JSON.stringify(p)}`)
      }
      if (got > RATIO_FLOOR_BYTES && got > entry.compressedSize * limits.maxCompressionRatio) {
        throw ZIP_REFUSED(name, `entry ${JSON.stringify(p)} inflates beyond a compression ratio of ${limits.maxCompressionRatio}:1 (a zip bomb?); stopped after ${got} bytes from ${entry.compressedSize}`)
      }
      if (counters.unpacked > RATIO_FLOOR_BYTES && counters.unpacked > size * limits.maxCompressionRatio) {
        throw ZIP_REFUSED(name, `the archive inflates beyond a compression ratio of ${limits.maxCompressionRatio}:1 (a zip bomb?); stopped after ${counters.unpacked} bytes from a ${size}-byte archive`)
      }
      chunk.copy(out, got - chunk.length)
    }
  } catch (err) {
    if (err instanceof P2PrintError) throw err
    throw ZIP_REFUSED(name, `entry ${JSON.stringify(p)} is corrupt: ${errorMessage(err)}`)
  } finally {
    inflater?.destroy()
  }
  if (got !== declared) throw ZIP_REFUSED(name, `entry ${JSON.stringify(p)} is corrupt: it unpacks to ${got} bytes but its header declares ${declared}`)
  const data = new Uint8Array(out.buffer, out.byteOffset, declared)
  if (crc32(data) !== (entry.crc32 >>> 0)) throw ZIP_REFUSED(name, `entry ${JSON.stringify(p)} is corrupt: its CRC-32 does not match`)
  return data
}

// All files of a ZIP archive (directories skipped), in memory, in central-directory order. With `select`, only the
// files it accepts are inflated and returned; the others are still checked (name, type, declared sizes) but their
// data is never touched.
export async function readZipEntries (bytes: Uint8Array, name: string, limits: FileLimits = DEFAULT_LIMITS, select?: (path: string) => boolean): Promise<ZipEntry[]> {
  return (await readZip(bytes, name, limits, select)).entries
}

// The files of the archive as readZipEntries, and the paths of all of them (selected or not).
export async function readZip (bytes: Uint8Array, name: string, limits: FileLimits, select?: (path: string) => boolean): Promise<{ paths: string[], entries: ZipEntry[] }> {
  if (bytes.byteLength > limits.maxFileBytes) throw FILE_TOO_LARGE(name, bytes.byteLength, limits.maxFileBytes)
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let zip: ZipFile
  try {
    zip = readZipDirectory(buf) // lib/files/zip-reader.ts: the records as declared; everything is judged here
  } catch (err) {
    throw notAZip(name, err)
  }
  if (zip.entryCount > limits.maxZipEntries) {
    throw ZIP_REFUSED(name, `it has ${zip.entryCount} entries, more than the limit of ${limits.maxZipEntries}`)
  }
  const files = await readCentralDirectory(zip, name, bytes.byteLength, limits)
  const counters: Counters = { unpacked: 0 }
  const out: ZipEntry[] = []
  for (const f of files) {
    if (select !== undefined && !select(f.path)) continue
    out.push({ path: f.path, bytes: await inflateEntry(zip, f, name, bytes.byteLength, limits, counters) })
  }
  return { paths: files.map(f => f.path), entries: out }
}

// Makes root/segs… one folder at a time, refusing any existing component that is not a real folder (a symlink
// planted in outDir must not carry the extraction elsewhere).
async function ensureDir (root: string, segs: string[], name: string, entry: string): Promise<string> {
  let dir = root
  for (const seg of segs) {
    dir = path.join(dir, seg)
    let st: fs.Stats | null = null
    try {
      st = await fs.promises.lstat(dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    if (st === null) {
      try {
        await fs.promises.mkdir(dir)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
        st = await fs.promises.lstat(dir)
      }
    }
    if (st !== null && !st.isDirectory()) {
      throw ZIP_REFUSED(name, `cannot extract ${JSON.stringify(entry)}: ${dir} exists and is not a folder${st.isSymbolicLink() ? ' (a symbolic link)' : ''}`)
    }
  }
  return dir
}

// Extracts every file of the archive under outDir (created if needed) and returns the written paths. The whole
// archive is read and checked first, so a refused archive writes nothing. Existing files are replaced (atomically,
// through a temporary file and a rename); an existing symlink or folder in the way is refused.
export async function extractZip (bytes: Uint8Array, name: string, outDir: string, limits: FileLimits = DEFAULT_LIMITS): Promise<string[]> {
  const { entries } = await readZip(bytes, name, limits)
  const root = path.resolve(outDir)
  await fs.promises.mkdir(root, { recursive: true })
  const realRoot = await fs.promises.realpath(root)
  const written: string[] = []
  if (process.platform === 'win32') {
    for (const e of entries) {
      const seg = e.path.split('/').find(x => WINDOWS_DEVICE.test(x.split('.')[0].trimEnd()))
      if (seg !== undefined) throw UNSAFE_PATH(name, e.path, `uses ${JSON.stringify(seg)}, a reserved device name on Windows`)
    }
  }
  for (const e of entries) {
    const segs = e.path.split('/')
    const target = path.resolve(root, ...segs)
    const realTarget = path.resolve(realRoot, ...segs)
    if (!target.startsWith(root + path.sep) || !realTarget.startsWith(realRoot + path.sep)) throw UNSAFE_PATH(name, e.path)
    const dir = await ensureDir(realRoot, segs.slice(0, -1), name, e.path)
    const realDir = await fs.promises.realpath(dir)
    if (realDir !== realRoot && !realDir.startsWith(realRoot + path.sep)) throw UNSAFE_PATH(name, e.path)
    const file = path.join(realDir, segs[segs.length - 1])
    try {
      const st = await fs.promises.lstat(file)
      if (!st.isFile()) throw ZIP_REFUSED(name, `cannot extract ${JSON.stringify(e.path)}: ${file} exists and is not a regular file${st.isSymbolicLink() ? ' (a symbolic link)' : ''}`)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    const tmp = path.join(realDir, `.${segs[segs.length - 1]}.${randomBytes(6).toString('hex')}.p2print-tmp`)
    try {
      await fs.promises.writeFile(tmp, e.bytes, { flag: 'wx' })
      await fs.promises.rename(tmp, file)
    } catch (err) {
      await fs.promises.rm(tmp, { force: true })
      throw err
    }
    written.push(target)
  }
  return written
}
