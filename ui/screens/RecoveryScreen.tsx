// The wallet's recovery phrase: shown again only after a warning (`p2print wallet mnemonic`), and a wallet restored
// from a phrase (`p2print wallet restore`): the phrase is checked, what it changes is shown and confirmed, and the
// wallet that was here is moved aside, never deleted.
import { useEffect, useState } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import type { RestoreCheck } from '../../lib/app.js'
import { LineForm } from '../components/LineForm.js'
import { KeyLine } from '../components/useSize.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import { run, type ScreenProps } from './types.js'
import { useRefState } from '../components/useRefState.js'

export const RECOVERY_KEYS: KeyHelp[] = [
  { keys: 'v', what: 'show the words (asks first: whoever sees them can take coins)' },
  { keys: 't', what: 'restore a wallet from its words (the one here is kept aside)' },
  { keys: 'y  n', what: 'answer the question on the screen' },
  { keys: 'Esc', what: 'hide the phrase / close the form, then back' }
]

type Mode =
  | { m: 'menu' }
  | { m: 'ask' }
  | { m: 'shown', words: string[], fingerprint: string }
  | { m: 'type', words: string }
  | { m: 'confirm', words: string, check: RestoreCheck }
  | { m: 'busy' }

export function RecoveryScreen (p: ScreenProps): React.JSX.Element {
  const [mode, setModeState, modeRef] = useRefState<Mode>({ m: 'menu' })
  const setMode = (m: Mode): void => { setModeState(m); p.setTyping(m.m !== 'menu') } // Esc here hides or cancels first
  const [done, setDone] = useState<string | null>(null)
  useEffect(() => () => p.setTyping(false), [p.setTyping])

  const typed = (words: string): void => {
    setMode({ m: 'busy' })
    void run(p.say, 'checking the phrase…', () => p.core.recovery.check(words), () => null).then(check => {
      setMode(check === null ? { m: 'type', words } : { m: 'confirm', words, check })
    })
  }
  const restore = (words: string): void => {
    setMode({ m: 'busy' })
    void run(p.say, 'restoring the wallet…', () => p.core.recovery.restore(words), r => r.unchanged ? `this storage holds that wallet already (fingerprint ${r.fingerprint})` : `wallet ${r.fingerprint} restored`).then(r => {
      if (r === null) { setMode({ m: 'type', words }); return }
      setDone(r.unchanged ? null : r.movedTo === null ? `Wallet ${r.fingerprint} restored.` : `Wallet ${r.fingerprint} restored. The wallet that was here is kept in\n${r.movedTo}`)
      setMode({ m: 'menu' })
    })
  }

  useKeys((input, key) => {
    const m = modeRef.current
    if (m.m === 'menu') {
      if (input === 'v') { p.say(null); setMode({ m: 'ask' }) } else if (input === 't') { p.say(null); setDone(null); setMode({ m: 'type', words: '' }) }
    } else if (m.m === 'ask') {
      if (input === 'y') {
        setMode({ m: 'busy' })
        void run(p.say, 'reading the wallet…', () => p.core.recovery.phrase(), () => null).then(r => setMode(r === null ? { m: 'menu' } : { m: 'shown', words: r.mnemonic.split(' '), fingerprint: r.fingerprint }))
      } else if (input === 'n' || key.escape) setMode({ m: 'menu' })
    } else if (m.m === 'shown') {
      if (key.escape || key.return) setMode({ m: 'menu' })
    } else if (m.m === 'confirm') {
      if (input === 'y') restore(m.words)
      else if (input === 'n' || key.escape) { setMode({ m: 'menu' }); p.say({ kind: 'info', text: 'nothing restored: the wallet here is unchanged' }) }
    }
  }, { isActive: p.active })

  return (
    <Box flexDirection='column'>
      <Text bold>Recovery phrase</Text>
      {mode.m === 'menu'
        ? (
          <Box flexDirection='column'>
            <Text wrap='truncate-end'>The 12 or 24 words are this wallet: with them it can be restored anywhere.</Text>
            <Text wrap='truncate-end'>  <Text color='cyan'>v</Text>  show them (write them down; keep them offline)</Text>
            <Text wrap='truncate-end'>  <Text color='cyan'>t</Text>  restore a wallet from its words (the one here is kept aside)</Text>
            {done !== null ? done.split('\n').map((l, i) => <Text key={i} color='green' wrap='wrap'>{l}</Text>) : null}
            <Box marginTop={1}><KeyLine items={['v show', 't restore', 'Esc back']} /></Box>
          </Box>
          )
        : null}
      {mode.m === 'ask'
        ? (
          <Box flexDirection='column' borderStyle='round' borderColor='yellow' paddingX={1}>
            <Text color='yellow' bold wrap='truncate-end'>Anyone who sees these words can take your coins</Text>
            <Text wrap='truncate-end'>and sign for every escrow this wallet is part of. p2print never sends them.</Text>
            <Text wrap='truncate-end'>Make sure nobody is watching the screen and it is not being recorded.</Text>
            <Text wrap='truncate-end'>Show the recovery phrase? <Text bold>y</Text> show · <Text bold>n</Text> no</Text>
          </Box>
          )
        : null}
      {mode.m === 'shown' ? <Words words={mode.words} fingerprint={mode.fingerprint} /> : null}
      {mode.m === 'type'
        ? (
          <Box flexDirection='column'>
            <Text wrap='truncate-end'>Type or paste the words, separated by spaces. Nothing changes until you say y.</Text>
            <LineForm fields={[{ name: 'words', label: 'words', hint: '12, 15, 18, 21 or 24 words' }]} initial={{ words: mode.words }} width={8} active={p.active} validate={v => ({ words: v.words.trim() === '' ? undefined : p.core.recovery.validate(v.words) ?? undefined })} onSubmit={v => typed(v.words)} onCancel={() => { setMode({ m: 'menu' }); p.say(null) }} onInvalid={(_f, e) => p.say({ kind: 'error', text: e })} footer='Enter check · Esc cancel' />
          </Box>
          )
        : null}
      {mode.m === 'confirm' ? <Confirm check={mode.check} /> : null}
    </Box>
  )
}

function Words ({ words, fingerprint }: { words: string[], fingerprint: string }): React.JSX.Element {
  const perColumn = Math.ceil(words.length / 4)
  const columns = Array.from({ length: 4 }, (_, c) => words.slice(c * perColumn, (c + 1) * perColumn).map((w, i) => `${String(c * perColumn + i + 1).padStart(2)}. ${w}`))
  return (
    <Box flexDirection='column' borderStyle='double' borderColor='yellow' paddingX={1}>
      <Text color='yellow' wrap='truncate-end'>Wallet {fingerprint} · write these down in order; keep them offline</Text>
      <Box>
        {columns.map((col, c) => <Box key={c} flexDirection='column' width={18}>{col.map(l => <Text key={l}>{l}</Text>)}</Box>)}
      </Box>
      <Text dimColor wrap='truncate-end'>Esc or Enter hides them.</Text>
    </Box>
  )
}

function Confirm ({ check }: { check: RestoreCheck }): React.JSX.Element {
  if (check.unchanged) {
    return (
      <Box flexDirection='column' borderStyle='round' paddingX={1}>
        <Text wrap='truncate-end'>These words are the wallet this storage holds already ({check.fingerprint}).</Text>
        <Text wrap='truncate-end'>Nothing would change. <Text bold>y</Text> fine · <Text bold>n</Text> back</Text>
      </Box>
    )
  }
  return (
    <Box flexDirection='column' borderStyle='round' borderColor='yellow' paddingX={1}>
      <Text wrap='truncate-end'>Restore wallet <Text bold>{check.fingerprint}</Text>{check.current !== null ? <> in place of <Text bold>{check.current}</Text></> : null}?</Text>
      {check.current !== null ? <Text wrap='truncate-end'>The wallet here is moved aside to wallet.json.replaced-…, never deleted.</Text> : null}
      {check.openEscrows > 0
        ? <Text color='red' wrap='truncate-end'>{check.openEscrows} escrow{check.openEscrows === 1 ? '' : 's'} of yours not paid out: only the wallet here signs for them.</Text>
        : null}
      {check.openEscrows > 0 ? <Text color='red' wrap='truncate-end'>Restore it again (its words) before they need you, or they wait.</Text> : null}
      <Text wrap='truncate-end'>The escrow engine restarts on the restored wallet. <Text bold>y</Text> restore · <Text bold>n</Text> cancel</Text>
    </Box>
  )
}
