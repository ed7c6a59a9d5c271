// The people page's own printer profile: what this peer offers to print (`p2print printer profile --material M,…
// --bed XxYxZ --country CC [--note TEXT]`), published in a form checked as it is typed; or taken off the listing
// (`p2print printer unlist`).
import { useEffect, useState } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from './useKeys.js'
import type { ProfileDraft, ProfileJSON } from '../../lib/app.js'
import { LineForm } from './LineForm.js'
import { KeyLine } from './useSize.js'
import { useRefState } from './useRefState.js'
import { run } from '../screens/types.js'
import type { PanelProps } from './PrintersPanel.js'

const FIELDS: Array<{ name: keyof ProfileDraft, label: string, hint: string }> = [
  { name: 'materials', label: 'materials', hint: 'e.g. PLA, PETG (PLA ABS PETG TPU Nylon Resin Other)' },
  { name: 'bed', label: 'bed mm', hint: 'XxYxZ, e.g. 220x220x250' },
  { name: 'country', label: 'country', hint: 'where you ship from, e.g. DE' },
  { name: 'note', label: 'note', hint: 'optional: nozzle, finish, lead time…' }
]

type Mode = 'view' | 'edit' | 'unlist' | 'busy'

export function ProfilePanel (p: PanelProps): React.JSX.Element {
  const [profile, setProfile] = useState<ProfileJSON | null | undefined>(undefined)
  const [error, setError] = useState<string | null>(null)
  const [mode, setModeState, modeRef] = useRefState<Mode>('view')
  const setMode = (m: Mode): void => { setModeState(m); p.setBusy(m !== 'view') }
  const [typed, setTyped] = useState<ProfileDraft | null>(null) // a refused profile opens the form on it again
  const [reload, setReload] = useState(0)
  useEffect(() => () => p.setBusy(false), [])

  useEffect(() => {
    let live = true
    p.core.people.myProfile().then(r => { if (live) { setProfile(r); setError(null) } }, (err: Error) => { if (live) setError(err.message) })
    return () => { live = false }
  }, [p.core, p.version, p.reload, reload])

  const publish = (d: ProfileDraft): void => {
    setMode('busy')
    setTyped(d)
    void run(p.say, 'publishing your profile…', () => p.core.people.setProfile(d), r => `profile published${r.shared ? '' : ' (stored here until a peer takes it)'}: printers list you`).then(r => {
      if (r === null) setMode('edit')
      else { setTyped(null); setMode('view'); setReload(n => n + 1) }
    })
  }

  useKeys((input, key) => {
    const m = modeRef.current
    if (m === 'unlist') {
      if (input === 'y') {
        setMode('busy')
        void run(p.say, 'taking your profile off the listing…', () => p.core.people.unlist(), () => 'you are no longer listed as a printer').then(() => { setMode('view'); setReload(n => n + 1) })
      } else if (input === 'n' || key.escape) { setMode('view'); p.say(null) }
      return
    }
    if (m !== 'view' || profile === undefined) return
    if (input === 'e') { p.say(null); setMode('edit') } else if (input === 'x') {
      if (profile === null) p.say({ kind: 'info', text: 'you are not listed: nothing to take off' })
      else { p.say(null); setMode('unlist') }
    }
  }, { isActive: p.active })

  if (profile === undefined) return error !== null ? <Text color='red' wrap='truncate-end'>✗ {error}</Text> : <Text dimColor>reading your profile…</Text>
  const initial = typed ?? (profile === null ? { materials: '', bed: '', country: '', note: '' } : { materials: profile.materials.join(', '), bed: profile.bedMm.join('x'), country: profile.country, note: profile.note })
  return (
    <Box flexDirection='column'>
      <Text bold wrap='truncate-end'>Your printer profile <Text dimColor>· {profile === null ? 'not listed' : `listed since ${profile.updatedAt.slice(0, 10)}`}</Text></Text>
      {mode === 'edit'
        ? <LineForm fields={FIELDS} initial={{ ...initial }} width={12} active={p.active} validate={v => p.core.people.validateProfile(v as unknown as ProfileDraft)} onSubmit={v => publish(v as unknown as ProfileDraft)} onCancel={() => { setMode('view'); setTyped(null); p.say(null) }} onInvalid={(f, e) => p.say({ kind: 'error', text: `fix the ${f.label} first: ${e}` })} footer='Tab next · Enter on the note or Ctrl-S: publish · Esc cancel' />
        : profile === null
          ? <Text wrap='truncate-end'>Not listed: clients looking for a printer do not see you. e: publish one.</Text>
          : (
            <Box flexDirection='column'>
              <Text wrap='truncate-end'>offers    {profile.materials.join(', ')}</Text>
              <Text wrap='truncate-end'>bed       {profile.bedMm.join(' × ')} mm</Text>
              <Text wrap='truncate-end'>country   {profile.country}</Text>
              <Text wrap='truncate-end'>note      {profile.note === '' ? '—' : profile.note}</Text>
            </Box>
            )}
      {mode === 'unlist' ? <Text color='yellow' wrap='truncate-end'>Take your profile off the listing? Your record stays. y unlist · n keep it</Text> : null}
      {mode === 'view' ? <Box marginTop={1}><KeyLine items={['← → tabs', profile === null ? 'e publish' : 'e change', ...(profile === null ? [] : ['x unlist']), 'r refresh', 'Esc back']} /></Box> : null}
    </Box>
  )
}
