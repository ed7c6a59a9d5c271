// Chat photos on the active job: send one from a path (`chat ID --photo PATH`) and save every photo of the chat into
// a folder (`chat ID --photos DIR`); in the chat each photo shows by its name and size.
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import type { ChatData } from '../../lib/app.js'
import { Form } from '../components/Form.js'
import { fmtBytes } from '../components/JobTable.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import { useRefState } from '../components/useRefState.js'
import { run, type ScreenProps } from './types.js'

export const PHOTO_KEYS: KeyHelp[] = [
  { keys: 'a', what: 'attach a photo: send a JPEG or PNG (≤ 5 MB) from a path, with an optional caption' },
  { keys: 'o', what: 'save the chat\'s photos into a folder (default: where p2print was started)' }
]

type Photo = ChatData['messages'][number]['photos'][number]

// " [photo gear.jpg 12.3 KB, box.png 1.0 MB]": what a message carries, in its line.
export function photoText (photos: Photo[]): string {
  if (photos.length === 0) return ''
  return ` [${photos.length === 1 ? 'photo' : 'photos'} ${photos.map(ph => `${ph.name} ${fmtBytes(ph.byteLength)}`).join(', ')}]`
}

type Mode = 'none' | 'send' | 'save'

const SEND_FIELDS = [
  { name: 'file', label: 'photo', hint: 'path to a .jpg or .png (≤ 5 MB)' },
  { name: 'caption', label: 'caption', hint: 'optional' }
]
const SAVE_FIELDS = [{ name: 'dir', label: 'folder', hint: 'relative to where p2print was started' }]

export function useChatPhotos (p: ScreenProps, id: string, enabled: boolean, onChat: (c: ChatData) => void): { view: React.JSX.Element, typing: boolean } {
  const [mode, setMode, modeRef] = useRefState<Mode>('none')
  const close = (): void => { setMode('none'); p.say(null) }
  useKeys((input) => {
    if (modeRef.current !== 'none') return
    if (input === 'a') { p.say(null); setMode('send') } else if (input === 'o') { p.say(null); setMode('save') }
  }, { isActive: p.active && enabled })

  const send = (file: string, caption: string): void => {
    setMode('none')
    void run(p.say, 'sending the photo…', () => p.core.photos.send(id, file, caption), () => 'photo sent (end-to-end encrypted)').then(c => { if (c !== null) onChat(c) })
  }
  const save = (dir: string): void => {
    setMode('none')
    void run(p.say, 'fetching and decrypting the photos…', () => p.core.photos.save(id, dir), c => c.files.length === 0 ? 'this chat has no photos you can read yet' : `saved ${c.files.length} photo(s): ${c.files.join(', ')}`).then(c => { if (c !== null) onChat(c) })
  }
  const invalid = (f: { label: string }, e: string): void => p.say({ kind: 'error', text: `fix the ${f.label} first: ${e}` })
  const view = (
    <Box flexDirection='column'>
      {mode === 'send'
        ? <Box flexDirection='column'><Text color='yellow'>Send a photo to the chat (encrypted for the job's parties)</Text><Form fields={SEND_FIELDS} width={9} active={p.active} validate={v => ({ file: p.core.photos.validateFile(v.file ?? '') ?? undefined })} onCancel={close} onInvalid={invalid} onSubmit={v => send(v.file, v.caption)} footer='Tab next field · Enter on the caption sends · Esc cancel' /></Box>
        : null}
      {mode === 'save'
        ? <Box flexDirection='column'><Text color='yellow'>Save every photo of this chat into a folder</Text><Form fields={SAVE_FIELDS} initial={{ dir: '.' }} width={9} active={p.active} validate={v => ({ dir: p.core.photos.validateDir(v.dir ?? '') ?? undefined })} onCancel={close} onInvalid={invalid} onSubmit={v => save(v.dir)} footer='Enter save · Esc cancel' /></Box>
        : null}
    </Box>
  )
  return { view, typing: mode !== 'none' }
}
