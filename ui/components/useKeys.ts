// Ink's useInput, but the handler that runs is always the one from the latest render. Ink subscribes a handler in an
// effect, which runs after the frame is drawn: a key typed right after a frame appears (a fast typist, a paste,
// tmux send-keys) would otherwise reach the previous render's handler, with its stale data (a job page still
// "loading", an empty action list) and its stale isActive.
import { useRef } from 'react'
import { useInput, type Key } from 'ink'

export function useKeys (handler: (input: string, key: Key) => void, opts: { isActive?: boolean } = {}): void {
  const latest = useRef({ handler, active: opts.isActive ?? true })
  latest.current = { handler, active: opts.isActive ?? true }
  useInput((input, key) => {
    if (latest.current.active) latest.current.handler(input, key)
  })
}

// useKeys for text forms: keys typed faster than they are read (a paste, a script) arrive as one chunk; Tab and
// Enter inside it still move between fields, each in its turn.
export function useFieldKeys (onKey: (input: string, key: Key) => void, opts: { isActive?: boolean } = {}): void {
  useKeys((input, key) => {
    if (input.length > 1 && /[\t\r]/.test(input)) {
      for (const part of input.split(/([\t\r])/)) {
        if (part === '\t') onKey('', { ...key, tab: true })
        else if (part === '\r') onKey('', { ...key, return: true })
        else if (part !== '') onKey(part, key)
      }
      return
    }
    onKey(input, key)
  }, opts)
}
