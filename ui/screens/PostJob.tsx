// Post a job: a form validated as you type (the CLI's own parsers), the model file analysed before posting.
import { useEffect, useMemo, useRef, useState, useLayoutEffect } from 'react'
import { Box, Text } from 'ink'
import { useKeys, useFieldKeys } from '../components/useKeys.js'
import type { JobDraft, FilePreview, DownloadProgress } from '../../lib/app.js'
import { depositSummary } from '../../lib/app.js'
import { ProgressBar } from '../components/ProgressBar.js'
import { TextField, editText } from '../components/TextField.js'
import { fmtBytes } from '../components/JobTable.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import { run, type ScreenProps } from './types.js'
import { useRefState } from '../components/useRefState.js'
import { Clip, KeyLine, Keep, Screen, useBodySize } from '../components/useSize.js'

export const POST_KEYS: KeyHelp[] = [
  { keys: 'Tab ↑ ↓', what: 'next / previous field' },
  { keys: 'Enter', what: 'next field; on the last field (or Ctrl-S anywhere): post the job' },
  { keys: 'Esc', what: 'back to the market (the form is kept while the app runs)' }
]

const FIELDS: Array<{ f: keyof JobDraft, label: string, hint: string }> = [
  { f: 'title', label: 'title', hint: 'what to print' },
  { f: 'material', label: 'material', hint: 'PLA, ABS, PETG, TPU, Nylon, Resin, Other' },
  { f: 'colors', label: 'colours', hint: 'e.g. red,black (optional)' },
  { f: 'bounty', label: 'bounty BTC', hint: 'e.g. 0.0005' },
  { f: 'country', label: 'country', hint: 'ISO code, e.g. DE' },
  { f: 'notes', label: 'notes', hint: 'optional' },
  { f: 'file', label: 'model file', hint: 'path to .stl/.obj/.3mf/.zip (optional)' },
  { f: 'milestones', label: 'milestones', hint: 'optional, with escrow: e.g. first layer:20,printed:50,delivered:30' }
]

export const EMPTY_DRAFT: JobDraft = { title: '', material: '', colors: '', bounty: '', country: '', notes: '', file: '', milestones: '' }

export function PostJob (p: ScreenProps & { draft: JobDraft, setDraft: (d: JobDraft) => void }): React.JSX.Element {
  const [draft, setDraftState, draftRef] = useRefState<JobDraft>(p.draft)
  const setDraft = (d: JobDraft): void => { setDraftState(d); p.setDraft(d) }
  const [focus, setFocus, focusRef] = useRefState(0)
  const [touched, setTouched] = useState<Partial<Record<keyof JobDraft, boolean>>>({})
  const [file, setFile] = useState<{ path: string, preview: FilePreview | null, error: string | null } | null>(null)
  const [upload, setUpload] = useState<DownloadProgress | null>(null) // a peer taking the model while it posts
  const errors = useMemo(() => p.core.validateDraft(draft), [p.core, draft])

  useLayoutEffect(() => { p.setTyping(true); return () => p.setTyping(false) }, [p.setTyping])
  // the field a refused post named: its message goes once that field is fixed
  const refused = useRef<keyof JobDraft | null>(null)
  const mounted = useRef(true)
  useEffect(() => () => { mounted.current = false }, [])
  const posting = useRef(false)
  const body = useBodySize()

  // the model is analysed as soon as the file field is left with a path in it
  const analyse = (path: string): void => {
    if (path.trim() === '') { setFile(null); return }
    if (file?.path === path) return
    setFile({ path, preview: null, error: null })
    p.core.analyzeFile(path).then(preview => setFile({ path, preview, error: null }), (err: Error) => setFile({ path, preview: null, error: err.message }))
  }

  const post = (): void => {
    // keys can arrive faster than renders: check the latest draft, not the one this render saw
    const draft = draftRef.current
    const errors = p.core.validateDraft(draft)
    setTouched(Object.fromEntries(FIELDS.map(x => [x.f, true])))
    const first = FIELDS.find(x => errors[x.f] !== undefined)
    if (first !== undefined) { refused.current = first.f; p.say({ kind: 'error', text: `fix the ${first.label} first: ${errors[first.f]!}` }); setFocus(FIELDS.indexOf(first)); return }
    if (draft.file.trim() !== '' && file?.path === draft.file && file.error != null) { refused.current = 'file'; p.say({ kind: 'error', text: `the model file cannot be posted: ${file.error}` }); return }
    if (posting.current) return
    posting.current = true
    refused.current = null
    void run(p.say, 'posting…', () => p.core.createJob(draft, setUpload), id => `job ${id} posted`).then((id) => {
      posting.current = false
      if (!mounted.current) { if (id !== null) p.setDraft(EMPTY_DRAFT); return }
      setUpload(null)
      if (id === null) return
      setDraft(EMPTY_DRAFT)
      // the job page takes the form's place: Esc from it goes back to where the form was opened, not into the form
      p.back()
      p.go({ name: 'job', id })
    })
  }

  useFieldKeys(onKey, { isActive: p.active })

  function onKey (input: string, key: Parameters<Parameters<typeof useKeys>[0]>[1]): void {
    const focus = focusRef.current
    const draft = draftRef.current
    const f = FIELDS[focus].f
    if (key.escape) { p.back(); return }
    if (key.ctrl && input === 's') { post(); return }
    if (key.tab || key.downArrow || key.upArrow || key.return) {
      setTouched(t => ({ ...t, [f]: true }))
      if (f === 'file') analyse(draft.file)
      if (key.return && focus === FIELDS.length - 1) { post(); return }
      setFocus(i => (i + (key.upArrow || key.shift ? FIELDS.length - 1 : 1)) % FIELDS.length)
      return
    }
    const value = editText(draft[f] ?? '', input, key)
    if (value !== draft[f]) {
      const next = { ...draft, [f]: value }
      setDraft(next)
      setTouched(t => ({ ...t, [f]: true }))
      if (refused.current === f && (f === 'file' || p.core.validateDraft(next)[f] === undefined)) { refused.current = null; p.say(null) }
    }
  }

  const ok = Object.keys(errors).length === 0
  // a short terminal: the errors of the fields not being typed in keep to one line
  const short = body.rows < 30
  const deposit = errors.bounty === undefined ? depositSummary(draft.bounty, p.core.state().market) : null
  return (
    <Screen>
      <Keep><Text bold>Post a job</Text></Keep>
      <Clip>
        {FIELDS.map((x, i) => (
          <TextField key={x.f} label={x.label} width={13} value={draft[x.f] ?? ''} focused={focus === i} hint={x.hint} error={touched[x.f] === true ? errors[x.f] : undefined} errorWrap={short && focus !== i ? 'truncate-end' : 'wrap'} />
        ))}
        {deposit !== null ? <Text dimColor wrap={short ? 'truncate-end' : 'wrap'}>{deposit}</Text> : null}
        {/* what the file field held when it was left: a path being changed is analysed again on leaving it */}
        {file !== null && file.path === draft.file
          ? file.error !== null
            ? <Text color='red'>✗ {file.error}</Text>
            : file.preview === null
              ? <Text dimColor>analysing {file.path}…</Text>
              : <Text color='green' wrap={short ? 'truncate-end' : 'wrap'}>✓ {file.preview.name} · {fmtBytes(file.preview.bytes)} · {file.preview.summary.closed && file.preview.summary.manifold ? 'watertight' : 'NOT watertight'} · {file.preview.summary.kind} · {file.preview.summary.models} model(s) · {file.preview.summary.facets} facets · {file.preview.summary.sizeMm.map(x => x.toFixed(1)).join('×')} mm · {file.preview.summary.volumeCm3.toFixed(1)} cm³</Text>
          : null}
      </Clip>
      {upload !== null ? <Keep><Text>sending the model to a peer</Text><ProgressBar {...upload} /></Keep> : null}
      <KeyLine items={ok ? ['ready: Enter on the last field or Ctrl-S posts', 'Esc back'] : ['Tab next field', 'Ctrl-S post', 'Esc back']} />
    </Screen>
  )
}
