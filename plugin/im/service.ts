import type { Knex } from 'knex'
import type { ChatService, ItemGuard } from '../chats/service.ts'
import type { CodedError } from '../errors.ts'
import type { HostAdapter } from '../host/adapter.ts'
import type { Settings } from '../settings.ts'
import type { Bus } from '../realtime/bus-events.ts'
import type { RoutingService } from '../routing/service.ts'
import type { Agent } from '../security/access.ts'
import { createImCommon } from './common.ts'
import { createDeletion } from './deletion.ts'
import { createReading } from './reading.ts'
import { createRooms } from './rooms.ts'
import { createSweeps } from './sweeps.ts'
import { createThreads } from './threads.ts'
import type {
  AgentCard, ConversationKind, ConversationStatus, ConversationSummary, ImMessage, ImViewer, Participant, RelatedKind, RoomAccess, RoomAccessKind
} from './types.ts'

export { maxInvitees, maxRoomName, maxSearch } from './common.ts'

export interface StartThread {
  agentIds: string[]
  body: string
  clientMsgId: string
  related?: { kind: RelatedKind, ref: string }
}

export type ListView = 'active' | 'inactive' | 'deleted' | 'agent'

export interface ListQuery {
  kind: ConversationKind
  view: ListView
  /** The 'agent' view's agent (supervisors only). */
  agentId?: string
  /** Room name, participants' names or message text; at most 100 characters. */
  q?: string
  limit?: number
}

export interface RoomAccessRule { kind: RoomAccessKind, ref: string }

/** What became of one conversation of a Delete or Undelete selected. */
export interface ImOutcome { id: number, ok: boolean, error?: CodedError }

export interface AccessOptions {
  departments: Array<{ id: number, name: string }>
  groups: Array<{ id: number, name: string, departmentName: string }>
  roles: string[]
}

/**
 * Internal messaging between agents (docs/features.md#instant-messages and
 * docs/features.md#chat-rooms): threads and rooms are one model, a conversation
 * (docs/design.md §3). Who may see what (docs/design.md §8):
 * - a thread: its participants (any row, even left) and supervisors (read only);
 * - a room: the agents its access rules admit; room managers also see it to manage it.
 * Anything else is LC_ERR_IM_NOT_FOUND, like a missing id ("not found" below). Every change
 * is one transaction; what it publishes goes on the bus after the commit: `im.message` per
 * new line (a pop-up to a thread's other participants) and `im.updated` to whoever's lists
 * and badges change.
 */
export interface ImService {
  /** Starts a thread with the invitees and its first message (one thread per clientMsgId); LC_ERR_IM_AGENTS, LC_ERR_MESSAGE_*, LC_ERR_IM_RELATED; publishes im.message and im.updated. */
  startThread (viewer: ImViewer, input: StartThread): Promise<{ conversation: ConversationSummary, message: ImMessage }>
  /** Posts in a thread or room, (re)joining or restarting it as writing does; a resent clientMsgId returns the stored message; not found, LC_ERR_IM_NOT_PARTICIPANT, LC_ERR_IM_DELETED, LC_ERR_IM_ROOM_INACTIVE, LC_ERR_MESSAGE_*; publishes im.message and im.updated. */
  post (viewer: ImViewer, conversationId: number, body: string, clientMsgId: string): Promise<ImMessage>
  /** Invites agents to an active thread the viewer has joined, with one event line; LC_ERR_IM_AGENTS, LC_ERR_IM_NOT_PARTICIPANT, LC_ERR_IM_DELETED, LC_ERR_IM_INACTIVE; publishes im.message and im.updated. */
  invite (viewer: ImViewer, conversationId: number, agentIds: string[]): Promise<ConversationSummary>
  /** Joins a thread one was invited to or a room one is admitted to (no change when joined already); LC_ERR_IM_NOT_PARTICIPANT, LC_ERR_IM_DELETED, LC_ERR_IM_INACTIVE, LC_ERR_IM_ROOM_INACTIVE; publishes im.message (the "joined" line) and im.updated. */
  join (viewer: ImViewer, conversationId: number): Promise<ConversationSummary>
  /** Leaves (or declines); a thread nobody has joined any more becomes inactive; LC_ERR_IM_NOT_PARTICIPANT, LC_ERR_IM_DELETED; publishes im.message (the "left" line) and im.updated, to the leaver too. */
  leave (viewer: ImViewer, conversationId: number): Promise<ConversationSummary>
  /** Moves the viewer's read mark forward to `seq` (at most the latest); not found; publishes im.updated to the viewer when it moved. */
  markRead (viewer: ImViewer, conversationId: number, seq: number): Promise<void>
  /** Unread messages over the threads the agent is in (invited or joined) and the rooms they joined: the topbar badge. */
  unreadTotal (viewerId: string): Promise<number>
  /** The Instant Messages or Chat Rooms list, most recent activity first; LC_ERR_SEARCH_TEXT_LONG, LC_ERR_FORBIDDEN for 'agent' without livechat.supervise. */
  list (viewer: ImViewer, query: ListQuery): Promise<ConversationSummary[]>
  /** One conversation as the viewer sees it (a room manager sees any room); not found, LC_ERR_IM_ROOM_NOT_ADMITTED. */
  get (viewer: ImViewer, conversationId: number): Promise<ConversationSummary>
  /** Every participant row, left ones too, in the order they came, with who is online now; as `get` for access. */
  participants (viewer: ImViewer, conversationId: number): Promise<Participant[]>
  /** The latest `limit` (100) messages, or those before `beforeSeq`, ascending; not found, LC_ERR_IM_ROOM_NOT_ADMITTED. */
  messages (viewer: ImViewer, conversationId: number, page?: { beforeSeq?: number, limit?: number }): Promise<ImMessage[]>
  /** For the hub's gap fill, without an access check (the socket checked on follow): afterSeq < seq <= upToSeq, in order. */
  messagesBetween (conversationId: number, afterSeq: number, upToSeq?: number): Promise<ImMessage[]>
  /** The whole conversation as text, a "[YYYY-MM-DD HH:MM] Name: body" line per message (UTC); not found, LC_ERR_IM_ROOM_NOT_ADMITTED. */
  transcript (viewer: ImViewer, conversationId: number): Promise<string>
  /** Agents with a console open now, but the viewer and (given a conversation) those in it: whom to invite; as `get` for access. */
  onlineAgents (viewer: ImViewer, conversationId?: number): Promise<AgentCard[]>
  /** Agents one may message, but the viewer, online and offline apart, by name, `q` matching names; LC_ERR_SEARCH_TEXT_LONG. */
  agentDirectory (viewer: ImViewer, q?: string): Promise<{ online: AgentCard[], offline: AgentCard[] }>
  /** Deletes inactive threads (a participant's own, any for livechat.delete), each its own outcome with its coded refusal; publishes im.updated. */
  deleteThreads (viewer: ImViewer, ids: number[]): Promise<ImOutcome[]>
  /** Brings deleted threads back, by the same rule and outcomes as deleteThreads; publishes im.updated. */
  undeleteThreads (viewer: ImViewer, ids: number[]): Promise<ImOutcome[]>
  /** A new room with a unique name and at least one access rule; LC_ERR_FORBIDDEN, LC_ERR_IM_ROOM_NAME, LC_ERR_IM_ROOM_NO_ACCESS, LC_ERR_IM_ROOM_ACCESS; publishes im.updated. */
  createRoom (viewer: ImViewer, input: { name: string, access: RoomAccessRule[] }): Promise<ConversationSummary>
  /** Renames a room (no change for its own name); LC_ERR_FORBIDDEN, not found, LC_ERR_IM_ROOM_NAME; publishes im.updated. */
  renameRoom (viewer: ImViewer, conversationId: number, name: string): Promise<ConversationSummary>
  /** Adds an access rule, returning them all; LC_ERR_FORBIDDEN, not found, LC_ERR_IM_ROOM_ACCESS, LC_ERR_IM_ROOM_ACCESS_TAKEN; publishes im.access. */
  addRoomAccess (viewer: ImViewer, conversationId: number, rule: RoomAccessRule): Promise<RoomAccess[]>
  /** Removes an access rule, never the last; LC_ERR_FORBIDDEN, not found, LC_ERR_IM_ROOM_ACCESS_NOT_FOUND, LC_ERR_IM_ROOM_NO_ACCESS; publishes im.access. */
  removeRoomAccess (viewer: ImViewer, conversationId: number, accessId: number): Promise<RoomAccess[]>
  /** Makes a room inactive (nothing posted or joined) or active again; LC_ERR_FORBIDDEN, not found; publishes im.updated when it changed. */
  setRoomStatus (viewer: ImViewer, conversationId: number, status: ConversationStatus): Promise<ConversationSummary>
  /** A room's access rules with their labels; not found (a thread too), LC_ERR_IM_ROOM_NOT_ADMITTED. */
  roomAccess (viewer: ImViewer, conversationId: number): Promise<RoomAccess[]>
  /** The agents a room's rules admit now (members of its groups and departments, holders of its roles); as roomAccess for access. */
  withAccess (viewer: ImViewer, conversationId: number): Promise<AgentCard[]>
  /** The departments, groups and roles a room's rule may name. */
  accessOptions (): Promise<AccessOptions>
  /** Whether the agent may read the conversation now (an agent id is looked up afresh, for the socket's re-check); never throws. */
  admits (viewerOrAgentId: ImViewer | string, conversationId: number): Promise<boolean>
  /** The socket stream key ('im:7' or 'room:7'), latest seq and title of a conversation the viewer may follow; not found, LC_ERR_IM_ROOM_NOT_ADMITTED. */
  streamFor (viewer: ImViewer, conversationId: number): Promise<{ key: string, lastSeq: number, title: string }>
  /** The im-idle job: active threads without a message for `afterMs` become inactive; returns how many; publishes im.updated for each. */
  makeIdleInactive (afterMs: number): Promise<number>
  /**
   * One batch of the purge job: up to `limit` threads with ids above `after`, deleted before `deletedBefore`, go with
   * every row of theirs; rows removed per table and the last candidate met (where the next batch starts), null when
   * there was none to take. Under the job's guard, as the chat purge (ChatService.purgeDeleted): a thread waiting out
   * its backoff is passed over, and a failed batch is tried a thread at a time, a bad one recorded and left whole.
   */
  purgeDeleted (deletedBefore: number, limit: number, after?: number, items?: ItemGuard): Promise<{ rows: Record<string, number>, last: number } | null>
}

/** The viewer every service function takes, from the signed-in agent. */
export async function imViewer (agent: Agent): Promise<ImViewer> {
  return {
    id: agent.user.id,
    name: agent.user.name,
    roles: agent.user.roles,
    supervise: agent.can('livechat.supervise'),
    delete: agent.can('livechat.delete'),
    manageRooms: agent.can('livechat.rooms'),
    scope: await agent.scope()
  }
}

export interface ImServiceDeps {
  db: Knex
  bus: Bus
  host: HostAdapter
  chats: Pick<ChatService, 'chatForAgent'>
  routing: RoutingService
  clock?: () => number
  /**
   * rolePermissions (who is an agent, which roles a room may admit), heartbeatTimeoutSeconds
   * (who is online) and maxMessageLength.
   */
  settings: Pick<Settings, 'rolePermissions' | 'heartbeatTimeoutSeconds' | 'maxMessageLength'>
  /** The plugin's prefix, for the link to a related chat. */
  base: string
}

/** The service, composed of its parts by concern; they share plugin/im/common.ts. */
export function createImService (deps: ImServiceDeps): ImService {
  const common = createImCommon(deps)
  return {
    ...createThreads(common),
    ...createDeletion(common),
    ...createRooms(common),
    ...createReading(common),
    ...createSweeps(common)
  }
}
