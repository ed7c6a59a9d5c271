// market create | market join KEY | market info | market indexers [add|remove ID] | id | sync
import { withMarket, withService, checkHosted, type Ctx, type Result, type MarketInfo, type Session } from './context.js'
import { peerId, shortId, parseKey } from '../ids.js'
import { UNKNOWN_MARKET, NO_MARKET, BAD_ARGUMENT } from '../errors.js'
import { LIMITS, SETTINGS_BOUNDS } from '../schema.js'
import { DEFAULT_ADMISSION_BITS } from '../market/admission.js'
import { ensureWallet } from '../service/chain.js'
import { networkFor } from '../escrow/networks.js'
import { getSettings } from '../market/view.js'
import { arbitratorPubkey } from '../escrow/actions.js'
import { toHex } from '../escrow/script.js'

export async function marketInfo (p: Session): Promise<MarketInfo> {
  return await p.info()
}

// admissionBits: --admission-bits, the work a peer does before it may write (lib/market/admission.ts).
export async function marketCreate (ctx: Ctx, name = '', admissionBits?: string): Promise<Result> {
  if (name.length > LIMITS.marketNameChars) throw BAD_ARGUMENT(`--name is longer than ${LIMITS.marketNameChars} characters`)
  const bits = parseAdmissionBits(admissionBits)
  return withMarket(ctx, async (s) => {
    ctx.emit('market-created', { key: peerId(s.market.key) })
    return { kind: 'market', data: await marketInfo(s) }
  }, { create: true, name, admissionBits: bits })
}

export function parseAdmissionBits (text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const [min, max] = SETTINGS_BOUNDS.admissionBits
  const n = Number(text)
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw BAD_ARGUMENT(`--admission-bits must be a whole number from ${min} to ${max} (each bit doubles the work a new writer does; ${DEFAULT_ADMISSION_BITS} by default)`)
  return n
}

export async function marketJoin (ctx: Ctx, keyText: string): Promise<Result> {
  const key = parseKey(keyText)
  if (key === null) throw UNKNOWN_MARKET(keyText)
  return withMarket(ctx, async (s) => {
    // a well-formed key of a market nobody here has heard of: nothing answers, and the market stays empty
    if (await s.market.meta() === null) ctx.emit('join-unanswered', { key: peerId(key), peers: s.peers })
    return { kind: 'market', data: await marketInfo(s) }
  }, { join: key })
}

export async function marketInfoCommand (ctx: Ctx): Promise<Result> {
  return withMarket(ctx, async (s) => ({ kind: 'market', data: await marketInfo(s) }))
}

// Lists the market's indexers; its creator adds or removes some (by the ids `p2print id` shows on those peers).
export async function marketIndexers (ctx: Ctx, change: string | undefined, ids: string[]): Promise<Result> {
  if (change !== undefined && change !== 'add' && change !== 'remove') throw BAD_ARGUMENT(`unknown \`market indexers ${change}\`: use market indexers, market indexers add ID… or market indexers remove ID…`)
  const keys = ids.map(id => {
    const key = parseKey(id)
    if (key === null) throw BAD_ARGUMENT(`${JSON.stringify(id)} is not a peer's ID (as \`p2print id\` shows it on that peer)`)
    return key
  })
  if (change !== undefined && keys.length === 0) throw BAD_ARGUMENT(`market indexers ${change} needs at least one peer's ID (as \`p2print id\` shows it on that peer)`)
  return withMarket(ctx, async (s) => ({ kind: 'indexers', data: change === undefined ? await s.indexers() : await s.changeIndexers(change, keys) }))
}

// Your id is your writer key in the current market: it needs no network, only the storage.
export async function idCommand (ctx: Ctx): Promise<Result> {
  return await withService(ctx, async ({ peer }) => {
    if (ctx.marketKey === null && peer.currentMarketKey === null) throw NO_MARKET()
    // hosted (lib/sidecar): the running process's market (checkHosted refuses --market naming another)
    if (ctx.session !== undefined) checkHosted(ctx, ctx.session)
    const market = ctx.session !== undefined ? ctx.session.market : await peer.openMarket(ctx.marketKey)
    const id = peerId(market.writerKey)
    // the arbitrator key depends on the chain (BIP44 coin type): the market's, else --chain, else testnet's
    const chain = (await getSettings(market.view)).chain || ctx.chain || 'testnet'
    const { wallet } = await ensureWallet(peer.dir, networkFor(chain))
    return { kind: 'id', data: { id, short: shortId(id), arbitratorPubkey: toHex(arbitratorPubkey(wallet)) } }
  }, { network: false })
}

// Connects, catches up, pushes anything written while offline, and exits.
export async function syncCommand (ctx: Ctx): Promise<Result> {
  return withMarket(ctx, async (p) => {
    const shared = p.peers > 0 ? await p.share() : (ctx.emit('stored-locally', {}), false)
    return { kind: 'sync', data: { peers: p.peers, shared: shared || p.market.base.local.length === 0, jobs: await p.market.jobCount() } }
  })
}

// `p2print` with no command: the current market's summary (if any), then help.
export async function summaryCommand (ctx: Ctx): Promise<Result> {
  const hasMarket = await withService(ctx, async ({ peer }) => ctx.marketKey !== null || peer.currentMarketKey !== null, { network: false })
  if (!hasMarket) return { kind: 'summary', data: null }
  return withMarket(ctx, async (s) => ({ kind: 'summary', data: await marketInfo(s) }))
}
