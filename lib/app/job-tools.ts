// The client's open job edited with the post form's fields (`job update`: only the fields that changed are sent),
// and a job's whole escrow as `p2print escrow ID` prints it.
import type { P2Print, EscrowView } from '../service/p2print.js'
import { jobToJSON, type JobJSON } from '../job/json.js'
import { parsePatch } from '../job/parse.js'
import type { JobPatch } from '../schema.js'
import { BAD_ARGUMENT } from '../errors.js'
import { validateDraft, draftFlags } from './forms.js'
import { friendly } from './details.js'
import type { JobDraft, JobToolsCore, AddressDraft, AddressErrors, AddressResult } from './types.js'
import { checkAddress } from '../service/address.js'
import type { ShippingAddress } from '../schema.js'

const toAddress = (d: AddressDraft): ShippingAddress => ({ name: d.name, street: d.street, city: d.city, postcode: d.postcode, country: d.country, phone: d.phone.trim() === '' ? null : d.phone })

export class AppJobTools implements JobToolsCore {
  constructor (private readonly need: () => P2Print, private readonly ensureEscrow: () => Promise<unknown>, private readonly changed: () => void) {}

  draftOf (job: JobJSON): JobDraft {
    return { title: job.title, material: job.material, colors: job.colors.join(','), bounty: job.bountyBtc, country: job.country, notes: job.notes, file: '' }
  }

  async edit (id: string, draft: JobDraft): Promise<JobJSON> {
    const errors = validateDraft({ ...draft, file: '' })
    const first = Object.values(errors)[0]
    if (first !== undefined) throw BAD_ARGUMENT(first)
    try {
      const p2 = this.need()
      const v = await p2.job(id)
      // compared with the form as it started (the record's text as shown), so an untouched field is never re-sent
      const was = parsePatch(draftFlags(this.draftOf(jobToJSON(v.job, v.confirmed))))
      const now = parsePatch(draftFlags({ ...draft, file: '' }))
      const patch: JobPatch = {}
      for (const k of ['title', 'material', 'bountySats', 'country', 'notes'] as const) {
        if (now[k] !== was[k]) (patch as Record<string, unknown>)[k] = now[k]
      }
      if ((now.colors ?? []).join('\n') !== (was.colors ?? []).join('\n')) patch.colors = now.colors ?? []
      if (Object.keys(patch).length === 0) throw BAD_ARGUMENT('nothing changed: edit a field first (Esc leaves the form)')
      const c = await p2.updateJob(id, patch)
      this.changed()
      return { ...jobToJSON(c.view.job, c.view.confirmed), shared: c.shared, peers: p2.connections } as JobJSON
    } catch (err) { throw friendly(err) }
  }

  async address (id: string): Promise<AddressResult> {
    try { return await this.need().readAddress(id) } catch (err) { throw friendly(err) }
  }

  validateAddress (d: AddressDraft): AddressErrors {
    const errors: AddressErrors = {}
    for (const k of ['name', 'street', 'city', 'postcode', 'country'] as const) if (d[k].trim() === '') errors[k] = `a ${k} is needed`
    if (Object.keys(errors).length > 0) return errors
    try { checkAddress(toAddress(d)) } catch (err) {
      const m = (err as Error).message
      const field = (['country', 'phone', 'name', 'street', 'city', 'postcode'] as const).find(k => m.includes(k)) ?? 'street'
      errors[field] = m
    }
    return errors
  }

  async setAddress (id: string, d: AddressDraft): Promise<JobJSON> {
    const first = Object.values(this.validateAddress(d))[0]
    if (first !== undefined) throw BAD_ARGUMENT(first)
    try {
      const p2 = this.need()
      const c = await p2.setAddress(id, toAddress(d))
      this.changed()
      return { ...jobToJSON(c.view.job, c.view.confirmed), shared: c.shared, peers: p2.connections } as JobJSON
    } catch (err) { throw friendly(err) }
  }

  async escrow (id: string): Promise<EscrowView> {
    try {
      await this.ensureEscrow().catch(() => null) // with the engine: the funding's depth and the chain tip too
      return await this.need().escrowOf(id)
    } catch (err) { throw friendly(err) }
  }
}
