// The terminal's size, and the part of it a screen may use: the app shell measures what its header, message line and
// status bar take and gives each screen the rest (BodySize), so a frame never grows taller than the terminal (a
// taller frame scrolls the header off and leaves stale lines behind). Rows are Infinity when not drawing to a
// terminal (tests, a pipe): then nothing is cut.
import { createContext, useContext, useEffect, useState } from 'react'
import { Box, Text, useStdout } from 'ink'

export interface Size { columns: number, rows: number }

export function useTerminalSize (): Size {
  const { stdout } = useStdout()
  const read = (): Size => ({ columns: stdout.columns > 0 ? stdout.columns : 80, rows: stdout.rows > 0 ? stdout.rows : Infinity })
  const [size, setSize] = useState(read)
  useEffect(() => {
    const onResize = (): void => setSize(read())
    stdout.on('resize', onResize)
    return () => { stdout.off('resize', onResize) }
  }, [stdout])
  return size
}

export const BodySize = createContext<Size>({ columns: 80, rows: Infinity })

export function useBodySize (): Size {
  return useContext(BodySize)
}

// How many terminal lines a text takes at this width (one character, one column: close enough for the app's text).
export function linesOf (text: string, columns: number): number {
  return text.split('\n').reduce((n, l) => n + Math.max(1, Math.ceil([...l].length / Math.max(1, columns))), 0)
}

// A screen's column at the rows it may use: the parts in <Clip> give up their last lines when the rest does not
// fit; everything else (titles, action lists, the key line) keeps its rows.
export function Screen ({ children }: { children: React.ReactNode }): React.JSX.Element {
  const { rows } = useBodySize()
  return <Box flexDirection='column' height={Number.isFinite(rows) ? rows : undefined}>{children}</Box>
}

export function Clip ({ children, marginTop }: { children: React.ReactNode, marginTop?: number }): React.JSX.Element {
  return (
    <Box flexDirection='column' flexShrink={1} overflow='hidden' marginTop={marginTop}>
      <Box flexDirection='column' flexShrink={0}>{children}</Box>
    </Box>
  )
}

// Keeps its rows (a line that must stay visible: a title, a prompt, the key line).
export function Keep ({ children, marginTop }: { children: React.ReactNode, marginTop?: number }): React.JSX.Element {
  return <Box flexDirection='column' flexShrink={0} marginTop={marginTop}>{children}</Box>
}

// A screen's key line: as many of its items as fit on one line, in order; "? all keys" when some did not fit.
export function KeyLine ({ items }: { items: string[] }): React.JSX.Element {
  const { columns } = useBodySize()
  const width = (s: string): number => [...s].length
  let line = items.join(' · ')
  if (width(line) > columns) {
    const more = ' · ? all keys'
    line = ''
    for (const item of items) {
      const next = line === '' ? item : `${line} · ${item}`
      if (width(next) + more.length <= columns) line = next
    }
    line += more
  }
  return <Box flexShrink={0}><Text dimColor wrap='truncate-end'>{line}</Text></Box>
}
