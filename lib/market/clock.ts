// The market's indexers and its clock. The creator is always an indexer and may name up to four more
// (market/indexers); Autobase confirms with a majority of them. Each running indexer appends a market/clock tick
// about once a minute, stating its own time. Market time is the median of the latest ticks of the indexers that
// have ticked (the lower middle one when their number is even), and it never goes back. Every deadline of the
// protocol (funding timeout, the mediator's and the parties' answers) starts and ends on market time, never on the
// time an op's author wrote into it: with three or five indexers no single one of them moves it, and a party to a
// job moves it only if it runs a majority of the market's indexers.
//
// While no indexer runs, market time stands still: no deadline passes, and one that starts meanwhile starts at the
// last tick, so when the indexers come back that much of it has gone (run several: the clock stops only when a
// majority of them is away). The money is not held by it: refunds are locked to Bitcoin block heights
// (lib/escrow/PROTOCOL.md).
import b4a from 'b4a'
import c from 'compact-encoding'
import type { BeeBatch } from 'hyperbee'
import { marketClock, namedIndexers, jobRecord, type MarketClock, type MarketMeta, type JobRecord } from '../schema.js'
import { jobKey, type View } from './view.js'

type Batch = BeeBatch<Uint8Array, Uint8Array>
type Reader = Pick<View, 'get'> | Pick<Batch, 'get'>

const CLOCK_KEY = b4a.from('k')
const INDEXERS_KEY = b4a.from('n')

// How often a running indexer ticks.
export const TICK_MS = 60_000
// A tick that moves its indexer's own time by less than this changes nothing (market time moves in steps of at
// least half a minute per indexer). So a tick written early, only to unstick confirmation (Market.startClock),
// leaves the view as it was and does not itself wait for a confirmation.
export const MIN_TICK_STEP_MS = 30_000
export const MAX_TICK_STEP_MS = 24 * 3600_000

export async function getNamedIndexers (v: Reader): Promise<Uint8Array[]> {
  const e = await v.get(INDEXERS_KEY)
  return e === null ? [] : c.decode(namedIndexers, e.value)
}

export async function putNamedIndexers (b: Batch, keys: Uint8Array[]): Promise<void> {
  await b.put(INDEXERS_KEY, c.encode(namedIndexers, keys))
}

// The creator first, then the named ones.
export async function getIndexers (v: Reader, meta: MarketMeta | null): Promise<Uint8Array[]> {
  if (meta === null) return []
  return [meta.creator, ...await getNamedIndexers(v)]
}

export async function getClock (v: Reader): Promise<MarketClock> {
  const e = await v.get(CLOCK_KEY)
  return e === null ? { now: 0, ticks: [] } : c.decode(marketClock, e.value)
}

export async function hasClock (v: Reader): Promise<boolean> {
  return (await v.get(CLOCK_KEY)) !== null
}

export async function putClock (b: Batch, clock: MarketClock): Promise<void> {
  await b.put(CLOCK_KEY, c.encode(marketClock, clock))
}

// Market time in ms; null in a market created before schema v6 until one of its indexers ticks (apply then keeps
// the old rule, the op's own time; a market created since starts its clock at its market/init).
export async function marketTime (v: Reader): Promise<number | null> {
  const e = await v.get(CLOCK_KEY)
  return e === null ? null : c.decode(marketClock, e.value).now
}

// What deadlines are checked against: market time now, and whether a deadline of `ms` that started at `start` has
// passed (engines and apply use the same rule).
// clocked: false in a market without a clock record (made before schema v6, until an indexer ticks), where `now` is
// an op's own time: the deadlines that let one side act without the other (ship-by, the delivery window) need true.
export interface MarketNow {
  now: number
  passed: (start: number, ms: number) => boolean
  clocked?: boolean
}

export function nowOf (clock: Pick<MarketClock, 'now'>, clocked = true): MarketNow {
  return { now: clock.now, passed: (start, ms) => clock.now >= start + ms, clocked }
}

// The market's MarketNow; in a market made before the clock (no clock record), `fallback` with no gaps.
export async function marketNow (v: Reader, fallback: number): Promise<MarketNow> {
  const e = await v.get(CLOCK_KEY)
  return e === null ? nowOf({ now: fallback }, false) : nowOf(c.decode(marketClock, e.value))
}

// The market's MarketNow as the confirmed part of the view has it (the clock record written below `signedLength`), or
// null while its latest tick is not confirmed, or while the market has no clock at all: what an engine signs money
// on, so that no op it has not seen can be ordered before the tick that made a deadline pass.
export async function confirmedNow (v: Pick<View, 'get'>, signedLength: number): Promise<MarketNow | null> {
  const e = await v.get(CLOCK_KEY)
  return e !== null && e.seq < signedLength ? nowOf(c.decode(marketClock, e.value)) : null
}

// A job and market time as one confirmed prefix of the view has them: one snapshot, both latest entries below its
// signed length; null when either is unconfirmed (or the market has no clock).
export async function confirmedJobState (view: View, id: Uint8Array): Promise<{ job: JobRecord, now: MarketNow } | null> {
  const snap = view.snapshot()
  const signed = view.core.signedLength
  try {
    await snap.ready()
    if (snap.version < signed) return null // the snapshot must hold the whole signed prefix
    const e = await snap.get(jobKey(id))
    const now = await confirmedNow(snap, signed)
    return e === null || e.seq >= signed || now === null ? null : { job: c.decode(jobRecord, e.value), now }
  } finally {
    await snap.close()
  }
}

// The clock after `author`'s tick at `at`, or null if it changes nothing: the author is not an indexer, or the tick
// is not MIN_TICK_STEP_MS past its own last one (an indexer's own ticks never go back). Only the ticks of current
// indexers count. One tick moves its indexer's time at most MAX_TICK_STEP_MS past market time (or its own last
// tick): a clock set decades ahead by mistake cannot end the market's deadlines, or its escrows, in one tick.
export function tick (clock: MarketClock, indexers: Uint8Array[], author: Uint8Array, at: number): MarketClock | null {
  if (!indexers.some(k => b4a.equals(k, author))) return null
  const own = clock.ticks.find(t => b4a.equals(t.key, author))
  const stated = clock.now === 0 ? at : Math.min(at, Math.max(clock.now, own?.at ?? 0) + MAX_TICK_STEP_MS) // 0: an old market's first tick starts its clock
  if (own !== undefined && stated < own.at + MIN_TICK_STEP_MS) return null
  const ticks = clock.ticks.filter(t => indexers.some(k => b4a.equals(k, t.key)) && !b4a.equals(t.key, author))
  ticks.push({ key: author, at: stated })
  return settle({ ...clock, ticks })
}

// Recomputes market time from the ticks of `indexers` (after the creator renames them).
export function retain (clock: MarketClock, indexers: Uint8Array[]): MarketClock {
  return settle({ ...clock, ticks: clock.ticks.filter(t => indexers.some(k => b4a.equals(k, t.key))) })
}

function settle (clock: MarketClock): MarketClock {
  if (clock.ticks.length === 0) return clock
  const sorted = clock.ticks.map(t => t.at).sort((a, b) => a - b)
  return { now: Math.max(clock.now, sorted[Math.floor((sorted.length - 1) / 2)]), ticks: clock.ticks }
}
