// argv → Values for the Bare entry, with the same option table as the Node CLI (lib/commands/options.ts). Node's
// util.parseArgs is not in Bare; this reads the same forms: --name VALUE, --name=VALUE, -h, booleans, repeatable
// options, positionals (and everything after `--`).
import { OPTIONS, type Values } from '../lib/commands/options.js'
import { USAGE } from '../lib/errors.js'

type Spec = { type: 'string' | 'boolean', short?: string, multiple?: boolean }

export function parseArgv (argv: string[]): { values: Values, positionals: string[] } {
  const specs = OPTIONS as Record<string, Spec>
  const values: Record<string, string | boolean | string[]> = {}
  const positionals: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--') { positionals.push(...argv.slice(i + 1)); break }
    if (!a.startsWith('-') || a === '-') { positionals.push(a); continue }
    const eq = a.indexOf('=')
    let name = a.startsWith('--') ? a.slice(2, eq === -1 ? undefined : eq) : a.slice(1)
    if (!a.startsWith('--')) name = Object.keys(specs).find(k => specs[k].short === name) ?? name
    const spec = specs[name]
    if (spec === undefined) throw USAGE(`unknown option ${a.split('=')[0]}. Run \`p2print-seed --help\` for usage.`)
    if (spec.type === 'boolean') {
      if (eq !== -1) throw USAGE(`--${name} takes no value`)
      values[name] = true
      continue
    }
    const v = eq !== -1 ? a.slice(eq + 1) : argv[++i]
    if (v === undefined) throw USAGE(`--${name} needs a value`)
    if (spec.multiple === true) values[name] = [...((values[name] as string[] | undefined) ?? []), v]
    else values[name] = v
  }
  return { values: values as Values, positionals }
}
