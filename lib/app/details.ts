// What the job page and the wallet screen show beside the record: whether this peer may review the job, and the
// escrows this peer is a party to.
import type { P2Print } from '../service/p2print.js'
import { stepWords } from '../escrow/step-words.js'
import { getSettings } from '../market/view.js'
import { networkFor } from '../escrow/networks.js'
import type { ChainName } from '../escrow/chain.js'
import { jobToJSON } from '../job/json.js'
import { roleOf } from '../job/state.js'
import { reviewRefusal } from '../reputation/apply.js'
import { getReview } from '../reputation/records.js'
import { jobIdString } from '../ids.js'
import type { JobRecord } from '../schema.js'
import { printable } from '../text.js'
import { NO_BACKEND_HINT, type ReviewState, type EscrowRow } from './types.js'
import { P2PrintError, INTERNAL, restate } from '../errors.js'

export async function reviewState (s: P2Print, job: JobRecord): Promise<ReviewState> {
  const me = s.market.writerKey
  if (roleOf(job, me) === 'other') return { can: false, why: null, mine: null }
  const r = await getReview(s.market.view, job.id, me)
  if (r !== null) return { can: false, why: null, mine: { rating: r.rating, text: r.text } }
  const why = reviewRefusal(job, me, 5)
  return { can: why === null, why, mine: null }
}

export async function escrowRows (s: P2Print): Promise<EscrowRow[]> {
  const me = s.market.writerKey
  const chain = (await getSettings(s.market.view)).chain
  if (chain === '') return []
  const network = s.escrow?.conn.network ?? networkFor(chain as ChainName, 'core')
  const list = await s.market.jobs({ mine: me, limit: 500 })
  const rows: EscrowRow[] = []
  for (const v of list) {
    if (v.job.escrow == null) continue
    const e = jobToJSON(v.job, v.confirmed, { network }).escrow
    if (e === null) continue
    const role = roleOf(v.job, me)
    const mine = e.amounts === null ? null : Number(role === 'client' ? e.amounts.clientInSats : e.amounts.printerInSats)
    rows.push({ id: jobIdString(v.job.id), title: v.job.title, status: v.job.status, role, state: e.state, mySats: mine, totalSats: e.amounts === null ? null : Number(e.amounts.totalSats), address: e.address, payoutTxid: e.payout?.txid ?? null })
  }
  return rows
}

// One line of the job's timeline for a step (or an error) of this peer's escrow engine.
export function escrowLine (tag: 'escrow-step' | 'escrow-error', d: { action?: string, kind?: string, txid?: string, detail?: string }): string {
  const time = new Date().toISOString().slice(11, 19)
  if (tag === 'escrow-error') return `${time} could not act: ${printable(d.detail ?? '')}`
  return `${time} ${stepWords(d.action ?? '', d.kind ?? '')}${d.txid !== undefined ? ' ' + d.txid.slice(0, 16) + '…' : ''}${d.detail !== undefined ? ' — ' + printable(d.detail) : ''}`
}

// An error as the app shows it: a P2PrintError as it is (the backend hint the app's way), anything else as INTERNAL.
export function friendly (err: unknown): Error {
  if (err instanceof P2PrintError) {
    // the commands name their flags; in the app the backend can only be given by starting it again
    if (err.code === 'ESCROW_NEEDS_BACKEND' || /needs a Bitcoin backend/.test(err.message)) return restate(err, NO_BACKEND_HINT)
    return err
  }
  const e = err as Error
  return INTERNAL(`something went wrong: ${e?.message ?? String(err)}. Try again; if it persists, run the same action with the CLI to see more.`)
}
