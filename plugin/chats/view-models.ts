import { randomUUID } from 'node:crypto'
import { targets } from '../realtime/targets.ts'
import { bind } from '../web/fragments.ts'
import { type Chat, ChatStatus } from './types.ts'

export type Audience = 'agent' | 'customer'

export const statusLabels: Record<ChatStatus, string> = {
  queued: 'Waiting in queue',
  active: 'Active',
  ended: 'Ended',
  abandoned: 'Abandoned',
  cancelled: 'Cancelled'
}

/**
 * A fresh id for the next message typed in a composer; a resend of it is stored once. A
 * random UUID: Node draws them from a cached batch of entropy, where randomBytes asked the
 * system each time, 8 µs of every message's 0.4 ms (docs/design.md §9).
 */
export const newClientMsgId = (): string => randomUUID()

/** What a person typed and why it was refused: the box shows both, so nothing they wrote is lost. */
export interface Draft { body: string, error: string }

/** views/chats/composer.hbs: the reply box, open (with a draft, maybe) or closed with why. */
export interface ComposerModel {
  chatId: number
  open: boolean
  clientMsgId: string
  /** Null for an agent, whose End Chat is in the chat's header, away from Send. */
  endUrl: string | null
  endLabel: string
  closedText: string
  restartUrl: string | null
  cannedUrl: string | null
  fileUrl: string
  body: string
  error: string | null
}

/** views/chats/coaching.hbs: the Coaching box, with a refused draft when there is one. */
export interface CoachingModel {
  chatId: number
  clientMsgId: string
  body: string
  error: string | null
}

/** The reply box, sent in place of the one on the page (htmx answer, projection or socket). */
export const composerFragment = bind('chats/composer', 'outerHTML', (m: ComposerModel) => targets.composer(m.chatId))

/** The Coaching box, sent in place of the one on the page. */
export const coachingFragment = bind('chats/coaching', 'outerHTML', (m: CoachingModel) => targets.coaching(m.chatId))

/**
 * The reply box of chats/composer, for either side. `draft` and `error` re-render it
 * with what the person typed and why it was refused, so nothing they wrote is lost.
 */
export function composerModel (base: string, chat: Chat, audience: Audience, viewerId: string | null, draft?: Draft): ComposerModel {
  // A customer who left a chat an agent still has writes no more: the agent ends it (endChat).
  const customerLeft = chat.status === ChatStatus.active && chat.customerLeftAt !== null
  const open = audience === 'customer'
    ? (chat.status === ChatStatus.queued || chat.status === ChatStatus.active) && !customerLeft
    : chat.status === ChatStatus.active && chat.agentId === viewerId
  const closedText = audience === 'customer'
    ? (chat.status === ChatStatus.cancelled
        // Closed by the queue-timeout job (plugin/jobs), not by the customer.
        ? (chat.endedBy === 'system' ? 'No agent could answer in time; your question was sent to the team as a ticket.' : 'You left the queue.')
        : customerLeft ? 'You left the chat. Thank you for contacting us.' : 'This chat has ended. Thank you for contacting us.')
    : chat.status === ChatStatus.active || chat.status === ChatStatus.queued
      ? 'This chat belongs to another agent.'
      : chat.endedBy === 'customer' ? 'The customer ended this chat.' : chat.endedBy === 'system' ? 'Live chat closed this chat automatically.' : 'This chat has ended.'
  return { ...openComposer(base, chat.id, audience, draft), open, closedText }
}

/** The composer of a chat known to be open for the sender (just after a message was stored in it). */
export function openComposer (base: string, chatId: number, audience: Audience, draft?: Draft): ComposerModel {
  return {
    chatId,
    open: true,
    clientMsgId: newClientMsgId(),
    endUrl: audience === 'customer' ? `${base}/chat/${chatId}/end` : null,
    endLabel: audience === 'customer' ? 'End chat' : 'End Chat',
    closedText: '',
    restartUrl: audience === 'customer' ? `${base}/start` : null,
    // Canned replies (plugin/canned) are the agent's own tools; a customer's composer never offers them.
    cannedUrl: audience === 'agent' ? `${base}/console/chats/${chatId}/canned` : null,
    // Send file (plugin/files): each side posts to its own route, which knows who is sending.
    fileUrl: audience === 'customer' ? `${base}/chat/${chatId}/files` : `${base}/console/chats/${chatId}/files`,
    body: draft?.body ?? '',
    error: draft?.error ?? null
  }
}

/** The Coaching box beside an agent's reply box (docs/features.md, coaching): agents only, never the customer. */
export function coachingModel (chatId: number, draft?: Draft): CoachingModel {
  return { chatId, clientMsgId: newClientMsgId(), body: draft?.body ?? '', error: draft?.error ?? null }
}
