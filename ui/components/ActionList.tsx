// The actions this peer may take on a job; the selected one runs on Enter.
import { Box, Text } from 'ink'
import type { ActionInfo } from '../../lib/app.js'

export function ActionList ({ actions, selected, focused }: { actions: ActionInfo[], selected: number, focused: boolean }): React.JSX.Element {
  const w = Math.max(9, ...actions.map(a => a.action.length + 1))
  return (
    <Box flexDirection='column'>
      <Text bold>Actions</Text>
      {actions.length === 0 ? <Text dimColor>  none for you in this state</Text> : null}
      {actions.map((a, i) => (
        <Text key={a.action} inverse={focused && i === selected}>{focused && i === selected ? '› ' : '  '}{a.action.padEnd(w)} {a.label}</Text>
      ))}
    </Box>
  )
}
