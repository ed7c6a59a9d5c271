// The job fields as a person types them (command-line flags, the app's forms): parsed and checked before any
// network, with messages that name the flag.
import { MATERIALS, STATUSES, QUOTE_LIMITS, MILESTONE_LIMITS, milestonesProblem, type Milestone, type JobFields, type JobPatch, type Material, type Status } from '../schema.js'
import { checkJobFields } from './state.js'
import { parseBtc } from '../btc.js'
import { BAD_ARGUMENT } from '../errors.js'
import type { JobQuery } from '../market/view.js'

export interface JobFlags {
  title?: string
  material?: string
  color?: string[]
  bounty?: string
  country?: string
  notes?: string
  file?: string
  note?: string
  reason?: string
  quotes?: boolean // job create: open to quotes (the bounty is then optional: a guide)
  milestones?: string // job create: "label:pct,label:pct" (2–4 parts adding up to 100 %)
}

export interface JobsFlags {
  status?: string
  material?: string
  country?: string
  minBounty?: string
  mine?: boolean
  limit?: string
}

export function parseMaterial (text: string): Material {
  const m = MATERIALS.find(m => m.toLowerCase() === text.trim().toLowerCase())
  if (m === undefined) throw BAD_ARGUMENT(`unknown material ${JSON.stringify(text)}: use one of ${MATERIALS.join(', ')}`)
  return m
}

export function parseBounty (text: string, flag = '--bounty'): number {
  const sats = parseBtc(text)
  if (sats === null) throw BAD_ARGUMENT(`${flag} ${JSON.stringify(text)} is not an amount in BTC: use a decimal number with at most 8 decimals, e.g. 0.0005`)
  if (sats === 0 && flag === '--bounty') throw BAD_ARGUMENT(`${flag} must be more than 0 BTC`)
  return sats
}

function parseCountry (text: string): string {
  return text.trim().toUpperCase()
}

export function parsePatch (flags: JobFlags): JobPatch {
  const p: JobPatch = {}
  if (flags.title !== undefined) p.title = flags.title.trim()
  if (flags.material !== undefined) p.material = parseMaterial(flags.material)
  if (flags.color !== undefined) p.colors = flags.color.flatMap(c => c.split(',')).map(c => c.trim()).filter(c => c.length > 0)
  if (flags.bounty !== undefined) p.bountySats = parseBounty(flags.bounty)
  if (flags.country !== undefined) p.country = parseCountry(flags.country)
  if (flags.notes !== undefined) p.notes = flags.notes
  const bad = checkJobFields(p)
  if (bad !== null) throw BAD_ARGUMENT(bad)
  return p
}

// A lead time in whole days (a quote's, an offer's).
export function parseDays (text: string | undefined, flag = '--days'): number {
  const n = Number(text)
  if (text === undefined || !/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < 1 || n > QUOTE_LIMITS.leadDays) throw BAD_ARGUMENT(`${flag} must be a whole number of days from 1 to ${QUOTE_LIMITS.leadDays}`)
  return n
}

export function parseNewJob (flags: JobFlags): JobFields {
  for (const f of ['title', 'material', 'bounty', 'country'] as const) {
    if (flags[f] === undefined && !(f === 'bounty' && flags.quotes === true)) throw BAD_ARGUMENT(`job create needs --${f}${f === 'bounty' ? ' (or --quotes, to ask printers for quotes)' : ''}`)
  }
  const p = parsePatch(flags)
  return { title: p.title!, material: p.material!, colors: p.colors ?? [], bountySats: p.bountySats ?? 0, country: p.country!, notes: p.notes ?? '' }
}

export function parseQuery (flags: JobsFlags): JobQuery {
  const q: JobQuery = {}
  if (flags.status !== undefined) {
    const s = flags.status.trim().toLowerCase()
    if (!(STATUSES as readonly string[]).includes(s)) throw BAD_ARGUMENT(`unknown status ${JSON.stringify(flags.status)}: use one of ${STATUSES.join(', ')}`)
    q.status = s as Status
  }
  if (flags.material !== undefined) q.material = parseMaterial(flags.material)
  if (flags.country !== undefined) {
    q.country = parseCountry(flags.country)
    const bad = checkJobFields({ country: q.country })
    if (bad !== null) throw BAD_ARGUMENT(bad)
  }
  if (flags.minBounty !== undefined) q.minBountySats = parseBounty(flags.minBounty, '--min-bounty')
  if (flags.limit !== undefined) {
    const n = Number(flags.limit)
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw BAD_ARGUMENT('--limit must be a whole number from 1 to 1000')
    q.limit = n
  } else {
    q.limit = 50
  }
  return q
}

// --milestones "first layer:20,printed:50,delivered:30": 2–4 labelled parts of the bounty adding up to 100 %.
export function parseMilestones (text: string | undefined): Milestone[] {
  if (text === undefined) return []
  const list: Milestone[] = []
  for (const part of text.split(',')) {
    const at = part.lastIndexOf(':')
    const label = at < 0 ? '' : part.slice(0, at).trim()
    const pct = at < 0 ? NaN : Number(part.slice(at + 1).trim().replace(/%$/, ''))
    if (label.length === 0 || !Number.isInteger(pct)) throw BAD_ARGUMENT(`--milestones: ${JSON.stringify(part.trim())} is not "label:percent" (e.g. --milestones "first layer:20,printed:50,delivered:30")`)
    if (label.length > MILESTONE_LIMITS.labelChars) throw BAD_ARGUMENT(`--milestones: the label ${JSON.stringify(label)} is longer than ${MILESTONE_LIMITS.labelChars} characters`)
    list.push({ label, pct })
  }
  const why = milestonesProblem(list)
  if (why !== null) throw BAD_ARGUMENT(`--milestones: ${why}`)
  return list
}
