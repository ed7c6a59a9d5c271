// A dispute's state: stage, mediator, proposal and answers, deadlines, ruling.
import { Box, Text } from 'ink'
import type { DisputeInfo } from '../../lib/app.js'

const STAGE: Record<DisputeInfo['stage'], string> = {
  mediation: 'waiting for the mediator\'s proposal',
  proposed: 'proposal made: waiting for both sides to answer',
  arbitration: 'with the arbitrator',
  settled: 'both sides accepted: the split is being paid',
  ruled: 'the arbitrator ruled'
}

// the stage, and for a proposal who has still to answer it (one side may have accepted already)
export function stageText (d: DisputeInfo): string {
  if (d.stage !== 'proposed' || (!d.accepted.client && !d.accepted.printer)) return STAGE[d.stage]
  if (d.accepted.client && d.accepted.printer) return STAGE.settled
  return `proposal made: the ${d.accepted.client ? 'client' : 'printer'} accepted, waiting for the ${d.accepted.client ? 'printer' : 'client'}`
}

export function when (isoTime: string): string {
  return isoTime.slice(0, 16).replace('T', ' ') + ' UTC'
}

// "in 3 h", "2 d ago": how far a deadline is from now
export function relative (isoTime: string, now = Date.now()): string {
  const ms = Date.parse(isoTime) - now
  if (Number.isNaN(ms)) return ''
  const a = Math.abs(ms)
  const t = a < 3_600_000 ? `${Math.max(1, Math.round(a / 60_000))} min` : a < 172_800_000 ? `${Math.round(a / 3_600_000)} h` : `${Math.round(a / 86_400_000)} d`
  return ms >= 0 ? `in ${t}` : `${t} ago`
}

export function DisputeBox ({ d, indent = 0 }: { d: DisputeInfo, indent?: number }): React.JSX.Element {
  const p = d.proposal
  return (
    <Box flexDirection='column' marginLeft={indent}>
      <Text><Text color='yellow'>{d.stage}</Text> — {stageText(d)}{d.escalation !== 'none' ? ` (escalated: ${d.escalation})` : ''}</Text>
      <Text dimColor>opened {when(d.openedAt)} by {d.openedBy.slice(0, 8)} · mediator {d.mediator === null ? 'none (straight to the arbitrator)' : `${d.mediator.slice(0, 8)}, fee ${d.mediatorFeePct} %`}</Text>
      {d.stage === 'mediation' ? <Text>the mediator proposes by {when(d.proposeBy)} ({relative(d.proposeBy)})</Text> : null}
      {p !== null
        ? <Text>proposal: the printer gets {p.printerPct} % of the bounty{p.note !== '' ? ` — “${p.note}”` : ''} · mediator fee {p.feeSats} sats · answer by {when(p.answerBy)} ({relative(p.answerBy)}) · accepted: client {d.accepted.client ? '✓' : '—'} printer {d.accepted.printer ? '✓' : '—'}</Text>
        : null}
      {d.ruling !== null ? <Text>ruling: the printer gets {d.ruling.printerPct} %{d.ruling.note !== '' ? ` — “${d.ruling.note}”` : ''} ({when(d.ruling.at)})</Text> : null}
    </Box>
  )
}
