// My jobs: as client and as printer, grouped by state, the ones waiting for me first.
import { useEffect, useState } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import type { JobRow, MyJobs as Mine } from '../../lib/app.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import type { ScreenProps } from './types.js'
import { useRefState } from '../components/useRefState.js'
import { Clip, KeyLine, Keep, Screen, useBodySize } from '../components/useSize.js'

export const MINE_KEYS: KeyHelp[] = [
  { keys: '↑ ↓', what: 'select a job' },
  { keys: 'Enter', what: 'open it (timeline, chat and actions once it has a printer)' }
]

// the last column: what the row waits for, or its quotes
function rowNote (r: JobRow): string {
  if (r.offerToMe === true) return 'offered to you: accept it'
  if (r.role === 'client') return r.status === 'shipped' ? 'confirm receipt' : r.status === 'open' && (r.quotes ?? 0) > 0 ? `${r.quotes ?? 0} quote${r.quotes === 1 ? '' : 's'}` : ''
  if (r.role === 'other') return 'your quote stands'
  return r.status === 'active' ? 'print and ship' : ''
}

export function MyJobs (p: ScreenProps): React.JSX.Element {
  const [mine, setMine] = useState<Mine | null>(null)
  const [sel, setSel, selRef] = useRefState(0) // read at once: ↓↓ Enter in one burst opens the third job
  useEffect(() => {
    let live = true
    p.core.myJobs().then(m => { if (live) setMine(m) }, (err: Error) => p.say({ kind: 'error', text: err.message }))
    return () => { live = false }
  }, [p.core, p.version])
  const sections: Array<{ title: string, rows: JobRow[] }> = mine === null
    ? []
    : [
        { title: 'Waiting for you', rows: mine.needsAction },
        ...mine.asClient.map(g => ({ title: `As client — ${g.status}`, rows: g.rows })),
        ...mine.asPrinter.map(g => ({ title: `As printer — ${g.status}`, rows: g.rows })),
        { title: 'Quoted by you', rows: mine.quoted ?? [] }
      ].filter(s => s.rows.length > 0)
  const flat = sections.flatMap(s => s.rows)
  const body = useBodySize()
  useKeys((_input, key) => {
    if (key.downArrow) setSel(s => Math.min(s + 1, flat.length - 1))
    else if (key.upArrow) setSel(s => Math.max(s - 1, 0))
    else if (key.return && flat[selRef.current] !== undefined) {
      const r = flat[selRef.current]
      p.go(r.status === 'open' || r.status === 'cancelled' || r.role === 'other' ? { name: 'job', id: r.id } : { name: 'active', id: r.id })
    }
  }, { isActive: p.active })
  if (mine === null) return <Text dimColor>loading your jobs…</Text>
  // one line per section title and per job; on a short terminal the part that holds the selected job
  const lines: Array<{ head: string } | { row: JobRow, i: number }> = []
  let n = 0
  for (const s of sections) {
    lines.push({ head: s.title })
    for (const row of s.rows) lines.push({ row, i: n++ })
  }
  const visible = Math.max(1, body.rows - 2)
  const at = lines.findIndex(l => 'row' in l && l.i === sel)
  const from = Math.max(0, at - visible + 1)
  return (
    <Screen>
      <Keep><Text bold>My jobs{from > 0 ? <Text dimColor> (more above)</Text> : null}</Text></Keep>
      {flat.length === 0 ? <Keep><Text dimColor>none yet: press p to post one, or m to find one to print</Text></Keep> : null}
      <Clip>
        {lines.slice(from, from + visible).map((l, k) => 'head' in l
          ? <Text key={`h${from + k}`} color={l.head === 'Waiting for you' ? 'yellow' : 'cyan'}>{l.head}</Text>
          : <Text key={l.i} inverse={l.i === sel} wrap='truncate-end'>{l.i === sel ? '› ' : '  '}{l.row.title.slice(0, 30).padEnd(30)} {l.row.bountyBtc.padStart(12)} BTC  {l.row.status.padEnd(9)} {rowNote(l.row)}</Text>)}
      </Clip>
      <KeyLine items={['↑↓ select', 'Enter open', 'm market', 'p post', 'Esc back']} />
    </Screen>
  )
}
