import { isoTime, type NewWebhookEvent, type WebhookEventType } from '../webhooks/events.ts'
import { type Actor, type Chat, type Message, agentOnlyKinds } from './types.ts'

/*
 * What a chat's changes tell webhook receivers (docs/webhooks.md#events). Each is recorded
 * by core.ts in the transaction of the change, from the History row every change writes, so
 * no change can happen without its event or the other way round.
 */

/** The History actions that are webhook events, and which. */
const eventOfAction: Readonly<Record<string, WebhookEventType>> = {
  started: 'chat.queued',
  reoffered: 'chat.queued',
  assigned: 'chat.assigned',
  accepted: 'chat.assigned',
  taken: 'chat.assigned',
  transferred: 'chat.transferred',
  ended: 'chat.ended',
  cancelled: 'chat.ended',
  idle_ended: 'chat.ended',
  queue_timed_out: 'chat.ended',
  abandoned: 'chat.abandoned'
}

/** Whether a History action is a webhook event (the chat is read for it only then). */
export const isWebhookAction = (action: string): boolean => Object.hasOwn(eventOfAction, action)

const orderKey = (chatId: number): string => `chat:${chatId}`

const who = (actor: Actor): Record<string, unknown> => ({ kind: actor.kind, id: actor.id, name: actor.name })

/** A chat as payloads carry it. */
export function chatPayload (chat: Chat): Record<string, unknown> {
  return {
    id: chat.id,
    status: chat.status,
    groupId: chat.groupId,
    agentId: chat.agentId,
    customer: { userId: chat.customerUserId, name: chat.customerName, email: chat.customerEmail },
    question: chat.question,
    source: chat.source,
    createdAt: isoTime(chat.createdAt),
    queuedAt: isoTime(chat.queuedAt),
    assignedAt: isoTime(chat.assignedAt),
    endedAt: isoTime(chat.endedAt),
    endedBy: chat.endedBy
  }
}

/** The event a History row is, or null for one that is not (notes, deletion, customer presence). */
export function chatEvent (chat: Chat, actor: Actor, action: string, details: object | undefined): NewWebhookEvent | null {
  const type = eventOfAction[action]
  if (!type) return null
  return { type, key: orderKey(chat.id), data: { chat: chatPayload(chat), action, by: who(actor), details: details ?? null } }
}

/** message.created for what both sides see; agents-only kinds are never sent out. */
export function messageEvent (message: Message): NewWebhookEvent | null {
  if (agentOnlyKinds.has(message.kind)) return null
  const content = message.kind === 'file' || message.kind === 'kb_share' ? { [message.kind === 'file' ? 'file' : 'article']: parse(message.body) } : { text: message.body }
  return {
    type: 'message.created',
    key: orderKey(message.chatId),
    data: {
      chat: { id: message.chatId },
      message: { id: message.id, seq: message.seq, kind: message.kind, author: { kind: message.authorKind, id: message.authorId, name: message.authorName }, ...content, createdAt: isoTime(message.createdAt) }
    }
  }
}

function parse (body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    return body
  }
}
