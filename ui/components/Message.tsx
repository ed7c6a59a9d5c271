// A one-line message: what happened, or what went wrong and what to do.
import { Text } from 'ink'

export interface Msg { kind: 'error' | 'info' | 'busy', text: string }

export function Message ({ msg }: { msg: Msg | null }): React.JSX.Element | null {
  if (msg === null) return null
  const color = msg.kind === 'error' ? 'red' : msg.kind === 'busy' ? 'yellow' : 'green'
  return <Text color={color} wrap='wrap'>{msg.kind === 'error' ? '✗ ' : msg.kind === 'busy' ? '… ' : '✓ '}{msg.text}</Text>
}
