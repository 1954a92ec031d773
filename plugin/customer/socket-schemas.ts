import type { FromSchema } from 'json-schema-to-ts'
import { chatFrames } from '../chats/schemas.ts'

/**
 * What a customer's chat window socket takes (a oneOf discriminated on `type`).
 * The window sends message, ping, typing, read (how far it has shown the chat) and received
 * (how far it holds it); coach is
 * taken as well, so that it is answered as on the agents' side: refused as for an agent who
 * may not coach the chat. The order is the one the "type must be one of" refusal lists.
 */
export const customerFrame = {
  $id: 'lc/customer/socket-frame',
  oneOf: [chatFrames.message, chatFrames.ping, chatFrames.coach, chatFrames.typing, chatFrames.read, chatFrames.received]
} as const
export type CustomerFrame = FromSchema<typeof customerFrame>

/** /ws/chat/:id: the chat the window shows. */
export const chatSocketParams = {
  $id: 'lc/customer/socket-params',
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,9}$' } }
} as const
