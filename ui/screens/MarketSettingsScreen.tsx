// The market's escrow settings (`p2print market settings`): everyone sees them; its creator changes them in a form
// checked as it is typed (the chain is set once; arbitrators as ID:PUBKEY, the line `p2print id` prints).
import { useEffect, useState } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import type { SettingsDraft } from '../../lib/app.js'
import { LineForm } from '../components/LineForm.js'
import { KeyLine } from '../components/useSize.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import { run, type ScreenProps } from './types.js'
import { useMarketDetail } from './MarketInfoScreen.js'
import { useRefState } from '../components/useRefState.js'

export const SETTINGS_KEYS: KeyHelp[] = [
  { keys: 'e  Enter', what: 'change the settings (the market\'s creator only)' },
  { keys: 'Tab ↑ ↓', what: 'in the form: move between the fields' },
  { keys: 'Ctrl-S', what: 'in the form: save (Enter on the last field too)' },
  { keys: 'Esc', what: 'close the form, then back' }
]

const FIELDS: Array<{ name: keyof SettingsDraft, label: string, hint: string }> = [
  { name: 'chain', label: 'chain', hint: 'none, mainnet, testnet, signet or regtest (set once)' },
  { name: 'arbitrators', label: 'arbitrators', hint: 'ID:PUBKEY … (`p2print id` on each arbitrator)' },
  { name: 'mediators', label: 'mediators', hint: 'IDs (none: anyone may register)' },
  { name: 'depositPct', label: 'deposit %', hint: 'of the bounty, from each side' },
  { name: 'arbitrationFeePct', label: 'arb. fee %', hint: 'of the bounty' },
  { name: 'fundingDepth', label: 'fund depth', hint: 'confirmations' },
  { name: 'fundingTimeoutSecs', label: 'fund timeout', hint: 'seconds' },
  { name: 'refundDelayBlocks', label: 'refund delay', hint: 'blocks' },
  { name: 'admissionBits', label: 'admission', hint: 'bits of work a new writer proves (0: none)' },
  { name: 'deliveryDays', label: 'delivery', hint: 'days a client has after a ship to complete or dispute' },
  { name: 'blindPeers', label: 'blind peers', hint: 'keys (`p2print blind-peer`) every peer asks to keep its data' }
]

export function MarketSettingsScreen (p: ScreenProps): React.JSX.Element {
  const [reload, setReload] = useState(0)
  const { detail: d, error } = useMarketDetail(p, reload)
  const [editing, setEditingState, editingRef] = useRefState(false)
  const setEditing = (v: boolean): void => { setEditingState(v); p.setTyping(v) }
  const [typed, setTyped] = useState<Record<string, string> | null>(null) // a refused save opens the form on it again
  useEffect(() => () => p.setTyping(false), [p.setTyping])

  useKeys((input, key) => {
    if (editingRef.current || d === null) return
    if (input === 'e' || key.return) {
      if (d.creator) { p.say(null); setEditing(true) } else p.say({ kind: 'error', text: 'only the market\'s creator sets its escrow settings: you joined this market' })
    } else if (input === 'r') setReload(n => n + 1)
  }, { isActive: p.active })

  if (d === null) return error !== null ? <Text color='red' wrap='truncate-end'>✗ {error} — Esc back</Text> : <Text dimColor>reading the settings…</Text>
  const s = d.settings
  const save = (v: Record<string, string>): void => {
    setEditing(false)
    setTyped(v)
    void run(p.say, 'saving the settings…', () => p.core.markets.setSettings(v as unknown as SettingsDraft), r => `settings saved: chain ${r.chain === '' ? 'none' : r.chain}, ${r.arbitrators.length} arbitrator(s), deposit ${r.depositPct} %`).then(r => {
      if (r === null) setEditing(true)
      else { setTyped(null); setReload(n => n + 1) }
    })
  }
  return (
    <Box flexDirection='column'>
      <Text bold wrap='truncate-end'>Escrow settings{d.creator ? '' : <Text dimColor> · set by the market's creator</Text>}</Text>
      {editing
        ? <LineForm fields={FIELDS} initial={typed ?? { ...d.draft }} width={15} active={p.active} validate={v => p.core.markets.validateSettings(v as unknown as SettingsDraft, s.chain)} onSubmit={save} onCancel={() => { setEditing(false); setTyped(null); p.say(null) }} onInvalid={(f, e) => p.say({ kind: 'error', text: `fix the ${f.label} first: ${e}` })} footer='Tab next · Ctrl-S save · Esc cancel' />
        : (
          <Box flexDirection='column'>
            <Text wrap='truncate-end'>chain        {s.chain === '' ? 'none (no escrow: jobs are paid outside p2print)' : `${s.chain}${d.creator ? ' (set once: it cannot change)' : ''}`}</Text>
            <Text wrap='truncate-end'>arbitrators  {s.arbitrators.length === 0 ? 'none' : ''}</Text>
            {s.arbitrators.map(a => <Text key={a.id} wrap='truncate-end'>  {a.id} {a.pubkey.slice(0, 12)}…</Text>)}
            <Text wrap='truncate-end'>mediators    {s.mediators.length === 0 ? 'none named: any peer may register' : ''}</Text>
            {s.mediators.map(m => <Text key={m} wrap='truncate-end'>  {m}</Text>)}
            <Text wrap='truncate-end'>deposits     {s.depositPct} % of the bounty from each side; arbitration fee {s.arbitrationFeePct} %</Text>
            <Text wrap='truncate-end'>funding      {s.fundingDepth} confirmation(s), within {Math.round(s.fundingTimeoutSecs / 60)} min of the acceptance</Text>
            <Text wrap='truncate-end'>refund       after {s.refundDelayBlocks} blocks (about {Math.round(s.refundDelayBlocks / 144)} days)</Text>
            <Text wrap='truncate-end'>delivery     {s.deliveryDays} days after a ship to complete or dispute, then the printer is paid</Text>
            <Text wrap='truncate-end'>blind peers  {s.blindPeers.length === 0 ? 'none named' : s.blindPeers.map(k => k.slice(0, 8)).join(' ')}</Text>
            <Text wrap='truncate-end'>new writers  {s.admissionBits === 0 ? 'admitted on their first op' : `prove ${s.admissionBits} bits of work first`}</Text>
            <Box marginTop={1}><Text dimColor wrap='truncate-end'>{d.creator ? 'You created this market: e changes the settings.' : 'Only the market\'s creator changes them.'}</Text></Box>
            <KeyLine items={[...(d.creator ? ['e change'] : []), 'r refresh', 'Esc back']} />
          </Box>
          )}
    </Box>
  )
}
