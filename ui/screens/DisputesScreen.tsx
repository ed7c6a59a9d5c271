// Disputes and mediation: register as a mediator; the disputes this peer mediates (propose a split before the
// deadline), is a party to (accept or reject the proposal) or arbitrates (rule once mediation has failed).
import { useEffect, useState, useLayoutEffect } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import { proposalAccepted, type DisputesInfo, type DisputeRow, type MediatorInfo } from '../../lib/app.js'
import { Form, type FormValues } from '../components/Form.js'
import { DisputeBox } from '../components/DisputeBox.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import { run, type ScreenProps } from './types.js'
import { useRefState } from '../components/useRefState.js'
import { Clip, KeyLine, Keep, Screen } from '../components/useSize.js'

export const DISPUTE_KEYS: KeyHelp[] = [
  { keys: '↑ ↓', what: 'select a dispute' },
  { keys: 'Enter', what: 'mediator: propose a split (printer % + note) · arbitrator: rule (printer % + note)' },
  { keys: 'a', what: 'client or printer: accept the mediator\'s proposal (asks to confirm)' },
  { keys: 'x', what: 'client or printer: reject the proposal, with a note (the arbitrator decides)' },
  { keys: 'r', what: 'register as a mediator, or change your fee (a % of the bounty)' },
  { keys: 'o', what: 'open the selected dispute\'s job page' },
  { keys: 'Esc', what: 'close a form, then back' }
]

type Mode =
  | { m: 'view' }
  | { m: 'register' }
  | { m: 'propose', id: string }
  | { m: 'rule', id: string }
  | { m: 'reject', id: string }
  | { m: 'accept', id: string }
  | { m: 'busy' }

const PCT_FIELDS = [
  { name: 'pct', label: 'printer %', hint: 'the printer\'s share of the bounty, 0 to 100' },
  { name: 'note', label: 'note', hint: 'why (optional)' }
]

export function DisputesScreen (p: ScreenProps): React.JSX.Element {
  const [info, setInfo] = useState<DisputesInfo | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [reload, setReload] = useState(0)
  const [sel, setSel, selRef] = useRefState(0)
  const [mode, setModeState, modeRef] = useRefState<Mode>({ m: 'view' })
  const setMode = (m: Mode): void => { setModeState(m); p.setTyping(m.m !== 'view') }
  const [rows, setRows, rowsRef] = useRefState<DisputeRow[]>([])

  useEffect(() => {
    let live = true
    p.core.disputes().then(d => {
      if (!live) return
      setInfo(d)
      setRows(d.disputes)
      setSel(s => Math.min(s, Math.max(0, d.disputes.length - 1)))
      setError(null)
    }, (err: Error) => { if (live) setError(err.message) })
    return () => { live = false }
  }, [p.core, p.version, reload])
  useLayoutEffect(() => () => p.setTyping(false), [p.setTyping])

  const done = (): void => { setMode({ m: 'view' }); setReload(n => n + 1) }
  const invalid = (f: { label: string }, e: string): void => p.say({ kind: 'error', text: `fix the ${f.label} first: ${e}` })
  const cancel = (): void => { setMode({ m: 'view' }); p.say(null) }

  useKeys((input, key) => {
    const mode = modeRef.current
    const r = rowsRef.current[selRef.current]
    if (mode.m === 'accept') {
      if (input === 'y') {
        setMode({ m: 'busy' })
        const role = rowsRef.current.find(x => x.id === mode.id)?.role ?? ''
        void run(p.say, 'accepting the proposal (signing the split)…', () => p.core.answerProposal(mode.id, true), j => proposalAccepted(j.dispute, role)).then(done)
      } else if (input === 'n' || key.escape) cancel()
      return
    }
    if (mode.m !== 'view') return
    if (key.downArrow) setSel(s => Math.min(s + 1, rowsRef.current.length - 1))
    else if (key.upArrow) setSel(s => Math.max(s - 1, 0))
    else if (input === 'r') { p.say(null); setMode({ m: 'register' }) } else if (input === 'o' && r !== undefined) p.go({ name: 'job', id: r.id })
    else if (key.return && r !== undefined) {
      if (r.moves.includes('propose')) { p.say(null); setMode({ m: 'propose', id: r.id }) } else if (r.moves.includes('rule')) { p.say(null); setMode({ m: 'rule', id: r.id }) } else p.say({ kind: 'error', text: whyNot(r) })
    } else if (input === 'a' && r !== undefined) {
      if (r.moves.includes('accept')) { p.say(null); setMode({ m: 'accept', id: r.id }) } else p.say({ kind: 'error', text: whyNot(r) })
    } else if (input === 'x' && r !== undefined) {
      if (r.moves.includes('reject')) { p.say(null); setMode({ m: 'reject', id: r.id }) } else p.say({ kind: 'error', text: whyNot(r) })
    }
  }, { isActive: p.active })

  const selected = rows[Math.min(sel, rows.length - 1)]
  return (
    <Screen>
      <Keep><Text bold>Disputes and mediation</Text></Keep>
      <Clip>
        {error !== null ? <Text color='red'>✗ {error}</Text> : null}
        {info === null && error === null ? <Text dimColor>loading disputes…</Text> : null}
        {info !== null ? <Mediator m={info.mediator} maxFeePct={info.maxFeePct} rules={info.rules} /> : null}
      </Clip>
      {mode.m === 'register'
        ? <Keep><Form fields={[{ name: 'fee', label: 'fee %', hint: `a whole % of the bounty, 0 to ${info?.maxFeePct ?? 5}` }]} initial={{ fee: info?.mediator !== null && info?.mediator !== undefined ? String(info.mediator.feePct) : '' }} width={8} active={p.active} validate={v => ({ fee: p.core.validatePct(v.fee, 'fee') ?? undefined })} onCancel={cancel} onFixed={() => p.say(null)} onInvalid={invalid} onSubmit={(v: FormValues) => { setMode({ m: 'busy' }); void run(p.say, 'registering…', () => p.core.registerMediator(v.fee), m => `registered as a mediator with a fee of ${m.feePct} %`).then(done) }} /></Keep>
        : null}
      {info !== null
        ? (
          <Clip marginTop={1}>
            <Text bold>Your disputes</Text>
            {rows.length === 0 ? <Text dimColor>  none: disputes you mediate, are a party to or arbitrate appear here</Text> : null}
            {rows.map((r, i) => (
              <Text key={r.id} inverse={i === sel} wrap='truncate-end'>{i === sel ? '› ' : '  '}{r.title.slice(0, 24).padEnd(24)} {r.bountyBtc.padStart(11)} BTC  {('you: ' + r.role).padEnd(15)} {(r.dispute?.stage ?? 'arbitration').padEnd(11)} {r.moves.length > 0 ? `→ ${r.moves.join(' / ')}` : ''}</Text>
            ))}
          </Clip>
          )
        : null}
      {selected !== undefined && mode.m === 'view'
        ? <Clip marginTop={1}>{selected.dispute !== null ? <DisputeBox d={selected.dispute} /> : <Text>no mediation: the arbitrator rules</Text>}</Clip>
        : null}
      {selected !== undefined && mode.m === 'view' ? <Keep><Text dimColor>{hint(selected)}</Text></Keep> : null}
      {mode.m === 'propose' || mode.m === 'rule'
        ? (
          <Keep marginTop={1}>
            <Text color='yellow'>{mode.m === 'propose' ? 'Propose a split: the printer gets this share of the bounty, the client the rest' : 'Rule: the printer gets this share of the bounty, the client the rest'}</Text>
            <Form fields={PCT_FIELDS} width={12} active={p.active} validate={v => ({ pct: p.core.validatePct(v.pct, 'printer') ?? undefined })} onCancel={cancel} onFixed={() => p.say(null)} onInvalid={invalid} onSubmit={v => {
              const id = mode.id
              setMode({ m: 'busy' })
              if (mode.m === 'propose') void run(p.say, 'proposing…', () => p.core.propose(id, v.pct, v.note), () => `proposed: the printer gets ${v.pct.trim()} %; both sides have 48 h to answer`).then(done)
              else void run(p.say, 'ruling (signing the payout)…', () => p.core.rule(id, v.pct, v.note), r => `ruled: the printer gets ${r.printerPct} % (payout ${r.txid.slice(0, 16)}…)`).then(done)
            }} />
          </Keep>
          )
        : null}
      {mode.m === 'reject'
        ? (
          <Keep marginTop={1}>
            <Text color='yellow'>Reject the proposal: the dispute goes to the arbitrator</Text>
            <Form fields={[{ name: 'note', label: 'note', hint: 'why (optional)' }]} width={8} active={p.active} onCancel={cancel} onFixed={() => p.say(null)} onInvalid={invalid} onSubmit={v => { const id = mode.id; setMode({ m: 'busy' }); void run(p.say, 'rejecting…', () => p.core.answerProposal(id, false, v.note), () => 'proposal rejected: the arbitrator decides').then(done) }} />
          </Keep>
          )
        : null}
      {mode.m === 'accept' ? <Keep><Text color='yellow'>Accept the proposal{selected?.dispute?.proposal != null ? ` (the printer gets ${selected.dispute.proposal.printerPct} %)` : ''}? This signs the split payout. Press y to accept, n or Esc to cancel.</Text></Keep> : null}
      <KeyLine items={['↑↓ select', 'Enter propose/rule', 'a accept', 'x reject', 'r register', 'o job page', 'Esc back']} />
    </Screen>
  )
}

function Mediator ({ m, maxFeePct, rules }: { m: MediatorInfo | null, maxFeePct: number, rules: string[] }): React.JSX.Element {
  if (m === null) return <Text dimColor>You are not a mediator. Press r to register (your fee: a whole % of the bounty, at most {maxFeePct}); the market picks a mediator per dispute.</Text>
  return (
    <Box flexDirection='column'>
      <Text>You mediate: fee <Text bold>{m.feePct} %</Text> · taken {m.taken} · proposed {m.proposed} · accepted by both {m.accepted} · overturned {m.overturned} · upheld {m.upheld} · missed {m.missed}{m.avgResponseSecs !== null ? ` · avg response ${Math.round(m.avgResponseSecs / 60)} min` : ''}</Text>
      {m.revoked !== null ? <Text color='red'>revoked ({m.revoked}): you are no longer picked; your open disputes run on</Text> : <Text dimColor>revoked when: {rules.join('; ')}</Text>}
    </Box>
  )
}

function hint (r: DisputeRow): string {
  if (r.moves.includes('propose')) return 'Enter: propose a split before the deadline'
  if (r.moves.includes('rule')) return 'Enter: rule on this dispute'
  if (r.moves.includes('accept')) return 'a: accept the proposal · x: reject it'
  return whyNot(r)
}

function whyNot (r: DisputeRow): string {
  const d = r.dispute
  if (r.role === 'mediator') return d?.stage === 'mediation' ? 'the time to propose is over: the dispute goes to the arbitrator' : `nothing to do as mediator: the dispute is ${d?.stage ?? 'with the arbitrator'}`
  if (r.role === 'arbitrator') return d !== null && d.stage !== 'arbitration' ? `nothing to rule yet: the dispute is in ${d.stage} (the arbitrator rules after a rejection or a missed deadline)` : 'this dispute is already ruled'
  if (d === null) return 'the arbitrator decides this dispute'
  if (d.stage === 'mediation') return 'waiting for the mediator\'s proposal'
  if (d.stage === 'proposed') return (r.role === 'client' ? d.accepted.client : d.accepted.printer) ? 'you accepted: waiting for the other side' : 'the time to answer this proposal is over'
  return `nothing to do: the dispute is ${d.stage}`
}
