// People: the market's mediators with their records (`p2print mediator list`), the printers that published a
// profile with theirs (`p2print printers`), and this peer's own printer profile (`p2print printer profile` /
// `printer unlist`). ← → (or 1 2 3) switch between the three.
import { useEffect, useState } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import type { MediatorInfo } from '../../lib/app.js'
import { PrintersPanel, type PanelProps } from '../components/PrintersPanel.js'
import { ProfilePanel } from '../components/ProfilePanel.js'
import { KeyLine, useBodySize } from '../components/useSize.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import type { ScreenProps } from './types.js'

export const PEOPLE_KEYS: KeyHelp[] = [
  { keys: '← →  1 2 3', what: 'mediators · printers · your printer profile' },
  { keys: '↑ ↓', what: 'printers: select one (its record below)' },
  { keys: 'f', what: 'printers: filter by material and country' },
  { keys: 'e', what: 'your profile: publish or change it (materials, bed, country)' },
  { keys: 'x', what: 'your profile: take it off the listing (asks first)' },
  { keys: 'r', what: 'refresh' },
  { keys: 'Esc', what: 'close a form, then back' }
]

const TABS = ['mediators', 'printers', 'your profile'] as const
type Tab = typeof TABS[number]

export function PeopleScreen (p: ScreenProps & { tab?: Tab }): React.JSX.Element {
  const [tab, setTab] = useState<Tab>(p.tab ?? 'mediators')
  const [busy, setBusy] = useState(false) // a panel's form or question has the keys
  const [reload, setReload] = useState(0)

  useKeys((input, key) => {
    if (busy) return
    const i = TABS.indexOf(tab)
    if (key.rightArrow) setTab(TABS[(i + 1) % TABS.length])
    else if (key.leftArrow) setTab(TABS[(i + TABS.length - 1) % TABS.length])
    else if (input === '1' || input === '2' || input === '3') setTab(TABS[Number(input) - 1])
    else if (input === 'r') setReload(n => n + 1)
  }, { isActive: p.active })

  const sub: PanelProps = { ...p, reload, setBusy: (b: boolean) => { setBusy(b); p.setTyping(b) } }
  return (
    <Box flexDirection='column'>
      <Text wrap='truncate-end'>{TABS.map((t, i) => <Text key={t} bold={t === tab} inverse={t === tab} color={t === tab ? 'cyan' : undefined}> {i + 1} {t} </Text>)}</Text>
      {tab === 'mediators' ? <Mediators {...sub} /> : null}
      {tab === 'printers' ? <PrintersPanel {...sub} /> : null}
      {tab === 'your profile' ? <ProfilePanel {...sub} /> : null}
    </Box>
  )
}

function Mediators (p: PanelProps): React.JSX.Element {
  const [info, setInfo] = useState<{ mediators: MediatorInfo[], rules: string[], named: string[] } | null>(null)
  const [error, setError] = useState<string | null>(null)
  const { rows } = useBodySize()
  useEffect(() => {
    let live = true
    p.core.people.mediators().then(m => { if (live) { setInfo(m); setError(null) } }, (err: Error) => { if (live) setError(err.message) })
    return () => { live = false }
  }, [p.core, p.version, p.reload])
  if (info === null) return error !== null ? <Text color='red' wrap='truncate-end'>✗ {error}</Text> : <Text dimColor>reading the mediators…</Text>
  const shown = info.mediators.slice(0, Math.max(1, (Number.isFinite(rows) ? rows : 40) - 7))
  return (
    <Box flexDirection='column'>
      <Text dimColor wrap='truncate-end'>{info.named.length === 0 ? 'Any peer may register (d: disputes, r there); a dispute picks one.' : `The creator named ${info.named.length}; only they may register. A dispute picks one.`}</Text>
      {info.mediators.length === 0
        ? <Text wrap='truncate-end'>No mediators registered: disputes go straight to the arbitrator.</Text>
        : <Text dimColor wrap='truncate-end'>  {'ID'.padEnd(9)}{'FEE'.padStart(4)} {'TAKEN'.padStart(6)} {'PROP'.padStart(5)} {'AGREED'.padStart(7)} {'OVERT'.padStart(6)} {'UPHELD'.padStart(7)} {'MISSED'.padStart(7)}  ANSWERS</Text>}
      {shown.map(m => (
        <Text key={m.id} wrap='truncate-end' color={m.revoked !== null ? 'red' : undefined}>  {m.id.slice(0, 8).padEnd(9)}{`${m.feePct}%`.padStart(4)} {String(m.taken).padStart(6)} {String(m.proposed).padStart(5)} {String(m.accepted).padStart(7)} {String(m.overturned).padStart(6)} {String(m.upheld).padStart(7)} {String(m.missed).padStart(7)}  {m.revoked !== null ? `REVOKED: ${m.revoked}` : m.avgResponseSecs === null ? '—' : answers(m.avgResponseSecs)}</Text>
      ))}
      {shown.length < info.mediators.length ? <Text dimColor>  … {info.mediators.length - shown.length} more (`p2print mediator list` lists all)</Text> : null}
      <Text dimColor wrap='truncate-end'>Revoked for good when: {info.rules.join('; ')}</Text>
      <KeyLine items={['← → tabs', 'r refresh', 'Esc back']} />
    </Box>
  )
}

function answers (secs: number): string {
  return secs < 3600 ? `${Math.max(1, Math.round(secs / 60))} min` : `${Math.round(secs / 3600)} h`
}
