// The command line's options and the global settings every command gets from them, shared by the Node entry (index.ts)
// and the Bare seeder (bare/main.ts). Parsing argv into `Values` is the entry's own (Node's util.parseArgs, or
// bare/args.ts under Bare); this turns the parsed values into a Ctx and the seed command's flags.
import os from '#os'
import path from '#path'
import type { parseArgs } from 'util'
import { BAD_ARGUMENT } from '../errors.js'
import type { Ctx, Bootstrap } from './context.js'
import { CHAINS, type ChainName } from '../escrow/chain.js'
import { parseKey, parseBlindPeerKeys } from '../ids.js'
import type { SeedFlags } from '../files/seeder.js'

export const OPTIONS = {
  storage: { type: 'string' },
  bootstrap: { type: 'string' },
  market: { type: 'string' },
  json: { type: 'boolean' },
  'sync-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  status: { type: 'string' },
  material: { type: 'string' },
  country: { type: 'string' },
  'min-bounty': { type: 'string' },
  mine: { type: 'boolean' },
  limit: { type: 'string' },
  title: { type: 'string' },
  color: { type: 'string', multiple: true },
  colour: { type: 'string', multiple: true },
  bounty: { type: 'string' },
  notes: { type: 'string' },
  file: { type: 'string' },
  note: { type: 'string' },
  reason: { type: 'string' },
  port: { type: 'string' },
  name: { type: 'string' },
  quota: { type: 'string' },
  'keep-closed': { type: 'string' },
  out: { type: 'string' },
  preview: { type: 'boolean' },
  'faucet-port': { type: 'string' },
  'api-key': { type: 'string' },
  chain: { type: 'string' },
  'bitcoin-rpc': { type: 'string' },
  esplora: { type: 'string' },
  mnemonic: { type: 'string' },
  'fee-rate': { type: 'string' },
  'dry-run': { type: 'boolean' },
  'max-fee': { type: 'string' },
  'max-arbitration-fee': { type: 'string' },
  'max-deposit': { type: 'string' },
  'max-refund-delay': { type: 'string' },
  'max-funding-timeout': { type: 'string' },
  'min-delivery-window': { type: 'string' },
  'min-funding-depth': { type: 'string' },
  arbitrator: { type: 'string', multiple: true },
  mediator: { type: 'string', multiple: true },
  'arbitration-fee': { type: 'string' },
  deposit: { type: 'string' },
  'funding-depth': { type: 'string' },
  'funding-timeout': { type: 'string' },
  'refund-delay': { type: 'string' },
  'delivery-window': { type: 'string' },
  'admission-bits': { type: 'string' },
  'blind-peer': { type: 'string', multiple: true },
  'blind-peers': { type: 'string' },
  blind: { type: 'boolean' },
  winner: { type: 'string' },
  'fee-pct': { type: 'string' },
  'printer-pct': { type: 'string' },
  rating: { type: 'string' },
  bed: { type: 'string' },
  photo: { type: 'string', multiple: true },
  photos: { type: 'string' },
  notify: { type: 'string' },
  quotes: { type: 'boolean' },
  milestones: { type: 'string' },
  price: { type: 'string' },
  days: { type: 'string' },
  street: { type: 'string' },
  city: { type: 'string' },
  postcode: { type: 'string' },
  phone: { type: 'string' }
} as const

export type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS, allowPositionals: true, strict: true }>>['values']

export function parseBootstrap (text: string | undefined): Bootstrap[] | null {
  if (text === undefined) return null
  return text.split(',').map(s => s.trim()).filter(s => s.length > 0).map(s => {
    const i = s.lastIndexOf(':')
    const port = Number(s.slice(i + 1))
    if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw BAD_ARGUMENT(`--bootstrap ${JSON.stringify(s)} is not HOST:PORT`)
    return { host: s.slice(0, i), port }
  })
}

export function parseSyncTimeout (text: string | undefined): number {
  if (text === undefined) return 10_000
  const n = Number(text)
  if (!Number.isFinite(n) || n < 0 || n > 3600) throw BAD_ARGUMENT('--sync-timeout must be a number of seconds from 0 to 3600')
  return Math.round(n * 1000)
}

export function parseChain (text: string | undefined): ChainName | null {
  if (text === undefined) return null
  if (!(CHAINS as readonly string[]).includes(text)) throw BAD_ARGUMENT(`--chain must be one of ${CHAINS.join(', ')}`)
  return text as ChainName
}

// The global options every command gets, from its parsed argv and where it runs (this process, or the one running on
// its storage: lib/sidecar).
export type Io = Pick<Ctx, 'emit' | 'stopped' | 'cwd' | 'columns' | 'color' | 'session' | 'host'> & { json: boolean }

export function makeCtx (values: Values, io: Io, env: Record<string, string | undefined> = process.env): Ctx {
  const marketText = values.market
  const marketKey = marketText === undefined ? null : parseKey(marketText)
  if (marketText !== undefined && marketKey === null) throw BAD_ARGUMENT(`--market ${JSON.stringify(marketText)} is not a market key`)
  return {
    storage: storageOf(values),
    bootstrap: parseBootstrap(values.bootstrap),
    marketKey,
    syncTimeoutMs: parseSyncTimeout(values['sync-timeout']),
    chain: parseChain(values.chain ?? env.P2PRINT_CHAIN),
    bitcoinRpc: values['bitcoin-rpc'] ?? env.P2PRINT_BITCOIN_RPC ?? null,
    esplora: values.esplora ?? env.P2PRINT_ESPLORA ?? null,
    blindPeers: parseBlindPeerKeys(values['blind-peer'] ?? (env.P2PRINT_BLIND_PEERS ?? '').split(',').filter(s => s.trim() !== ''), '--blind-peer'),
    ...io
  }
}

// --blind-peer KEY (repeatable) or P2PRINT_BLIND_PEERS=KEY,KEY: the blind peers this peer uses (lib/market/blind.ts).
export function storageOf (values: Values): string {
  return path.resolve(values.storage ?? process.env.P2PRINT_STORAGE ?? path.join(os.homedir(), '.p2print'))
}

// seed's own flags: --quota MB (default 10 GB), --keep-closed DAYS (default 7), --notify CMD, --blind.
export function seedFlags (values: Values): SeedFlags & { notify?: string, blind: boolean } {
  const quotaMb = values.quota === undefined ? 10_240 : Number(values.quota)
  if (!Number.isFinite(quotaMb) || quotaMb < 0) throw BAD_ARGUMENT('--quota must be a number of megabytes')
  const keepDays = values['keep-closed'] === undefined ? 7 : Number(values['keep-closed'])
  if (!Number.isFinite(keepDays) || keepDays < 0) throw BAD_ARGUMENT('--keep-closed must be a number of days')
  return { quotaBytes: Math.round(quotaMb * 1024 * 1024), keepClosedMs: Math.round(keepDays * 86_400_000), notify: values.notify, blind: values.blind === true }
}
