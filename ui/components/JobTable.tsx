// The market table: one row per job, the selected one highlighted.
import { Box, Text } from 'ink'
import type { JobRow } from '../../lib/app.js'
import { useBodySize } from './useSize.js'

export function fmtBytes (n: number | null): string {
  if (n === null) return '—'
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GB`
}

export function fmtRating (avg: number | null, count: number): string {
  return avg === null ? 'new' : `★${avg.toFixed(1)} (${count})`
}

function cut (s: string, n: number): string {
  return s.length <= n ? s.padEnd(n) : s.slice(0, n - 1) + '…'
}

type Col = 'material' | 'colours' | 'bounty' | 'country' | 'size' | 'rating'
const COLS: Record<Col, number> = { material: 7, colours: 12, bounty: 12, country: 4, size: 9, rating: 10 }
const DROP: Col[] = ['colours', 'rating', 'size', 'country'] // given up in this order when the title gets too narrow
const MIN_TITLE = 18

// The columns that fit this width with a title of at least MIN_TITLE (up to 40), each row on one line.
export function tableLayout (columns: number, suffix: number): { title: number, cols: Col[] } {
  let cols: Col[] = ['material', 'colours', 'bounty', 'country', 'size', 'rating']
  const rest = (): number => columns - 2 - cols.reduce((n, c) => n + COLS[c] + 1, 0) - suffix - 1
  for (const c of DROP) {
    if (rest() >= MIN_TITLE) break
    cols = cols.filter(x => x !== c)
  }
  return { title: Math.max(8, Math.min(40, rest())), cols }
}

// maxRows: the rows that fit; a longer page shows the part around the selected row.
export function JobTable ({ rows, selected, showStatus = false, maxRows = Infinity }: { rows: JobRow[], selected: number, showStatus?: boolean, maxRows?: number }): React.JSX.Element {
  const { columns } = useBodySize()
  const roles = rows.some(r => r.role !== 'other')
  const { title, cols } = tableLayout(columns, (showStatus ? 10 : 0) + (roles ? 11 : 0))
  const head: Record<Col, string> = { material: cut('MAT', COLS.material), colours: cut('COLOURS', COLS.colours), bounty: 'BOUNTY BTC'.padStart(COLS.bounty), country: cut('CC', COLS.country), size: 'FILE'.padStart(COLS.size), rating: cut('CLIENT', COLS.rating) }
  const from = Math.max(0, Math.min(selected - Math.max(1, maxRows) + 1, rows.length - Math.max(1, maxRows)))
  const shown = rows.slice(from, from + Math.max(1, maxRows))
  const cell = (r: JobRow): Record<Col, string> => ({ material: cut(r.material, COLS.material), colours: cut(r.colors.join(',') || '—', COLS.colours), bounty: r.bountyBtc.padStart(COLS.bounty), country: cut(r.country, COLS.country), size: fmtBytes(r.fileBytes).padStart(COLS.size), rating: cut(fmtRating(r.clientRating, r.clientRatings), COLS.rating) })
  return (
    <Box flexDirection='column'>
      <Text bold wrap='truncate-end'>
        {'  '}{cut('TITLE', title)} {cols.map(c => head[c]).join(' ')}{showStatus ? ' STATUS' : ''}
      </Text>
      {rows.length === 0 ? <Text dimColor>  no jobs match</Text> : null}
      {shown.map((r, k) => {
        const i = from + k
        const c = cell(r)
        return (
          <Text key={r.id} inverse={i === selected} wrap='truncate-end'>
            {i === selected ? '› ' : '  '}{cut(r.title, title)} {cols.map(x => c[x]).join(' ')}{showStatus ? ' ' + r.status : ''}{r.role === 'client' ? ' (yours)' : r.role === 'printer' ? ' (printing)' : ''}
          </Text>
        )
      })}
    </Box>
  )
}
