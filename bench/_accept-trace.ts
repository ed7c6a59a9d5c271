// Preloaded (node --import tsx --import bench/_accept-trace.ts index.ts …) by bench/accept-path.ts: records the
// call stack at the moment `job accept` hands its op to Market.append, and how many job records and settings the
// process read (before the op left, and in all).
import path from 'path'
import { pathToFileURL } from 'url'
import { createRequire } from 'module'

const tree = process.env.P2PRINT_TREE ?? process.cwd()
Error.stackTraceLimit = Infinity
const { Market } = await import(pathToFileURL(path.join(tree, 'lib/market/market.ts')).href)
const Hyperbee = createRequire(path.join(tree, 'index.ts'))('hyperbee')
const proto = Market.prototype as { append: (op: { type: number }, o?: unknown) => Promise<unknown>, getJob: (id: Uint8Array) => Promise<unknown> }
const append = proto.append
const getJob = proto.getJob
const get = Hyperbee.prototype.get
const counts = { getJob: 0, settings: 0, getJobBefore: -1, settingsBefore: -1 }
proto.getJob = async function (this: unknown, id: Uint8Array) { counts.getJob++; return await getJob.call(this, id) }
Hyperbee.prototype.get = function (this: unknown, key: unknown, ...rest: unknown[]) {
  if (key instanceof Uint8Array && key.byteLength === 1 && key[0] === 0x73) counts.settings++ // 's': the settings
  return get.call(this, key, ...rest)
}
proto.append = async function (this: unknown, op: { type: number }, o?: unknown) {
  if (op.type === 4 && counts.getJobBefore === -1) { // OP.JOB_ACCEPT
    counts.getJobBefore = counts.getJob
    counts.settingsBefore = counts.settings
    const stack = (new Error().stack ?? '').split('\n').slice(1).map(l => l.trim())
    process.stderr.write(`P2PRINT_TRACE ${JSON.stringify({ stack })}\n`)
  }
  return await append.call(this, op, o)
}
process.on('exit', () => { process.stderr.write(`P2PRINT_COUNTS ${JSON.stringify(counts)}\n`) })
