// Active job: the timeline, the end-to-end encrypted chat and the actions, on one screen.
import { useEffect, useState, useLayoutEffect } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import type { ChatData } from '../../lib/app.js'
import { TextField, editText } from '../components/TextField.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import { useJob, useActions } from './JobScreen.js'
import { useJobExtras, EXTRA_KEYS } from './JobExtras.js'
import { useChatPhotos, PHOTO_KEYS, photoText } from './ChatPhotos.js'
import { DisputeBox } from '../components/DisputeBox.js'
import { run, type ScreenProps } from './types.js'
import { useRefState } from '../components/useRefState.js'
import { Clip, KeyLine, Keep, Screen, useBodySize } from '../components/useSize.js'

export const ACTIVE_KEYS: KeyHelp[] = [
  { keys: 'Tab', what: 'switch between the actions and the chat message field' },
  { keys: '↑ ↓ Enter', what: 'actions: select and run (incl. accept / reject a mediator\'s proposal)' },
  { keys: 'Enter', what: 'chat: send the message' },
  ...PHOTO_KEYS,
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
  const size = useBodySize()
  const [extrasTyping, setExtrasTyping] = useState(false)
  const photos = useChatPhotos(p, p.id, !chatFocus && !actionsBusy && !extrasTyping, setChat)
  const extras = useJobExtras(p, p.id, d, reload, !chatFocus && !actionsBusy && !photos.typing, 9)
  const { view, typing: actionTyping, busy } = useActions(p, p.id, d, reload, !chatFocus && !extras.typing && !photos.typing)
  useLayoutEffect(() => setActionsBusy(busy), [busy])
  useEffect(() => setExtrasTyping(extras.typing), [extras.typing])
  const typing = actionTyping || extras.typing || photos.typing

  useEffect(() => {
    let live = true
    p.core.chat(p.id).then(c => { if (live) { setChat(c); setChatError(null) } }, (err: Error) => { if (live) setChatError(err.message) })
    return () => { live = false }
  }, [p.core, p.id, p.version])
  useLayoutEffect(() => { p.setTyping(chatFocus || typing); return () => p.setTyping(false) }, [chatFocus, typing, p.setTyping])

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
  // a short terminal: one line per entry, and as many of the newest as fit beside the actions and the key line
  const body = size
  const short = body.rows < 40
  const wrap = short ? 'truncate-end' : 'wrap'
  const main = body.rows - 3 - (2 + Math.max(1, d.actions.length) + (busy ? 2 : 0)) - 1
  const log = d.escrowLog.slice(short ? -2 : -4)
  const left = 1 + (j.confirmed ? 0 : 1) + (j.escrow !== null ? 1 : 0) + log.length + (d.dispute !== null ? 5 : 0)
  const history = j.history.slice(-Math.max(1, main - left))
  const messages = (chat?.messages ?? []).slice(-Math.max(1, Math.min(12, main - 1 - (chatError !== null ? 1 : 0) - (chat !== null && chat.unreadable > 0 ? 1 : 0))))
  return (
    <Screen>
      <Keep><Text bold wrap='truncate-end'>{j.title} <Text color='cyan'>[{j.status}]</Text> <Text dimColor>{j.id} · {j.bountyBtc} BTC · you are its {d.role}</Text></Text></Keep>
      {extras.preview === null
        ? (
          <Clip>
            <Box>
              <Box flexDirection='column' width='45%' marginRight={2} flexShrink={0}>
                <Text bold>Timeline{history.length < j.history.length ? <Text dimColor> (latest {history.length} of {j.history.length})</Text> : null}</Text>
                {history.map((h, i) => <Text key={i} wrap={wrap}>{h.at.slice(0, 16).replace('T', ' ')} {h.action.replace('job/', '')} → {h.to}{h.note !== '' ? ` “${h.note}”` : ''}</Text>)}
                {j.confirmed ? null : <Text color='yellow' wrap={wrap}>the last change is not confirmed yet (the market's indexer has not taken it)</Text>}
                {j.escrow !== null
                  ? <Text wrap={wrap}>escrow <Text color='cyan'>{j.escrow.state}</Text>{j.escrow.fundingDepth !== null ? ` · funding ${j.escrow.fundingDepth}/${j.escrow.requiredDepth} confirmation(s)` : ''}{j.escrow.payout !== null ? ` · paid (${j.escrow.payout.kind}) ${j.escrow.payout.txid.slice(0, 16)}…` : ''}</Text>
                  : null}
                {log.map((l, i) => <Text key={`e${i}`} wrap={wrap} color={/could not act|refuse/.test(l) ? 'red' : undefined}>escrow {l}</Text>)}
                {d.dispute !== null ? <Box marginTop={1} flexDirection='column'><Text bold>Dispute</Text><DisputeBox d={d.dispute} /></Box> : null}
              </Box>
              <Box flexDirection='column' flexGrow={1}>
                <Text bold>Chat <Text dimColor>(end-to-end encrypted)</Text></Text>
                {chatError !== null ? <Text color='red' wrap={wrap}>{chatError}</Text> : null}
                {chat !== null && chat.messages.length === 0 ? <Text dimColor>no messages yet</Text> : null}
                {messages.map((m, i) => <Text key={i} wrap={wrap}><Text color={m.mine ? 'green' : 'magenta'}>{m.mine ? 'you' : m.role}</Text>: {m.text ?? '(not readable yet)'}{photoText(m.photos)}</Text>)}
                {chat !== null && chat.unreadable > 0 ? <Text dimColor wrap={wrap}>{chat.unreadable} message(s) not readable yet (the key arrives with the other side)</Text> : null}
              </Box>
            </Box>
          </Clip>
          )
        : null}
      <Keep marginTop={1}>
        <Box>
          <Box width='45%' marginRight={2} flexShrink={0}>{view}</Box>
          <Box flexGrow={1} flexDirection='column'><Text bold>Message</Text><TextField label='say' width={5} value={text} focused={chatFocus} hint='Tab to write' /></Box>
        </Box>
      </Keep>
      {busy ? null : <Keep>{extras.view}{photos.view}</Keep>}
      {busy || extras.preview === null ? null : <Clip>{extras.preview}</Clip>}
      <KeyLine items={['Tab chat', '↑↓ Enter action', 'g download', `v ${extras.preview === null ? 'view' : 'hide'} model`, 'a photo', 'o save photos', 'r review', 'Esc back']} />
    </Screen>
  )
}
