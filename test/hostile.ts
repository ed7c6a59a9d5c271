// The hostile-peer harness (not a test file): a peer running a modified client. It appends raw ops to its own log,
// skipping every local check the real commands make, and proves that what it wrote reached an honest peer and was
// applied there (so no test passes because an attack never arrived):
//   const h = new Hostile(market)
//   const at = await h.raw({ type: OP.JOB_COMPLETE, jobId, payoutTxid })   // its block index
//   const op = await h.reached(honest, at)                                // the op as the honest peer stores it
//   await h.applied(honest)                                               // every op before this point was applied there
import b4a from 'b4a'
import c from 'compact-encoding'
import { encodeOp, decodeOp, OP, type OpBody, type Op } from '../lib/schema.js'
import { getProfile } from '../lib/reputation/records.js'
import { applyFaults } from '../lib/market/apply.js'
import type { Market } from '../lib/market/market.js'
import { eventually } from './helpers.js'
import messages from 'autobase/lib/messages.js'

const { OplogMessage } = messages // Autobase's own block encoding (an ES import: Bare has no createRequire in 'module')

let markers = 0

export class Hostile {
  readonly market: Market
  constructor (market: Market) { this.market = market }

  get key (): Uint8Array { return this.market.writerKey }

  // Appends an op as a modified client would: encoded by the schema (so it is well-formed), checked by nothing.
  // Returns the op's index in this writer's log.
  async raw (op: OpBody, at = Date.now()): Promise<number> {
    return await this.rawBytes(encodeOp(op, at))
  }

  // Appends an op whose stated time is any 64-bit number, even one the schema's encoder would refuse to write.
  async rawAt (op: OpBody, at: bigint): Promise<number> {
    return await this.rawBytes(withTime(encodeOp(op, 0), at))
  }

  // Appends any bytes at all.
  async rawBytes (bytes: Uint8Array): Promise<number> {
    const base = this.market.base
    if (!base.writable) await this.market.admit() // a modified client still needs the market's work to be admitted
    const optimistic = !base.writable
    const length = await base.append(bytes, optimistic ? { optimistic: true } : undefined)
    if (optimistic) await this.market.waitLocal(length)
    return length - 1
  }

  // The op at `index` of this writer's log, read from the honest peer's copy of that log and decoded there. Throws
  // if it did not arrive in time, or does not decode (use reachedBytes for ops meant not to decode).
  async reached (honest: Market, index: number, timeoutMs = 30_000): Promise<Op> {
    return decodeOp(await this.reachedBytes(honest, index, timeoutMs))
  }

  async reachedBytes (honest: Market, index: number, timeoutMs = 30_000): Promise<Uint8Array> {
    const core = honest.store.get({ key: this.key, valueEncoding: OplogMessage })
    try {
      await core.ready()
      const msg = await core.get(index, { timeout: timeoutMs }) as { node: { value: Uint8Array | null } } | null
      if (msg === null || msg.node.value === null) throw new Error(`block ${index} of the attacker's log is empty at the honest peer`)
      return msg.node.value
    } finally {
      await core.close()
    }
  }

  // Writes a marker (a printer profile with a fresh note) and waits until the honest peer's view has applied it:
  // a writer's log is applied in order, so every op this peer wrote before the marker has been applied there too.
  // A writer that is not yet admitted appends optimistically, and the indexer does not always pick such a first
  // block up at once (an Autobase wakeup that does not come; seen under load, as stack-facts.md notes): a fresh
  // marker is appended every 8 s until one is applied, as a client retrying would.
  async applied (honest: Market, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    const notes: string[] = []
    while (Date.now() < deadline) {
      const note = `marker ${++markers} ${b4a.toString(this.key, 'hex').slice(0, 8)}`
      notes.push(note)
      await this.raw({ type: OP.PRINTER_PROFILE, profile: { materials: ['PLA'], bedMm: [200, 200, 200], country: 'DE', note } })
      const ok = await eventually(async () => {
        await honest.update()
        const seen = (await getProfile(honest.view, this.key))?.note
        return seen !== undefined && notes.includes(seen)
      }, Math.min(8_000, deadline - Date.now()), 50)
      if (ok) return
    }
    throw new Error(`the honest peer did not apply the attacker's ops within ${timeoutMs} ms`)
  }
}

// Every peer but the first writes a marker and waits until the first has applied it: from then on they are
// admitted writers, whose ops carry their heads and arrive in order.
export async function admitted (markets: Market[]): Promise<void> {
  for (const m of markets.slice(1)) await new Hostile(m).applied(markets[0])
}

// An encoded op (written with time 0) with its time field replaced by `at` as a compact-encoding varint (0xff and
// 8 bytes little-endian above 2^32): the bytes a modified encoder could write.
export function withTime (encoded: Uint8Array, at: bigint): Uint8Array {
  if (encoded[0] >= 0xfd || encoded[1] >= 0xfd || encoded[2] !== 0) throw new Error('withTime needs a one-byte version, type and time')
  const v = new Uint8Array(9)
  v[0] = 0xff
  new DataView(v.buffer).setBigUint64(1, at, true)
  return b4a.concat([encoded.subarray(0, 2), v, encoded.subarray(3)])
}

// Whether a market's base is still open and applying (an op that threw in apply would have closed it).
export function baseOpen (m: Market): boolean {
  return !(m.base as unknown as { closing: boolean }).closing && !m.base.closed
}

// Ops whose handler threw inside apply (caught there; every refusal is meant to be a check that returns).
export function faults (): number {
  return applyFaults.count
}
