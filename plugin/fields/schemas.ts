import type { FromSchema } from 'json-schema-to-ts'
import { csrfField as csrf, idField as intId, moveBody } from '../security/schemas.ts'

/**
 * A custom field's value as a form posts it: `f_<key>`. Lengths are checked by the service
 * (so an over-long value comes back beside its field); the bound here only caps the request.
 */
export const fieldInputName = '^f_[A-Za-z0-9_]{1,40}$'
export const valueProperties = { [fieldInputName]: { type: 'string', maxLength: 4000 } } as const

export const fieldParams = {
  $id: 'lc/fields/params',
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: intId }
} as const
export type FieldParams = FromSchema<typeof fieldParams>

/** The administrator's create and edit form. Wrong lengths and a bad key come back beside their fields. */
export const fieldBody = {
  $id: 'lc/fields/field',
  type: 'object',
  additionalProperties: false,
  properties: {
    label: { type: 'string', maxLength: 1000 },
    key: { type: 'string', maxLength: 1000 },
    type: { type: 'string', maxLength: 20 },
    options: { type: 'string', maxLength: 20000 },
    required: { enum: ['on'] },
    on_prechat: { enum: ['on'] },
    _csrf: csrf
  }
} as const
export type FieldBody = FromSchema<typeof fieldBody>

export { moveBody }
export type MoveBody = FromSchema<typeof moveBody>

/** Deleting a field: `confirm=yes` is required once chats have values for it (they go too). */
export const deleteBody = {
  $id: 'lc/fields/delete',
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { confirm: { enum: ['yes'] }, _csrf: csrf }
} as const
export type DeleteBody = FromSchema<typeof deleteBody>

/** An agent's Custom Fields tab: every field as `f_<key>`. */
export const valuesBody = {
  $id: 'lc/fields/values',
  type: ['object', 'null'],
  additionalProperties: false,
  patternProperties: valueProperties,
  properties: { _csrf: csrf }
} as const

/** The `f_<key>` entries of a posted form, by key. */
export function postedValues (body: unknown): Record<string, string> {
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw)) {
    if (/^f_[A-Za-z0-9_]{1,40}$/.test(name) && typeof value === 'string') out[name.slice(2)] = value
  }
  return out
}
