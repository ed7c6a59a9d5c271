// This peer's own limits on the escrow terms it takes part in, whatever a market's creator sets: a printer does not
// accept, and a client does not fund, a job whose terms go past them. Kept in the storage beside wallet.json
// (escrow-limits.json); without that file the defaults below hold. `p2print wallet limits` shows and changes them.
import fs from '#fs'
import path from '#path'
import { writeFileAtomic } from './wallet.js'
import { SETTINGS_BOUNDS, DEFAULT_DELIVERY_DAYS, type MarketSettings } from '../schema.js'
import { BAD_WALLET_FILE, OUTSIDE_LIMITS } from '../errors.js'

export const ESCROW_LIMITS_FILE = 'escrow-limits.json'

export interface EscrowLimits {
  maxArbitrationFeePct: number // of the bounty, paid out of the loser's deposit when the arbitrator rules
  maxDepositPct: number // each side's deposit, % of the bounty
  maxRefundDelayBlocks: number // how long the money can be locked before the refund (about 10 min a block)
  maxFundingTimeoutSecs: number // how long coins are held for a funding that does not come
  minFundingDepth: number // confirmations before a job is active and the printer ships
  minDeliveryDays: number // the client's time after a ship to complete or dispute before the printer is paid
}

export const DEFAULT_ESCROW_LIMITS: EscrowLimits = {
  maxArbitrationFeePct: 10,
  maxDepositPct: 30,
  maxRefundDelayBlocks: 4320, // 30 days
  maxFundingTimeoutSecs: 3 * 86400,
  minFundingDepth: 1,
  minDeliveryDays: 1
}

// What each limit may be set to: the bounds apply enforces on a market's settings.
export const LIMIT_BOUNDS: Record<keyof EscrowLimits, readonly [number, number]> = {
  maxArbitrationFeePct: SETTINGS_BOUNDS.arbitrationFeePct,
  maxDepositPct: SETTINGS_BOUNDS.depositPct,
  maxRefundDelayBlocks: SETTINGS_BOUNDS.refundDelayBlocks,
  maxFundingTimeoutSecs: SETTINGS_BOUNDS.fundingTimeoutSecs,
  minFundingDepth: SETTINGS_BOUNDS.fundingDepth,
  minDeliveryDays: SETTINGS_BOUNDS.deliveryDays
}

// The flag that changes each limit (the refusal names it).
export const LIMIT_FLAGS: Record<keyof EscrowLimits, string> = {
  maxArbitrationFeePct: '--max-arbitration-fee',
  maxDepositPct: '--max-deposit',
  maxRefundDelayBlocks: '--max-refund-delay',
  maxFundingTimeoutSecs: '--max-funding-timeout',
  minFundingDepth: '--min-funding-depth',
  minDeliveryDays: '--min-delivery-window'
}

// deliveryDays: the market's (settings) or the deal's (a job record's, 0 for a deal made without a window)
export type EscrowTerms = Pick<MarketSettings, 'arbitrationFeePct' | 'depositPct' | 'refundDelayBlocks' | 'fundingTimeoutSecs' | 'fundingDepth' | 'deliveryDays'>

// Why the terms go past this peer's limits (each one that does, with the command that changes it), or null.
export function outsideLimits (t: EscrowTerms, l: EscrowLimits): string | null {
  const why: string[] = []
  const over = (k: keyof EscrowLimits, what: string, v: number, lim: number, unit: string): void => {
    why.push(`${what} is ${v}${unit}, more than your limit of ${lim}${unit} (\`p2print wallet limits ${LIMIT_FLAGS[k]} N\`)`)
  }
  if (t.arbitrationFeePct > l.maxArbitrationFeePct) over('maxArbitrationFeePct', 'the arbitration fee', t.arbitrationFeePct, l.maxArbitrationFeePct, ' %')
  if (t.depositPct > l.maxDepositPct) over('maxDepositPct', 'the deposit', t.depositPct, l.maxDepositPct, ' %')
  if (t.refundDelayBlocks > l.maxRefundDelayBlocks) over('maxRefundDelayBlocks', 'the refund delay', t.refundDelayBlocks, l.maxRefundDelayBlocks, ' blocks')
  if (t.fundingTimeoutSecs > l.maxFundingTimeoutSecs) over('maxFundingTimeoutSecs', 'the funding timeout', t.fundingTimeoutSecs, l.maxFundingTimeoutSecs, ' s')
  if (t.fundingDepth < l.minFundingDepth) why.push(`the funding depth is ${t.fundingDepth} confirmation(s), fewer than your minimum of ${l.minFundingDepth} (\`p2print wallet limits ${LIMIT_FLAGS.minFundingDepth} N\`)`)
  const days = t.deliveryDays ?? DEFAULT_DELIVERY_DAYS
  if (days > 0 && days < (l.minDeliveryDays ?? 1)) why.push(`the delivery window is ${days} day(s), shorter than your minimum of ${l.minDeliveryDays} (\`p2print wallet limits ${LIMIT_FLAGS.minDeliveryDays} DAYS\`)`)
  return why.length === 0 ? null : why.join('; ')
}

export function checkLimits (t: EscrowTerms, l: EscrowLimits): void {
  const why = outsideLimits(t, l)
  if (why !== null) throw OUTSIDE_LIMITS(`these escrow terms go past your own limits: ${why}`)
}

export async function loadEscrowLimits (dir: string): Promise<EscrowLimits> {
  const file = path.join(dir, ESCROW_LIMITS_FILE)
  let text: string
  try {
    text = await fs.promises.readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...DEFAULT_ESCROW_LIMITS }
    throw err
  }
  try {
    const data = JSON.parse(text) as { version?: number, limits?: Partial<EscrowLimits> }
    if (data.version !== 1 || typeof data.limits !== 'object' || data.limits === null) throw new Error('unknown layout')
    const out = { ...DEFAULT_ESCROW_LIMITS }
    for (const k of Object.keys(LIMIT_BOUNDS) as Array<keyof EscrowLimits>) {
      const v = data.limits[k]
      if (v === undefined) continue
      const [min, max] = LIMIT_BOUNDS[k]
      if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${k} must be a whole number from ${min} to ${max}`)
      out[k] = v
    }
    return out
  } catch (err) {
    throw BAD_WALLET_FILE(file, `is not a p2print limits file (${(err as Error).message})`)
  }
}

export async function saveEscrowLimits (dir: string, limits: EscrowLimits): Promise<void> {
  await fs.promises.mkdir(dir, { recursive: true })
  await writeFileAtomic(path.join(dir, ESCROW_LIMITS_FILE), JSON.stringify({ version: 1, limits }, null, 2) + '\n', 0o600)
}
