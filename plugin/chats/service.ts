import type { AuditService } from '../audit/service.ts'
import type { Knex } from 'knex'
import type { Settings } from '../settings.ts'
import type { CodedError } from '../errors.ts'
import type { HostAdapter, HostUser } from '../host/adapter.ts'
import type { Bus } from '../realtime/bus-events.ts'
import type { Candidate, MissedOffer, RoutingService } from '../routing/service.ts'
import { createBatchAssign } from './batch-assign.ts'
import { createChatCore } from './core.ts'
import { createDeletion } from './deletion.ts'
import { createHandover } from './handover.ts'
import { createLifecycle } from './lifecycle.ts'
import { createStarts } from './starts.ts'
import type { ListQuery } from './list-store.ts'
import type { PurgedBatch } from './purge-store.ts'
import { createMessages } from './messages.ts'
import { createQueries } from './queries.ts'
import type { HistoryEntry } from './store.ts'
import { createSweeps } from './sweeps.ts'
import type { Actor, AgentScope, Chat, ChatStatus, CompletedRow, FileRef, Message, QueueTally, SharedArticle } from './types.ts'
import type { FactService } from '../facts/service.ts'
import type { WebhookOutbox } from '../webhooks/outbox.ts'

export { agentMaySee, checkMessageLength, describeAgent, hashToken, messageBody } from './rules.ts'
export type { PurgedBatch } from './purge-store.ts'

export interface ChatServiceDeps {
  db: Knex
  bus: Bus
  host: HostAdapter
  routing: RoutingService
  clock?: () => number
  settings: Pick<Settings, 'maxMessageLength'>
  /** The webhook outbox: every change's event is recorded in its transaction (webhook-events.ts). */
  webhooks?: Pick<WebhookOutbox, 'record' | 'wants'>
  /** The reports' per-chat facts, recorded in each change's transaction (docs/reports.md); made over `db` when not given. */
  facts?: Pick<FactService, 'record' | 'startedMany' | 'assignedMany' | 'answered' | 'answeredAlready'>
  /** The audit log: chats taken, monitored and transferred by a supervisor, deleted and undeleted (docs/features.md#audit-log). */
  audit?: Pick<AuditService, 'record' | 'recordFirst'>
  /** Where a failure nobody waits for is told (the words of new messages not written in time). */
  log?: { warn: (obj: object, msg: string) => void }
}

export interface StartChat {
  name: string
  email: string
  question: string
  customer: HostUser | null
  /** The customer id a verified identity token vouched for (docs/features.md#verified-customer-identity). */
  verifiedId?: string | null
  /** The group the chat starts in; null where no groups are set up (one shared queue). */
  groupId?: number | null
  /** Where the pre-chat form came from: the request's address and User-Agent. */
  origin?: { ip: string | null, userAgent: string | null }
}

export interface TransferTarget {
  groupId: number
  /** A named agent (the chat waits in their Transferred tab), or null for the whole group. */
  agentId: string | null
  /** Hand it to the group's best available agent at once (round robin's choice). */
  auto: boolean
  comment: string
}

/**
 * What changed, told (in this instance, after commit) to whoever routes chats: the
 * distributor drains queues on it. Not on the bus: one instance acting on a change is enough.
 */
export type ChatChange =
  | { kind: 'queued', chat: Chat, auto?: boolean, notTo?: string }
  | { kind: 'freed', agentId: string, chat: Chat }

/** Round robin's choice for a batch: which of the queued chats (oldest first) goes to which of the agents with room (best first). */
export type BatchPlan = (queued: Chat[], candidates: Candidate[]) => Array<{ chatId: number, agentId: string }>

/**
 * What became of one chat of a Delete or Undelete: done, refused (with the reason), not
 * found (or not the viewer's to see: not told apart), or lost to someone who changed it first.
 */
export interface DeletionOutcome {
  id: number
  /** The customer's name, where the viewer may see the chat. */
  name: string | null
  /** 'allowed' only from checkDeleteChats, which changes nothing. */
  outcome: 'done' | 'allowed' | 'refused' | 'not-found' | 'lost'
  /** The chat as it is now, when done or allowed. */
  chat?: Chat
  /** Why not: 404 not found, 403 not theirs, 409 still open, already deleted or restored meanwhile. */
  error?: CodedError
}

/** How the queue-timeout job turns a chat into a host ticket, and takes it back (plugin/jobs wires plugin/customer's leaveMessage). */
export interface QueueTimeoutOffer {
  /**
   * Makes the host ticket from what the customer wrote (`text`), with every message the customer saw in order (the
   * ticket's transcript entries); throws when the help desk cannot.
   */
  ticketFor: (chat: Chat, text: string, messages: Message[]) => Promise<{ ref: string }>
  /** Takes a ticket back when its chat was taken, left or transferred before it could be closed. */
  withdraw: (chat: Chat, ref: string) => Promise<void>
}

/**
 * How a job's sweep treats each chat it meets (docs/features.md#failing-items): a chat that
 * failed before waits out its backoff, and one that fails now is recorded and skipped, so one
 * bad chat never stops the others. The jobs implement it; without one, a failure is thrown.
 */
export interface ItemGuard {
  /** Whether the chat (or, in the instant message purge, the thread) may be tried now: it has not failed, or its wait is over. */
  due (id: number): Promise<boolean>
  /** Records what went wrong with it; the sweep goes on with the next. */
  failed (id: number, err: unknown): Promise<void>
  /** It was handled (or is no longer the job's): its failure record goes. */
  done (id: number): Promise<void>
}

/** One batch of the purge: what it removed, and the last candidate it met, where the next batch starts. */
export interface PurgeStep extends PurgedBatch {
  last: number
}

export interface QueueTimeoutResult {
  closed: number
  withdrawn: number
  /** Chats left queued (no ticket could be made) or tickets that could not be withdrawn. */
  failed: Array<{ chatId: number, error: string, cause: unknown }>
}

/** A chat list's query; `now` (what idle and queue time are measured at) defaults to the clock. */
export type ChatListQuery = Omit<ListQuery, 'now'> & { now?: number }

export type Customer = { userId: string | null, email: string }

/**
 * Chats: their lifecycle, messages, deletion, the jobs' sweeps and the reads behind the
 * screens (docs/design.md §4). Every change is one conditional UPDATE plus its History row in one
 * transaction; the bus (named below) hears of it after the commit. A lost race is a 409:
 * LC_ERR_CHAT_TAKEN naming who has the chat, else LC_ERR_CHAT_STATE_CONFLICT with its state.
 */
export interface ChatService {
  // ------------------------------------------------------------ lifecycle (lifecycle.ts, handover.ts)
  /** Registers a listener told, in this instance and after commit, of chats queued or freeing an agent (the distributor). */
  onChange (fn: (change: ChatChange) => Promise<void>): void
  /**
   * Queues a chat from the pre-chat form, the question its first message; the token is returned once (only its hash is
   * kept). Publishes chat.message, queue.changed, agent.alert.
   */
  startChat (input: StartChat): Promise<{ chat: Chat, token: string }>
  /** The chat when `token` is its customer token or `user` the signed-in customer who started it; else throws LC_ERR_CHAT_NOT_FOUND. */
  chatForCustomer (chatId: number, token: string | undefined, user: HostUser | null): Promise<Chat>
  /** The chat when agentMaySee allows it; else throws LC_ERR_CHAT_NOT_FOUND (others' chats are not told apart from none). */
  chatForAgent (chatId: number, scope: AgentScope): Promise<Chat>
  /** A supervisor opened `chat` (one chatForAgent gave them): when it is someone else's active chat, the audit log's chat.monitored, once per supervisor and chat. */
  monitorChat (chat: Chat, scope: AgentScope): Promise<void>
  /**
   * Takes a queued chat (Queue or Transferred tab) with the seq of its "joined" event; throws LC_ERR_NOT_IN_GROUP,
   * LC_ERR_AGENT_AT_LIMIT or the 409 of a lost race. Publishes chat.message, chat.updated, agent.chats, queue.changed.
   */
  acceptChat (chatId: number, scope: AgentScope): Promise<{ chat: Chat, joinedSeq: number }>
  /**
   * Round robin gives a queued chat to the agent the distributor chose: 'full' when they filled up meanwhile, 'gone'
   * when the chat was taken or closed. Publishes as acceptChat, plus agent.alert.
   */
  assignChat (chatId: number, agentId: string): Promise<'assigned' | 'full' | 'gone'>
  /**
   * Round robin's batch (batch-assign.ts): in one transaction, locks the presence rows of `agentIds`
   * (routing.claimGroup), then reads the group's `limit` oldest queued chats (none held for a named agent), lets `plan`
   * pair them with the agents who have room, and gives each chosen chat to its agent. Returns the chats given, as
   * their agents got them, and how many queued chats it saw. Publishes, per chat, as assignChat.
   */
  assignQueued (groupId: number, agentIds: string[], plan: BatchPlan, limit?: number): Promise<{ given: Chat[], seen: number }>
  /**
   * A supervisor takes an active chat from its agent (a queued one is accepted); throws LC_ERR_CHAT_NOT_FOUND,
   * LC_ERR_AGENT_AT_LIMIT or a 409. Publishes chat.message, chat.updated, agent.chats to both, agent.notice to the one
   * who had it.
   */
  takeChat (chatId: number, scope: AgentScope): Promise<{ chat: Chat, joinedSeq: number }>
  /**
   * Transfers an active chat to a group, a member of it, or (`auto`) its best available agent, idle time kept; throws
   * LC_ERR_GROUP_NOT_FOUND, LC_ERR_TRANSFER_TARGET or a 409. Publishes chat.message, chat.updated, agent.chats,
   * queue.changed, agent.alert.
   */
  transferChat (chatId: number, scope: AgentScope, target: TransferTarget): Promise<Chat>
  /**
   * Ends a chat: the customer cancels a queued one or leaves an agent's (which stays with the agent), the agent ends
   * an active one; throws LC_ERR_CHAT_STATE_CONFLICT. Publishes chat.message, chat.updated, queue.changed or
   * agent.chats.
   */
  endChat (chatId: number, actor: Actor): Promise<Chat>
  /**
   * The agent closes an active chat whose customer has gone as abandoned (`data` into History; tickets are the
   * caller's to cancel first); throws LC_ERR_CHAT_STATE_CONFLICT. Publishes chat.message, chat.updated, agent.chats.
   */
  abandonChat (chatId: number, actor: Actor, data?: object): Promise<Chat>

  // ------------------------------------------------------------ messages (messages.ts)
  /**
   * Stores a text message, then publishes chat.message; a resend (same client id) returns the original, `duplicate`.
   * Agents write to their own active chat, customers until they leave; throws LC_ERR_MESSAGE_EMPTY,
   * LC_ERR_MESSAGE_TOO_LONG, LC_ERR_CHAT_STATE_CONFLICT, LC_ERR_CHAT_NOT_FOUND, LC_ERR_CHAT_CLOSED.
   */
  postMessage (chatId: number, author: Actor, text: string, clientMsgId: string | null): Promise<{ message: Message, duplicate: boolean }>
  /**
   * A file message by postMessage's rules; `attach` records the file in the same transaction, so both commit or
   * neither. Throws and publishes as postMessage.
   */
  postFile (chatId: number, author: Actor, attach: (trx: Knex.Transaction) => Promise<FileRef>): Promise<Message>
  /**
   * A manual event both sides see, or with `agentsOnly` a note, in an active chat, `record` into History (the caller
   * checks who may); throws LC_ERR_CHAT_STATE_CONFLICT. Publishes chat.message.
   */
  postManualEvent (chatId: number, author: Actor, body: string, agentsOnly: boolean, record: { action: string, data?: object }): Promise<Message>
  /**
   * The chat's own agent shares a knowledge article as a card both sides see; throws LC_ERR_CHAT_STATE_CONFLICT, or
   * LC_ERR_CHAT_TAKEN naming who has it now. Publishes chat.message.
   */
  shareArticle (chatId: number, author: Actor, article: SharedArticle): Promise<Message>
  /**
   * Coaching: a supervisor of the chat's group, or its agent answering, writes for agents only in an active chat;
   * throws as postMessage. Publishes chat.message.
   */
  postCoaching (chatId: number, scope: AgentScope, text: string, clientMsgId: string | null): Promise<{ message: Message, duplicate: boolean }>
  /** Someone is typing: publishes chat.typing to the other side; nothing is stored. */
  typing (chatId: number, side: 'agent' | 'customer', name: string): Promise<void>
  /** The agent has read their chat up to `seq` (the unread badge clears); read marks only move forwards. */
  markRead (chatId: number, agentId: string, seq: number): Promise<void>
  /**
   * Read marks (docs/features.md#read-marks): the customer's window has shown the chat up to `seq`.
   * Only forwards; when it moves, publishes chat.read to the agents.
   */
  markCustomerRead (chatId: number, seq: number): Promise<void>
  /** `side`'s open window holds the chat up to `seq`: publishes chat.received; nothing is stored. */
  received (chatId: number, side: 'agent' | 'customer', seq: number): Promise<void>
  /** Messages after `afterSeq` (and up to `upToSeq`), in seq order, agents-only kinds included. */
  messages (chatId: number, afterSeq?: number, upToSeq?: number): Promise<Message[]>
  /** What the customer may read of a chat, their page and transcript: every message but coaching and notes. */
  customerMessages (chatId: number): Promise<Message[]>

  // ------------------------------------------------------------ deletion (deletion.ts)
  /**
   * Delete: each chat to Deleted Items by mayDelete's rule, per chat in the order given, done or why not. Publishes
   * chat.deleted, agent.chats.
   */
  deleteChats (ids: number[], scope: AgentScope): Promise<DeletionOutcome[]>
  /** What deleteChats would do, changing nothing: each chat 'allowed' or why not (Delete selected's confirmation names them). */
  checkDeleteChats (ids: number[], scope: AgentScope): Promise<DeletionOutcome[]>
  /** Undelete: chats come back from Deleted Items by the same rule, until they are purged. Publishes chat.restored, agent.chats. */
  undeleteChats (ids: number[], scope: AgentScope): Promise<DeletionOutcome[]>
  /** A chat of the viewer's Deleted Items and who deleted it, for its read-only view; anything else throws LC_ERR_CHAT_NOT_FOUND. */
  deletedChatForAgent (chatId: number, scope: AgentScope): Promise<{ chat: Chat, deletedBy: string }>
  /** Who deleted each of these chats (Deleted Items' column), from their History. */
  deletedBy (chatIds: number[]): Promise<Map<number, string>>

  // ------------------------------------------------------------ the jobs' sweeps (sweeps.ts)
  /**
   * Re-offer: auto-assigned chats unanswered for `afterMs` requeue, never to go straight back to their agent while
   * another can take them; each counts as a missed offer of the agent (routing.missedOffer: the
   * `missesBeforeUnavailable`-th in a row, 0 never, makes them unavailable). Unaccepted transfers to an agent go to the
   * group. Returns the requeued, with what each miss came to, for the caller to route and tell. Publishes
   * presence.changed (an agent made unavailable), chat.message, chat.updated, agent.chats, queue.changed, agent.notice.
   */
  reofferUnanswered (afterMs: number, missesBeforeUnavailable: number): Promise<Array<{ agentId: string, chat: Chat, missed: MissedOffer }>>
  /**
   * Windows of these chats' customers are open (or closing: `leaving`): refreshes customer_seen_at and clears a "gone"
   * mark with an agents-only note. Publishes chat.message, chat.updated.
   */
  customerSeen (chatIds: number[], opts?: { staleAfterMs?: number, leaving?: boolean }): Promise<void>
  /**
   * Customer-gone job: marks active chats no customer window has kept for `afterMs`, with an agents-only note; returns
   * how many. Publishes chat.message, chat.updated.
   */
  markCustomersGone (afterMs: number, items?: ItemGuard): Promise<number>
  /**
   * Idle-end job: ends chats whose customer was marked gone over `afterMs` ago, freeing their agents, until
   * `stillOurs` fails; returns how many. Publishes as abandonChat.
   */
  endIdleChats (afterMs: number, stillOurs?: () => Promise<boolean>, items?: ItemGuard): Promise<number>
  /**
   * Queue-timeout job: chats queued over `afterMs` become host tickets and close as cancelled; a ticket whose chat
   * changed meanwhile is withdrawn. Publishes chat.message, chat.updated, queue.changed.
   */
  timeOutQueuedChats (afterMs: number, offer: QueueTimeoutOffer, stillOurs?: () => Promise<boolean>, items?: ItemGuard): Promise<QueueTimeoutResult>
  /** The ticket a chat the queue-timeout job closed became (from its History); null for any other chat. */
  timeoutTicket (chat: Chat): Promise<string | null>
  /**
   * One batch of the purge job: up to `limit` chats with ids above `after`, deleted before `deletedBefore`, go with every
   * row of theirs, in one transaction that leaves a chat undeleted since the scan alone; null when there was none to
   * take. Under the job's guard a chat waiting out its backoff is passed over, and when the batch fails each of its chats
   * is tried in a transaction of its own, a bad one recorded and left whole. The files' contents are the caller's to
   * remove: only those of chats whose rows were committed are listed.
   */
  purgeDeleted (deletedBefore: number, limit: number, after?: number, items?: ItemGuard): Promise<PurgeStep | null>
  /** The purge's words phase (docs/design.md §7): up to `limit` purged chats whose word rows are still there, lowest id first. */
  pendingWordChats (limit: number): Promise<number[]>
  /** Every (word, chat) pair of word rows the purged `chatIds` may still hold (the words their chat batch kept), unordered. */
  wordPairs (chatIds: number[]): Promise<Array<[string, number]>>
  /**
   * Removes the word rows of `pairs` (word, chat) of the purged `chatIds` in one transaction; with `last` the chats leave
   * the list of those whose word rows are still to go. Returns the rows removed.
   */
  purgeWords (chatIds: number[], pairs: Array<[string, number]>, last: boolean): Promise<number>

  // ------------------------------------------------------------ reads (queries.ts)
  /** The agent's Queue tab: unassigned chats of the groups they work, oldest first. */
  queue (scope: AgentScope): Promise<Chat[]>
  /** The agent's Transferred tab: transfers waiting for them or a group of theirs (every one in their groups for a supervisor). */
  transferred (scope: AgentScope): Promise<Chat[]>
  /**
   * The Queue and the Transferred tab together, as queue and transferred read them, at most `limit` each, and their
   * counts as counts gives them: one statement (the console page), two when a tab holds more than `limit`.
   */
  waiting (scope: AgentScope, limit?: number): Promise<{ queue: Chat[], transferred: Chat[], counts: { queue: number, transferred: number } }>
  /** How many chats the agent's Queue and Transferred tabs hold. */
  counts (scope: AgentScope): Promise<{ queue: number, transferred: number }>
  /** Every queue's counts in one read, for queueCounts to give each viewer theirs (what a queue change pushes to every console). */
  queueTally (): Promise<QueueTally>
  /** The oldest chats of a group that distribution may hand out (none held for a named agent). */
  nextQueued (groupId: number, limit?: number): Promise<Chat[]>
  /** How many chats wait ahead of this one in its group's line; undefined when it is not waiting in line. */
  queuePosition (chat: Chat): Promise<number | undefined>
  /** For every chat waiting in line, how many are ahead of it in its group, in one read. */
  queuePositions (): Promise<Map<number, number>>
  /** Average wait (ms) of the group's last 20 chats taken in the past day; null without any. */
  recentQueueTime (groupId: number | null): Promise<number | null>
  /**
   * One page of a chat list (My and Global Live Chats, Deleted Items), filtered and sorted; the caller decides which
   * groups the viewer sees.
   */
  list (query: ChatListQuery): Promise<Chat[]>
  /** The agent's own active, or completed (ended, abandoned), chats, newest first. */
  agentChats (agentId: string, which: 'active' | 'completed'): Promise<Chat[]>
  /** The agent's completed chats as My Completed lists them, newest first: only what a row shows is read. */
  completedRows (agentId: string): Promise<CompletedRow[]>
  /** The chat's History, oldest first. */
  history (chatId: number): Promise<HistoryEntry[]>
  /**
   * A customer's chats, newest first (before chat `before`), by host user when signed in else by email, with counts of
   * the last 7, 30 and 90 days and in all.
   */
  customerChats (customer: Customer, opts?: { limit?: number, before?: number }): Promise<{ chats: Chat[], counts: { last7: number, last30: number, last90: number, all: number } }>
  /** How many chats the customer had before chat `before`, and when the newest of them started: the pane's returning-customer line, in one read. */
  earlierChats (customer: Customer, before: number): Promise<{ count: number, lastAt: number | null }>
  /** A signed-in customer's open chat (queued, or active and not left by them), the newest; undefined without one. */
  openChatOf (userId: string): Promise<Chat | undefined>
  /** Every chat id of a customer (for totals other capabilities keep per chat). */
  customerChatIds (customer: Customer): Promise<number[]>
  /** How many chats were started since each of the given times, deleted ones included (the deflection report's periods). */
  startedSince (since: number[]): Promise<number[]>
  /** Chats (not deleted) by status, in one query: what the operator's metrics read at each scrape. */
  statusCounts (): Promise<Array<{ status: ChatStatus, n: number }>>
  /** Per group: chats waiting in line and when the oldest of them was queued (epoch ms), in one query. */
  queueStats (): Promise<Array<{ groupId: number | null, n: number, oldestQueuedAt: number | null }>>
  /** One History row for another capability's change (a comment, say); pass that change's transaction so both commit together. */
  recordHistory (chatId: number, actor: Actor, action: string, data?: object, trx?: Knex.Transaction): Promise<void>
  /** The chat (not deleted), read inside `trx` when given; throws LC_ERR_CHAT_NOT_FOUND. */
  get (chatId: number, trx?: Knex | Knex.Transaction): Promise<Chat>
  /** Writes the words of new messages still due (SQLite, chats/due-words.ts), so that a search finds every message stored. */
  wordsWritten (): Promise<void>
  /** Writes what is due and times nothing more: the plugin is closing. */
  close (): Promise<void>
}

/** The chat service, composed of its parts; they share core.ts (append, History, lost races, telling after commit). */
export function createChatService (deps: ChatServiceDeps): ChatService {
  const core = createChatCore(deps)
  return {
    onChange: core.onChange,
    ...createLifecycle(core),
    ...createStarts(core),
    ...createHandover(core),
    ...createBatchAssign(core),
    ...createMessages(core),
    ...createDeletion(core),
    ...createSweeps(core),
    ...createQueries(core),
    async recordHistory (chatId, actor, action, data, trx) {
      if (trx) await core.history(trx, chatId, actor, action, data)
      else await deps.db.transaction(async (t) => { await core.history(t, chatId, actor, action, data) })
    },
    get: core.load,
    wordsWritten: core.wordsWritten,
    close: core.close
  }
}
