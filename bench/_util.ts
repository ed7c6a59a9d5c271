// Small helpers shared by the benchmarks (not a benchmark itself: `npm run bench` lists the benches by name).
import crypto from 'crypto'
import fs from 'fs'
import os from 'os'
import path from 'path'
import type { JobFields, Material } from '../lib/schema.js'

export function sleep (ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

export async function tmpDir (name: string): Promise<string> {
  return fs.promises.mkdtemp(path.join(os.tmpdir(), `p2print-bench-${name}-`))
}

export async function rmDir (dir: string): Promise<void> {
  await fs.promises.rm(dir, { recursive: true, force: true })
}

// Nearest-rank percentile of an unsorted list.
export function percentile (xs: number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = xs.slice().sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * s.length)
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))]
}

export function median (xs: number[]): number {
  if (xs.length === 0) return NaN
  const s = xs.slice().sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

export function round (x: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

export function nowMs (): number {
  return Number(process.hrtime.bigint()) / 1e6
}

// Deterministic PRNG (mulberry32) so a run's data set is reproducible.
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function randomBytesFrom (rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256)
  return out
}

// A realistic job: title, a colour or two, short notes (so records are ~150–200 bytes, like a real post).
export function sampleJob (i: number, over: Partial<JobFields> = {}): JobFields {
  const materials: Material[] = ['PLA', 'PETG', 'ABS', 'TPU']
  return {
    title: `Bench part #${i} — bracket, 40 mm`,
    material: materials[i % materials.length],
    colors: ['black', 'red'],
    bountySats: 10_000 + (i % 1000) * 7,
    country: 'DE',
    notes: '0.2 mm layers, 20 % infill',
    ...over
  }
}

export function printResult (result: Record<string, unknown>): void {
  console.log('RESULT ' + JSON.stringify(result))
}

// Once everything is closed the process should exit on its own. If some handle stays open (a library bug), do not
// hang a CI job: this timer does not keep the process alive itself, so it only fires when something else does.
export function exitGuard (ms = 5000): void {
  setTimeout(() => {
    console.error(`warning: process still alive ${ms} ms after cleanup (an open handle); forcing exit`)
    process.exit(process.exitCode ?? 0)
  }, ms).unref()
}

export function env (name: string, fallback: number): number {
  const v = process.env[name]
  if (v === undefined || v === '') return fallback
  const n = Number(v)
  return Number.isFinite(n) && n > 0 ? n : fallback
}

// Deterministic pseudo-random bytes (a sha256 chain), so two processes can make the same payload.
export function payload (mib: number): Uint8Array {
  // deterministic bytes, so the parent can hash the same payload without receiving it twice
  const out = new Uint8Array(mib * 1024 * 1024)
  let seed = crypto.createHash('sha256').update('p2print transfer bench').digest()
  for (let off = 0; off < out.byteLength; off += 32) {
    seed = crypto.createHash('sha256').update(seed).digest()
    out.set(seed.subarray(0, Math.min(32, out.byteLength - off)), off)
  }
  return out
}
