// The app's mediation actions (the disputes screen): each checks its form like the CLI, then calls the service.
import type { P2Print, JobChange } from '../service/p2print.js'
import type { EscrowSession } from '../service/chain.js'
import type { JobJSON } from '../job/json.js'
import type { MediatorJSON as MediatorInfo, DisputeList as DisputesInfo } from '../disputes/json.js'
import { BAD_ARGUMENT } from '../errors.js'
import { validatePct } from './forms.js'
import { friendly } from './details.js'

export interface MediationDeps {
  need: () => P2Print
  ensureEscrow: () => Promise<EscrowSession | null>
  changed: () => void
  jobJSON: (c: JobChange) => JobJSON
}

export async function disputes (d: MediationDeps): Promise<DisputesInfo> {
  try {
    return await d.need().disputes()
  } catch (err) { throw friendly(err) }
}

export async function registerMediator (d: MediationDeps, feePct: string): Promise<MediatorInfo> {
  const bad = validatePct(feePct, 'fee')
  if (bad !== null) throw BAD_ARGUMENT(bad)
  try {
    const r = await d.need().registerMediator(Number(feePct.trim()))
    d.changed()
    return r
  } catch (err) { throw friendly(err) }
}

export async function propose (d: MediationDeps, id: string, printerPct: string, note: string): Promise<JobJSON> {
  const bad = validatePct(printerPct, 'printer')
  if (bad !== null) throw BAD_ARGUMENT(bad)
  try {
    await d.ensureEscrow().catch(() => null)
    const c = await d.need().propose(id, Number(printerPct.trim()), note)
    d.changed()
    return d.jobJSON(c)
  } catch (err) { throw friendly(err) }
}

export async function answerProposal (d: MediationDeps, id: string, accept: boolean, note = ''): Promise<JobJSON> {
  try {
    if (accept) await d.ensureEscrow()
    const p2 = d.need()
    const c = accept ? await p2.acceptProposal(id) : await p2.rejectProposal(id, note)
    d.changed()
    return d.jobJSON(c)
  } catch (err) { throw friendly(err) }
}

export async function rule (d: MediationDeps, id: string, printerPct: string, note: string): Promise<{ printerPct: number, txid: string }> {
  const bad = validatePct(printerPct, 'printer')
  if (bad !== null) throw BAD_ARGUMENT(bad)
  try {
    await d.ensureEscrow()
    const r = await d.need().rule(id, Number(printerPct.trim()), note)
    d.changed()
    return { printerPct: r.printerPct, txid: r.txid }
  } catch (err) { throw friendly(err) }
}
