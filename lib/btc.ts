// Bitcoin amounts typed by people, parsed exactly: decimal strings to integer satoshis, never through floats.
import { LIMITS } from './schema/limits.js'

export const SATS_PER_BTC = 100_000_000

export function parseBtc (text: string): number | null {
  const s = text.trim()
  const m = /^(\d{1,8})(?:\.(\d{0,8}))?$/.exec(s) ?? /^()\.(\d{1,8})$/.exec(s)
  if (m === null) return null
  const whole = m[1] === '' ? 0 : Number(m[1])
  const frac = Number((m[2] ?? '').padEnd(8, '0'))
  const sats = whole * SATS_PER_BTC + frac
  if (!Number.isSafeInteger(sats) || sats > LIMITS.maxBountySats) return null
  return sats
}

export function formatBtc (sats: number): string {
  const whole = Math.floor(sats / SATS_PER_BTC)
  const frac = String(sats % SATS_PER_BTC).padStart(8, '0').replace(/0+$/, '')
  return frac.length === 0 ? String(whole) : `${whole}.${frac}`
}
