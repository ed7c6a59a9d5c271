// Bench: the path of `p2print job accept ID` in a market with escrow, from the command line to the op, in the
// working tree and in a baseline commit (BASE, default 7cc4db4: main before the hostile-peer and service work,
// the code the service issue describes).
//
// Each tree gets the same set-up of its own, on one local testnet and one bcoin regtest node: A creates a market
// with escrow on regtest (R, a third peer, is its arbitrator) and posts JOBS jobs, `seed` keeps A online, B joins,
// is funded from the node and accepts one job. That accept runs as its own `p2print` process with
// bench/_accept-trace.ts preloaded, which records the call stack (async frames included) when the op reaches
// Market.append and counts the job records and the settings the process read; V8's block coverage
// (NODE_V8_COVERAGE) gives the functions of lib/ and index.ts that ran. Printed: each figure before and after, and
// the ratios.
//
//   node --import tsx bench/accept-path.ts            (BASE=<commit>, JOBS=<n> to change them)
import fs from 'fs'
import os from 'os'
import path from 'path'
import { spawn, spawnSync, type ChildProcess } from 'child_process'
import createTestnet from 'hyperdht/testnet.js'
import { runRegtestNode } from '../lib/escrow/regtest-node.js'

const ROOT = path.join(path.dirname(new URL(import.meta.url).pathname), '..')
const BASE = process.env.BASE ?? '7cc4db4'
const JOBS = Number(process.env.JOBS ?? 10)
const HOOK = path.join(ROOT, 'bench/_accept-trace.ts')

interface Run { code: number | null, stdout: string, stderr: string }
interface Figures { frames: string[], files: string[], functions: number, functionFiles: number, getJob: number, getJobBefore: number, settings: number, settingsBefore: number }

function run (tree: string, args: string[], o: { hook?: boolean, coverage?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const argv = ['--import', 'tsx', ...(o.hook === true ? ['--import', HOOK] : []), path.join(tree, 'index.ts'), ...args]
    const env = { ...process.env, P2PRINT_TREE: tree, ...(o.coverage !== undefined ? { NODE_V8_COVERAGE: o.coverage } : {}) }
    const child = spawn(process.execPath, argv, { cwd: tree, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => { stdout += d })
    child.stderr.on('data', d => { stderr += d })
    child.on('error', reject)
    child.on('close', code => resolve({ code, stdout, stderr }))
  })
}

async function ok (tree: string, args: string[]): Promise<any> {
  const r = await run(tree, args)
  if (r.code !== 0) throw new Error(`p2print ${args.slice(5).join(' ')} (${tree}): exit ${r.code}\n${r.stderr.slice(-1500)}`)
  return JSON.parse(r.stdout)
}

// The functions of p2print's own code (lib/ and index.ts; module bodies left out) that ran at least once.
async function executed (dir: string, tree: string): Promise<{ functions: number, files: number }> {
  const fns = new Set<string>()
  const files = new Set<string>()
  for (const f of await fs.promises.readdir(dir)) {
    const cov = JSON.parse(await fs.promises.readFile(path.join(dir, f), 'utf8')) as { result: Array<{ url: string, functions: Array<{ functionName: string, ranges: Array<{ count: number, startOffset: number }> }> }> }
    for (const r of cov.result) {
      const file = r.url.startsWith('file://') ? new URL(r.url).pathname : r.url
      if (!file.startsWith(tree + '/') || file.includes('/node_modules/')) continue
      const rel = path.relative(tree, file)
      if (!rel.startsWith('lib/') && rel !== 'index.ts') continue
      for (const fn of r.functions) {
        if (fn.functionName === '' && fn.ranges[0]?.startOffset === 0) continue // the module body
        if ((fn.ranges[0]?.count ?? 0) === 0) continue
        fns.add(`${rel}:${fn.functionName}:${fn.ranges[0].startOffset}`)
        files.add(rel)
      }
    }
  }
  return { functions: fns.size, files: files.size }
}

async function measure (tree: string, dir: string, boot: string, rpc: string, node: Awaited<ReturnType<typeof runRegtestNode>>): Promise<Figures> {
  const common = ['--bootstrap', boot, '--json', '--sync-timeout', '5', '--bitcoin-rpc', rpc]
  const A = ['--storage', path.join(dir, 'a'), ...common]
  const B = ['--storage', path.join(dir, 'b'), ...common]
  const R = ['--storage', path.join(dir, 'r'), ...common]
  const key = (await ok(tree, [...A, 'market', 'create', '--admission-bits', '8', '--name', 'accept path'])).key as string
  await ok(tree, [...R, 'market', 'join', key])
  const arb = await ok(tree, [...R, '--chain', 'regtest', 'id'])
  await ok(tree, [...A, 'market', 'settings', '--chain', 'regtest', '--arbitrator', `${arb.id as string}:${arb.arbitratorPubkey as string}`])
  const ids: string[] = []
  for (let i = 0; i < JOBS; i++) ids.push((await ok(tree, [...A, 'job', 'create', '--title', `part ${i}`, '--material', 'PLA', '--bounty', '0.001', '--country', 'DE'])).id)
  const seed: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(tree, 'index.ts'), ...A, 'seed'], { cwd: tree, stdio: 'ignore' })
  try {
    await new Promise(resolve => setTimeout(resolve, 3000))
    await ok(tree, [...B, 'market', 'join', key])
    for (let i = 0; ; i++) {
      const s = await ok(tree, [...B, 'sync'])
      if (s.jobs === JOBS) break
      if (i === 15) throw new Error(`B sees ${String(s.jobs)} of ${JOBS} jobs`)
      await new Promise(resolve => setTimeout(resolve, 2000))
    }
    const address = (await ok(tree, [...B, 'wallet', 'address'])).address as string
    await node.chain.fund(address, 10_000_000n)
    await node.chain.mine(1)
    const coverage = path.join(dir, 'coverage')
    const r = await run(tree, [...B, 'job', 'accept', ids[JOBS - 1]], { hook: true, coverage })
    if (r.code !== 0) throw new Error(`job accept (${tree}): exit ${r.code}\n${r.stderr.slice(-2000)}`)
    const line = r.stderr.split('\n').find(l => l.startsWith('P2PRINT_TRACE '))
    if (line === undefined) throw new Error(`no trace: ${r.stderr.slice(-2000)}`)
    const stack = (JSON.parse(line.slice('P2PRINT_TRACE '.length)) as { stack: string[] }).stack
    const frames = stack.filter(l => l.includes(tree + '/') && !l.includes('/node_modules/') && !l.includes('_accept-trace'))
    const files = [...new Set(frames.map(l => (/((?:\/[^/:()\s]+)+\.tsx?):\d+:\d+/.exec(l)?.[1] ?? l)))]
    const counts = JSON.parse(r.stderr.split('\n').find(l => l.startsWith('P2PRINT_COUNTS '))!.slice('P2PRINT_COUNTS '.length))
    const ran = await executed(coverage, tree)
    return { frames, files, functions: ran.functions, functionFiles: ran.files, getJob: counts.getJob, getJobBefore: counts.getJobBefore, settings: counts.settings, settingsBefore: counts.settingsBefore }
  } finally {
    seed.kill('SIGTERM')
    await new Promise(resolve => seed.once('close', resolve))
  }
}

function show (name: string, f: Figures, tree: string): void {
  console.log(`  ${name}: ${f.frames.length} frames in ${f.files.length} files on the stack at Market.append; ${f.functions} functions in ${f.functionFiles} files ran; job records read ${f.getJobBefore} before the op left (${f.getJob} in all); settings read ${f.settingsBefore} before the op left (${f.settings} in all)`)
  for (const l of f.frames) console.log(`      ${l.replace(tree + '/', '')}`)
}

async function main (): Promise<void> {
  const tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'p2print-accept-'))
  const base = path.join(tmp, 'base')
  const wt = spawnSync('git', ['-C', ROOT, 'worktree', 'add', '--detach', base, BASE], { encoding: 'utf8' })
  if (wt.status !== 0) throw new Error(`git worktree add ${BASE}: ${wt.stderr}`)
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(base, 'node_modules'))
  const tn = await createTestnet(5)
  const node = await runRegtestNode({ port: 0, faucetPort: 0 })
  const boot = `127.0.0.1:${tn.bootstrap[0].port}`
  try {
    const before = await measure(base, path.join(tmp, 'before'), boot, node.rpcUrl, node)
    const after = await measure(ROOT, path.join(tmp, 'after'), boot, node.rpcUrl, node)
    console.log(`job accept in a market with escrow (${JOBS} jobs), one process each, from index.ts to the op:`)
    show(`before (${BASE})`, before, base)
    show('after (working tree)', after, ROOT)
    const r = (a: number, b: number): string => (a / b).toFixed(2)
    console.log(`  ratio after/before: frames ${r(after.frames.length, before.frames.length)}, stack files ${r(after.files.length, before.files.length)}, functions ${r(after.functions, before.functions)}, files with a function run ${r(after.functionFiles, before.functionFiles)}, job records read ${r(after.getJob, before.getJob)}, settings read ${r(after.settings, before.settings)}`)
    console.log(`RESULT ${JSON.stringify({ bench: 'accept-path', base: BASE, jobs: JOBS, before: { ...before, frames: before.frames.length, files: before.files.length }, after: { ...after, frames: after.frames.length, files: after.files.length } })}`)
  } finally {
    await node.close()
    await tn.destroy()
    spawnSync('git', ['-C', ROOT, 'worktree', 'remove', '--force', base])
    await fs.promises.rm(tmp, { recursive: true, force: true })
  }
}

await main()
