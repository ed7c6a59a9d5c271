// A QR code in the terminal: two module rows per text line with half-block characters, dark modules drawn in black
// on white whatever the terminal's colours, and a quiet zone of light modules around it so phones can read it.
import { Box, Text } from 'ink'

export const QUIET_ZONE = 4 // modules; the QR spec asks for 4

// The drawn lines (no colours): '█' both rows dark, '▀' the upper, '▄' the lower, ' ' neither.
export function qrLines (dark: boolean[][], quiet = QUIET_ZONE): string[] {
  const size = dark.length
  const at = (r: number, c: number): boolean => {
    const rr = r - quiet
    const cc = c - quiet
    return rr >= 0 && rr < size && cc >= 0 && cc < size && dark[rr][cc]
  }
  const side = size + 2 * quiet
  const lines: string[] = []
  for (let r = 0; r < side; r += 2) {
    let line = ''
    for (let c = 0; c < side; c++) {
      const top = at(r, c)
      const bottom = r + 1 < side && at(r + 1, c)
      line += top && bottom ? '█' : top ? '▀' : bottom ? '▄' : ' '
    }
    lines.push(line)
  }
  return lines
}

// The size it is drawn at: columns, and lines (two module rows per line).
export function qrSize (dark: boolean[][], quiet = QUIET_ZONE): { width: number, height: number } {
  const side = dark.length + 2 * quiet
  return { width: side, height: Math.ceil(side / 2) }
}

export function QrCode ({ dark, quiet = QUIET_ZONE }: { dark: boolean[][], quiet?: number }): React.JSX.Element {
  const lines = qrLines(dark, quiet)
  // never wrapped or squeezed by its neighbours: a wrapped line breaks the code
  return (
    <Box flexDirection='column' flexShrink={0} width={lines[0]?.length ?? 0}>
      {lines.map((l, i) => <Text key={i} color='black' backgroundColor='white' wrap='truncate'>{l}</Text>)}
    </Box>
  )
}
