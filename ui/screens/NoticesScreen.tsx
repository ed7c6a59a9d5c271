// Notices: what needs you on your jobs (a proposal to answer, a shipped job to confirm, a deadline within 24 h of
// market time) and the new jobs that matched your saved searches while the app runs.
import { useEffect, useState } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import type { NeedsYouInfo, SearchMatchInfo } from '../../lib/app.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import { useRefState } from '../components/useRefState.js'
import type { ScreenProps } from './types.js'

export const NOTICES_KEYS: KeyHelp[] = [
  { keys: '↑ ↓', what: 'select a notice' },
  { keys: 'Enter', what: 'open its job' },
  { keys: 'c', what: 'clear the new-job notices' },
  { keys: 'f', what: 'saved searches: add, remove (`search save|list|remove`)' },
  { keys: 'Esc', what: 'back' }
]

const KIND: Record<NeedsYouInfo['kind'], string> = { proposal: 'answer', shipped: 'confirm', deadline: 'deadline' }

// How long is left, in words.
export function left (hours: number | null): string {
  if (hours === null) return ''
  if (hours < 1) return `${Math.max(1, Math.round(hours * 60))} min left`
  return hours < 48 ? `${Math.round(hours)} h left` : `${Math.round(hours / 24)} days left`
}

const ROWS = 7 // of each list on one screen

export function NoticesScreen (p: ScreenProps): React.JSX.Element {
  const [needs, setNeeds] = useState<NeedsYouInfo[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [sel, setSel, selRef] = useRefState(0)
  const matches: SearchMatchInfo[] = p.core.notices.matches()
  useEffect(() => {
    let live = true
    p.core.notices.needsYou().then(n => { if (live) { setNeeds(n); setError(null) } }, (err: Error) => { if (live) setError(err.message) })
    return () => { live = false }
  }, [p.core, p.version])
  const ids = [...(needs ?? []).slice(0, ROWS).map(n => n.id), ...matches.slice(0, ROWS).map(m => m.id)]
  useKeys((input, key) => {
    const i = Math.min(selRef.current, Math.max(0, ids.length - 1))
    if (key.downArrow) setSel(Math.min(i + 1, ids.length - 1))
    else if (key.upArrow) setSel(Math.max(i - 1, 0))
    else if (key.return && ids[i] !== undefined) { p.say(null); p.go({ name: 'job', id: ids[i] }) } else if (input === 'c') { p.core.notices.dismiss(); setSel(0); p.say({ kind: 'info', text: 'new-job notices cleared' }) } else if (input === 'f') { p.say(null); p.go({ name: 'searches' }) }
  }, { isActive: p.active })
  const at = Math.min(sel, Math.max(0, ids.length - 1))
  const mark = (i: number): string => i === at ? '›' : ' '
  const n = needs ?? []
  return (
    <Box flexDirection='column'>
      <Text bold>Needs you <Text dimColor>({needs === null ? '…' : n.length})</Text></Text>
      {error !== null ? <Text color='red' wrap='truncate-end'>✗ {error}</Text> : null}
      {needs !== null && n.length === 0 ? <Text dimColor wrap='truncate-end'>  nothing: no proposal to answer, no shipped job to confirm, no deadline in 24 h</Text> : null}
      {n.slice(0, ROWS).map((x, i) => (
        <Text key={`n${x.id}`} wrap='truncate-end' inverse={i === at}>{mark(i)} <Text color={x.kind === 'deadline' || (x.hoursLeft !== null && x.hoursLeft < 24) ? 'red' : 'yellow'}>{KIND[x.kind].padEnd(8)}</Text> {x.hoursLeft !== null ? `${left(x.hoursLeft)} · ` : ''}{x.title.slice(0, 24)} · {x.text}</Text>
      ))}
      {n.length > ROWS ? <Text dimColor wrap='truncate-end'>  … and {n.length - ROWS} more (y: my jobs)</Text> : null}
      <Box marginTop={1}><Text bold wrap='truncate-end'>New jobs matching your saved searches <Text dimColor>({matches.length})</Text></Text></Box>
      {matches.length === 0 ? <Text dimColor wrap='truncate-end'>  none since the app started (f: your saved searches)</Text> : null}
      {matches.slice(0, ROWS).map((m, j) => {
        const i = Math.min(n.length, ROWS) + j
        return <Text key={`m${m.id}`} wrap='truncate-end' inverse={i === at}>{mark(i)} {m.at.slice(11, 16)} {m.bountyBtc.padStart(10)} BTC {m.material.padEnd(6)} {m.country} {m.title} <Text dimColor>(#{m.searches.join(', #')})</Text></Text>
      })}
      {matches.length > ROWS ? <Text dimColor>  … and {matches.length - ROWS} more</Text> : null}
      <Text dimColor wrap='truncate-end'>↑↓ select · Enter open the job · c clear new jobs · f saved searches · Esc back</Text>
    </Box>
  )
}
