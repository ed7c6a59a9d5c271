// The market's page (`p2print market info`): its key as `market join` takes it, with a QR code to share it, and its
// name, peers, indexers, market time, view hash and escrow chain. From here: the settings, the indexers and the
// other markets of this storage (switch, join, create).
import { useEffect, useState } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import type { MarketDetail } from '../../lib/app.js'
import { qrLines } from '../components/QrCode.js'
import { KeyLine, useBodySize } from '../components/useSize.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import type { ScreenProps } from './types.js'

export const MARKET_INFO_KEYS: KeyHelp[] = [
  { keys: 'e', what: 'escrow settings: chain, arbitrators, deposit… (creator edits)' },
  { keys: 'x', what: 'the indexers: list; the creator adds or removes one' },
  { keys: 'o', what: 'other markets of this storage: switch, join by key, create' },
  { keys: 'r', what: 'refresh' },
  { keys: 'Esc', what: 'back' }
]

const KEY_ITEMS = ['e settings', 'x indexers', 'o other markets / join', 'r refresh', 'Esc back']

export function useMarketDetail (p: ScreenProps, reload: number): { detail: MarketDetail | null, error: string | null } {
  const [detail, setDetail] = useState<MarketDetail | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    let live = true
    p.core.markets.detail().then(d => { if (live) { setDetail(d); setError(null) } }, (err: Error) => { if (live) setError(err.message) })
    return () => { live = false }
  }, [p.core, p.version, reload])
  return { detail, error }
}

export function MarketInfoScreen (p: ScreenProps): React.JSX.Element {
  const [reload, setReload] = useState(0)
  const { detail: d, error } = useMarketDetail(p, reload)
  const { rows, columns } = useBodySize()

  useKeys((input) => {
    if (input === 'e') p.go({ name: 'market-settings' })
    else if (input === 'x') p.go({ name: 'market-indexers' })
    else if (input === 'o') p.go({ name: 'markets' })
    else if (input === 'r') setReload(n => n + 1)
  }, { isActive: p.active })

  if (d === null) return error !== null ? <Text color='red' wrap='truncate-end'>✗ {error} — r to try again, Esc back</Text> : <Text dimColor>reading the market…</Text>
  // the code keeps its whole height: a smaller quiet zone, then no hex line, on a short screen
  const room = rows - 2 // the key line above, the key line below
  const quiet = room >= 17 ? 2 : 1
  const qr = qrLines(d.qr.dark, quiet)
  const showHex = room - 1 >= qr.length
  const side = Math.max(20, columns - qr[0].length - 2)
  return (
    <Box flexDirection='column'>
      <Text wrap='truncate-end'><Text bold>key </Text><Text color='cyan'>{d.key}</Text></Text>
      {showHex ? <Text dimColor wrap='truncate-end'>hex {d.keyHex}</Text> : null}
      <Box flexShrink={0}>
        <Box flexDirection='column' flexShrink={0} marginRight={2}>
          {qr.map((l, i) => <Text key={i} color='black' backgroundColor='white' wrap='truncate'>{l}</Text>)}
        </Box>
        <Box flexDirection='column' width={side} overflow='hidden'>
          <Facts d={d} />
        </Box>
      </Box>
      <KeyLine items={KEY_ITEMS} />
    </Box>
  )
}

function Line ({ label, children, dim = false }: { label: string, children: React.ReactNode, dim?: boolean }): React.JSX.Element {
  return <Text wrap='truncate-end' dimColor={dim}><Text bold>{label.padEnd(9)}</Text>{children}</Text>
}

function Facts ({ d }: { d: MarketDetail }): React.JSX.Element {
  const counts = Object.entries(d.byStatus).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ')
  const role = [d.creator ? 'creator' : null, d.indexer ? 'indexer' : d.writer ? 'writer' : null].filter(x => x !== null).join(', ')
  const counted = d.indexers.indexers.filter(i => i.active).length
  const s = d.settings
  return (
    <>
      <Line label='Name'>{d.name === '' ? <Text dimColor>(no name)</Text> : `"${d.name}"`}</Line>
      <Line label='You'>{d.id.slice(0, 8)}{role === '' ? '' : ` · ${role}`}</Line>
      <Line label='Peers'><Text color={d.peers > 0 ? 'green' : 'yellow'}>{d.peers} connected</Text></Line>
      <Line label='Jobs'>{d.jobs}{counts === '' ? '' : ` (${counts})`}</Line>
      <Line label='Chain'>{s.chain === '' ? 'none: no escrow' : `${s.chain} · deposit ${s.depositPct} % · fee ${s.arbitrationFeePct} %`}</Line>
      {s.chain !== '' ? <Line label=''>{s.arbitrators.length} arbitrator{s.arbitrators.length === 1 ? '' : 's'} · {s.mediators.length === 0 ? 'any mediator' : `${s.mediators.length} mediator${s.mediators.length === 1 ? '' : 's'} named`}</Line> : null}
      <Line label='Indexers'>{d.indexers.indexers.length} · {counted} counted · majority {d.indexers.majority}</Line>
      {d.indexers.indexers.map(i => <Line key={i.id} label='' dim={!i.active}>{i.id.slice(0, 8)}{i.creator ? ' creator' : ''}{i.id === d.id ? ' (you)' : ''}{i.active ? '' : ' · not counted yet'}</Line>)}
      <Line label='Time'>{d.marketTime === null ? <Text dimColor>not started (no indexer ticked)</Text> : d.marketTime.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</Line>
      <Line label='View'>{d.viewLength} blocks, {d.signedLength} confirmed</Line>
      <Line label='Hash'>{d.viewHash === null ? <Text dimColor>none confirmed yet</Text> : d.viewHash}</Line>
      <Text dimColor wrap='truncate-end'>Share the key (or the code) to invite.</Text>
    </>
  )
}
