import type { ErrorObject, ValidateFunction } from 'ajv'
import type { FromSchema } from 'json-schema-to-ts'
import { csrfField as csrf, idField as intId } from '../security/schemas.ts'
import type { Distribution } from '../routing/store.ts'
import { createAjv, describeAjvError } from '../validation.ts'

/*
 * Requests of the live chat administration page and the Active Live Chat Groups page.
 * Form fields arrive as strings (the body is not coerced), so the schemas bound their
 * shape and length; the readers below trim them, apply the rules a person can fix
 * (required, 1–50) and collect every problem at once, each beside its field.
 */

/** Per-agent chat limits an administrator may set, for a group's default and for one member. */
export const chatLimit = { min: 1, max: 50 } as const

const name = { type: 'string', maxLength: 120 } as const
const queueMessage = { type: 'string', maxLength: 200 } as const
const limit = { type: 'string', maxLength: 10 } as const

export const idParams = {
  $id: 'lc/admin/id-params',
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: intId }
} as const
export type IdParams = FromSchema<typeof idParams>

export const memberParams = {
  $id: 'lc/admin/member-params',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'agentId'],
  properties: { id: intId, agentId: { type: 'string', minLength: 1, maxLength: 64 } }
} as const
export type MemberParams = FromSchema<typeof memberParams>

export const newDepartmentBody = {
  $id: 'lc/admin/new-department',
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name,
    queue_position_message: queueMessage,
    queue_position_message_one: queueMessage,
    queue_next_message: queueMessage,
    _csrf: csrf
  }
} as const

export const departmentBody = {
  $id: 'lc/admin/department',
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    ...newDepartmentBody.properties,
    default_group_id: { type: 'string', pattern: '^[0-9]{0,10}$' }
  }
} as const

export const newGroupBody = {
  $id: 'lc/admin/new-group',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'distribution', 'default_max_chats'],
  properties: {
    name,
    distribution: { enum: ['cherry_pick', 'round_robin'] },
    default_max_chats: limit,
    _csrf: csrf
  }
} as const

export const groupBody = {
  $id: 'lc/admin/group',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'distribution', 'default_max_chats'],
  properties: {
    ...newGroupBody.properties,
    enabled: { enum: ['on'] }
  }
} as const

export const addMemberBody = {
  $id: 'lc/admin/add-member',
  type: 'object',
  additionalProperties: false,
  required: ['username'],
  properties: { username: { type: 'string', maxLength: 100 }, _csrf: csrf }
} as const

/** One member's row on the administration page: the active switch, or their own limit (blank = the group's). */
export const memberBody = {
  $id: 'lc/admin/member',
  type: 'object',
  additionalProperties: false,
  properties: { active: { enum: ['on', 'off'] }, max_chats: limit, _csrf: csrf }
} as const

/** The Active Live Chat Groups page's Edit: the member's state in the group, set (not flipped), so a repeat is harmless. */
export const memberActiveBody = {
  $id: 'lc/admin/member-active',
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  // The status button sends `active`; the limit field sends `max_chats` (blank = the group's).
  properties: { active: { enum: ['on', 'off'] }, max_chats: limit, _csrf: csrf }
} as const
export type MemberActiveBody = FromSchema<typeof memberActiveBody>

// ---------------------------------------------------------------- reading forms

export interface FieldError { code: string, message: string }
export type FormErrors = Record<string, FieldError>
/** What a form is re-rendered with: the values as typed and the problems beside their fields. */
export interface FormState { values: Record<string, string>, errors: FormErrors }

const formCode = 'LC_ERR_FORM_INVALID'

const labels: Record<string, string> = {
  name: 'Name',
  queue_position_message: 'Position in line',
  queue_position_message_one: 'One person ahead',
  queue_next_message: 'Next in line',
  default_group_id: 'Default group',
  distribution: 'Distribution',
  default_max_chats: 'Chat limit',
  max_chats: 'Chat limit',
  username: 'Username',
  active: 'Active'
}

export const messages = {
  required: (label: string) => `${label} is required`,
  tooLong: (label: string, max: unknown) => `${label} can be at most ${String(max)} characters; shorten it`,
  choose: (label: string) => `${label}: choose one of the listed options`,
  limit: `Enter a whole number of chats from ${chatLimit.min} to ${chatLimit.max}`,
  memberLimit: `Enter a whole number of chats from ${chatLimit.min} to ${chatLimit.max}, or leave it blank for the group's limit`,
  ahead: 'Put {ahead} where the number of people ahead should appear'
}

function describe (field: string, e: ErrorObject): string {
  const label = labels[field] ?? field
  const p = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'required': return messages.required(label)
    case 'maxLength': return messages.tooLong(label, p.limit)
    case 'enum': return messages.choose(label)
    case 'type': return `${label} must be text`
    default: return `${label} is not valid; check it and try again`
  }
}

const compiled = new Map<string, ValidateFunction>()
function validator (schema: { $id: string }): ValidateFunction {
  let v = compiled.get(schema.$id)
  if (!v) compiled.set(schema.$id, v = createAjv().compile(schema))
  return v
}

/**
 * Checks each field on its own beside valid values for the others (Ajv stops at the first
 * error, a form should show them all) and returns the trimmed values. A problem outside
 * the fields (an unknown field) goes to `errors.form`.
 */
function readFields (schema: { $id: string }, sample: Record<string, string>, body: unknown, fields: string[]): FormState {
  const validate = validator(schema)
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const values: Record<string, string> = {}
  const errors: FormErrors = {}
  for (const field of fields) {
    const value = raw[field]
    values[field] = typeof value === 'string' ? value.trim() : ''
    const candidate: Record<string, unknown> = { ...sample }
    if (value === undefined) delete candidate[field]
    else candidate[field] = value
    if (!validate(candidate)) errors[field] = { code: formCode, message: describe(field, validate.errors![0]!) }
  }
  if (Object.keys(errors).length === 0 && !validate(raw)) {
    const e = validate.errors![0]!
    const message = e.keyword === 'additionalProperties'
      ? `This form has no field "${String((e.params as { additionalProperty: string }).additionalProperty)}"; reload the page and try again`
      : describeAjvError(e, 'form')
    errors.form = { code: formCode, message }
  }
  return { values, errors }
}

function requireName (form: FormState): void {
  if (!form.errors.name && form.values.name === '') form.errors.name = { code: formCode, message: messages.required('Name') }
}

/** A whole number in range, or undefined (with the error set) when the text is not one. */
function readLimit (form: FormState, field: string, blankAllowed: boolean): number | null | undefined {
  const text = form.values[field] ?? ''
  if (form.errors[field]) return undefined
  if (text === '' && blankAllowed) return null
  const n = /^[0-9]{1,3}$/.test(text) ? Number(text) : NaN
  if (n >= chatLimit.min && n <= chatLimit.max) return n
  form.errors[field] = { code: formCode, message: blankAllowed ? messages.memberLimit : messages.limit }
  return undefined
}

export interface DepartmentInput {
  name: string
  queuePositionMessage: string | null
  queuePositionMessageOne: string | null
  queueNextMessage: string | null
  /** Only on the edit form: null for none, undefined when the form has no such field. */
  defaultGroupId?: number | null
}

const queueFields = ['queue_position_message', 'queue_position_message_one', 'queue_next_message']

/** The create (no default group) or edit department form. Blank queue messages fall back to the settings. */
export function readDepartment (body: unknown, edit: boolean): FormState & { input?: DepartmentInput } {
  const schema = edit ? departmentBody : newDepartmentBody
  const fields = ['name', ...queueFields, ...(edit ? ['default_group_id'] : [])]
  const form = readFields(schema, { name: 'x' }, body, fields)
  requireName(form)
  const position = form.values.queue_position_message ?? ''
  if (!form.errors.queue_position_message && position !== '' && !position.includes('{ahead}')) {
    form.errors.queue_position_message = { code: formCode, message: messages.ahead }
  }
  if (Object.keys(form.errors).length > 0) return form
  const orNull = (field: string): string | null => form.values[field] || null
  const input: DepartmentInput = {
    name: form.values.name!,
    queuePositionMessage: orNull('queue_position_message'),
    queuePositionMessageOne: orNull('queue_position_message_one'),
    queueNextMessage: orNull('queue_next_message')
  }
  if (edit) input.defaultGroupId = form.values.default_group_id ? Number(form.values.default_group_id) : null
  return { ...form, input }
}

export interface GroupInput { name: string, distribution: Distribution, defaultMaxChats: number, enabled?: boolean }

/** The create or edit group form; only the edit form has the Enabled box (unticked sends nothing). */
export function readGroup (body: unknown, edit: boolean): FormState & { input?: GroupInput } {
  const form = readFields(edit ? groupBody : newGroupBody, { name: 'x', distribution: 'cherry_pick', default_max_chats: '1' }, body, ['name', 'distribution', 'default_max_chats'])
  requireName(form)
  const defaultMaxChats = readLimit(form, 'default_max_chats', false)
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  if (edit) form.values.enabled = raw.enabled === 'on' ? 'on' : ''
  if (Object.keys(form.errors).length > 0 || defaultMaxChats === undefined || defaultMaxChats === null) return form
  const input: GroupInput = { name: form.values.name!, distribution: form.values.distribution as Distribution, defaultMaxChats }
  if (edit) input.enabled = raw.enabled === 'on'
  return { ...form, input }
}

export function readAddMember (body: unknown): FormState & { username?: string } {
  const form = readFields(addMemberBody, { username: 'x' }, body, ['username'])
  if (!form.errors.username && form.values.username === '') form.errors.username = { code: formCode, message: messages.required('Username') }
  return Object.keys(form.errors).length > 0 ? form : { ...form, username: form.values.username! }
}

export interface MemberInput { active?: boolean, maxChats?: number | null }

/** A member row's change: `active` from its switch button, `max_chats` from its limit field (blank = group default). */
export function readMember (body: unknown): FormState & { input?: MemberInput } {
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const fields = ['active', 'max_chats'].filter((f) => raw[f] !== undefined)
  const form = readFields(memberBody, {}, body, fields)
  const input: MemberInput = {}
  if (raw.max_chats !== undefined) {
    const n = readLimit(form, 'max_chats', true)
    if (n !== undefined) input.maxChats = n
  }
  if (raw.active !== undefined && !form.errors.active) input.active = raw.active === 'on'
  return Object.keys(form.errors).length > 0 ? form : { ...form, input }
}
