// What every part of the schema shares: the materials and statuses, job ids and writer keys, and the error a
// decoder throws.
import c from 'compact-encoding'
import { CodecError, boundedString, enumOf } from '../codec.js'

import { MATERIALS, STATUSES, JOB_ID_BYTES } from './constants.js'
export { MATERIALS, STATUSES, JOB_ID_BYTES, type Material, type Status } from './constants.js'

export class SchemaError extends CodecError {}

// --- bounded primitives --------------------------------------------------------------------------------------

export const country = boundedString(2)
export const material = enumOf(MATERIALS)
export const status = enumOf(STATUSES)
export const jobId = c.fixed(JOB_ID_BYTES)
export const key = c.fixed32
