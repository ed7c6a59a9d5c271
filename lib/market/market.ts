// One market: an optimistic Autobase whose view is the Hyperbee of jobs, replicated over Hyperswarm on the
// market's discovery key. Owns the base and the swarm; the corestore belongs to the caller.
import ReadyResource from 'ready-resource'
import Autobase from 'autobase'
import Hyperbee from 'hyperbee'
import Hyperswarm from 'hyperswarm'
import type Corestore from 'corestore'
import type { Hypercore } from 'hypercore'
import b4a from 'b4a'
import { apply, jobIdFor } from './apply.js'
import { ModelDrives } from '../files/drive.js'
import { BAD_ARGUMENT } from '../errors.js'
import { encodeOp, OP, SchemaError, type OpBody, type JobRecord, type WriterRecord, type MarketMeta } from '../schema.js'
import { getIndexers, marketTime, marketNow, confirmedJobState, TICK_MS, type MarketNow } from './clock.js'
import { getJobEntry, queryJobs, queryJobPage, queryBounties, jobsWithIdPrefix, getJobCount, getStatusCounts, getWriter, getMeta, getSettings, type View, type JobQuery } from './view.js'
import { DEFAULT_ADMISSION_BITS, admissionWork, findAdmission, readOwnOp } from './admission.js'
import { BlindMirrors } from './blind.js'

// Connections a peer opens itself (incoming ones are always taken, so a newcomer is never turned away): every
// connection replicates every op, so in a full mesh each op costs each peer more as the market grows; with 8 a
// peer has ~16 neighbours and ops reach the rest through them (bench/scale.ts converge:
// CPU per op per peer at 50 peers 115 ms in a full mesh, 71 ms with 8; every op still reached every peer).
const MAX_OUTGOING = 8

export interface MarketOptions {
  bootstrap?: Array<{ host: string, port: number }> | null
  swarm?: boolean // false: no networking (tests that replicate by hand, benchmarks)
  ackInterval?: number
  now?: () => number
  name?: string // for a market being created
  admissionBits?: number // for a market being created: the work it asks of new writers (./admission.ts)
  blindPeers?: Uint8Array[] // keys of blind peers that keep this peer's cores and serve others' (./blind.ts)
  clockMs?: number // while this peer is one of the market's indexers, tick the market clock this often (0: never)
  maxOutgoing?: number // connections this peer opens to others (incoming ones are always taken)
}

export interface JobView {
  job: JobRecord
  confirmed: boolean // the record was written in the indexed (signed) part of the view: it can no longer be reordered
}

export class Market extends ReadyResource {
  readonly store: Corestore
  readonly base: Autobase<View>
  swarm: Hyperswarm | null = null
  readonly files: ModelDrives
  private readonly opts: MarketOptions
  private appending: Promise<unknown> = Promise.resolve()
  private discovery: { flushed(): Promise<void>, refresh(): Promise<void> } | null = null
  private lookTimer: NodeJS.Timeout | null = null

  private readonly creating: boolean
  private clockTimer: NodeJS.Timeout | null = null
  private localSession: Hypercore | null = null
  blind: BlindMirrors | null = null

  constructor (store: Corestore, key: Uint8Array | null, opts: MarketOptions = {}) {
    super()
    this.creating = key === null
    this.files = new ModelDrives(store)
    this.store = store
    this.opts = opts
    this.base = new Autobase<View>(store, key, {
      optimistic: true,
      ackInterval: opts.ackInterval ?? 1000,
      open: (viewStore) => new Hyperbee(viewStore.get({ name: 'view' }), { keyEncoding: 'binary', valueEncoding: 'binary', extension: false }),
      apply: async (nodes, view, host) => await apply(nodes, view, host, this.base.key),
      close: async (view) => { await view.close() }
    })
    this.base.on('update', () => this.emit('update'))
    // Autobase closes itself after an error in its drain: seed and the app must not look alive while nothing applies
    this.base.on('error', (err: unknown) => { this.fault = err instanceof Error ? err : new Error(String(err)); this.emit('warning', this.fault); this.emit('fault', this.fault) })
  }

  fault: Error | null = null // why this market's Autobase stopped, if it did

  get key (): Uint8Array { return this.base.key }
  get discoveryKey (): Uint8Array { return this.base.discoveryKey }
  get writerKey (): Uint8Array { return this.base.local.key as Uint8Array }
  get view (): View { return this.base.view }
  get connections (): number { return this.swarm === null ? 0 : this.swarm.connections.size }

  protected override async _open (): Promise<void> {
    await this.base.ready()
    this.openedLength = this.base.local.length
    // Autobase marks its own writer's core inactive once the view has taken it all in, and an inactive core is not
    // offered to new connections: a peer that already had its length never opened it again, so this peer never
    // learned that anyone held its log and waited out its whole sync timeout (seen on a loaded machine). One active
    // session keeps this peer's log offered to every connection.
    this.localSession = this.base.local.session({ active: true })
    await this.localSession.ready()
    // The creator writes the market's first op at once: an indexer that has written nothing never acks, and
    // nothing anyone else writes would ever be confirmed.
    if (this.creating && this.base.local.length === 0) {
      await this.base.append(encodeOp({ type: OP.MARKET_INIT, name: this.opts.name ?? '', admissionBits: this.opts.admissionBits ?? DEFAULT_ADMISSION_BITS }, (this.opts.now ?? Date.now)()))
    }
    if ((this.opts.clockMs ?? 0) > 0) this.startClock(this.opts.clockMs ?? TICK_MS)
    if (this.opts.swarm === false) return
    const swarm = new Hyperswarm({ bootstrap: this.opts.bootstrap ?? undefined, maxClientConnections: this.opts.maxOutgoing ?? MAX_OUTGOING })
    this.swarm = swarm
    swarm.on('connection', (conn) => {
      conn.on('error', () => {}) // a peer that drops or resets is normal; replication just stops
      this.base.replicate(conn)
      this.emit('peer-add', conn)
      conn.once('close', () => this.emit('peer-remove', conn))
    })
    this.discovery = swarm.join(this.base.discoveryKey)
    await this.useBlindPeers()
    this.on('update', () => { this.useBlindPeers().catch((err: unknown) => this.emit('warning', err)) })
  }

  private blindIds = ''
  private blindChange: Promise<void> = Promise.resolve()

  // Uses the blind peers this peer was given (MarketOptions.blindPeers) and those the market's settings name, as
  // the view has them now; starts over with the new set when it changes (rarely: a settings op).
  private async useBlindPeers (): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.swarm === null || this.closing !== null) return
      const keys: Uint8Array[] = []
      for (const k of [...(this.opts.blindPeers ?? []), ...(await getSettings(this.view)).blindPeers]) {
        if (!keys.some(x => b4a.equals(x, k))) keys.push(k)
      }
      const ids = keys.map(k => b4a.toString(k, 'hex')).sort().join(',')
      if (ids === this.blindIds || this.closing !== null) return
      this.blindIds = ids
      if (this.blind !== null) this.blind.close()
      this.blind = keys.length === 0 ? null : new BlindMirrors(this.swarm, this.store, this.base as Autobase<unknown>, keys)
      if (this.blind !== null) await this.blind.keepDrive(await this.files.own())
    }
    this.blindChange = this.blindChange.then(run, run)
    return await this.blindChange
  }

  protected override async _close (): Promise<void> {
    if (this.clockTimer !== null) clearInterval(this.clockTimer)
    if (this.lookTimer !== null) clearTimeout(this.lookTimer)
    if (this.blind !== null) this.blind.close()
    if (this.swarm !== null) await this.swarm.destroy()
    if (this.localSession !== null) await this.localSession.close()
    await this.files.close()
    await this.base.close()
  }

  replicate (stream: unknown): unknown {
    return this.base.replicate(stream)
  }

  // Appends one op. A peer that is not (yet) a writer appends optimistically, after a writer/admit with the work the
  // market asks (./admission.ts; apply admits it on that). Resolves with the length of the writer's log after the
  // op, which job ids are derived from.
  // `at` states another time than this peer's clock (an engine answering a post-dated op in its own terms).
  async append (op: OpBody, o: { at?: number } = {}): Promise<{ length: number, jobId: Uint8Array | null }> {
    const run = async (): Promise<{ length: number, jobId: Uint8Array | null }> => {
      await this.ready()
      let value: Uint8Array
      try {
        value = encodeOp(op, o.at ?? (this.opts.now ?? Date.now)())
      } catch (err) {
        // e.g. notes within their character limit in characters that take 3–4 bytes each
        if (err instanceof SchemaError) throw BAD_ARGUMENT(`${(err as Error).message}: shorten the text (title, notes, note) and try again`)
        throw err
      }
      if (!this.base.writable) await this.admit()
      const optimistic = !this.base.writable
      const length = await this.base.append(value, optimistic ? { optimistic: true } : undefined)
      if (optimistic) await this.waitLocal(length)
      return { length, jobId: op.type === OP.JOB_CREATE ? jobIdFor(this.writerKey, length) : null }
    }
    const p = this.appending.then(run, run)
    this.appending = p.catch(() => {})
    return p
  }

  // The work this market asks of a new writer: its settings' (0 in a market made before schema v7). A view that
  // holds nothing yet (a market joined offline) does not say: then the default a market is created with.
  async admissionBits (): Promise<number> {
    if ((await getMeta(this.view)) === null) return DEFAULT_ADMISSION_BITS
    return (await getSettings(this.view)).admissionBits
  }

  // Appends a writer/admit unless this peer's log already holds one with enough work for the market's rule now.
  // Emits 'admitting' { bits } before and 'admission' { bits, ms, tried } after finding the work, so a front end can
  // say why the first write takes seconds. append() calls it; a writer has nothing to do.
  async admit (): Promise<void> {
    await this.ready()
    if (this.base.writable) return
    const bits = await this.admissionBits()
    if (bits === 0 || this.admitted >= bits) return
    const local = this.base.local
    const marketKey = this.base.key
    const writerKey = this.writerKey
    for (let i = this.admitScanned; i < local.length; i++) {
      const op = await readOwnOp(local, i)
      if (op !== null && op.type === OP.WRITER_ADMIT) this.admitted = Math.max(this.admitted, admissionWork(marketKey, writerKey, op.nonce))
    }
    this.admitScanned = local.length
    if (this.admitted >= bits) return
    this.emit('admitting', { bits })
    const found = await findAdmission(marketKey, writerKey, bits)
    await this.waitLocal(await this.base.append(encodeOp({ type: OP.WRITER_ADMIT, nonce: found.nonce }, (this.opts.now ?? Date.now)()), { optimistic: true }))
    this.admitted = admissionWork(marketKey, writerKey, found.nonce)
    this.admitScanned = local.length
    this.emit('admission', { bits, ms: found.ms, tried: found.tried })
  }

  // Waits until this peer's log holds `length` blocks. Read in Autobase 7.28's code (index.js _appendBatch,
  // _addLocalHeads, _flushLocalHeads), not seen to happen here: append may return before it has written a value (it
  // stops waiting after 16 bumps once its local writer is idle), and an optimistic value queued behind an unwritten
  // one is written together with it as non-optimistic blocks (its `_optimistic` index is not moved on), which no
  // indexer applies from a non-writer; the length append returns would then be off too (and a job id derived from
  // it). So a non-writer's every append is written before the next one is queued.
  async waitLocal (length: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.base.local.length < length) {
      if (Date.now() > deadline) throw new Error(`this peer's log did not reach ${length} blocks within ${timeoutMs} ms`)
      await this.base.update()
      if (this.base.local.length < length) await sleep(10)
    }
  }

  private admitted = 0 // the most work a writer/admit in this peer's own log proves
  private admitScanned = 0

  // Ticks the market clock every `ms` while this peer is one of its indexers (a tick also makes a newly named
  // indexer write, which Autobase needs before it counts it).
  // A peer named while it runs starts at its next update, not a whole interval later.
  //
  // A tick also unsticks confirmation. Seen with three indexers, one of them gone: the two left stop acking while
  // the unconfirmed part of the view holds only what they had already acked, and ack again only when a new value
  // comes (Autobase's linearizer.shouldAck). So while the signed length has not moved for NUDGE_MS and something is
  // unconfirmed, an indexer ticks early; such a tick changes nothing in the view (./clock.ts MIN_TICK_STEP_MS), so
  // it needs no confirmation itself and the nudging stops once the rest is confirmed (test/indexers.test.ts).
  startClock (ms = TICK_MS): void {
    if (this.clockTimer !== null) return
    let signed = -1
    let since = Date.now()
    let nudge = NUDGE_MS // doubles while nudges change nothing (no majority left to confirm), up to `ms`
    const due = (): void => {
      const now = Date.now()
      const core = this.view.core
      if (core.signedLength !== signed) {
        signed = core.signedLength
        since = now
        nudge = NUDGE_MS
      }
      const stuck = core.length > signed && now - since >= nudge && now - this.lastTick >= nudge
      if (stuck) nudge = Math.min(ms, nudge * 2)
      if (now - this.lastTick < ms && !stuck) return
      this.tick().catch((err: unknown) => this.emit('warning', err))
    }
    this.clockTimer = setInterval(due, Math.min(ms, 1000))
    this.on('update', due)
    due()
  }

  // For a process that stays (seed, the app): while no peer is connected, looks the market up again every few
  // seconds (backing off to a minute) instead of at Hyperswarm's next refresh, 10 minutes away. Two peers that
  // announce and look up at the same moment can each miss the other (seen: two apps started together on a loaded
  // machine never connected).
  keepLooking (): void {
    if (this.lookTimer !== null || this.discovery === null) return
    let wait = LOOK_MS
    const look = (): void => {
      this.lookTimer = null
      if (this.closing !== null || this.discovery === null) return
      if (this.connections > 0) wait = LOOK_MS
      else {
        this.discovery.refresh().catch(() => {})
        wait = Math.min(MAX_LOOK_MS, wait * 2)
      }
      this.lookTimer = setTimeout(look, this.connections > 0 ? MAX_LOOK_MS : wait)
      this.lookTimer.unref()
    }
    this.lookTimer = setTimeout(look, LOOK_MS)
    this.lookTimer.unref()
  }

  private lastTick = 0

  // Appends a market/clock tick if this peer is one of the market's indexers; returns whether it did.
  async tick (): Promise<boolean> {
    if (this.closing !== null || !(await this.isNamedIndexer())) return false
    this.lastTick = Date.now()
    await this.append({ type: OP.MARKET_CLOCK })
    return true
  }

  async isNamedIndexer (): Promise<boolean> {
    await this.ready()
    return (await this.indexers()).some(k => b4a.equals(k, this.writerKey))
  }

  // The market's indexers as its view names them: the creator first.
  async indexers (): Promise<Uint8Array[]> {
    return getIndexers(this.view, await getMeta(this.view))
  }

  // The indexers Autobase counts now (named ones count once they have written).
  activeIndexers (): Uint8Array[] {
    const sys = (this.base as unknown as { system?: { indexers?: Array<{ key: Uint8Array }> } }).system
    return (sys?.indexers ?? []).map(i => i.key)
  }

  // Market time (ms): what every deadline is measured on (./clock.ts); this peer's clock in a market made before
  // the market clock, until one of its indexers ticks.
  async time (): Promise<number> {
    return (await marketTime(this.view)) ?? Date.now()
  }

  // Market time as the view has it: null while the clock has not started (see time()).
  async clockTime (): Promise<number | null> {
    return marketTime(this.view)
  }

  // What engines check deadlines against: the same rule as apply (./clock.ts MarketNow).
  async clock (): Promise<MarketNow> {
    return marketNow(this.view, Date.now())
  }

  // A job and market time as one confirmed prefix of the view has them (one snapshot: both latest entries below its
  // signed length), or null when either is unconfirmed: what an engine signs money on (../escrow/actions.ts).
  async confirmedState (id: Uint8Array): Promise<{ job: JobRecord, now: MarketNow } | null> { return await confirmedJobState(this.view, id) }

  async update (): Promise<void> {
    await this.base.update()
  }

  // Waits for the DHT announce and the first connections, then until every writer we know of is as long here as
  // at any connected peer and the view has applied it. Returns how many peers were connected.
  async sync (timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs
    if (this.swarm !== null && this.discovery !== null) {
      await withDeadline(this.discovery.flushed(), deadline)
      await withDeadline(this.swarm.flush(), deadline)
      // the lookup is done and every peer it found was tried; with a peer found, give its connection until the
      // deadline to finish; with none found and none connecting, nobody has announced the market: show what this
      // storage has now instead of waiting out the whole timeout
      const swarm = this.swarm
      const nobody = (): boolean => swarm.peers.size === 0 && swarm.connecting === 0
      // blind peers announce no topic: a peer that has them waits a little for their direct connections too
      const blindUntil = Math.min(deadline, Date.now() + BLIND_CONNECT_MS)
      const blindPending = (): boolean => this.blind !== null && Date.now() < blindUntil && !this.blindConnected()
      while (this.connections === 0 && (!nobody() || blindPending()) && Date.now() < deadline) await sleep(50)
    }
    if (this.connections === 0) {
      await this.base.update()
      return 0
    }
    let stable = 0
    let lastTrace = Date.now()
    while (Date.now() < deadline) {
      await withDeadline(this.base.update(), deadline)
      if (this.caughtUp()) {
        if (++stable >= 3) break
      } else {
        stable = 0
        if (process.env.P2PRINT_TRACE === '1' && Date.now() - lastTrace > 1000) { lastTrace = Date.now(); this.traceWriters() }
      }
      await sleep(100)
    }
    if (process.env.P2PRINT_TRACE === '1' && !this.caughtUp()) this.traceWriters()
    return this.connections
  }

  // With blind peers: how many hold this peer's log and drive once one does, or the timeout passed (./blind.ts).
  async waitBlindHeld (timeoutMs: number): Promise<number> {
    return this.blind === null ? 0 : await this.blind.waitHeld([this.base.local], await this.files.own(), timeoutMs)
  }

  blindConnected (): boolean {
    return this.blind !== null && this.blind.connected()
  }

  private traceWriters (): void {
    const base = this.base as unknown as { activeWriters: Iterable<{ core: Hypercore, length: number }> }
    for (const w of base.activeWriters) process.stderr.write(`[trace] writer ${b4a.toString(w.core.key!, 'hex').slice(0, 8)}${w.core === this.base.local ? ' (own)' : ''} consumed ${w.length} length ${w.core.length} contiguous ${w.core.contiguousLength} peers ${w.core.peers.map(p => `${p.remoteContiguousLength}/${p.remoteLength}`).join(',')}\n`)
  }

  // Caught up once no connected peer holds more of a writer's log than this peer has taken in. After a fast-forward
  // Autobase takes a writer's log in from the fast-forward point on and never downloads the blocks before it, so the
  // writer's consumed length counts, not only the core's contiguous length (which then stays behind for good: every
  // command waited out its whole sync timeout).
  private caughtUp (): boolean {
    const base = this.base as unknown as { activeWriters: Iterable<{ core: Hypercore, length: number }> }
    for (const w of base.activeWriters) {
      const have = Math.max(w.length, w.core.contiguousLength)
      for (const peer of w.core.peers) {
        if (peer.remoteContiguousLength > have) return false
      }
    }
    return true
  }

  // True once a connected peer holds this peer's whole log.
  get flushed (): boolean {
    const local = this.base.local
    return local.length === 0 || local.peers.some(p => p.remoteContiguousLength >= local.length)
  }

  // The local length the last waitFlushed ended at (a second wait for the same writes would only wait again).
  waitedLength = -1
  // The local length when this market was opened: what this process wrote is past it.
  openedLength = 0

  // While no peer holds this peer's own log up to its end, the log is announced again to every connected peer once
  // a second (an Autobase wakeup): a peer that is not a writer yet is found only through that announce, and one
  // sent before the other side was listening is not sent again (seen: an offline post never reaching the indexer).
  async waitFlushed (timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    let announced = Date.now()
    while (!this.flushed && Date.now() < deadline) {
      await sleep(50)
      if (Date.now() - announced >= 1000) {
        announced = Date.now()
        this.announceLocal()
      }
    }
    this.waitedLength = this.base.local.length
    return this.flushed
  }

  private announceLocal (): void {
    const session = this.base.wakeupSession
    const local = this.base.local
    if (session === null || this.swarm === null || local.length === 0 || local.key === null) return
    const key = local.key
    for (const conn of this.swarm.connections) session.announceByStream(conn, [{ key, length: local.length }])
  }

  // --- reads ---------------------------------------------------------------------------------------------------

  isConfirmed (seq: number): boolean {
    return seq < this.view.core.signedLength
  }

  async getJob (id: Uint8Array): Promise<JobView | null> {
    const e = await getJobEntry(this.view, id)
    return e === null ? null : { job: e.job, confirmed: this.isConfirmed(e.seq) }
  }

  async jobs (q: JobQuery): Promise<JobView[]> {
    const list = await queryJobs(this.view, q)
    return list.map(e => ({ job: e.job, confirmed: this.isConfirmed(e.seq) }))
  }

  // A page continuing after a cursor (lib/market/view.ts queryJobPage).
  async jobPage (q: JobQuery, after: Uint8Array | null): Promise<{ items: Array<JobView & { key: Uint8Array }>, next: Uint8Array | null }> {
    const r = await queryJobPage(this.view, q, after)
    return { items: r.items.map(e => ({ job: e.job, confirmed: this.isConfirmed(e.seq), key: e.key })), next: r.next }
  }

  async jobBounties (q: JobQuery): Promise<Array<{ id: Uint8Array, bountySats: number, key: Uint8Array }>> {
    return queryBounties(this.view, q)
  }

  async jobsWithIdPrefix (prefix: Uint8Array, max: number): Promise<JobRecord[]> {
    return jobsWithIdPrefix(this.view, prefix, max)
  }

  async jobCount (): Promise<number> { return await getJobCount(this.view) }

  async meta (): Promise<MarketMeta | null> { return await getMeta(this.view) }

  async writerRecord (key: Uint8Array): Promise<WriterRecord> {
    return getWriter(this.view, key)
  }

  async statusCounts (): Promise<Record<string, number>> { return await getStatusCounts(this.view) }

  isIndexer (): boolean {
    return this.base.isIndexer
  }

  isWriter (): boolean {
    return this.base.writable
  }

  isWriterKey (key: Uint8Array): boolean {
    return b4a.equals(key, this.writerKey)
  }
}

const NUDGE_MS = 2000
const BLIND_CONNECT_MS = 5000
const LOOK_MS = 3000
const MAX_LOOK_MS = 60_000

function sleep (ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

async function withDeadline (p: Promise<unknown>, deadline: number): Promise<void> {
  const left = deadline - Date.now()
  if (left <= 0) return
  let timer: NodeJS.Timeout | undefined
  await Promise.race([p.catch(() => {}), new Promise<void>(resolve => { timer = setTimeout(resolve, left) })])
  clearTimeout(timer)
}
