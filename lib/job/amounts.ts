// Amounts, fee rates, percentages and ratings as a person types them (command-line flags, the app's forms):
// checked before any network, with messages that name the flag.
import { parseBtc } from '../btc.js'
import { BAD_ARGUMENT } from '../errors.js'

export function parseSendAmount (btc: string): bigint {
  const sats = parseBtc(btc.trim())
  if (sats === null || sats === 0) throw BAD_ARGUMENT(`${JSON.stringify(btc)} is not an amount in BTC: use a decimal number with at most 8 decimals`)
  return BigInt(sats)
}

export function parseFeeRate (text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const feeRate = Number(text)
  if (!Number.isFinite(feeRate) || feeRate < 1 || feeRate > 1000) throw BAD_ARGUMENT('--fee-rate must be a number of sat/vB from 1 to 1000')
  return feeRate
}

export function parsePct (text: string | undefined, flag: string): number {
  if (text === undefined) throw BAD_ARGUMENT(`${flag} N is required (a whole percentage from 0 to 100)`)
  const n = Number(text)
  if (!Number.isInteger(n) || n < 0 || n > 100) throw BAD_ARGUMENT(`${flag} must be a whole percentage from 0 to 100`)
  return n
}

export function parseRating (text: string | undefined): number {
  if (text === undefined) throw BAD_ARGUMENT('job review needs --rating N (1 to 5)')
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1 || n > 5) throw BAD_ARGUMENT('--rating must be a whole number from 1 to 5')
  return n
}
