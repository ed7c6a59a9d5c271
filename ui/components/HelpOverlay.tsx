// `?`: the keys of the current screen and the global ones. On a short terminal the global keys go on a few lines
// of their own, so the whole help fits.
import { Box, Text } from 'ink'
import { linesOf, useBodySize } from './useSize.js'

export interface KeyHelp { keys: string, what: string }

export const GLOBAL_KEYS: KeyHelp[] = [
  { keys: '?', what: 'show / hide this help' },
  { keys: 'm', what: 'market: open jobs' },
  { keys: 'p', what: 'post a job' },
  { keys: 'y', what: 'my jobs (as client and as printer)' },
  { keys: 'w', what: 'wallet: balance, receive (QR code), send, escrows' },
  { keys: 'd', what: 'disputes and mediation' },
  { keys: 's', what: 'files held and served; seeding' },
  { keys: '!', what: 'notices: what needs you, new jobs matching your saved searches' },
  { keys: 'i', what: 'this market: its key (QR code), settings, indexers; other markets' },
  { keys: 'u', what: 'people: mediators, printers, your printer profile' },
  { keys: 'Esc', what: 'back (or leave a text field)' },
  { keys: 'q  Ctrl-C', what: 'quit (q only outside a text field)' }
]

// before a market exists only these work (the others open once one is created or joined)
const FIRST_RUN_KEYS = new Set(['?', 'q  Ctrl-C'])

export function HelpOverlay ({ screen, keys, globals = 'all' }: { screen: string, keys: KeyHelp[], globals?: 'all' | 'first-run' }): React.JSX.Element {
  const { rows, columns } = useBodySize()
  const global = GLOBAL_KEYS.filter(k => globals === 'all' || FIRST_RUN_KEYS.has(k.keys))
  const row = (k: KeyHelp): React.JSX.Element => (
    <Box key={k.keys}><Box width={14} flexShrink={0}><Text color='cyan'>{k.keys}</Text></Box><Text>{k.what}</Text></Box>
  )
  const height = (ks: KeyHelp[], border: number): number => ks.reduce((n, k) => n + linesOf(k.what, columns - 14 - border), 0)
  // border 2, two titles, two closing lines
  const full = height(keys, 4) + height(global, 4) + 6 <= rows
  const compact = global.map(k => `${k.keys} ${k.what.split(/[:(;]/)[0].trim()}`).join(' · ')
  return (
    <Box flexDirection='column' borderStyle={full ? 'round' : undefined} paddingX={full ? 1 : 0}>
      <Text bold>Help — {screen}</Text>
      {keys.map(row)}
      <Text bold>Everywhere</Text>
      {full ? global.map(row) : <Text>{compact}</Text>}
      <Text dimColor>Every action here is also a command: run `p2print --help` in a shell.</Text>
      <Text dimColor>Press ? or Esc to close.</Text>
    </Box>
  )
}
