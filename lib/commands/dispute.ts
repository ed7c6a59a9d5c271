// Mediation on the command line: `mediator register --fee-pct N`, `mediator list`, `dispute propose ID
// --printer-pct N --note TEXT` (the job's mediator), `dispute accept ID`, `dispute reject ID [--note TEXT]` (client
// or printer). `job dispute ID --reason TEXT` opens the mediation (lib/commands/jobs.ts); `dispute rule ID
// --printer-pct N | --winner client|printer [--note TEXT]` is the arbitrator's (lib/commands/escrow.ts).
import { withMarket, type Ctx, type Result } from './context.js'
import { parsePct } from '../job/amounts.js'
import type { JobChange } from '../service/p2print.js'
import { MAX_MEDIATOR_FEE_PCT } from '../disputes/apply.js'
import { jobToJSON } from '../job/json.js'
import { BAD_ARGUMENT } from '../errors.js'

const jobResult = (c: JobChange, peers: number): Result => ({ kind: 'job', data: { ...jobToJSON(c.view.job, c.view.confirmed), shared: c.shared, peers } })

export async function mediatorRegister (ctx: Ctx, feePctText: string | undefined): Promise<Result> {
  const feePct = parsePct(feePctText, '--fee-pct')
  if (feePct > MAX_MEDIATOR_FEE_PCT) throw BAD_ARGUMENT(`--fee-pct is capped at ${MAX_MEDIATOR_FEE_PCT} (% of the bounty)`)
  return withMarket(ctx, async (p) => ({ kind: 'mediator', data: await p.registerMediator(feePct) }))
}

export async function mediatorList (ctx: Ctx): Promise<Result> {
  return withMarket(ctx, async (p) => ({ kind: 'mediators', data: await p.mediators() }))
}

// `dispute list`: the disputes this peer is in (as client, printer, mediator or arbitrator), what it may do on each
// now, and its own mediator record.
export async function disputeList (ctx: Ctx): Promise<Result> {
  return withMarket(ctx, async (p) => ({ kind: 'disputes', data: await p.disputes() }))
}

export async function disputePropose (ctx: Ctx, idText: string, printerPctText: string | undefined, note = ''): Promise<Result> {
  const printerPct = parsePct(printerPctText, '--printer-pct')
  if (note.length > 1000) throw BAD_ARGUMENT('--note is longer than 1000 characters')
  return withMarket(ctx, async (p) => jobResult(await p.propose(idText, printerPct, note), p.peers), { escrow: 'optional' })
}

export async function disputeAccept (ctx: Ctx, idText: string): Promise<Result> {
  return withMarket(ctx, async (p) => jobResult(await p.acceptProposal(idText), p.peers), { escrow: 'required' })
}

export async function disputeReject (ctx: Ctx, idText: string, note = ''): Promise<Result> {
  if (note.length > 1000) throw BAD_ARGUMENT('--note is longer than 1000 characters')
  return withMarket(ctx, async (p) => jobResult(await p.rejectProposal(idText, note), p.peers))
}
