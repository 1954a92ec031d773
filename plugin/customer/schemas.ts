import type { FromSchema } from 'json-schema-to-ts'
import { createAjv, fieldErrors } from '../validation.ts'

export const prechatBody = {
  $id: 'lc/customer/prechat',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'email', 'question'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 120, pattern: '\\S' },
    email: { type: 'string', format: 'email', maxLength: 200 },
    question: { type: 'string', minLength: 1, maxLength: 4000, pattern: '\\S' },
    _csrf: { type: 'string', maxLength: 200 }
  }
} as const
export type PrechatBody = FromSchema<typeof prechatBody>

const validate = createAjv().compile(prechatBody)
const validSample = { name: 'x', email: 'x@example.com', question: 'x' }

/**
 * Trims the pre-chat form and checks it. Ajv stops at the first error, and a form should
 * show every problem at once, so each field is checked beside valid values for the others.
 */
export function readPrechat (body: unknown): { values: { name: string, email: string, question: string }, errors: Record<string, string> } {
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const text = (v: unknown): string => typeof v === 'string' ? v.trim() : ''
  const values = { name: text(raw.name), email: text(raw.email), question: text(raw.question) }
  const errors: Record<string, string> = {}
  for (const key of ['name', 'email', 'question'] as const) {
    if (!validate({ ...validSample, [key]: values[key] })) errors[key] = fieldErrors(validate.errors)[key] ?? `${key} is invalid`
  }
  return { values, errors }
}
