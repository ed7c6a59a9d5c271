// Work proportional to what changed: a long-running consumer of the view (the file seeder, the saved-search
// watcher) keeps the view version it last read and reads Hyperbee's diff from there to a snapshot of now, over the
// key ranges it cares about, instead of reading every job on every update. Hyperbee's diff skips the subtrees both
// versions share, so a pass costs about the changed entries times the tree's depth.
// Autobase truncates the view when it reorders optimistic ops: the version then falls back to the truncation point,
// so whatever was rolled back and applied again differently is read again.
import type { View } from './view.js'

export interface ViewChange {
  key: Uint8Array
  value: Uint8Array | null // now (null: deleted)
  old: Uint8Array | null // at the version last read (null: new)
}

export interface KeyRange { gte: Uint8Array, lt: Uint8Array }

export class ViewChanges {
  private seen: number
  private cut = Infinity // the lowest truncation during a pass
  private readonly view: View
  private readonly onTruncate = (length: number): void => {
    this.seen = Math.min(this.seen, Math.max(1, length))
    this.cut = Math.min(this.cut, Math.max(1, length))
  }

  // `from`: the version to read changes from; 1 (the empty tree, the default) makes the first read yield every entry.
  constructor (view: View, from = 1) {
    this.view = view
    this.seen = from
    view.core.on('truncate', this.onTruncate)
  }

  get version (): number { return this.seen }

  // Starts from `version`, a snapshot whose entries the caller read itself (construct with `from` = Infinity first,
  // so that a truncation while it read still moves the start back).
  startAt (version: number): void {
    this.seen = Math.min(this.seen, Math.max(1, version))
  }

  // Moves on to now without reading what changed (a consumer with nothing to look for).
  skip (): void {
    this.seen = this.view.version
  }

  close (): void {
    this.view.core.off('truncate', this.onTruncate)
  }

  // Calls `each` for every entry of `ranges` that differs between the version last read and now, in key order per
  // range. The version moves on only once all were handled: a pass that throws, or that `stop` cuts short, is read
  // again next time. Returns how many changes were handled.
  async read (ranges: KeyRange[], each: (c: ViewChange) => Promise<void> | void, stop: () => boolean = () => false): Promise<number> {
    const snap = this.view.snapshot()
    this.cut = Infinity
    try {
      await snap.ready()
      const to = snap.version
      const from = Math.min(this.seen, to)
      if (to === from && to === this.seen) return 0
      let n = 0
      for (const range of ranges) {
        for await (const d of snap.createDiffStream(from, range)) {
          if (stop()) return n
          const key = (d.left ?? d.right)?.key
          if (key === undefined) continue
          await each({ key, value: d.left?.value ?? null, old: d.right?.value ?? null })
          n++
        }
      }
      // the part of the view past a truncation during the pass is read again next time
      this.seen = Math.min(to, this.cut)
      return n
    } finally {
      await snap.close()
    }
  }
}
