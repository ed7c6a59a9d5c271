// What a wallet keeps beside wallet.json for its escrows.
// Reserved coins: coins this wallet has put into an escrow op (an accept, a proposal) that is not funded yet
// (reserved.json), so a restarted peer, or an ordinary `wallet send`, does not spend them meanwhile. A reservation
// ends when its job's funding timeout (plus an hour) has passed, or earlier when the market's record shows that
// escrow is over (funded, lapsed, withdrawn, cancelled, closed: see liveHolds); ended ones are dropped from the file
// when it is read. The engine also skips every coin an unfunded record in the view names, so an expired reservation
// whose job is still pending stays unspent.
import fs from '#fs'
import path from '#path'
import { writeFileAtomic } from './wallet.js'
import { BAD_WALLET_FILE } from '../errors.js'

export const RESERVED_FILE = 'reserved.json'

// `at`: when it was reserved (added later: entries without it are old)
interface ReservedFile { version: 1, coins: Record<string, { job: string, until: number, at?: number }> }

// One reserved coin: its outpoint ("txid:vout"), the job (id string) it was put into, until when, and since when.
export interface Hold { outpoint: string, job: string, until: number, at: number | null }

// Only a missing file is empty: anything else unreadable is an error, never overwritten with an empty copy.
async function readJson<T> (file: string, empty: T, valid: (data: any) => boolean): Promise<T> {
  let text: string
  try {
    text = await fs.promises.readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return empty
    throw err
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw BAD_WALLET_FILE(file, `is not valid JSON (${(err as Error).message})`)
  }
  if (!valid(data)) throw BAD_WALLET_FILE(file, 'is not a file this version of p2print can read')
  return data as T
}

// Read-modify-write of one file at a time in this process (two engine steps may overlap).
const locks = new Map<string, Promise<unknown>>()
async function locked<T> (file: string, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(file) ?? Promise.resolve()
  const run = prev.then(fn, fn)
  const tail = run.catch(() => {})
  locks.set(file, tail)
  try {
    return await run
  } finally {
    if (locks.get(file) === tail) locks.delete(file)
  }
}

async function read (dir: string): Promise<ReservedFile> {
  return readJson<ReservedFile>(path.join(dir, RESERVED_FILE), { version: 1, coins: {} }, d => d?.version === 1 && d.coins !== null && typeof d.coins === 'object')
}

// The holds in force at `now`. A hold past its time, one the file holds in a shape this version cannot use, and one
// `ended` says is over (its escrow moved on, by the market's record) are dropped, and the file is rewritten
// without them, so nothing names a hold of an escrow that is long closed.
export async function liveHolds (dir: string | null, now: number, ended?: (h: Hold) => boolean | Promise<boolean>): Promise<Hold[]> {
  if (dir === null) return []
  const file = path.join(dir, RESERVED_FILE)
  return await locked(file, async () => {
    const data = await read(dir)
    const live: Hold[] = []
    let dropped = false
    for (const [outpoint, r] of Object.entries(data.coins)) {
      const ok = r !== null && typeof r === 'object' && typeof r.job === 'string' && Number.isFinite(r.until) && r.until > now
      const h: Hold | null = ok ? { outpoint, job: r.job, until: r.until, at: Number.isFinite(r.at) ? r.at as number : null } : null
      if (h === null || (ended !== undefined && await ended(h))) {
        delete data.coins[outpoint]
        dropped = true
      } else live.push(h)
    }
    if (dropped) await writeFileAtomic(file, JSON.stringify(data, null, 2) + '\n', 0o600)
    return live
  })
}

// Outpoints ("txid:vout") reserved and not expired at `now`.
export async function reservedCoins (dir: string | null, now: number): Promise<Set<string>> {
  return new Set((await liveHolds(dir, now)).map(h => h.outpoint))
}

export async function reserveCoins (dir: string | null, outpoints: string[], job: string, until: number, now: number): Promise<void> {
  if (dir === null || outpoints.length === 0) return
  await locked(path.join(dir, RESERVED_FILE), async () => {
    const data = await read(dir)
    for (const [k, r] of Object.entries(data.coins)) if (!(r?.until > now)) delete data.coins[k]
    for (const k of outpoints) data.coins[k] = { job, until, at: now }
    await writeFileAtomic(path.join(dir, RESERVED_FILE), JSON.stringify(data, null, 2) + '\n', 0o600)
  })
}

// Refunds kept by a party when it signs a funding: the complete, time-locked refund transaction (both refund
// signatures are in before anyone signs the funding). The log keeps them too, but a job whose acceptance lapsed no
// longer carries its escrow; if the other side then broadcasts the funding outside the protocol, this copy is how
// the money goes home (EscrowEngine.stepKeptRefunds). Kept in refunds.json beside wallet.json.
export const REFUNDS_FILE = 'refunds.json'

export interface KeptRefund {
  market: string // hex key: one storage holds several markets, each engine handles its own
  network: string // the chain's bech32 prefix: a refund is only ever sent to its own chain
  job: string
  fundingTxid: string
  vout: number
  inputs: string[] // this wallet's inputs to that funding ("txid:vout"): spent elsewhere, the funding can never be
  lockHeight: number
  hex: string
}

interface RefundsFile { version: 1, refunds: KeptRefund[] }

async function readRefunds (dir: string): Promise<RefundsFile> {
  return readJson<RefundsFile>(path.join(dir, REFUNDS_FILE), { version: 1, refunds: [] }, d => d?.version === 1 && Array.isArray(d.refunds))
}

export async function keptRefunds (dir: string | null): Promise<KeptRefund[]> {
  return dir === null ? [] : (await readRefunds(dir)).refunds
}

export async function keepRefund (dir: string | null, r: KeptRefund): Promise<void> {
  if (dir === null) return
  await locked(path.join(dir, REFUNDS_FILE), async () => {
    const data = await readRefunds(dir)
    if (data.refunds.some(x => x.fundingTxid === r.fundingTxid && x.vout === r.vout)) return
    data.refunds.push(r)
    await writeFileAtomic(path.join(dir, REFUNDS_FILE), JSON.stringify(data, null, 2) + '\n', 0o600)
  })
}

export async function dropRefund (dir: string | null, fundingTxid: string): Promise<void> {
  if (dir === null) return
  await locked(path.join(dir, REFUNDS_FILE), async () => {
    const data = await readRefunds(dir)
    const left = data.refunds.filter(x => x.fundingTxid !== fundingTxid)
    if (left.length === data.refunds.length) return
    await writeFileAtomic(path.join(dir, REFUNDS_FILE), JSON.stringify({ version: 1, refunds: left }, null, 2) + '\n', 0o600)
  })
}

// Escrows this wallet's engine saw spent at depth on its own node (settled.json): it stops watching them. Keyed by
// market and funding txid; the value is the spending txid.
export const SETTLED_FILE = 'settled.json'

interface SettledFile { version: 1, escrows: Record<string, string> }

async function readSettled (dir: string): Promise<SettledFile> {
  return readJson<SettledFile>(path.join(dir, SETTLED_FILE), { version: 1, escrows: {} }, d => d?.version === 1 && d.escrows !== null && typeof d.escrows === 'object')
}

export async function settledEscrows (dir: string | null): Promise<Map<string, string>> {
  return dir === null ? new Map() : new Map(Object.entries((await readSettled(dir)).escrows))
}

export async function markSettled (dir: string | null, key: string, spentBy: string): Promise<void> {
  if (dir === null) return
  await locked(path.join(dir, SETTLED_FILE), async () => {
    const data = await readSettled(dir)
    if (data.escrows[key] === spentBy) return
    data.escrows[key] = spentBy
    await writeFileAtomic(path.join(dir, SETTLED_FILE), JSON.stringify(data, null, 2) + '\n', 0o600)
  })
}
