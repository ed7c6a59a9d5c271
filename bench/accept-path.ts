// Bench: the path of `p2print job accept ID` from the command line to the op, before and after the P2Print service.
//
// Two local peers on a local testnet (A creates a market and posts two jobs, B joins). B accepts one job with the
// tree under test and the other with a baseline tree (a git worktree of BASE, default ff7328b: main before the
// service). Each accept runs as its own `p2print` process with bench/_accept-trace.ts preloaded, which records the
// call stack (async frames included) when the op reaches Market.append, and how many job records the process read.
// Printed: the frames of p2print's own code on that stack and the distinct files they are in, before and after, and
// the ratio. The frames are the hops an op takes from index.ts to the market; Autobase's apply comes after.
//
//   node --import tsx bench/accept-path.ts            (BASE=<commit> to compare with another commit)
import fs from 'fs'
import os from 'os'
import path from 'path'
import { spawn, spawnSync } from 'child_process'
import createTestnet from 'hyperdht/testnet.js'

const ROOT = path.join(path.dirname(new URL(import.meta.url).pathname), '..')
const BASE = process.env.BASE ?? 'ff7328b'
const HOOK = path.join(ROOT, 'bench/_accept-trace.ts')

interface Run { code: number | null, stdout: string, stderr: string }

function run (tree: string, args: string[], hook = false, coverageDir?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const argv = ['--import', 'tsx', ...(hook ? ['--import', HOOK] : []), path.join(tree, 'index.ts'), ...args]
    const env = { ...process.env, P2PRINT_TREE: tree, ...(coverageDir !== undefined ? { NODE_V8_COVERAGE: coverageDir } : {}) }
    const child = spawn(process.execPath, argv, { cwd: tree, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => { stdout += d })
    child.stderr.on('data', d => { stderr += d })
    child.on('error', reject)
    child.on('close', code => resolve({ code, stdout, stderr }))
  })
}

function pathOf (r: Run, tree: string): { frames: string[], files: string[], getJobs: number } {
  const line = r.stderr.split('\n').find(l => l.startsWith('P2PRINT_TRACE '))
  if (line === undefined) throw new Error(`no trace (exit ${r.code}): ${r.stderr.slice(-2000)}`)
  const { stack } = JSON.parse(line.slice('P2PRINT_TRACE '.length)) as { stack: string[] }
  const own = stack.filter(l => l.includes(tree + '/') && !l.includes('/node_modules/') && !l.includes('_accept-trace'))
  const files = [...new Set(own.map(l => (/\((?:file:\/\/)?([^:)]+):\d+:\d+\)/.exec(l) ?? /at (?:async )?(?:file:\/\/)?([^:\s]+):\d+:\d+/.exec(l))?.[1] ?? l).map(f => path.relative(tree, f)))]
  const getJobs = Number(r.stderr.split('\n').find(l => l.startsWith('P2PRINT_GETJOBS '))?.slice('P2PRINT_GETJOBS '.length) ?? NaN)
  return { frames: own, files, getJobs }
}

// The functions of p2print's own code (lib/ and index.ts; module bodies left out) that ran at least once in the
// process, from V8's block coverage, and the files they are in.
async function executed (dir: string, tree: string): Promise<{ functions: number, files: number }> {
  const fns = new Set<string>()
  const files = new Set<string>()
  for (const f of await fs.promises.readdir(dir)) {
    const cov = JSON.parse(await fs.promises.readFile(path.join(dir, f), 'utf8')) as { result: Array<{ url: string, functions: Array<{ functionName: string, ranges: Array<{ count: number, startOffset: number }> }> }> }
    for (const r of cov.result) {
      const file = r.url.startsWith('file://') ? new URL(r.url).pathname : r.url
      if (!file.startsWith(tree + '/') || file.includes('/node_modules/') || file.includes('/bench/')) continue
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

async function main (): Promise<void> {
  const tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'p2print-accept-'))
  const base = path.join(tmp, 'base')
  const wt = spawnSync('git', ['-C', ROOT, 'worktree', 'add', '--detach', base, BASE], { encoding: 'utf8' })
  if (wt.status !== 0) throw new Error(`git worktree add ${BASE}: ${wt.stderr}`)
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(base, 'node_modules'))
  const tn = await createTestnet(5)
  const boot = `127.0.0.1:${tn.bootstrap[0].port}`
  const A = ['--storage', path.join(tmp, 'a'), '--bootstrap', boot, '--json']
  const B = ['--storage', path.join(tmp, 'b'), '--bootstrap', boot, '--json', '--sync-timeout', '5']
  try {
    const created = await run(ROOT, [...A, 'market', 'create', '--name', 'accept path'])
    const key = JSON.parse(created.stdout).key as string
    const ids: string[] = []
    for (const title of ['before', 'after']) {
      const j = await run(ROOT, [...A, 'job', 'create', '--title', title, '--material', 'PLA', '--bounty', '0.001', '--country', 'DE'])
      ids.push(JSON.parse(j.stdout).id)
    }
    const seed = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'index.ts'), ...A, 'seed'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let seedLog = ''
    seed.stdout.on('data', d => { seedLog += d })
    seed.stderr.on('data', d => { seedLog += d })
    try {
      const joined = await run(ROOT, [...B, 'market', 'join', key])
      if (joined.code !== 0) throw new Error(`join: ${joined.stderr}`)
      for (let i = 0; ; i++) {
        const synced = await run(ROOT, [...B, 'sync'])
        if (synced.code === 0 && JSON.parse(synced.stdout).jobs === 2) break
        await new Promise(resolve => setTimeout(resolve, 2000))
        if (i === 15) throw new Error(`B does not see the two jobs: ${synced.stdout} ${synced.stderr}\nseed: ${seedLog}`)
      }
      const covBefore = path.join(tmp, 'cov-before')
      const covAfter = path.join(tmp, 'cov-after')
      const before = pathOf(await run(base, [...B, 'job', 'accept', ids[0]], true, covBefore), base)
      const after = pathOf(await run(ROOT, [...B, 'job', 'accept', ids[1]], true, covAfter), ROOT)
      const ranBefore = await executed(covBefore, base)
      const ranAfter = await executed(covAfter, ROOT)
      console.log(`job accept, from index.ts to Market.append (p2print's own frames on the stack, async included):`)
      console.log(`  before (${BASE}): ${before.frames.length} frames in ${before.files.length} files; job records read: ${before.getJobs}`)
      for (const f of before.frames) console.log(`    ${f}`)
      console.log(`  after (working tree): ${after.frames.length} frames in ${after.files.length} files; job records read: ${after.getJobs}`)
      for (const f of after.frames) console.log(`    ${f}`)
      console.log(`  ratio after/before: frames ${(after.frames.length / before.frames.length).toFixed(2)}, files ${(after.files.length / before.files.length).toFixed(2)}`)
      console.log(`job accept, the whole process (functions of lib/ and index.ts that ran, V8 block coverage; module bodies left out):`)
      console.log(`  before (${BASE}): ${ranBefore.functions} functions in ${ranBefore.files} files`)
      console.log(`  after (working tree): ${ranAfter.functions} functions in ${ranAfter.files} files`)
      console.log(`  ratio after/before: functions ${(ranAfter.functions / ranBefore.functions).toFixed(2)}, files ${(ranAfter.files / ranBefore.files).toFixed(2)}`)
    } finally {
      seed.kill('SIGTERM')
    }
  } finally {
    await tn.destroy()
    spawnSync('git', ['-C', ROOT, 'worktree', 'remove', '--force', base])
    await fs.promises.rm(tmp, { recursive: true, force: true })
  }
}

await main()
