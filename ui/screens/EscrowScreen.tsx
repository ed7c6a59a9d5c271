// A job's whole escrow, as `p2print escrow ID` prints it: state, address, amounts, who signed what, the funding and
// its depth, the payout, the ruling, the deadlines and what each payout path pays.
import { useEffect, useState } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../components/useKeys.js'
import { formatBtc, type EscrowView } from '../../lib/app.js'
import type { KeyHelp } from '../components/HelpOverlay.js'
import type { ScreenProps } from './types.js'

export const ESCROW_KEYS: KeyHelp[] = [
  { keys: 'r', what: 'read it again (the depth and the tip come from your Bitcoin backend)' },
  { keys: 'Esc', what: 'back to the job' }
]

const yes = (b: boolean | undefined): string => b === true ? 'yes' : 'no'
const btc = (sats: string | number | null | undefined): string => sats === null || sats === undefined ? '—' : `${formatBtc(Number(sats))} BTC`

// The lines of the view, label and value (the renderer of `escrow ID` in ui/text.ts, one field a line).
export function escrowRows (d: EscrowView): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['state', d.state],
    ['address', d.address ?? '— (set once the client proposes the funding)'],
    ['arbitrator', d.arbitrator]
  ]
  const a = d.amounts
  if (a !== null) rows.push(['amounts', `bounty ${btc(a.bountySats)}, deposits ${a.depositPct} % of it from each side`], ['puts in', `client ${btc(a.clientInSats)}, printer ${btc(a.printerInSats)} (total ${btc(a.totalSats)})`])
  rows.push(['signed', `refund: client ${yes(d.refundSigned.client)}, printer ${yes(d.refundSigned.printer)}; funding: client ${yes(d.fundedBy.client)}, printer ${yes(d.fundedBy.printer)}`])
  if (d.cancelSigned.client || d.cancelSigned.printer) rows.push(['cancel', `signed by client ${yes(d.cancelSigned.client)}, printer ${yes(d.cancelSigned.printer)}`])
  rows.push(['funding', d.fundingTxid ?? '—'])
  if (d.fundingDepth !== null) rows.push(['depth', `${d.fundingDepth} confirmation${d.fundingDepth === 1 ? '' : 's'} (${d.requiredDepth} needed)`])
  else if (d.fundingTxid !== null) rows.push(['depth', `${d.requiredDepth} confirmation(s) needed (no backend: depth unknown)`])
  if (d.feeRate !== null) rows.push(['fee rate', `${d.feeRate} sat/vB`])
  if (d.agreed !== null && d.payout === null) rows.push(['agreed', `the ${d.agreed.kind} payout is signed by all: any peer of the job broadcasts it`], ['  its txid', d.agreed.txid])
  if (d.payout !== null) rows.push(['payout', `${d.payout.kind}, paid`], ['  its txid', d.payout.txid])
  if (d.refundClaims.length > 0 && d.payout === null) rows.push(['refund', `reported paid by the ${d.refundClaims.join(' and the ')} (a claim: each peer checks its own node)`])
  if (d.ruling !== null) rows.push(['ruling', `for the ${d.ruling.winner}: the printer gets ${d.ruling.printerPct} %`])
  rows.push(['lapses', `${d.deadlines.lapseAt} if not funded by then (market time)`])
  rows.push(['refund from', `block ${d.deadlines.lockHeight ?? '—'}${d.deadlines.tipHeight !== null ? ` (tip ${d.deadlines.tipHeight})` : ''}`])
  if (d.deadlines.releaseAt != null) rows.push(['release at', `${d.deadlines.releaseAt} (market time; unless the client completes or disputes first, the printer is paid then)${d.releasedByArbitrator === true ? ' · the arbitrator co-signed the payout' : ''}`])
  else if ((d.deadlines.deliveryDays ?? 0) > 0) rows.push(['delivery', `${d.deadlines.deliveryDays} days after the ship to complete or dispute; then the printer is paid`])
  if (d.deadlines.shipBy != null) rows.push(['ship by', `${d.deadlines.shipBy} (market time; after it the client may cancel alone, the arbitrator co-signing)${d.cancelSignedByArbitrator === true ? ' · the arbitrator co-signed the cancel' : ''}`])
  for (const path of d.paths) rows.push([`if ${path.kind}`, `${path.outputs.map(o => `${o.role} ${btc(o.valueSats)}`).join(', ')} (fee ${path.feeSats} sat)`])
  return rows
}

export function EscrowScreen (p: ScreenProps & { id: string }): React.JSX.Element {
  const [d, setD] = useState<EscrowView | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [n, setN] = useState(0)
  useEffect(() => {
    let live = true
    p.core.jobTools.escrow(p.id).then(v => { if (live) { setD(v); setError(null) } }, (err: Error) => { if (live) setError(err.message) })
    return () => { live = false }
  }, [p.core, p.id, p.version, n])
  useKeys((input) => { if (input === 'r') setN(x => x + 1) }, { isActive: p.active })
  if (error !== null && d === null) return <Text color='red' wrap='truncate-end'>✗ {error} — Esc back</Text>
  if (d === null) return <Text dimColor>loading the escrow of job {p.id.slice(0, 8)}…</Text>
  return (
    <Box flexDirection='column'>
      <Text bold wrap='truncate-end'>Escrow of job {d.id.slice(0, 8)} <Text color='cyan'>[{d.status}]</Text>{d.confirmed ? '' : <Text color='yellow'> (not yet confirmed)</Text>}</Text>
      {escrowRows(d).map(([k, v]) => (
        <Box key={k}><Box width={13} flexShrink={0}><Text dimColor>{k}</Text></Box><Text wrap='truncate-end'>{v}</Text></Box>
      ))}
      {error !== null ? <Text color='red' wrap='truncate-end'>✗ {error}</Text> : null}
      <Text dimColor wrap='truncate-end'>r read again · Esc back</Text>
    </Box>
  )
}
