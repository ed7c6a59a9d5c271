// The escrow on the command line: `escrow ID`, `market settings`, `dispute rule`.
import type { Ctx, Result } from './context.js'
import { withMarket } from './context.js'
import { parseAdmissionBits } from './market.js'
import { CHAINS } from '../service/chain.js'
import { settingsJSON, type SettingsJSON } from '../service/settings.js'
import { LIMITS, SETTINGS_BOUNDS, type MarketSettings, type ArbitratorEntry } from '../schema.js'
import { parseKey, parseBlindPeerKeys } from '../ids.js'
import { BAD_ARGUMENT } from '../errors.js'
import { fromHex } from '../escrow/script.js'

export async function escrowCommand (ctx: Ctx, idText: string): Promise<Result> {
  return withMarket(ctx, async (p) => ({ kind: 'escrow', data: await p.escrowOf(idText) }), { escrow: 'optional' })
}

// `dispute rule ID --printer-pct N [--note TEXT]` (or `--winner client|printer` = 0 / 100), the arbitrator's, once
// the mediation has failed (lib/disputes).
export async function disputeRule (ctx: Ctx, idText: string, winner: string | undefined, opts: { printerPct?: string, note?: string } = {}): Promise<Result> {
  let ruling: number
  if (opts.printerPct !== undefined) {
    const n = Number(opts.printerPct)
    if (!Number.isInteger(n) || n < 0 || n > 100) throw BAD_ARGUMENT('--printer-pct must be a whole percentage from 0 to 100')
    if (winner !== undefined) throw BAD_ARGUMENT('give either --printer-pct or --winner, not both')
    ruling = n
  } else if (winner === 'client' || winner === 'printer') {
    ruling = winner === 'printer' ? 100 : 0
  } else {
    throw BAD_ARGUMENT('dispute rule needs --printer-pct N (the printer\'s % of the bounty) or --winner client|printer')
  }
  const note = opts.note ?? ''
  if (note.length > 1000) throw BAD_ARGUMENT('--note is longer than 1000 characters')
  return withMarket(ctx, async (p) => ({ kind: 'ruled', data: await p.rule(idText, ruling, note) }), { escrow: 'required' })
}

export interface SettingsFlags {
  chain?: string
  arbitrator?: string[] // ID:PUBKEYHEX
  mediator?: string[] // ID (writer key) of a mediator the creator names
  arbitrationFee?: string
  depositPct?: string
  fundingDepth?: string
  fundingTimeout?: string
  refundDelay?: string
  admissionBits?: string
  deliveryWindow?: string
  blindPeers?: string // KEY,KEY or none
}

function count (text: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  if (!Number.isInteger(n) || n < min || n > max) throw BAD_ARGUMENT(`${flag} must be a whole number from ${min} to ${max}`)
  return n
}

// The creator sets the market's escrow: its chain (once), its arbitrators and its rules.
export async function marketSettings (ctx: Ctx, flags: SettingsFlags): Promise<Result> {
  if (flags.chain !== undefined && !(CHAINS as readonly string[]).includes(flags.chain)) throw BAD_ARGUMENT(`--chain must be one of ${CHAINS.join(', ')}`)
  const arbitrators: ArbitratorEntry[] | undefined = flags.arbitrator?.map(a => {
    const [id, pub] = a.split(':')
    const key = parseKey(id ?? '')
    if (key === null || pub === undefined || !/^(02|03)[0-9a-f]{64}$/i.test(pub)) throw BAD_ARGUMENT(`--arbitrator ${JSON.stringify(a)} must be ID:PUBKEY (the arbitrator's id and the compressed public key \`p2print id\` shows it)`)
    return { id: key, pubkey: fromHex(pub.toLowerCase()) }
  })
  const mediators: Uint8Array[] | undefined = flags.mediator?.map(m => {
    const key = parseKey(m)
    if (key === null) throw BAD_ARGUMENT(`--mediator ${JSON.stringify(m)} must be a peer's ID (as \`p2print id\` shows it)`)
    return key
  })
  if (mediators !== undefined && mediators.length > LIMITS.mediators) throw BAD_ARGUMENT(`at most ${LIMITS.mediators} mediators`)
  const blindPeers = flags.blindPeers === undefined ? undefined : flags.blindPeers.trim() === 'none' ? [] : parseBlindPeerKeys(flags.blindPeers.split(',').filter(k => k.trim() !== ''), '--blind-peers')
  if (blindPeers !== undefined && blindPeers.length > LIMITS.blindPeers) throw BAD_ARGUMENT(`--blind-peers: at most ${LIMITS.blindPeers} blind peers`)
  const b = SETTINGS_BOUNDS
  const patch = {
    arbitrationFeePct: count(flags.arbitrationFee, '--arbitration-fee', ...b.arbitrationFeePct),
    depositPct: count(flags.depositPct, '--deposit', ...b.depositPct),
    fundingDepth: count(flags.fundingDepth, '--funding-depth', ...b.fundingDepth),
    fundingTimeoutSecs: count(flags.fundingTimeout, '--funding-timeout', ...b.fundingTimeoutSecs),
    refundDelayBlocks: count(flags.refundDelay, '--refund-delay', ...b.refundDelayBlocks),
    admissionBits: parseAdmissionBits(flags.admissionBits),
    deliveryDays: count(flags.deliveryWindow, '--delivery-window', ...b.deliveryDays)
  }
  return withMarket(ctx, async (p) => ({ kind: 'settings', data: settingsJSON(await p.setSettings({ ...patch, chain: flags.chain as MarketSettings['chain'] | undefined, arbitrators, mediators, blindPeers })) }))
}

export type { SettingsJSON }
