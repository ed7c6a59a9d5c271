// State whose latest value key handlers can read at once: keys typed faster than React renders (a paste, tmux
// send-keys) must each see the previous key's effect.
import { useCallback, useRef, useState } from 'react'

export function useRefState<T> (initial: T | (() => T)): [T, (v: T | ((prev: T) => T)) => void, { readonly current: T }] {
  const [value, setValue] = useState<T>(initial)
  const ref = useRef<T>(value)
  const set = useCallback((v: T | ((prev: T) => T)) => {
    const next = typeof v === 'function' ? (v as (prev: T) => T)(ref.current) : v
    ref.current = next
    setValue(next)
  }, [])
  return [value, set, ref]
}
