// How keys and job ids are shown to people: z-base32, plus a short form for lists.
import z32 from 'z32'
import idEncoding from 'hypercore-id-encoding'
import { JOB_ID_BYTES } from './schema/constants.js'
import { BAD_ARGUMENT } from './errors.js'

export const SHORT = 8

export function peerId (key: Uint8Array): string {
  return idEncoding.encode(key)
}

export function shortId (id: string): string {
  return id.slice(0, SHORT)
}

export function jobIdString (id: Uint8Array): string {
  return z32.encode(id)
}

const Z32_ALPHABET = /^[ybndrfg8ejkmcpqxot1uwisza345h769]+$/

// A typed job id or id prefix: returns the whole bytes it fixes (8 characters = 5 bytes) and the text to
// match, or null when it cannot be a job id.
export function parseJobIdPrefix (text: string): { bytes: Uint8Array, text: string } | null {
  const s = text.trim().toLowerCase()
  if (s.length === 0 || s.length > 26 || !Z32_ALPHABET.test(s)) return null
  if (s.length === 26) {
    const full = z32.decode(s)
    return full.byteLength === JOB_ID_BYTES ? { bytes: full, text: s } : null
  }
  const whole = Math.floor(s.length / 8) * 8
  return { bytes: whole === 0 ? new Uint8Array(0) : z32.decode(s.slice(0, whole)), text: s }
}

export function parseKey (text: string): Uint8Array | null {
  try {
    return idEncoding.decode(text.trim())
  } catch {
    return null
  }
}

// Blind peers' keys as `p2print blind-peer` prints them (--blind-peer, P2PRINT_BLIND_PEERS, --blind-peers).
export function parseBlindPeerKeys (texts: string[], flag: string): Uint8Array[] {
  return texts.map(text => {
    const key = parseKey(text.trim())
    if (key === null || key.byteLength !== 32) throw BAD_ARGUMENT(`${flag} ${JSON.stringify(text)} is not a blind peer's key (as \`p2print blind-peer\` prints it)`)
    return key
  })
}
