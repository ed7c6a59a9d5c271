// What a job's escrow record says, as the command line and the app show it (`escrow ID`, job JSON): its state,
// address, amounts, every payout path with its outputs, deadlines. Pure: the engine adds the chain's view (tip,
// depth) in `describe`.
import b4a from 'b4a'
import type * as bitcoin from 'bitcoinjs-lib'
import type { JobRecord, SignKind, Winner } from '../schema.js'
import { escrowAmounts, type PayoutOutput } from './amounts.js'
import { escrowAddress, toHex } from './script.js'
import { buildPayout, addressOf } from './psbt.js'
import { escrowContext, expectedFor, type EscrowCtx } from './context.js'
import { sigOf, pairOf, rulingPrinterPct, agreedPayout, shipBy, releaseAt } from './record.js'
import { milestonesOf, partSats, releasedSats, stageOf, RELEASE_HOLD_MS } from './milestones.js'
import { printable } from '../text.js'

export type EscrowState =
  | 'awaiting-proposal' | 'awaiting-refund-signatures' | 'awaiting-funding-signatures' | 'funding'
  | 'funded' | 'shipped' | 'disputed' | 'ruled' | 'closed'

export interface PathSummary { kind: string, outputs: Array<{ role: string, address: string, valueSats: string }>, feeSats: string }

export interface EscrowSummary {
  state: EscrowState
  address: string | null
  arbitrator: string
  amounts: { bountySats: string, depositPct: number, clientDepositSats: string, printerDepositSats: string, clientInSats: string, printerInSats: string, totalSats: string } | null
  feeRate: number | null
  fundedBy: { client: boolean, printer: boolean } // funding signatures given
  refundSigned: { client: boolean, printer: boolean }
  cancelSigned: { client: boolean, printer: boolean }
  fundingTxid: string | null
  fundingDepth: number | null // confirmations (describe only)
  requiredDepth: number
  paths: PathSummary[]
  ruling: { winner: Winner, printerPct: number, feeAddress: string } | null
  // the payout both sides (or the arbitrator and a side) signed: anyone can broadcast it
  agreed: { kind: string, txid: string } | null
  payout: { kind: string, txid: string } | null
  refundClaims: string[] // parties that said the refund is paid (a claim: each engine checks its own node)
  // releaseAt: the end of the client's delivery window after a ship (then the printer is paid); deliveryDays: its
  // length in the deal (0: none, a deal accepted before schema v9)
  deadlines: { lapseAt: string, lockHeight: number | null, tipHeight: number | null, shipBy?: string | null, releaseAt?: string | null, deliveryDays?: number }
  cancelSignedByArbitrator?: boolean // the arbitrator co-signed the client's cancel: the printer was past ship-by
  releasedByArbitrator?: boolean // the arbitrator co-signed the printer's payout: the delivery window ended
  // milestones: each part, whether it is released (and by which transaction); what the releases paid and what is
  // still locked of the bounty (the payouts above are of that)
  milestones?: Array<{ label: string, pct: number, partSats: string, released: boolean, txid: string | null, last: boolean }>
  releasedSats?: string
  lockedSats?: string
  releaseAsk?: { milestone: number, askedAt: string, heldUntil: string, clientSigned: boolean, asks: number } | null
}

// What the record says about a job's escrow, without the chain (job JSON uses it). null for a job without escrow.
export function summarizeEscrow (job: JobRecord, network: bitcoin.Network | null): EscrowSummary | null {
  const e = job.escrow ?? null
  if (e === null) return null
  const signed = (k: SignKind): { client: boolean, printer: boolean } => ({ client: sigOf(e, k, 'client') !== undefined, printer: sigOf(e, k, 'printer') !== undefined })
  let state: EscrowState
  if (e.closed !== null) state = 'closed'
  else if (e.ruling !== null) state = 'ruled'
  else if (job.status === 'disputed') state = 'disputed'
  else if (job.status === 'shipped') state = 'shipped'
  else if (e.fundingTxid !== null) state = 'funded'
  else if (e.client === null) state = 'awaiting-proposal'
  else if (pairOf(e, 'refund') === null) state = 'awaiting-refund-signatures'
  else if (pairOf(e, 'funding') === null) state = 'awaiting-funding-signatures'
  else state = 'funding'
  let ctx: EscrowCtx | null = null
  if (network !== null && e.client !== null) {
    try { ctx = escrowContext(job, network) } catch { ctx = null }
  }
  let amounts: EscrowSummary['amounts'] = null
  try {
    const a = escrowAmounts({ bountySats: BigInt(job.bountySats), depositPct: BigInt(e.depositPct) })
    amounts = { bountySats: String(a.bountySats), depositPct: e.depositPct, clientDepositSats: String(a.clientDepositSats), printerDepositSats: String(a.printerDepositSats), clientInSats: String(a.clientIn), printerInSats: String(a.printerIn), totalSats: String(a.total) }
  } catch {}
  const paths: PathSummary[] = []
  if (ctx !== null && network !== null) {
    const kinds: SignKind[] = ['complete', 'cancel', 'refund']
    if (e.ruling !== null) kinds.push('ruling')
    if (job.dispute?.proposal != null) kinds.push('split')
    for (const k of kinds) {
      try {
        const x = expectedFor(ctx, k, network)
        if (x.kind !== 'payout') continue
        const plan = buildPayout(x.path, x.params).plan
        paths.push({ kind: x.path.kind, feeSats: String(plan.feeSats), outputs: plan.outputs.map((o: PayoutOutput) => ({ role: o.role, address: o.address, valueSats: String(o.valueSats) })) })
      } catch {}
    }
  }
  const agreed = agreedPayout(job)
  const by = shipBy(job)
  const list = milestonesOf(job)
  const bounty = BigInt(job.bountySats)
  const done = stageOf(job)
  const release = releaseAt(job)
  return {
    state,
    address: ctx !== null && network !== null ? escrowAddress(ctx.script, network) : null,
    arbitrator: b4a.toString(e.arbitrator, 'hex'),
    amounts,
    feeRate: e.client?.feeRate ?? null,
    fundedBy: signed('funding'),
    refundSigned: signed('refund'),
    cancelSigned: signed('cancel'),
    fundingTxid: e.fundingTxid !== null ? toHex(e.fundingTxid) : null,
    fundingDepth: null,
    requiredDepth: e.fundingDepth,
    paths,
    ruling: e.ruling === null ? null : { winner: e.ruling.winner, printerPct: rulingPrinterPct(job) ?? 0, feeAddress: network === null ? toHex(e.ruling.feeScript) : addressOf(e.ruling.feeScript, network) },
    agreed: agreed === null ? null : { kind: agreed.kind, txid: toHex(agreed.sigs[0].txid) },
    payout: e.closed === null ? null : { kind: e.closed.kind, txid: toHex(e.closed.txid) },
    refundClaims: job.claims.filter(c => c.kind === 'refund').map(c => c.role),
    deadlines: { lapseAt: new Date(e.acceptedAt + e.fundingTimeoutSecs * 1000).toISOString(), lockHeight: e.client?.lockHeight ?? null, tipHeight: null, shipBy: by === null ? null : new Date(by).toISOString(), releaseAt: release === null ? null : new Date(release).toISOString(), deliveryDays: job.deliveryDays ?? 0 },
    cancelSignedByArbitrator: sigOf(e, 'cancel', 'arbitrator') !== undefined,
    releasedByArbitrator: sigOf(e, 'complete', 'arbitrator') !== undefined,
    ...(list.length === 0
      ? {}
      : {
          milestones: list.map((m, i) => ({ label: printable(m.label), pct: m.pct, partSats: String(partSats(bounty, list, i + 1)), released: i < done, txid: i < done ? toHex((job.releases ?? [])[i].txid) : null, last: i === list.length - 1 })),
          releasedSats: String(releasedSats(bounty, list, done)),
          // the client's ask for the next part (its next-refund signature), while the printer has not completed it
          releaseAsk: sigOf(e, 'next-refund', 'client') === undefined
            ? null
            : { milestone: done + 1, askedAt: new Date(job.releaseAskedAt ?? 0).toISOString(), heldUntil: new Date((job.releaseAskedAt ?? 0) + RELEASE_HOLD_MS).toISOString(), clientSigned: sigOf(e, 'release', 'client') !== undefined, asks: job.releaseAsks ?? 0 },
          lockedSats: String(bounty - releasedSats(bounty, list, done))
        })
  }
}
