import type { FromSchema } from 'json-schema-to-ts'
import { csrfField as csrf, idField as intId, moveBody } from '../security/schemas.ts'

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

export { moveBody }
export type MoveBody = FromSchema<typeof moveBody>
