// Saved searches (`search save|list|remove`): filters kept in this storage; the app (and `p2print seed`) say when a
// new job matches one.
import { useEffect, useState } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import type { SavedSearchInfo } from '../../lib/app.js'
import { Form } from '../components/Form.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import { useRefState } from '../components/useRefState.js'
import { run, type ScreenProps } from './types.js'

export const SEARCHES_KEYS: KeyHelp[] = [
  { keys: '↑ ↓', what: 'select a saved search' },
  { keys: 'a', what: 'add one: material, country, minimum bounty (at least one)' },
  { keys: 'x', what: 'remove the selected one (asks first)' },
  { keys: 'Esc', what: 'back' }
]

const FIELDS = [
  { name: 'material', label: 'material', hint: 'PLA, ABS, PETG, TPU, Nylon, Resin, Other (empty: any)' },
  { name: 'country', label: 'country', hint: 'ISO code, e.g. DE (empty: any)' },
  { name: 'minBounty', label: 'min bounty', hint: 'BTC, e.g. 0.001 (empty: any)' }
]

type Mode = 'list' | 'add' | 'remove'

export function SearchesScreen (p: ScreenProps): React.JSX.Element {
  const [list, setList] = useState<SavedSearchInfo[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [n, setN] = useState(0)
  const [sel, setSel, selRef] = useRefState(0)
  const [mode, setModeState, modeRef] = useRefState<Mode>('list')
  const setMode = (m: Mode): void => { setModeState(m); p.setTyping(m !== 'list') } // the form and the y/n prompt own the keys
  useEffect(() => () => p.setTyping(false), [p.setTyping])
  useEffect(() => {
    let live = true
    p.core.searches.list().then(l => { if (live) { setList(l); setError(null) } }, (err: Error) => { if (live) setError(err.message) })
    return () => { live = false }
  }, [p.core, n])
  const rows = list ?? []
  const at = Math.min(sel, Math.max(0, rows.length - 1))

  useKeys((input, key) => {
    const i = Math.min(selRef.current, Math.max(0, rows.length - 1))
    if (modeRef.current === 'remove') {
      const s = rows[i]
      if ((input === 'y' || key.return) && s !== undefined) {
        setMode('list')
        void run(p.say, 'removing…', () => p.core.searches.remove(s.n), r => `removed saved search #${r.n}: ${r.text}`).then(() => setN(x => x + 1))
      } else if (input === 'n' || key.escape) { setMode('list'); p.say(null) }
      return
    }
    if (modeRef.current !== 'list') return
    if (key.downArrow) setSel(Math.min(i + 1, rows.length - 1))
    else if (key.upArrow) setSel(Math.max(i - 1, 0))
    else if (input === 'a') { p.say(null); setMode('add') } else if (input === 'x') {
      if (rows[i] === undefined) p.say({ kind: 'error', text: 'no saved search to remove: press a to add one' })
      else { p.say(null); setMode('remove') }
    }
  }, { isActive: p.active })

  const save = (v: Record<string, string>): void => {
    setMode('list')
    void run(p.say, 'saving…', () => p.core.searches.save({ material: v.material, country: v.country, minBounty: v.minBounty }), r => `saved search #${r.n}: ${r.text}`).then(() => setN(x => x + 1))
  }
  const validate = (v: Record<string, string>): Record<string, string | undefined> => {
    const e = p.core.searches.validate({ material: v.material ?? '', country: v.country ?? '', minBounty: v.minBounty ?? '' })
    return { ...e, material: e.material ?? e.all }
  }
  return (
    <Box flexDirection='column'>
      <Text bold wrap='truncate-end'>Saved searches <Text dimColor>· kept in this storage only; a new job matching one shows in the notices (!)</Text></Text>
      {error !== null ? <Text color='red' wrap='truncate-end'>✗ {error}</Text> : null}
      {list !== null && rows.length === 0 ? <Text dimColor>  none yet: press a to add one</Text> : null}
      {rows.slice(0, 12).map((s, i) => <Text key={s.n} wrap='truncate-end' inverse={i === at && mode === 'list'}>{i === at ? '›' : ' '} #{String(s.n).padEnd(3)} {s.text}</Text>)}
      {rows.length > 12 ? <Text dimColor>  … and {rows.length - 12} more (`p2print search list`)</Text> : null}
      {mode === 'remove' && rows[at] !== undefined ? <Text color='yellow' wrap='truncate-end'>Remove #{rows[at].n} ({rows[at].text})? y or Enter: remove · n or Esc: keep</Text> : null}
      {mode === 'add'
        ? <Box flexDirection='column' marginTop={1}><Text color='yellow'>Add a saved search (empty fields match anything)</Text><Form fields={FIELDS} width={13} active={p.active} validate={validate} onCancel={() => { setMode('list'); p.say(null) }} onInvalid={(f, e) => p.say({ kind: 'error', text: `fix the ${f.label} first: ${e}` })} onSubmit={save} footer='Tab next field · Enter on the last field saves · Esc cancel' /></Box>
        : <Text dimColor wrap='truncate-end'>↑↓ select · a add · x remove · Esc back</Text>}
    </Box>
  )
}
