import type { FromSchema } from 'json-schema-to-ts'
import { csrfField as csrf } from '../security/schemas.ts'

// The service checks the real limits (title 120, shortcut 40, body 4000) and answers with a
// message beside the field; these caps only stop absurd requests.
const fields = {
  title: { type: 'string', maxLength: 1000 },
  shortcut: { type: 'string', maxLength: 200 },
  body: { type: 'string', maxLength: 20000 },
  _csrf: csrf
} as const

/** A new canned reply: its scope ("global" or a group id) and its fields. */
export const newReplyBody = {
  $id: 'lc/canned/new-reply',
  type: 'object',
  additionalProperties: false,
  required: ['scope', 'title', 'shortcut', 'body'],
  properties: { scope: { type: 'string', pattern: '^(global|[0-9]{1,10})$' }, ...fields }
} as const
export type NewReplyBody = FromSchema<typeof newReplyBody>

/** A canned reply's changes; its scope stays. */
export const replyBody = {
  $id: 'lc/canned/reply',
  type: 'object',
  additionalProperties: false,
  required: ['title', 'shortcut', 'body'],
  properties: fields
} as const
export type ReplyBody = FromSchema<typeof replyBody>

export const replyParams = {
  $id: 'lc/canned/params',
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1, maximum: 2147483647 } }
} as const

/**
 * What an agent typed after the slash, or in the list's search box. `view`: `menu` (the
 * suggestions under the reply box), `picker` (the Insert button's list with its search box),
 * `options` (only the options, as the search box narrows them).
 */
export const suggestQuery = {
  $id: 'lc/canned/suggest',
  type: 'object',
  additionalProperties: false,
  properties: {
    q: { type: 'string', maxLength: 100 },
    view: { enum: ['menu', 'picker', 'options'] }
  }
} as const
export type SuggestQuery = FromSchema<typeof suggestQuery>
