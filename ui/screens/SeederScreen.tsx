// Files and seeding: the model files this peer holds, the bytes peers fetched from it, the peers connected; and the
// seeder of `p2print seed`, which this app can run while it is open.
import { useEffect, useState } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import type { SeederInfo } from '../../lib/app.js'
import { fmtBytes } from '../components/JobTable.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import { run, type ScreenProps } from './types.js'
import { Clip, KeyLine, Keep, Screen } from '../components/useSize.js'

export const SEEDER_KEYS: KeyHelp[] = [
  { keys: 'Enter', what: 'start / stop seeding from this app (what `p2print seed` does, while the app runs)' },
  { keys: 'r', what: 'refresh' },
  { keys: 'Esc', what: 'back' }
]

const SOURCE = { yours: 'your file', mirrored: 'mirrored', downloaded: 'downloaded' }

export function SeederScreen (p: ScreenProps): React.JSX.Element {
  const [info, setInfo] = useState<SeederInfo | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [reload, setReload] = useState(0)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    let live = true
    p.core.seeder().then(s => { if (live) { setInfo(s); setError(null) } }, (err: Error) => { if (live) setError(err.message) })
    return () => { live = false }
  }, [p.core, p.version, reload])

  useKeys((input, key) => {
    if (key.return && info !== null && !busy) {
      const on = !info.running
      setBusy(true)
      void run(p.say, on ? 'starting the seeder…' : 'stopping the seeder…', () => p.core.setSeeding(on), () => on ? 'seeding: this app now keeps the models of live jobs while it runs' : 'seeding stopped').then(s => {
        setBusy(false)
        if (s !== null) setInfo(s)
      })
    } else if (input === 'r') setReload(n => n + 1)
  }, { isActive: p.active })

  if (error !== null && info === null) return <Text color='red'>✗ {error} — press r to try again, Esc to go back</Text>
  if (info === null) return <Text dimColor>reading what this peer holds…</Text>
  return (
    <Screen>
      <Keep><Text bold>Files and seeding</Text></Keep>
      <Clip>
      <Text><Text color={info.peers > 0 ? 'green' : 'yellow'}>peers {info.peers}</Text> · {info.held.length} file{info.held.length === 1 ? '' : 's'} held here, {fmtBytes(info.bytesHeld)} · served to peers since the app started: {fmtBytes(info.bytesServed)}</Text>
      {info.running
        ? <Text color='green'>Seeding from this app: the models of live jobs are kept (up to {fmtBytes(info.quotaBytes)}), those of closed jobs freed after {info.keepClosedDays} days. Enter stops it.</Text>
        : (
          <Box flexDirection='column'>
            <Text>This app serves your own files while it runs; it is not seeding the market's other files.</Text>
            <Text dimColor wrap='wrap'>To keep every live job's model available while you are away, run a seeder on an always-on machine with its own storage: `p2print seed [--quota MB] [--keep-closed DAYS]`. Or press Enter to seed from this app while it runs.</Text>
          </Box>
          )}
      </Clip>
      <Clip marginTop={1}>
        <Text bold>Held here</Text>
        {info.held.length === 0 ? <Text dimColor>  nothing yet: your posted models, the ones you download to print and, while seeding, the market's</Text> : <Text dimColor>  {'FILE'.padEnd(28)} {'JOB'.padEnd(10)} {'SIZE'.padStart(9)}  SOURCE</Text>}
        {info.held.map(h => <Text key={h.job + h.name} wrap='truncate-end'>  {h.name.slice(0, 28).padEnd(28)} {h.job.slice(0, 10).padEnd(10)} {fmtBytes(h.bytes).padStart(9)}  {SOURCE[h.source]}{h.complete ? '' : ' (partial)'}</Text>)}
      </Clip>
      {info.events.length > 0
        ? <Clip marginTop={1}><Text bold>Seeder</Text>{info.events.map((e, i) => <Text key={i} dimColor wrap='truncate-end'>  {e}</Text>)}</Clip>
        : null}
      <KeyLine items={[`Enter ${info.running ? 'stop' : 'start'} seeding`, 'r refresh', 'Esc back']} />
    </Screen>
  )
}
