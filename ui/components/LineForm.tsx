// A form whose fields and errors each keep to one line of the screen's width: a value longer than its field (an
// arbitrator's ID:PUBKEY, a recovery phrase) shows its end, where the typing is, after a '…'. The keys are Form's
// (useForm): Tab/↑↓ move, Enter on the last field or Ctrl-S submits, Esc cancels.
import { Box, Text } from 'ink'
import { useForm, type FormField, type FormOptions } from './Form.js'
import { useBodySize } from './useSize.js'

// The end of `value` in `width` columns (one character, one column).
export function tail (value: string, width: number): string {
  const chars = [...value]
  if (chars.length <= width) return value
  return '…' + chars.slice(chars.length - Math.max(0, width - 1)).join('')
}

export function LineField ({ f, value, focused, error, width, columns }: { f: FormField, value: string, focused: boolean, error?: string, width: number, columns: number }): React.JSX.Element {
  const room = Math.max(8, columns - width - 2)
  return (
    <Box flexDirection='column' flexShrink={0}>
      <Box>
        <Box width={width} flexShrink={0}><Text color={focused ? 'cyan' : undefined} wrap='truncate-end'>{focused ? '›' : ' '} {f.label}</Text></Box>
        <Text inverse={focused && value === ''} wrap='truncate-end'>{tail(value, room)}{focused ? '▏' : ''}</Text>
        {f.hint !== undefined && value === '' && !focused ? <Text dimColor wrap='truncate-end'> {f.hint}</Text> : null}
      </Box>
      {error !== undefined ? <Box marginLeft={width}><Text color='red' wrap='truncate-end'>{error}</Text></Box> : null}
    </Box>
  )
}

export function LineForm (p: FormOptions & { width?: number, footer?: string }): React.JSX.Element {
  const form = useForm(p)
  const { columns } = useBodySize()
  const width = p.width ?? 14
  return (
    <Box flexDirection='column' flexShrink={0}>
      {p.fields.map((f, i) => (
        <LineField key={f.name} f={f} value={form.values[f.name] ?? ''} focused={form.focus === i} width={width} columns={columns} error={form.touched[f.name] === true ? form.errors[f.name] : undefined} />
      ))}
      <Text dimColor wrap='truncate-end'>{p.footer ?? (p.fields.length > 1 ? 'Tab next field · Enter on the last field or Ctrl-S submits · Esc cancel' : 'Enter submit · Esc cancel')}</Text>
    </Box>
  )
}
