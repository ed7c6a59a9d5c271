// Edit a job: the client's open job, with the post form's fields and checks (`job update`; only what changed is sent).
import { useEffect } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import { Form } from '../components/Form.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import { useJob } from './JobScreen.js'
import { run, type ScreenProps } from './types.js'

export const EDIT_KEYS: KeyHelp[] = [
  { keys: 'Tab ↑ ↓', what: 'next / previous field' },
  { keys: 'Enter', what: 'next field; on the last field (or Ctrl-S anywhere): save the changes' },
  { keys: 'Esc', what: 'back to the job, nothing changed' }
]

// The fields `job update` allows (a posted job's model file stays as it is).
export const EDIT_FIELDS = [
  { name: 'title', label: 'title', hint: 'what to print' },
  { name: 'material', label: 'material', hint: 'PLA, ABS, PETG, TPU, Nylon, Resin, Other' },
  { name: 'colors', label: 'colours', hint: 'e.g. red,black (optional)' },
  { name: 'bounty', label: 'bounty BTC', hint: 'e.g. 0.0005' },
  { name: 'country', label: 'country', hint: 'ISO code, e.g. DE' },
  { name: 'notes', label: 'notes', hint: 'optional' }
]

export function EditJob (p: ScreenProps & { id: string }): React.JSX.Element {
  const { d, error } = useJob(p.core, p.id, 0) // loaded once: the form must not change under the typing
  const editable = d !== null && d.role === 'client' && d.job.status === 'open'
  useEffect(() => { p.setTyping(editable); return () => p.setTyping(false) }, [editable, p.setTyping])
  useKeys((_input, key) => { if (key.escape) p.back() }, { isActive: p.active && !editable })

  if (error !== null && d === null) return <Text color='red' wrap='truncate-end'>✗ {error} — press Esc to go back</Text>
  if (d === null) return <Text dimColor>loading job {p.id}…</Text>
  const j = d.job
  if (!editable) return <Text color='red' wrap='truncate-end'>✗ only the client of an open job can edit it; this one is {j.status} — Esc back</Text>
  const save = (v: Record<string, string>): void => {
    const draft = { title: v.title, material: v.material, colors: v.colors, bounty: v.bounty, country: v.country, notes: v.notes, file: '' }
    void run(p.say, 'saving…', () => p.core.jobTools.edit(p.id, draft), r => `job ${r.id.slice(0, 8)} updated${r.confirmed ? '' : ' (not yet confirmed)'}`).then(r => { if (r !== null) p.back() })
  }
  return (
    <Box flexDirection='column'>
      <Text bold wrap='truncate-end'>Edit job {j.id.slice(0, 8)} <Text dimColor>· edited {j.updates}× so far · model: {j.file === null ? 'none' : j.file.name}</Text></Text>
      <Form
        fields={EDIT_FIELDS}
        initial={Object.fromEntries(Object.entries(p.core.jobTools.draftOf(j)))}
        width={13}
        active={p.active}
        validate={v => p.core.validateDraft({ title: v.title, material: v.material, colors: v.colors, bounty: v.bounty, country: v.country, notes: v.notes, file: '' })}
        onCancel={() => { p.say(null); p.back() }}
        onInvalid={(f, e) => p.say({ kind: 'error', text: `fix the ${f.label} first: ${e}` })}
        onSubmit={save}
        footer='Tab next field · Enter on the last field or Ctrl-S saves · Esc cancel'
      />
    </Box>
  )
}
