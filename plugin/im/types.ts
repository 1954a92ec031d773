import type { AgentScope } from '../chats/types.ts'

export type ConversationKind = 'thread' | 'room'
export type ConversationStatus = 'active' | 'inactive'
export type RelatedKind = 'chat' | 'ticket'
export type RoomAccessKind = 'department' | 'group' | 'role'

export interface Related { kind: RelatedKind, ref: string, label: string, url: string }
export interface Conversation {
  id: number
  kind: ConversationKind
  /** Rooms: their name. Threads: null; show `title`. */
  name: string | null
  /** Rooms: the name. Threads: the participants' names other than the viewer's, joined ("Carol Chen, Bob Brown"). */
  title: string
  status: ConversationStatus
  startedBy: string
  startedByName: string
  related: Related | null
  lastSeq: number
  lastMessageAt: number | null
  createdAt: number
  inactiveAt: number | null
  deletedAt: number | null
  deletedByName: string | null
}
export interface Participant {
  agentId: string
  name: string
  invitedBy: string | null
  invitedAt: number
  joinedAt: number | null
  leftAt: number | null
  lastReadSeq: number
  /** Console open now (fresh heartbeat in lc_agent_presence). */
  online: boolean
}
export interface ImMessage {
  conversationId: number
  seq: number
  authorId: string | null
  authorName: string
  kind: 'text' | 'event'
  body: string
  clientMsgId: string | null
  createdAt: number
}
/** A row of the Instant Messages list / Chat Rooms list for one viewer. */
export interface ConversationSummary extends Conversation {
  /** Participants (threads: invited and not left; rooms: joined and not left). */
  participants: Array<{ agentId: string, name: string }>
  participantCount: number
  /** For the viewer: messages after their last_read_seq (0 when not a participant). */
  unread: number
  /** The viewer's own participant row, if any. */
  mine: Participant | null
  lastMessage: ImMessage | null
}
export interface RoomAccess { id: number, kind: RoomAccessKind, ref: string, label: string }
/** An agent one can invite or see in With Access. */
export interface AgentCard { agentId: string, name: string, online: boolean }
export interface ImViewer { id: string, name: string, roles: string[], supervise: boolean, delete: boolean, manageRooms: boolean, scope: AgentScope }
