import type { FromSchema } from 'json-schema-to-ts'
import type { Distribution } from '../routing/service.ts'
import { csrfField as csrf, idField as intId } from '../security/schemas.ts'
import { checkbox, defineForm, type FormState, type FormValues, select, text, type ValuesOf } from '../web/forms.ts'

/*
 * Requests of the live chat administration page and the Active Live Chat Groups page.
 * Form fields arrive as strings (the body is not coerced), so the schemas bound their
 * shape and length; the forms below check each field against them, trim it, apply the
 * rules a person can fix (required, 1–50) and collect every problem at once, each beside
 * its field (plugin/web/forms.ts).
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

// ---------------------------------------------------------------- the forms

export const messages = {
  limit: `Enter a whole number of chats from ${chatLimit.min} to ${chatLimit.max}`,
  memberLimit: `Enter a whole number of chats from ${chatLimit.min} to ${chatLimit.max}, or leave it blank for the group's limit`,
  ahead: 'Put {ahead} where the number of people ahead should appear'
}

/** A chat limit as typed: a whole number in range (blank is caught before, by `required` or as the group's limit). */
function chatLimitRule (blankAllowed: boolean) {
  return (text: string): string | null => {
    const n = /^[0-9]{1,3}$/.test(text) ? Number(text) : NaN
    return n >= chatLimit.min && n <= chatLimit.max ? null : blankAllowed ? messages.memberLimit : messages.limit
  }
}

export interface DepartmentInput {
  name: string
  queuePositionMessage: string | null
  queuePositionMessageOne: string | null
  queueNextMessage: string | null
  /** Only on the edit form: null for none, undefined when the form has no such field. */
  defaultGroupId?: number | null
}

// Blank queue messages fall back to the settings.
const departmentFields = {
  name: text({ label: 'Name', required: true }),
  queue_position_message: text({ label: 'Position in line', check: (v) => v.includes('{ahead}') ? null : messages.ahead }),
  queue_position_message_one: text({ label: 'One person ahead' }),
  queue_next_message: text({ label: 'Next in line' })
}

const departmentInput = (v: ValuesOf<typeof departmentFields>): DepartmentInput => ({
  name: v.name,
  queuePositionMessage: v.queue_position_message || null,
  queuePositionMessageOne: v.queue_position_message_one || null,
  queueNextMessage: v.queue_next_message || null
})

/** The create department form (no default group: the department has no groups yet). */
export const newDepartmentForm = defineForm(departmentFields, {
  schema: { schema: newDepartmentBody, sample: { name: 'x' } },
  input: departmentInput
})

/** The edit department form, with its default group. */
export const departmentForm = defineForm({ ...departmentFields, default_group_id: text({ label: 'Default group' }) }, {
  schema: { schema: departmentBody, sample: { name: 'x' } },
  input: (v) => ({ ...departmentInput(v), defaultGroupId: v.default_group_id ? Number(v.default_group_id) : null })
})

export interface GroupInput { name: string, distribution: Distribution, defaultMaxChats: number, enabled?: boolean }

const groupFields = {
  name: text({ label: 'Name', required: true }),
  // The schema holds the list (and says a missing one is required).
  distribution: select(undefined, { label: 'Distribution' }),
  default_max_chats: text({ label: 'Chat limit', required: messages.limit, check: chatLimitRule(false) })
}
const groupSample = { name: 'x', distribution: 'cherry_pick', default_max_chats: '1' }
const groupInput = (v: ValuesOf<typeof groupFields>): GroupInput => ({ name: v.name, distribution: v.distribution as Distribution, defaultMaxChats: Number(v.default_max_chats) })

/** The create group form. */
export const newGroupForm = defineForm(groupFields, { schema: { schema: newGroupBody, sample: groupSample }, input: groupInput })

/** The edit group form: only it has the Enabled box (unticked sends nothing). */
export const groupForm = defineForm({ ...groupFields, enabled: checkbox() }, {
  schema: { schema: groupBody, sample: groupSample },
  input: (v) => ({ ...groupInput(v), enabled: v.enabled })
})

/** Add an agent to a group by their username. */
export const addMemberForm = defineForm({ username: text({ label: 'Username', required: true }) }, {
  schema: { schema: addMemberBody, sample: { username: 'x' } },
  input: (v) => v.username
})

export interface MemberInput { active?: boolean, maxChats?: number | null }

/**
 * A member row's change, one field at a time: `active` from its switch button, `max_chats`
 * from its limit field (blank is the group's limit). What the row did not send stays as it is.
 */
export const memberForm = defineForm({
  active: select(undefined, { label: 'Active' }),
  max_chats: text({ label: 'Chat limit', check: chatLimitRule(true) })
}, {
  partial: true,
  schema: { schema: memberBody, sample: {} },
  input: (v): MemberInput => ({
    ...(v.active === undefined ? {} : { active: v.active === 'on' }),
    ...(v.max_chats === undefined ? {} : { maxChats: v.max_chats === '' ? null : Number(v.max_chats) })
  })
})

export type DepartmentFormState = FormState<FormValues<typeof departmentForm>>
export type GroupFormState = FormState<FormValues<typeof groupForm>>
export type AddMemberFormState = FormState<FormValues<typeof addMemberForm>>
export type MemberFormState = FormState<FormValues<typeof memberForm>>
