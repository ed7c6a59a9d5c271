// Mediation on the command line: `mediator register --fee-pct N`, `mediator list`, `dispute propose ID
// --printer-pct N --note TEXT` (the job's mediator), `dispute accept ID`, `dispute reject ID [--note TEXT]` (client
// or printer). `job dispute ID --reason TEXT` opens the mediation (lib/commands/jobs.ts); `dispute rule ID
// --printer-pct N | --winner client|printer [--note TEXT]` is the arbitrator's (lib/commands/escrow.ts).
import b4a from 'b4a'
import { withMarket, share, type Ctx, type Result, type Session } from './context.js'
import { resolveJob } from '../service/resolve.js'
import { ESCROW_NEEDS_BACKEND, ensureWallet } from '../service/chain.js'
import { getSettings } from '../market/view.js'
import { OP, type OpBody } from '../schema.js'
import { getMediators, MAX_MEDIATOR_FEE_PCT, revocationReason } from '../disputes/apply.js'
import { mediatorJSON, disputeJSON, disputeMoves, type DisputeRow, type DisputeRole } from '../disputes/json.js'
import { formatBtc } from '../btc.js'
import { networkFor } from '../escrow/networks.js'
import { jobIdString, peerId } from '../ids.js'
import { jobToJSON } from '../job/json.js'
import { newEntries } from '../job/state.js'
import { BAD_ARGUMENT, NOT_ALLOWED, BAD_TRANSITION, OP_REJECTED } from '../errors.js'
import type { ChainName } from '../escrow/chain.js'
import { printable } from '../text.js'

export function parsePct (text: string | undefined, flag: string): number {
  if (text === undefined) throw BAD_ARGUMENT(`${flag} N is required (a whole percentage from 0 to 100)`)
  const n = Number(text)
  if (!Number.isInteger(n) || n < 0 || n > 100) throw BAD_ARGUMENT(`${flag} must be a whole percentage from 0 to 100`)
  return n
}

async function appendAndCheck (ctx: Ctx, s: Session, idText: string, op: OpBody, action: number): Promise<Result> {
  const before = await resolveJob(s.market, idText)
  await s.market.append(op)
  await s.market.update()
  const after = await s.market.getJob(before.job.id)
  if (after === null || !newEntries(before.job, after.job).some(h => h.action === action)) {
    throw OP_REJECTED('the market did not apply this change: the dispute changed meanwhile or a deadline passed; run `p2print job show` and try again')
  }
  const shared = await share(ctx, s.market)
  return { kind: 'job', data: { ...jobToJSON(after.job, after.confirmed), shared, peers: s.peers } }
}

export async function mediatorRegister (ctx: Ctx, feePctText: string | undefined): Promise<Result> {
  const feePct = parsePct(feePctText, '--fee-pct')
  if (feePct > MAX_MEDIATOR_FEE_PCT) throw BAD_ARGUMENT(`--fee-pct is capped at ${MAX_MEDIATOR_FEE_PCT} (% of the bounty)`)
  return withMarket(ctx, async (s) => {
    const before = (await getMediators(s.market.view)).find(m => b4a.equals(m.key, s.market.writerKey))
    if (before !== undefined && before.revoked !== '') throw NOT_ALLOWED(`your mediator privilege was revoked (${before.revoked})`)
    if (!(await getSettings(s.market.view)).mediators.some(k => b4a.equals(k, s.market.writerKey))) {
      throw NOT_ALLOWED(`the market's creator has not named you a mediator: ask it to run \`p2print market settings --mediator ${peerId(s.market.writerKey)}\` (with the mediators it already names)`)
    }
    await s.market.append({ type: OP.MEDIATOR_REGISTER, feePct })
    await s.market.update()
    const m = (await getMediators(s.market.view)).find(x => b4a.equals(x.key, s.market.writerKey))
    if (m === undefined || m.feePct !== feePct) throw OP_REJECTED('the market did not take the registration (the mediator list may be full)')
    const shared = await share(ctx, s.market)
    return { kind: 'mediator', data: { ...mediatorJSON(m), shared } }
  })
}

export async function mediatorList (ctx: Ctx): Promise<Result> {
  return withMarket(ctx, async (s) => {
    const list = await getMediators(s.market.view)
    return { kind: 'mediators', data: { mediators: list.map(mediatorJSON), rules: revocationRules() } }
  })
}

// `dispute list`: the disputes this peer is in (as client, printer, mediator or arbitrator), what it may do on each
// now, and its own mediator record.
export async function disputeList (ctx: Ctx): Promise<Result> {
  return withMarket(ctx, async (s) => {
    const me = s.market.writerKey
    const mine = (await getMediators(s.market.view)).find(m => b4a.equals(m.key, me))
    const disputes: DisputeRow[] = []
    for (const v of await s.market.jobs({ status: 'disputed', limit: 1000 })) {
      const j = v.job
      const d = j.dispute ?? null
      const role: DisputeRole | null = b4a.equals(j.client, me) ? 'client'
        : j.printer !== null && b4a.equals(j.printer, me) ? 'printer'
          : d?.mediator != null && b4a.equals(d.mediator, me) ? 'mediator'
            : j.escrow != null && b4a.equals(j.escrow.arbitrator, me) ? 'arbitrator' : null
      if (role === null) continue
      disputes.push({ id: jobIdString(j.id), title: printable(j.title), status: j.status, bountyBtc: formatBtc(j.bountySats), role, dispute: disputeJSON(d), moves: disputeMoves(j, role) })
    }
    return { kind: 'disputes', data: { mediator: mine === undefined ? null : mediatorJSON(mine), maxFeePct: MAX_MEDIATOR_FEE_PCT, rules: revocationRules(), disputes } }
  })
}

export function revocationRules (): string[] {
  void revocationReason
  return ['R2: at least 2 proposals overturned and overturned ≥ accepted + upheld (missed deadlines are shown; the market\'s creator removes a mediator that misses them)']
}

export async function disputePropose (ctx: Ctx, idText: string, printerPctText: string | undefined, note = ''): Promise<Result> {
  const printerPct = parsePct(printerPctText, '--printer-pct')
  if (note.length > 1000) throw BAD_ARGUMENT('--note is longer than 1000 characters')
  return withMarket(ctx, async (s) => {
    const v = await resolveJob(s.market, idText)
    const d = v.job.dispute ?? null
    if (d === null || d.mediator === null || !b4a.equals(d.mediator, s.market.writerKey)) throw NOT_ALLOWED('only the mediator picked for this dispute proposes')
    if (d.stage !== 'mediation') throw BAD_TRANSITION(`the dispute is in ${d.stage}, not waiting for a proposal`)
    const wallet = s.escrow !== null ? s.escrow.engine.wallet : (await ensureWallet(s.peer.dir, networkFor((await getSettings(s.market.view)).chain as ChainName, 'core'))).wallet
    const feeScript = (await wallet.nextReceiveAddress()).script
    return appendAndCheck(ctx, s, idText, { type: OP.DISPUTE_PROPOSE, jobId: v.job.id, printerPct, note, feeScript }, OP.DISPUTE_PROPOSE)
  }, { escrow: 'optional' })
}

export async function disputeAccept (ctx: Ctx, idText: string): Promise<Result> {
  return withMarket(ctx, async (s) => {
    const v = await resolveJob(s.market, idText)
    if (s.escrow === null) throw ESCROW_NEEDS_BACKEND('its chain')
    const { txid } = await s.escrow.engine.acceptProposal(v.job.id)
    ctx.emit('split-signed', { id: jobIdString(v.job.id), txid })
    await s.market.update()
    const after = (await s.market.getJob(v.job.id)) ?? v
    const shared = await share(ctx, s.market)
    return { kind: 'job', data: { ...jobToJSON(after.job, after.confirmed), shared, peers: s.peers } }
  }, { escrow: 'required' })
}

export async function disputeReject (ctx: Ctx, idText: string, note = ''): Promise<Result> {
  if (note.length > 1000) throw BAD_ARGUMENT('--note is longer than 1000 characters')
  return withMarket(ctx, async (s) => {
    const v = await resolveJob(s.market, idText)
    const d = v.job.dispute ?? null
    if (d === null || d.stage !== 'proposed') throw BAD_TRANSITION('there is no proposal waiting for an answer')
    return appendAndCheck(ctx, s, idText, { type: OP.DISPUTE_REJECT, jobId: v.job.id, note }, OP.DISPUTE_REJECT)
  })
}
