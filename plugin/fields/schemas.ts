import type { FromSchema } from 'json-schema-to-ts'
import { csrfField as csrf, idField as intId, moveBody } from '../security/schemas.ts'
import { checkbox, codePoints, defineForm, posted, select, text } from '../web/forms.ts'
import { type FieldType, fieldTypes } from './store.ts'

/** How long what the administrator and agents type may be, in characters; `options` is how many a choice may have. */
export const limits = { label: 80, key: 40, option: 80, options: 50, text: 500 }

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

const messages = {
  keyFormat: `Write the key with letters, digits and underscores only (up to ${limits.key}), like order_number`,
  typeUnknown: 'Type: choose one of the listed types',
  optionsNeeded: 'List at least two options, one per line',
  optionLong: (option: string) => `The option "${option.slice(0, 20)}…" is over ${limits.option} characters; shorten it`,
  optionsMany: `A choice can have at most ${limits.options} options`,
  optionTwice: (option: string) => `"${option}" is listed twice; list each option once`
}

/** A choice's options as listed in the textarea: one per line, blank lines left out. */
const optionsOf = (text: string): string[] => text.split('\n').map((o) => o.trim()).filter((o) => o !== '')

/** The options a choice needs: at least two, each once (ignoring case) and not too long. */
function checkOptions (text: string): string | null {
  const options = optionsOf(text)
  const seen = new Set<string>()
  const twice = options.find((o) => { const k = o.toLocaleLowerCase(); if (seen.has(k)) return true; seen.add(k); return false })
  const long = options.find((o) => codePoints(o) > limits.option)
  if (options.length < 2) return messages.optionsNeeded
  if (options.length > limits.options) return messages.optionsMany
  if (long) return messages.optionLong(long)
  if (twice) return messages.optionTwice(twice)
  return null
}

/**
 * The administrator's field form: every problem at once, beside its field. A blank type is
 * Text (the select's first option); options count only for a choice, and are kept as typed.
 */
export const fieldForm = defineForm({
  label: text({ label: 'Label', required: true, max: limits.label }),
  key: text({ label: 'Key', required: true, pattern: /^[A-Za-z0-9_]{1,40}$/, mismatch: messages.keyFormat }),
  type: select(fieldTypes, { unknown: messages.typeUnknown }),
  options: text({ trim: false, check: (options, values) => (values.type === 'choice' ? checkOptions(options) : null) }),
  required: checkbox(),
  on_prechat: checkbox()
}, {
  input: (v): FieldInput => {
    const type = (v.type || 'text') as FieldType
    return { label: v.label, key: v.key, type, options: type === 'choice' ? optionsOf(v.options) : [], required: v.required, onPrechat: v.on_prechat }
  }
})

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
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(posted(body))) {
    if (/^f_[A-Za-z0-9_]{1,40}$/.test(name) && typeof value === 'string') out[name.slice(2)] = value
  }
  return out
}

/** A custom field as the administrator's form gives it to the service. */
export interface FieldInput {
  label: string
  key: string
  type: FieldType
  options: string[]
  required: boolean
  onPrechat: boolean
}
