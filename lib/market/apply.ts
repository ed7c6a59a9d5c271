// The market reducer. Autobase calls it with linearised nodes; it may undo and re-run any suffix on reorder, so it
// must be deterministic: no clock, no randomness, no I/O besides the view, and no throwing on bad input.
// Every op is decoded strictly and checked against the author (node.from.key) and the job's state; an op that
// fails any check changes nothing.
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import c from 'compact-encoding'
import type { ApplyNode, ApplyHost } from 'autobase'
import * as bitcoin from 'bitcoinjs-lib'
import { decodeOp, OP, LIMITS, ACTION_AUTO_ACTIVATE, JOB_ID_BYTES, STATUSES, type Op, type JobRecord, type WriterRecord, type HistoryEntry, type EscrowRecord, type EscrowParty, type MarketSettings, type SignKind, type SignerRole, type Status } from '../schema.js'
import { checkTransition, checkJobFields, checkFileRef } from '../job/state.js'
import { applyChatOp, isChatOp } from '../chat/apply.js'
import { getJob, getWriter, getStats, putJob, putWriter, putStats, getMeta, putMeta, getSettings, putSettings, type View } from './view.js'
import { escrowAmounts } from '../escrow/amounts.js'
import { unsignedTx, MIN_FEE_RATE, DEFAULT_MAX_FEE_RATE } from '../escrow/psbt.js'
import { registerMediator, openDispute, disputeStep, rulingAllowed, cancelAllowed, rulingPrinterPct, recordRuling } from '../disputes/apply.js'
import type { BeeBatch } from 'hyperbee'
import { applyReputation, reputationOnJob } from '../reputation/apply.js'

type Batch = BeeBatch<Uint8Array, Uint8Array>

const MAX_HISTORY = 256

// A job's id is derived from the op that created it: the author's writer key and the op's position in that
// writer's log. Both are fixed by the log itself, so every peer derives the same id however ops are ordered.
export function jobIdFor (writer: Uint8Array, length: number): Uint8Array {
  return crypto.hash([b4a.from('p2print/job-id'), writer, c.encode(c.uint, length)]).subarray(0, JOB_ID_BYTES)
}

// Writers. The market is open: a peer that is not yet a writer appends with `optimistic: true`, and Autobase keeps
// such a node only if apply acks or adds its writer. We add the peer as a non-indexer writer on its first
// well-formed op (the pattern of autobase's test/optimistic.js) instead of acking every op, because:
//  - an acked peer stays a non-writer, so each later op would again be a lone optimistic node, never batched,
//    and would again depend on an indexer choosing to keep it;
//  - once added, the peer's later ops carry its heads, so they are causally ordered after everything it had
//    seen when it wrote them (a printer's ship can never be linearised before the accept it saw);
//  - we admit on any op that decodes, not only on valid transitions, so an honest peer whose first op loses a
//    race (two printers accept one job) is not kept out. Bytes that do not decode never admit anyone.
// Admission gives no power: every op of every writer is validated here, and spam limits are counted per writer.
export async function apply (nodes: ApplyNode[], view: View, host: ApplyHost): Promise<void> {
  const batch = view.batch()
  for (const node of nodes) {
    if (node.value === null) continue
    const op = safeDecode(node.value)
    if (op === null) continue
    if (node.optimistic) await host.addWriter(node.from.key, { indexer: false })
    if (op.type === OP.MARKET_INIT) {
      // only a node written as a writer (the creator's, at creation) can name the market, and only once
      if (!node.optimistic && (await getMeta(batch)) === null) await putMeta(batch, { name: op.name, creator: node.from.key, createdAt: op.at })
      continue
    }
    await applyOp(batch, op, node.from.key, node.length)
  }
  await batch.flush()
}

function safeDecode (value: Uint8Array): Op | null {
  try {
    return decodeOp(value)
  } catch {
    return null
  }
}

// Exported for tests that drive the reducer without Autobase. Returns whether the op took effect.
export async function applyOp (b: Batch, op: Op, author: Uint8Array, length: number): Promise<boolean> {
  const writer = await getWriter(b, author)
  if (writer.ops >= LIMITS.opsPerWriter) return false

  if (op.type === OP.MARKET_INIT) return false
  if (op.type === OP.JOB_CREATE) return createJob(b, op, author, length, writer)
  if (op.type === OP.MARKET_SETTINGS) return applySettings(b, op, author, writer)
  if (op.type === OP.MEDIATOR_REGISTER) return registerMediator(b, op, author, writer) // lib/disputes
  if (isChatOp(op)) return applyChatOp(b, op, author, writer) // lib/chat/apply.ts
  if (op.type === OP.JOB_REVIEW || op.type === OP.PRINTER_PROFILE) return applyReputation(b, op, author, writer)

  const found = await getJob(b, op.jobId)
  if (found === null) return false
  const job: JobRecord = { ...found, escrow: found.escrow ?? null }
  if (job.history.length >= MAX_HISTORY) return false
  const settings = job.status === 'open' && op.type === OP.JOB_ACCEPT ? await getSettings(b) : null
  const escrowOn = job.escrow !== null || (settings !== null && settings.chain !== '')

  let next: JobRecord
  let clientOpenDelta = 0
  if (DISPUTE_STEP_OPS.has(op.type)) {
    const r = await disputeStep(b, job, op, author) // lib/disputes
    if (r === null) return false
    next = r
  } else if (ESCROW_OPS.has(op.type)) {
    const r = escrowStep(job, op, author)
    if (r === null) return false
    next = r.next
    clientOpenDelta = r.clientOpenDelta
    if (op.type === OP.DISPUTE_RULING && job.dispute != null) next.dispute = await recordRuling(b, job, op.winner === 'printer' ? 100 : 0, '', op.at)
  } else {
    const r = jobStep(job, op, author, escrowOn, settings)
    if (r === null) return false
    next = r.next
    clientOpenDelta = r.clientOpenDelta
    if (op.type === OP.JOB_DISPUTE && next.escrow != null) next = await openDispute(b, next, op.at, author) // mediation (lib/disputes)
  }
  await commit(b, job, next, author, writer, clientOpenDelta)
  return true
}

const DISPUTE_STEP_OPS = new Set<number>([OP.DISPUTE_PROPOSE, OP.DISPUTE_ACCEPT, OP.DISPUTE_REJECT, OP.DISPUTE_ESCALATE, OP.DISPUTE_RULE])
const ESCROW_OPS = new Set<number>([OP.ESCROW_PROPOSE, OP.ESCROW_SIGN, OP.ESCROW_FUNDED, OP.ESCROW_PAID, OP.JOB_LAPSE, OP.DISPUTE_RULING])

type Step = { next: JobRecord, clientOpenDelta: number } | null

function jobStep (job: JobRecord, op: Op, author: Uint8Array, escrowOn: boolean, settings: MarketSettings | null): Step {
  const esc = job.escrow ?? null
  if (op.type === OP.JOB_CREATE || op.type === OP.MARKET_INIT || op.type === OP.MARKET_SETTINGS) return null
  const check = checkTransition(job, op.type, author, escrowOn)
  if (!check.ok) return null
  const next: JobRecord = { ...job, updatedAt: op.at, history: job.history.slice() }
  const entry = (action: number, note = ''): HistoryEntry => ({ action, from: next.status, to: check.to, by: author, at: op.at, note })
  let clientOpenDelta = 0

  switch (op.type) {
    case OP.JOB_UPDATE: {
      if (job.updates >= LIMITS.updatesPerJob) return null
      if (checkJobFields(op.patch) !== null) return null
      Object.assign(next, op.patch)
      next.updates = job.updates + 1
      next.history.push(entry(op.type))
      break
    }
    case OP.JOB_CANCEL:
      next.history.push(entry(op.type))
      next.status = check.to
      clientOpenDelta = -1
      break
    case OP.JOB_ACCEPT:
      if (escrowOn) {
        const e = op.escrow ?? null
        if (e === null || settings === null) return null
        const rec = acceptEscrow(job, e, author, op.at, settings)
        if (rec === null) return null
        next.escrow = rec
      } else if (op.escrow !== undefined && op.escrow !== null) {
        return null // escrow fields in a market without escrow: the printer expects money to be locked; it will not be
      }
      next.history.push(entry(op.type))
      next.status = check.to
      next.printer = author
      clientOpenDelta = -1
      if (!escrowOn) {
        next.history.push({ action: ACTION_AUTO_ACTIVATE, from: 'accepted', to: 'active', by: author, at: op.at, note: 'no escrow in this market' })
        next.status = 'active'
      }
      break
    case OP.JOB_WITHDRAW:
      if (esc !== null && sigOf(esc, 'funding', 'printer') !== undefined) return null
      next.history.push(entry(op.type))
      next.status = check.to
      next.printer = null
      next.escrow = null
      clientOpenDelta = 1
      break
    case OP.JOB_SHIP: {
      const psbt = op.psbt ?? null
      if (esc !== null) {
        // the printer's signature on the `complete` payout travels with the ship
        if (psbt === null) return null
        const sig = inspectSig(esc, psbt, 'printer', 'complete')
        if (sig === null) return null
        next.escrow = { ...esc, sigs: [...esc.sigs, sig] }
      } else if (psbt !== null) {
        return null
      }
      next.history.push(entry(op.type, op.note))
      next.status = check.to
      break
    }
    case OP.JOB_COMPLETE: {
      const txid = op.payoutTxid ?? null
      if (esc !== null) {
        const sig = sigOf(esc, 'complete', 'printer')
        if (txid === null || sig === undefined || !b4a.equals(sig.txid, txid)) return null
        next.escrow = { ...esc, closed: { kind: 'complete', txid } }
      } else if (txid !== null) {
        return null
      }
      next.history.push(entry(op.type))
      next.status = check.to
      break
    }
    case OP.JOB_DISPUTE:
      if (op.reason.trim().length === 0) return null
      next.history.push(entry(op.type, op.reason))
      next.status = check.to
      break
    default:
      return null
  }
  return { next, clientOpenDelta }
}

async function commit (b: Batch, job: JobRecord, next: JobRecord, author: Uint8Array, writer: WriterRecord, clientOpenDelta: number): Promise<void> {
  await putJob(b, job, next)
  await reputationOnJob(b, job, next) // peer stats (lib/reputation)
  if (next.status !== job.status) {
    const stats = await getStats(b)
    const from = STATUSES.indexOf(job.status)
    stats.byStatus[from] = Math.max(0, stats.byStatus[from] - 1)
    stats.byStatus[STATUSES.indexOf(next.status)]++
    await putStats(b, stats)
  }
  const authorIsClient = b4a.equals(job.client, author)
  const authorRecord = { ...writer, ops: writer.ops + 1 }
  if (authorIsClient) authorRecord.openJobs = Math.max(0, authorRecord.openJobs + clientOpenDelta)
  await putWriter(b, author, authorRecord)
  if (clientOpenDelta !== 0 && !authorIsClient) {
    const client = await getWriter(b, job.client)
    await putWriter(b, job.client, { ...client, openJobs: Math.max(0, client.openJobs + clientOpenDelta) })
  }
}

async function createJob (b: Batch, op: Extract<Op, { type: typeof OP.JOB_CREATE }>, author: Uint8Array, length: number, writer: WriterRecord): Promise<boolean> {
  if (checkJobFields(op.job) !== null) return false
  const file = op.file ?? null
  if (file !== null && checkFileRef(file) !== null) return false
  if (writer.openJobs >= LIMITS.openJobsPerClient) return false
  const id = jobIdFor(author, length)
  if ((await getJob(b, id)) !== null) return false
  const stats = await getStats(b)
  const seq = stats.jobs
  const job: JobRecord = {
    ...op.job,
    id,
    seq,
    client: author,
    printer: null,
    status: 'open',
    createdAt: op.at,
    updatedAt: op.at,
    updates: 0,
    file,
    escrow: null,
    history: [{ action: OP.JOB_CREATE, from: null, to: 'open', by: author, at: op.at, note: '' }]
  }
  await putJob(b, null, job)
  stats.jobs++
  stats.byStatus[STATUSES.indexOf('open')]++
  await putStats(b, stats)
  await putWriter(b, author, { ops: writer.ops + 1, jobs: writer.jobs + 1, openJobs: writer.openJobs + 1 })
  return true
}

// --- escrow (lib/escrow/PROTOCOL.md) ----------------------------------------------------------------------------
// Everything here is structural: who may write what in which state, sizes, and that a PSBT carries signatures by
// the author's keys only. Whether a transaction is the one the job's record defines is checked by each party's
// engine (checkPsbt against its own rebuild) before it signs anything further; apply never touches the chain.

async function applySettings (b: Batch, op: Extract<Op, { type: typeof OP.MARKET_SETTINGS }>, author: Uint8Array, writer: WriterRecord): Promise<boolean> {
  const meta = await getMeta(b)
  if (meta === null || !b4a.equals(meta.creator, author)) return false
  const s = op.settings
  const prev = await getSettings(b)
  if (prev.chain !== '' && s.chain !== prev.chain) return false // the chain is set once
  if (s.depositPct < 1 || s.depositPct > 100 || s.arbitrationFeePct > s.depositPct) return false
  if (s.fundingDepth < 1 || s.fundingDepth > 1000 || s.refundDelayBlocks < 1 || s.refundDelayBlocks > 100_000) return false
  if (s.fundingTimeoutSecs < 1) return false
  for (let i = 0; i < s.arbitrators.length; i++) {
    const a = s.arbitrators[i]
    if (!isCompressedKey(a.pubkey)) return false
    for (let k = 0; k < i; k++) if (b4a.equals(s.arbitrators[k].id, a.id) || b4a.equals(s.arbitrators[k].pubkey, a.pubkey)) return false
  }
  await putSettings(b, s)
  await putWriter(b, author, { ...writer, ops: writer.ops + 1 })
  return true
}

function isCompressedKey (k: Uint8Array): boolean {
  return k.byteLength === 33 && (k[0] === 0x02 || k[0] === 0x03)
}

function isP2wpkh (s: Uint8Array): boolean {
  return s.byteLength === 22 && s[0] === 0x00 && s[1] === 0x14
}

function isStandardPayout (s: Uint8Array): boolean {
  // P2WPKH, P2WSH, P2TR (segwit v0/v1 programs of 20 or 32 bytes)
  if (s.byteLength === 22) return s[0] === 0x00 && s[1] === 0x14
  if (s.byteLength === 34) return (s[0] === 0x00 || s[0] === 0x51) && s[1] === 0x20
  return false
}

function checkParty (e: EscrowParty): boolean {
  if (!isCompressedKey(e.pubkey)) return false
  if (!isP2wpkh(e.payoutScript) || !isP2wpkh(e.changeScript)) return false
  if (e.inputs.length < 1) return false
  if (!(e.feeRate >= MIN_FEE_RATE && e.feeRate <= DEFAULT_MAX_FEE_RATE)) return false
  const seen = new Set<string>()
  for (const c of e.inputs) {
    if (!isP2wpkh(c.script) || c.valueSats < 1 || c.vout > 0xffffffff) return false
    const k = b4a.toString(c.txid, 'hex') + ':' + c.vout
    if (seen.has(k)) return false
    seen.add(k)
  }
  return true
}

// The arbitrator of a job: arbitrators[u32be(sha256(jobId)) mod n] of the settings in force at the accept.
export function arbitratorIndex (jobId: Uint8Array, n: number): number {
  const h = bitcoin.crypto.sha256(jobId)
  return (((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0) % n
}

function acceptEscrow (job: JobRecord, e: EscrowParty, author: Uint8Array, at: number, s: MarketSettings): EscrowRecord | null {
  if (s.arbitrators.length === 0) return null // no third key: no escrow can be built
  try {
    escrowAmounts({ bountySats: BigInt(job.bountySats), depositPct: BigInt(s.depositPct) })
  } catch {
    return null
  }
  if (!checkParty(e)) return null
  const arb = s.arbitrators[arbitratorIndex(job.id, s.arbitrators.length)]
  if (b4a.equals(arb.pubkey, e.pubkey) || b4a.equals(arb.id, author) || b4a.equals(arb.id, job.client)) return null
  return {
    arbitrator: arb.id,
    arbitratorPubkey: arb.pubkey,
    depositPct: s.depositPct,
    arbitrationFeePct: s.arbitrationFeePct,
    fundingDepth: s.fundingDepth,
    fundingTimeoutSecs: s.fundingTimeoutSecs,
    refundDelayBlocks: s.refundDelayBlocks,
    acceptedAt: at,
    printer: e,
    client: null,
    sigs: [],
    fundingTxid: null,
    ruling: null,
    closed: null
  }
}

export function sigOf (e: EscrowRecord, kind: SignKind, role: SignerRole): EscrowRecord['sigs'][number] | undefined {
  return e.sigs.find(s => s.kind === kind && s.role === role)
}

// Both parties' signatures of a kind, when they are for the same transaction.
export function pairOf (e: EscrowRecord, kind: SignKind): [EscrowRecord['sigs'][number], EscrowRecord['sigs'][number]] | null {
  const c = sigOf(e, kind, 'client')
  const p = sigOf(e, kind, 'printer')
  if (c === undefined || p === undefined || !b4a.equals(c.txid, p.txid)) return null
  return [c, p]
}

function reverse (b: Uint8Array): Uint8Array {
  return b4a.from(b).reverse()
}

// Parses a PSBT and checks that every signature in it is by a key of `role` in this job: on the escrow input its
// escrow key; on a funding input, the key of a coin this role brought. At least one signature. Returns the record
// entry (with the unsigned txid), or null.
export function inspectSig (e: EscrowRecord, bytes: Uint8Array, role: SignerRole, kind: SignKind): EscrowRecord['sigs'][number] | null {
  if (sigOf(e, kind, role) !== undefined) return null
  let psbt: bitcoin.Psbt
  let txid: Uint8Array
  try {
    psbt = bitcoin.Psbt.fromBuffer(b4a.from(bytes))
    txid = reverse(unsignedTx(psbt).getHash())
  } catch {
    return null
  }
  const escrowKey = role === 'client' ? e.client?.pubkey : role === 'printer' ? e.printer.pubkey : e.arbitratorPubkey
  if (escrowKey === undefined) return null
  const coins = role === 'client' ? e.client?.inputs ?? [] : role === 'printer' ? e.printer.inputs : []
  let count = 0
  for (let i = 0; i < psbt.inputCount; i++) {
    const d = psbt.data.inputs[i]
    const inp = psbt.txInputs[i]
    if (d.finalScriptWitness !== undefined || d.finalScriptSig !== undefined) return null
    for (const ps of d.partialSig ?? []) {
      count++
      if (kind === 'funding') {
        const id = reverse(inp.hash)
        const coin = coins.find(c => b4a.equals(c.txid, id) && c.vout === inp.index)
        if (coin === undefined) return null
        if (!b4a.equals(bitcoin.crypto.hash160(b4a.from(ps.pubkey)), coin.script.subarray(2))) return null
      } else if (!b4a.equals(ps.pubkey, escrowKey)) {
        return null
      }
    }
  }
  if (count === 0) return null
  return { kind, role, psbt: bytes, txid }
}

function roleIn (job: JobRecord, author: Uint8Array): 'client' | 'printer' | null {
  if (b4a.equals(job.client, author)) return 'client'
  if (job.printer !== null && b4a.equals(job.printer, author)) return 'printer'
  return null
}

function escrowStep (job: JobRecord, op: Op, author: Uint8Array): Step {
  const e = job.escrow ?? null
  if (e === null || e.closed !== null) return null
  const role = roleIn(job, author)
  const next: JobRecord = { ...job, updatedAt: op.at, history: job.history.slice() }
  const move = (to: Status, note = ''): void => {
    next.history.push({ action: op.type, from: job.status, to, by: author, at: op.at, note })
    next.status = to
  }
  switch (op.type) {
    case OP.ESCROW_PROPOSE: {
      if (role !== 'client' || job.status !== 'accepted' || e.client !== null) return null
      const p = op.escrow
      if (!checkParty(p) || p.lockHeight < 1 || p.lockHeight >= 500_000_000) return null
      if (b4a.equals(p.pubkey, e.printer.pubkey) || b4a.equals(p.pubkey, e.arbitratorPubkey)) return null
      for (const c of p.inputs) {
        if (e.printer.inputs.some(q => b4a.equals(q.txid, c.txid) && q.vout === c.vout)) return null
      }
      next.escrow = { ...e, client: p }
      next.history.push({ action: op.type, from: job.status, to: job.status, by: author, at: op.at, note: '' })
      return { next, clientOpenDelta: 0 }
    }
    case OP.ESCROW_SIGN: {
      if (role === null) return null
      let ok = false
      if (op.kind === 'refund') ok = job.status === 'accepted' && e.client !== null
      // the funding is signed only once both have signed the refund: money is never locked without a way back
      else if (op.kind === 'funding') ok = job.status === 'accepted' && pairOf(e, 'refund') !== null
      else if (op.kind === 'cancel') ok = cancelAllowed(job)
      if (!ok) return null
      const sig = inspectSig(e, op.psbt, role, op.kind)
      if (sig === null) return null
      next.escrow = { ...e, sigs: [...e.sigs, sig] }
      next.history.push({ action: op.type, from: job.status, to: job.status, by: author, at: op.at, note: op.kind })
      return { next, clientOpenDelta: 0 }
    }
    case OP.ESCROW_FUNDED: {
      if (role === null || job.status !== 'accepted' || pairOf(e, 'refund') === null) return null
      const f = pairOf(e, 'funding')
      if (f === null || !b4a.equals(f[0].txid, op.txid)) return null
      next.escrow = { ...e, fundingTxid: op.txid }
      move('active')
      return { next, clientOpenDelta: 0 }
    }
    case OP.ESCROW_PAID: {
      if (op.kind === 'cancel') {
        const pair = pairOf(e, 'cancel')
        if (role === null || (job.status !== 'active' && job.status !== 'disputed') || pair === null || !b4a.equals(pair[0].txid, op.txid)) return null
        next.escrow = { ...e, closed: { kind: 'cancel', txid: op.txid } }
        move('cancelled', 'cancel')
      } else if (op.kind === 'refund') {
        const pair = pairOf(e, 'refund')
        if (role === null || pair === null || !b4a.equals(pair[0].txid, op.txid)) return null
        if (!['accepted', 'active', 'shipped', 'disputed'].includes(job.status)) return null
        // without a funding pair the funding can still have been completed and broadcast outside the protocol: its
        // refund is taken once the acceptance could lapse anyway (no more power than job/lapse gives either side)
        if (e.fundingTxid === null && pairOf(e, 'funding') === null && op.at < e.acceptedAt + e.fundingTimeoutSecs * 1000) return null
        next.escrow = { ...e, closed: { kind: 'refund', txid: op.txid } }
        move('cancelled', 'refund')
      } else if (op.kind === 'ruling') {
        const r = sigOf(e, 'ruling', 'arbitrator')
        // countersigned by either party (lib/disputes): printer share ≥ 50 % → completed, else cancelled
        if (job.status !== 'disputed' || e.ruling === null || r === undefined || role === null || !b4a.equals(r.txid, op.txid)) return null
        const pct = rulingPrinterPct(job) ?? 0
        next.escrow = { ...e, closed: { kind: 'ruling', txid: op.txid } }
        move(pct >= 50 ? 'completed' : 'cancelled', `ruling: printer ${pct} %`)
      } else if (op.kind === 'split') {
        // the mediator's proposal, accepted and signed by both (lib/disputes)
        const pair = pairOf(e, 'split')
        const d = job.dispute ?? null
        if (role === null || job.status !== 'disputed' || d === null || d.stage !== 'settled' || d.proposal === null || pair === null || !b4a.equals(pair[0].txid, op.txid)) return null
        next.escrow = { ...e, closed: { kind: 'split', txid: op.txid } }
        move(d.proposal.printerPct >= 50 ? 'completed' : 'cancelled', `split: printer ${d.proposal.printerPct} %`)
      } else {
        return null // complete is recorded by job/complete
      }
      return { next, clientOpenDelta: 0 }
    }
    case OP.JOB_LAPSE: {
      if (role === null || job.status !== 'accepted') return null
      if (op.at < e.acceptedAt + e.fundingTimeoutSecs * 1000) return null
      if (pairOf(e, 'funding') !== null) return null // fully signed: it is funded or will be refunded, not lapsed
      move('open')
      next.printer = null
      next.escrow = null
      return { next, clientOpenDelta: 1 }
    }
    case OP.DISPUTE_RULING: {
      if (job.status !== 'disputed' || !b4a.equals(author, e.arbitrator) || e.ruling !== null || e.fundingTxid === null || !rulingAllowed(job)) return null
      if (!isStandardPayout(op.feeScript)) return null
      const sig = inspectSig(e, op.psbt, 'arbitrator', 'ruling')
      if (sig === null) return null
      next.escrow = { ...e, ruling: { winner: op.winner, feeScript: op.feeScript }, sigs: [...e.sigs, sig] }
      next.history.push({ action: op.type, from: job.status, to: job.status, by: author, at: op.at, note: op.winner })
      return { next, clientOpenDelta: 0 }
    }
  }
  return null
}
