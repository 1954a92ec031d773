import type { FromSchema } from 'json-schema-to-ts'

/** A chat id in a route. */
export const chatParams = {
  $id: 'lc/chats/params',
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1, maximum: 2147483647 } }
} as const
export type ChatParams = FromSchema<typeof chatParams>

/** The headers object hx-ws adds to every frame; we read none of it but must allow it. */
const hxHeaders = { type: 'object', maxProperties: 20, additionalProperties: { type: 'string', maxLength: 2000 } } as const

/**
 * Socket frames a client may send, discriminated on `type`. Message length is checked
 * by the service (not by maxLength here) so an over-long message gets its own answer,
 * and the frame as a whole is bounded by the socket's maxPayload.
 */
const chatIdField = { type: 'string', pattern: '^[0-9]{1,10}$' } as const
/** A message's seq as a frame carries it (read marks, follows). */
const seqField = { type: 'string', pattern: '^[0-9]{1,10}$' } as const
const bodyField = { type: 'string', maxLength: 100000 } as const
const clientMsgIdField = { type: 'string', minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' } as const

export const socketMessage = {
  $id: 'lc/chats/socket-message',
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'chat_id', 'body', 'client_msg_id'],
      properties: {
        type: { const: 'message' },
        chat_id: chatIdField,
        body: bodyField,
        client_msg_id: clientMsgIdField,
        headers: hxHeaders
      }
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: { type: { const: 'ping' }, headers: hxHeaders }
    },
    {
      // Coaching (docs/features.md): agents only, never to the customer.
      type: 'object',
      additionalProperties: false,
      required: ['type', 'chat_id', 'body', 'client_msg_id'],
      properties: {
        type: { const: 'coach' },
        chat_id: chatIdField,
        body: bodyField,
        client_msg_id: clientMsgIdField,
        headers: hxHeaders
      }
    },
    {
      // The sender is typing: relayed to the other side, never stored.
      type: 'object',
      additionalProperties: false,
      required: ['type', 'chat_id'],
      properties: { type: { const: 'typing' }, chat_id: chatIdField, headers: hxHeaders }
    },
    {
      // The agent has looked at a chat up to `seq`: clears its unread badge.
      type: 'object',
      additionalProperties: false,
      required: ['type', 'chat_id', 'seq'],
      properties: {
        type: { const: 'read' },
        chat_id: chatIdField,
        seq: seqField,
        headers: hxHeaders
      }
    },
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
    }
  ]
} as const
export type SocketMessage = FromSchema<typeof socketMessage>
