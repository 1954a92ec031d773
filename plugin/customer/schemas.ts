import type { FromSchema } from 'json-schema-to-ts'
import { postedValues, valueProperties } from '../fields/schemas.ts'
import { createAjv, fieldErrors } from '../validation.ts'

/** A department picked from the form's list: its id as the browser posts it (empty for "none posted"). */
const departmentField = { type: 'string', maxLength: 12, pattern: '^[0-9]*$' } as const

export const prechatBody = {
  $id: 'lc/customer/prechat',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'email', 'question'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 120, pattern: '\\S' },
    email: { type: 'string', format: 'email', maxLength: 200 },
    department: departmentField,
    question: { type: 'string', minLength: 1, maxLength: 4000, pattern: '\\S' },
    _csrf: { type: 'string', maxLength: 200 }
  },
  // The custom fields asked on the form (plugin/fields), as f_<key>; checked against their definitions.
  patternProperties: valueProperties
} as const
export type PrechatBody = FromSchema<typeof prechatBody>

/**
 * "This answered my question" on the suggested solutions page: the pre-chat form
 * carried along in hidden fields, and the article chosen. The article id is the host's,
 * checked against its knowledge base, not here.
 */
export const answeredBody = {
  $id: 'lc/customer/answered',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'email', 'question', 'article'],
  properties: {
    ...prechatBody.properties,
    article: { type: 'string', minLength: 1, maxLength: 64 }
  },
  patternProperties: valueProperties
} as const
export type AnsweredBody = FromSchema<typeof answeredBody>

/** Leave a message (DESIGN §5, offline): the pre-chat form's fields, with the message instead of the question. */
export const leaveMessageBody = {
  $id: 'lc/customer/leave-message',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'email', 'message'],
  properties: {
    name: prechatBody.properties.name,
    email: prechatBody.properties.email,
    department: departmentField,
    message: { type: 'string', minLength: 1, maxLength: 4000, pattern: '\\S' },
    _csrf: { type: 'string', maxLength: 200 }
  }
} as const
export type LeaveMessageBody = FromSchema<typeof leaveMessageBody>

/** `?department=<id>` on the pre-chat and leave-a-message pages: the department to preselect. */
export const departmentQuery = {
  $id: 'lc/customer/department-query',
  type: 'object',
  additionalProperties: false,
  properties: {
    department: { type: 'integer', minimum: 1, maximum: 2147483647 }
  }
} as const
export type DepartmentQuery = FromSchema<typeof departmentQuery>

export const fieldMessages = {
  unknownDepartment: 'Department: pick one of the departments in the list'
}

const labels: Record<string, string> = { name: 'Name', email: 'Email', department: 'Department', question: 'Question', message: 'Message' }

const ajv = createAjv()
const validatePrechat = ajv.compile(prechatBody)
const validateLeaveMessage = ajv.compile(leaveMessageBody)

export interface FormValues { name: string, email: string, department: string }
/** `fields`: the custom fields' answers by key, as typed (plugin/fields checks them). */
export type PrechatValues = FormValues & { question: string, fields?: Record<string, string> }
export type LeaveMessageValues = FormValues & { message: string }

/**
 * Trims a form and checks each field. Ajv stops at the first error, and a form should
 * show every problem at once, so each field is checked beside valid values for the others.
 */
function readForm<K extends string> (body: unknown, keys: readonly K[], validate: ReturnType<typeof ajv.compile>, sample: Record<K, string>): { values: Record<K, string>, errors: Record<string, string> } {
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const text = (v: unknown): string => typeof v === 'string' ? v.trim() : ''
  const values = Object.fromEntries(keys.map((k) => [k, text(raw[k])])) as Record<K, string>
  const errors: Record<string, string> = {}
  for (const key of keys) {
    if (validate({ ...sample, [key]: values[key] })) continue
    if (key === 'department') { errors[key] = fieldMessages.unknownDepartment; continue }
    const message = fieldErrors(validate.errors)[key] ?? `${key} is invalid`
    // The shared labels do not know every field of ours: name it the way the form does.
    errors[key] = message.startsWith(`${key} `) ? `${labels[key] ?? key}${message.slice(key.length)}` : message
  }
  return { values, errors }
}

export function readPrechat (body: unknown): { values: PrechatValues, errors: Record<string, string> } {
  const form = readForm(body, ['name', 'email', 'department', 'question'] as const, validatePrechat,
    { name: 'x', email: 'x@example.com', department: '', question: 'x' })
  return { values: { ...form.values, fields: postedValues(body) }, errors: form.errors }
}

export function readLeaveMessage (body: unknown): { values: LeaveMessageValues, errors: Record<string, string> } {
  return readForm(body, ['name', 'email', 'department', 'message'] as const, validateLeaveMessage,
    { name: 'x', email: 'x@example.com', department: '', message: 'x' })
}
