// The money rules of the escrow, as pure integer arithmetic on satoshis (bigint). No floats anywhere.
//
// Locking (one joint funding transaction, see psbt.ts):
//   deposit   = floor(bounty × depositPct / 100)            (depositPct is a market setting, 15 by default)
//   clientIn  = bounty + deposit                            (the client locks the bounty and its deposit)
//   printerIn = deposit                                     (the printer locks the same deposit when it accepts)
//   total     = clientIn + printerIn = the escrow output's value
// Each side pays its own share of the *funding* transaction's miner fee from its own inputs, on top of this
// (fees.ts); the escrow output holds exactly `total`.
//
// Paying out (every path spends the escrow output whole; `fee` is the payout transaction's miner fee):
//   fee shares     printerFee = floor(fee / 2), clientFee = fee − printerFee (the client pays the odd satoshi).
//                  Each share is paid out of that party's deposit (what is left of it after an arbitration fee);
//                  a share larger than that deposit is refused (ESCROW_AMOUNTS): the bounty is never used to pay
//                  a miner, and one side never pays for the other.
//   complete       printer: bounty + deposit − printerFee;   client: deposit − clientFee
//   cancel/refund  client: bounty + deposit − clientFee;     printer: deposit − printerFee
//                  (refund = the same amounts in the pre-signed, time-locked transaction)
//   split          mediated: the mediator's fee (set by the mediator, at most maxMediatorFeePct of the bounty,
//                  5 % by default) comes OUT OF THE BOUNTY, so both sides bear it in proportion to their share of
//                  the disputed sum, and nobody's deposit pays for a mediation. Of the rest of the bounty the
//                  printer gets floor(rest × printerPct / 100), the client the remainder.
//                  printer: printerBounty + deposit − printerFee;  client: clientBounty + deposit − clientFee;
//                  mediator: mediatorFee
//   ruling         arbitrated: the printer gets floor(bounty × printerPct / 100) of the bounty, the client the rest
//                  (winner-takes-all is printerPct 0 = client, 100 = printer). The arbitration fee
//                  floor(bounty × pct / 100) (pct = 5 by default, a market setting, at most depositPct) comes out of
//                  the LOSER's deposit — the side that gets less than 50 % of the bounty; at exactly 50 % both
//                  deposits pay half (printer floor(fee / 2), client the rest) — and goes to the arbitrator's
//                  address; each side gets the rest of its deposit back.
//
// Outputs are listed in a fixed order: client, printer, then the mediator or arbitrator. An output whose value is
// 0 is omitted; an output below DUST_SATS (546 sats, the P2PKH dust limit, used for every output type as the
// conservative bound) is DROPPED and its value added to the miner fee (reported in `droppedSats` / `dropped`).
// Invariant (checked on every call): sum(outputs) + feeSats === total, and no output is below DUST_SATS.
//
// Fee bumping: every payout and the refund pay each party to its own output (client and printer always have one
// unless their share is below dust, in which case they have nothing at stake in that transaction), so whoever
// receives an output can bump a stuck transaction with CPFP (spend the output with a high fee); nobody needs the
// others to re-sign. escrowAmounts() refuses deposits below dust, so a refund always has both outputs.
import { ESCROW_AMOUNTS } from '../errors.js'

export const DUST_SATS = 546n
export const DEFAULT_DEPOSIT_PCT = 15n
export const DEFAULT_ARBITRATION_FEE_PCT = 5n
export const DEFAULT_MAX_MEDIATOR_FEE_PCT = 5n
export const MAX_MONEY_SATS = 2_100_000_000_000_000n

export interface EscrowAmounts {
  bountySats: bigint
  depositPct: bigint
  clientDepositSats: bigint
  printerDepositSats: bigint
  clientIn: bigint // bounty + client deposit
  printerIn: bigint // printer deposit
  total: bigint // the escrow output's value
}

export type Role = 'client' | 'printer' | 'mediator' | 'arbitrator'

export interface PayoutOutput {
  role: Role
  address: string
  valueSats: bigint
}

export type PayoutPath =
  | { kind: 'complete' }
  | { kind: 'cancel' }
  | { kind: 'refund' }
  | { kind: 'split', printerPct: bigint, mediatorFeeSats: bigint, mediatorAddress: string, maxMediatorFeePct?: bigint }
  // printerPct (0…100) is the arbitrator's split of the bounty; without it, winner: client = 0, printer = 100
  | { kind: 'ruling', winner?: 'client' | 'printer', printerPct?: bigint, arbitratorAddress: string, arbitrationFeePct?: bigint }

export interface PayoutParams {
  amounts: EscrowAmounts
  feeSats: bigint // the miner fee asked for (before dust is dropped into it)
  clientAddress: string
  printerAddress: string
}

export interface PayoutPlan {
  outputs: PayoutOutput[]
  feeSats: bigint // the miner fee actually paid: requestedFeeSats + droppedSats
  requestedFeeSats: bigint
  droppedSats: bigint
  dropped: Role[]
  clientFeeSats: bigint
  printerFeeSats: bigint
}

function assertSats (name: string, v: unknown): asserts v is bigint {
  if (typeof v !== 'bigint') throw ESCROW_AMOUNTS(`${name} must be a bigint number of satoshis`)
  if (v < 0n || v > MAX_MONEY_SATS) throw ESCROW_AMOUNTS(`${name} (${String(v)}) is out of range`)
}

function assertPct (name: string, v: unknown, max = 100n): asserts v is bigint {
  if (typeof v !== 'bigint' || v < 0n || v > max) throw ESCROW_AMOUNTS(`${name} must be a whole percentage from 0 to ${max} (a bigint)`)
}

// The smallest bounty whose deposit (at depositPct) is not dust.
export function minBountySats (depositPct: bigint = DEFAULT_DEPOSIT_PCT): bigint {
  assertPct('depositPct', depositPct)
  if (depositPct === 0n) throw ESCROW_AMOUNTS('depositPct must be more than 0')
  return (DUST_SATS * 100n + depositPct - 1n) / depositPct
}

export function escrowAmounts ({ bountySats, depositPct = DEFAULT_DEPOSIT_PCT }: { bountySats: bigint, depositPct?: bigint }): EscrowAmounts {
  assertSats('bountySats', bountySats)
  assertPct('depositPct', depositPct)
  if (depositPct === 0n) throw ESCROW_AMOUNTS('depositPct must be more than 0')
  const deposit = bountySats * depositPct / 100n
  if (deposit < DUST_SATS) {
    throw ESCROW_AMOUNTS(`a bounty of ${bountySats} sats is too small to escrow: its ${depositPct} % deposit (${deposit} sats) is below the dust limit of ${DUST_SATS} sats; the smallest bounty is ${minBountySats(depositPct)} sats`)
  }
  const clientIn = bountySats + deposit
  const total = clientIn + deposit
  if (total > MAX_MONEY_SATS) throw ESCROW_AMOUNTS(`bounty ${bountySats} sats is too large`)
  return { bountySats, depositPct, clientDepositSats: deposit, printerDepositSats: deposit, clientIn, printerIn: deposit, total }
}

// Even split of a miner fee: floor to the printer, the odd satoshi to the client.
export function splitFee (feeSats: bigint): { clientFeeSats: bigint, printerFeeSats: bigint } {
  assertSats('feeSats', feeSats)
  const printerFeeSats = feeSats / 2n
  return { clientFeeSats: feeSats - printerFeeSats, printerFeeSats }
}

interface Gross {
  clientBounty: bigint
  clientDeposit: bigint // what is left of the client's deposit for it (before its fee share)
  printerBounty: bigint
  printerDeposit: bigint
  third: { role: 'mediator' | 'arbitrator', address: string, valueSats: bigint } | null
}

function grossFor (path: PayoutPath, a: EscrowAmounts): Gross {
  const b = a.bountySats
  switch (path.kind) {
    case 'complete':
      return { clientBounty: 0n, clientDeposit: a.clientDepositSats, printerBounty: b, printerDeposit: a.printerDepositSats, third: null }
    case 'cancel':
    case 'refund':
      return { clientBounty: b, clientDeposit: a.clientDepositSats, printerBounty: 0n, printerDeposit: a.printerDepositSats, third: null }
    case 'split': {
      assertPct('printerPct', path.printerPct)
      const maxPct = path.maxMediatorFeePct ?? DEFAULT_MAX_MEDIATOR_FEE_PCT
      assertPct('maxMediatorFeePct', maxPct)
      assertSats('mediatorFeeSats', path.mediatorFeeSats)
      const cap = b * maxPct / 100n
      if (path.mediatorFeeSats > cap) {
        throw ESCROW_AMOUNTS(`the mediator's fee of ${path.mediatorFeeSats} sats is more than the cap of ${maxPct} % of the bounty (${cap} sats)`)
      }
      if (path.mediatorFeeSats > 0n && (typeof path.mediatorAddress !== 'string' || path.mediatorAddress.length === 0)) {
        throw ESCROW_AMOUNTS('a mediator fee needs the mediator\'s address')
      }
      const rest = b - path.mediatorFeeSats
      const printerBounty = rest * path.printerPct / 100n
      return {
        clientBounty: rest - printerBounty,
        clientDeposit: a.clientDepositSats,
        printerBounty,
        printerDeposit: a.printerDepositSats,
        third: { role: 'mediator', address: path.mediatorAddress, valueSats: path.mediatorFeeSats }
      }
    }
    case 'ruling': {
      const pct = path.arbitrationFeePct ?? DEFAULT_ARBITRATION_FEE_PCT
      assertPct('arbitrationFeePct', pct, a.depositPct)
      let printerPct: bigint
      if (path.printerPct !== undefined) {
        assertPct('printerPct', path.printerPct)
        printerPct = path.printerPct
      } else if (path.winner === 'client' || path.winner === 'printer') {
        printerPct = path.winner === 'printer' ? 100n : 0n
      } else {
        throw ESCROW_AMOUNTS('a ruling needs a winner (client or printer) or printerPct')
      }
      const fee = b * pct / 100n
      if (fee > 0n && (typeof path.arbitratorAddress !== 'string' || path.arbitratorAddress.length === 0)) {
        throw ESCROW_AMOUNTS('an arbitration fee needs the arbitrator\'s address')
      }
      // who pays the arbitration fee: the side that gets less than half of the bounty; at exactly 50 % both pay
      // half (the printer floor(fee / 2), the client the rest)
      let clientFee = 0n
      let printerFee = 0n
      if (printerPct < 50n) printerFee = fee
      else if (printerPct > 50n) clientFee = fee
      else { printerFee = fee / 2n; clientFee = fee - printerFee }
      const printerBounty = b * printerPct / 100n
      return {
        clientBounty: b - printerBounty,
        clientDeposit: a.clientDepositSats - clientFee,
        printerBounty,
        printerDeposit: a.printerDepositSats - printerFee,
        third: { role: 'arbitrator', address: path.arbitratorAddress, valueSats: fee }
      }
    }
    default:
      throw ESCROW_AMOUNTS(`unknown payout path ${JSON.stringify((path as { kind?: unknown }).kind)}`)
  }
}

// The roles that may get an output on this path (before fees and dust): used to size the transaction.
export function payoutRoles (path: PayoutPath, amounts: EscrowAmounts): Role[] {
  const g = grossFor(path, amounts)
  const roles: Role[] = ['client', 'printer']
  if (g.third !== null && g.third.valueSats > 0n) roles.push(g.third.role)
  return roles
}

export function payoutOutputs (path: PayoutPath, params: PayoutParams): PayoutPlan {
  const { amounts: a, feeSats } = params
  assertSats('feeSats', feeSats)
  const g = grossFor(path, a)
  const { clientFeeSats, printerFeeSats } = splitFee(feeSats)
  if (clientFeeSats > g.clientDeposit) {
    throw ESCROW_AMOUNTS(`the client's share of the miner fee (${clientFeeSats} of ${feeSats} sats) is more than what is left of its deposit (${g.clientDeposit} sats); use a lower fee rate or a larger bounty`)
  }
  if (printerFeeSats > g.printerDeposit) {
    throw ESCROW_AMOUNTS(`the printer's share of the miner fee (${printerFeeSats} of ${feeSats} sats) is more than what is left of its deposit (${g.printerDeposit} sats); use a lower fee rate or a larger bounty`)
  }
  const candidates: PayoutOutput[] = [
    { role: 'client', address: params.clientAddress, valueSats: g.clientBounty + g.clientDeposit - clientFeeSats },
    { role: 'printer', address: params.printerAddress, valueSats: g.printerBounty + g.printerDeposit - printerFeeSats }
  ]
  if (g.third !== null) candidates.push({ role: g.third.role, address: g.third.address, valueSats: g.third.valueSats })

  const outputs: PayoutOutput[] = []
  const dropped: Role[] = []
  let droppedSats = 0n
  for (const o of candidates) {
    if (o.valueSats === 0n) continue
    if (o.valueSats < DUST_SATS) {
      dropped.push(o.role)
      droppedSats += o.valueSats
      continue
    }
    if (typeof o.address !== 'string' || o.address.length === 0) throw ESCROW_AMOUNTS(`no address for the ${o.role}'s output`)
    outputs.push(o)
  }
  const plan: PayoutPlan = { outputs, feeSats: feeSats + droppedSats, requestedFeeSats: feeSats, droppedSats, dropped, clientFeeSats, printerFeeSats }
  checkPayoutInvariants(plan, a)
  return plan
}

// Throws if the plan breaks a money rule that must always hold (a bug, never a user error).
export function checkPayoutInvariants (plan: PayoutPlan, a: EscrowAmounts): void {
  let sum = 0n
  for (const o of plan.outputs) {
    if (o.valueSats < DUST_SATS) throw new Error(`invariant: ${o.role} output ${o.valueSats} sats is dust`)
    sum += o.valueSats
  }
  if (sum + plan.feeSats !== a.total) throw new Error(`invariant: outputs ${sum} + fee ${plan.feeSats} !== escrow ${a.total}`)
  if (plan.clientFeeSats + plan.printerFeeSats !== plan.requestedFeeSats) throw new Error('invariant: fee shares do not add up')
}
