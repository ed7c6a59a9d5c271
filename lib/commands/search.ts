// search save|list|remove: saved searches, this storage's own filters (lib/service/searches.ts; no market needed,
// and no lock: they work while `seed` or the app runs on the same storage, which use a new one from the next job
// on). And what `seed` does when a new job matches one: a log line and, with --notify CMD, CMD run with the job in
// its environment.
import { spawn } from '#child_process'
import type { Ctx, Result } from './context.js'
import type { P2Print } from '../service/p2print.js'
import { loadSearches, saveSearch, removeSearch, parseSearch, describeSearch, type SavedSearch, type SearchFlags, type SearchMatch } from '../service/searches.js'
import { formatBtc } from '../btc.js'
import { peerId } from '../ids.js'
import { BAD_ARGUMENT } from '../errors.js'

export interface SearchJSON extends SavedSearch { minBountyBtc: string, text: string }
export interface SearchesJSON { searches: SearchJSON[], saved: SearchJSON | null, removed: SearchJSON | null }

export function searchJSON (s: SavedSearch): SearchJSON {
  return { ...s, minBountyBtc: formatBtc(s.minBountySats), text: describeSearch(s) }
}

const result = (searches: SavedSearch[], saved: SavedSearch | null = null, removed: SavedSearch | null = null): Result =>
  ({ kind: 'searches', data: { searches: searches.map(searchJSON), saved: saved === null ? null : searchJSON(saved), removed: removed === null ? null : searchJSON(removed) } })

export async function searchSave (ctx: Ctx, flags: SearchFlags): Promise<Result> {
  const r = await saveSearch(ctx.storage, parseSearch(flags))
  return result(r.searches, r.search)
}

export async function searchList (ctx: Ctx): Promise<Result> {
  return result(await loadSearches(ctx.storage))
}

export async function searchRemove (ctx: Ctx, n: string): Promise<Result> {
  const r = await removeSearch(ctx.storage, n)
  return result(r.searches, null, r.search)
}

// --notify CMD: the program and its arguments, split at spaces. It is run directly, never through a shell, and the
// job (whose title anyone in the market writes) reaches it only in environment variables.
export function parseNotify (text: string | undefined): string[] | null {
  if (text === undefined) return null
  const argv = text.trim().split(/\s+/).filter(a => a !== '')
  if (argv.length === 0) throw BAD_ARGUMENT('--notify needs a command, e.g. --notify ./on-new-job.sh')
  return argv
}

const NOTIFY_TIMEOUT_MS = 60_000
const NOTIFY_QUEUE = 100

export function notifyEnv (m: SearchMatch, marketKey: Uint8Array): Record<string, string> {
  return {
    P2PRINT_JOB_ID: m.id,
    P2PRINT_JOB_TITLE: m.title,
    P2PRINT_JOB_BOUNTY_SATS: String(m.bountySats),
    P2PRINT_JOB_BOUNTY_BTC: m.bountyBtc,
    P2PRINT_JOB_MATERIAL: m.material,
    P2PRINT_JOB_COUNTRY: m.country,
    P2PRINT_SEARCHES: m.searches.join(','),
    P2PRINT_MARKET: peerId(marketKey)
  }
}

// Runs for `seed`: a 'search-match' line per new matching job and, with a notify command, that command once per
// job, one at a time (at most NOTIFY_QUEUE waiting; each stopped after a minute). Returns the stop function.
export function startSearchAlerts (ctx: Ctx, p: P2Print, notify: string[] | null): () => Promise<void> {
  const market = p.market
  const queue: SearchMatch[] = []
  let running: Promise<void> | null = null
  let stopped = false
  let current: ReturnType<typeof spawn> | null = null
  const runOne = (m: SearchMatch): Promise<void> => new Promise(resolve => {
    const [cmd, ...args] = notify!
    const child = spawn(cmd, args, { env: { ...process.env, ...notifyEnv(m, market.key) }, stdio: 'ignore', shell: false })
    current = child
    const timer = setTimeout(() => child.kill('SIGKILL'), NOTIFY_TIMEOUT_MS)
    child.on('error', (err) => { clearTimeout(timer); current = null; ctx.emit('notify-failed', { id: m.id, command: cmd, message: err.message }); resolve() })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      current = null
      if (code !== 0 && !stopped) ctx.emit('notify-failed', { id: m.id, command: cmd, message: signal !== null ? `stopped by ${signal}` : `exit code ${String(code)}` })
      resolve()
    })
  })
  const drain = (): void => {
    if (running !== null || stopped) return
    running = (async () => {
      for (let m = queue.shift(); m !== undefined && !stopped; m = queue.shift()) await runOne(m)
    })().finally(() => {
      running = null
      if (queue.length > 0) drain()
    })
  }
  const watcher = p.watchSearches({
    onMatch: (m) => {
      ctx.emit('search-match', { ...m })
      if (notify === null) return
      if (queue.length >= NOTIFY_QUEUE) { ctx.emit('notify-failed', { id: m.id, command: notify[0], message: `${NOTIFY_QUEUE} notifications are waiting already: not run` }); return }
      queue.push(m)
      drain()
    },
    onError: (err) => ctx.emit('warning', { message: `saved searches: ${err.message}` })
  })
  return async () => {
    stopped = true
    queue.length = 0
    await watcher.stop()
    current?.kill('SIGTERM')
    if (running !== null) await running
  }
}
