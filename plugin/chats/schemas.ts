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
export const hxHeaders = { type: 'object', maxProperties: 20, additionalProperties: { type: 'string', maxLength: 2000 } } as const

/**
 * Fields of the socket frames both audiences send (console/socket-schemas.ts and
 * customer/socket-schemas.ts put them together, discriminated on `type`). Message length
 * is checked by the service (not by maxLength here) so an over-long message gets its own
 * answer, and the frame as a whole is bounded by the socket's maxPayload.
 */
export const chatIdField = { type: 'string', pattern: '^[0-9]{1,10}$' } as const
/** A message's seq as a frame carries it (read marks, follows). */
export const seqField = { type: 'string', pattern: '^[0-9]{1,10}$' } as const
const bodyField = { type: 'string', maxLength: 100000 } as const
const clientMsgIdField = { type: 'string', minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' } as const

/** The frames of a chat, the same from either side: each audience's socket lists the ones it takes. */
export const chatFrames = {
  /** The composer sends a message (views/chats/composer.hbs). */
  message: {
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
  ping: {
    type: 'object',
    additionalProperties: false,
    required: ['type'],
    properties: { type: { const: 'ping' }, headers: hxHeaders }
  },
  /** Coaching (docs/features.md): agents only, never to the customer. */
  coach: {
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
  /** The sender is typing: relayed to the other side, never stored. */
  typing: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'chat_id'],
    properties: { type: { const: 'typing' }, chat_id: chatIdField, headers: hxHeaders }
  },
  /**
   * One side has looked at a chat up to `seq` (docs/features.md#read-marks): the agent's unread
   * badge clears, and the other side marks its own messages up to it Read.
   */
  read: {
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
  /** One side's open window holds the chat up to `seq` (one per burst): the other side marks its own messages Delivered. */
  received: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'chat_id', 'seq'],
    properties: {
      type: { const: 'received' },
      chat_id: chatIdField,
      seq: seqField,
      headers: hxHeaders
    }
  }
} as const
