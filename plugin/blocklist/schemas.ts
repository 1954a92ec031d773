import type { FromSchema } from 'json-schema-to-ts'
import { LC_ERR_BLOCK_RANGE, LC_ERR_BLOCK_RANGE_HOST_BITS, LC_ERR_BLOCK_RANGE_WIDE } from '../errors.ts'
import { csrfField as csrf, idField } from '../security/schemas.ts'
import { defineForm, select, text } from '../web/forms.ts'
import { parseRange, widest } from './ranges.ts'
import type { NewBlock } from './service.ts'

export const limits = { range: 50, reason: 200 }

/** How long a new entry blocks: the choices of the form's Expires select, in ms (null: until removed). */
export const expiries = {
  never: { label: 'Never (until removed)', ms: null },
  '1h': { label: 'After 1 hour', ms: 3_600_000 },
  '1d': { label: 'After 1 day', ms: 86_400_000 },
  '7d': { label: 'After 7 days', ms: 7 * 86_400_000 },
  '30d': { label: 'After 30 days', ms: 30 * 86_400_000 },
  '90d': { label: 'After 90 days', ms: 90 * 86_400_000 }
} as const
export type Expiry = keyof typeof expiries

export const blockParams = {
  $id: 'lc/blocklist/params',
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: idField }
} as const

/** Adding an entry. Lengths are caps on the request only: the form's rules say what is wrong beside each field. */
export const blockBody = {
  $id: 'lc/blocklist/block',
  type: 'object',
  additionalProperties: false,
  properties: {
    range: { type: 'string', maxLength: 1000 },
    reason: { type: 'string', maxLength: 2000 },
    expires: { type: 'string', maxLength: 20 },
    _csrf: csrf
  }
} as const
export type BlockBody = FromSchema<typeof blockBody>

/** Why a written range is refused, as the field says it; null when it is fine. */
function rangeProblem (written: string) {
  const range = parseRange(written)
  if (!('problem' in range)) return null
  switch (range.problem) {
    case 'invalid': return new LC_ERR_BLOCK_RANGE()
    case 'host-bits': return new LC_ERR_BLOCK_RANGE_HOST_BITS(written, range.canonical)
    case 'wide': return new LC_ERR_BLOCK_RANGE_WIDE(String(range.prefix), String(widest[range.family]), `IPv${range.family}`)
  }
}

/** The administrator's form: every problem at once, beside its field. A blank Expires is Never. */
export const blockForm = defineForm({
  range: text({ label: 'Address or range', required: true, max: limits.range, check: rangeProblem }),
  reason: text({ label: 'Reason', required: 'Say why, so the next administrator knows whether it may go', max: limits.reason }),
  expires: select(Object.keys(expiries), { label: 'Expires' })
}, {
  input: (v): NewBlock => {
    const range = parseRange(v.range)
    return { range: 'problem' in range ? v.range : range.text, reason: v.reason, expiresInMs: expiries[(v.expires || 'never') as Expiry].ms }
  }
})
