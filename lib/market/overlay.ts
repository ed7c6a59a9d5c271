// One op's writes, held apart from the view until the op has been applied whole. apply runs every op on an
// OpBatch over the Autobase batch: reads see the op's own writes first, and only when the op's handler returns
// without throwing are its writes passed on (in order). A handler that throws (a bug, or a value no check
// foresaw) leaves the view exactly as if the op had never been in the log.
import b4a from 'b4a'
import type { BeeBatch, BeeEntry } from 'hyperbee'

type Batch = BeeBatch<Uint8Array, Uint8Array>
type Entry = BeeEntry<Uint8Array, Uint8Array>

// Shaped like a Hyperbee batch so the reducers take either; flush and close belong to the batch underneath.
export class OpBatch implements Batch {
  private readonly base: Pick<Batch, 'get' | 'put' | 'del'>
  private readonly writes = new Map<string, { key: Uint8Array, value: Uint8Array | null }>() // hex key → the op's last write (null: a delete)

  constructor (base: Pick<Batch, 'get' | 'put' | 'del'>) {
    this.base = base
  }

  async get (key: Uint8Array): Promise<Entry | null> {
    const k = b4a.toString(key, 'hex')
    const w = this.writes.get(k)
    if (w !== undefined) return w.value === null ? null : { key, value: w.value, seq: -1 }
    return await this.base.get(key)
  }

  async flush (): Promise<void> {}
  async close (): Promise<void> {}

  async put (key: Uint8Array, value: Uint8Array): Promise<void> {
    this.writes.set(b4a.toString(key, 'hex'), { key, value })
  }

  async del (key: Uint8Array): Promise<void> {
    this.writes.set(b4a.toString(key, 'hex'), { key, value: null })
  }

  // Passes the op's last write of each key on to the underlying batch (their order does not change the result).
  async commit (): Promise<void> {
    for (const w of this.writes.values()) {
      if (w.value === null) await this.base.del(w.key)
      else await this.base.put(w.key, w.value)
    }
  }
}
