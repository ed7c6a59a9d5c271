// Sums the self time of V8 CPU profiles (node --cpu-prof, e.g. BENCH_CPU_PROF=DIR bench/scale.ts) by where the code
// is: each npm package under node_modules, p2print's own lib/, node internals, native/GC. Not a bench by itself.
//   node --import tsx bench/_profile-summary.ts DIR [top]
import fs from 'fs'
import path from 'path'

interface ProfileNode { id: number, callFrame: { functionName: string, url: string }, hitCount?: number }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

function where (url: string, fn: string): string {
  if (url === '') return fn === '(garbage collector)' ? '(gc)' : fn === '(program)' || fn === '(idle)' ? fn : '(native)'
  const nm = url.lastIndexOf('node_modules/')
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/')
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]
  }
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0]
  const lib = url.indexOf('/lib/')
  if (lib !== -1) return 'p2print ' + url.slice(lib + 1).split('/').slice(0, 2).join('/')
  return path.basename(url)
}

const [dir, topArg] = process.argv.slice(2)
const top = Number(topArg ?? 25)
const byPlace = new Map<string, number>()
const byFn = new Map<string, number>()
let total = 0
for (const f of fs.readdirSync(dir).filter(f => f.endsWith('.cpuprofile'))) {
  const p = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Profile
  const nodes = new Map(p.nodes.map(n => [n.id, n]))
  for (let i = 0; i < p.samples.length; i++) {
    const n = nodes.get(p.samples[i])
    if (n === undefined) continue
    const us = p.timeDeltas[i] ?? 0
    if (n.callFrame.functionName === '(idle)') continue
    total += us
    const place = where(n.callFrame.url, n.callFrame.functionName)
    byPlace.set(place, (byPlace.get(place) ?? 0) + us)
    const fn = `${place} ${n.callFrame.functionName || '(anonymous)'}`
    byFn.set(fn, (byFn.get(fn) ?? 0) + us)
  }
}
const show = (m: Map<string, number>): void => {
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${(us / 1000).toFixed(0).padStart(8)} ms ${(us / total * 100).toFixed(1).padStart(5)} %  ${k}`)
}
console.log(`busy: ${(total / 1000).toFixed(0)} ms over all profiles\n-- by package --`)
show(byPlace)
console.log('-- by function --')
show(byFn)
