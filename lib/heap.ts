// A long-running process (`p2print seed`) keeps its memory near what it holds. By default V8 lets each young-
// generation semi-space grow to 16 MB and collects the old generation only once it has grown well past what is
// live, so a seeder with ~25 MB of live heap sat at 300+ MB RSS (bench/scale.ts, seeder section). `leanHeap` caps
// the semi-spaces at 1 MB (set before the heap grows) and runs a full collection once the process goes quiet after
// work, or every `maxWaitMs` while work goes on: never on a timer while idle, so an idle seeder stays at ~0 % CPU.
import v8 from 'v8'
import vm from 'vm'

export interface LeanHeap {
  touch: () => void // some work happened (a market update): collect once it is quiet again
  stop: () => void
  collections: () => number
}

export function leanHeap (opts: { quietMs?: number, maxWaitMs?: number } = {}): LeanHeap {
  const quietMs = opts.quietMs ?? 2000
  const maxWaitMs = opts.maxWaitMs ?? 10_000
  // read by V8 at every major collection: the old generation may grow to 1.1× what survived the last one (instead
  // of up to 2× and more), so garbage is collected while it is small
  v8.setFlagsFromString('--heap-growing-percent=10')
  v8.setFlagsFromString('--max-semi-space-size=1') // takes effect only where the heap is configured after this
  let gc: (() => void) | null = null
  try {
    v8.setFlagsFromString('--expose-gc')
    gc = vm.runInNewContext('gc') as () => void
  } catch {
    gc = null // without it the semi-space cap still applies
  }
  let timer: NodeJS.Timeout | null = null
  let firstTouch = 0
  let runs = 0
  const collect = (): void => {
    timer = null
    firstTouch = 0
    if (gc === null) return
    gc()
    runs++
  }
  return {
    touch () {
      const now = Date.now()
      if (firstTouch === 0) firstTouch = now
      if (timer !== null) clearTimeout(timer)
      timer = setTimeout(collect, Math.max(0, Math.min(quietMs, firstTouch + maxWaitMs - now)))
      timer.unref()
    },
    stop () {
      if (timer !== null) clearTimeout(timer)
      timer = null
    },
    collections: () => runs
  }
}
