// Preloaded (node --import tsx --import bench/_accept-trace.ts index.ts …) by bench/accept-path.ts: records the
// call stack at the moment `job accept` hands its op to Market.append, and how often the command reads a job.
import path from 'path'
import { pathToFileURL } from 'url'

const tree = process.env.P2PRINT_TREE ?? process.cwd()
Error.stackTraceLimit = Infinity
const { Market } = await import(pathToFileURL(path.join(tree, 'lib/market/market.ts')).href)
const proto = Market.prototype as { append: (op: { type: number }, o?: unknown) => Promise<unknown>, getJob: (id: Uint8Array) => Promise<unknown> }
const append = proto.append
const getJob = proto.getJob
let getJobs = 0
proto.getJob = async function (this: unknown, id: Uint8Array) { getJobs++; return await getJob.call(this, id) }
proto.append = async function (this: unknown, op: { type: number }, o?: unknown) {
  if (op.type === 4) { // OP.JOB_ACCEPT
    const stack = (new Error().stack ?? '').split('\n').slice(1).map(l => l.trim())
    process.stderr.write(`P2PRINT_TRACE ${JSON.stringify({ stack, getJobsBefore: getJobs })}\n`)
  }
  return await append.call(this, op, o)
}
process.on('exit', () => { process.stderr.write(`P2PRINT_GETJOBS ${getJobs}\n`) })
