import type { Chat, Message } from '../chats/types.ts'

/**
 * What services publish after a commit. Events are plain JSON so the Redis bus can
 * carry them between instances; each instance's hub renders them for its own sockets.
 */
export type BusEvent =
  | { type: 'chat.message', chatId: number, message: Message }
  | { type: 'chat.updated', chat: Chat }
  | { type: 'queue.changed' }
  | { type: 'agent.chats', agentId: string, chatId: number, fromSeq?: number }
  | { type: 'presence.changed', agentId: string }

export type BusHandler = (event: BusEvent) => void

export interface Bus {
  publish (event: BusEvent): Promise<void>
  subscribe (handler: BusHandler): () => void
  close (): Promise<void>
}
