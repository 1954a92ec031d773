import type { Chat, Message } from '../chats/types.ts'
import type { ConversationKind, ImMessage } from '../im/types.ts'

/**
 * What services publish after a commit. Events are plain JSON so the Redis bus can
 * carry them between instances; each instance's hub renders them for its own sockets.
 */
export type BusEvent =
  | { type: 'chat.message', chatId: number, message: Message }
  | { type: 'chat.updated', chat: Chat }
  /** A closed chat went to Deleted Items (`by`: who deleted it), or came back from there: it leaves or rejoins the lists. */
  | { type: 'chat.deleted', chat: Chat, by: string }
  | { type: 'chat.restored', chat: Chat, by: string }
  /** A chat joined, left or changed in `groupId`'s queue (`chatId`: which one; without it, anything in that queue may have). */
  | { type: 'queue.changed', groupId?: number | null, chatId?: number }
  /** "… is typing": from one side of a chat to the other; nothing is stored. */
  | { type: 'chat.typing', chatId: number, side: 'agent' | 'customer', name: string }
  /** Read marks (docs/features.md#read-marks): `side` has read the chat up to `seq`; the other side marks its own messages Read. */
  | { type: 'chat.read', chatId: number, side: 'agent' | 'customer', seq: number }
  /** `side`'s open window holds the chat up to `seq`: the other side marks its own messages Delivered. Nothing is stored. */
  | { type: 'chat.received', chatId: number, side: 'agent' | 'customer', seq: number }
  /** A chat's comments changed (added, edited, deleted, resolution moved): agents viewing it re-render the list. */
  | { type: 'chat.comments', chatId: number }
  | { type: 'agent.chats', agentId: string, chatId: number, fromSeq?: number }
  | { type: 'presence.changed', agentId: string }
  /** The agent's group memberships changed: their open consoles re-read what they may see. */
  | { type: 'agent.groups', agentId: string }
  /** Sound and browser notification in the consoles it concerns: one agent, or every agent working `groupId`'s queue. */
  | { type: 'agent.alert', reason: 'queued' | 'assigned' | 'transferred', chatId: number, agentId?: string, groupId?: number | null, text: string }
  /** A line for one agent's notice area (a re-offered chat, say). */
  | { type: 'agent.notice', agentId: string, level: 'info' | 'warning', text: string }
  /** A message (or event line) in a thread or room. `recipients`: thread participants not left, but the author (pop-ups); rooms: none. */
  | { type: 'im.message', conversationId: number, kind: ConversationKind, message: ImMessage, recipients: string[] }
  /**
   * A thread or room changed; `agentIds`: whose lists and unread badges may change. `standing`:
   * its participants, status or name changed, so the pages showing it re-render its header
   * (not for a plain new message or a read mark).
   */
  | { type: 'im.updated', conversationId: number, kind: ConversationKind, agentIds: string[], standing: boolean }
  /** A room's access rules changed: consoles following it re-check who may still see it. */
  | { type: 'im.access', conversationId: number }
  /** The block list changed: every instance reads it again before the next customer request. */
  | { type: 'blocklist.changed' }
  /** An administrator changed settings (`names`): every instance reads the stored values again and applies them. */
  | { type: 'settings.changed', names: string[] }

export type BusHandler = (event: BusEvent) => void

export interface Bus {
  publish (event: BusEvent): Promise<void>
  subscribe (handler: BusHandler): () => void
  close (): Promise<void>
  /** Throws, naming why, when the bus cannot carry events between instances now (Redis away); the in-process bus always can. */
  check? (): Promise<void>
}
