// What every part of the schema shares: the materials and statuses, job ids and writer keys, and the error a
// decoder throws.
import c from 'compact-encoding'
import { CodecError, boundedString, enumOf } from '../codec.js'

export const MATERIALS = ['PLA', 'ABS', 'PETG', 'TPU', 'Nylon', 'Resin', 'Other'] as const
export type Material = typeof MATERIALS[number]

export const STATUSES = ['open', 'accepted', 'active', 'shipped', 'completed', 'cancelled', 'disputed'] as const
export type Status = typeof STATUSES[number]

export const JOB_ID_BYTES = 16

export class SchemaError extends CodecError {}

// --- bounded primitives --------------------------------------------------------------------------------------

export const country = boundedString(2)
export const material = enumOf(MATERIALS)
export const status = enumOf(STATUSES)
export const jobId = c.fixed(JOB_ID_BYTES)
export const key = c.fixed32
