// The job page's extras, shared by the job page and the active job: download the model with a progress bar (`job
// download`), its terminal preview (`job preview`), and the review of a closed job by its client or printer (`job
// review`).
import { useEffect, useRef, useState } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import type { JobDetail, DownloadProgress, ModelPreview } from '../../lib/app.js'
import { Form } from '../components/Form.js'
import { ProgressBar } from '../components/ProgressBar.js'
import { fmtBytes } from '../components/JobTable.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import { run, type ScreenProps } from './types.js'
import { useRefState } from '../components/useRefState.js'
import { useBodySize } from '../components/useSize.js'

export const EXTRA_KEYS: KeyHelp[] = [
  { keys: 'g', what: 'get the model: download it into a folder (progress shown; resumes if cut off)' },
  { keys: 'v', what: 'view the model: fetch it and draw it here (again: hide it)' },
  { keys: 'r', what: 'review the other side of a closed job (rating 1–5 and a text), once' }
]

type Mode = { m: 'none' } | { m: 'download-form' } | { m: 'downloading', progress: DownloadProgress | null } | { m: 'review-form' } | { m: 'previewing', progress: DownloadProgress | null }

const REVIEW_FIELDS = [
  { name: 'rating', label: 'rating', hint: '1 (poor) to 5 (excellent)' },
  { name: 'text', label: 'review', hint: 'what went well or not (optional)' }
]

// view: the forms, progress bars and the review; preview: the drawn model (null when hidden), which the page shows in
// place of its details, drawn to fit the rows the page has (page: the rows the page keeps for its other lines).
export function useJobExtras (p: ScreenProps, id: string, d: JobDetail | null, reload: () => void, enabled: boolean, page = 8): { view: React.JSX.Element, preview: React.JSX.Element | null, typing: boolean } {
  const [mode, setMode, modeRef] = useRefState<Mode>({ m: 'none' })
  const typing = mode.m === 'download-form' || mode.m === 'review-form'
  const [shown, setShown] = useState<ModelPreview | null>(null)
  const body = useBodySize()
  // a braille preview is at most half as many rows as it is wide (lib/files/preview.ts): the width sets its height
  const previewRows = Math.max(10, (Number.isFinite(body.rows) ? body.rows : 60) - page)
  const previewWidth = Math.max(20, Math.min(body.columns - 4, 100, 2 * previewRows))
  const live = useRef(true) // a download goes on (and says when it is done) after the page is left
  useEffect(() => () => { live.current = false }, [])

  const close = (): void => { setMode({ m: 'none' }); p.say(null) }

  const download = (dir: string): void => {
    setMode({ m: 'downloading', progress: null })
    void run(p.say, 'downloading the model…', () => p.core.download(id, dir, progress => { if (live.current && modeRef.current.m === 'downloading') setMode({ m: 'downloading', progress }) }), r => `downloaded ${r.file} (${fmtBytes(r.bytes)}, sha256 checked)${r.files.length > 1 ? ` and extracted ${r.files.length - 1} file(s)` : ''}`).then(() => { if (live.current) setMode({ m: 'none' }) })
  }

  const review = (rating: string, text: string): void => {
    setMode({ m: 'none' })
    void run(p.say, 'posting the review…', () => p.core.review(id, rating, text), r => `review posted: ${'★'.repeat(r.rating)} for ${r.subject.slice(0, 8)}`).then(reload)
  }

  const preview = (): void => {
    setMode({ m: 'previewing', progress: null })
    void run(p.say, 'fetching the model…', () => p.core.previewJob(id, previewWidth, progress => { if (live.current && modeRef.current.m === 'previewing') setMode({ m: 'previewing', progress }) }), () => null).then(v => {
      if (!live.current) return
      setShown(v)
      setMode({ m: 'none' })
    })
  }

  useKeys((input) => {
    if (modeRef.current.m !== 'none' || d === null) return
    if (input === 'v') {
      if (d.job.file === null) p.say({ kind: 'error', text: 'this job has no model file to view' })
      else if (shown !== null) setShown(null)
      else { p.say(null); preview() }
    } else if (input === 'g') {
      if (d.job.file === null) p.say({ kind: 'error', text: 'this job has no model file to download' })
      else { p.say(null); setMode({ m: 'download-form' }) }
    } else if (input === 'r') {
      if (d.review.can) { p.say(null); setMode({ m: 'review-form' }) } else p.say({ kind: 'error', text: reviewWhyNot(d) })
    }
  }, { isActive: p.active && enabled })

  const invalid = (f: { label: string }, e: string): void => p.say({ kind: 'error', text: `fix the ${f.label} first: ${e}` })
  const view = (
    <Box flexDirection='column'>
      {d?.review.mine != null ? <Text>Your review: <Text color='yellow'>{'★'.repeat(d.review.mine.rating)}{'☆'.repeat(5 - d.review.mine.rating)}</Text>{d.review.mine.text !== '' ? ` “${d.review.mine.text}”` : ''}</Text> : null}
      {mode.m === 'download-form'
        ? <Box flexDirection='column'><Text color='yellow'>Download {d?.job.file?.name ?? 'the model'} ({fmtBytes(d?.job.file?.byteLength ?? null)}) into a folder</Text><Form fields={[{ name: 'dir', label: 'folder', hint: 'relative to where p2print was started' }]} initial={{ dir: '.' }} width={8} active={p.active} onCancel={close} onFixed={() => p.say(null)} onInvalid={invalid} onSubmit={v => download(v.dir)} footer='Enter download · Esc cancel' /></Box>
        : null}
      {mode.m === 'downloading'
        ? <Box flexDirection='column'><Text>Downloading {d?.job.file?.name ?? 'the model'}…</Text>{mode.progress !== null ? <ProgressBar bytes={mode.progress.bytes} total={mode.progress.total} rate={mode.progress.rate} etaSecs={mode.progress.etaSecs} /> : <Text dimColor>looking for a peer that has it…</Text>}</Box>
        : null}
      {mode.m === 'previewing'
        ? <Box flexDirection='column'><Text>Fetching {d?.job.file?.name ?? 'the model'} to draw it…</Text>{mode.progress !== null ? <ProgressBar bytes={mode.progress.bytes} total={mode.progress.total} rate={mode.progress.rate} etaSecs={mode.progress.etaSecs} /> : <Text dimColor>looking for a peer that has it…</Text>}</Box>
        : null}
      {mode.m === 'review-form'
        ? <Box flexDirection='column'><Text color='yellow'>Review the {d?.role === 'client' ? 'printer' : 'client'} of this job (once; everyone sees it)</Text><Form fields={REVIEW_FIELDS} width={9} active={p.active} validate={v => p.core.validateReview(v.rating, v.text)} onCancel={close} onFixed={() => p.say(null)} onInvalid={invalid} onSubmit={v => review(v.rating, v.text)} /></Box>
        : null}
    </Box>
  )
  const drawn = shown === null
    ? null
    : (
      <Box flexDirection='column'>
        {shown.previews.map(pv => (
          <Box key={pv.name} flexDirection='column'>
            <Text bold wrap='truncate-end'>{pv.name} <Text dimColor>· v hides the preview</Text></Text>
            {/* drawn for the size the terminal had: on a smaller one, cut rather than wrapped */}
            {pv.text.split('\n').slice(0, previewRows).map((l, i) => <Text key={i} wrap='truncate-end'>{l === '' ? ' ' : l}</Text>)}
          </Box>
        ))}
      </Box>
      )
  return { view, preview: drawn, typing }
}

function reviewWhyNot (d: JobDetail): string {
  if (d.review.mine !== null) return 'you already reviewed this job: a review is left once'
  if (d.role === 'other') return 'only the client and the printer of a job can review it'
  return d.review.why ?? 'this job cannot be reviewed now'
}
