// The app's keyboard: like Ink's useInput, but
// - the handler that runs is always the one from the latest render (a key typed right after a frame appears — a fast
//   typist, a paste, tmux send-keys — would otherwise reach the previous render's handler, with its stale data);
// - a burst is handled key by key: keys that arrive in one read (a paste, key repeat over SSH, fast typing) reach
//   useInput as one string, "\x7f\x7f\x7f" or "ab\t\r", which Ink reads as no key (the backspaces were dropped, Tab
//   and Enter typed as text). Here each read is split into keys (keys.ts) and handed out one at a time;
// - a screen listens from the moment it is drawn: useInput subscribes in an effect, which React runs a while after the
//   frame (seen: the Tab typed as the post form appeared went to the market screen that had just closed). Here a
//   handler is registered when its frame is committed, and each key waits for a timer and then for React's pending
//   tasks, so what the previous key asked for (a screen it opened) is committed before the next key is handed out.
//   (The screens set their "a text field has the keys" flag in layout effects, on that same commit, for this reason.)
import { useLayoutEffect, useRef } from 'react'
import { useStdin, type Key } from 'ink'
import type { EventEmitter } from 'events'
import { splitKeys, parseKey } from './keys.js'

export { splitKeys, parseKey } from './keys.js'

interface Listener { current: { handler: (input: string, key: Key) => void, active: boolean } }

// One per Ink app (its input emitter): the registered handlers, in the order their components were mounted, and the
// keys read but not yet handed out.
class KeyBus {
  readonly listeners: Listener[] = []
  private readonly queue: string[] = []
  private timer: NodeJS.Timeout | null = null

  constructor (events: EventEmitter) {
    events.on('input', (chunk: unknown) => {
      if (typeof chunk !== 'string') return
      this.queue.push(...splitKeys(chunk))
      if (this.timer === null && this.queue.length > 0) this.later()
    })
  }

  private readonly next = (): void => {
    this.timer = null
    const k = this.queue.shift()
    try {
      if (k !== undefined) {
        const { input, key } = parseKey(k)
        for (const l of [...this.listeners]) if (l.current.active) l.current.handler(input, key)
      }
    } finally {
      if (this.queue.length > 0) this.later()
    }
  }

  // React renders an update in a task of its own (setImmediate), and runs the effects in the next: a timer, then an
  // immediate queued behind React's, hands out the next key after both
  private later (): void {
    this.timer = setTimeout(() => setImmediate(this.next), 0)
  }
}

const buses = new WeakMap<EventEmitter, KeyBus>()

function busOf (events: EventEmitter): KeyBus {
  let bus = buses.get(events)
  if (bus === undefined) {
    bus = new KeyBus(events)
    buses.set(events, bus)
  }
  return bus
}

export function useKeys (handler: (input: string, key: Key) => void, opts: { isActive?: boolean } = {}): void {
  const { internal_eventEmitter: events, setRawMode } = useStdin()
  const latest = useRef({ handler, active: opts.isActive ?? true })
  latest.current = { handler, active: opts.isActive ?? true }
  useLayoutEffect(() => {
    setRawMode(true)
    const bus = busOf(events)
    bus.listeners.push(latest)
    return () => {
      bus.listeners.splice(bus.listeners.indexOf(latest), 1)
      setRawMode(false)
    }
  }, [events, setRawMode])
}

// The text forms' useKeys (each key of a burst arrives on its own now: kept for the screens that import it).
export const useFieldKeys = useKeys
