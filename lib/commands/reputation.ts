// peer [ID] | printers [--material M] [--country CC] [--limit N] | job review ID --rating N [--note TEXT] |
// printer profile --material M[,M…] --bed XxYxZ --country CC [--note TEXT] | printer unlist
//
// Each command is withMarket(ctx, …) around a function of an open Market (lib/service/reputation.ts).
import { withMarket, type Ctx, type ReputationResult } from './context.js'
import { parseRating } from '../job/amounts.js'
import { peerOf, printersOf, publishProfile } from '../service/reputation.js'
import { parseMaterial } from '../job/parse.js'
import { MATERIALS, REPUTATION_LIMITS, type Material, type PrinterProfile } from '../schema.js'
import { isCountryCode } from '../countries.js'
import { BAD_ARGUMENT } from '../errors.js'
import { profileRefusal } from '../reputation/apply.js'
import type { PrinterQuery } from '../reputation/query.js'

export type { ReputationResult }

export interface PrintersFlags { material?: string, country?: string, limit?: string }
export interface ProfileFlags { material?: string, bed?: string, country?: string, note?: string }

// --- flag parsing (usage errors, before any network) -------------------------------------------------------------

function parseCountry (text: string): string {
  const cc = text.trim().toUpperCase()
  if (!isCountryCode(cc)) throw BAD_ARGUMENT(`country ${JSON.stringify(text)} is not an ISO 3166 alpha-2 code (e.g. DE, US, JP)`)
  return cc
}

export function parsePrinterQuery (flags: PrintersFlags): PrinterQuery {
  const q: PrinterQuery = { limit: 50 }
  if (flags.material !== undefined) q.material = parseMaterial(flags.material)
  if (flags.country !== undefined) q.country = parseCountry(flags.country)
  if (flags.limit !== undefined) {
    const n = Number(flags.limit)
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw BAD_ARGUMENT('--limit must be a whole number from 1 to 1000')
    q.limit = n
  }
  return q
}

export function parseBed (text: string): [number, number, number] {
  const parts = text.trim().toLowerCase().split(/\s*[x×,]\s*/)
  const n = parts.map(Number)
  if (n.length !== 3 || n.some(v => !Number.isInteger(v) || v < 1 || v > REPUTATION_LIMITS.bedMmMax)) {
    throw BAD_ARGUMENT(`--bed ${JSON.stringify(text)} must be XxYxZ in whole millimetres, each 1 to ${REPUTATION_LIMITS.bedMmMax} (e.g. 220x220x250)`)
  }
  return [n[0], n[1], n[2]]
}

export function parseProfile (flags: ProfileFlags): PrinterProfile {
  if (flags.material === undefined) throw BAD_ARGUMENT(`printer profile needs --material M[,M…] (${MATERIALS.join(', ')})`)
  if (flags.bed === undefined) throw BAD_ARGUMENT('printer profile needs --bed XxYxZ in millimetres')
  if (flags.country === undefined) throw BAD_ARGUMENT('printer profile needs --country CC')
  const materials: Material[] = []
  for (const m of flags.material.split(',').map(s => s.trim()).filter(s => s.length > 0).map(parseMaterial)) {
    if (!materials.includes(m)) materials.push(m)
  }
  if (materials.length === 0) throw BAD_ARGUMENT('--material needs at least one material')
  const note = flags.note ?? ''
  if (note.length > REPUTATION_LIMITS.profileNoteChars) throw BAD_ARGUMENT(`--note is longer than ${REPUTATION_LIMITS.profileNoteChars} characters`)
  const p: PrinterProfile = { materials, bedMm: parseBed(flags.bed), country: parseCountry(flags.country), note }
  const bad = profileRefusal(p)
  if (bad !== null) throw BAD_ARGUMENT(bad)
  return p
}

// --- commands ----------------------------------------------------------------------------------------------------

export async function peerCommand (ctx: Ctx, idText?: string): Promise<ReputationResult> {
  return withMarket(ctx, async ({ market, peers }) => ({ kind: 'peer', data: { ...(await peerOf(market, idText)), peers } }))
}

export async function printersCommand (ctx: Ctx, flags: PrintersFlags): Promise<ReputationResult> {
  const q = parsePrinterQuery(flags)
  return withMarket(ctx, async ({ market, peers }) => {
    const printers = await printersOf(market, q)
    return { kind: 'printers', data: { printers, peers, total: printers.length } }
  })
}

export async function jobReview (ctx: Ctx, idText: string, ratingText: string | undefined, text = ''): Promise<ReputationResult> {
  const rating = parseRating(ratingText)
  if (text.length > REPUTATION_LIMITS.reviewChars) throw BAD_ARGUMENT(`--note is longer than ${REPUTATION_LIMITS.reviewChars} characters`)
  return withMarket(ctx, async (p) => ({ kind: 'review', data: { ...(await p.review(idText, rating, text)), peers: p.peers } }))
}

export async function printerProfileCommand (ctx: Ctx, flags: ProfileFlags): Promise<ReputationResult> {
  const profile = parseProfile(flags)
  return withMarket(ctx, async (s) => {
    const p = await publishProfile(s.market, profile)
    return { kind: 'profile', data: { profile: p, shared: await s.share(), peers: s.peers } }
  })
}

export async function printerUnlist (ctx: Ctx): Promise<ReputationResult> {
  return withMarket(ctx, async (s) => {
    const p = await publishProfile(s.market, { materials: [], bedMm: [1, 1, 1], country: 'ZZ', note: '' })
    return { kind: 'profile', data: { profile: p, shared: await s.share(), peers: s.peers } }
  })
}

export { parseRating }
