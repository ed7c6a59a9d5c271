// Writer admission. In an open market any key may append, and each key that becomes a writer stays in Autobase's
// system for good: without a cost, one peer could mint writers by the thousand. So a non-writer's first op is a
// writer/admit whose nonce is a proof of work bound to this market and to the writer's own key (it cannot be reused
// for another key or another market, and nobody but the key's owner can append it to that key's log). apply checks
// it with one hash; finding it takes about 2^bits hashes. The market's creator sets `bits` (market/init, then
// market/settings); 0 asks no work (markets made before schema v7 admit on any well-formed op, as they always did).
import b4a from 'b4a'
import sodium from 'sodium-native'
import type { Hypercore } from 'hypercore'
import { decodeOp, type Op } from '../schema.js'

// One op of a peer's own log (Autobase stores each as an oplog message whose node holds the value); null if absent
// or not an op.
export async function readOwnOp (core: Hypercore, i: number): Promise<Op | null> {
  try {
    const block = await core.get(i, { wait: false }) as { node?: { value?: Uint8Array | null } } | null
    const value = block?.node?.value ?? null
    return value === null ? null : decodeOp(value)
  } catch {
    return null
  }
}

// ~2^22 hashes: 2–3 s on this project's CI machine (2 slow cores), about a second on a laptop (bench/scale.ts).
export const DEFAULT_ADMISSION_BITS = 22

const DOMAIN = b4a.from('p2print/writer-admit')
const NONCE_AT = DOMAIN.byteLength + 64

function input (marketKey: Uint8Array, writerKey: Uint8Array): Buffer {
  const buf = Buffer.alloc(NONCE_AT + 8)
  buf.set(DOMAIN, 0)
  buf.set(marketKey.subarray(0, 32), DOMAIN.byteLength)
  buf.set(writerKey.subarray(0, 32), DOMAIN.byteLength + 32)
  return buf
}

function setNonce (buf: Buffer, nonce: number): void {
  buf.writeUInt32LE(nonce % 0x100000000, NONCE_AT)
  buf.writeUInt32LE(Math.floor(nonce / 0x100000000), NONCE_AT + 4)
}

function leadingZeroBits (hash: Uint8Array): number {
  let bits = 0
  for (const byte of hash) {
    if (byte === 0) { bits += 8; continue }
    return bits + Math.clz32(byte) - 24
  }
  return bits
}

// The work a nonce proves for this writer in this market, in leading zero bits of its hash. Never throws.
export function admissionWork (marketKey: Uint8Array, writerKey: Uint8Array, nonce: number): number {
  if (marketKey.byteLength !== 32 || writerKey.byteLength !== 32 || !Number.isSafeInteger(nonce) || nonce < 0) return 0
  const buf = input(marketKey, writerKey)
  setNonce(buf, nonce)
  const out = Buffer.alloc(32)
  sodium.crypto_generichash(out, buf)
  return leadingZeroBits(out)
}

export interface AdmissionProgress { bits: number, tried: number, ms: number }

// Finds a nonce with at least `bits` of work. Hashes in slices of ~20 ms and yields between them, so a process that
// also serves peers or draws a screen keeps doing so.
export async function findAdmission (marketKey: Uint8Array, writerKey: Uint8Array, bits: number, onProgress?: (p: AdmissionProgress) => void): Promise<{ nonce: number, tried: number, ms: number }> {
  const started = Date.now()
  const buf = input(marketKey, writerKey)
  const out = Buffer.alloc(32)
  const start = Math.floor(Math.random() * 0x100000000) // two runs for one key do not retrace each other
  let slice = 4096
  for (let tried = 0; ; ) {
    const sliceStart = Date.now()
    for (let i = 0; i < slice; i++, tried++) {
      const nonce = start + tried
      setNonce(buf, nonce)
      sodium.crypto_generichash(out, buf)
      if (leadingZeroBits(out) >= bits) return { nonce, tried: tried + 1, ms: Date.now() - started }
    }
    const took = Date.now() - sliceStart
    if (took < 10) slice *= 2
    else if (took > 40 && slice > 1024) slice = Math.floor(slice / 2)
    onProgress?.({ bits, tried, ms: Date.now() - started })
    await new Promise<void>(resolve => setImmediate(resolve))
  }
}
