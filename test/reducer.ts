// Driving the reducer without Autobase (not a test file): each op is encoded, decoded and applied in its own batch,
// as apply does for one node, with each author's log length counted as its log would (job ids derive from it).
import b4a from 'b4a'
import { encodeOp, decodeOp, type OpBody } from '../lib/schema.js'
import { applyOp, jobIdFor } from '../lib/market/apply.js'
import type { View } from '../lib/market/view.js'

export class Reducer {
  clock: number // the time the next op states when none is given (each op one millisecond later)
  private readonly lengths = new Map<string, number>()

  constructor (clock = 1_700_000_000_000) { this.clock = clock }

  // The id the author's next job/create will get.
  nextJobId (author: Uint8Array): Uint8Array {
    return jobIdFor(author, (this.lengths.get(b4a.toString(author, 'hex')) ?? 0) + 1)
  }

  async run (bee: View, body: OpBody, author: Uint8Array, at = ++this.clock): Promise<boolean> {
    const k = b4a.toString(author, 'hex')
    const length = (this.lengths.get(k) ?? 0) + 1
    this.lengths.set(k, length)
    const op = decodeOp(encodeOp(body, at))
    const batch = bee.batch()
    const ok = await applyOp(batch, op, author, length)
    await batch.flush()
    return ok
  }

  async must (bee: View, body: OpBody, author: Uint8Array, at?: number): Promise<void> {
    if (!(await this.run(bee, body, author, at))) throw new Error(`setup op ${body.type} refused`)
  }
}
