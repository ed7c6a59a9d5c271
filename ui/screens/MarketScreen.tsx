// Market: the live table of jobs (open by default), filters, sort and paging.
import { useEffect, useState, useLayoutEffect } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import type { JobFilters, JobRow } from '../../lib/app.js'
import { JobTable } from '../components/JobTable.js'
import { TextField, editText } from '../components/TextField.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import type { ScreenProps } from './types.js'
import { useRefState } from '../components/useRefState.js'
import { Clip, KeyLine, Keep, Screen, useBodySize } from '../components/useSize.js'

export const MARKET_KEYS: KeyHelp[] = [
  { keys: '↑ ↓', what: 'select a job' },
  { keys: 'Enter', what: 'open the selected job' },
  { keys: '← →', what: 'previous / next page' },
  { keys: 'f', what: 'filters: material, country, min bounty, text (Tab: next field, Enter: apply)' },
  { keys: '/', what: 'search titles' },
  { keys: 'o', what: 'order: newest first, or highest bounty first (over every matching job)' },
  { keys: 'a', what: 'open jobs only / all jobs' },
  { keys: 'r', what: 'reset the filters' }
]

const FIELDS = ['material', 'country', 'minBounty', 'text'] as const
type Field = typeof FIELDS[number]
const LABELS: Record<Field, string> = { material: 'material', country: 'country', minBounty: 'min BTC', text: 'text' }
const SORTS: Array<NonNullable<JobFilters['sort']>> = ['newest', 'bounty']

export function MarketScreen ({ core, active, setTyping, say, go, version, pageSize = 15, initial = {}, onLoaded }: ScreenProps & { pageSize?: number, initial?: JobFilters, onLoaded?: () => void }): React.JSX.Element {
  const [filters, setFilters] = useState<JobFilters>({ sort: 'newest', ...initial })
  const [draft, setDraft, draftRef] = useRefState<Record<Field, string>>({ material: '', country: '', minBounty: '', text: '' })
  const [editing, setEditingState, editingRef] = useRefState<Field | null>(null)
  const setEditing = (f: Field | null): void => { setEditingState(f); setTyping(f !== null) }
  const [page, setPage, pageRef] = useRefState(0)
  const [rows, setRows, rowsRef] = useRefState<JobRow[]>([])
  const [hasMore, setHasMore, hasMoreRef] = useRefState(false)
  const [selected, setSelected, selectedRef] = useRefState(0)
  const [loaded, setLoaded] = useState(false)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    let live = true
    core.queryJobs(filters, page, pageSize).then((p) => {
      if (!live) return
      setRows(p.rows)
      setHasMore(p.hasMore)
      setSelected(s => Math.min(s, Math.max(0, p.rows.length - 1)))
      setLoaded(true)
      setError(null)
      onLoaded?.()
    }, (err: Error) => { if (live) { setError(err.message); setLoaded(true) } })
    return () => { live = false }
  }, [core, filters, page, pageSize, version])

  useLayoutEffect(() => { setTyping(editing !== null); return () => setTyping(false) }, [editing, setTyping])

  const apply = (): void => {
    const d = draftRef.current
    setFilters(f => ({ ...f, material: d.material, country: d.country, minBounty: d.minBounty, text: d.text }))
    setPage(0)
    setSelected(0)
    setEditing(null)
  }

  useKeys((input, key) => {
    const editing = editingRef.current
    const rows = rowsRef.current
    const selected = selectedRef.current
    if (editing !== null) {
      if (key.escape) { setEditing(null); return }
      if (key.return) { apply(); return }
      if (key.tab || key.downArrow || key.upArrow) {
        const i = FIELDS.indexOf(editing)
        setEditing(FIELDS[(i + (key.upArrow || key.shift ? FIELDS.length - 1 : 1)) % FIELDS.length])
        return
      }
      setDraft(d => ({ ...d, [editing]: editText(d[editing], input, key) }))
      return
    }
    if (key.downArrow) setSelected(s => Math.min(s + 1, rows.length - 1))
    else if (key.upArrow) setSelected(s => Math.max(s - 1, 0))
    else if (key.rightArrow || key.pageDown) { if (hasMoreRef.current) { setPage(p => p + 1); setSelected(0) } }
    else if (key.leftArrow || key.pageUp) { if (pageRef.current > 0) { setPage(p => p - 1); setSelected(0) } }
    else if (key.return) { const r = rows[selected]; if (r !== undefined) { say(null); go({ name: 'job', id: r.id }) } }
    else if (input === 'f') setEditing('material')
    else if (input === '/') setEditing('text')
    else if (input === 'o') setFilters(f => ({ ...f, sort: SORTS[(SORTS.indexOf(f.sort ?? 'newest') + 1) % SORTS.length] }))
    else if (input === 'a') { setFilters(f => ({ ...f, status: f.status === 'all' ? 'open' : 'all' })); setPage(0) }
    else if (input === 'r') { setDraft({ material: '', country: '', minBounty: '', text: '' }); setFilters({ sort: 'newest' }); setPage(0) }
  }, { isActive: active })

  const body = useBodySize()
  const summary = [
    filters.status === 'all' ? 'all jobs' : 'open jobs',
    filters.material ? `material ${filters.material}` : null,
    filters.country ? `country ${filters.country.toUpperCase()}` : null,
    filters.minBounty ? `≥ ${filters.minBounty} BTC` : null,
    filters.text ? `“${filters.text}”` : null,
    `sort ${filters.sort ?? 'newest'}`
  ].filter(x => x !== null).join(' · ')

  return (
    <Screen>
      <Keep><Text bold wrap='truncate-end'>Market <Text dimColor>— {summary} — page {page + 1}{hasMore ? '' : ' (last)'}</Text></Text></Keep>
      {editing !== null
        ? (
          <Keep>
            <Box flexDirection='column' borderStyle='single' paddingX={1}>
              {FIELDS.map(f => <TextField key={f} label={LABELS[f]} value={draft[f]} focused={editing === f} />)}
              <Text dimColor>Tab next field · Enter apply · Esc cancel</Text>
            </Box>
          </Keep>
          )
        : null}
      {error !== null ? <Keep><Text color='red'>✗ {error} — press f to fix the filter or r to reset</Text></Keep> : null}
      <Clip>{loaded ? <JobTable rows={rows} selected={selected} showStatus={filters.status === 'all'} maxRows={body.rows - 3 - (editing !== null ? 7 : 0) - (error !== null ? 2 : 0)} /> : <Text dimColor>loading jobs…</Text>}</Clip>
      <KeyLine items={['↑↓ select', 'Enter open', '←→ page', 'f filter', '/ search', 'o sort', 'a all/open', 'p post', 'y my jobs', 'w wallet']} />
    </Screen>
  )
}
