// A one-line progress bar: bar, bytes of total, rate and time left.
import { Text } from 'ink'
import { fmtBytes } from './JobTable.js'

export function fmtSecs (s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '—'
  if (s < 60) return `${Math.ceil(s)} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`
}

export function ProgressBar ({ bytes, total, rate, etaSecs, width = 30 }: { bytes: number, total: number, rate?: number, etaSecs?: number | null, width?: number }): React.JSX.Element {
  const frac = total > 0 ? Math.min(1, Math.max(0, bytes / total)) : 0
  const full = Math.round(frac * width)
  return (
    <Text>
      <Text color='green'>{'█'.repeat(full)}</Text><Text dimColor>{'░'.repeat(width - full)}</Text>
      {' '}{Math.floor(frac * 100)}% {fmtBytes(bytes)} of {fmtBytes(total)}
      {rate !== undefined && rate > 0 ? ` · ${fmtBytes(Math.round(rate))}/s · ${fmtSecs(etaSecs ?? null)} left` : ''}
    </Text>
  )
}
