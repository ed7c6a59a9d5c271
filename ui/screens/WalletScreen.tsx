// Wallet: balance, a receive address with its BIP21 URI and QR code, a send form with a confirmation that shows the
// fee before anything is sent, and this peer's escrows. Without a Bitcoin backend it says what to start with.
import { useEffect, useState, useLayoutEffect } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import { formatBtc, type WalletInfo, type ReceiveInfo, type SendPlan, type EscrowRow } from '../../lib/app.js'
import { QrCode, qrSize, QUIET_ZONE } from '../components/QrCode.js'
import { Form, type FormValues } from '../components/Form.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import { run, type ScreenProps } from './types.js'
import { useRefState } from '../components/useRefState.js'
import { Clip, KeyLine, Keep, Screen, linesOf, useBodySize } from '../components/useSize.js'

export const WALLET_KEYS: KeyHelp[] = [
  { keys: 'Tab', what: 'send: open the form (address, amount in BTC)' },
  { keys: 'Enter', what: 'in the form: next field; on the amount, show the fee and ask to confirm' },
  { keys: 'y  n', what: 'confirm the payment / do not send it' },
  { keys: 'n', what: 'a new receive address' },
  { keys: 'c', what: 'the QR code on its own (when it does not fit beside the rest)' },
  { keys: 'r', what: 'refresh the balance and the escrows' },
  { keys: 'k', what: 'recovery phrase: show it again, or restore a wallet' },
  { keys: 'Esc', what: 'close the form, then back' }
]

const SEND_FIELDS = [
  { name: 'address', label: 'to address', hint: 'paste the address to pay' },
  { name: 'amount', label: 'amount BTC', hint: 'e.g. 0.001' }
]

type Mode = { m: 'view' } | { m: 'form' } | { m: 'planning' } | { m: 'confirm', plan: SendPlan } | { m: 'sending' }

export function WalletScreen (p: ScreenProps): React.JSX.Element {
  const [info, setInfo] = useState<WalletInfo | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [recv, setRecv] = useState<ReceiveInfo | null>(null)
  const [recvError, setRecvError] = useState<string | null>(null)
  const [reload, setReload] = useState(0)
  const [mode, setModeState, modeRef] = useRefState<Mode>({ m: 'view' })
  const setMode = (m: Mode): void => { setModeState(m); p.setTyping(m.m !== 'view') } // the form and y/n own the keys
  const [draft, setDraft] = useState<FormValues>({ address: '', amount: '' })
  const [opened, setOpened] = useState(0) // a new form each time it opens (a refused plan re-opens it on the address)
  const openForm = (): void => { setOpened(n => n + 1); setMode({ m: 'form' }) }
  const [qrOnly, setQrOnly] = useState(false)
  const body = useBodySize()

  useEffect(() => {
    let live = true
    p.core.wallet().then(w => { if (live) { setInfo(w); setError(null) } }, (err: Error) => { if (live) setError(err.message) })
    return () => { live = false }
  }, [p.core, reload])
  useEffect(() => {
    let live = true
    p.core.receiveAddress().then(a => { if (live) setRecv(a) }, (err: Error) => { if (live) setRecvError(err.message) })
    return () => { live = false }
  }, [p.core])
  useLayoutEffect(() => () => p.setTyping(false), [p.setTyping])

  const plan = (v: FormValues): void => {
    setDraft(v)
    setMode({ m: 'planning' })
    void run(p.say, 'working out the fee…', () => p.core.planSend(v.address, v.amount), () => null).then(plan => {
      if (plan === null) openForm()
      else setMode({ m: 'confirm', plan })
    })
  }

  const send = (plan: SendPlan): void => {
    setMode({ m: 'sending' })
    void run(p.say, 'sending…', () => p.core.send(plan), r => `sent ${formatBtc(r.sentSats)} BTC to ${r.address} (fee ${r.feeSats} sats): transaction ${r.txid}`).then(r => {
      setMode({ m: 'view' })
      if (r !== null) { setDraft({ address: '', amount: '' }); setReload(n => n + 1) }
    })
  }

  useKeys((input, key) => {
    const mode = modeRef.current
    if (mode.m === 'confirm') {
      if (input === 'y') send(mode.plan)
      else if (input === 'n' || key.escape) { openForm(); p.say({ kind: 'info', text: 'not sent: change the form or press Esc to close it' }) }
      return
    }
    if (mode.m !== 'view') return
    if (qrOnly && input !== 'c' && input !== 'n') return // the QR code alone: the form and the rest are not on screen
    if (key.tab) { p.say(null); openForm() } else if (input === 'n') {
      void run(p.say, 'deriving a new address…', () => p.core.receiveAddress(true), a => `new receive address ${a.address}`).then(a => { if (a !== null) setRecv(a) })
    } else if (input === 'r') setReload(n => n + 1)
    else if (input === 'c') setQrOnly(q => !q)
    else if (input === 'k') p.go({ name: 'recovery' })
  }, { isActive: p.active })

  const qr = recv === null ? null : qrLayout(recv, info, mode.m === 'view' ? 2 : 7, body.columns, body.rows, qrOnly)
  if (qrOnly && recv !== null) {
    return (
      <Box flexDirection='column'>
        {qr?.at === 'alone' ? <QrCode dark={recv.qr.dark} quiet={qr.quiet} /> : <Text color='yellow'>The QR code needs a terminal of at least {qrSize(recv.qr.dark, 2).width}×{qrSize(recv.qr.dark, 2).height + 5}: enlarge it, or copy the address.</Text>}
        <Text><Text color='cyan'>{recv.address}</Text><Text dimColor> · c: back to the wallet</Text></Text>
      </Box>
    )
  }
  const receive = recv === null
    ? (recvError !== null ? <Text color='red'>✗ no receive address: {recvError}</Text> : <Text dimColor>deriving an address…</Text>)
    : (
      <Box flexDirection='column'>
        <Text bold>Receive</Text>
        <Text color='cyan'>{recv.address}</Text>
        <Text>{recv.uri}</Text>
        <Text dimColor>{recv.path} · n: a new address{qr?.at === 'none' ? ' · c: its QR code' : ''}</Text>
      </Box>
      )
  const details = (
    <Box flexDirection='column' flexGrow={1} flexShrink={1}>
      <Balance info={info} />
      <Box marginTop={1}>{receive}</Box>
      <Box flexDirection='column' marginTop={1}>
        <Text bold>Send</Text>
        {mode.m === 'view' ? <Text dimColor>Tab: pay an address from this wallet</Text> : null}
        {mode.m === 'form'
          ? <Form key={opened} fields={SEND_FIELDS} initial={draft} width={13} active={p.active} validate={v => p.core.validateSend(v.address, v.amount)} onSubmit={plan} onCancel={() => { setMode({ m: 'view' }); p.say(null) }} onFixed={() => p.say(null)} onInvalid={(f, e) => p.say({ kind: 'error', text: `fix the ${f.label} first: ${e}` })} footer='Tab next field · Enter on the amount: show the fee · Esc close' />
          : null}
        {mode.m === 'planning' ? <Text dimColor>working out the fee…</Text> : null}
        {mode.m === 'confirm' ? <Confirm plan={mode.plan} /> : null}
        {mode.m === 'sending' ? <Text color='yellow'>sending…</Text> : null}
      </Box>
    </Box>
  )
  return (
    <Screen>
      <Keep><Text bold>Wallet{info !== null ? <Text dimColor> · {info.chain}</Text> : null}</Text></Keep>
      {error !== null ? <Keep><Text color='red'>✗ {error} — press r to try again</Text></Keep> : null}
      {/* the QR code beside the rest, or under the address, only where it fits whole: a cut code does not scan */}
      {recv !== null && qr?.at === 'side'
        ? <Keep><Box><Box marginRight={2} flexShrink={0}><QrCode dark={recv.qr.dark} /></Box>{details}</Box></Keep>
        : <Keep>{details}</Keep>}
      {recv !== null && qr?.at === 'below' ? <Keep marginTop={1}><QrCode dark={recv.qr.dark} /></Keep> : null}
      <Clip><Escrows rows={info?.escrows ?? null} /></Clip>
      <KeyLine items={['Tab send', 'n new address', ...(qr?.at === 'none' ? ['c QR code'] : []), 'r refresh', 'k recovery phrase', 'Esc back']} />
    </Screen>
  )
}

// Where the receive QR code goes: beside the balance and the address, under them, nowhere (then `c` shows it alone),
// or alone (`c`), with the quiet zone the spec asks for or, alone on a short terminal, half of it (phones still read
// it against the white it is drawn on).
function qrLayout (recv: ReceiveInfo, info: WalletInfo | null, send: number, columns: number, rows: number, alone: boolean): { at: 'side' | 'below' | 'none' | 'alone', quiet: number } {
  const fits = (quiet: number): boolean => qrSize(recv.qr.dark, quiet).height + 1 <= rows && qrSize(recv.qr.dark, quiet).width <= columns
  if (alone) return fits(QUIET_ZONE) ? { at: 'alone', quiet: QUIET_ZONE } : fits(2) ? { at: 'alone', quiet: 2 } : { at: 'none', quiet: 0 }
  const { width, height } = qrSize(recv.qr.dark)
  const balance = (w: number): number => info === null ? 1 : !info.backend ? linesOf('Balance unknown: ' + (info.hint ?? ''), w) : 3
  const details = (w: number): number => balance(w) + 1 + 4 + 1 + send
  const escrows = 3 // their title and the first one; the rest is cut
  const side = columns - width - 2
  if (side >= recv.uri.length && 1 + Math.max(height, details(side)) + escrows + 1 <= rows) return { at: 'side', quiet: QUIET_ZONE }
  if (width <= columns && 1 + details(columns) + 1 + height + escrows + 1 <= rows) return { at: 'below', quiet: QUIET_ZONE }
  return { at: 'none', quiet: 0 }
}

function Balance ({ info }: { info: WalletInfo | null }): React.JSX.Element {
  if (info === null) return <Text dimColor>loading the wallet…</Text>
  if (!info.backend) return <Text color='yellow' wrap='wrap'>Balance unknown: {info.hint}</Text>
  if (info.balance === null) return <Text color='red' wrap='wrap'>✗ {info.balanceError ?? 'the balance is unavailable'} — press r to try again</Text>
  return (
    <Box flexDirection='column'>
      <Text bold>Balance</Text>
      <Text><Text color='green'>{formatBtc(info.balance.confirmedSats)} BTC</Text> confirmed</Text>
      <Text>{formatBtc(info.balance.unconfirmedSats)} BTC unconfirmed</Text>
    </Box>
  )
}

export function Confirm ({ plan }: { plan: SendPlan }): React.JSX.Element {
  return (
    <Box flexDirection='column' borderStyle='round' borderColor='yellow' paddingX={1}>
      <Text>Send <Text bold>{formatBtc(plan.sentSats)} BTC</Text> to <Text color='cyan'>{plan.address}</Text> on {plan.chain}</Text>
      <Text>miner fee {plan.feeSats} sats ({plan.feeRate} sat/vB, {plan.inputs} input{plan.inputs === 1 ? '' : 's'}) · total {formatBtc(plan.sentSats + plan.feeSats)} BTC{plan.changeSats > 0 ? ` · ${formatBtc(plan.changeSats)} BTC back to you as change` : ''}</Text>
      <Text color='yellow'>A payment cannot be undone. Press y to send it, n or Esc to go back to the form.</Text>
    </Box>
  )
}

function Escrows ({ rows }: { rows: EscrowRow[] | null }): React.JSX.Element {
  if (rows === null) return <Text> </Text>
  return (
    <Box flexDirection='column' marginTop={1}>
      <Text bold>Your escrows</Text>
      {rows.length === 0 ? <Text dimColor>  none: an escrow is set up when a printer accepts a job in a market with escrow</Text> : null}
      {rows.map(r => (
        <Box key={r.id} flexDirection='column'>
          <Text>  {r.title} <Text dimColor>{r.id.slice(0, 10)}</Text> · you are its {r.role} · <Text color='cyan'>{r.state}</Text>{r.mySats !== null ? ` · you put in ${formatBtc(r.mySats)} of ${formatBtc(r.totalSats ?? 0)} BTC` : ''}</Text>
          <Text dimColor>    {r.address ?? 'address once both sides have proposed their coins'}{r.payoutTxid !== null ? ` · paid out in ${r.payoutTxid}` : ''}</Text>
        </Box>
      ))}
    </Box>
  )
}
