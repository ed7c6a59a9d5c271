// The market table: one row per job, the selected one highlighted.
import { Box, Text } from 'ink'
import type { JobRow } from '../../lib/app.js'

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

const COLS = { title: 26, material: 7, colours: 12, bounty: 12, country: 4, size: 9, rating: 10 }

export function JobTable ({ rows, selected, showStatus = false }: { rows: JobRow[], selected: number, showStatus?: boolean }): React.JSX.Element {
  return (
    <Box flexDirection='column'>
      <Text bold>
        {'  '}{cut('TITLE', COLS.title)} {cut('MAT', COLS.material)} {cut('COLOURS', COLS.colours)} {'BOUNTY BTC'.padStart(COLS.bounty)} {cut('CC', COLS.country)} {'FILE'.padStart(COLS.size)} {cut('CLIENT', COLS.rating)}{showStatus ? ' STATUS' : ''}
      </Text>
      {rows.length === 0 ? <Text dimColor>  no jobs match</Text> : null}
      {rows.map((r, i) => (
        <Text key={r.id} inverse={i === selected}>
          {i === selected ? '› ' : '  '}{cut(r.title, COLS.title)} {cut(r.material, COLS.material)} {cut(r.colors.join(',') || '—', COLS.colours)} {r.bountyBtc.padStart(COLS.bounty)} {cut(r.country, COLS.country)} {fmtBytes(r.fileBytes).padStart(COLS.size)} {cut(fmtRating(r.clientRating, r.clientRatings), COLS.rating)}{showStatus ? ' ' + r.status : ''}{r.role === 'client' ? ' (yours)' : r.role === 'printer' ? ' (printing)' : ''}
        </Text>
      ))}
    </Box>
  )
}
