// The schema's plain constants, with no codec behind them: for modules that must load fast (the command line's
// entry, ids, amounts, the model analysis). lib/schema.ts exports them with everything else.
export const MATERIALS = ['PLA', 'ABS', 'PETG', 'TPU', 'Nylon', 'Resin', 'Other'] as const
export type Material = typeof MATERIALS[number]

export const STATUSES = ['open', 'accepted', 'active', 'shipped', 'completed', 'cancelled', 'disputed'] as const
export type Status = typeof STATUSES[number]

export const JOB_ID_BYTES = 16
