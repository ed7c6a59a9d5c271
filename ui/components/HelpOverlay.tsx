// `?`: the keys of the current screen and the global ones.
import { Box, Text } from 'ink'

export interface KeyHelp { keys: string, what: string }

export const GLOBAL_KEYS: KeyHelp[] = [
  { keys: '?', what: 'show / hide this help' },
  { keys: 'm', what: 'market: open jobs' },
  { keys: 'p', what: 'post a job' },
  { keys: 'y', what: 'my jobs (as client and as printer)' },
  { keys: 'w', what: 'wallet: balance, receive (QR code), send, escrows' },
  { keys: 'd', what: 'disputes and mediation' },
  { keys: 's', what: 'files held and served; seeding' },
  { keys: 'Esc', what: 'back (or leave a text field)' },
  { keys: 'q  Ctrl-C', what: 'quit (q only outside a text field)' }
]

export function HelpOverlay ({ screen, keys }: { screen: string, keys: KeyHelp[] }): React.JSX.Element {
  const row = (k: KeyHelp): React.JSX.Element => (
    <Box key={k.keys}><Box width={14}><Text color='cyan'>{k.keys}</Text></Box><Text>{k.what}</Text></Box>
  )
  return (
    <Box flexDirection='column' borderStyle='round' paddingX={1}>
      <Text bold>Help — {screen}</Text>
      {keys.map(row)}
      <Text bold>Everywhere</Text>
      {GLOBAL_KEYS.map(row)}
      <Text dimColor>Every action here is also a command: run `p2print --help` in a shell.</Text>
      <Text dimColor>Press ? or Esc to close.</Text>
    </Box>
  )
}
