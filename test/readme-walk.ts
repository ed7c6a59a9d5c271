// Test helper (not a test file): runs the README's walk-throughs as a user would, from README.md's own ```sh blocks.
// readmeSection(heading) reads the command lines of a section (continuations joined, `;` split, trailing comments
// and the `#   …` output lines below a command kept); a Walk runs them: the alias (`p2`) becomes the command line
// from source against the walk's own local DHT, /tmp/NAME and ~ become folders of the walk, placeholders (<KEY>,
// <JOB>, ID:PUBKEY, DAVE_ID, rb1q…, an example id's prefix) are filled from what earlier commands printed, the
// long-running commands (testnet, regtest, seed) run in the background, and each command must exit as expected
// and print what its `#   …` lines show. A failure names the README line.
import fs from 'fs'
import dgram from 'dgram'
import os from 'os'
import path from 'path'
import { spawn, type ChildProcess } from 'child_process'
import { pathToFileURL } from 'url'
import { sleep, type Test } from './helpers.js'

const ROOT = path.join(path.dirname(new URL(import.meta.url).pathname), '..')
const README = path.join(ROOT, 'README.md')
const TSX = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href
const CLI = [process.execPath, '--import', TSX, path.join(ROOT, 'index.ts')]
// The product's defaults as the README shows them; replaced by the walk's own (free) ports.
const DEFAULT_DHT = '127.0.0.1:49737'
const DEFAULT_RPC = 'http://x:KEY@127.0.0.1:48332/'
const DEFAULT_FAUCET = '127.0.0.1:48339'
const READS = /^(jobs|job show \S+|market info|market indexers|mediator list|dispute list|escrow \S+|peer|printers|wallet balance|chat \S+)$/
const LONG_RUNNING = new Set(['testnet', 'regtest', 'seed'])

export interface ReadmeLine {
  lineNo: number // where it starts in README.md (1-based)
  text: string // as written, continuation lines joined
  commands: string[][] // its commands (split at `;`), as a shell splits words
  comment: string // the trailing `# …`, '' if none
  expect: string[] // the `#   …` lines below it: what it prints
  note: boolean // a comment line of its own (`# terminal 2: …`): commands is empty
}

// Splits a shell line into words ('…', "…", \x), commands (at `;`) and its trailing comment.
export function shellWords (s: string): { commands: string[][], comment: string } {
  const commands: string[][] = [[]]
  let word: string | null = null
  let comment = ''
  const end = (): void => { if (word !== null) commands[commands.length - 1].push(word); word = null }
  for (let i = 0; i < s.length;) {
    const c = s[i]
    if (c === "'") {
      const j = s.indexOf("'", i + 1)
      if (j < 0) throw new Error(`unclosed ' in: ${s}`)
      word = (word ?? '') + s.slice(i + 1, j)
      i = j + 1
    } else if (c === '"') {
      let j = i + 1
      let v = ''
      while (j < s.length && s[j] !== '"') {
        if (s[j] === '\\' && '"\\$`'.includes(s[j + 1])) { v += s[j + 1]; j += 2 } else v += s[j++]
      }
      if (j >= s.length) throw new Error(`unclosed " in: ${s}`)
      word = (word ?? '') + v
      i = j + 1
    } else if (c === '\\') {
      word = (word ?? '') + (s[i + 1] ?? '')
      i += 2
    } else if (/\s/.test(c)) {
      end()
      i++
    } else if (c === '#' && word === null) {
      comment = s.slice(i + 1).trim()
      break
    } else if (c === ';') {
      end()
      commands.push([])
      i++
    } else {
      word = (word ?? '') + c
      i++
    }
  }
  end()
  return { commands: commands.filter(c => c.length > 0), comment }
}

// The lines of the ```sh blocks under the heading `heading` (any level), in order.
export function readmeSection (heading: string): ReadmeLine[] {
  const lines = fs.readFileSync(README, 'utf8').split('\n')
  const out: ReadmeLine[] = []
  let current = ''
  let fence: string | null = null
  let seen = false
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]
    if (fence === null && /^#{1,6} /.test(l)) { current = l.replace(/^#+\s*/, '').trim(); if (current === heading) seen = true; continue }
    if (l.startsWith('```')) { fence = fence === null ? l.slice(3).trim() : null; continue }
    if (fence !== 'sh' || current !== heading || l.trim() === '') continue
    if (/^#\s{3}/.test(l)) {
      const last = out.at(-1)
      if (last === undefined || last.note) throw new Error(`README.md:${i + 1}: an output line with no command above it`)
      last.expect.push(l.replace(/^#\s+/, ''))
      continue
    }
    if (l.startsWith('#')) {
      out.push({ lineNo: i + 1, text: l, commands: [], comment: l.replace(/^#\s*/, ''), expect: [], note: true })
      continue
    }
    const start = i
    let text = l
    while (/\\\s*$/.test(text) && i + 1 < lines.length) text = text.replace(/\\\s*$/, ' ') + lines[++i].trim()
    const { commands, comment } = shellWords(text)
    out.push({ lineNo: start + 1, text: lines.slice(start, i + 1).join(' ').replace(/\s+\\\s+/g, ' '), commands, comment, expect: [], note: false })
  }
  if (!seen) throw new Error(`README.md has no section "${heading}"`)
  if (out.length === 0) throw new Error(`README.md's section "${heading}" has no \`\`\`sh block`)
  return out
}

// `# fund Bob's and Carol's wallets (wallet address + the faucet), then:` (Escrow): the Wallet block's address and
// faucet lines, once for each peer the note names.
export const fundHook: Hook = {
  note: /^fund (\w+)'s and (\w+)'s wallets \(wallet address \+ the faucet\), then:$/,
  run: async (walk, line, m) => {
    const wallet = readmeSection('Wallet')
    const address = wallet.find(l => /wallet address$/.test(l.commands[0]?.join(' ') ?? ''))
    const faucet = wallet.find(l => l.commands[0]?.[0] === 'curl')
    if (address === undefined || faucet === undefined) throw new Error(`README.md:${line.lineNo}: the Wallet block has no \`wallet address\` or faucet line`)
    for (const name of [m[1], m[2]]) {
      await walk.line({ ...address, commands: address.commands.map(c => c.map(w => w.replace(/^\/tmp\/\w+$/, `/tmp/${name.toLowerCase()}`))) })
      await walk.line(faucet)
    }
  }
}

// The Escrow block's lines from `job create` to funded: a new funded <JOB>.
export function escrowFunding (): ReadmeLine[] {
  const escrow = readmeSection('Escrow')
  const from = escrow.findIndex(l => l.text.includes('job create'))
  const to = escrow.findIndex(l => l.comment.startsWith('repeat'))
  if (from < 0 || to < from) throw new Error('README.md\'s Escrow block no longer posts a job and repeats `sync` until it is funded')
  return escrow.slice(from, to + 1)
}

export interface Run { code: number | null, stdout: string, stderr: string, out: string }

interface Background { child: ChildProcess, key: string, where: string, out: () => string, exited: Promise<number | null> }

export interface Hook {
  note?: RegExp // runs instead of nothing for a `# …` line of its own that matches
  comment?: RegExp // runs instead of the line when its trailing comment matches
  run: (walk: Walk, line: ReadmeLine, m: RegExpMatchArray) => Promise<void>
}

export interface WalkTest extends Test {
  teardown (fn: () => unknown, options?: { order?: number, force?: boolean }): void
  pass: (m?: string) => void
  fail: (m?: string) => void
  comment: (m: string) => void
}

export interface WalkOptions {
  syncTimeout?: number // appended to the alias as --sync-timeout
  hooks?: Hook[]
  fails?: Array<{ match: RegExp, code: number, says: RegExp }> // lines expected to fail in this walk, and how
}

function stripAnsi (s: string): string { return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '') }

// The command's words without its options: `market create`, `id`, `seed`.
const SWITCHES = new Set(['--json', '--dry-run', '--preview', '--mine'])
function commandWords (argv: string[]): string {
  const words = argv.slice(CLI.length)
  return words.filter((a, i) => !a.startsWith('-') && !(words[i - 1]?.startsWith('--') && !SWITCHES.has(words[i - 1]))).join(' ')
}

async function freeUdpPort (): Promise<number> {
  for (;;) {
    const sock = dgram.createSocket('udp4')
    const port = await new Promise<number>((resolve, reject) => {
      sock.once('error', reject)
      sock.bind(0, '127.0.0.1', () => resolve(sock.address().port))
    })
    await new Promise<void>(resolve => sock.close(() => resolve()))
    if (`127.0.0.1:${port}` !== DEFAULT_DHT) return port
  }
}

function escapeRe (s: string): string { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') }

export class Walk {
  readonly vars = new Map<string, string>() // placeholder as written → its value
  readonly examples = new Map<string, string>() // an example id in the README's output lines → the real one
  readonly env: Record<string, string> = {}
  alias = new Map<string, string[]>()
  readonly background: Background[] = []
  faucet: string | null = null // http://127.0.0.1:PORT/
  mnemonic: string | null = null
  private readonly t: WalkTest
  private readonly opts: WalkOptions

  private constructor (t: WalkTest, readonly root: string, readonly cwd: string, readonly home: string, opts: WalkOptions) {
    this.t = t
    this.opts = opts
  }

  static async create (t: WalkTest, opts: WalkOptions = {}): Promise<Walk> {
    const root = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'p2print-readme-'))
    const w = new Walk(t, root, path.join(root, 'work'), path.join(root, 'home'), opts)
    fs.mkdirSync(w.cwd)
    fs.mkdirSync(w.home)
    // forced: also when the test throws. The background processes stop before the folders go.
    t.teardown(async () => {
      for (const b of [...w.background].reverse()) {
        if (b.child.exitCode === null && b.child.signalCode === null) b.child.kill('SIGKILL')
        await b.exited
      }
    }, { order: 1, force: true })
    t.teardown(() => fs.promises.rm(root, { recursive: true, force: true }), { order: 100, force: true })
    return w
  }

  // Runs a walk-through; a line that no longer runs fails the test with its message (naming the README line) and
  // ends the walk, and the processes and folders are cleaned up as after a pass.
  async guard (body: () => Promise<void>): Promise<void> {
    try {
      await body()
    } catch (err) {
      // what each background process (testnet, regtest, seed) last printed, and whether it still runs
      const state = this.background.map(b => `--- ${b.where}: ${b.child.exitCode === null && b.child.signalCode === null ? 'running' : `exited ${b.child.exitCode ?? b.child.signalCode}`}; its last lines:\n${b.out().trim().split('\n').slice(-15).join('\n')}`)
      this.t.fail([(err as Error).message, ...state].join('\n'))
    }
  }

  // /tmp/NAME… → the walk's NAME…; ~/… → its home; placeholders → what earlier commands printed
  private fill (word: string, where: string): string {
    let w = word
    if (w.startsWith('/tmp/')) w = path.join(this.root, w.slice(5))
    else if (w === '~' || w.startsWith('~/')) w = this.home + w.slice(1)
    for (const k of [...this.vars.keys()].sort((a, b) => b.length - a.length)) w = w.split(k).join(this.vars.get(k)!)
    if (/^[a-z0-9]{4,}$/.test(w)) {
      for (const [example, real] of this.examples) if (example.startsWith(w)) w = real.slice(0, w.length)
    }
    const left = /<[A-Z_]+>|\b[A-Z]+_ID\b|\bID:PUBKEY\b|rb1q…/.exec(w)
    if (left !== null) throw new Error(`${where}: nothing printed so far fills ${left[0]}`)
    // never the product's default ports: the walk's own DHT and regtest node must be running by now
    const port = [DEFAULT_DHT, DEFAULT_FAUCET, '127.0.0.1:48332'].find(d => w.includes(d))
    if (port !== undefined) throw new Error(`${where}: ${port} is not replaced: the walk has not started its own testnet/regtest yet`)
    return w
  }

  // The argv of one of the README's commands, as the walk runs it.
  argv (words: string[], where: string): string[] {
    let ws = words.map(w => this.fill(w, where))
    // optional parts ([--fee-rate 2]) are taken
    ws = ws.map(w => w.replace(/^\[(?=-)/, '').replace(/(?<=\S)\]$/, ''))
    const alias = this.alias.get(ws[0])
    if (alias !== undefined) ws = [...alias, ...ws.slice(1)]
    if (ws[0] === 'npm' && ws[1] === 'run') {
      const script = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts ?? {})[ws[2]] as string | undefined
      if (script === undefined) throw new Error(`${where}: package.json has no script ${ws[2]}`)
      ws = [...shellWords(script).commands[0], ...ws.slice(3)]
      if (ws[0] === 'node' && ws[1] === 'dist/index.js') ws = ['npx', '.', ...ws.slice(2)]
    }
    if (ws[0] === 'npx' && ws[1] === '.') ws = [...CLI, ...ws.slice(2)]
    return ws
  }

  private where (line: ReadmeLine): string { return `README.md:${line.lineNo} \`${line.text.trim()}\`` }

  // Runs one line of the README (every command on it), checking exit codes and its `#   …` output lines.
  async line (line: ReadmeLine): Promise<void> {
    const where = this.where(line)
    for (const h of this.opts.hooks ?? []) {
      const m = line.note ? (h.note !== undefined ? line.comment.match(h.note) : null) : (h.comment !== undefined ? line.comment.match(h.comment) : null)
      if (m !== null) { await h.run(this, line, m); return }
    }
    if (line.note) return
    const repeat = /^repeat \(and mine\) until `([^`]+)` says (\S+)/.exec(line.comment)
    if (repeat !== null) { await this.repeatUntil(line, repeat[1], repeat[2]); return }
    const fail = this.opts.fails?.find(f => f.match.test(line.text))
    for (let i = 0; i < line.commands.length; i++) {
      const last = i === line.commands.length - 1
      const r = await this.command(line.commands[i], where, { expect: last ? line.expect : [], code: fail?.code ?? 0 })
      if (fail !== undefined && !fail.says.test(r.out)) throw new Error(`${where}: expected to fail saying ${String(fail.says)}, said:\n${r.out}`)
    }
    this.t.pass(`${where}${fail !== undefined ? ` fails as expected (exit ${fail.code})` : ''}`)
  }

  async lines (lines: ReadmeLine[]): Promise<void> {
    for (const l of lines) await this.line(l)
  }

  // One command: the shell builtins the README uses (alias, export), background commands, or a process.
  async command (words: string[], where: string, opts: { expect?: string[], code?: number, retryMs?: number } = {}): Promise<Run> {
    if (words[0] === 'alias') {
      const [name, value] = words[1].split(/=(.*)/s)
      let ws = shellWords(value).commands[0].map(w => this.fill(w, where))
      if (this.opts.syncTimeout !== undefined) ws = [...ws, '--sync-timeout', String(this.opts.syncTimeout)]
      this.alias.set(name, ws)
      return { code: 0, stdout: '', stderr: '', out: '' }
    }
    if (words[0] === 'export') {
      const [name, value] = words[1].split(/=(.*)/s)
      this.env[name] = this.fill(value, where)
      return { code: 0, stdout: '', stderr: '', out: '' }
    }
    const argv = this.argv(words, where)
    const sub = argv[0] === process.execPath ? commandWords(argv) : ''
    if (LONG_RUNNING.has(sub)) return await this.startBackground(argv, sub, where, opts.expect ?? [])
    const stdin = sub === 'wallet restore' && !argv.includes('--mnemonic') && this.mnemonic !== null ? this.mnemonic + '\n' : undefined
    // a command that only reads is run again until it shows what the README says (a user waits and looks again)
    const deadline = Date.now() + (opts.retryMs ?? (READS.test(sub) ? 60_000 : 0))
    for (;;) {
      const r = await this.exec(argv, stdin)
      let problem = r.code !== (opts.code ?? 0) ? `exited ${String(r.code)}, expected ${opts.code ?? 0}` : null
      if (problem === null) problem = this.match(r, opts.expect ?? [])
      if (problem === null) { this.learn(argv, r, where); return r }
      if (Date.now() > deadline) throw new Error(`${where}: ${problem}\n  ran: ${argv.slice(CLI.length).join(' ')}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`)
      await sleep(1000)
    }
  }

  private childEnv (): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: this.home }
    for (const k of Object.keys(env)) if (k.startsWith('P2PRINT_')) delete env[k]
    return { ...env, ...this.env }
  }

  exec (argv: string[], stdin?: string, timeoutMs = 120_000): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0], argv.slice(1), { cwd: this.cwd, env: this.childEnv(), stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
      if (stdin !== undefined) child.stdin!.end(stdin)
      let stdout = ''
      let stderr = ''
      child.stdout!.on('data', (d) => { stdout += d })
      child.stderr!.on('data', (d) => { stderr += d })
      const timer = setTimeout(() => { stderr += `\n(killed after ${timeoutMs} ms)`; child.kill('SIGKILL') }, timeoutMs)
      child.on('error', reject)
      child.on('close', (code) => {
        clearTimeout(timer)
        if (process.env.P2PRINT_README_VERBOSE === '1') process.stderr.write(`$ ${argv.slice(argv[0] === process.execPath ? CLI.length : 0).join(' ')}\n${stdout}${stderr}(exit ${String(code)})\n`)
        resolve({ code, stdout: stripAnsi(stdout), stderr: stripAnsi(stderr), out: stripAnsi(stdout + '\n' + stderr) })
      })
    })
  }

  // Whether the output shows each `#   …` line: its words in order, where `…`, <lowercase> and `;`/`.` gaps stand
  // for anything; <UPPER> and example ids are captured (and fill later commands). null when it does.
  private match (r: Run, expect: string[]): string | null {
    for (const e of expect) {
      const text = e.replace(/\s*←.*$/, '').trim()
      const parts: Array<{ re: string, bind?: string, example?: string }> = []
      const token = /<([^>]+)>|…|\b(?=[a-z0-9]*[0-9])(?=[a-z0-9]*[a-z])[a-z0-9]{20,}\b/g
      let at = 0
      const literal = (s: string): void => {
        for (const k of [DEFAULT_DHT, DEFAULT_RPC, DEFAULT_FAUCET]) if (this.vars.has(k)) s = s.split(k).join(this.vars.get(k)!)
        parts.push({ re: escapeRe(s).replace(/([.;])\s+/g, '$1[\\s\\S]*?').replace(/\s+/g, '\\s+') })
      }
      for (const m of text.matchAll(token)) {
        literal(text.slice(at, m.index))
        if (m[0] === '…') parts.push({ re: '[\\s\\S]*?' })
        else if (m[1] !== undefined && /^[A-Z_]+$/.test(m[1])) parts.push({ re: '(\\S+)', bind: m[0] })
        else if (m[1] !== undefined) parts.push({ re: '[^\\n]+?' })
        else parts.push({ re: '([a-z0-9]+)', example: m[0] })
        at = m.index + m[0].length
      }
      literal(text.slice(at))
      const re = new RegExp(parts.map(p => p.re).join(''))
      const m = re.exec(r.stdout + '\n' + r.stderr) ?? re.exec(r.stderr + '\n' + r.stdout)
      if (m === null) return `its output does not show "${e}"`
      let g = 1
      for (const p of parts) {
        if (p.bind !== undefined) this.vars.set(p.bind, m[g++])
        else if (p.example !== undefined) this.examples.set(p.example, m[g++])
      }
    }
    return null
  }

  // What a user reads off a command's output to type into later ones.
  private learn (argv: string[], r: Run, where: string): void {
    const cmd = commandWords(argv)
    const storageAt = argv.indexOf('--storage')
    const name = storageAt < 0 ? '' : path.basename(argv[storageAt + 1])
    const need = (re: RegExp, what: string): string => {
      const m = re.exec(r.out)
      if (m === null) throw new Error(`${where}: its output shows no ${what}:\n${r.out}`)
      return m[1]
    }
    if (cmd.startsWith('market create')) this.vars.set('<KEY>', need(/Market\s+([a-z0-9]{52})/, 'market key'))
    if (cmd.startsWith('job create')) this.vars.set('<JOB>', need(/Posted job ([a-z0-9]+)/, 'job id'))
    if (cmd === 'id') {
      const id = need(/^([a-z0-9]{52})$/m, 'id')
      this.vars.set('ID:PUBKEY', need(/--arbitrator ([a-z0-9]{52}:[0-9a-f]{66})/, 'ID:PUBKEY'))
      this.vars.set(`${name.toUpperCase()}_ID`, id)
      this.vars.set(`<${name.toUpperCase()}_ID>`, id)
    }
    if (cmd === 'wallet address') this.vars.set('rb1q…', need(/^(rb1q[a-z0-9]+)$/m, 'address'))
    if (cmd === 'wallet mnemonic') this.mnemonic = need(/^\s+((?:[a-z]+ ){11,23}[a-z]+)\s*$/m, 'recovery phrase')
  }

  private async startBackground (argv: string[], kind: string, where: string, expect: string[]): Promise<Run> {
    // free ports of the walk's own, never the README's defaults (hyperdht takes 49737 for a testnet's port 0)
    const extra = kind === 'testnet' ? ['--port', String(await freeUdpPort())] : kind === 'regtest' ? ['--port', '0', '--faucet-port', '0'] : []
    const key = [...argv, ...extra].join(' ')
    if (this.background.some(b => b.key === key && b.child.exitCode === null)) {
      this.t.comment(`${where}: already running (started by an earlier walk-through)`)
      return { code: 0, stdout: '', stderr: '', out: '' }
    }
    const child = spawn(argv[0], [...argv.slice(1), ...extra], { cwd: this.cwd, env: this.childEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d) => { stdout += d; if (process.env.P2PRINT_README_VERBOSE === '1') process.stderr.write(`[${kind}] ${String(d)}`) })
    child.stderr!.on('data', (d) => { stderr += d })
    const exited = new Promise<number | null>(resolve => child.on('close', resolve))
    const b: Background = { child, key, where, out: () => stripAnsi(stdout + '\n' + stderr), exited }
    this.background.push(b)
    const ready = kind === 'testnet' ? /pass --bootstrap (\S+) to every peer/ : kind === 'regtest' ? /RPC (http:\/\/\S+\/); faucet: curl -s -X POST (http:\/\/[^/\s]+\/)/ : /seeding market/
    const deadline = Date.now() + 60_000
    let m: RegExpExecArray | null = null
    while ((m = ready.exec(stripAnsi(stdout))) === null) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${where}: did not start (${child.exitCode !== null ? `exited ${child.exitCode}` : 'no ready line in 60 s'}):\n${b.out()}`)
      await sleep(100)
    }
    if (kind === 'testnet') this.vars.set(DEFAULT_DHT, m[1])
    if (kind === 'regtest') {
      this.vars.set(DEFAULT_RPC, m[1])
      this.faucet = m[2]
      this.vars.set(DEFAULT_FAUCET, new URL(m[2]).host)
    }
    const r = { code: 0, stdout: stripAnsi(stdout), stderr: stripAnsi(stderr), out: b.out() }
    const problem = this.match(r, expect)
    if (problem !== null) throw new Error(`${where}: ${problem}\n${r.out}`)
    return r
  }

  // Mines blocks on the walk's regtest node (its faucet's POST /mine, as its start line shows).
  async mine (blocks = 1): Promise<void> {
    if (this.faucet === null) throw new Error('no regtest node is running')
    const res = await fetch(new URL('mine', this.faucet), { method: 'POST', body: JSON.stringify({ blocks }) })
    if (!res.ok) throw new Error(`mine: ${res.status} ${await res.text()}`)
  }

  // `a; b   # repeat (and mine) until `escrow <JOB>` says funded`: the line's commands, a block, and the check.
  private async repeatUntil (line: ReadmeLine, check: string, word: string, timeoutMs = 300_000): Promise<void> {
    const where = this.where(line)
    const first = line.commands[0]
    const at = first.indexOf('--storage')
    const checkWords = [first[0], ...(at < 0 ? [] : first.slice(at, at + 2)), ...shellWords(check).commands[0]]
    const deadline = Date.now() + timeoutMs
    for (let round = 1; ; round++) {
      for (const c of line.commands) await this.command(c, where)
      await this.mine(1)
      const r = await this.command(checkWords, `${where} (its check \`${check}\`)`)
      if (new RegExp(`\\b${escapeRe(word)}\\b`).test(r.out)) {
        this.t.pass(`${where}: \`${check}\` says ${word} after ${round} round(s)`)
        return
      }
      if (Date.now() > deadline) throw new Error(`${where}: \`${check}\` does not say ${word} after ${round} rounds:\n${r.out}`)
    }
  }

  // After a walk-through that ends an escrow: the client's and the printer's `sync` and a block, until the client's
  // `escrow <JOB> --json` shows the payout of that kind. The kind it last showed.
  async payout (kind: string, rounds = 30): Promise<string> {
    let seen = ''
    for (let i = 0; i < rounds && seen !== kind; i++) {
      for (const who of ['bob', 'carol']) await this.command(['p2', '--storage', `/tmp/${who}`, 'sync'], `until the ${kind} is paid`)
      await this.mine(1)
      const r = await this.command(['p2', '--storage', '/tmp/bob', '--json', 'escrow', '<JOB>'], `until the ${kind} is paid`)
      seen = String(JSON.parse(r.stdout)?.payout?.kind ?? '')
    }
    return seen
  }

  // Stops the background processes as a user does (Ctrl-C), newest first; each must exit 0.
  async stop (): Promise<void> {
    for (const b of [...this.background].reverse()) {
      if (b.child.exitCode !== null) { this.t.fail(`${b.where}: it had stopped by itself (exit ${b.child.exitCode}):\n${b.out()}`); continue }
      b.child.kill('SIGINT')
      let timer: NodeJS.Timeout | undefined
      const code = await Promise.race([b.exited, new Promise<'timeout'>(resolve => { timer = setTimeout(() => resolve('timeout'), 30_000) })])
      clearTimeout(timer)
      if (code === 0) this.t.pass(`${b.where}: Ctrl-C stops it cleanly`)
      else this.t.fail(`${b.where}: Ctrl-C: ${code === 'timeout' ? 'still running after 30 s' : `exit ${String(code)}`}\n${b.out().slice(-2000)}`)
    }
  }
}
