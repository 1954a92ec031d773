import type { FromSchema } from 'json-schema-to-ts'
import { csrfField as csrf, idField as intId, moveBody } from '../security/schemas.ts'
import { checkbox, defineForm, text } from '../web/forms.ts'
import type { EventInput } from './service.ts'

/** How long a name and the text written into the chat may be, in characters. */
export const limits = { name: 80, body: 500 }

export const eventParams = {
  $id: 'lc/manual-events/params',
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: intId }
} as const
export type EventParams = FromSchema<typeof eventParams>

/** Performing an event on a chat: the chat and the event. */
export const performParams = {
  $id: 'lc/manual-events/perform-params',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'eventId'],
  properties: { id: intId, eventId: intId }
} as const
export type PerformParams = FromSchema<typeof performParams>

/** The administrator's create and edit form. Lengths come back beside their fields, so the bounds here only cap the request. */
export const eventBody = {
  $id: 'lc/manual-events/event',
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 1000 },
    body: { type: 'string', maxLength: 5000 },
    agents_only: { enum: ['on'] },
    _csrf: csrf
  }
} as const
export type EventBody = FromSchema<typeof eventBody>

/**
 * The administrator's create and edit form: every problem at once, beside its field. The
 * text keeps its line breaks (as LF) and is written into chats as typed.
 */
export const eventForm = defineForm({
  name: text({ label: 'Name', required: true, max: limits.name }),
  body: text({
    required: 'Write the text that goes into the chat',
    max: limits.body,
    tooLong: `The text can be at most ${limits.body} characters; shorten it`
  }),
  agents_only: checkbox()
}, {
  input: (v): EventInput => ({ name: v.name, body: v.body, agentsOnly: v.agents_only })
})

export { moveBody }
export type MoveBody = FromSchema<typeof moveBody>
