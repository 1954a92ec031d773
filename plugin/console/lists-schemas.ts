import type { FromSchema } from 'json-schema-to-ts'
import { type FieldsBodyOf, fieldsBodySchema } from '../web/lists/columns.ts'

/** The columns of every chat list, in their default order; also the sort keys. */
export const listColumnKeys = ['status', 'user', 'group', 'started', 'queue', 'idle', 'messages', 'agent'] as const
/** What a list sorts by: its columns, and when a chat was deleted (Deleted Items' own column). */
export const listSortKeys = [...listColumnKeys, 'deleted'] as const
export type ListSortKey = typeof listSortKeys[number]

/** The list's name in the path; unknown names are a 404 (a page that is not there), not a 400. */
export const listParams = {
  $id: 'lc/console/list-params',
  type: 'object',
  additionalProperties: false,
  required: ['view'],
  properties: { view: { type: 'string', maxLength: 32 } }
} as const
export type ListParams = FromSchema<typeof listParams>

const filters = {
  department: { type: 'string', pattern: '^([0-9]{1,10})?$' },
  group: { type: 'string', pattern: '^([0-9]{1,10})?$' },
  agent: { type: 'string', maxLength: 64, pattern: '^([A-Za-z0-9_.@-]{1,64})?$' },
  sort: { enum: listSortKeys },
  dir: { enum: ['asc', 'desc'] },
  // The search box; checked by the search service, so a mistake comes back beside it.
  q: { type: 'string', maxLength: 10000 }
} as const

/** Narrowing and order of a list: by department, group or agent; sorted by a column. */
export const listQuery = {
  $id: 'lc/console/list-query',
  type: 'object',
  additionalProperties: false,
  properties: filters
} as const
export type ListQueryString = FromSchema<typeof listQuery>

/** View → Visible Fields: per column a "show" box and a width typed in pixels. */
export const listFieldsBody = fieldsBodySchema('lc/console/list-fields', listColumnKeys)
export type ListFieldsBody = FieldsBodyOf<typeof listColumnKeys[number]>

const chatId = { type: 'string', pattern: '^[1-9][0-9]{0,9}$' } as const

/** Actions → Transfer selected: the ticked chats, one target and one comment for all of them. */
export const listTransferBody = {
  $id: 'lc/console/list-transfer',
  type: 'object',
  additionalProperties: false,
  properties: {
    chat_ids: { anyOf: [chatId, { type: 'array', items: chatId, maxItems: 200 }] },
    group_id: { type: 'string', pattern: '^([0-9]{1,10})?$' },
    agent: { type: 'string', maxLength: 64, pattern: '^(|auto|[A-Za-z0-9_.@-]{1,64})$' },
    comment: { type: 'string', maxLength: 2000 },
    _csrf: { type: 'string', maxLength: 200 }
  }
} as const
export type ListTransferBody = FromSchema<typeof listTransferBody>

/** Actions → Delete selected: the ticked chats; without `confirm`, the answer asks first, naming how many and which. */
export const listDeleteBody = {
  $id: 'lc/console/list-delete',
  type: 'object',
  additionalProperties: false,
  properties: {
    chat_ids: { anyOf: [chatId, { type: 'array', items: chatId, maxItems: 200 }] },
    confirm: { enum: ['yes'] },
    _csrf: { type: 'string', maxLength: 200 }
  }
} as const
export type ListDeleteBody = FromSchema<typeof listDeleteBody>

/** Deleted Items → Undelete selected: the ticked chats come back (nothing is lost by it, so no confirmation). */
export const listUndeleteBody = {
  $id: 'lc/console/list-undelete',
  type: 'object',
  additionalProperties: false,
  properties: {
    chat_ids: { anyOf: [chatId, { type: 'array', items: chatId, maxItems: 200 }] },
    _csrf: { type: 'string', maxLength: 200 }
  }
} as const
export type ListUndeleteBody = FromSchema<typeof listUndeleteBody>
