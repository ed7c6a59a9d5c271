// Saved searches in the app (`search save|list|remove`): the form checked with the command's own parser.
import type { P2Print } from '../service/p2print.js'
import { parseSearch, describeSearch, type SavedSearch } from '../service/searches.js'
import { parseMaterial, parseBounty, parsePatch } from '../job/parse.js'
import { formatBtc } from '../btc.js'
import { BAD_ARGUMENT } from '../errors.js'
import { friendly } from './details.js'
import type { SavedSearchInfo, SearchDraft, SearchErrors, SearchesCore } from './types.js'

export function searchInfo (s: SavedSearch): SavedSearchInfo {
  return { n: s.n, text: describeSearch(s), material: s.material, country: s.country, minBountyBtc: formatBtc(s.minBountySats) }
}

// Field by field (`all`: none given), with the messages of `search save`.
export function validateSearch (d: SearchDraft): SearchErrors {
  const errors: SearchErrors = {}
  const one = (field: keyof SearchDraft, fn: () => unknown): void => {
    try { fn() } catch (err) { errors[field] = (err as Error).message }
  }
  if (d.material.trim() !== '') one('material', () => parseMaterial(d.material))
  if (d.country.trim() !== '') one('country', () => parsePatch({ country: d.country.trim().toUpperCase() }))
  if (d.minBounty.trim() !== '') one('minBounty', () => parseBounty(d.minBounty.trim(), 'the minimum bounty'))
  if (d.material.trim() === '' && d.country.trim() === '' && d.minBounty.trim() === '') errors.all = 'fill in at least one of material, country, minimum bounty'
  return errors
}

// The controller behind AppCore.searches: the storage's file, which a running `seed` on another storage never
// sees and this app's watcher reads again when it changes.
export class AppSearches implements SearchesCore {
  constructor (private readonly service: () => P2Print, private readonly changed: () => void) {}

  async list (): Promise<SavedSearchInfo[]> {
    try {
      return (await this.service().searches()).map(searchInfo)
    } catch (err) { throw friendly(err) }
  }

  validate (d: SearchDraft): SearchErrors { return validateSearch(d) }

  async save (d: SearchDraft): Promise<SavedSearchInfo> {
    const errors = validateSearch(d)
    const first = Object.values(errors)[0]
    if (first !== undefined) throw BAD_ARGUMENT(first)
    try {
      const s = await this.service().saveSearch(parseSearch({ material: d.material, country: d.country, minBounty: d.minBounty }))
      this.changed()
      return searchInfo(s)
    } catch (err) { throw friendly(err) }
  }

  async remove (n: number): Promise<SavedSearchInfo> {
    try {
      const s = await this.service().removeSearch(n)
      this.changed()
      return searchInfo(s)
    } catch (err) { throw friendly(err) }
  }
}
