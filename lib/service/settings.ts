// The market's escrow settings, which only its creator sets: its chain (once), its arbitrators and mediators, its
// rules. apply checks the same; these checks give a clear error before anything is written.
import b4a from 'b4a'
import type { P2Print } from './p2print.js'
import { getSettings } from '../market/view.js'
import { OP, DEFAULT_SETTINGS, DEFAULT_DELIVERY_DAYS, type MarketSettings } from '../schema.js'
import { peerId } from '../ids.js'
import { toHex } from '../escrow/script.js'
import { BAD_ARGUMENT, NOT_ALLOWED } from '../errors.js'
import { LIMITS } from '../schema.js'

export type SettingsPatch = Partial<MarketSettings>

export type SettingsJSON = Omit<MarketSettings, 'arbitrators' | 'mediators' | 'blindPeers' | 'deliveryDays'> & { arbitrators: Array<{ id: string, pubkey: string }>, mediators: string[], blindPeers: string[], deliveryDays: number }

export function settingsJSON (s: MarketSettings): SettingsJSON {
  return { ...s, arbitrators: s.arbitrators.map(a => ({ id: peerId(a.id), pubkey: toHex(a.pubkey) })), mediators: s.mediators.map(k => peerId(k)), blindPeers: (s.blindPeers ?? []).map(k => peerId(k)), deliveryDays: s.deliveryDays ?? DEFAULT_DELIVERY_DAYS }
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

export interface IndexersJSON {
  indexers: Array<{ id: string, creator: boolean, active: boolean }> // active: Autobase counts it (it has written)
  majority: number
  marketTime: string | null
}

export async function indexersJSON (p: P2Print): Promise<IndexersJSON> {
  const market = p.market
  const keys = await market.indexers()
  const active = market.activeIndexers()
  const time = await market.clockTime()
  const list = keys.map((k, i) => ({ id: peerId(k), creator: i === 0, active: active.some(a => b4a.equals(a, k)) }))
  return { indexers: list, majority: Math.floor(list.filter(x => x.active).length / 2) + 1, marketTime: time === null ? null : new Date(time).toISOString() }
}

// The creator names (add) or drops (remove) indexers besides itself, in one op; up to LIMITS.namedIndexers of them.
export async function changeIndexers (p: P2Print, change: 'add' | 'remove', keys: Uint8Array[]): Promise<IndexersJSON> {
  const market = p.market
  const meta = await market.meta()
  if (meta === null || !b4a.equals(meta.creator, market.writerKey)) throw NOT_ALLOWED('only the market\'s creator names its indexers')
  let named = (await market.indexers()).slice(1)
  const active = market.activeIndexers()
  for (const key of keys) {
    if (b4a.equals(key, meta.creator)) throw BAD_ARGUMENT('the creator is always an indexer')
    const has = named.some(k => b4a.equals(k, key))
    if (change === 'add') {
      if (has) throw BAD_ARGUMENT(`${peerId(key)} is an indexer already`)
      if (named.length >= LIMITS.namedIndexers) throw BAD_ARGUMENT(`a market has at most ${LIMITS.namedIndexers + 1} indexers: the creator and ${LIMITS.namedIndexers} more`)
      named = [...named, key]
    } else {
      if (!has) throw BAD_ARGUMENT(`${peerId(key)} is not one of this market's indexers`)
      // Autobase 7.28 keeps a key dropped before it ever wrote as a pending indexer, and counts it once it writes
      if (!active.some(a => b4a.equals(a, key))) throw BAD_ARGUMENT(`${peerId(key)} has not written to the market yet: dropping it now would leave it an indexer once it does. Run \`p2print seed\` on its storage until \`market indexers\` counts it, then remove it`)
      named = named.filter(k => !b4a.equals(k, key))
    }
  }
  await market.append({ type: OP.MARKET_INDEXERS, indexers: named })
  await market.update()
  return indexersJSON(p)
}
