#!/usr/bin/env -S node --max-semi-space-size=1 --heap-growing-percent=10
// Entry point: argv → command → rendered result and exit code. Parsing and rendering only; the work is in lib/.
import path from 'path'
import { parseArgs } from 'util'
import { P2PrintError, USAGE, BAD_ARGUMENT, type ErrorCode } from './lib/errors.js'
import type { P2Print } from './lib/service/p2print.js'
import type { Ctx, Result } from './lib/commands/context.js'
import { OPTIONS, makeCtx, storageOf, seedFlags, type Values } from './lib/commands/options.js'
import { STATUSES, type Status } from './lib/schema/constants.js'
import { HELP, renderEvent, renderResult, renderProgress } from './ui/text.js'

// Each command's module is loaded only when that command runs (a command pays for what it uses, `--help` for nothing).
const load = {
  chat: async () => await import('./lib/commands/chat.js'),
  dispute: async () => await import('./lib/commands/dispute.js'),
  escrow: async () => await import('./lib/commands/escrow.js'),
  files: async () => await import('./lib/commands/files.js'),
  jobs: async () => await import('./lib/commands/jobs.js'),
  quotes: async () => await import('./lib/commands/quotes.js'),
  market: async () => await import('./lib/commands/market.js'),
  regtest: async () => await import('./lib/commands/regtest.js'),
  reputation: async () => await import('./lib/commands/reputation.js'),
  search: async () => await import('./lib/commands/search.js'),
  seed: async () => await import('./lib/commands/seed.js'),
  testnet: async () => await import('./lib/commands/testnet.js'),
  blind: async () => await import('./lib/commands/blind.js'),
  wallet: async () => await import('./lib/commands/wallet.js')
}

const WARNINGS = new Set(['offline', 'stored-locally', 'file-stored-locally', 'wallet-created', 'escrow-error', 'join-unanswered'])

// Commands that only read: they create no wallet, and nothing in a storage that has no market (P2PrintOptions.readOnly).
const isRead = ([cmd, sub, ...rest]: string[]): boolean => cmd === undefined || ['jobs', 'peer', 'printers', 'escrow'].includes(cmd) ||
  (cmd === 'job' && (sub === 'show' || sub === 'quotes')) || ((cmd === 'mediator' || cmd === 'dispute') && sub === 'list') || (cmd === 'market' && (sub === 'info' || (sub === 'indexers' && rest.length === 0)))


function parse (argv: string[]): { values: Values, positionals: string[] } {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (err) {
    throw USAGE(`${argError(err as Error & { code?: string })}. Run \`p2print --help\` for usage.`)
  }
}

// Node's parser speaks of positionals and '--'; say what the user typed wrong, and what was likely meant.
function argError (err: Error & { code?: string }): string {
  const opt = /'(-[^']*)'/.exec(err.message)?.[1]
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && opt !== undefined) {
    if (/^-\d/.test(opt)) return `${opt} is not an option: a negative number cannot be given here (amounts, counts and percentages are positive)`
    const name = opt.replace(/^-+/, '').split('=')[0]
    const near = Object.keys(OPTIONS).filter(k => k.startsWith(name) || name.startsWith(k) || editDistance(k, name) <= 2)
    return `unknown option ${opt}${near.length > 0 ? ` (did you mean ${near.map(k => '--' + k).join(' or ')}?)` : ''}`
  }
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && opt !== undefined) return `${opt.split(' ')[0]} needs a value`
  return err.message
}

function editDistance (a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
  }
  return d[a.length][b.length]
}

function need (arg: string | undefined, what: string): string {
  if (arg === undefined || arg.length === 0) throw USAGE(`missing ${what}. Run \`p2print --help\` for usage.`)
  return arg
}

async function dispatch (ctx: Ctx, values: Values, pos: string[]): Promise<Result> {
  const [cmd, sub, arg, ...rest] = pos
  const tooMany = (n: number): void => { if (pos.length > n) throw USAGE(`unexpected argument ${JSON.stringify(pos[n])}`) }
  const jobFlags = {
    title: values.title,
    material: values.material,
    color: values.color !== undefined || values.colour !== undefined ? [...(values.color ?? []), ...(values.colour ?? [])] : undefined,
    bounty: values.bounty,
    country: values.country,
    notes: values.notes,
    file: values.file === undefined ? undefined : path.resolve(ctx.cwd, values.file),
    quotes: values.quotes,
    milestones: values.milestones
  }
  const quoteFlags = { price: values.price, days: values.days, material: values.material, color: jobFlags.color, note: values.note }
  switch (cmd) {
    case undefined:
      // in a terminal: the interactive app; otherwise (pipes, scripts, tests) the summary and help
      if (ctx.session === undefined && process.stdout.isTTY === true && process.stdin.isTTY === true && !ctx.json) return uiCommand(ctx, values)
      return (await load.market()).summaryCommand(ctx)
    case 'ui':
      tooMany(1)
      if (process.stdout.isTTY !== true || process.stdin.isTTY !== true) throw USAGE('`p2print ui` needs a terminal (stdin and stdout a TTY); in scripts use the commands, e.g. `p2print jobs`')
      return uiCommand(ctx, values)
    case 'market':
      switch (sub) {
        case 'create': tooMany(2); return (await load.market()).marketCreate(ctx, values.name ?? '', values['admission-bits'])
        case 'join': tooMany(3); return (await load.market()).marketJoin(ctx, need(arg, 'the market KEY'))
        case 'info': tooMany(2); return (await load.market()).marketInfoCommand(ctx)
        case 'settings':
          tooMany(2)
          return (await load.escrow()).marketSettings(ctx, { chain: values.chain, arbitrator: values.arbitrator, mediator: values.mediator, arbitrationFee: values['arbitration-fee'], depositPct: values.deposit, fundingDepth: values['funding-depth'], fundingTimeout: values['funding-timeout'], refundDelay: values['refund-delay'], admissionBits: values['admission-bits'], deliveryWindow: values['delivery-window'], blindPeers: values['blind-peers'] })
        case 'indexers': return (await load.market()).marketIndexers(ctx, arg, pos.slice(3))
        default: throw USAGE(`unknown command \`market ${sub ?? ''}\`: use market create, market join KEY, market info, market settings or market indexers`)
      }
    case 'id': tooMany(1); return (await load.market()).idCommand(ctx)
    case 'escrow': tooMany(2); return (await load.escrow()).escrowCommand(ctx, need(sub, 'the job ID'))
    case 'dispute':
      tooMany(3)
      switch (sub) {
        case 'rule': return (await load.escrow()).disputeRule(ctx, need(arg, 'the job ID'), values.winner, { printerPct: values['printer-pct'], note: values.note })
        case 'propose': return (await load.dispute()).disputePropose(ctx, need(arg, 'the job ID'), values['printer-pct'], values.note ?? '')
        case 'accept': return (await load.dispute()).disputeAccept(ctx, need(arg, 'the job ID'))
        case 'reject': return (await load.dispute()).disputeReject(ctx, need(arg, 'the job ID'), values.note ?? '')
        case 'list': tooMany(2); return (await load.dispute()).disputeList(ctx)
        default: throw USAGE('use `p2print dispute list` or `p2print dispute propose|accept|reject|rule ID`')
      }
    case 'mediator':
      tooMany(2)
      switch (sub) {
        case 'register': return (await load.dispute()).mediatorRegister(ctx, values['fee-pct'])
        case 'list': return (await load.dispute()).mediatorList(ctx)
        default: throw USAGE('use `p2print mediator register --fee-pct N` or `p2print mediator list`')
      }
    case 'chat': tooMany(3); return (await load.chat()).chatCommand(ctx, need(sub, 'the job ID'), arg, { photo: values.photo?.map(f => path.resolve(ctx.cwd, f)), photos: values.photos === undefined ? undefined : path.resolve(ctx.cwd, values.photos) })
    case 'search':
      switch (sub) {
        case 'save': tooMany(2); return (await load.search()).searchSave(ctx, { material: values.material, country: values.country, minBounty: values['min-bounty'] })
        case 'list': tooMany(2); return (await load.search()).searchList(ctx)
        case 'remove': tooMany(3); return (await load.search()).searchRemove(ctx, need(arg, 'the number of the saved search (`p2print search list`)'))
        default: throw USAGE(`unknown command \`search ${sub ?? ''}\`: use search save, search list or search remove N`)
      }
    case 'peer': tooMany(2); return (await load.reputation()).peerCommand(ctx, sub)
    case 'printers': tooMany(1); return (await load.reputation()).printersCommand(ctx, { material: values.material, country: values.country, limit: values.limit })
    case 'printer':
      switch (sub) {
        case 'profile': tooMany(2); return (await load.reputation()).printerProfileCommand(ctx, { material: values.material, bed: values.bed, country: values.country, note: values.note })
        case 'unlist': tooMany(2); return (await load.reputation()).printerUnlist(ctx)
        default: throw USAGE(`unknown command \`printer ${sub ?? ''}\`: use printer profile or printer unlist`)
      }
    case 'wallet':
      switch (sub) {
        case 'mnemonic': tooMany(2); return (await load.wallet()).walletMnemonic(ctx)
        case 'restore': tooMany(2); return (await load.wallet()).walletRestore(ctx, values.mnemonic ?? null)
        case 'address': tooMany(2); return (await load.wallet()).walletAddress(ctx)
        case 'balance': tooMany(2); return (await load.wallet()).walletBalance(ctx)
        case 'limits': tooMany(2); return (await load.wallet()).walletLimits(ctx, { maxArbitrationFeePct: values['max-arbitration-fee'], maxDepositPct: values['max-deposit'], maxRefundDelayBlocks: values['max-refund-delay'], maxFundingTimeoutSecs: values['max-funding-timeout'], minFundingDepth: values['min-funding-depth'], minDeliveryDays: values['min-delivery-window'] })
        case 'send':
          tooMany(4)
          if (values['dry-run'] === true) return { kind: 'send-plan', data: await (await load.wallet()).walletSendPlan(ctx, need(arg, 'the ADDRESS'), need(pos[3], 'the amount in BTC'), values['fee-rate']) }
          return (await load.wallet()).walletSend(ctx, need(arg, 'the ADDRESS'), need(pos[3], 'the amount in BTC'), values['fee-rate'], values['max-fee'])
        default: throw USAGE(`unknown command \`wallet ${sub ?? ''}\`: use wallet mnemonic, restore, address, balance, send or limits`)
      }
    case 'analyze': {
      tooMany(2)
      return (await load.files()).analyzeCommand(ctx, need(sub, 'the model file PATH'), { preview: values.preview === true, width: Math.max(20, ctx.columns - 1), color: ctx.color })
    }
    case 'sync': tooMany(1); return (await load.market()).syncCommand(ctx)
    case 'seed': {
      tooMany(1)
      return (await load.seed()).seedCommand(ctx, seedFlags(values))
    }
    case 'blind-peer': {
      tooMany(1)
      const quotaMb = values.quota === undefined ? 10_240 : Number(values.quota)
      if (!Number.isFinite(quotaMb) || quotaMb <= 0) throw BAD_ARGUMENT('--quota must be a number of megabytes')
      return (await load.blind()).blindPeerCommand(ctx, quotaMb)
    }
    case 'regtest': {
      tooMany(1)
      const port = values.port === undefined ? 48332 : Number(values.port)
      const faucetPort = values['faucet-port'] === undefined ? 48339 : Number(values['faucet-port'])
      for (const p of [port, faucetPort]) if (!Number.isInteger(p) || p < 0 || p > 65535) throw BAD_ARGUMENT('--port and --faucet-port must be port numbers')
      return (await load.regtest()).regtestCommand(ctx, { port, faucetPort, apiKey: values['api-key'] })
    }
    case 'testnet': {
      tooMany(1)
      const port = values.port === undefined ? 49737 : Number(values.port)
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw BAD_ARGUMENT('--port must be a port number')
      return (await load.testnet()).testnetCommand(ctx, port)
    }
    case 'jobs':
      tooMany(1)
      return (await load.jobs()).jobsCommand(ctx, { status: values.status, material: values.material, country: values.country, minBounty: values['min-bounty'], mine: values.mine, limit: values.limit })
    case 'job': {
      if (sub === 'create') { tooMany(2); return (await load.jobs()).jobCreate(ctx, jobFlags) }
      const id = (): string => { tooMany(3); return need(arg, 'the job ID') }
      switch (sub) {
        case 'show': return (await load.jobs()).jobShow(ctx, id())
        case 'update': return (await load.jobs()).jobUpdate(ctx, id(), jobFlags)
        case 'cancel': return (await load.jobs()).jobCancel(ctx, id())
        case 'accept': return (await load.jobs()).jobAccept(ctx, id())
        case 'withdraw': return (await load.jobs()).jobWithdraw(ctx, id())
        case 'ship': return (await load.jobs()).jobShip(ctx, id(), values.note ?? '', values.photo?.map(f => path.resolve(ctx.cwd, f)))
        case 'complete': return (await load.jobs()).jobComplete(ctx, id())
        case 'release': return (await load.jobs()).jobRelease(ctx, id())
        case 'dispute': return (await load.jobs()).jobDispute(ctx, id(), values.reason)
        case 'download': return (await load.files()).jobDownload(ctx, id(), path.resolve(ctx.cwd, values.out ?? '.'))
        case 'preview': return (await load.files()).jobPreview(ctx, id(), { width: Math.max(20, ctx.columns - 1), color: ctx.color })
        case 'review': return (await load.reputation()).jobReview(ctx, id(), values.rating, values.note ?? '')
        case 'quote': return (await load.quotes()).jobQuote(ctx, id(), quoteFlags)
        case 'withdraw-quote': return (await load.quotes()).jobWithdrawQuote(ctx, id())
        case 'quotes': return (await load.quotes()).jobQuotes(ctx, id())
        case 'take-quote': { tooMany(4); return (await load.quotes()).jobTakeQuote(ctx, need(arg, 'the job ID'), need(rest[0], 'the quote (its number in `job quotes ID`)')) }
        case 'offer': { tooMany(4); return (await load.quotes()).jobOffer(ctx, need(arg, 'the job ID'), need(rest[0], 'the quote (its number in `job quotes ID`)'), quoteFlags) }
        case 'withdraw-offer': return (await load.quotes()).jobWithdrawOffer(ctx, id())
        case 'address': return (await load.quotes()).jobAddress(ctx, id(), { name: values.name, street: values.street, city: values.city, postcode: values.postcode, country: values.country, phone: values.phone })
        default: throw USAGE(`unknown command \`job ${sub ?? ''}\`: use job create, show, update, cancel, accept, withdraw, ship, complete, release, dispute, download, preview, review, quote, withdraw-quote, quotes, take-quote, offer, withdraw-offer or address`)
      }
    }
    default: throw USAGE(`unknown command ${JSON.stringify(cmd)}. Run \`p2print --help\` for usage.`)
  }
}

// The terminal UI, loaded only when used (the commands do not pay for React and Ink).
async function uiCommand (ctx: Ctx, values: Values): Promise<Result> {
  const { runUi } = await import('./ui/run.js')
  const status = values.status
  if (status !== undefined && status !== 'all' && !(STATUSES as readonly string[]).includes(status)) throw BAD_ARGUMENT(`--status must be all or one of ${STATUSES.join(', ')}`)
  await runUi({
    storage: ctx.storage,
    bootstrap: ctx.bootstrap,
    marketKey: ctx.marketKey,
    chain: ctx.chain,
    bitcoinRpc: ctx.bitcoinRpc,
    esplora: ctx.esplora,
    blindPeers: ctx.blindPeers,
    host: ctx.host,
    filters: { status: status as Status | 'all' | undefined, material: values.material, country: values.country, minBounty: values['min-bounty'] }
  })
  return { kind: 'none', data: {} }
}

// Commands that run in this process even when p2print runs on their storage: those without a storage, and the
// long-running ones (which need the storage to themselves and say so if it is taken).
const OWN_PROCESS = new Set(['analyze', 'testnet', 'regtest', 'seed', 'ui', 'blind-peer'])

// For seed and the app: while they run, the commands run on their storage come here and run with their service.
async function hostCommands (p: P2Print): Promise<{ close: () => Promise<void> }> {
  const { CommandHost } = await import('./lib/sidecar/server.js')
  return await CommandHost.listen(p.opts.storage, async (req, emit, stopped) => {
    const { values, positionals } = parse(req.argv)
    if (positionals[0] !== undefined && OWN_PROCESS.has(positionals[0])) throw USAGE(`\`${positionals[0]}\` runs in its own process, not through the one running on this storage`)
    const ctx = { ...makeCtx(values, { emit, stopped, cwd: req.cwd, columns: req.columns, color: req.color, session: p, json: values.json === true }, req.env), storage: p.opts.storage }
    return await dispatch(ctx, values, positionals)
  })
}

async function main (argv: string[]): Promise<number> {
  let json = argv.includes('--json')
  let stop: () => void = () => {}
  const stopped = new Promise<void>(resolve => { stop = resolve })
  let signalled = false
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalled) process.exit(130) // a second Ctrl-C: leave now
    signalled = true
    stop()
    if (!longRunning) {
      process.stderr.write(`\n${sig}: closing…\n`)
      import('./lib/commands/context.js').then(async m => await m.closeAllPeers()).finally(() => process.exit(130))
    }
  }
  let longRunning = false
  let progressDone = false
  // a progress bar drawn without its newline (a transfer under way): the next line on stderr ends it first
  let barOpen = false
  const endBar = (): void => { if (barOpen) { process.stderr.write('\n'); barOpen = false } }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.on('SIGHUP', onSignal) // the terminal went away (the UI, a closed tmux pane)

  const emit = (tag: string, data: Record<string, unknown> = {}): void => {
    if (longRunning && json) {
      process.stdout.write(JSON.stringify({ tag, time: new Date().toISOString(), data }) + '\n')
      return
    }
    // with --json, stdout carries only the result; warnings a person must see still go to stderr
    // an escrow step this peer's engine refused is a warning too: the user must know why its money did not move
    if (json && !WARNINGS.has(tag) && !(tag === 'escrow-step' && data.action === 'refuse')) return
    if (tag === 'download-progress' || tag === 'upload-progress') {
      const d = data as { bytes: number, total: number, rate: number, etaSecs: number | null }
      if (process.stderr.isTTY !== true || progressDone) return
      progressDone = d.bytes >= d.total
      barOpen = !progressDone
      process.stderr.write('\r' + renderProgress(d, process.stderr.columns ?? 80) + (d.bytes >= d.total ? '\n' : ''))
      return
    }
    const line = renderEvent(tag, data)
    if (line !== null && !longRunning) endBar()
    if (line !== null) (longRunning ? process.stdout : process.stderr).write(line + '\n')
  }
  const print = (result: Result): void => {
    if (result.kind !== 'none' || Object.keys(result.data).length > 0) {
      process.stdout.write(json ? JSON.stringify(result.data, null, 2) + '\n' : renderResult(result) + '\n')
    }
  }

  try {
    const { values, positionals } = parse(argv)
    json = values.json === true
    if (values.help === true) {
      process.stdout.write(HELP)
      return 0
    }
    const cmd = positionals[0]
    longRunning = cmd === 'seed' || cmd === 'testnet' || cmd === 'regtest' || cmd === 'blind-peer'
    const io = { cwd: process.cwd(), columns: process.stdout.columns ?? 80, color: process.stdout.isTTY === true }
    const env = { P2PRINT_CHAIN: process.env.P2PRINT_CHAIN, P2PRINT_BITCOIN_RPC: process.env.P2PRINT_BITCOIN_RPC, P2PRINT_ESPLORA: process.env.P2PRINT_ESPLORA, P2PRINT_BLIND_PEERS: process.env.P2PRINT_BLIND_PEERS }
    const app = cmd === undefined && process.stdout.isTTY === true && process.stdin.isTTY === true && !json
    if (!app && (cmd === undefined || !OWN_PROCESS.has(cmd))) {
      const { runHosted } = await import('./lib/sidecar/client.js')
      const answer = await runHosted(storageOf(values), { argv, ...io, env }, emit)
      if (answer !== null) {
        if ('error' in answer) throw new P2PrintError(answer.error.code as ErrorCode, answer.error.message, { usage: answer.error.usage })
        print(answer.result as Result)
        return 0
      }
    }
    const ctx = { ...makeCtx(values, { emit, stopped, json, ...io, host: hostCommands }), readOnly: isRead(positionals) }
    print(await dispatch(ctx, values, positionals))
    return 0
  } catch (err) {
    const known = err instanceof P2PrintError
    const code = known ? err.code : 'INTERNAL'
    const message = known ? err.message : `unexpected error: ${(err as Error)?.stack ?? String(err)}`
    endBar()
    process.stderr.write(`p2print: ${message}\n`)
    if (json) process.stdout.write(JSON.stringify({ error: { code, message } }, null, 2) + '\n')
    return known && err.usage ? 2 : 1
  }
}

main(process.argv.slice(2)).then((code) => {
  // Hyperswarm and the DHT can keep handles open briefly after close; everything is closed, so leave now.
  process.exit(code)
}, (err) => {
  process.stderr.write(`p2print: ${String(err)}\n`)
  process.exit(1)
})
