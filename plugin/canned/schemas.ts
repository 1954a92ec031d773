import type { FromSchema } from 'json-schema-to-ts'
import { LC_ERR_CANNED_SHORTCUT, LC_ERR_CANNED_VARIABLE } from '../errors.ts'
import { csrfField as csrf } from '../security/schemas.ts'
import { defineForm, text } from '../web/forms.ts'
import { unknownVariable, writtenVariables } from './variables.ts'

/** How long a reply's title, shortcut and text may be, in characters. */
export const cannedLimits = { title: 120, shortcut: 40, body: 4000 } as const

// The service checks the real limits (cannedLimits) and answers with a message beside the
// field; these caps only stop absurd requests.
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

/** A shortcut as stored: without its slash, in lower case. */
export const toShortcut = (typed: string): string => typed.replace(/^\//, '').toLowerCase()
const shortcutPattern = new RegExp(`^[a-z0-9-]{1,${cannedLimits.shortcut}}$`)
const badShortcut = () => new LC_ERR_CANNED_SHORTCUT()

/**
 * A canned reply's fields, every problem at once (the service adds a shortcut taken in the
 * same scope). The text keeps its line breaks, as LF.
 */
export const replyForm = defineForm({
  title: text({ label: 'Title', required: true, max: cannedLimits.title }),
  shortcut: text({ required: badShortcut, check: (typed) => shortcutPattern.test(toShortcut(typed)) ? null : badShortcut() }),
  body: text({
    label: 'Reply text',
    required: true,
    max: cannedLimits.body,
    tooLong: (max, length) => `Reply text can be at most ${max} characters (this one has ${length}); shorten it`,
    check: (body) => {
      const unknown = unknownVariable(body)
      return unknown === null ? null : new LC_ERR_CANNED_VARIABLE(unknown, writtenVariables.join(', '))
    }
  })
}, {
  input: (v) => ({ title: v.title, shortcut: toShortcut(v.shortcut), body: v.body })
})
