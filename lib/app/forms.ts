// The UI's forms and action lists, checked with the CLI's own parsers and messages (pure: no session needed).
import path from '#path'
import { parsePatch, parseMaterial, parseBounty, parseMilestones } from '../job/parse.js'
import { parseSendAmount, parsePct, parseRating } from '../job/amounts.js'
import { escrowAmounts } from '../escrow/amounts.js'
import { releaseOpen, releasePending, stageOf, RELEASE_ASKS } from '../escrow/milestones.js'
import { checkTransition, roleOf } from '../job/state.js'
import { cancelAllowed, MAX_MEDIATOR_FEE_PCT } from '../disputes/apply.js'
import type { DisputeRecord } from '../disputes/codec.js'
import { OP, MATERIALS, REPUTATION_LIMITS, type JobRecord, type OpType } from '../schema.js'
import { parseBtc, formatBtc } from '../btc.js'
import type { ActionInfo, ActionName, AppState, DisputeInfo, DraftErrors, JobDraft, JobDetail, ReviewErrors, SendErrors } from './types.js'

const ACTIONS: Array<{ op: OpType, action: ActionName, needsText: ActionInfo['needsText'], label: string }> = [
  { op: OP.JOB_ACCEPT, action: 'accept', needsText: 'none', label: 'accept this job (you print it)' },
  { op: OP.JOB_SHIP, action: 'ship', needsText: 'optional', label: 'mark as shipped (note: tracking…)' },
  { op: OP.JOB_COMPLETE, action: 'complete', needsText: 'none', label: 'confirm receipt: complete' },
  { op: OP.JOB_WITHDRAW, action: 'withdraw', needsText: 'none', label: 'withdraw (give the job back)' },
  { op: OP.JOB_CANCEL, action: 'cancel', needsText: 'none', label: 'cancel the job' },
  { op: OP.JOB_DISPUTE, action: 'dispute', needsText: 'required', label: 'open a dispute (reason)' }
]

// Actions this peer may take on a job, in the order the UI lists them.
export function allowedActions (job: Pick<JobRecord, 'client' | 'printer' | 'status'> & { escrow?: unknown, dispute?: DisputeRecord | null }, me: Uint8Array, escrowMarket: boolean, now = Date.now()): ActionInfo[] {
  const escrowed = (job.escrow !== null && job.escrow !== undefined) || (job.status === 'open' && escrowMarket)
  const out: ActionInfo[] = []
  for (const a of ACTIONS) {
    let ok = checkTransition(job, a.op, me, escrowed).ok
    // an escrowed, funded job (or an unsettled dispute) is cancelled by agreement of both sides (`job cancel` signs
    // the cancel payout)
    if (!ok && a.action === 'cancel' && escrowed && roleOf(job, me) !== 'other' && cancelAllowed({ status: job.status, escrow: (job.escrow ?? null) as JobRecord['escrow'], dispute: job.dispute ?? null })) ok = true
    if (ok) out.push({ action: a.action, needsText: a.needsText, label: a.label })
  }
  // the client releases the next milestone (`job release`) while the job is active and nothing stops it, unless its
  // release of this one waits for the printer's engine in the hold (after the hold it may ask again)
  const parts = (job as Partial<Pick<JobRecord, 'milestones' | 'releases'>>).milestones ?? []
  const rec = job as unknown as JobRecord
  if (roleOf(job, me) === 'client' && parts.length > 0 && Array.isArray(rec.claims) && releaseOpen(rec)) {
    const k = stageOf(rec)
    const released = rec.escrow?.sigs.some(s => s.kind === 'release' && s.role === 'client') === true
    if (!released) out.push({ action: 'release', needsText: 'none', label: `release milestone ${k + 1} ("${parts[k].label}", ${parts[k].pct} %): its part to the printer` })
    else if (!releasePending(rec, { passed: (start, ms) => now >= start + ms }) && (rec.releaseAsks ?? 0) < RELEASE_ASKS) out.push({ action: 'release', needsText: 'none', label: `ask again for milestone ${k + 1} ("${parts[k].label}"): the printer's peer did not co-sign your release in time` })
  }
  // the mediator's proposal, until this side has answered it or its time is over (`dispute accept|reject`)
  const d = job.dispute ?? null
  const role = roleOf(job, me)
  if (job.status === 'disputed' && d !== null && d.stage === 'proposed' && d.proposal !== null && role !== 'other' && now < d.proposal.answerBy) {
    if (!(role === 'client' ? d.acceptedClient : d.acceptedPrinter)) {
      out.push({ action: 'accept-proposal', needsText: 'none', label: `accept the mediator's proposal: the printer gets ${d.proposal.printerPct} % of the bounty` })
      out.push({ action: 'reject-proposal', needsText: 'optional', label: 'reject the proposal (note): the arbitrator decides' })
    }
  }
  return out
}

// The send form, field by field, with `wallet send`'s own amount parser (the address needs the chain: planSend).
export function validateSend (address: string, btc: string): SendErrors {
  const errors: SendErrors = {}
  if (address.trim() === '') errors.address = 'paste the address to pay'
  else if (/\s/.test(address.trim())) errors.address = 'an address has no spaces: paste it again'
  if (btc.trim() === '') errors.amount = 'an amount in BTC is needed, e.g. 0.001'
  else {
    try { parseSendAmount(btc) } catch (err) { errors.amount = (err as Error).message }
  }
  return errors
}

// A percentage typed into the mediation forms, with the commands' own parser and the mediator fee cap.
export function validatePct (text: string, what: 'fee' | 'printer'): string | null {
  const label = what === 'fee' ? 'the fee' : 'the printer\'s share'
  if (text.trim() === '') return what === 'fee' ? `a fee is needed: a whole % of the bounty from 0 to ${MAX_MEDIATOR_FEE_PCT}` : 'the printer\'s share is needed: a whole % of the bounty from 0 to 100'
  try {
    const n = parsePct(text.trim(), label)
    if (what === 'fee' && n > MAX_MEDIATOR_FEE_PCT) return `the fee is capped at ${MAX_MEDIATOR_FEE_PCT} % of the bounty`
    return null
  } catch (err) { return (err as Error).message }
}

// The review form with `job review`'s own rating parser.
export function validateReview (rating: string, text: string): ReviewErrors {
  const errors: ReviewErrors = {}
  if (rating.trim() === '') errors.rating = 'a rating is needed: 1 (poor) to 5 (excellent)'
  else {
    try { parseRating(rating.trim()) } catch { errors.rating = 'the rating must be a whole number from 1 to 5' }
  }
  if (text.length > REPUTATION_LIMITS.reviewChars) errors.text = `the review is longer than ${REPUTATION_LIMITS.reviewChars} characters (${text.length})`
  return errors
}

// What posting a job with this bounty puts into its escrow (null: not a valid bounty, or no escrow in this market),
// with the escrow's own arithmetic (lib/escrow/amounts.ts). Miner fees come on top.
export function depositSummary (bountyText: string, market: AppState['market']): string | null {
  if (market === null || market.chain === '') return null
  const sats = parseBtc(bountyText.trim())
  if (sats === null || sats === 0) return null
  try {
    const a = escrowAmounts({ bountySats: BigInt(sats), depositPct: BigInt(market.depositPct) })
    return `escrow on ${market.chain}: you put in ${formatBtc(Number(a.clientIn))} BTC (bounty + ${market.depositPct} % deposit of ${formatBtc(Number(a.clientDepositSats))}), the printer ${formatBtc(Number(a.printerIn))} BTC; miner fees on top, each side pays its own share`
  } catch (err) {
    return (err as Error).message
  }
}

// What accepting this job locks from the printer (null: no escrow in its market): its deposit, from the job's escrow
// amounts when it has them, else the market's deposit % of the bounty, with the escrow's own arithmetic.
export function acceptDeposit (d: Pick<JobDetail, 'job' | 'escrowChain'>, market: AppState['market']): string | null {
  if (d.escrowChain === '') return null
  const fromJob = d.job.escrow?.amounts ?? null
  let sats: number
  let pct: number
  if (fromJob !== null) {
    sats = Number(fromJob.printerDepositSats)
    pct = fromJob.depositPct
  } else {
    if (market === null) return null
    if (d.job.offer == null && d.job.bountySats === 0) return null // open to quotes, no offer: nothing to accept yet
    try {
      // the deal's price: the client's offer where one stands (to this printer: only it may accept), else the bounty
      sats = Number(escrowAmounts({ bountySats: BigInt(d.job.offer?.priceSats ?? d.job.bountySats), depositPct: BigInt(market.depositPct) }).printerDepositSats)
    } catch (err) { return (err as Error).message }
    pct = market.depositPct
  }
  return `accepting locks your deposit of ${sats} sats (${formatBtc(sats)} BTC, ${pct} % of the bounty) in the job's escrow on ${d.escrowChain}, plus your share of the funding's miner fee; it comes back when the job completes or is cancelled`
}

// What answering "accept" to a mediator's proposal did, from the dispute as it is now (a settled dispute is paid).
export function proposalAccepted (d: DisputeInfo | null, role: 'client' | 'printer' | string): string {
  const other = role === 'client' ? 'printer' : 'client'
  if (d === null) return 'proposal accepted'
  if (d.stage === 'settled' || (d.accepted.client && d.accepted.printer)) return 'proposal accepted by both sides: the split is being paid'
  if (d.stage !== 'proposed') return `proposal accepted; the dispute is now ${d.stage}`
  return `proposal accepted: the split is paid once the ${other} accepts too`
}

// Field-by-field validation of the post form, with the CLI's own parsers and messages.
export function validateDraft (d: JobDraft): DraftErrors {
  const errors: DraftErrors = {}
  const one = (field: keyof JobDraft, fn: () => unknown): void => {
    try { fn() } catch (err) { errors[field] = (err as Error).message }
  }
  if (d.title.trim().length === 0) errors.title = 'a title is needed'
  else one('title', () => parsePatch({ title: d.title }))
  if (d.material.trim().length === 0) errors.material = `a material is needed: one of ${MATERIALS.join(', ')}`
  else one('material', () => parseMaterial(d.material))
  if (d.colors.trim().length > 0) one('colors', () => parsePatch({ color: [d.colors] }))
  if (d.bounty.trim().length === 0) errors.bounty = 'a bounty in BTC is needed, e.g. 0.0005, or `quotes` to ask printers for quotes'
  else if (isQuotesBounty(d.bounty)) { /* open to quotes: no bounty */ } else if (parseBtc(d.bounty.trim()) === null) errors.bounty = `${JSON.stringify(d.bounty)} is not an amount in BTC: a decimal number with at most 8 decimals, e.g. 0.0005`
  else one('bounty', () => parseBounty(d.bounty.trim()))
  if (d.country.trim().length === 0) errors.country = 'a country is needed: an ISO 3166 code such as DE, US, JP'
  else one('country', () => parsePatch({ country: d.country }))
  if (d.notes.length > 0) one('notes', () => parsePatch({ notes: d.notes }))
  if ((d.milestones ?? '').trim().length > 0) one('milestones', () => parseMilestones(d.milestones))
  return errors
}

// The post form's bounty `quotes`: the job is open to quotes, with no bounty (lib/market/quotes.ts).
export function isQuotesBounty (text: string): boolean {
  return text.trim().toLowerCase() === 'quotes'
}

export function draftFlags (d: JobDraft): { title: string, material: string, color: string[], bounty?: string, country: string, notes: string, file?: string, quotes?: boolean } {
  return {
    title: d.title,
    material: d.material,
    color: d.colors.trim().length === 0 ? [] : [d.colors],
    ...(isQuotesBounty(d.bounty) ? { quotes: true } : { bounty: d.bounty.trim() }),
    country: d.country,
    notes: d.notes,
    ...(d.file.trim().length > 0 ? { file: path.resolve(d.file.trim()) } : {})
  }
}

// What the app says once an action went through, in words (the action's name is not a sentence).
export function actionDone (action: ActionName, status: string): string {
  const done: Record<ActionName, string> = {
    accept: 'You accepted the job',
    withdraw: 'You gave the job back',
    ship: 'Marked as shipped',
    complete: 'You confirmed receipt',
    cancel: 'Cancelled',
    dispute: 'Dispute opened: a mediator looks at it first',
    'accept-proposal': 'You accepted the proposal',
    'reject-proposal': 'You rejected the proposal: the arbitrator decides',
    release: 'You released the milestone: the printer\'s peer co-signs it, then it is broadcast'
  }
  return `✓ ${done[action]} (the job is ${status}).`
}
