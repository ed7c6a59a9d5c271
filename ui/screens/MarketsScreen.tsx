// The markets this storage knows: switch to one (it becomes the current one, as `p2print market join KEY` makes
// it), join another by its key, or create a new one (`p2print market create --name NAME`).
import { useEffect, useState } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import type { KnownMarket } from '../../lib/app.js'
import { LineForm } from '../components/LineForm.js'
import { KeyLine } from '../components/useSize.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import { run, type ScreenProps } from './types.js'
import { useRefState } from '../components/useRefState.js'

export const MARKETS_KEYS: KeyHelp[] = [
  { keys: '↑ ↓', what: 'select a market' },
  { keys: 'Enter', what: 'switch to the selected market (commands then act on it too)' },
  { keys: 'j', what: 'join a market: paste the key its creator shared' },
  { keys: 'c', what: 'create a new market (you become its creator and first indexer)' },
  { keys: 'Esc', what: 'close the form, then back' }
]

type Mode = { m: 'view' } | { m: 'join', key: string } | { m: 'create', name: string } | { m: 'busy' }

export function MarketsScreen (p: ScreenProps): React.JSX.Element {
  const [list, setList, listRef] = useRefState<KnownMarket[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [reload, setReload] = useState(0)
  const [sel, setSel, selRef] = useRefState(0)
  const [mode, setModeState, modeRef] = useRefState<Mode>({ m: 'view' })
  const setMode = (m: Mode): void => { setModeState(m); p.setTyping(m.m === 'join' || m.m === 'create') }
  useEffect(() => () => p.setTyping(false), [p.setTyping])

  useEffect(() => {
    let live = true
    p.core.markets.known().then(l => { if (live) { setList(l); setError(null) } }, (err: Error) => { if (live) setError(err.message) })
    return () => { live = false }
  }, [p.core, p.version, reload])

  // the market is open once the call returns; its catch-up runs in the background
  const open = (what: 'join' | 'create' | 'switch', text: string): void => {
    setMode({ m: 'busy' })
    const call = what === 'create' ? () => p.core.createMarket(text) : () => p.core.joinMarket(text)
    const done = what === 'create' ? 'market created: share its key from the market page (i)' : what === 'join' ? 'market joined: catching up with its peers in the background' : 'switched: the app now shows this market'
    void run(p.say, what === 'create' ? 'creating the market…' : 'opening the market…', call, () => done).then(r => {
      if (r === null && what !== 'switch') setMode(what === 'join' ? { m: 'join', key: text } : { m: 'create', name: text })
      else setMode({ m: 'view' })
      setReload(n => n + 1)
    })
  }

  useKeys((input, key) => {
    if (modeRef.current.m !== 'view') return
    const l = listRef.current ?? []
    if (key.downArrow) setSel(s => Math.min(s + 1, l.length - 1))
    else if (key.upArrow) setSel(s => Math.max(s - 1, 0))
    else if (input === 'j') { p.say(null); setMode({ m: 'join', key: '' }) } else if (input === 'c') { p.say(null); setMode({ m: 'create', name: '' }) } else if (key.return) {
      const m = l[selRef.current]
      if (m === undefined) return
      if (m.open) p.say({ kind: 'info', text: 'the app is on this market already' })
      else open('switch', m.key)
    }
  }, { isActive: p.active })

  const cancel = (): void => { setMode({ m: 'view' }); p.say(null) }
  return (
    <Box flexDirection='column'>
      <Text bold wrap='truncate-end'>Markets in this storage</Text>
      {error !== null ? <Text color='red' wrap='truncate-end'>✗ {error}</Text> : null}
      {list === null && error === null ? <Text dimColor>reading…</Text> : null}
      {(list ?? []).map((m, i) => (
        <Text key={m.key} inverse={i === sel && mode.m === 'view'} wrap='truncate-end'>{i === sel ? '› ' : '  '}{m.key}{m.open ? <Text color='green'> open</Text> : ''}{m.created ? ' yours' : ''}{m.name !== null && m.name !== '' ? ` "${m.name}"` : ''}</Text>
      ))}
      {list !== null && list.length > 1 ? <Text dimColor wrap='truncate-end'>Names are read when a market is open; "yours": created here.</Text> : null}
      {mode.m === 'join'
        ? (
          <Box flexDirection='column' marginTop={1}>
            <Text color='yellow' wrap='truncate-end'>Join a market: paste the key its creator shared (its market page shows it)</Text>
            <LineForm fields={[{ name: 'key', label: 'key', hint: '52 characters (or 64 hex)' }]} initial={{ key: mode.key }} width={6} active={p.active} onSubmit={v => open('join', v.key.trim())} onCancel={cancel} onInvalid={() => {}} />
          </Box>
          )
        : null}
      {mode.m === 'create'
        ? (
          <Box flexDirection='column' marginTop={1}>
            <Text color='yellow' wrap='truncate-end'>Create a market: you become its creator and first indexer</Text>
            <LineForm fields={[{ name: 'name', label: 'name', hint: 'optional, up to 80 characters' }]} initial={{ name: mode.name }} width={7} active={p.active} onSubmit={v => open('create', v.name.trim())} onCancel={cancel} onInvalid={() => {}} />
          </Box>
          )
        : null}
      {mode.m === 'view' ? <Box marginTop={1}><KeyLine items={['↑↓ select', 'Enter switch', 'j join by key', 'c create', 'Esc back']} /></Box> : null}
    </Box>
  )
}
