// The app shell: routes, global keys (? help, q / Ctrl-C quit, m p y w d s i u ! Esc), the message line and the status bar.
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
import { MarketInfoScreen, MARKET_INFO_KEYS } from './screens/MarketInfoScreen.js'
import { MarketSettingsScreen, SETTINGS_KEYS } from './screens/MarketSettingsScreen.js'
import { IndexersScreen, INDEXER_KEYS } from './screens/IndexersScreen.js'
import { MarketsScreen, MARKETS_KEYS } from './screens/MarketsScreen.js'
import { PeopleScreen, PEOPLE_KEYS } from './screens/PeopleScreen.js'
import { RecoveryScreen, RECOVERY_KEYS } from './screens/RecoveryScreen.js'
import { EditJob, EDIT_KEYS } from './screens/EditJob.js'
import { EscrowScreen, ESCROW_KEYS } from './screens/EscrowScreen.js'
import { QuotesScreen, QUOTES_KEYS } from './screens/QuotesScreen.js'
import { NoticesScreen, NOTICES_KEYS } from './screens/NoticesScreen.js'
import { SearchesScreen, SEARCHES_KEYS } from './screens/SearchesScreen.js'
import { AlertLine, alertLines } from './components/AlertLine.js'
import type { Route, ScreenProps } from './screens/types.js'
import { useRefState } from './components/useRefState.js'
import { BodySize, linesOf, useTerminalSize } from './components/useSize.js'

const TITLES: Record<Route['name'], [string, KeyHelp[]]> = {
  'first-run': ['First run', FIRST_KEYS],
  market: ['Market', MARKET_KEYS],
  job: ['Job', JOB_KEYS],
  active: ['Active job', ACTIVE_KEYS],
  post: ['Post a job', POST_KEYS],
  mine: ['My jobs', MINE_KEYS],
  wallet: ['Wallet', WALLET_KEYS],
  disputes: ['Disputes', DISPUTE_KEYS],
  seeder: ['Files and seeding', SEEDER_KEYS],
  'market-info': ['This market', MARKET_INFO_KEYS],
  'market-settings': ['Market settings', SETTINGS_KEYS],
  'market-indexers': ['Indexers', INDEXER_KEYS],
  markets: ['Markets', MARKETS_KEYS],
  people: ['People', PEOPLE_KEYS],
  recovery: ['Recovery phrase', RECOVERY_KEYS],
  edit: ['Edit job', EDIT_KEYS],
  escrow: ['Escrow', ESCROW_KEYS],
  quotes: ['Quotes', QUOTES_KEYS],
  notices: ['Notices', NOTICES_KEYS],
  searches: ['Saved searches', SEARCHES_KEYS]
}

// global keys that open a screen (from anywhere but a text field)
const SCREEN_KEYS: Record<string, 'mine' | 'wallet' | 'disputes' | 'seeder' | 'market-info' | 'people' | 'notices'> = { y: 'mine', w: 'wallet', d: 'disputes', s: 'seeder', i: 'market-info', u: 'people', '!': 'notices' }

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
  const term = useTerminalSize()

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
    else if (route.name === 'first-run') { if (input === 'm' || input === 'p' || screen !== undefined) setMsg({ kind: 'info', text: 'create a market (c) or join one (j) first: the market, posting, your jobs, the wallet, disputes and files open then' }) }
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
    case 'market-info': body = <MarketInfoScreen {...p} />; break
    case 'market-settings': body = <MarketSettingsScreen {...p} />; break
    case 'market-indexers': body = <IndexersScreen {...p} />; break
    case 'markets': body = <MarketsScreen {...p} />; break
    case 'people': body = <PeopleScreen {...p} />; break
    case 'recovery': body = <RecoveryScreen {...p} />; break
    case 'edit': body = <EditJob key={route.id} {...p} id={route.id} />; break
    case 'escrow': body = <EscrowScreen key={route.id} {...p} id={route.id} />; break
    case 'quotes': body = <QuotesScreen key={route.id} {...p} id={route.id} />; break
    case 'notices': body = <NoticesScreen {...p} />; break
    case 'searches': body = <SearchesScreen {...p} />; break
  }
  // the screen gets the rows the header, the message and the status bar leave, less one: a frame as tall as the
  // terminal makes Ink clear the screen on every render
  const chrome = 1 + (msg === null ? 0 : linesOf('✗ ' + msg.text, term.columns)) + 2 + (state.notice === null ? 0 : linesOf('! ' + state.notice, term.columns - 2)) + alertLines(state) + 1
  const bodySize = { columns: term.columns, rows: Number.isFinite(term.rows) ? Math.max(3, term.rows - chrome) : Infinity }
  const fixed = Number.isFinite(bodySize.rows)
  return (
    <Box flexDirection='column'>
      <Text color='cyan' bold wrap='truncate-end'>p2print <Text dimColor>· {title}</Text></Text>
      <BodySize.Provider value={bodySize}>
        <Box flexDirection='column' height={fixed ? bodySize.rows : undefined} overflow={fixed ? 'hidden' : undefined}>
          {help ? <HelpOverlay screen={title} keys={keys} globals={route.name === 'first-run' ? 'first-run' : 'all'} /> : null}
          {/* a screen keeps its own height; one taller than its rows is cut at the bottom, never over the status bar */}
          <Box display={help ? 'none' : 'flex'} flexDirection='column' flexShrink={0}>{body}</Box>
        </Box>
      </BodySize.Provider>
      <Message msg={msg} />
      <AlertLine state={state} />
      <StatusBar state={state} />
    </Box>
  )
}
