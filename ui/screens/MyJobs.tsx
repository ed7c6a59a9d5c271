// My jobs: as client and as printer, grouped by state, the ones waiting for me first.
import { useEffect, useState } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import type { JobRow, MyJobs as Mine } from '../../lib/app.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import type { ScreenProps } from './types.js'

export const MINE_KEYS: KeyHelp[] = [
  { keys: '↑ ↓', what: 'select a job' },
  { keys: 'Enter', what: 'open it (timeline, chat and actions once it has a printer)' }
]

export function MyJobs (p: ScreenProps): React.JSX.Element {
  const [mine, setMine] = useState<Mine | null>(null)
  const [sel, setSel] = useState(0)
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
        ...mine.asPrinter.map(g => ({ title: `As printer — ${g.status}`, rows: g.rows }))
      ].filter(s => s.rows.length > 0)
  const flat = sections.flatMap(s => s.rows)
  useKeys((_input, key) => {
    if (key.downArrow) setSel(s => Math.min(s + 1, flat.length - 1))
    else if (key.upArrow) setSel(s => Math.max(s - 1, 0))
    else if (key.return && flat[sel] !== undefined) {
      const r = flat[sel]
      p.go(r.status === 'open' || r.status === 'cancelled' ? { name: 'job', id: r.id } : { name: 'active', id: r.id })
    }
  }, { isActive: p.active })
  if (mine === null) return <Text dimColor>loading your jobs…</Text>
  let i = 0
  return (
    <Box flexDirection='column'>
      <Text bold>My jobs</Text>
      {flat.length === 0 ? <Text dimColor>none yet: press p to post one, or m to find one to print</Text> : null}
      {sections.map(s => (
        <Box key={s.title} flexDirection='column'>
          <Text color={s.title === 'Waiting for you' ? 'yellow' : 'cyan'}>{s.title}</Text>
          {s.rows.map(r => {
            const me = i++
            return <Text key={r.title + r.id} inverse={me === sel}>{me === sel ? '› ' : '  '}{r.title.slice(0, 30).padEnd(30)} {r.bountyBtc.padStart(12)} BTC  {r.status.padEnd(9)} {r.role === 'client' ? (r.status === 'shipped' ? 'confirm receipt' : '') : (r.status === 'active' ? 'print and ship' : '')}</Text>
          })}
        </Box>
      ))}
    </Box>
  )
}
