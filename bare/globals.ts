// What Bare lacks of the globals p2print's core and its dependencies use: Node's `process` (bare-process), the
// WHATWG text codecs (bare-encoding) and Web Crypto's getRandomValues (bare-crypto; @scure/bip39 draws a new wallet's
// entropy from it). Imported first by the Bare entries, before any module of lib/ is evaluated.
import process from 'bare-process'
import { TextEncoder, TextDecoder } from 'bare-encoding'
import { webcrypto } from 'bare-crypto'

const g = globalThis as Record<string, unknown>
if (g.process === undefined) g.process = process
if (g.TextEncoder === undefined) g.TextEncoder = TextEncoder
if (g.TextDecoder === undefined) g.TextDecoder = TextDecoder
if (g.crypto === undefined) g.crypto = webcrypto
