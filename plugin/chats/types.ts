/** A chat's states and how it moves between them: docs/design.md §4. */
export const ChatStatus = {
  queued: 'queued',
  active: 'active',
  ended: 'ended',
  abandoned: 'abandoned',
  cancelled: 'cancelled'
} as const
export type ChatStatus = typeof ChatStatus[keyof typeof ChatStatus]

export const openStatuses: readonly ChatStatus[] = [ChatStatus.queued, ChatStatus.active]
/** The states a chat ends in: only these may be deleted (mayDelete). */
export const closedStatuses: readonly ChatStatus[] = [ChatStatus.ended, ChatStatus.abandoned, ChatStatus.cancelled]

export type AuthorKind = 'customer' | 'agent' | 'system'
export type MessageKind = 'text' | 'event' | 'coaching' | 'file' | 'note' | 'kb_share'

/**
 * A file sent in a chat (plugin/files), as its message carries it: the body of a 'file'
 * message is this object as JSON, so the message renders with nothing else read.
 */
export interface FileRef {
  id: number
  name: string
  size: number
  /** Detected from the content. */
  type: string
  /** The authorised download route; the same for both sides, which one partial renders. */
  url: string
  /** "14.2 MB", as shown. */
  sizeText: string
  /** A raster image, shown as a thumbnail that opens the viewer. */
  image: boolean
  /** An image too big to load as a thumbnail (over thumbnailMaxBytes): offered as View image only. */
  large?: boolean
  /** An image's size in pixels, from its header; missing when unreadable, and in files sent before it was kept. */
  width?: number
  height?: number
}

/**
 * A knowledge article an agent shared in the chat (plugin/resources): the body
 * of a 'kb_share' message is this object as JSON, so both sides' card renders from the
 * message alone. `url` is the help desk's link to the article, checked to be http(s) or
 * a path on the help desk before it is stored.
 */
export interface SharedArticle {
  id: string
  title: string
  excerpt: string
  url: string
}

/** Kinds only agents see: never sent to a customer's socket, page or transcript. */
// 'note': a manual event the administrator marked for agents only (plugin/events).
export const agentOnlyKinds: ReadonlySet<MessageKind> = new Set(['coaching', 'note'])

export interface Chat {
  id: number
  status: ChatStatus
  groupId: number | null
  agentId: string | null
  customerUserId: string | null
  customerName: string
  customerEmail: string
  customerUsername: string | null
  /**
   * The customer id of the signed identity token the chat started with, null for a visitor nobody
   * vouched for: the agent sees "verified" (docs/features.md#verified-customer-identity).
   */
  customerVerifiedId: string | null
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
  /** A transfer waiting for this agent (null with transferredAt set: for anyone in the group). */
  transferredTo: string | null
  transferredBy: string | null
  transferredAt: number | null
  transferComment: string | null
  /** Given by round robin, so re-offered if the agent does not answer in time. */
  autoAssigned: boolean
  /**
   * The agent who last let the chat go unanswered (the re-offer): distribution gives it to
   * someone else while someone else can take it. Cleared when the chat is given again.
   */
  reofferedFrom?: string | null
  /** The customer pressed End chat while an agent had the chat: it stays with the agent, who ends it. */
  customerLeftAt: number | null
  /**
   * No window of the customer's has been open for the grace period (the customer-gone job):
   * the agent sees "Customer left"; the chat stays active. Cleared when a window opens again.
   */
  customerGoneAt: number | null
  agentReadSeq: number
  /** How far the customer's window has shown the chat: the agent's messages up to it are marked Read. */
  customerReadSeq: number
  /** Where the customer chatted from: address and browser, as the chat header's location information shows them. */
  customerIp: string | null
  customerAgent: string | null
  /** When the chat went to Deleted Items; null (or absent) for a chat that is not deleted. */
  deletedAt?: number | null
}

/** A row of My Completed: the chat's number, customer, how it closed and when. */
export type CompletedRow = Pick<Chat, 'id' | 'customerName' | 'status' | 'endedAt'>

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
  /** A 'file' message's file, read from its body. */
  file?: FileRef
  /** A 'kb_share' message's article, read from its body. */
  article?: SharedArticle
}

/** Who did something: an agent, a customer or the system, with the name shown for it. */
export interface Actor {
  kind: AuthorKind
  id: string | null
  name: string
}

/**
 * What an agent may see and take, by group (docs/design.md §8): chats of the groups they are
 * active in; as supervisors, every group they belong to; administrators, every group.
 */
export interface AgentScope {
  id: string
  name: string
  /** Groups the agent takes chats from. */
  activeIn: number[]
  /** Groups whose chats the agent may look after: every membership, or 'all' for administrators. */
  visible: number[] | 'all'
  supervise: boolean
  /** livechat.delete: may delete and undelete any closed chat they may see, not only their own. */
  delete?: boolean
  /** The agent's own chat limit (the highest of their groups'), read with the groups: the console's availability uses it. */
  limit?: number
  /** The address the agent acts from (request.ip), for the audit log; absent outside a request. */
  ip?: string
}

export function sees (scope: AgentScope, groupId: number | null): boolean {
  return groupId === null || scope.visible === 'all' || scope.visible.includes(groupId)
}

/** The groups whose queue the agent works: active ones, plus every visible one for a supervisor. */
export function queueGroups (scope: AgentScope): number[] | 'all' {
  if (!scope.supervise) return scope.activeIn
  return scope.visible
}

/** Queued chats (not deleted) counted by group, by whether a transfer brought them and for whom: every viewer's queue counts in one read. */
export type QueueTally = Array<{ groupId: number | null, transferred: boolean, transferredTo: string | null, n: number }>

/** Which of the agent's Queue and Transferred tabs a queued chat is in (none: not queued, or a transfer held for someone else). */
export function queueTab (chat: Pick<Chat, 'status' | 'groupId' | 'transferredAt' | 'transferredTo'>, scope: AgentScope): 'queue' | 'transferred' | null {
  if (chat.status !== ChatStatus.queued) return null
  const groups = queueGroups(scope)
  if (chat.groupId !== null && groups !== 'all' && !groups.includes(chat.groupId)) return null
  if (chat.transferredAt === null) return 'queue'
  // A supervisor sees every transfer in their groups; an agent, those for them or for anyone in the group.
  return scope.supervise || chat.transferredTo === null || chat.transferredTo === scope.id ? 'transferred' : null
}

/** How many chats the agent's Queue and Transferred tabs hold, counted from the tally by the same rule as queueTab. */
export function queueCounts (tally: QueueTally, scope: AgentScope): { queue: number, transferred: number } {
  const out = { queue: 0, transferred: 0 }
  for (const row of tally) {
    const tab = queueTab({ status: ChatStatus.queued, groupId: row.groupId, transferredAt: row.transferred ? 0 : null, transferredTo: row.transferredTo }, scope)
    if (tab) out[tab] += row.n
  }
  return out
}

/**
 * Who may delete a chat, and undelete it from Deleted Items (docs/features.md, deleting
 * chats): only a closed chat (ended, abandoned or cancelled); its own agent always, anyone
 * else only with livechat.delete and only where they may see it (a supervisor of its
 * group, or an administrator). The rule behind the header's Delete, the lists' Delete
 * selected, Deleted Items and Undelete: a chat is in a viewer's Deleted Items exactly when
 * this holds for it.
 */
export function mayDelete (chat: Chat, scope: AgentScope): boolean {
  if (!closedStatuses.includes(chat.status)) return false
  if (chat.agentId === scope.id) return true
  return scope.delete === true && scope.supervise && sees(scope, chat.groupId)
}
