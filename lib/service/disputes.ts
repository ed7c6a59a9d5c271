// Mediation and arbitration on a P2Print: a named mediator registers and proposes a split, the parties accept
// (their signature on exactly that split) or reject it, the arbitrator rules.
import b4a from 'b4a'
import type { P2Print, JobChange } from './p2print.js'
import { ensureWallet } from './chain.js'
import { getSettings, escrowsOf } from '../market/view.js'
import { OP, type OpBody, type JobRecord } from '../schema.js'
import { getMediators, MAX_MEDIATOR_FEE_PCT } from '../disputes/apply.js'
import { mediatorJSON, disputeJSON, disputeMoves, type DisputeRow, type DisputeRole, type DisputeList, type MediatorJSON } from '../disputes/json.js'
import type { DisputeRecord } from '../disputes/codec.js'
import { formatBtc } from '../btc.js'
import { networkFor } from '../escrow/networks.js'
import type { ChainName } from '../escrow/chain.js'
import { jobIdString, peerId } from '../ids.js'
import { newEntries } from '../job/state.js'
import { printable } from '../text.js'
import { publishChatKey } from '../chat/chat.js'
import { BAD_ARGUMENT, NOT_ALLOWED, BAD_TRANSITION, OP_REJECTED, ESCROW_NEEDS_BACKEND } from '../errors.js'

export const REVOCATION_RULES = ['R2: at least 2 proposals overturned and overturned ≥ accepted + upheld (missed deadlines are shown; the market\'s creator removes a mediator that misses them)']

export interface Ruling { id: string, winner: 'client' | 'printer', printerPct: number, txid: string, shared: boolean }

function pct (n: number, what: string, max = 100): void {
  if (!Number.isInteger(n) || n < 0 || n > max) throw BAD_ARGUMENT(`${what} must be a whole percentage from 0 to ${max}`)
}

function noteOk (note: string): void {
  if (note.length > 1000) throw BAD_ARGUMENT('the note is longer than 1000 characters')
}

async function appendAndCheck (p: P2Print, idText: string, op: OpBody, action: number): Promise<JobChange> {
  const before = await p.job(idText)
  await p.market.append(op)
  await p.market.update()
  const after = await p.market.getJob(before.job.id)
  if (after === null || !newEntries(before.job, after.job).some(h => h.action === action)) {
    throw OP_REJECTED('the market did not apply this change: the dispute changed meanwhile or a deadline passed; run `p2print job show` and try again')
  }
  return { view: after, shared: await p.share() }
}

export async function registerMediator (p: P2Print, feePct: number): Promise<MediatorJSON & { shared: boolean }> {
  pct(feePct, 'the mediator\'s fee', MAX_MEDIATOR_FEE_PCT)
  const market = p.market
  const before = (await getMediators(market.view)).find(m => b4a.equals(m.key, market.writerKey))
  if (before !== undefined && before.revoked !== '') throw NOT_ALLOWED(`your mediator privilege was revoked (${before.revoked})`)
  if (!(await getSettings(market.view)).mediators.some(k => b4a.equals(k, market.writerKey))) {
    throw NOT_ALLOWED(`the market's creator has not named you a mediator: ask it to run \`p2print market settings --mediator ${peerId(market.writerKey)}\` (with the mediators it already names)`)
  }
  await market.append({ type: OP.MEDIATOR_REGISTER, feePct })
  await market.update()
  const m = (await getMediators(market.view)).find(x => b4a.equals(x.key, market.writerKey))
  if (m === undefined || m.feePct !== feePct) throw OP_REJECTED('the market did not take the registration (the mediator list may be full)')
  // a mediator reads the chats of its disputes: with its chat key known, the party that opens one seals it the key
  await publishChatKey(market)
  return { ...mediatorJSON(m), shared: await p.share() }
}

export async function mediators (p: P2Print): Promise<{ mediators: MediatorJSON[], rules: string[] }> {
  return { mediators: (await getMediators(p.market.view)).map(mediatorJSON), rules: REVOCATION_RULES }
}

// The disputes this peer is in (as client, printer, mediator or arbitrator), what it may do on each now, and its
// own mediator record.
export async function disputes (p: P2Print): Promise<DisputeList> {
  const market = p.market
  const me = market.writerKey
  const mine = (await getMediators(market.view)).find(m => b4a.equals(m.key, me))
  const rows: DisputeRow[] = []
  const now = await market.time() // the deadlines are in market time
  for (const j of await disputedJobsOf(market, me)) {
    const d = j.dispute ?? null
    const role: DisputeRole | null = b4a.equals(j.client, me) ? 'client'
      : j.printer !== null && b4a.equals(j.printer, me) ? 'printer'
        : d?.mediator != null && b4a.equals(d.mediator, me) ? 'mediator'
          : j.escrow != null && b4a.equals(j.escrow.arbitrator, me) ? 'arbitrator' : null
    if (role === null) continue
    rows.push({ id: jobIdString(j.id), title: printable(j.title), status: j.status, bountyBtc: formatBtc(j.bountySats), role, dispute: disputeJSON(d), moves: disputeMoves(j, role, now) })
  }
  return { mediator: mine === undefined ? null : mediatorJSON(mine), maxFeePct: MAX_MEDIATOR_FEE_PCT, rules: REVOCATION_RULES, disputes: rows }
}

// The disputed jobs this key is in, from its own index ranges (its jobs as client or printer; the escrows it is
// the arbitrator or mediator of), never from every disputed job of the market: a list of the market's disputes cut
// at any length would leave out some of this peer's.
async function disputedJobsOf (market: P2Print['market'], me: Uint8Array): Promise<JobRecord[]> {
  const out = new Map<string, JobRecord>()
  for (const v of await market.jobs({ mine: me, status: 'disputed', limit: Number.MAX_SAFE_INTEGER })) out.set(jobIdString(v.job.id), v.job)
  for (const { id, role } of await escrowsOf(market.view, me)) {
    if (role !== 'arbitrator' && role !== 'mediator') continue
    const j = (await market.getJob(id))?.job ?? null
    if (j !== null && j.status === 'disputed') out.set(jobIdString(j.id), j)
  }
  return [...out.values()].sort((a, b) => b.seq - a.seq)
}

const PAST_MEDIATION: Record<DisputeRecord['stage'], string> = {
  mediation: 'it waits for one',
  proposed: 'you proposed a split already, and it waits for both sides\' answers',
  settled: 'both sides accepted your proposal',
  arbitration: 'it went to the arbitrator',
  ruled: 'the arbitrator has ruled'
}

export async function propose (p: P2Print, idText: string, printerPct: number, note: string): Promise<JobChange> {
  pct(printerPct, 'the printer\'s share')
  noteOk(note)
  const v = await p.job(idText)
  const d = v.job.dispute ?? null
  if (d === null || d.mediator === null || !b4a.equals(d.mediator, p.market.writerKey)) throw NOT_ALLOWED('only the mediator picked for this dispute proposes')
  if (d.stage !== 'mediation') throw BAD_TRANSITION(`this dispute no longer waits for a proposal: ${PAST_MEDIATION[d.stage]}`)
  const escrow = await p.escrowSession()
  const wallet = escrow !== null ? escrow.engine.wallet : (await ensureWallet(p.peer.dir, networkFor((await getSettings(p.market.view)).chain as ChainName, 'core'))).wallet
  const feeScript = (await wallet.nextReceiveAddress()).script
  return await appendAndCheck(p, idText, { type: OP.DISPUTE_PROPOSE, jobId: v.job.id, printerPct, note, feeScript }, OP.DISPUTE_PROPOSE)
}

// Why this peer cannot answer the job's proposal now, in the user's terms (null: one waits for its answer).
export function noAnswerWhy (job: JobRecord, me: Uint8Array): string | null {
  const role = b4a.equals(job.client, me) ? 'client' : job.printer !== null && b4a.equals(job.printer, me) ? 'printer' : null
  if (role === null) return 'only the client or the printer answers a proposal'
  const d = job.dispute ?? null
  if (job.status !== 'disputed') return d?.stage === 'settled' ? 'both sides accepted the proposal, and the split is paid out' : `the job is ${job.status}: there is no dispute to answer`
  if (d === null) return 'this dispute has no mediation: it waits for the arbitrator\'s ruling'
  switch (d.stage) {
    case 'mediation': return 'the mediator has not proposed a split yet'
    case 'settled': return 'both sides accepted the proposal: the split is being paid out'
    case 'arbitration': return 'the dispute went to the arbitrator: it no longer takes answers to the proposal; wait for the ruling'
    case 'ruled': return 'the arbitrator has ruled: the ruling is being paid out'
  }
  if (role === 'client' ? d.acceptedClient : d.acceptedPrinter) return 'you accepted this proposal already (an acceptance is final): it is paid out once the other side accepts it too'
  return null
}

// The client's or printer's yes: its signature on exactly the proposed split.
export async function acceptProposal (p: P2Print, idText: string): Promise<JobChange> {
  const v = await p.job(idText)
  const why = noAnswerWhy(v.job, p.market.writerKey)
  if (why !== null) throw why.startsWith('only') ? NOT_ALLOWED(why) : BAD_TRANSITION(why)
  const escrow = await p.escrowSession(true)
  if (escrow === null) throw ESCROW_NEEDS_BACKEND('its chain')
  const { txid } = await escrow.engine.acceptProposal(v.job.id)
  await p.market.update()
  const after = (await p.market.getJob(v.job.id)) ?? v
  const d = after.job.dispute ?? null
  // both: this acceptance was the second, and the split is paid out now (by either side's engine)
  p.event('split-signed', { id: jobIdString(v.job.id), txid, printerPct: d?.proposal?.printerPct ?? null, both: d?.acceptedClient === true && d.acceptedPrinter })
  return { view: after, shared: await p.share() }
}

export async function rejectProposal (p: P2Print, idText: string, note: string): Promise<JobChange> {
  noteOk(note)
  const v = await p.job(idText)
  const why = noAnswerWhy(v.job, p.market.writerKey)
  if (why !== null) throw why.startsWith('only') ? NOT_ALLOWED(why) : BAD_TRANSITION(why)
  return await appendAndCheck(p, idText, { type: OP.DISPUTE_REJECT, jobId: v.job.id, note }, OP.DISPUTE_REJECT)
}

// The arbitrator's ruling once the mediation has failed: the printer's % of the bounty.
export async function rule (p: P2Print, idText: string, printerPct: number, note: string): Promise<Ruling> {
  pct(printerPct, 'the printer\'s share')
  noteOk(note)
  const v = await p.job(idText)
  const escrow = await p.escrowSession(true)
  if (escrow === null) throw ESCROW_NEEDS_BACKEND('its chain')
  const r = await escrow.engine.rule(v.job.id, printerPct, note)
  return { id: jobIdString(v.job.id), winner: r.printerPct >= 50 ? 'printer' : 'client', printerPct: r.printerPct, txid: r.txid, shared: await p.share() }
}
