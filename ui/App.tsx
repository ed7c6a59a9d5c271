// The app shell: routes, global keys (? help, q / Ctrl-C quit, m p y w d s Esc), the message line and the status bar.
// It renders and handles keys only; everything else goes through the AppCore it is given (lib/app.ts).
import { useCallback, useEffect, useRef, useState } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from './components/useKeys.js'
import type { AppCore, AppState, JobDraft, JobFilters } from '../lib/app.js'
import { StatusBar } from './components/StatusBar.js'
import { Message, type Msg } from './components/Message.js'
import { HelpOverlay, type KeyHelp } from './components/HelpOverlay.js'
import { MarketScreen, MARKET_KEYS } from './screens/MarketScreen.js'
import { JobScreen, JOB_KEYS } from './screens/JobScreen.js'
import { ActiveJob, ACTIVE_KEYS } from './screens/ActiveJob.js'
import { PostJob, POST_KEYS, EMPTY_DRAFT } from './screens/PostJob.js'
import { MyJobs, MINE_KEYS } from './screens/MyJobs.js'
import { FirstRun, FIRST_KEYS } from './screens/FirstRun.js'
import { WalletScreen, WALLET_KEYS } from './screens/WalletScreen.js'
import { DisputesScreen, DISPUTE_KEYS } from './screens/DisputesScreen.js'
import { SeederScreen, SEEDER_KEYS } from './screens/SeederScreen.js'
import type { Route, ScreenProps } from './screens/types.js'
import { useRefState } from './components/useRefState.js'

const TITLES: Record<Route['name'], [string, KeyHelp[]]> = {
  'first-run': ['First run', FIRST_KEYS],
  market: ['Market', MARKET_KEYS],
  job: ['Job', JOB_KEYS],
  active: ['Active job', ACTIVE_KEYS],
  post: ['Post a job', POST_KEYS],
  mine: ['My jobs', MINE_KEYS],
  wallet: ['Wallet', WALLET_KEYS],
  disputes: ['Disputes', DISPUTE_KEYS],
  seeder: ['Files and seeding', SEEDER_KEYS]
}

// global keys that open a screen (from anywhere but a text field)
const SCREEN_KEYS: Record<string, 'mine' | 'wallet' | 'disputes' | 'seeder'> = { y: 'mine', w: 'wallet', d: 'disputes', s: 'seeder' }

export interface AppProps {
  core: AppCore
  onQuit: () => void
  pageSize?: number
  initialFilters?: JobFilters
  onMarketLoaded?: () => void
}

export function App ({ core, onQuit, pageSize, initialFilters, onMarketLoaded }: AppProps): React.JSX.Element {
  const [state, setState] = useState<AppState>(() => core.state())
  const [version, setVersion] = useState(0)
  const [stack, setStack, stackRef] = useRefState<Route[]>(() => [core.state().hasMarket ? { name: 'market' } : { name: 'first-run' }])
  const [, setTypingNow, typingRef] = useRefState(false)
  // leaving a text field (Esc, Enter) must not also act on that same key here: the release waits for the next tick,
  // and a field taking the keyboard again meanwhile (an effect's cleanup, then its next run) cancels it
  const release = useRef<NodeJS.Timeout | null>(null)
  const setTyping = useCallback((v: boolean) => {
    if (release.current !== null) { clearTimeout(release.current); release.current = null }
    if (v) setTypingNow(true)
    else release.current = setTimeout(() => { release.current = null; setTypingNow(false) }, 0)
  }, [setTypingNow])
  const [help, setHelp, helpRef] = useRefState(false)
  const [msg, setMsg] = useState<Msg | null>(() => core.state().notice === null ? null : { kind: 'error', text: core.state().notice! })
  const [draft, setDraft] = useState<JobDraft>(EMPTY_DRAFT)

  useEffect(() => core.subscribe(() => {
    setState(core.state())
    setVersion(v => v + 1)
  }), [core])

  const route = stack[stack.length - 1]
  const go = useCallback((r: Route) => setStack(s => [...s, r]), [])
  const back = useCallback(() => setStack(s => s.length > 1 ? s.slice(0, -1) : s), [])

  useKeys((input, key) => {
    if (key.ctrl && input === 'c') { onQuit(); return }
    const route = stackRef.current[stackRef.current.length - 1]
    if (helpRef.current) {
      if (input === '?' || key.escape) setHelp(false)
      else if (input === 'q') onQuit()
      return
    }
    if (typingRef.current || route.name === 'post') return
    const screen = Object.hasOwn(SCREEN_KEYS, input) ? SCREEN_KEYS[input] : undefined
    if (input === '?') setHelp(true)
    else if (input === 'q') onQuit()
    else if (route.name === 'first-run') return
    else if (input === 'm') { setMsg(null); setStack([{ name: 'market' }]) }
    else if (input === 'p') { setMsg(null); go({ name: 'post' }) }
    else if (screen !== undefined) { if (route.name !== screen) { setMsg(null); go({ name: screen }) } } else if (key.escape) { setMsg(null); back() }
  })

  const p: ScreenProps = { core, active: !help, setTyping, say: setMsg, go, back, version }
  const [title, keys] = TITLES[route.name]
  let body: React.JSX.Element
  switch (route.name) {
    case 'first-run': body = <FirstRun {...p} walletCreated={state.walletCreated} storage={state.storage} onDone={() => { setState(core.state()); setStack([{ name: 'market' }]) }} />; break
    case 'market': body = <MarketScreen {...p} pageSize={pageSize} initial={initialFilters} onLoaded={onMarketLoaded} />; break
    case 'job': body = <JobScreen key={route.id} {...p} id={route.id} />; break
    case 'active': body = <ActiveJob key={route.id} {...p} id={route.id} />; break
    case 'post': body = <PostJob {...p} draft={draft} setDraft={setDraft} />; break
    case 'mine': body = <MyJobs {...p} />; break
    case 'wallet': body = <WalletScreen {...p} />; break
    case 'disputes': body = <DisputesScreen {...p} />; break
    case 'seeder': body = <SeederScreen {...p} />; break
  }
  return (
    <Box flexDirection='column'>
      <Text color='cyan' bold>p2print <Text dimColor>· {title}</Text></Text>
      {help ? <HelpOverlay screen={title} keys={keys} /> : null}
      <Box display={help ? 'none' : 'flex'} flexDirection='column'>{body}</Box>
      <Message msg={msg} />
      <StatusBar state={state} />
    </Box>
  )
}
