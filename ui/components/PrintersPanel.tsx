// The people page's printers (`p2print printers [--material M] [--country CC]`): each listed printer's profile and
// its record from the log; the selected one's in full below the list.
import { useEffect, useState } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from './useKeys.js'
import type { PrinterFilters, PrinterRow } from '../../lib/app.js'
import { LineForm } from './LineForm.js'
import { KeyLine, useBodySize } from './useSize.js'
import { useRefState } from './useRefState.js'
import { recordLine } from '../reputation.js'
import type { ScreenProps } from '../screens/types.js'

export type PanelProps = ScreenProps & { reload: number, setBusy: (busy: boolean) => void }

const FILTER_FIELDS = [
  { name: 'material', label: 'material', hint: 'PLA, ABS, PETG, TPU, Nylon, Resin, Other (empty: any)' },
  { name: 'country', label: 'country', hint: 'e.g. DE (empty: any)' }
]

export function PrintersPanel (p: PanelProps): React.JSX.Element {
  const [filters, setFilters] = useState<PrinterFilters>({ material: '', country: '' })
  const [rows, setRows, rowsRef] = useRefState<PrinterRow[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [sel, setSel] = useRefState(0)
  const [filtering, setFilteringState, filteringRef] = useRefState(false)
  const setFiltering = (v: boolean): void => { setFilteringState(v); p.setBusy(v) }
  const { rows: height } = useBodySize()
  useEffect(() => () => p.setBusy(false), [])

  useEffect(() => {
    let live = true
    p.core.people.printers(filters).then(r => { if (live) { setRows(r); setError(null); setSel(s => Math.min(s, Math.max(0, r.length - 1))) } }, (err: Error) => { if (live) setError(err.message) })
    return () => { live = false }
  }, [p.core, p.version, p.reload, filters])

  useKeys((input, key) => {
    if (filteringRef.current) return
    const n = rowsRef.current?.length ?? 0
    if (key.downArrow) setSel(s => Math.min(s + 1, n - 1))
    else if (key.upArrow) setSel(s => Math.max(s - 1, 0))
    else if (input === 'f') { p.say(null); setFiltering(true) }
  }, { isActive: p.active })

  const list = rows ?? []
  // the list scrolls within what the screen leaves it (tabs, header, the selected one's lines, keys)
  const room = Math.max(3, (Number.isFinite(height) ? height : 40) - (filtering ? 11 : 9))
  const first = Math.max(0, Math.min(sel - room + 1, list.length - room))
  const shown = list.slice(first, first + room)
  const s = list[sel]
  const label = [filters.material.trim() === '' ? null : filters.material.trim(), filters.country.trim() === '' ? null : filters.country.trim().toUpperCase()].filter(x => x !== null).join(' in ')
  return (
    <Box flexDirection='column'>
      <Text wrap='truncate-end'><Text bold>Printers</Text> <Text dimColor>· {label === '' ? 'all' : label} · {list.length}{list.length >= 50 ? ' (the first 50)' : ''}</Text></Text>
      {filtering
        ? <LineForm fields={FILTER_FIELDS} initial={{ ...filters }} width={11} active={p.active} validate={v => p.core.people.validateFilters(v as unknown as PrinterFilters)} onSubmit={v => { setFiltering(false); setFilters(v as unknown as PrinterFilters) }} onCancel={() => { setFiltering(false); p.say(null) }} onInvalid={(f, e) => p.say({ kind: 'error', text: `fix the ${f.label} first: ${e}` })} footer='Tab next · Enter on the country: filter · Esc cancel' />
        : null}
      {error !== null ? <Text color='red' wrap='truncate-end'>✗ {error}</Text> : null}
      {rows === null && error === null ? <Text dimColor>reading the listing…</Text> : null}
      {rows !== null && list.length === 0 ? <Text wrap='truncate-end'>No printers {label === '' ? 'listed yet: yours is on the next tab' : 'match'}.</Text> : null}
      {list.length > 0 ? <Text dimColor wrap='truncate-end'>  {'ID'.padEnd(9)}{'CC'.padEnd(3)} {'BED mm'.padEnd(13)} {'DONE'.padStart(4)} {'RATING'.padEnd(10)} MATERIALS</Text> : null}
      {shown.map((r, i) => {
        const at = first + i
        const rating = r.record.asPrinter.rating
        return (
          <Text key={r.id} inverse={at === sel} wrap='truncate-end'>{at === sel ? '› ' : '  '}{r.id.slice(0, 8).padEnd(9)}{r.country.padEnd(3)} {r.bedMm.join('×').padEnd(13)} {String(r.record.asPrinter.completed).padStart(4)} {(rating.count === 0 ? 'new' : `★${rating.average?.toFixed(1) ?? '—'} (${rating.count})`).padEnd(10)} {r.materials.join(',')}</Text>
        )
      })}
      {s !== undefined && !filtering
        ? (
          <Box flexDirection='column' marginTop={1}>
            <Text wrap='truncate-end'><Text bold>{s.id}</Text></Text>
            <Text wrap='truncate-end'>{recordLine(s.record, 'printer')}</Text>
            <Text dimColor wrap='truncate-end'>{s.note === '' ? 'no note' : s.note}</Text>
          </Box>
          )
        : null}
      {!filtering ? <KeyLine items={['← → tabs', '↑↓ select', 'f filter', 'r refresh', 'Esc back']} /> : null}
    </Box>
  )
}
