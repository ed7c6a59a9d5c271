// A job's quotes (o on the job page): cheapest first, each with the printer's record. The client takes one (Enter),
// counters it (o) or takes its offer back (w); a printer quotes or replaces its quote (n) or withdraws it (w).
import { useEffect, useState, useLayoutEffect } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import { LineForm } from '../components/LineForm.js'
import type { QuotesInfo, QuoteDraft, QuoteJSON } from '../../lib/app.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import { fmtRating } from '../components/JobTable.js'
import { run, type ScreenProps } from './types.js'
import { useRefState } from '../components/useRefState.js'
import { Clip, KeyLine, Keep, Screen } from '../components/useSize.js'

export const QUOTES_KEYS: KeyHelp[] = [
  { keys: '↑ ↓', what: 'select a quote' },
  { keys: 'Enter', what: 'the job\'s client: offer the job to that printer at its quote (it accepts to make the deal)' },
  { keys: 'o', what: 'the job\'s client: a counter-offer to that printer (your price and lead time)' },
  { keys: 'n', what: 'a printer: quote this job, or replace your quote' },
  { keys: 'w', what: 'take back your offer (client) or your quote (printer)' },
  { keys: 'Esc', what: 'back' }
]

type Mode = 'list' | 'confirm' | 'quote' | 'counter'

function QuoteLine ({ q, selected }: { q: QuoteJSON, selected: boolean }): React.JSX.Element {
  const r = q.record.asPrinter
  const ship = r.medianShipHours === null ? 'no ship times yet' : `median accept→ship ${r.medianShipHours} h`
  return (
    <Box flexDirection='column'>
      <Text inverse={selected} wrap='truncate-end'>{selected ? '› ' : '  '}{String(q.n).padStart(2)}. {q.priceBtc} BTC · {q.leadDays} day{q.leadDays === 1 ? '' : 's'} · by {q.printer.slice(0, 8)}{q.offered ? ' · your offer stands' : ''}</Text>
      <Text dimColor wrap='truncate-end'>      {fmtRating(r.rating.average, r.rating.count)} · {r.completed} printed · {ship}{q.material !== null ? ` · proposes ${q.material}` : ''}{q.colors.length > 0 ? ` ${q.colors.join(', ')}` : ''}</Text>
      {selected && q.note !== '' ? <Text wrap='truncate-end'>      "{q.note}"</Text> : null}
    </Box>
  )
}

export function QuotesScreen (p: ScreenProps & { id: string }): React.JSX.Element {
  const [info, setInfo] = useState<QuotesInfo | null>(null)
  const [n, setN] = useState(0)
  const [sel, setSel, selRef] = useRefState(0)
  const [mode, setMode, modeRef] = useRefState<Mode>('list')
  useEffect(() => {
    let live = true
    p.core.quotes.list(p.id).then(v => { if (live) setInfo(v) }, (err: Error) => p.say({ kind: 'error', text: err.message }))
    return () => { live = false }
  }, [p.core, p.id, p.version, n])
  const typing = mode === 'quote' || mode === 'counter'
  useLayoutEffect(() => { p.setTyping(mode !== 'list'); return () => p.setTyping(false) }, [mode, p.setTyping])
  const reload = (): void => setN(x => x + 1)
  const quotes = info?.quotes ?? []
  const open = info?.status === 'open'
  const selected = quotes[Math.min(sel, Math.max(0, quotes.length - 1))]
  const act = (busy: string, fn: () => Promise<unknown>, done: string): void => {
    setMode('list')
    void run(p.say, busy, fn, () => done).then(reload)
  }
  useKeys((input, key) => {
    if (info === null) return
    const m = modeRef.current
    if (m === 'confirm') {
      if (input === 'y' || key.return) act('offering…', () => p.core.quotes.take(p.id, quotes[selRef.current]), 'offer sent: the printer\'s accept makes the deal at that price')
      else if (input === 'n' || key.escape) setMode('list')
      return
    }
    if (m !== 'list') return
    if (key.downArrow) setSel(s => Math.min(s + 1, quotes.length - 1))
    else if (key.upArrow) setSel(s => Math.max(s - 1, 0))
    else if (key.escape) p.back()
    else if (!open) { if (key.return || 'onw'.includes(input)) p.say({ kind: 'error', text: `the job is ${info.status}: quotes and offers are for open jobs` }) } else if (info.role === 'client') {
      if ((key.return || input === 'o') && quotes[selRef.current] === undefined) p.say({ kind: 'error', text: 'no quote to answer yet' })
      else if (key.return) { p.say(null); setMode('confirm') } else if (input === 'o') { p.say(null); setMode('counter') } else if (input === 'w') {
        if (info.offer === null) p.say({ kind: 'error', text: 'no offer of yours stands on this job' })
        else act('taking the offer back…', () => p.core.quotes.takeBack(p.id), 'offer taken back')
      }
    } else if (input === 'n') { p.say(null); setMode('quote') } else if (input === 'w') {
      if (info.mine === null) p.say({ kind: 'error', text: 'you have no quote on this job' })
      else act('withdrawing your quote…', () => p.core.quotes.withdraw(p.id), 'quote withdrawn')
    } else if (key.return || input === 'o') p.say({ kind: 'error', text: 'only the job\'s client offers it to a printer; press n to quote it' })
  }, { isActive: p.active && !typing })
  if (info === null) return <Text dimColor>loading the quotes of {p.id}…</Text>
  const o = info.offer
  return (
    <Screen>
      <Keep><Text bold wrap='truncate-end'>Quotes on {info.title} <Text color='cyan'>[{info.status}]</Text>{info.openToQuotes ? <Text dimColor> · open to quotes</Text> : null}</Text></Keep>
      {o !== null ? <Keep><Text color='yellow' wrap='truncate-end'>offer standing: {o.priceBtc} BTC, {o.leadDays} days to {o.printer.slice(0, 8)}{info.mine !== null && info.mine.printer === o.printer ? ' (you: accept the job to make the deal)' : ''}</Text></Keep> : null}
      {quotes.length === 0 ? <Keep><Text dimColor>no quotes yet{info.role === 'client' ? ': printers quote open jobs' : open ? ': press n to quote it' : ''}</Text></Keep> : null}
      <Clip>{quotes.map((q, i) => <QuoteLine key={q.printer} q={q} selected={i === sel} />)}</Clip>
      {mode === 'confirm' && selected !== undefined ? <Keep><Text color='yellow' wrap='truncate-end'>offer the job to {selected.printer.slice(0, 8)} at {selected.priceBtc} BTC, {selected.leadDays} days? y or Enter, n or Esc</Text></Keep> : null}
      {mode === 'quote' ? <Keep><QuoteForm {...p} counter={false} start={info.mine === null ? undefined : { price: info.mine.priceBtc, days: String(info.mine.leadDays), note: info.mine.note }} onSubmit={(d) => act('sending your quote…', () => p.core.quotes.quote(p.id, d), 'quote sent')} onCancel={() => setMode('list')} /></Keep> : null}
      {mode === 'counter' && selected !== undefined ? <Keep><QuoteForm {...p} counter start={{ price: selected.priceBtc, days: String(selected.leadDays), note: '' }} onSubmit={(d) => act('sending your counter-offer…', () => p.core.quotes.counter(p.id, selected, d), 'counter-offer sent')} onCancel={() => setMode('list')} /></Keep> : null}
      <KeyLine items={['↑↓ select', ...(info.role === 'client' ? ['Enter take', 'o counter', 'w take back offer'] : ['n quote', 'w withdraw quote']), 'Esc back']} />
    </Screen>
  )
}

function QuoteForm (p: ScreenProps & { counter: boolean, start?: QuoteDraft, onSubmit: (d: QuoteDraft) => void, onCancel: () => void }): React.JSX.Element {
  const fields = [
    { name: 'price', label: 'price BTC', hint: 'e.g. 0.0004' },
    { name: 'days', label: 'lead days', hint: p.counter ? 'empty: the quote\'s' : 'days from accept to shipping' },
    ...(p.counter ? [] : [{ name: 'note', label: 'note', hint: 'optional' }])
  ]
  const draft = (v: Record<string, string>): QuoteDraft => ({ price: v.price ?? '', days: v.days ?? '', note: v.note ?? '' })
  return (
    <LineForm
      fields={fields}
      initial={{ price: p.start?.price ?? '', days: p.start?.days ?? '', note: p.start?.note ?? '' }}
      validate={(v) => p.core.quotes.validate(draft(v), p.counter)}
      active={p.active}
      onSubmit={(v) => p.onSubmit(draft(v))}
      onCancel={p.onCancel}
      onInvalid={(f, error) => p.say({ kind: 'error', text: `${f.label}: ${error}` })}
      onFixed={() => p.say(null)}
    />
  )
}
