// One line above the status bar while something needs this peer or a new job matched a saved search (! opens them).
import { Text } from 'ink'
import type { AppState } from '../../lib/app.js'

export function AlertLine ({ state }: { state: AppState }): React.JSX.Element | null {
  const a = state.alerts
  if (a === undefined || (a.needsYou === 0 && a.matches === 0)) return null
  const parts: string[] = []
  if (a.needsYou > 0) parts.push(`${a.needsYou} thing${a.needsYou === 1 ? '' : 's'} need${a.needsYou === 1 ? 's' : ''} you`)
  if (a.latest !== null) parts.push(`new job “${a.latest.title}” ${a.latest.bountyBtc} BTC matches search #${a.latest.searches[0]}${a.matches > 1 ? ` (+${a.matches - 1} more)` : ''}`)
  return <Text color='yellow' wrap='truncate-end'>⚑ {parts.join(' · ')} — ! to see</Text>
}

export function alertLines (state: AppState): number {
  const a = state.alerts
  return a === undefined || (a.needsYou === 0 && a.matches === 0) ? 0 : 1
}
