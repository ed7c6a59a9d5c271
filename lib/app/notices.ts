// The app's notices: what needs this peer on its jobs (a mediator's proposal to answer, a shipped job to confirm, a
// deadline within 24 h of market time), and the new jobs that matched its saved searches while the app runs
// (lib/service/searches.ts SearchWatcher, restarted when the app moves to another market).
import b4a from 'b4a'
import type { P2Print } from '../service/p2print.js'
import type { Market } from '../market/market.js'
import type { SearchWatcher } from '../service/searches.js'
import { escrowsOf } from '../market/view.js'
import { roleOf } from '../job/state.js'
import { releaseAt } from '../escrow/record.js'
import type { JobRecord } from '../schema.js'
import { jobIdString } from '../ids.js'
import { isoTime, printable } from '../text.js'
import { friendly } from './details.js'
import type { AlertCounts, NeedsYouInfo, NoticesCore, SearchMatchInfo } from './types.js'

export const SOON_MS = 24 * 3600_000
const KEEP_MATCHES = 50

// What needs `me` on one job at market time `now`, or null.
export function needOf (job: JobRecord, me: Uint8Array, now: number): NeedsYouInfo | null {
  const role = roleOf(job, me)
  const mediator = job.dispute?.mediator != null && b4a.equals(job.dispute.mediator, me)
  const item = (kind: NeedsYouInfo['kind'], text: string, due: number | null): NeedsYouInfo =>
    ({ kind, id: jobIdString(job.id), title: printable(job.title), text, due: due === null ? null : isoTime(due), hoursLeft: due === null ? null : Math.max(0, Math.round((due - now) / 360_000) / 10) })
  const d = job.dispute ?? null
  if (job.status === 'disputed' && d !== null) {
    if (role !== 'other' && d.stage === 'proposed' && d.proposal !== null && now < d.proposal.answerBy && !(role === 'client' ? d.acceptedClient : d.acceptedPrinter)) {
      return item('proposal', `the mediator proposes ${d.proposal.printerPct} % of the bounty for the printer: accept or reject it`, d.proposal.answerBy)
    }
    if (mediator && d.stage === 'mediation' && now < d.proposeBy && d.proposeBy - now <= SOON_MS) {
      return item('deadline', 'you mediate this dispute: propose a split before the deadline', d.proposeBy)
    }
    return null
  }
  if (role === 'client' && job.status === 'shipped') {
    // with a delivery window, its end: after it the printer is paid and a dispute is no longer possible
    const release = releaseAt(job)
    return release === null || now >= release
      ? item('shipped', 'shipped: confirm receipt (complete) or open a dispute', null)
      : item('shipped', 'shipped: confirm receipt (complete) or open a dispute before the deadline, when the printer is paid', release)
  }
  const e = job.escrow ?? null
  if (role !== 'other' && job.status === 'accepted' && e !== null && e.fundingTxid === null) {
    const lapse = e.acceptedAt + e.fundingTimeoutSecs * 1000
    if (now < lapse && lapse - now <= SOON_MS) return item('deadline', `the escrow is not funded yet: the acceptance lapses (the job is open again) at the deadline`, lapse)
  }
  return null
}

// Every need on this peer's jobs (as client or printer, and the disputes it mediates), the soonest first.
export async function needsYou (market: Market): Promise<NeedsYouInfo[]> {
  const me = market.writerKey
  const now = (await market.clock()).now
  const jobs = (await market.jobs({ mine: me, limit: 500 })).map(v => v.job)
  for (const e of await escrowsOf(market.view, me)) {
    if (e.role !== 'mediator') continue
    const v = await market.getJob(e.id)
    if (v !== null) jobs.push(v.job)
  }
  const out = jobs.map(j => needOf(j, me, now)).filter((n): n is NeedsYouInfo => n !== null)
  return out.sort((a, b) => (a.due ?? '9').localeCompare(b.due ?? '9'))
}

export class AppNotices implements NoticesCore {
  private found: SearchMatchInfo[] = []
  private watcher: SearchWatcher | null = null
  private watching: Market | null = null
  private last: NeedsYouInfo[] = []

  constructor (private readonly service: () => P2Print | null, private readonly changed: () => void) {}

  async needsYou (): Promise<NeedsYouInfo[]> {
    const p2 = this.service()
    if (p2 === null) return []
    try {
      this.last = await needsYou(p2.market)
      return this.last
    } catch (err) { throw friendly(err) }
  }

  matches (): SearchMatchInfo[] { return this.found }

  dismiss (): void {
    this.found = []
    this.changed()
  }

  // The status line's counts, on every market change; (re)starts the watcher on the current market.
  async counts (): Promise<AlertCounts> {
    const p2 = this.service()
    if (p2 !== null && this.watching !== p2.market) this.watch(p2)
    await this.needsYou().catch(() => this.last)
    return { needsYou: this.last.length, matches: this.found.length, latest: this.found[0] ?? null }
  }

  private watch (p2: P2Print): void {
    const old = this.watcher
    this.found = []
    this.watching = p2.market
    this.watcher = p2.watchSearches({
      onMatch: (m) => {
        this.found = [{ id: m.id, title: m.title, bountyBtc: m.bountyBtc, material: m.material, country: m.country, searches: m.searches, at: new Date().toISOString() }, ...this.found].slice(0, KEEP_MATCHES)
        this.changed()
      }
    })
    void old?.stop()
  }

  async stop (): Promise<void> {
    await this.watcher?.stop()
    this.watcher = null
  }
}
