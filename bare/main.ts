// The Bare entry of `p2print seed`: the same seed command as the Node CLI (lib/commands/seed.ts) with the same options
// (lib/commands/options.ts), run by Bare instead of Node. Started by bare/p2print-seed.mjs, which loads this module
// with the imports map (bare/bare-imports.json) that gives the dependencies' Node built-ins their bare-* modules.
import './globals.js'
import process from 'bare-process'
import { parseArgv } from './args.js'
import { makeCtx, seedFlags } from '../lib/commands/options.js'
import { P2PrintError, USAGE } from '../lib/errors.js'
import { renderEvent } from '../ui/text.js'

const HELP = `p2print-seed — the p2print seeder under Bare

Usage: p2print-seed [--storage DIR] [--bootstrap HOST:PORT[,…]] [--market KEY] [--json] [--sync-timeout SECS]
                    [--chain regtest|testnet|mainnet] [--bitcoin-rpc URL | --esplora URL] [--blind-peer KEY]…
                    [--quota MB] [--keep-closed DAYS]

Keeps the market replicated, seeds its models and photos, and runs the escrow watcher when a Bitcoin backend is
given, like \`p2print seed\`; stops on SIGINT or SIGTERM. One line per event on stdout (JSON lines with --json).
Not under Bare: --notify and --blind (use \`p2print seed\` on Node), and the commands run beside a running seeder.
`

async function main (argv: string[]): Promise<number> {
  let json = argv.includes('--json')
  let stop: () => void = () => {}
  const stopped = new Promise<void>(resolve => { stop = resolve })
  let signalled = false
  const onSignal = (): void => {
    if (signalled) process.exit(130) // a second Ctrl-C: leave now
    signalled = true
    stop()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const emit = (tag: string, data: Record<string, unknown> = {}): void => {
    if (json) {
      process.stdout.write(JSON.stringify({ tag, time: new Date().toISOString(), data }) + '\n')
      return
    }
    const line = renderEvent(tag, data)
    if (line !== null) process.stdout.write(line + '\n')
  }
  try {
    const { values, positionals } = parseArgv(argv)
    json = values.json === true
    if (values.help === true) {
      process.stdout.write(HELP)
      return 0
    }
    if (positionals.length > 0 && !(positionals.length === 1 && positionals[0] === 'seed')) throw USAGE(`unexpected argument ${JSON.stringify(positionals[0])}: p2print-seed only seeds`)
    const flags = seedFlags(values)
    if (flags.notify !== undefined || flags.blind) throw USAGE('--notify and --blind are not available under Bare: run `p2print seed` on Node for them')
    const ctx = makeCtx(values, { emit, stopped, json, cwd: process.cwd(), columns: 80, color: false }, process.env)
    const { seedCommand } = await import('../lib/commands/seed.js')
    await seedCommand(ctx, flags)
    return 0
  } catch (err) {
    const known = err instanceof P2PrintError
    const code = known ? err.code : 'INTERNAL'
    const message = known ? err.message : String((err as Error).stack ?? err)
    process.stderr.write(`p2print-seed: ${message}\n`)
    if (json) process.stdout.write(JSON.stringify({ error: { code, message } }) + '\n')
    return known && err.usage === true ? 2 : 1
  }
}

main(process.argv.slice(2)).then(code => process.exit(code), err => {
  process.stderr.write(`p2print-seed: ${String(err)}\n`)
  process.exit(1)
})
