// First run (no market in this storage): create a market or join one by its key; then, if this run created the
// wallet, its recovery phrase once.
import { useLayoutEffect } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import { TextField, editText } from '../components/TextField.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import { run, type ScreenProps } from './types.js'
import { useRefState } from '../components/useRefState.js'

export const FIRST_KEYS: KeyHelp[] = [
  { keys: 'c', what: 'create a new market (you become its first indexer)' },
  { keys: 'j', what: 'join a market: paste its key' },
  { keys: 'Enter', what: 'confirm' }
]

type Step = { s: 'choose' } | { s: 'create', name: string } | { s: 'join', key: string } | { s: 'mnemonic', words: string }

export function FirstRun (p: ScreenProps & { walletCreated: boolean, storage: string, onDone: () => void }): React.JSX.Element {
  const [step, setStepState, stepRef] = useRefState<Step>({ s: 'choose' })
  const setStep = (s: Step): void => { setStepState(s); p.setTyping(s.s === 'create' || s.s === 'join') }
  const typing = step.s === 'create' || step.s === 'join'
  useLayoutEffect(() => { p.setTyping(typing); return () => p.setTyping(false) }, [typing, p.setTyping])

  const finish = async (): Promise<void> => {
    if (p.walletCreated) {
      const words = await p.core.mnemonic().catch(() => null)
      if (words !== null) { setStep({ s: 'mnemonic', words }); return }
    }
    p.onDone()
  }

  useKeys((input, key) => {
    const step = stepRef.current
    if (step.s === 'choose') {
      if (input === 'c') setStep({ s: 'create', name: '' })
      else if (input === 'j') setStep({ s: 'join', key: '' })
      return
    }
    if (step.s === 'mnemonic') { if (key.return) p.onDone(); return }
    if (key.escape) { setStep({ s: 'choose' }); p.say(null); return }
    if (key.return) {
      if (step.s === 'create') void run(p.say, 'creating the market…', () => p.core.createMarket(step.name), () => 'market created').then(r => { if (r !== null) void finish() })
      else void run(p.say, 'joining the market…', () => p.core.joinMarket(step.key), () => 'market joined: catching up in the background').then(r => { if (r !== null) void finish() })
      return
    }
    if (step.s === 'create') setStep({ s: 'create', name: editText(step.name, input, key) })
    else setStep({ s: 'join', key: editText(step.key, input, key) })
  }, { isActive: p.active })

  return (
    <Box flexDirection='column'>
      <Text bold>Welcome to p2print</Text>
      <Text dimColor>storage: {p.storage}</Text>
      {step.s === 'choose'
        ? <Box flexDirection='column' marginTop={1}><Text>There is no market in this storage yet.</Text><Text>  <Text color='cyan'>c</Text>  create a new market</Text><Text>  <Text color='cyan'>j</Text>  join a market (paste the key its creator shared)</Text></Box>
        : null}
      {step.s === 'create' ? <Box flexDirection='column' marginTop={1}><TextField label='name' width={8} value={step.name} focused hint='optional' /><Text dimColor>Enter create · Esc back</Text></Box> : null}
      {step.s === 'join' ? <Box flexDirection='column' marginTop={1}><TextField label='key' width={8} value={step.key} focused /><Text dimColor>Enter join · Esc back</Text></Box> : null}
      {step.s === 'mnemonic'
        ? (
          <Box flexDirection='column' marginTop={1} borderStyle='double' borderColor='yellow' paddingX={1}>
            <Text color='yellow' bold>Your wallet was just created. Write these words down and keep them secret:</Text>
            <Text bold>{step.words}</Text>
            <Text color='yellow'>Anyone with them can spend your escrow funds; without them a lost storage means lost funds.</Text>
            <Text color='yellow'>This is the only time they are shown here (`p2print wallet mnemonic` shows them again).</Text>
            <Text dimColor>Press Enter when you have written them down.</Text>
          </Box>
          )
        : null}
    </Box>
  )
}
