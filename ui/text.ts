// Plain-text rendering for the command line: progress events (stderr) and command results (stdout).
import type { Result, MarketInfo } from '../lib/commands/context.js'
import type { JobJSON } from '../lib/job/json.js'
import { shortId } from '../lib/ids.js'

export const HELP = `p2print — a peer-to-peer market for 3D printing

Usage: p2print [--storage DIR] [--bootstrap HOST:PORT[,…]] [--market KEY] [--json] [--sync-timeout SECS] <command>

Markets
  market create [--name NAME]   create a market (you become its first indexer) and make it current
  market join KEY               join the market with this key and make it current
  market info                   key, your id, job counts, peers
  id                            your id in the current market
  sync                          connect, catch up, share what you wrote offline, exit
  seed                          keep running: replicate and serve the market (Ctrl-C to stop)
  testnet [--port N]            run a local DHT on 127.0.0.1 (default port 49737) to try peers on one machine

Jobs
  jobs [--status S] [--material M] [--country CC] [--min-bounty BTC] [--mine] [--limit N]
  job create --title T --material M [--color C]... --bounty BTC --country CC [--notes TEXT]
  job show ID                   ID may be a unique prefix (at least 4 characters)
  job update ID [--title T] [--material M] [--color C]... [--bounty BTC] [--country CC] [--notes TEXT]
  job cancel ID | job accept ID | job withdraw ID | job complete ID
  job ship ID [--note TEXT]
  job dispute ID --reason TEXT

Options
  --storage DIR        peer storage (default $P2PRINT_STORAGE or ~/.p2print)
  --bootstrap LIST     DHT bootstrap nodes, e.g. 127.0.0.1:49737 (for a local testnet)
  --market KEY         act on this market instead of the current one
  --json               print one JSON document on stdout (errors too)
  --sync-timeout SECS  how long to look for peers and catch up (default 10)

Materials: PLA, ABS, PETG, TPU, Nylon, Resin, Other. Job states: open → accepted → active → shipped → completed;
open → cancelled; accepted/active → open (printer withdraws); active/shipped → disputed.
`

export function renderEvent (tag: string, data: Record<string, unknown> = {}): string | null {
  switch (tag) {
    case 'connecting': return `Looking for peers (up to ${String(data.timeoutSecs)} s)…`
    case 'synced': return `Caught up with ${String(data.peers)} peer${data.peers === 1 ? '' : 's'}.`
    case 'offline': return 'No peers reachable: showing what this storage already has.'
    case 'sharing': return 'Sending to peers…'
    case 'shared': return 'Shared with the market.'
    case 'stored-locally': return 'Stored locally: no peer has it yet. It will be shared the next time this peer meets another (run `p2print sync`, or keep `p2print seed` running).'
    case 'market-created': return `Created market ${String(data.key)}`
    case 'job-created': return `Posted job ${String(data.id)}`
    case 'job-changed': return `Job ${String(data.id)} is now ${String(data.status)}${data.confirmed === true ? '' : ' (not yet confirmed)'}`
    case 'seeding': return `${ts()} seeding market ${String(data.key)} as ${shortId(String(data.id))}${data.indexer === true ? ' (indexer)' : ''}, ${String(data.jobs)} jobs`
    case 'peer-connected': return `${ts()} peer connected (${String(data.peers)} connected)`
    case 'peer-disconnected': return `${ts()} peer disconnected (${String(data.peers)} connected)`
    case 'market-updated': return `${ts()} market updated: ${String(data.jobs)} jobs (+${String(data.newJobs)}), view ${String(data.viewLength)} blocks, ${String(data.signedLength)} confirmed`
    case 'testnet': return `${ts()} local DHT running: pass --bootstrap ${String(data.bootstrap)} to every peer (Ctrl-C to stop)`
    case 'warning': return `${ts()} warning: ${String(data.message)}`
    case 'stopping': return `${ts()} stopping…`
    case 'stopped': return `${ts()} stopped`
    default: return null
  }
}

function ts (): string {
  return new Date().toISOString()
}

export function renderResult (r: Result): string {
  switch (r.kind) {
    case 'market': return renderMarket(r.data)
    case 'summary': return (r.data === null ? 'No market yet: create one with `p2print market create` or join one with `p2print market join KEY`.\n\n' : renderMarket(r.data) + '\n') + HELP
    case 'id': return `${r.data.id}\n(short: ${r.data.short})`
    case 'job': return renderJob(r.data)
    case 'jobs': return renderJobs(r.data.jobs)
    case 'sync': return `Synced with ${r.data.peers} peer(s); ${r.data.jobs} jobs in the market${r.data.shared ? '' : '; your writes are stored locally until a peer takes them'}.`
    case 'none': return ''
  }
}

function renderMarket (m: MarketInfo): string {
  const counts = Object.entries(m.byStatus).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ')
  return [
    `Market   ${m.key}${m.name.length > 0 ? `  "${m.name}"` : ''}`,
    `You      ${m.id} (${shortId(m.id)})${m.indexer ? ', indexer' : m.writer ? ', writer' : ''}${m.created ? ', creator' : ''}`,
    `Jobs     ${m.jobs}${counts.length > 0 ? ` (${counts})` : ''}`,
    `Peers    ${m.peers}`,
    `View     ${m.viewLength} blocks, ${m.signedLength} confirmed`
  ].join('\n')
}

function renderJob (j: JobJSON & { shared?: boolean }): string {
  const lines = [
    `${j.title}`,
    `  id        ${j.id}`,
    `  status    ${j.status}${j.confirmed ? '' : '  (last change not yet confirmed: it may still be reordered)'}`,
    `  bounty    ${j.bountyBtc} BTC (${j.bountySats} sat)`,
    `  material  ${j.material}${j.colors.length > 0 ? ' — ' + j.colors.join(', ') : ''}`,
    `  country   ${j.country}`,
    `  client    ${j.client}`,
    `  printer   ${j.printer ?? '—'}`,
    `  created   ${j.createdAt}   updated ${j.updatedAt}`
  ]
  if (j.notes.length > 0) lines.push(`  notes     ${j.notes}`)
  lines.push('  history')
  for (const h of j.history) {
    lines.push(`    ${h.at}  ${h.action.padEnd(13)} ${h.from ?? '—'} → ${h.to}  by ${shortId(h.by)}${h.note.length > 0 ? `  "${h.note}"` : ''}`)
  }
  return lines.join('\n')
}

function renderJobs (jobs: JobJSON[]): string {
  if (jobs.length === 0) return 'No jobs match.'
  const rows = jobs.map(j => [
    shortId(j.id), j.status + (j.confirmed ? '' : '*'), j.bountyBtc, j.material, j.country, shortId(j.client), j.title
  ])
  const head = ['ID', 'STATUS', 'BTC', 'MATERIAL', 'CC', 'CLIENT', 'TITLE']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
  const fmt = (r: string[]): string => r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i])).join('  ')
  const unconfirmed = jobs.some(j => !j.confirmed) ? '\n* last change not yet confirmed' : ''
  return [fmt(head), ...rows.map(fmt)].join('\n') + unconfirmed
}
