import { CHAT_LIMITS } from './chat/limits.js'

// Every code a P2PrintError can carry. They are stable: tests, the app and --json output compare them, so a code is
// only ever added here, never renamed.
export type ErrorCode =
  // command line, storage and market
  | 'USAGE' | 'BAD_ARGUMENT' | 'INTERNAL' | 'STORAGE_LOCKED' | 'BAD_STORAGE' | 'NOT_OPEN' | 'CLOSED' | 'PORT_IN_USE'
  | 'NO_MARKET' | 'UNKNOWN_MARKET' | 'MARKET_STOPPED'
  // jobs and the ops that change them
  | 'JOB_NOT_FOUND' | 'AMBIGUOUS_JOB' | 'NOT_ALLOWED' | 'BAD_TRANSITION' | 'OP_REJECTED' | 'LIMIT_REACHED'
  // model files and their transfer
  | 'BAD_MODEL' | 'NOT_A_MODEL' | 'FILE_TOO_LARGE' | 'TOO_MANY_FACETS' | 'ZIP_REFUSED' | 'UNSAFE_PATH'
  | 'FILE_NOT_FOUND' | 'NO_FILE' | 'FILE_UNAVAILABLE' | 'FILE_MISMATCH'
  // the job chat
  | 'NO_WRITER_KEY' | 'MESSAGE_TOO_LONG' | 'NOT_AN_IMAGE' | 'PHOTO_TOO_LARGE' | 'TOO_MANY_PHOTOS'
  // Bitcoin chain backends
  | 'BROADCAST_REJECTED' | 'CHAIN_UNREACHABLE' | 'CHAIN_AUTH_FAILED' | 'CHAIN_ERROR' | 'CHAIN_MISMATCH' | 'BCOIN_MISSING'
  // escrow and wallet
  | 'ESCROW_NEEDS_BACKEND' | 'NO_ESCROW' | 'PSBT_REFUSED' | 'BAD_MNEMONIC' | 'INSUFFICIENT_FUNDS' | 'ESCROW_AMOUNTS'
  | 'BAD_ESCROW' | 'WALLET_NOT_FOUND' | 'WALLET_EXISTS' | 'BAD_WALLET_FILE' | 'FEE_CHANGED' | 'SIGNING_FAILED'
  | 'OUTSIDE_LIMITS'

// One error class for everything a user can cause. `code` is stable (tests and --json output use it);
// `usage` marks command-line mistakes, which exit with 2 instead of 1. Errors are made by the factories below, never
// with `new` elsewhere.
export class P2PrintError extends Error {
  readonly code: ErrorCode
  readonly usage: boolean

  constructor (code: ErrorCode, message: string, opts: { usage?: boolean, cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'P2PrintError'
    this.code = code
    this.usage = opts.usage === true
  }
}

export const USAGE = (msg: string) => new P2PrintError('USAGE', msg, { usage: true })
export const BAD_ARGUMENT = (msg: string) => new P2PrintError('BAD_ARGUMENT', msg, { usage: true })
export const INTERNAL = (msg: string) => new P2PrintError('INTERNAL', msg)
export const PORT_IN_USE = (port: number, what: string) => new P2PrintError('PORT_IN_USE', `port ${port} is taken (${what} already running?): stop that, or pick another port with --port N and pass --bootstrap 127.0.0.1:N to every peer`)
// The same code with another message (the app's wording of a CLI error); `usage` is not carried over.
export const restate = (err: P2PrintError, msg: string) => new P2PrintError(err.code, msg)
export const STORAGE_LOCKED = (dir: string, pid: number) =>
  new P2PrintError('STORAGE_LOCKED', `storage ${dir} is in use by another p2print process (pid ${pid}); stop it or use another --storage`)
// A command sent to the p2print process running on its storage (lib/sidecar) that that process cannot run for it.
export const HOSTED_REFUSED = (dir: string, why: string) =>
  new P2PrintError('STORAGE_LOCKED', `p2print is running on storage ${dir} (seed or the app, pid ${process.pid}) and this command goes through it, but ${why}`)
export const BAD_STORAGE = (file: string, why: string) =>
  new P2PrintError('BAD_STORAGE', `${file} is not a p2print config (${why}); move it away to start over`)
export const NOT_OPEN = () => new P2PrintError('NOT_OPEN', 'storage is not open')
export const CLOSED = () => new P2PrintError('CLOSED', 'closing')
export const NO_MARKET = (dir?: string) =>
  new P2PrintError('NO_MARKET', dir === undefined
    ? 'this storage has no market yet: run `p2print market create` or `p2print market join KEY`'
    : `the storage ${dir} has no market yet: run \`p2print market create\` or \`p2print market join KEY\`, or give the storage of a peer that joined one (--storage DIR, or P2PRINT_STORAGE)`)
// NO_MARKET in the app's words (no command to name)
export const MARKET_STOPPED = (why: string) =>
  new P2PrintError('MARKET_STOPPED', `the market stopped in this process (${why}): nothing is applied or confirmed here any more; start the command again (its storage is kept)`)
export const NO_MARKET_YET = (msg: string) => new P2PrintError('NO_MARKET', msg)
export const UNKNOWN_MARKET = (key: string) =>
  new P2PrintError('UNKNOWN_MARKET', `invalid market key ${JSON.stringify(key)}: expected the 52-character id that \`market create\` printed`, { usage: true })
// UNKNOWN_MARKET in the app's words (text that does not parse as a key)
export const NOT_A_MARKET_KEY = (msg: string) => new P2PrintError('UNKNOWN_MARKET', msg)
export const JOB_NOT_FOUND = (id: string) =>
  new P2PrintError('JOB_NOT_FOUND', `no job ${JSON.stringify(id)} in this market (run \`p2print jobs\` to list them; if it was just posted, wait for peers to sync)`)
export const AMBIGUOUS_JOB = (id: string, n: number) =>
  new P2PrintError('AMBIGUOUS_JOB', `job id prefix ${JSON.stringify(id)} matches ${n} jobs: give more characters`)
export const NOT_ALLOWED = (msg: string) => new P2PrintError('NOT_ALLOWED', msg)
export const BAD_TRANSITION = (msg: string) => new P2PrintError('BAD_TRANSITION', msg)
export const OP_REJECTED = (msg: string) => new P2PrintError('OP_REJECTED', msg)
export const LIMIT_REACHED = (msg: string) => new P2PrintError('LIMIT_REACHED', msg)

// Model files: every refusal says what is wrong with the file.
export const BAD_MODEL = (name: string, why: string) => new P2PrintError('BAD_MODEL', `${name}: ${why}`)
export const NOT_A_MODEL = (name: string, why: string) => new P2PrintError('NOT_A_MODEL', `${name} is not a 3D model (${why}); attach a .stl, .obj, .3mf or a .zip of them`)
export const FILE_TOO_LARGE = (name: string, bytes: number, max: number) =>
  new P2PrintError('FILE_TOO_LARGE', `${name} is ${bytes} bytes, more than the limit of ${max} bytes`)
export const TOO_MANY_FACETS = (name: string, facets: number, max: number) =>
  new P2PrintError('TOO_MANY_FACETS', `${name} has ${facets} facets, more than the limit of ${max}`)
export const ZIP_REFUSED = (name: string, why: string) => new P2PrintError('ZIP_REFUSED', `${name}: ${why}`)
// `why` for names that are not about leaving the folder (NUL bytes, device names, …)
export const UNSAFE_PATH = (name: string, entry: string, why = 'would be written outside the target folder (absolute path or ..)') =>
  new P2PrintError('UNSAFE_PATH', `${name}: entry ${JSON.stringify(entry)} ${why}; refusing the archive`)
export const FILE_NOT_FOUND = (file: string, err: unknown) =>
  new P2PrintError('FILE_NOT_FOUND', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
export const NOT_A_FILE = (file: string) => new P2PrintError('FILE_NOT_FOUND', `${file} is not a file`)
export const NO_FILE = (jobId: string) => new P2PrintError('NO_FILE', `job ${jobId} has no model file attached`)

// Model files and chat photos in Hyperdrives (lib/files/drive.ts, lib/chat).
export const FILE_UNAVAILABLE = (name: string, have: number, total: number) =>
  new P2PrintError('FILE_UNAVAILABLE', `${name}: no peer that has this file is reachable right now (${have} of ${total} bytes are stored here); run the command again later to resume`)
export const FILE_MISMATCH = (name: string, why: string) =>
  new P2PrintError('FILE_MISMATCH', `${name}: ${why}; the file was not written`)

// The job chat (lib/chat).
export const NO_WRITER_KEY = () => new P2PrintError('NO_WRITER_KEY', 'this storage holds no secret key for its writer in this market')
export const MESSAGE_TOO_LONG = (bytes: number) =>
  new P2PrintError('MESSAGE_TOO_LONG', `the message is ${bytes} bytes with its photo names, more than the limit of ${CHAT_LIMITS.plaintextBytes}`)
export const NOT_AN_IMAGE = (name: string, why: string) =>
  new P2PrintError('NOT_AN_IMAGE', `${name} is not a JPEG or PNG image (${why}); attach photos as .jpg or .png files`)
export const PHOTO_TOO_LARGE = (name: string, bytes: number) =>
  new P2PrintError('PHOTO_TOO_LARGE', `${name} is ${bytes} bytes, more than the limit of ${CHAT_LIMITS.photoBytes} bytes (5 MB) for a photo`)
export const TOO_MANY_PHOTOS = (have: number, adding: number) =>
  new P2PrintError('TOO_MANY_PHOTOS', `each side of a job's chat sends at most ${CHAT_LIMITS.photosPerJob} photos; you sent ${have} and this message would add ${adding}`)

export function isP2PrintError (err: unknown): err is P2PrintError {
  return err instanceof P2PrintError
}

// Bitcoin chain backends (lib/escrow/rpc.ts, esplora.ts). URLs in messages never carry credentials.
export const BROADCAST_REJECTED = (reason: string) =>
  new P2PrintError('BROADCAST_REJECTED', `the Bitcoin node did not accept the transaction: ${reason}`)
export const CHAIN_UNREACHABLE = (url: string, why: string) =>
  new P2PrintError('CHAIN_UNREACHABLE', `cannot reach the Bitcoin backend at ${url}: ${why}`)
export const CHAIN_AUTH_FAILED = (url: string) =>
  new P2PrintError('CHAIN_AUTH_FAILED', `the Bitcoin backend at ${url} refused our credentials (check user:password in the URL, the cookie file or the API key)`)
export const CHAIN_ERROR = (msg: string) => new P2PrintError('CHAIN_ERROR', msg)
export const CHAIN_MISMATCH = (url: string, expected: string, actual: string) =>
  new P2PrintError('CHAIN_MISMATCH', `the Bitcoin backend at ${url} is on ${actual}, not ${expected}`)
// CHAIN_MISMATCH between a market's chain and the backend given for it (lib/service/chain.ts)
export const MARKET_CHAIN_MISMATCH = (marketChain: string, backendChain: string) =>
  new P2PrintError('CHAIN_MISMATCH', `this market uses ${marketChain}, but the backend is on ${backendChain}`)
export const BCOIN_MISSING = () =>
  new P2PrintError('BCOIN_MISSING', 'the regtest node needs bcoin, a development dependency: run `npm install` in a clone of p2print and start it from there')

// Escrow (lib/escrow/amounts.ts, wallet.ts, script.ts, psbt.ts): every refusal says what differs or what is missing.
export const PSBT_REFUSED = (why: string) => new P2PrintError('PSBT_REFUSED', `refusing the transaction: ${why}`)
export const BAD_MNEMONIC = (why: string) => new P2PrintError('BAD_MNEMONIC', `invalid recovery phrase: ${why}`)
export const INSUFFICIENT_FUNDS = (needSats: bigint, haveSats: bigint) =>
  new P2PrintError('INSUFFICIENT_FUNDS', `not enough funds: need ${needSats} sats (amount + miner fee), the wallet can spend ${haveSats} sats`)
// INSUFFICIENT_FUNDS (`why`, its message) while some coins are held for escrows (lib/escrow/send.ts)
export const INSUFFICIENT_FUNDS_RESERVED = (why: string, reservedCoins: number, jobs: string[] = []) =>
  new P2PrintError('INSUFFICIENT_FUNDS', jobs.length === 0
    ? `${why}; ${reservedCoins} coin(s) are held for escrows you accepted or proposed until they are funded or time out`
    : `${why}; ${reservedCoins} coin(s) are held for escrows you accepted or proposed (job ${jobs.map(j => j.slice(0, 8)).join(', job ')}) until they are funded or time out`)
export const FEE_CHANGED = (feeSats: bigint, maxFeeSats: bigint) =>
  new P2PrintError('FEE_CHANGED', `this payment would now pay ${feeSats} sats in fees, more than the ${maxFeeSats} sats agreed: nothing was sent; look at it again (--dry-run) and send again`)
export const SIGNING_FAILED = (problems: string[]) =>
  new P2PrintError('SIGNING_FAILED', `the payment did not verify: ${problems.join('; ')}`)
export const ESCROW_NEEDS_BACKEND = (chain: string) =>
  new P2PrintError('ESCROW_NEEDS_BACKEND', `this market holds its escrows on ${chain}: give a Bitcoin backend with --bitcoin-rpc URL or --esplora URL (or set P2PRINT_BITCOIN_RPC)`)
export const NO_ESCROW = (msg: string) => new P2PrintError('NO_ESCROW', msg)
export const ESCROW_AMOUNTS = (why: string) => new P2PrintError('ESCROW_AMOUNTS', why)
export const OUTSIDE_LIMITS = (why: string) => new P2PrintError('OUTSIDE_LIMITS', why)
export const BAD_ESCROW = (why: string) => new P2PrintError('BAD_ESCROW', why)
export const WALLET_NOT_FOUND = (file: string) =>
  new P2PrintError('WALLET_NOT_FOUND', `no wallet at ${file}: create one or restore it from its recovery phrase`)
export const WALLET_EXISTS = (file: string) =>
  new P2PrintError('WALLET_EXISTS', `${file} already holds a different wallet; refusing to overwrite it (move it away first if you really mean to)`)
// a file beside wallet.json (lib/escrow/reservations.ts) that cannot be read; `why` follows the file name
export const BAD_WALLET_FILE = (file: string, why: string) =>
  new P2PrintError('BAD_WALLET_FILE', `${file} ${why}; move it aside to start it afresh`)
