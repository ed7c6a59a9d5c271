// The app's market page: what `market info` prints (with a QR code of the key), the creator's `market settings`
// and `market indexers add|remove`, and the markets this storage knows. The forms are checked with the command
// line's rules and messages, without its flag names.
import b4a from 'b4a'
import type { P2Print } from '../service/p2print.js'
import { settingsJSON, type SettingsJSON, type SettingsPatch, type IndexersJSON } from '../service/settings.js'
import { CHAINS } from '../service/chain.js'
import { LIMITS, SETTINGS_BOUNDS, type ArbitratorEntry, type ChainSetting } from '../schema.js'
import { parseKey, peerId } from '../ids.js'
import { printable } from '../text.js'
import { fromHex } from '../escrow/script.js'
import { qrMatrix } from '../qr.js'
import { BAD_ARGUMENT } from '../errors.js'
import { friendly } from './details.js'
import type { KnownMarket, MarketDetail, MarketsCore, SettingsDraft, SettingsErrors } from './types.js'

type Bounded = keyof typeof SETTINGS_BOUNDS
const NUMBERS: Array<[Bounded, string]> = [['depositPct', 'the deposit'], ['arbitrationFeePct', 'the arbitration fee'], ['fundingDepth', 'the funding depth'], ['fundingTimeoutSecs', 'the funding timeout'], ['refundDelayBlocks', 'the refund delay'], ['admissionBits', 'the admission work'], ['deliveryDays', 'the delivery window']]
const NOT_AN_ID = 'is not a peer\'s ID (the 52-character id `p2print id` shows on that peer)'

export function settingsDraft (s: SettingsJSON): SettingsDraft {
  return {
    chain: s.chain === '' ? 'none' : s.chain,
    arbitrators: s.arbitrators.map(a => `${a.id}:${a.pubkey}`).join(' '),
    mediators: s.mediators.join(' '),
    depositPct: String(s.depositPct),
    arbitrationFeePct: String(s.arbitrationFeePct),
    fundingDepth: String(s.fundingDepth),
    fundingTimeoutSecs: String(s.fundingTimeoutSecs),
    refundDelayBlocks: String(s.refundDelayBlocks),
    admissionBits: String(s.admissionBits),
    deliveryDays: String(s.deliveryDays),
    blindPeers: s.blindPeers.join(' ')
  }
}

function words (text: string): string[] {
  return text.split(/[\s,]+/).filter(w => w.length > 0)
}

function parseChain (text: string, current: string): ChainSetting {
  const t = text.trim().toLowerCase()
  const chain = t === '' || t === 'none' ? '' : t
  if (chain !== '' && !(CHAINS as readonly string[]).includes(chain)) throw BAD_ARGUMENT(`the chain must be none or one of ${CHAINS.join(', ')}`)
  if (current !== '' && chain !== current) throw BAD_ARGUMENT(`this market's chain is ${current} and cannot change`)
  return chain as ChainSetting
}

function parseArbitrators (text: string): ArbitratorEntry[] {
  return words(text).map(a => {
    const [id, pub] = a.split(':')
    const key = parseKey(id ?? '')
    if (key === null || key.byteLength !== 32 || pub === undefined || !/^(02|03)[0-9a-f]{64}$/i.test(pub)) throw BAD_ARGUMENT(`${JSON.stringify(a.length > 24 ? a.slice(0, 24) + '…' : a)} must be ID:PUBKEY (the arbitrator's id and the compressed public key \`p2print id\` shows it)`)
    return { id: key, pubkey: fromHex(pub.toLowerCase()) }
  })
}

function parsePeerIds (text: string, max: number, what: string): Uint8Array[] {
  const keys = words(text).map(w => {
    const key = parseKey(w)
    if (key === null || key.byteLength !== 32) throw BAD_ARGUMENT(`${JSON.stringify(w.length > 24 ? w.slice(0, 24) + '…' : w)} ${NOT_AN_ID}`)
    return key
  })
  if (keys.length > max) throw BAD_ARGUMENT(`at most ${max} ${what}`)
  return keys
}

function parseCount (text: string, k: Bounded, what: string): number {
  const [min, max] = SETTINGS_BOUNDS[k]
  const n = Number(text.trim())
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw BAD_ARGUMENT(`${what} must be a whole number from ${min} to ${max}`)
  return n
}

// The form as a settings patch (what `market settings` would send); throws the first problem.
export function settingsPatch (d: SettingsDraft, currentChain: string): SettingsPatch {
  const patch: SettingsPatch = {
    chain: parseChain(d.chain, currentChain),
    arbitrators: parseArbitrators(d.arbitrators),
    mediators: parsePeerIds(d.mediators, LIMITS.mediators, 'mediators'),
    blindPeers: parsePeerIds(d.blindPeers, LIMITS.blindPeers, 'blind peers')
  }
  for (const [k, what] of NUMBERS) patch[k] = parseCount(d[k], k, what)
  if (patch.arbitrationFeePct! > patch.depositPct!) throw BAD_ARGUMENT(`the arbitration fee (${patch.arbitrationFeePct!} %) cannot be more than the deposit (${patch.depositPct!} %)`)
  return patch
}

export function validateSettings (d: SettingsDraft, currentChain: string): SettingsErrors {
  const errors: SettingsErrors = {}
  const check = (k: keyof SettingsDraft, fn: () => unknown): void => {
    try { fn() } catch (err) { errors[k] = (err as Error).message }
  }
  check('chain', () => parseChain(d.chain, currentChain))
  check('arbitrators', () => parseArbitrators(d.arbitrators))
  check('mediators', () => parsePeerIds(d.mediators, LIMITS.mediators, 'mediators'))
  check('blindPeers', () => parsePeerIds(d.blindPeers, LIMITS.blindPeers, 'blind peers'))
  for (const [k, what] of NUMBERS) check(k, () => parseCount(d[k], k, what))
  if (errors.arbitrationFeePct === undefined && errors.depositPct === undefined && Number(d.arbitrationFeePct) > Number(d.depositPct)) {
    errors.arbitrationFeePct = `the arbitration fee cannot be more than the deposit (${d.depositPct.trim()} %)`
  }
  return errors
}

export function validatePeerId (text: string): string | null {
  const key = parseKey(text.trim())
  if (text.trim() === '') return 'paste the peer\'s ID (`p2print id` on that peer shows it)'
  return key === null || key.byteLength !== 32 ? `${JSON.stringify(text.trim().slice(0, 24))} ${NOT_AN_ID}` : null
}

export async function marketDetail (p2: P2Print): Promise<MarketDetail> {
  const market = p2.market
  const info = await p2.info()
  const meta = await market.meta()
  const settings = settingsJSON(await p2.settings())
  return {
    key: info.key,
    keyHex: b4a.toString(market.key, 'hex'),
    qr: qrMatrix(info.key, 'L'), // lower case, as `market join` takes it: 29 modules a side
    name: info.name,
    id: info.id,
    creator: meta !== null && b4a.equals(meta.creator, market.writerKey),
    writer: info.writer,
    indexer: info.indexer,
    peers: p2.connections,
    jobs: info.jobs,
    byStatus: info.byStatus,
    settings,
    draft: settingsDraft(settings),
    indexers: await p2.indexers(),
    marketTime: info.marketTime,
    viewHash: info.viewHash,
    signedLength: info.signedLength,
    viewLength: info.viewLength
  }
}

// The controller behind AppCore.markets, over the session's service (`need` throws when no market is open).
export class AppMarkets implements MarketsCore {
  constructor (private readonly need: () => P2Print, private readonly changed: () => void) {}

  async detail (): Promise<MarketDetail> {
    try {
      return await marketDetail(this.need())
    } catch (err) { throw friendly(err) }
  }

  async known (): Promise<KnownMarket[]> {
    try {
      const p2 = this.need()
      const open = peerId(p2.market.key)
      const name = printable((await p2.market.meta())?.name ?? '')
      return p2.markets().map(m => ({ key: m.key, created: m.created, open: m.key === open, name: m.key === open ? name : null }))
    } catch (err) { throw friendly(err) }
  }

  validateSettings (d: SettingsDraft, currentChain: string): SettingsErrors { return validateSettings(d, currentChain) }

  async setSettings (d: SettingsDraft): Promise<SettingsJSON> {
    try {
      const p2 = this.need()
      const patch = settingsPatch(d, (await p2.settings()).chain)
      const s = settingsJSON(await p2.setSettings(patch))
      await p2.share()
      this.changed()
      return s
    } catch (err) { throw friendly(err) }
  }

  validatePeerId (text: string): string | null { return validatePeerId(text) }

  async changeIndexers (change: 'add' | 'remove', idText: string): Promise<IndexersJSON> {
    const bad = validatePeerId(idText)
    if (bad !== null) throw BAD_ARGUMENT(bad)
    try {
      const p2 = this.need()
      const r = await p2.changeIndexers(change, [parseKey(idText.trim())!])
      await p2.share()
      this.changed()
      return r
    } catch (err) { throw friendly(err) }
  }
}
