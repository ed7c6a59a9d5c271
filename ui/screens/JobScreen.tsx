// Job page: every field, the model summary, the client's record, the escrow, and the actions allowed to this peer.
import { useEffect, useState, useLayoutEffect } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import { acceptDeposit, proposalAccepted, actionDone, type JobDetail, type ActionInfo } from '../../lib/app.js'
import { ActionList } from '../components/ActionList.js'
import { DisputeBox } from '../components/DisputeBox.js'
import { useJobExtras, EXTRA_KEYS } from './JobExtras.js'
import { useAddress, AddressLines, AddressForm } from '../components/AddressPanel.js'
import { TextField, editText } from '../components/TextField.js'
import { fmtBytes, fmtRating } from '../components/JobTable.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import { run, type ScreenProps } from './types.js'
import { useRefState } from '../components/useRefState.js'
import { Clip, KeyLine, Keep, Screen, useBodySize } from '../components/useSize.js'

export const JOB_KEYS: KeyHelp[] = [
  { keys: '↑ ↓', what: 'select an action' },
  { keys: 'Enter', what: 'run the selected action (asks to confirm, or for a note/reason)' },
  { keys: 'c', what: 'timeline and chat (client and printer)' },
  { keys: 'e', what: 'edit the job (its client, while it is open)' },
  { keys: 'x', what: 'the whole escrow: amounts, signatures, funding, payouts, deadlines' },
  { keys: 'o', what: 'quotes and offers: a printer quotes; the client takes a quote or counters it' },
  { keys: 'a', what: 'the client: give or correct the shipping address (encrypted to the printer) once the job is active' },
  ...EXTRA_KEYS,
  { keys: 'Esc', what: 'back' }
]

// on a short terminal each field keeps to one line (the page shows more of them)
function Field ({ name, children }: { name: string, children: React.ReactNode }): React.JSX.Element {
  const short = useBodySize().rows < 40
  return <Box><Box width={14} flexShrink={0}><Text dimColor>{name}</Text></Box><Text wrap={short ? 'truncate-end' : 'wrap'}>{children}</Text></Box>
}

export function JobDetails ({ d }: { d: JobDetail }): React.JSX.Element {
  const j = d.job
  const s = j.file?.summary
  const cr = j.clientRecord
  return (
    <Box flexDirection='column'>
      <Text bold>{j.title} <Text color='cyan'>[{j.status}]</Text>{j.confirmed ? '' : <Text color='yellow'> (not yet confirmed)</Text>}</Text>
      <Field name='id'>{j.id}</Field>
      <Field name='material'>{j.material}{j.colors.length > 0 ? ` · ${j.colors.join(', ')}` : ''}</Field>
      <Field name='bounty'>{j.openToQuotes && j.bountySats === 0 ? 'none: open to quotes' : `${j.bountyBtc} BTC${j.openToQuotes ? ' (a guide: open to quotes)' : ''}`}</Field>
      {j.quotes > 0 || j.offer != null ? <Field name='quotes'>{j.quotes} live{j.offer != null ? ` · offer ${j.offer.priceBtc} BTC, ${j.offer.leadDays} days to ${j.offer.printer.slice(0, 8)}` : ''} · o to see them</Field> : null}
      {j.leadDays > 0 && j.status !== 'open' ? <Field name='lead time'>{j.leadDays} days (agreed)</Field> : null}
      <Field name='ship to'>{j.country}</Field>
      <Field name='client'>{j.client.slice(0, 12)}{d.role === 'client' ? ' (you)' : ''}{cr !== undefined ? ` · ${fmtRating(cr.rating.average, cr.rating.count)} · ${cr.asClient.completed} completed, ${cr.asClient.cancelled} cancelled, ${cr.disputesOpened} disputes opened` : ''}</Field>
      <Field name='printer'>{j.printer === null ? '—' : j.printer.slice(0, 12) + (d.role === 'printer' ? ' (you)' : '')}{j.printerRecord != null ? ` · ${fmtRating(j.printerRecord.rating.average, j.printerRecord.rating.count)} · ${j.printerRecord.asPrinter.completed} printed` : ''}</Field>
      <Field name='posted'>{j.createdAt}{j.updates > 0 ? ` · edited ${j.updates}×` : ''}</Field>
      {j.notes !== '' ? <Field name='notes'>{j.notes}</Field> : null}
      {j.file !== null && s !== undefined
        ? <Field name='model'>{j.file.name} · {fmtBytes(j.file.byteLength)} · {s.kind} · {s.models} model(s) · {s.facets} facets · {s.sizeMm.map(x => x.toFixed(1)).join('×')} mm · {s.volumeCm3.toFixed(1)} cm³ · {s.closed && s.manifold ? 'watertight' : 'NOT watertight'}{s.fits.length > 0 ? ` · fits ${s.fits.slice(0, 3).join(', ')}` : ''}</Field>
        : <Field name='model'>no file attached</Field>}
      {j.escrow !== null ? <EscrowBox d={d} /> : d.escrowChain !== '' ? <Field name='escrow'>on {d.escrowChain}, set up when a printer accepts</Field> : <Field name='escrow'>none (this market has no escrow)</Field>}
      {d.dispute !== null ? <Box><Box width={14} flexShrink={0}><Text dimColor>dispute</Text></Box><DisputeBox d={d.dispute} /></Box> : null}
    </Box>
  )
}

function EscrowBox ({ d }: { d: JobDetail }): React.JSX.Element {
  const e = d.job.escrow!
  const a = e.amounts
  return (
    <Box flexDirection='column'>
      <Field name='escrow'>{e.state} on {d.escrowChain}{e.address !== null ? ` · ${e.address}` : ''}{e.fundingTxid !== null ? ` · funding ${e.fundingTxid.slice(0, 16)}…` : ''}{e.fundingDepth !== null ? ` · ${e.fundingDepth}/${e.requiredDepth} conf.` : ''}</Field>
      {a !== null ? <Field name='amounts'>bounty {a.bountySats} · deposits {a.depositPct}% (client {a.clientDepositSats}, printer {a.printerDepositSats}) · client in {a.clientInSats} · printer in {a.printerInSats} · total {a.totalSats} sats</Field> : null}
      {e.paths.map(p => <Field key={p.kind} name={'  ' + p.kind}>{p.outputs.map(o => `${o.role} ${o.valueSats}`).join(', ')} · fee {p.feeSats} sats</Field>)}
      <Field name='deadlines'>lapses {e.deadlines.lapseAt}{e.deadlines.lockHeight !== null ? ` · refund from height ${e.deadlines.lockHeight}` : ''}{e.deadlines.tipHeight !== null ? ` (tip ${e.deadlines.tipHeight})` : ''}{e.deadlines.shipBy != null ? ` · ship by ${e.deadlines.shipBy}` : ''}{e.deadlines.releaseAt != null ? ` · printer paid at ${e.deadlines.releaseAt} unless disputed` : ''}</Field>
      {e.milestones !== undefined ? <Field name='milestones'>{e.milestones.map((m, i) => `${i + 1}. ${m.label} ${m.pct}%${m.released ? ' ✓' : ''}`).join(' · ')} · released {e.releasedSats} · locked {e.lockedSats} sats</Field> : null}
      {e.payout !== null ? <Field name='payout'>{e.payout.kind} · {e.payout.txid}</Field> : null}
    </Box>
  )
}

// Loads a job, refreshes it on every market update.
export function useJob (core: ScreenProps['core'], id: string, version: number): { d: JobDetail | null, error: string | null, reload: () => void } {
  const [d, setD] = useState<JobDetail | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [n, setN] = useState(0)
  useEffect(() => {
    let live = true
    core.getJob(id).then(v => { if (live) { setD(v); setError(null) } }, (err: Error) => { if (live) setError(err.message) })
    return () => { live = false }
  }, [core, id, version, n])
  return { d, error, reload: () => setN(x => x + 1) }
}

// The action list with its confirm / text prompt: shared by the job page and the active job.
export function useActions (p: ScreenProps, id: string, d: JobDetail | null, reload: () => void, enabled: boolean): { view: React.JSX.Element, typing: boolean, busy: boolean } {
  const [sel, setSel, selRef] = useRefState(0)
  const [pending, setPendingState, pendingRef] = useRefState<ActionInfo | null>(null)
  const setPending = (a: ActionInfo | null): void => { setPendingState(a); p.setTyping(a !== null) } // a confirm prompt owns y, n and Esc
  const [text, setText, textRef] = useRefState('')
  const actions = d?.actions ?? []
  const typing = pending !== null && pending.needsText !== 'none'
  useKeys((input, key) => {
    const pending = pendingRef.current
    const text = textRef.current
    const sel = selRef.current
    if (pending !== null) {
      if (key.escape) { setPending(null); setText(''); return }
      const go = pending.needsText === 'none' ? (input === 'y' || key.return) : key.return
      if (go) {
        if (pending.needsText === 'required' && text.trim() === '') { p.say({ kind: 'error', text: `${pending.action} needs a reason: type what went wrong, then Enter` }); return }
        const a = pending
        setPending(null)
        setText('')
        void run(p.say, `${a.action}…`, () => p.core.act(id, a.action, text.trim()), j => a.action === 'accept-proposal' ? proposalAccepted(j.dispute, d?.role ?? '') : actionDone(a.action, j.status)).then(reload)
        return
      }
      if (pending.needsText === 'none') { if (input === 'n') setPending(null); return }
      setText(t => editText(t, input, key))
      return
    }
    if (key.downArrow) setSel(s => Math.min(s + 1, actions.length - 1))
    else if (key.upArrow) setSel(s => Math.max(s - 1, 0))
    else if (key.return && actions[sel] !== undefined) { setPending(actions[sel]); p.say(null) }
  }, { isActive: p.active && enabled })
  const view = (
    <Box flexDirection='column'>
      <ActionList actions={actions} selected={Math.min(sel, Math.max(0, actions.length - 1))} focused={enabled} />
      {pending !== null && pending.needsText === 'none'
        ? (
          <Box flexDirection='column'>
            {pending.action === 'accept' && d !== null && acceptDeposit(d, p.core.state().market) !== null ? <Text>{acceptDeposit(d, p.core.state().market)}</Text> : null}
            <Text color='yellow'>{pending.label}? press y or Enter to confirm, n or Esc to cancel</Text>
          </Box>
          )
        : null}
      {pending !== null && pending.needsText !== 'none'
        ? <Box flexDirection='column'><TextField label={pending.action === 'dispute' ? 'reason' : 'note'} width={8} value={text} focused /><Text dimColor>Enter {pending.action} · Esc cancel{pending.needsText === 'optional' ? ' · the note may be empty' : ''}</Text></Box>
        : null}
    </Box>
  )
  return { view, typing, busy: pending !== null }
}

export function JobScreen (p: ScreenProps & { id: string }): React.JSX.Element {
  const { d, error, reload } = useJob(p.core, p.id, p.version)
  const address = useAddress(p.core, p.id, d?.job.status, d?.role, p.version)
  const [addressing, setAddressing] = useState(false)
  // the action prompt and the extras' forms take turns with the keyboard
  const [actionsBusy, setActionsBusy] = useState(false)
  const extras = useJobExtras(p, p.id, d, reload, !actionsBusy && !addressing)
  const { view, typing: actionTyping, busy } = useActions(p, p.id, d, reload, !extras.typing && !addressing)
  useLayoutEffect(() => setActionsBusy(busy), [busy])
  const typing = actionTyping || extras.typing || addressing
  useLayoutEffect(() => { p.setTyping(typing); return () => p.setTyping(false) }, [typing, p.setTyping])
  useKeys((input) => {
    if (input === 'c' && d !== null) {
      if (d.role === 'other' || d.job.printer === null) p.say({ kind: 'error', text: 'the timeline and chat open for the job\'s client and printer once a printer has accepted it' })
      else p.go({ name: 'active', id: p.id })
    } else if (input === 'e' && d !== null) {
      if (d.role === 'client' && d.job.status === 'open') { p.say(null); p.go({ name: 'edit', id: p.id }) } else p.say({ kind: 'error', text: d.role === 'client' ? `a job is edited while it is open; this one is ${d.job.status}` : 'only the job\'s client can edit it' })
    } else if (input === 'a' && d !== null) {
      if (d.role === 'client' && d.job.status === 'active') { p.say(null); setAddressing(true) } else p.say({ kind: 'error', text: d.role === 'client' ? `the shipping address is given while the job is active (its escrow funded); this one is ${d.job.status}` : 'only the job\'s client gives its shipping address' })
    } else if (input === 'o' && d !== null) {
      p.say(null)
      p.go({ name: 'quotes', id: p.id })
    } else if (input === 'x' && d !== null) {
      if (d.job.escrow !== null) { p.say(null); p.go({ name: 'escrow', id: p.id }) } else p.say({ kind: 'error', text: d.escrowChain === '' ? 'this market has no escrow' : 'no escrow yet: it is set up when a printer accepts the job' })
    }
  }, { isActive: p.active && !typing && !busy })
  if (error !== null && d === null) return <Text color='red'>✗ {error} — press Esc to go back</Text>
  if (d === null) return <Text dimColor>loading job {p.id}…</Text>
  const j = d.job
  return (
    <Screen>
      {extras.preview === null
        ? <Clip><JobDetails d={d} /><AddressLines a={address} /></Clip>
        : <Keep><Text bold wrap='truncate-end'>{j.title} <Text color='cyan'>[{j.status}]</Text> <Text dimColor>{j.id}</Text></Text></Keep>}
      {addressing
        ? <Keep marginTop={1}><AddressForm core={p.core} start={address} active={p.active} say={p.say} onCancel={() => setAddressing(false)} onSubmit={(a) => { setAddressing(false); void run(p.say, 'sealing your address…', () => p.core.jobTools.setAddress(p.id, a), () => 'address sealed to the printer').then(reload) }} /></Keep>
        : null}
      <Keep marginTop={1}>{view}</Keep>
      {busy ? null : <Keep>{extras.view}</Keep>}
      {busy || extras.preview === null ? null : <Clip>{extras.preview}</Clip>}
      {/* the first keys are what fits in 80 columns: live quotes and a model's download before the rest */}
      <KeyLine items={['↑↓ Enter action', 'c chat', `v ${extras.preview === null ? 'view' : 'hide'} model`, ...(j.quotes > 0 ? [`o quotes (${j.quotes})`] : []), ...(j.file !== null ? ['g download'] : []), ...(d.role === 'client' && j.status === 'open' ? ['e edit'] : []), ...(j.escrow !== null ? ['x escrow'] : []), ...(d.role === 'client' && j.status === 'active' ? ['a address'] : []), ...(j.status === 'open' && j.quotes === 0 ? ['o quotes'] : []), ...(j.file === null ? ['g download'] : []), 'r review', 'Esc back']} />
    </Screen>
  )
}
