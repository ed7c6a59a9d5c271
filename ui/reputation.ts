// Plain-text rendering of reputation results (ui/text.ts delegates the 'peer', 'printers', 'review' and 'profile'
// kinds here) and the one-line record a job view shows for each side.
import type { ReputationResult } from '../lib/commands/reputation.js'
import type { PeerSummaryJSON, PeerJSON, ProfileJSON, RatingJSON, SplitJSON } from '../lib/reputation/query.js'

const short = (id: string): string => id.slice(0, 8)

function stars (r: RatingJSON): string {
  return r.count === 0 ? 'no ratings' : `${r.average?.toFixed(2) ?? '—'}/5 from ${r.count} review${r.count === 1 ? '' : 's'}`
}

// Jobs that ended in a split of the bounty, shown only when there are any (records written before splits were
// counted apart have none).
function splits (s: SplitJSON | undefined): string {
  if (s === undefined || s.count === 0) return ''
  return `, ${s.count} split in a dispute (got ${s.averageSharePct ?? 0} % of the bounty on average)`
}

// e.g. "as printer: 12 completed, 1 cancelled, 1 split in a dispute (got 60 % of the bounty on average), median
// accept→ship 30.5 h, 4.80/5 from 10 reviews; disputes: 1 opened, 0 lost"
export function recordLine (r: PeerSummaryJSON, role: 'client' | 'printer'): string {
  const side = role === 'printer'
    ? `as printer: ${r.asPrinter.completed} completed, ${r.asPrinter.cancelled} cancelled${splits(r.asPrinter.split)}, median accept→ship ${r.asPrinter.medianShipHours === null ? '—' : `${r.asPrinter.medianShipHours} h`}, ${stars(r.asPrinter.rating)}`
    : `as client: ${r.asClient.completed} completed, ${r.asClient.cancelled} cancelled${splits(r.asClient.split)}, ${stars(r.asClient.rating)}`
  return `${side}; disputes: ${r.disputesOpened} opened, ${r.disputesLost} lost`
}

function profileLines (p: ProfileJSON): string[] {
  return [
    `  offers      ${p.materials.join(', ')}`,
    `  bed         ${p.bedMm.join(' × ')} mm`,
    `  country     ${p.country}`,
    ...(p.note.length > 0 ? [`  note        ${p.note}`] : [])
  ]
}

export function renderPeer (d: PeerJSON): string {
  const lines = [
    `Peer ${d.id}`,
    `  rating      ${stars(d.rating)}`,
    `  ${recordLine(d, 'client')}`,
    `  ${recordLine(d, 'printer')}`,
    ...(d.profile === null ? ['  no printer profile'] : profileLines(d.profile))
  ]
  if (d.reviews.length > 0) {
    lines.push('Reviews')
    for (const r of d.reviews) lines.push(`  ${'★'.repeat(r.rating)}${'☆'.repeat(5 - r.rating)}  by ${short(r.by)} (${r.role}) on job ${short(r.job)}, ${r.at.slice(0, 10)}${r.text.length > 0 ? `: ${r.text}` : ''}`)
  }
  return lines.join('\n')
}

export function renderReputation (r: ReputationResult): string {
  switch (r.kind) {
    case 'peer': return renderPeer(r.data)
    case 'printers':
      if (r.data.printers.length === 0) return 'No printers match.'
      return r.data.printers.map(p => `${short(p.id)}  ${p.country}  ${p.bedMm.join('×')} mm  ${p.materials.join(',')}  ${p.record.asPrinter.completed} done, ${stars(p.record.asPrinter.rating)}${p.note.length > 0 ? `  — ${p.note}` : ''}`).join('\n')
    case 'review': return `Reviewed ${short(r.data.subject)} (${r.data.rating}/5) for job ${short(r.data.job)}. Their record: ${stars(r.data.record.rating)}`
    case 'profile': return r.data.profile === null ? 'You are not listed as a printer.' : ['Your printer profile:', ...profileLines(r.data.profile)].join('\n')
  }
}
