// A labelled one-line text field (display only: the form that owns it edits the value, see editText).
import { Box, Text } from 'ink'

export function TextField ({ label, value, focused, error, hint, width = 12, mask = false, errorWrap = 'wrap' }: { label: string, value: string, focused: boolean, error?: string, hint?: string, width?: number, mask?: boolean, errorWrap?: 'wrap' | 'truncate-end' }): React.JSX.Element {
  return (
    <Box flexDirection='column'>
      <Box>
        <Box width={width} flexShrink={0}><Text color={focused ? 'cyan' : undefined}>{focused ? '›' : ' '} {label}</Text></Box>
        <Text inverse={focused && value === ''}>{mask ? '•'.repeat(value.length) : value}{focused ? '▏' : ''}</Text>
        {hint !== undefined && value === '' && !focused ? <Text dimColor> {hint}</Text> : null}
      </Box>
      {error !== undefined ? <Box marginLeft={width}><Text color='red' wrap={errorWrap}>{error}</Text></Box> : null}
    </Box>
  )
}

// Applies one key to a text value: printable input is appended, backspace/delete removes the last character.
export function editText (value: string, input: string, key: { backspace?: boolean, delete?: boolean, ctrl?: boolean, meta?: boolean }): string {
  if (key.backspace === true || key.delete === true) return value.slice(0, -1)
  if (key.ctrl === true && input === 'u') return ''
  if (key.ctrl === true || key.meta === true) return value
  // pasted text may arrive as one chunk; drop control characters (newlines in a one-line field)
  const clean = input.replace(/[\u0000-\u001f\u007f]/g, '')
  return value + clean
}
