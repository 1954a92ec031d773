import type { FromSchema } from 'json-schema-to-ts'
import { checkbox, defineForm, type FormState, type FormValues, text } from '../web/forms.ts'
import type { CommentInput } from './service.ts'

/** A chat and one of its comments, in a route. */
export const commentParams = {
  $id: 'lc/comments/params',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'commentId'],
  properties: {
    id: { type: 'integer', minimum: 1, maximum: 2147483647 },
    commentId: { type: 'integer', minimum: 1, maximum: 2147483647 }
  }
} as const
export type CommentParams = FromSchema<typeof commentParams>

/**
 * The Comments form, to add or edit. The length limit is the service's (so an over-long
 * comment comes back in the form with its text); maxLength here only bounds the request.
 */
export const commentBody = {
  $id: 'lc/comments/comment',
  type: 'object',
  additionalProperties: false,
  required: ['body'],
  properties: {
    body: { type: 'string', maxLength: 100000 },
    resolution: { enum: ['on'] },
    _csrf: { type: 'string', maxLength: 200 }
  }
} as const
export type CommentBody = FromSchema<typeof commentBody>

/**
 * The Comments form as read. Whether the text will do is the service's to say, after it has
 * checked the agent may see the chat (docs/features.md#comments), so the text is kept as
 * typed for the form to hand back; the service trims what it stores.
 */
export const commentForm = defineForm({
  body: text({ trim: false }),
  resolution: checkbox()
}, {
  input: (v): CommentInput => ({ body: v.body, resolution: v.resolution })
})
export type CommentFormState = FormState<FormValues<typeof commentForm>>

/** The service's refusals a person fixes in the form itself, beside the text. */
export const commentRefusals = { LC_ERR_COMMENT_EMPTY: 'body', LC_ERR_COMMENT_TOO_LONG: 'body' } as const

/** "Mark as the resolution" (on) or "Unmark" (off) on one comment. */
export const resolutionBody = {
  $id: 'lc/comments/resolution',
  type: 'object',
  additionalProperties: false,
  required: ['mark'],
  properties: {
    mark: { enum: ['on', 'off'] },
    _csrf: { type: 'string', maxLength: 200 }
  }
} as const
export type ResolutionBody = FromSchema<typeof resolutionBody>
