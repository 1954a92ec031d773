import type { FromSchema } from 'json-schema-to-ts'
import { csrfField, idField } from '../security/schemas.ts'
import { checkbox, checkboxes, defineForm, type FormState, type FormValues, hidden, text } from '../web/forms.ts'
import { type FieldsBodyOf, fieldsBodySchema } from '../web/lists/columns.ts'
import type { StartThread } from './service.ts'
import type { RelatedKind } from './types.ts'

/*
 * Instant messages (docs/features.md#instant-messages): the list, the New
 * form, a thread's page and the conversation routes rooms share. Lengths of what people
 * type (a message, a search) are the service's to judge where the answer is a form with
 * the text kept; maxLength here only bounds the request.
 */

/** An agent id as the host gives it (the same shape the chat lists accept). */
const agentId = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.@-]{1,64}$' } as const
/** Ticked agents: one checkbox arrives as a string, several as an array. */
const agentIds = { anyOf: [agentId, { type: 'array', maxItems: 200, items: agentId }] } as const
const conversationId = { type: 'string', pattern: '^[1-9][0-9]{0,9}$' } as const
/** Ticked conversations of the list. */
const conversationIds = { anyOf: [conversationId, { type: 'array', maxItems: 200, items: conversationId }] } as const
/** `chat:42` or `ticket:INC000042`: what a new thread is about (the Related tag). */
export const relatedPattern = '^(chat:[1-9][0-9]{0,9}|ticket:[A-Za-z0-9_.-]{1,64})$'
const related = { type: 'string', maxLength: 80, pattern: relatedPattern } as const
const body = { type: 'string', maxLength: 100000 } as const
const clientMsgId = { type: 'string', minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' } as const
/** The agent search of the New form and the list's search box: the service says how long a search may be, beside the box. */
const search = { type: 'string', maxLength: 1000 } as const

export const imParams = {
  $id: 'lc/im/params',
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: idField }
} as const
export type ImParams = FromSchema<typeof imParams>

/** The Instant Messages list: which view (by status, Deleted Items, one agent's), and the search box. */
export const imListQuery = {
  $id: 'lc/im/list-query',
  type: 'object',
  additionalProperties: false,
  properties: {
    view: { enum: ['active', 'inactive', 'deleted', 'agent'] },
    agent: { type: 'string', maxLength: 64, pattern: '^([A-Za-z0-9_.@-]{1,64})?$' },
    q: search
  }
} as const
export type ImListQuery = FromSchema<typeof imListQuery>

/** The New form, opened with agents ticked (`agent`) and what it is about (`related`). */
export const imNewQuery = {
  $id: 'lc/im/new-query',
  type: 'object',
  additionalProperties: false,
  properties: {
    agent: agentIds,
    related,
    q: search
  }
} as const
export type ImNewQuery = FromSchema<typeof imNewQuery>

/** The New form's agent search: what was typed, and the agents ticked so far (kept ticked). */
export const imAgentsQuery = {
  $id: 'lc/im/agents-query',
  type: 'object',
  additionalProperties: false,
  properties: {
    q: search,
    agent_ids: agentIds
  }
} as const
export type ImAgentsQuery = FromSchema<typeof imAgentsQuery>

/** New → Send: the agents, the first message and what it is about. */
export const imStartBody = {
  $id: 'lc/im/start',
  type: 'object',
  additionalProperties: false,
  required: ['client_msg_id'],
  properties: {
    agent_ids: agentIds,
    body,
    client_msg_id: clientMsgId,
    related,
    q: search,
    /** Sent from the New dialog (not its own page): a refusal re-renders it with the dialog's buttons. */
    modal: { enum: ['1'] },
    _csrf: csrfField
  }
} as const
export type ImStartBody = FromSchema<typeof imStartBody>

/**
 * A message in a thread or room. `place` says which composer sent it, so the answer
 * re-renders that one: the conversation's own, or a pop-up's Reply box.
 */
export const imMessageBody = {
  $id: 'lc/im/message',
  type: 'object',
  additionalProperties: false,
  required: ['client_msg_id'],
  properties: {
    body,
    client_msg_id: clientMsgId,
    place: { enum: ['page', 'popup'] },
    _csrf: csrfField
  }
} as const
export type ImMessageBody = FromSchema<typeof imMessageBody>

/** Older messages, when the conversation is scrolled to its top: those before `before`. */
export const imMessagesQuery = {
  $id: 'lc/im/messages-query',
  type: 'object',
  additionalProperties: false,
  required: ['before'],
  properties: { before: { type: 'integer', minimum: 1, maximum: 2147483647 } }
} as const
export type ImMessagesQuery = FromSchema<typeof imMessagesQuery>

/** Online Agents → Invite: the ticked agents. */
export const imInviteBody = {
  $id: 'lc/im/invite',
  type: 'object',
  additionalProperties: false,
  properties: { agent_ids: agentIds, _csrf: csrfField }
} as const
export type ImInviteBody = FromSchema<typeof imInviteBody>

/** Read up to `seq` (the page showed it). */
export const imReadBody = {
  $id: 'lc/im/read',
  type: 'object',
  additionalProperties: false,
  required: ['seq'],
  properties: { seq: { type: 'string', pattern: '^[0-9]{1,10}$' }, _csrf: csrfField }
} as const
export type ImReadBody = FromSchema<typeof imReadBody>

/** Join, Delete selected, Undelete selected and Transcript in the list's toolbar: the ticked conversations. */
export const imBulkBody = {
  $id: 'lc/im/bulk',
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { conversation_ids: conversationIds, _csrf: csrfField }
} as const
export type ImBulkBody = FromSchema<typeof imBulkBody>

/** The same ticks, on a GET (Transcript). */
export const imBulkQuery = {
  $id: 'lc/im/bulk-query',
  type: 'object',
  additionalProperties: false,
  properties: { conversation_ids: conversationIds }
} as const
export type ImBulkQuery = FromSchema<typeof imBulkQuery>

/** The list's columns, in their default order. */
export const imColumnKeys = ['name', 'status', 'startedBy', 'participants', 'created', 'lastMessage'] as const
export type ImColumnKey = typeof imColumnKeys[number]

/** View → Visible Fields of the list: per column a "show" box and a width in pixels. */
export const imFieldsBody = fieldsBodySchema('lc/im/fields', imColumnKeys)
export type ImFieldsBody = FieldsBodyOf<ImColumnKey>

// ---------------------------------------------------------------- the forms

/** `chat:42` or `ticket:INC000042` (already checked by the schema's pattern); blank is none. */
function relatedOf (raw: string): { kind: RelatedKind, ref: string } | undefined {
  if (raw === '') return undefined
  const at = raw.indexOf(':')
  return { kind: raw.slice(0, at) as RelatedKind, ref: raw.slice(at + 1) }
}

/**
 * New instant message. The route's JSON Schema bounds the request; whether the agents, the
 * message and what it is about will do is the service's to say (LC_ERR_IM_AGENTS,
 * LC_ERR_MESSAGE_*, LC_ERR_IM_RELATED), beside the field each is about. The message and the
 * search are kept as typed (the service trims the message it stores).
 */
export const newImForm = defineForm({
  agent_ids: checkboxes(),
  body: text({ trim: false }),
  related: hidden(),
  q: text({ trim: false }),
  client_msg_id: hidden(),
  /** Sent from the New dialog (not its own page): a refusal re-renders it with the dialog's buttons. */
  modal: checkbox('1')
}, {
  input: (v): StartThread => ({ agentIds: v.agent_ids, body: v.body, clientMsgId: v.client_msg_id, related: relatedOf(v.related) })
})
export type NewImFormState = FormState<FormValues<typeof newImForm>>

/** Where the service's refusals of a new thread are shown. */
export const newImRefusals = {
  LC_ERR_IM_AGENTS: 'agent_ids', LC_ERR_MESSAGE_EMPTY: 'body', LC_ERR_MESSAGE_TOO_LONG: 'body', LC_ERR_IM_RELATED: 'related'
} as const

export const imMessages = {
  noAgents: 'Tick at least one agent to invite'
}

/** Online Agents → Invite: the ticked agents; who may be invited is the service's to say (LC_ERR_IM_AGENTS). */
export const inviteForm = defineForm({
  agent_ids: checkboxes({ required: imMessages.noAgents })
}, { input: (v) => v.agent_ids })
export type InviteFormState = FormState<FormValues<typeof inviteForm>>

/** One field or many, each once. */
export function listOf<T extends string> (raw: T | T[] | undefined): T[] {
  return [...new Set(raw === undefined ? [] : Array.isArray(raw) ? raw : [raw])]
}
