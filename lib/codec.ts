// Strict compact-encoding building blocks shared by every codec (ops, view records, chat, disputes): each one
// bounds what it decodes, so a hostile op costs at most its own bytes and fails with a CodecError.
import c from 'compact-encoding'

export class CodecError extends Error {}

export function boundedString (maxChars: number): c.Encoder<string> {
  return {
    preencode (state, s) { c.string.preencode(state, s) },
    encode (state, s) { c.string.encode(state, s) },
    decode (state) {
      const s = c.string.decode(state)
      if (s.length > maxChars) throw new CodecError(`string longer than ${maxChars} characters`)
      return s
    }
  }
}

export function boundedBytes (min: number, max: number): c.Encoder<Uint8Array> {
  return {
    preencode (state, b) { c.buffer.preencode(state, b) },
    encode (state, b) { c.buffer.encode(state, b) },
    decode (state) {
      const b = c.buffer.decode(state)
      if (b === null || b.byteLength < min || b.byteLength > max) throw new CodecError(`bytes of a length outside ${min}–${max}`)
      return b
    }
  }
}

export function boundedArray<T> (enc: c.Encoder<T>, max: number): c.Encoder<T[]> {
  return {
    preencode (state, arr) {
      c.uint.preencode(state, arr.length)
      for (const v of arr) enc.preencode(state, v)
    },
    encode (state, arr) {
      c.uint.encode(state, arr.length)
      for (const v of arr) enc.encode(state, v)
    },
    decode (state) {
      const n = c.uint.decode(state)
      if (n > max) throw new CodecError(`list longer than ${max}`)
      const out: T[] = []
      for (let i = 0; i < n; i++) out.push(enc.decode(state))
      return out
    }
  }
}

export function enumOf<T extends string> (values: readonly T[]): c.Encoder<T> {
  return {
    preencode (state, v) { c.uint.preencode(state, values.indexOf(v)) },
    encode (state, v) {
      const i = values.indexOf(v)
      if (i === -1) throw new CodecError(`unknown value ${v}`)
      c.uint.encode(state, i)
    },
    decode (state) {
      const i = c.uint.decode(state)
      if (i >= values.length) throw new CodecError(`unknown enum index ${i}`)
      return values[i]
    }
  }
}

export function optional<T> (enc: c.Encoder<T>): c.Encoder<T | null> {
  return {
    preencode (state, v) { c.bool.preencode(state, v !== null); if (v !== null) enc.preencode(state, v) },
    encode (state, v) { c.bool.encode(state, v !== null); if (v !== null) enc.encode(state, v) },
    decode (state) { return c.bool.decode(state) ? enc.decode(state) : null }
  }
}

export const safeUint: c.Encoder<number> = {
  preencode (state, n) { c.uint.preencode(state, n) },
  encode (state, n) { c.uint.encode(state, n) },
  decode (state) {
    const n = c.uint.decode(state)
    if (!Number.isSafeInteger(n)) throw new CodecError('integer out of range')
    return n
  }
}

export const finite: c.Encoder<number> = {
  preencode (state, n) { c.float64.preencode(state, n) },
  encode (state, n) { c.float64.encode(state, n) },
  decode (state) {
    const n = c.float64.decode(state)
    if (!Number.isFinite(n)) throw new CodecError('number is not finite')
    return n
  }
}

// A record encoded as its fields in order (fields are only ever appended).
export function struct<T> (fields: Array<[keyof T & string, c.Encoder<any>]>): c.Encoder<T> {
  return {
    preencode (state, v) { for (const [k, e] of fields) e.preencode(state, (v as any)[k]) },
    encode (state, v) { for (const [k, e] of fields) e.encode(state, (v as any)[k]) },
    decode (state) {
      const out: Record<string, unknown> = {}
      for (const [k, e] of fields) out[k] = e.decode(state)
      return out as T
    }
  }
}

// A safe integer no larger than `max` (counts, heights, percentages: every derived sum stays far below 2^53).
export function boundedUint (max: number): c.Encoder<number> {
  return {
    preencode (state, n) { c.uint.preencode(state, n) },
    encode (state, n) { c.uint.encode(state, n) },
    decode (state) {
      const n = c.uint.decode(state)
      if (!Number.isSafeInteger(n) || n > max) throw new CodecError(`integer above ${max}`)
      return n
    }
  }
}

// Times are milliseconds since 1970, the author's own statement: at most MAX_TIME_MS (the year 2286), so a deadline
// computed from one (a time plus days) is still an exact integer.
export const MAX_TIME_MS = 10_000_000_000_000
export const time = boundedUint(MAX_TIME_MS)

// Amounts in satoshis: at most 21 million BTC.
export const MAX_SATS = 2_100_000_000_000_000
export const sats = boundedUint(MAX_SATS)

// A finite float within [min, max] (fee rates, sizes).
export function boundedFinite (min: number, max: number): c.Encoder<number> {
  return {
    preencode (state, n) { c.float64.preencode(state, n) },
    encode (state, n) { c.float64.encode(state, n) },
    decode (state) {
      const n = c.float64.decode(state)
      if (!Number.isFinite(n) || n < min || n > max) throw new CodecError(`number outside ${min}…${max}`)
      return n
    }
  }
}
