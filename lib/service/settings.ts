// The market's escrow settings, which only its creator sets: its chain (once), its arbitrators and mediators, its
// rules. apply checks the same; these checks give a clear error before anything is written.
import b4a from 'b4a'
import type { P2Print } from './p2print.js'
import { getSettings } from '../market/view.js'
import { OP, DEFAULT_SETTINGS, type MarketSettings } from '../schema.js'
import { peerId } from '../ids.js'
import { toHex } from '../escrow/script.js'
import { BAD_ARGUMENT, NOT_ALLOWED } from '../errors.js'

export type SettingsPatch = Partial<MarketSettings>

export type SettingsJSON = Omit<MarketSettings, 'arbitrators' | 'mediators'> & { arbitrators: Array<{ id: string, pubkey: string }>, mediators: string[] }

export function settingsJSON (s: MarketSettings): SettingsJSON {
  return { ...s, arbitrators: s.arbitrators.map(a => ({ id: peerId(a.id), pubkey: toHex(a.pubkey) })), mediators: s.mediators.map(k => peerId(k)) }
}

export async function setSettings (p: P2Print, patch: SettingsPatch): Promise<MarketSettings> {
  const market = p.market
  const meta = await market.meta()
  if (meta === null || !b4a.equals(meta.creator, market.writerKey)) throw NOT_ALLOWED('only the market\'s creator sets its escrow settings')
  const current = await getSettings(market.view)
  if (patch.chain !== undefined && current.chain !== '' && current.chain !== patch.chain) throw NOT_ALLOWED(`this market's chain is ${current.chain} and cannot change`)
  const next: MarketSettings = { ...DEFAULT_SETTINGS, ...current }
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v
  if (next.arbitrationFeePct > next.depositPct) throw BAD_ARGUMENT(`the arbitration fee (${next.arbitrationFeePct} %) cannot be more than the deposit (${next.depositPct} %)`)
  await market.append({ type: OP.MARKET_SETTINGS, settings: next })
  await market.update()
  return await getSettings(market.view)
}
