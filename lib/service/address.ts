// The client's sealed shipping address on a P2Print (lib/market/address.ts has what apply enforces): the client
// writes it once the job is active; the printer (and, in a dispute, its mediator and arbitrator) reads it. It is
// encrypted under the job's conversation key and decrypted only to be shown: no plaintext is written to disk.
import b4a from 'b4a'
import c from 'compact-encoding'
import type { P2Print, JobChange } from './p2print.js'
import { OP, ADDRESS_LIMITS, addressPlaintext, type ShippingAddress } from '../schema.js'
import { getAddress } from '../market/address.js'
import { writingKey, conversationKeys, grantDue } from '../chat/chat.js'
import { chatRoleOf } from '../chat/roles.js'
import { encrypt, decrypt } from '../chat/crypto.js'
import { isCountryCode } from '../countries.js'
import { printable, isoTime } from '../text.js'
import { jobIdString } from '../ids.js'
import { BAD_ARGUMENT, NOT_ALLOWED, BAD_TRANSITION, OP_REJECTED, LIMIT_REACHED, BAD_ESCROW } from '../errors.js'
import { unfunded } from '../escrow/actions.js'

export interface AddressResult { job: string, status: string, address: ShippingAddress | null, at: string | null, revisions: number, why: string | null }

export function checkAddress (a: ShippingAddress): ShippingAddress {
  const t = (s: string): string => s.trim()
  const out = { name: t(a.name), street: t(a.street), city: t(a.city), postcode: t(a.postcode), country: t(a.country).toUpperCase(), phone: a.phone === null || t(a.phone) === '' ? null : t(a.phone) }
  for (const [k, max] of [['name', ADDRESS_LIMITS.nameChars], ['street', ADDRESS_LIMITS.streetChars], ['city', ADDRESS_LIMITS.cityChars], ['postcode', ADDRESS_LIMITS.postcodeChars]] as const) {
    if (out[k].length === 0) throw BAD_ARGUMENT(`the address needs a ${k} (--${k})`)
    if (out[k].length > max) throw BAD_ARGUMENT(`the ${k} is longer than ${max} characters`)
  }
  if (!isCountryCode(out.country)) throw BAD_ARGUMENT(`country ${JSON.stringify(out.country)} is not an ISO 3166 alpha-2 code (e.g. DE, US, JP)`)
  if (out.phone !== null && out.phone.length > ADDRESS_LIMITS.phoneChars) throw BAD_ARGUMENT(`the phone number is longer than ${ADDRESS_LIMITS.phoneChars} characters`)
  return out
}

export async function setAddress (p: P2Print, idText: string, address: ShippingAddress): Promise<JobChange> {
  const a = checkAddress(address)
  const v = await p.job(idText)
  const market = p.market
  const job = v.job
  if (!b4a.equals(job.client, market.writerKey)) throw NOT_ALLOWED('only the job\'s client gives its shipping address')
  if (job.status !== 'active') throw BAD_TRANSITION(`the address is given once the job is active (its escrow funded, where the market has escrow); this job is ${job.status}`)
  // never to a printer whose money is not in: this peer's own node must show the escrow funded at depth (the
  // job is active on one side's `escrow/funded` claim alone, which the other side could have made up)
  if (job.escrow != null) {
    const s = (await p.escrowSession()) ?? p.needEscrow(job)
    const why = await unfunded(s.engine, job)
    if (why !== null) throw BAD_ESCROW(`not giving the address yet: ${why}`)
  }
  const prev = await getAddress(market.view, job.id)
  if (prev !== null && prev.epoch === job.accepts && prev.revs >= ADDRESS_LIMITS.perEpoch) throw LIMIT_REACHED(`you gave this job's address ${ADDRESS_LIMITS.perEpoch} times, the most allowed`)
  const { keyId, key } = await writingKey(market, job)
  const { nonce, ciphertext } = encrypt(c.encode(addressPlaintext, { author: market.writerKey, jobId: job.id, address: a }), key)
  await market.append({ type: OP.JOB_ADDRESS, jobId: job.id, keyId, nonce, ciphertext })
  await market.update()
  const now = await getAddress(market.view, job.id)
  if (now === null || !b4a.equals(now.nonce, nonce)) throw OP_REJECTED('the market did not take the address: the job changed meanwhile; run `p2print job show` and try again')
  const after = await market.getJob(job.id)
  if (after !== null) await grantDue(market, after.job).catch(() => 0) // the printer's wrap of the key, if it was missing
  p.event('address-sealed', { id: jobIdString(job.id) })
  return { view: after ?? v, shared: await p.share() }
}

export async function readAddress (p: P2Print, idText: string): Promise<AddressResult> {
  const v = await p.job(idText)
  const market = p.market
  const base = { job: jobIdString(v.job.id), status: v.job.status }
  if (!b4a.equals(v.job.client, market.writerKey) && chatRoleOf(v.job, market.writerKey) === null) throw NOT_ALLOWED('only the job\'s client and printer (and, in a dispute, its mediator and arbitrator) read its address')
  const rec = await getAddress(market.view, v.job.id)
  if (rec === null) return { ...base, address: null, at: null, revisions: 0, why: v.job.status === 'active' ? 'the client has not given it yet' : `no address is kept for a job that is ${v.job.status}` }
  await grantDue(market, v.job).catch(() => 0)
  const key = (await conversationKeys(market, v.job.id)).get(b4a.toString(rec.keyId, 'hex'))
  if (key === undefined) return { ...base, address: null, at: isoTime(rec.at), revisions: rec.revs, why: 'this peer holds no key of that conversation yet: try again once the client\'s peer has been online' }
  const plain = decrypt(rec.nonce, rec.ciphertext, key)
  let decoded = null
  try { decoded = plain === null ? null : c.decode(addressPlaintext, plain) } catch { decoded = null }
  if (decoded === null || !b4a.equals(decoded.author, v.job.client) || !b4a.equals(decoded.jobId, v.job.id)) return { ...base, address: null, at: isoTime(rec.at), revisions: rec.revs, why: 'the stored address does not decrypt to this job\'s client\'s address' }
  const x = decoded.address
  return { ...base, address: { name: printable(x.name), street: printable(x.street), city: printable(x.city), postcode: printable(x.postcode), country: printable(x.country), phone: x.phone === null ? null : printable(x.phone) }, at: isoTime(rec.at), revisions: rec.revs, why: null }
}
