import type { FromSchema } from 'json-schema-to-ts'
import { chatFrames, chatIdField, hxHeaders, seqField } from '../chats/schemas.ts'

/**
 * What an agent console's socket takes (a oneOf discriminated on `type`): a
 * chat's frames, then an instant message thread's or chat room's (plugin/im). The order
 * is the one the "type must be one of" refusal lists.
 */
export const consoleFrame = {
  $id: 'lc/console/socket-frame',
  oneOf: [
    chatFrames.message,
    chatFrames.ping,
    chatFrames.coach,
    chatFrames.typing,
    chatFrames.read,
    {
      // A page that loaded an instant message thread or chat room (plugin/im) follows it from
      // `seq`, the last message it shows, without reconnecting.
      type: 'object',
      additionalProperties: false,
      required: ['type', 'conversation_id', 'seq'],
      properties: {
        type: { const: 'im_follow' },
        conversation_id: chatIdField,
        seq: seqField,
        headers: hxHeaders
      }
    },
    {
      // The agent has read a thread or room up to `seq`: their unread count drops.
      type: 'object',
      additionalProperties: false,
      required: ['type', 'conversation_id', 'seq'],
      properties: {
        type: { const: 'im_read' },
        conversation_id: chatIdField,
        seq: seqField,
        headers: hxHeaders
      }
    },
    chatFrames.received
  ]
} as const
export type ConsoleFrame = FromSchema<typeof consoleFrame>

/**
 * The console socket's `im`: per instant message thread or chat room on the page, the last
 * seq it holds ("7.12,9.3"), like `since` for chats. (`since` and `list` are read apart.)
 */
export const imQuery = {
  $id: 'lc/console/im-query',
  type: 'object',
  additionalProperties: false,
  properties: { im: { type: 'string', maxLength: 4000, pattern: '^([0-9]{1,10}\\.[0-9]{1,10})(,[0-9]{1,10}\\.[0-9]{1,10}){0,199}$' } }
} as const

/** The wallboard page's socket (`wallboard=1`, plugin/reports): pushed the board on every change. */
export const wallboardQuery = {
  $id: 'lc/console/wallboard-query',
  type: 'object',
  additionalProperties: false,
  properties: { wallboard: { type: 'string', enum: ['1'] } }
} as const
