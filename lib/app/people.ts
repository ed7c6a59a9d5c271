// The app's people page: the mediators (`mediator list`), the printers that published a profile with their record
// (`printers`), and this peer's own printer profile (`printer profile`, `printer unlist`). The forms are checked
// with the command line's rules and messages, without its flag names.
import type { P2Print } from '../service/p2print.js'
import { parseMaterial } from '../job/parse.js'
import { isCountryCode } from '../countries.js'
import { profileRefusal } from '../reputation/apply.js'
import { MATERIALS, REPUTATION_LIMITS, type Material, type PrinterProfile } from '../schema.js'
import type { PrinterQuery, ProfileJSON } from '../reputation/query.js'
import { peerId } from '../ids.js'
import { BAD_ARGUMENT } from '../errors.js'
import { friendly } from './details.js'
import type { MediatorInfo, PeopleCore, PrinterFilters, PrinterRow, ProfileDraft, ProfileErrors } from './types.js'

// the listing the command line shows by default (`printers --limit 50`)
export const PRINTERS_SHOWN = 50
const UNLIST: PrinterProfile = { materials: [], bedMm: [1, 1, 1], country: 'ZZ', note: '' }

function parseCountry (text: string): string {
  const cc = text.trim().toUpperCase()
  if (!isCountryCode(cc)) throw BAD_ARGUMENT(`country ${JSON.stringify(text.trim())} is not an ISO 3166 alpha-2 code (e.g. DE, US, JP)`)
  return cc
}

function parseMaterials (text: string): Material[] {
  const out: Material[] = []
  for (const m of text.split(/[\s,]+/).filter(s => s.length > 0).map(parseMaterial)) if (!out.includes(m)) out.push(m)
  if (out.length === 0) throw BAD_ARGUMENT(`name at least one material (${MATERIALS.join(', ')})`)
  return out
}

function parseBed (text: string): [number, number, number] {
  const n = text.trim().toLowerCase().split(/\s*[x×,]\s*/).map(Number)
  if (n.length !== 3 || n.some(v => !Number.isInteger(v) || v < 1 || v > REPUTATION_LIMITS.bedMmMax)) {
    throw BAD_ARGUMENT(`the bed ${JSON.stringify(text.trim())} must be XxYxZ in whole millimetres, each 1 to ${REPUTATION_LIMITS.bedMmMax} (e.g. 220x220x250)`)
  }
  return [n[0], n[1], n[2]]
}

function parseNote (text: string): string {
  if (text.length > REPUTATION_LIMITS.profileNoteChars) throw BAD_ARGUMENT(`the note is longer than ${REPUTATION_LIMITS.profileNoteChars} characters`)
  return text
}

// The form as the profile `printer profile` would publish; throws the first problem.
export function profileOf (d: ProfileDraft): PrinterProfile {
  const p: PrinterProfile = { materials: parseMaterials(d.materials), bedMm: parseBed(d.bed), country: parseCountry(d.country), note: parseNote(d.note) }
  const bad = profileRefusal(p)
  if (bad !== null) throw BAD_ARGUMENT(bad)
  return p
}

export function profileDraft (p: ProfileJSON | null): ProfileDraft {
  return p === null ? { materials: '', bed: '', country: '', note: '' } : { materials: p.materials.join(', '), bed: p.bedMm.join('x'), country: p.country, note: p.note }
}

function errorsOf<K extends string> (checks: Array<[K, () => unknown]>): Partial<Record<K, string>> {
  const errors: Partial<Record<K, string>> = {}
  for (const [k, fn] of checks) {
    try { fn() } catch (err) { errors[k] = (err as Error).message }
  }
  return errors
}

export function validateProfile (d: ProfileDraft): ProfileErrors {
  return errorsOf<keyof ProfileDraft>([['materials', () => parseMaterials(d.materials)], ['bed', () => parseBed(d.bed)], ['country', () => parseCountry(d.country)], ['note', () => parseNote(d.note)]])
}

// Empty filters match every printer.
export function printerQuery (f: PrinterFilters): PrinterQuery {
  const q: PrinterQuery = { limit: PRINTERS_SHOWN }
  if (f.material.trim() !== '') q.material = parseMaterial(f.material)
  if (f.country.trim() !== '') q.country = parseCountry(f.country)
  return q
}

export function validateFilters (f: PrinterFilters): Partial<Record<keyof PrinterFilters, string>> {
  return errorsOf<keyof PrinterFilters>([['material', () => printerQuery({ material: f.material, country: '' })], ['country', () => printerQuery({ material: '', country: f.country })]])
}

// The controller behind AppCore.people, over the session's service (`need` throws when no market is open).
export class AppPeople implements PeopleCore {
  constructor (private readonly need: () => P2Print, private readonly changed: () => void) {}

  async mediators (): Promise<{ mediators: MediatorInfo[], rules: string[], named: string[] }> {
    try {
      const p2 = this.need()
      const r = await p2.mediators()
      return { ...r, named: (await p2.settings()).mediators.map(k => peerId(k)) }
    } catch (err) { throw friendly(err) }
  }

  validateFilters (f: PrinterFilters): Partial<Record<keyof PrinterFilters, string>> { return validateFilters(f) }

  async printers (f: PrinterFilters): Promise<PrinterRow[]> {
    const q = printerQuery(f)
    try {
      return await this.need().printers(q)
    } catch (err) { throw friendly(err) }
  }

  async myProfile (): Promise<ProfileJSON | null> {
    try {
      return (await this.need().peerRecord()).profile
    } catch (err) { throw friendly(err) }
  }

  validateProfile (d: ProfileDraft): ProfileErrors { return validateProfile(d) }

  async setProfile (d: ProfileDraft): Promise<{ profile: ProfileJSON | null, shared: boolean }> {
    const profile = profileOf(d)
    return await this.publish(profile)
  }

  async unlist (): Promise<{ profile: ProfileJSON | null, shared: boolean }> { return await this.publish(UNLIST) }

  private async publish (profile: PrinterProfile): Promise<{ profile: ProfileJSON | null, shared: boolean }> {
    try {
      const r = await this.need().publishProfile(profile)
      this.changed()
      return r
    } catch (err) { throw friendly(err) }
  }
}
