// The records of a ZIP archive held in memory: the end-of-central-directory record, each central-directory entry as
// the archive declares it, and where each entry's data is. It judges nothing but the structure (signatures, bounds,
// one disk, no ZIP64): zip.ts checks names, types, sizes, ratios and overlaps, inflates and verifies CRC-32. Plain
// byte reads, so it runs under Node and Bare alike (it replaced yauzl, whose streams need Node's `events` and `util`).

export interface ZipRecord {
  versionMadeBy: number
  generalPurposeBitFlag: number
  compressionMethod: number
  crc32: number
  compressedSize: number
  uncompressedSize: number
  fileNameLength: number
  fileNameRaw: Uint8Array
  extraFields: Array<{ id: number, data: Uint8Array }>
  externalFileAttributes: number
  relativeOffsetOfLocalHeader: number
  isEncrypted: () => boolean
}

export interface ZipDirectory {
  entryCount: number
  entries: ZipRecord[]
  data: (entry: ZipRecord) => Uint8Array // the entry's stored (compressed) bytes, after its local header
}

const EOCD = 0x06054b50
const CENTRAL = 0x02014b50
const LOCAL = 0x04034b50
const ZIP64_LOCATOR = 0x07064b50

// Reads the central directory; throws a plain Error saying what is wrong (zip.ts words it as "not a valid ZIP").
export function readZipDirectory (buf: Uint8Array): ZipDirectory {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const u16 = (at: number): number => v.getUint16(at, true)
  const u32 = (at: number): number => v.getUint32(at, true)
  // the end record: 22 bytes and a comment of at most 65 535 bytes, searched backwards
  let end = -1
  for (let i = buf.byteLength - 22; i >= 0 && i >= buf.byteLength - 22 - 0xffff; i--) {
    if (u32(i) === EOCD && i + 22 + u16(i + 20) === buf.byteLength) { end = i; break }
  }
  if (end === -1) throw new Error('end of central directory record signature not found')
  if (u16(end + 4) !== 0 || u16(end + 6) !== 0 || u16(end + 8) !== u16(end + 10)) throw new Error('multi-disk zip files are not supported')
  const entryCount = u16(end + 10)
  const dirSize = u32(end + 12)
  const dirOffset = u32(end + 16)
  if (entryCount === 0xffff || dirOffset === 0xffffffff || (end >= 20 && u32(end - 20) === ZIP64_LOCATOR)) throw new Error('ZIP64 archives are not supported')
  if (dirOffset + dirSize > end) throw new Error('the central directory lies outside the archive')
  const entries: ZipRecord[] = []
  let at = dirOffset
  for (let n = 0; n < entryCount; n++) {
    if (at + 46 > end || u32(at) !== CENTRAL) throw new Error(`invalid central directory file header signature at ${at}`)
    const nameLength = u16(at + 28)
    const extraLength = u16(at + 30)
    const commentLength = u16(at + 32)
    const next = at + 46 + nameLength + extraLength + commentLength
    if (next > end) throw new Error('a central directory entry runs past the directory')
    const flags = u16(at + 8)
    const extraFields: Array<{ id: number, data: Uint8Array }> = []
    for (let e = at + 46 + nameLength; e < at + 46 + nameLength + extraLength;) {
      if (e + 4 > at + 46 + nameLength + extraLength) throw new Error('extra field length exceeds extra field buffer size')
      const size = u16(e + 2)
      if (e + 4 + size > at + 46 + nameLength + extraLength) throw new Error('extra field length exceeds extra field buffer size')
      extraFields.push({ id: u16(e), data: buf.subarray(e + 4, e + 4 + size) })
      e += 4 + size
    }
    const record: ZipRecord = {
      versionMadeBy: u16(at + 4),
      generalPurposeBitFlag: flags,
      compressionMethod: u16(at + 10),
      crc32: u32(at + 16),
      compressedSize: u32(at + 20),
      uncompressedSize: u32(at + 24),
      fileNameLength: nameLength,
      fileNameRaw: buf.subarray(at + 46, at + 46 + nameLength),
      extraFields,
      externalFileAttributes: u32(at + 38),
      relativeOffsetOfLocalHeader: u32(at + 42),
      isEncrypted: () => (flags & 0x1) !== 0
    }
    if (record.compressedSize === 0xffffffff || record.uncompressedSize === 0xffffffff || record.relativeOffsetOfLocalHeader === 0xffffffff) throw new Error('ZIP64 entries are not supported')
    if ((flags & 0x40) !== 0) throw new Error('strong encryption is not supported')
    entries.push(record)
    at = next
  }
  const data = (entry: ZipRecord): Uint8Array => {
    const h = entry.relativeOffsetOfLocalHeader
    if (h + 30 > dirOffset || u32(h) !== LOCAL) throw new Error(`invalid local file header signature at ${h}`)
    const start = h + 30 + u16(h + 26) + u16(h + 28)
    if (start + entry.compressedSize > dirOffset) throw new Error('file data overflows file bounds')
    return buf.subarray(start, start + entry.compressedSize)
  }
  return { entryCount, entries, data }
}

// IBM code page 437, the characters of bytes 0x80–0xff (names without the UTF-8 flag).
const CP437 = 'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■ '

// The entry's name as the archive means it: the Info-ZIP Unicode Path field (0x7075) when its CRC matches the raw
// name, else UTF-8 when flag bit 11 says so, else CP437. Separators and safety are zip.ts's (checkEntryName).
export function entryName (entry: ZipRecord, crc32: (d: Uint8Array) => number): string {
  const unicode = entry.extraFields.find(f => f.id === 0x7075)
  if (unicode !== undefined && unicode.data.byteLength >= 5 && unicode.data[0] === 1) {
    const crc = new DataView(unicode.data.buffer, unicode.data.byteOffset + 1, 4).getUint32(0, true)
    if (crc === crc32(entry.fileNameRaw)) return new TextDecoder('utf-8').decode(unicode.data.subarray(5))
  }
  if ((entry.generalPurposeBitFlag & 0x800) !== 0) return new TextDecoder('utf-8').decode(entry.fileNameRaw)
  let s = ''
  for (const b of entry.fileNameRaw) s += b < 0x80 ? String.fromCharCode(b) : CP437[b - 0x80]
  return s
}
