// The market's indexers (`p2print market indexers [add ID | remove ID]`): the peers whose majority confirms the
// market and keeps its time. Everyone sees them; the creator names up to four besides itself, or drops one.
import { useEffect, useState } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import { LineForm } from '../components/LineForm.js'
import { KeyLine } from '../components/useSize.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import { run, type ScreenProps } from './types.js'
import { useMarketDetail } from './MarketInfoScreen.js'
import { useRefState } from '../components/useRefState.js'

export const INDEXER_KEYS: KeyHelp[] = [
  { keys: '↑ ↓', what: 'select an indexer' },
  { keys: 'a', what: 'add one: its ID, as `p2print id` shows it (the creator only)' },
  { keys: 'x', what: 'remove the selected indexer (asks first; the creator only)' },
  { keys: 'r', what: 'refresh' },
  { keys: 'Esc', what: 'close the form, then back' }
]

type Mode = { m: 'view' } | { m: 'add' } | { m: 'remove', id: string } | { m: 'busy' }

const NOT_CREATOR = 'only the market\'s creator names its indexers: you joined this market'

export function IndexersScreen (p: ScreenProps): React.JSX.Element {
  const [reload, setReload] = useState(0)
  const { detail: d, error } = useMarketDetail(p, reload)
  const [sel, setSel, selRef] = useRefState(0)
  const [mode, setModeState, modeRef] = useRefState<Mode>({ m: 'view' })
  const setMode = (m: Mode): void => { setModeState(m); p.setTyping(m.m !== 'view') }
  useEffect(() => () => p.setTyping(false), [p.setTyping])
  const list = d?.indexers.indexers ?? []
  const [typed, setTyped] = useState('') // a refused ID is in the form again

  const change = (change: 'add' | 'remove', id: string): void => {
    setMode({ m: 'busy' })
    if (change === 'add') setTyped(id)
    void run(p.say, change === 'add' ? 'naming the indexer…' : 'dropping the indexer…', () => p.core.markets.changeIndexers(change, id), r => `${change === 'add' ? 'added' : 'removed'} ${id.slice(0, 8)}: ${r.indexers.length} indexer(s), a majority of ${r.majority} confirms`).then(r => {
      setMode(r === null && change === 'add' ? { m: 'add' } : { m: 'view' })
      if (r !== null) setTyped('')
      setReload(n => n + 1)
    })
  }

  useKeys((input, key) => {
    const mode = modeRef.current
    if (mode.m === 'remove') {
      if (input === 'y') change('remove', mode.id)
      else if (input === 'n' || key.escape) { setMode({ m: 'view' }); p.say(null) }
      return
    }
    if (mode.m !== 'view' || d === null) return
    const i = list[Math.min(selRef.current, list.length - 1)]
    if (key.downArrow) setSel(s => Math.min(s + 1, list.length - 1))
    else if (key.upArrow) setSel(s => Math.max(s - 1, 0))
    else if (input === 'r') setReload(n => n + 1)
    else if (input === 'a') {
      if (!d.creator) p.say({ kind: 'error', text: NOT_CREATOR })
      else if (list.length >= 5) p.say({ kind: 'error', text: 'a market has at most 5 indexers: the creator and 4 more; remove one first' })
      else { p.say(null); setMode({ m: 'add' }) }
    } else if (input === 'x' && i !== undefined) {
      if (!d.creator) p.say({ kind: 'error', text: NOT_CREATOR })
      else if (i.creator) p.say({ kind: 'error', text: 'the creator is always an indexer' })
      else { p.say(null); setMode({ m: 'remove', id: i.id }) }
    }
  }, { isActive: p.active })

  if (d === null) return error !== null ? <Text color='red' wrap='truncate-end'>✗ {error} — Esc back</Text> : <Text dimColor>reading the indexers…</Text>
  const counted = list.filter(i => i.active).length
  return (
    <Box flexDirection='column'>
      <Text bold wrap='truncate-end'>Indexers <Text dimColor>· {list.length} named, {counted} counted: a majority of {d.indexers.majority} confirms</Text></Text>
      {list.map((i, n) => (
        <Text key={i.id} inverse={n === sel && mode.m === 'view'} wrap='truncate-end'>{n === sel ? '› ' : '  '}{i.id} {i.creator ? 'creator' : ''}{i.id === d.id ? ' (you)' : ''}{i.active ? '' : <Text color='yellow'> not counted yet</Text>}</Text>
      ))}
      <Text dimColor wrap='truncate-end'>market time {d.indexers.marketTime ?? 'not started'}: the median of the indexers' ticks</Text>
      {list.some(i => !i.active) ? <Text dimColor wrap='truncate-end'>not counted: it has written nothing yet; run the app or `p2print seed` on it</Text> : null}
      {counted === 2 || counted === 4 ? <Text color='yellow' wrap='truncate-end'>With an even number, fewer may stop than with one more: name one more.</Text> : null}
      {mode.m === 'add'
        ? (
          <Box flexDirection='column' marginTop={1}>
            <Text color='yellow' wrap='truncate-end'>Name an indexer: it confirms the market and keeps its time (run it always on)</Text>
            <LineForm fields={[{ name: 'id', label: 'peer ID', hint: '`p2print id` on that peer shows it' }]} initial={{ id: typed }} width={10} active={p.active} validate={v => ({ id: p.core.markets.validatePeerId(v.id) ?? undefined })} onSubmit={v => change('add', v.id.trim())} onCancel={() => { setMode({ m: 'view' }); setTyped(''); p.say(null) }} onInvalid={(_f, e) => p.say({ kind: 'error', text: e })} />
          </Box>
          )
        : null}
      {mode.m === 'remove' ? <Text color='yellow' wrap='truncate-end'>Remove {mode.id.slice(0, 8)} from the indexers? y remove · n keep it</Text> : null}
      {mode.m === 'view' ? <Box marginTop={1}><KeyLine items={d.creator ? ['↑↓ select', 'a add', 'x remove', 'r refresh', 'Esc back'] : ['r refresh', 'Esc back', 'the creator adds and removes indexers']} /></Box> : null}
    </Box>
  )
}
