// Plain-text rendering of a job's quotes (`job quotes ID`; ui/text.ts delegates the 'quotes' kind here) and the
// quote lines of a job view.
import type { QuotesResult } from '../lib/service/quotes.js'
import type { AddressResult } from '../lib/service/address.js'
import type { JobJSON } from '../lib/job/json.js'
import { formatBtc } from '../lib/btc.js'
import { recordLine } from './reputation.js'

const short = (id: string): string => id.slice(0, 8)

export function renderQuotes (d: QuotesResult): string {
  const head = `Quotes on ${d.title} (${short(d.job)}, ${d.status}${d.openToQuotes ? ', open to quotes' : `, bounty ${formatBtc(d.bountySats)} BTC`})`
  if (d.quotes.length === 0) return `${head}\n  none yet${d.status === 'open' ? ': printers quote with `p2print job quote ID --price BTC --days N`' : ''}`
  const lines = [head]
  for (const q of d.quotes) {
    const proposal = [q.material ?? '', q.colors.join(', ')].filter(s => s.length > 0).join(' — ')
    lines.push(`  ${String(q.n).padStart(2)}. ${q.priceBtc} BTC, ${q.leadDays} day${q.leadDays === 1 ? '' : 's'}  by ${short(q.printer)}${q.offered ? '  ← your offer stands to this printer' : ''}`)
    if (proposal.length > 0) lines.push(`      proposes ${proposal}`)
    if (q.note.length > 0) lines.push(`      "${q.note}"`)
    lines.push(`      ${recordLine(q.record, 'printer')}`)
  }
  if (d.status === 'open') lines.push('Take one with `p2print job take-quote ID N`, or counter with `p2print job offer ID N --price BTC [--days N]`.')
  return lines.join('\n')
}

// The lines a job view adds for quotes: open to quotes, how many, the standing offer, the agreed lead time.
export function quoteLines (j: Pick<JobJSON, 'openToQuotes' | 'quotes' | 'offer' | 'leadDays' | 'status'>): string[] {
  const lines: string[] = []
  if (j.openToQuotes || j.quotes > 0) lines.push(`  quotes    ${j.quotes} live${j.openToQuotes ? ' (open to quotes: taken only through an offer)' : ''} — \`p2print job quotes ID\``)
  if (j.offer !== null) lines.push(`  offer     ${j.offer.priceBtc} BTC, ${j.offer.leadDays} day${j.offer.leadDays === 1 ? '' : 's'} to ${short(j.offer.printer)}${j.offer.material === null ? '' : `, ${j.offer.material}`} (that printer accepts it with \`p2print job accept ID\`)`)
  if (j.leadDays > 0 && j.status !== 'open') lines.push(`  lead time ${j.leadDays} day${j.leadDays === 1 ? '' : 's'} (agreed)`)
  return lines
}

export function renderAddress (d: AddressResult): string {
  if (d.address === null) return `No shipping address for job ${short(d.job)} (${d.status}): ${d.why ?? 'none'}`
  const a = d.address
  return [`Ship job ${short(d.job)} to:`, `  ${a.name}`, `  ${a.street}`, `  ${a.postcode} ${a.city}`, `  ${a.country}`, ...(a.phone === null ? [] : [`  phone ${a.phone}`]), `(given ${d.at ?? ''}${d.revisions > 1 ? `, corrected ${d.revisions - 1}×` : ''}; only the job's parties can read it)`].join('\n')
}
