/** A chat's states and how it moves between them: DESIGN §4. */
export const ChatStatus = {
  queued: 'queued',
  active: 'active',
  ended: 'ended',
  abandoned: 'abandoned',
  cancelled: 'cancelled'
} as const
export type ChatStatus = typeof ChatStatus[keyof typeof ChatStatus]

export const openStatuses: readonly ChatStatus[] = [ChatStatus.queued, ChatStatus.active]

export type AuthorKind = 'customer' | 'agent' | 'system'
export type MessageKind = 'text' | 'event'

export interface Chat {
  id: number
  status: ChatStatus
  groupId: number | null
  agentId: string | null
  customerUserId: string | null
  customerName: string
  customerEmail: string
  customerUsername: string | null
  question: string
  source: string
  createdAt: number
  queuedAt: number | null
  assignedAt: number | null
  endedAt: number | null
  endedBy: string | null
  lastAgentMessageAt: number | null
  lastSeq: number
  messageCount: number
}

export interface Message {
  id: number
  chatId: number
  seq: number
  kind: MessageKind
  authorKind: AuthorKind
  authorId: string | null
  authorName: string
  body: string
  clientMsgId: string | null
  createdAt: number
}

/** Who did something: an agent, a customer or the system, with the name shown for it. */
export interface Actor {
  kind: AuthorKind
  id: string | null
  name: string
}
