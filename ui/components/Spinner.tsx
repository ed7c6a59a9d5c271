// A small spinner for work in progress (syncing, connecting).
import { useEffect, useState } from 'react'
import { Text } from 'ink'

export const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

export function Spinner ({ color = 'cyan' }: { color?: string }): React.JSX.Element {
  const [i, setI] = useState(0)
  useEffect(() => {
    const timer = setInterval(() => setI(x => (x + 1) % SPINNER_FRAMES.length), 100)
    return () => clearInterval(timer)
  }, [])
  return <Text color={color}>{SPINNER_FRAMES[i]}</Text>
}
