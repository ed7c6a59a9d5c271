// What every screen gets from the app shell.
import type { AppCore } from '../../lib/app.js'
import type { Msg } from '../components/Message.js'

export type Route =
  | { name: 'first-run' }
  | { name: 'market' }
  | { name: 'job', id: string }
  | { name: 'active', id: string }
  | { name: 'edit', id: string }
  | { name: 'escrow', id: string }
  | { name: 'quotes', id: string }
  | { name: 'notices' }
  | { name: 'searches' }
  | { name: 'post' }
  | { name: 'mine' }
  | { name: 'wallet' }
  | { name: 'disputes' }
  | { name: 'seeder' }
  | { name: 'market-info' }
  | { name: 'market-settings' }
  | { name: 'market-indexers' }
  | { name: 'markets' }
  | { name: 'people' }
  | { name: 'recovery' }

export interface ScreenProps {
  core: AppCore
  active: boolean // false while the help overlay is open
  setTyping: (typing: boolean) => void // a text field has the keyboard: q and the global letters are text
  say: (msg: Msg | null) => void
  go: (route: Route) => void
  back: () => void
  version: number // bumps on every market update (live data)
}

// Runs an action, showing it as busy, then its result or its error (the error's message, never a stack).
export async function run<T> (say: ScreenProps['say'], busy: string, fn: () => Promise<T>, done?: (v: T) => string | null): Promise<T | null> {
  say({ kind: 'busy', text: busy })
  try {
    const v = await fn()
    const text = done?.(v) ?? null
    say(text === null ? null : { kind: 'info', text })
    return v
  } catch (err) {
    say({ kind: 'error', text: (err as Error).message })
    return null
  }
}
