// One line at the bottom: peers, sync state (with a spinner while it works), market, job counts, and the wallet
// balance and chain tip when a backend is configured; under it, the latest background notice (an escrow step this
// peer's engine refused or could not take, an unreachable backend).
import { Box, Text } from 'ink'
import type { AppState } from '../../lib/app.js'
import { formatBtc } from '../../lib/app.js'
import { Spinner } from './Spinner.js'

const SYNC: Record<AppState['sync'], string> = {
  'no-market': 'no market',
  connecting: 'connecting…',
  syncing: 'syncing…',
  synced: 'synced',
  offline: 'offline (changes stay local)'
}

export function StatusBar ({ state }: { state: AppState }): React.JSX.Element {
  const m = state.market
  const open = m?.byStatus.open ?? 0
  const bal = state.balance
  return (
    <Box borderStyle='single' borderTop borderBottom={false} borderLeft={false} borderRight={false} paddingX={1} flexDirection='column'>
      <Text wrap='truncate-end'>
        <Text color={state.peers > 0 ? 'green' : 'yellow'}>peers {state.peers}</Text>
        {' · '}{state.sync === 'connecting' || state.sync === 'syncing' ? <><Spinner /> </> : null}{SYNC[state.sync]}
        {m !== null ? ` · ${m.name === '' ? 'market ' + m.key.slice(0, 8) : m.name} · ${m.jobs} jobs, ${open} open` : ''}
        {bal !== null ? ` · wallet ${formatBtc(bal.confirmedSats)} BTC${bal.unconfirmedSats !== 0 ? ` (+${formatBtc(bal.unconfirmedSats)} unconfirmed)` : ''} · ${bal.chain} block ${bal.tipHeight}` : ''}
        {' · ? help'}
      </Text>
      {state.notice !== null ? <Text color='red'>! {state.notice}</Text> : null}
    </Box>
  )
}
