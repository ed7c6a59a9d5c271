// Active job: the timeline, the end-to-end encrypted chat and the actions, on one screen.
import { useEffect, useState } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import type { ChatData } from '../../lib/app.js'
import { TextField, editText } from '../components/TextField.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import { useJob, useActions } from './JobScreen.js'
import { useJobExtras, EXTRA_KEYS } from './JobExtras.js'
import { DisputeBox } from '../components/DisputeBox.js'
import { run, type ScreenProps } from './types.js'
import { useRefState } from '../components/useRefState.js'

export const ACTIVE_KEYS: KeyHelp[] = [
  { keys: 'Tab', what: 'switch between the actions and the chat message field' },
  { keys: '↑ ↓ Enter', what: 'actions: select and run (incl. accept / reject a mediator\'s proposal)' },
  { keys: 'Enter', what: 'chat: send the message' },
  ...EXTRA_KEYS,
  { keys: 'Esc', what: 'leave the message field, then back' }
]

export function ActiveJob (p: ScreenProps & { id: string }): React.JSX.Element {
  const { d, error, reload } = useJob(p.core, p.id, p.version)
  const [chatFocus, setChatFocusState, chatFocusRef] = useRefState(false)
  const setChatFocus = (f: boolean): void => { setChatFocusState(f); p.setTyping(f) }
  const [text, setText, textRef] = useRefState('')
  const [chat, setChat] = useState<ChatData | null>(null)
  const [chatError, setChatError] = useState<string | null>(null)
  const [actionsBusy, setActionsBusy] = useState(false)
  const extras = useJobExtras(p, p.id, d, reload, !chatFocus && !actionsBusy)
  const { view, typing: actionTyping, busy } = useActions(p, p.id, d, reload, !chatFocus && !extras.typing)
  useEffect(() => setActionsBusy(busy), [busy])
  const typing = actionTyping || extras.typing

  useEffect(() => {
    let live = true
    p.core.chat(p.id).then(c => { if (live) { setChat(c); setChatError(null) } }, (err: Error) => { if (live) setChatError(err.message) })
    return () => { live = false }
  }, [p.core, p.id, p.version])
  useEffect(() => { p.setTyping(chatFocus || typing); return () => p.setTyping(false) }, [chatFocus, typing, p.setTyping])

  useKeys((input, key) => {
    const chatFocus = chatFocusRef.current
    const text = textRef.current
    if (key.tab) { setChatFocus(!chatFocus); return }
    if (!chatFocus) return
    if (key.escape) { setChatFocus(false); return }
    if (key.return) {
      if (text.trim() === '') return
      const msg = text
      setText('')
      void run(p.say, 'sending…', () => p.core.chat(p.id, msg), () => 'message sent').then(c => { if (c !== null) setChat(c) })
      return
    }
    setText(t => editText(t, input, key))
  }, { isActive: p.active && !typing })

  if (error !== null && d === null) return <Text color='red'>✗ {error} — press Esc to go back</Text>
  if (d === null) return <Text dimColor>loading job {p.id}…</Text>
  const j = d.job
  return (
    <Box flexDirection='column'>
      <Text bold>{j.title} <Text color='cyan'>[{j.status}]</Text> <Text dimColor>{j.id} · {j.bountyBtc} BTC · you are its {d.role}</Text></Text>
      <Box>
        <Box flexDirection='column' width='45%' marginRight={2}>
          <Text bold>Timeline</Text>
          {j.history.map((h, i) => <Text key={i}>{h.at.slice(0, 16).replace('T', ' ')} {h.action.replace('job/', '')} → {h.to}{h.note !== '' ? ` “${h.note}”` : ''}</Text>)}
          {j.confirmed ? null : <Text color='yellow'>the last change is not confirmed yet (the market's indexer has not taken it)</Text>}
          {j.escrow !== null
            ? <Text>escrow <Text color='cyan'>{j.escrow.state}</Text>{j.escrow.fundingDepth !== null ? ` · funding ${j.escrow.fundingDepth}/${j.escrow.requiredDepth} confirmation(s)` : ''}{j.escrow.payout !== null ? ` · paid (${j.escrow.payout.kind}) ${j.escrow.payout.txid.slice(0, 16)}…` : ''}</Text>
            : null}
          {d.escrowLog.slice(-4).map((l, i) => <Text key={`e${i}`} color={/could not act|refuse/.test(l) ? 'red' : undefined}>escrow {l}</Text>)}
          {d.dispute !== null ? <Box marginTop={1} flexDirection='column'><Text bold>Dispute</Text><DisputeBox d={d.dispute} /></Box> : null}
          <Box marginTop={1}>{view}</Box>
        </Box>
        <Box flexDirection='column' flexGrow={1}>
          <Text bold>Chat <Text dimColor>(end-to-end encrypted)</Text></Text>
          {chatError !== null ? <Text color='red'>{chatError}</Text> : null}
          {chat !== null && chat.messages.length === 0 ? <Text dimColor>no messages yet</Text> : null}
          {(chat?.messages ?? []).slice(-12).map((m, i) => <Text key={i}><Text color={m.mine ? 'green' : 'magenta'}>{m.mine ? 'you' : m.role}</Text>: {m.text ?? '(not readable yet)'}{m.photos.length > 0 ? ` [${m.photos.length} photo(s)]` : ''}</Text>)}
          {chat !== null && chat.unreadable > 0 ? <Text dimColor>{chat.unreadable} message(s) not readable yet (the key arrives with the other side)</Text> : null}
          <TextField label='say' width={5} value={text} focused={chatFocus} hint='Tab to write' />
        </Box>
      </Box>
      {busy ? null : extras.view}
      <Text dimColor>Tab chat/actions · ↑↓ Enter action · g download · r review · Esc back</Text>
    </Box>
  )
}
