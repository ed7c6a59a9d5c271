// One error class for everything a user can cause. `code` is stable (tests and --json output use it);
// `usage` marks command-line mistakes, which exit with 2 instead of 1.
export class P2PrintError extends Error {
  readonly code: string
  readonly usage: boolean

  constructor (code: string, message: string, opts: { usage?: boolean, cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'P2PrintError'
    this.code = code
    this.usage = opts.usage === true
  }
}

export const USAGE = (msg: string) => new P2PrintError('USAGE', msg, { usage: true })
export const BAD_ARGUMENT = (msg: string) => new P2PrintError('BAD_ARGUMENT', msg, { usage: true })
export const STORAGE_LOCKED = (dir: string, pid: number) =>
  new P2PrintError('STORAGE_LOCKED', `storage ${dir} is in use by another p2print process (pid ${pid}); stop it or use another --storage`)
export const NO_MARKET = () =>
  new P2PrintError('NO_MARKET', 'this storage has no market yet: run `p2print market create` or `p2print market join KEY`')
export const UNKNOWN_MARKET = (key: string) =>
  new P2PrintError('UNKNOWN_MARKET', `invalid market key ${JSON.stringify(key)}: expected the 52-character id that \`market create\` printed`)
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
export const UNSAFE_PATH = (name: string, entry: string) =>
  new P2PrintError('UNSAFE_PATH', `${name}: entry ${JSON.stringify(entry)} would be written outside the target folder (absolute path or ..); refusing the archive`)

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
export const BCOIN_MISSING = () =>
  new P2PrintError('BCOIN_MISSING', 'the regtest node needs bcoin, a development dependency: run `npm install` in a clone of p2print and start it from there')

// Escrow (lib/escrow/amounts.ts, wallet.ts, script.ts, psbt.ts): every refusal says what differs or what is missing.
export const PSBT_REFUSED = (why: string) => new P2PrintError('PSBT_REFUSED', `refusing the transaction: ${why}`)
export const BAD_MNEMONIC = (why: string) => new P2PrintError('BAD_MNEMONIC', `invalid recovery phrase: ${why}`)
export const INSUFFICIENT_FUNDS = (needSats: bigint, haveSats: bigint) =>
  new P2PrintError('INSUFFICIENT_FUNDS', `not enough funds: need ${needSats} sats (amount + miner fee), the wallet can spend ${haveSats} sats`)
export const ESCROW_AMOUNTS = (why: string) => new P2PrintError('ESCROW_AMOUNTS', why)
export const BAD_ESCROW = (why: string) => new P2PrintError('BAD_ESCROW', why)
export const WALLET_NOT_FOUND = (file: string) =>
  new P2PrintError('WALLET_NOT_FOUND', `no wallet at ${file}: create one or restore it from its recovery phrase`)
export const WALLET_EXISTS = (file: string) =>
  new P2PrintError('WALLET_EXISTS', `${file} already holds a different wallet; refusing to overwrite it (move it away first if you really mean to)`)
