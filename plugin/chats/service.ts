import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Knex } from 'knex'
import { freshReads, isUniqueViolation, transact } from '../db/index.ts'
import {
  type CodedError, isCoded, LC_ERR_CHAT_ALREADY_DELETED, LC_ERR_CHAT_CLOSED, LC_ERR_CHAT_NOT_DELETED, LC_ERR_CHAT_NOT_FOUND, LC_ERR_CHAT_STATE_CONFLICT, LC_ERR_CHAT_TAKEN,
  LC_ERR_DELETE_NOT_YOURS, LC_ERR_DELETE_OPEN_CHAT, LC_ERR_GROUP_NOT_FOUND, LC_ERR_MESSAGE_EMPTY, LC_ERR_MESSAGE_TOO_LONG, LC_ERR_NOT_IN_GROUP, LC_ERR_TRANSFER_TARGET
} from '../errors.ts'
import type { HostAdapter, HostUser } from '../host/adapter.ts'
import type { Bus } from '../realtime/bus-events.ts'
import type { RoutingService } from '../routing/service.ts'
import * as store from './store.ts'
import { type Actor, type AgentScope, agentOnlyKinds, type Chat, ChatStatus, closedStatuses, type FileRef, mayDelete, type Message, openStatuses, queueGroups, sees, type SharedArticle } from './types.ts'

export interface ChatServiceDeps {
  db: Knex
  bus: Bus
  host: HostAdapter
  routing: RoutingService
  clock?: () => number
  maxMessageLength: number
}

export interface StartChat {
  name: string
  email: string
  question: string
  customer: HostUser | null
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

const events = {
  joined: (name: string) => `${name} joined the chat`,
  endedBy: (name: string) => `${name} ended the chat`,
  abandoned: (name: string) => `${name} closed the chat as abandoned`,
  cancelled: (name: string) => `${name} left before an agent joined`,
  customerLeft: 'End user has cancelled chat',
  transferred: (to: string) => `You are being transferred to ${to}; please stay with us`,
  taken: (name: string) => `${name} took over the chat`,
  reoffered: 'Connecting you with another agent',
  // Agents only (kind 'note'): the customer is not there to read them.
  customerGone: 'Customer left the chat window',
  customerBack: 'Customer is back',
  // The scheduled jobs (plugin/jobs): events both sides see.
  idleEnded: (minutes: number) => `Ended automatically: the customer left ${minutes} minute${minutes === 1 ? '' : 's'} ago`,
  timedOut: (ref: string, email: string) => `No agent could answer in time, so we have created ticket ${ref} from your question; the team will reply to ${email}`
}

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

/** "Chat #5 is still …": the open states in words. */
const stillOpen: Partial<Record<ChatStatus, string>> = { queued: 'waiting in the queue', active: 'active' }

/** How the queue-timeout job turns a chat into a host ticket, and takes it back (plugin/jobs wires plugin/customer's leaveMessage). */
export interface QueueTimeoutOffer {
  /** Makes the host ticket from what the customer wrote; throws when the help desk cannot. */
  ticketFor: (chat: Chat, text: string) => Promise<{ ref: string }>
  /** Takes a ticket back when its chat was taken, left or transferred before it could be closed. */
  withdraw: (chat: Chat, ref: string) => Promise<void>
}

export interface QueueTimeoutResult {
  closed: number
  withdrawn: number
  /** Chats left queued (no ticket could be made) or tickets that could not be withdrawn. */
  failed: Array<{ chatId: number, error: string, cause: unknown }>
}

/** Rolls a re-offer back when the agent answered between the job's read and its UPDATE. */
const answeredMeanwhile = new Error('answered meanwhile')

/**
 * "Firefox on Windows" from a User-Agent: enough for an agent to picture the customer's
 * screen, without keeping the whole string (which fingerprints people).
 */
export function describeAgent (userAgent: string | null): string | null {
  if (!userAgent) return null
  const ua = userAgent.slice(0, 500)
  // Order matters: Edge and Opera also say Chrome, Chrome also says Safari, Android says Linux.
  const browser = browsers.find(([, pattern]) => pattern.test(ua))?.[0]
  const system = systems.find(([, pattern]) => pattern.test(ua))?.[0]
  if (!browser && !system) return 'an unknown browser'
  return [browser ?? 'a browser', system].filter(Boolean).join(' on ')
}

const browsers: Array<[string, RegExp]> = [['Edge', /Edg\//], ['Opera', /OPR\//], ['Firefox', /Firefox\//], ['Chrome', /Chrome\/|Chromium\//], ['Safari', /Safari\//]]
const systems: Array<[string, RegExp]> = [['Windows', /Windows/], ['Android', /Android/], ['iOS', /iPhone|iPad|iOS/], ['macOS', /Mac OS X|Macintosh/], ['ChromeOS', /CrOS/], ['Linux', /Linux/]]

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

export type ChatService = ReturnType<typeof createChatService>

/** The rule behind chatForAgent, for lists that link only the chats the agent may open. */
export function agentMaySee (chat: Chat, scope: AgentScope): boolean {
  if (chat.agentId === scope.id) return true
  if (scope.supervise && sees(scope, chat.groupId)) return true
  if (chat.status === ChatStatus.queued && (chat.transferredTo === null || chat.transferredTo === scope.id)) {
    const groups = queueGroups(scope)
    return chat.groupId === null || groups === 'all' || groups.includes(chat.groupId)
  }
  return false
}

const dayMs = 86_400_000

/** Chat lifecycle and messages (DESIGN §4): every change is one conditional UPDATE plus history, in one transaction. */
export function createChatService ({ db, bus, host, routing, clock = Date.now, maxMessageLength }: ChatServiceDeps) {
  const listeners: Array<(change: ChatChange) => Promise<void>> = []

  async function changed (change: ChatChange): Promise<void> {
    for (const fn of listeners) await fn(change)
  }
  /**
   * After a chat an agent had was closed (abandoned, ended idle): its closing event and
   * state go out, the agent's lists follow and their capacity is freed for the queue.
   */
  async function closed (chatId: number, event: Message): Promise<Chat> {
    const chat = await load(chatId)
    await bus.publish({ type: 'chat.message', chatId, message: event })
    await bus.publish({ type: 'chat.updated', chat })
    if (chat.agentId) {
      await bus.publish({ type: 'agent.chats', agentId: chat.agentId, chatId })
      await routing.chatEnded(chat.agentId)
      await changed({ kind: 'freed', agentId: chat.agentId, chat })
    }
    return chat
  }

  /** Appends a message inside `trx`, taking the next seq; undefined when the chat is no longer open (or fails `guard`). */
  async function append (trx: Knex.Transaction, chatId: number, author: Actor, kind: Message['kind'], body: string, clientMsgId: string | null, open: readonly ChatStatus[] = openStatuses, guard: store.Guard = {}): Promise<Message | undefined> {
    const at = clock()
    // A file or an article the agent sends is an answer too: idle time and re-offer go by it.
    const agentText = author.kind === 'agent' && (kind === 'text' || kind === 'file' || kind === 'kb_share')
    // An agent has read what they answer. Listed before last_seq's bump, so MySQL (which
    // assigns left to right) and SQLite (old values) both store the new seq.
    const seq = await store.reserveSeq(trx, chatId, open, agentText ? { last_agent_message_at: at, agent_read_seq: trx.raw('last_seq + 1') as never } : {}, guard)
    if (seq === undefined) return undefined
    const row = {
      chat_id: chatId,
      seq,
      kind,
      author_kind: author.kind,
      author_id: author.id,
      author_name: author.name,
      body,
      client_msg_id: clientMsgId,
      created_at: at
    }
    const id = await store.insertMessage(trx, row)
    return store.toMessage({ id, ...row })
  }

  const system: Actor = { kind: 'system', id: null, name: 'Live chat' }
  const customerOf = (chat: Chat): Actor => ({ kind: 'customer', id: chat.customerUserId, name: chat.customerName })

  async function history (trx: Knex.Transaction, chatId: number, actor: Actor, action: string, data?: object): Promise<void> {
    await store.insertHistory(trx, {
      chat_id: chatId, actor_kind: actor.kind, actor_id: actor.id, actor_name: actor.name, action, data: data ? JSON.stringify(data) : null, created_at: clock()
    })
  }

  async function load (chatId: number, trx: Knex | Knex.Transaction = db): Promise<Chat> {
    const row = await store.getChatRow(trx, chatId)
    if (!row) throw new LC_ERR_CHAT_NOT_FOUND(String(chatId))
    return store.toChat(row)
  }

  async function groupName (groupId: number | null): Promise<string> {
    if (groupId === null) return 'the queue'
    try {
      return (await routing.group(groupId)).name
    } catch {
      return `group ${groupId}`
    }
  }

  /** The 409 for a chat someone else got to first: who has it, or what state it is in now. */
  async function lostRace (chatId: number, action: string): Promise<never> {
    const chat = await load(chatId)
    if (chat.agentId) {
      const winner = await host.getUser(chat.agentId)
      throw new LC_ERR_CHAT_TAKEN(winner?.name ?? 'another agent')
    }
    throw new LC_ERR_CHAT_STATE_CONFLICT(chat.status, action)
  }

  /** Who did `action` to the chat last (from its History), for a message that names them. */
  async function lastActor (chatId: number, action: 'deleted' | 'undeleted'): Promise<string | undefined> {
    return (await store.latestHistory(db, [chatId], action)).get(chatId)?.actorName
  }

  /**
   * One chat of a Delete or Undelete (seed 000, "Deleting Live Chats"; "Undeleting"): the
   * rule is mayDelete's; the change is one conditional UPDATE with its History row in one
   * transaction, and open consoles are told after the commit.
   */
  async function changeDeletion (id: number, scope: AgentScope, op: 'delete' | 'undelete'): Promise<DeletionOutcome> {
    const checked = await checkDeletion(id, scope, op)
    if (checked.outcome !== 'allowed') return checked
    const before = checked.chat!
    const name = before.customerName
    const actor: Actor = { kind: 'agent', id: scope.id, name: scope.name }
    const done = await db.transaction(async (trx) => {
      const n = op === 'delete' ? await store.markDeleted(trx, id, closedStatuses, clock()) : await store.markRestored(trx, id)
      if (n === 0) return false
      await history(trx, id, actor, op === 'delete' ? 'deleted' : 'undeleted')
      return true
    })
    if (!done) return { id, name, outcome: 'lost', error: await lostDeletion(id, op) }
    const now = await store.chatRowWithDeleted(db, id)
    const chat = now ? store.toChat(now) : before
    await bus.publish({ type: op === 'delete' ? 'chat.deleted' : 'chat.restored', chat, by: scope.name })
    // The agent's own lists (My Completed) lose or regain it.
    if (chat.agentId) await bus.publish({ type: 'agent.chats', agentId: chat.agentId, chatId: id })
    return { id, name, outcome: 'done', chat }
  }

  /** Whether the viewer may delete (or undelete) the chat now, by mayDelete's rule; 'allowed' with the chat, or why not. */
  async function checkDeletion (id: number, scope: AgentScope, op: 'delete' | 'undelete'): Promise<DeletionOutcome> {
    const row = await store.chatRowWithDeleted(db, id)
    const chat = row ? store.toChat(row) : undefined
    if (!chat || !agentMaySee(chat, scope)) return { id, name: null, outcome: 'not-found', error: new LC_ERR_CHAT_NOT_FOUND(String(id)) }
    const refused = (error: CodedError): DeletionOutcome => ({ id, name: chat.customerName, outcome: 'refused', error })
    const deleted = chat.deletedAt != null
    if (op === 'delete' && deleted) return refused(new LC_ERR_CHAT_ALREADY_DELETED(String(id), await lastActor(id, 'deleted') ?? 'someone'))
    if (op === 'undelete' && !deleted) return refused(await notDeleted(id))
    if (!closedStatuses.includes(chat.status)) return refused(new LC_ERR_DELETE_OPEN_CHAT(String(id), stillOpen[chat.status] ?? chat.status))
    if (!mayDelete(chat, scope)) return refused(new LC_ERR_DELETE_NOT_YOURS(String(id), op))
    return { id, name: chat.customerName, outcome: 'allowed', chat }
  }

  /** "Not in Deleted Items", naming who restored it when someone did (a list read before they did). */
  async function notDeleted (id: number): Promise<CodedError> {
    const by = await lastActor(id, 'undeleted')
    return new LC_ERR_CHAT_NOT_DELETED(String(id), by ? ` (${by} restored it)` : '')
  }

  /** Why a Delete or Undelete changed nothing although the chat qualified a moment before: who got there first. */
  async function lostDeletion (id: number, op: 'delete' | 'undelete'): Promise<CodedError> {
    const row = await store.chatRowWithDeleted(db, id)
    if (!row) return new LC_ERR_CHAT_NOT_FOUND(String(id))
    const chat = store.toChat(row)
    if (op === 'undelete') return await notDeleted(id)
    if (chat.deletedAt != null) return new LC_ERR_CHAT_ALREADY_DELETED(String(id), await lastActor(id, 'deleted') ?? 'someone')
    return new LC_ERR_DELETE_OPEN_CHAT(String(id), stillOpen[chat.status] ?? chat.status)
  }

  /**
   * Gives a queued chat to `agent` in one transaction that first claims the agent's
   * capacity (locking their presence row), then moves the chat if it is still queued.
   * Returns the "joined" event, or undefined when the chat was no longer there to take.
   */
  async function give (chat: Chat, agent: { id: string, name: string }, auto: boolean, supervising = false): Promise<Message | undefined> {
    const at = clock()
    const actor: Actor = { kind: 'agent', id: agent.id, name: agent.name }
    await routing.ensurePresence(agent.id)
    return await transact(db, async (trx) => {
      // First, before any other read: the lock orders every claim on this agent.
      await routing.claimCapacity(trx, agent.id, chat.groupId, auto)
      const n = await store.transition(trx, chat.id, [ChatStatus.queued],
        { status: ChatStatus.active, agent_id: agent.id, assigned_at: at, auto_assigned: auto, transferred_to: null },
        // A chat held for a named agent after a transfer is theirs, or a supervisor's to give.
        supervising ? {} : { transferableTo: agent.id })
      if (n === 0) return undefined
      const joined = await append(trx, chat.id, actor, 'event', events.joined(agent.name), null)
      await history(trx, chat.id, actor, auto ? 'assigned' : 'accepted', chat.transferredAt ? { transferredBy: chat.transferredBy } : undefined)
      return joined!
    }, freshReads(db))
  }

  async function publishGiven (chat: Chat, agentId: string, joined: Message): Promise<void> {
    await bus.publish({ type: 'chat.message', chatId: chat.id, message: joined })
    await bus.publish({ type: 'chat.updated', chat })
    await bus.publish({ type: 'agent.chats', agentId, chatId: chat.id, fromSeq: joined.seq })
    await bus.publish({ type: 'queue.changed', groupId: chat.groupId })
  }

  /**
   * Takes a queued chat (from the Queue or the Transferred tab). Exactly one of any
   * number of concurrent callers wins; the others get 409 "Already taken by <name>".
   * The agent must work the chat's group and be under their limit. Returns the chat and
   * the seq of the "joined" event, so the caller renders exactly the transcript up to it.
   */
  async function acceptChat (chatId: number, scope: AgentScope): Promise<{ chat: Chat, joinedSeq: number }> {
    const before = await load(chatId)
    if (before.agentId === scope.id && before.status === ChatStatus.active) return { chat: before, joinedSeq: before.lastSeq }
    if (before.status !== ChatStatus.queued) return await lostRace(chatId, 'accepted')
    const supervising = scope.supervise && sees(scope, before.groupId)
    if (before.groupId !== null && !scope.activeIn.includes(before.groupId) && !supervising) throw new LC_ERR_NOT_IN_GROUP(await groupName(before.groupId))
    if (before.transferredTo !== null && before.transferredTo !== scope.id && !supervising) {
      const target = await host.getUser(before.transferredTo)
      throw new LC_ERR_CHAT_STATE_CONFLICT(`waiting for ${target?.name ?? 'another agent'}`, 'accepted by you')
    }
    const joined = await give(before, scope, false, supervising)
    if (!joined) return await lostRace(chatId, 'accepted')
    const chat = await load(chatId)
    await publishGiven(chat, scope.id, joined)
    return { chat, joinedSeq: joined.seq }
  }

  return {
    /** Called (in this instance) after each committed change that routing cares about. */
    onChange (fn: (change: ChatChange) => Promise<void>): void { listeners.push(fn) },

    /**
     * Queues a new chat from the pre-chat form; the question becomes the first message.
     * Returns the customer token once: only its hash is stored.
     */
    async startChat (input: StartChat): Promise<{ chat: Chat, token: string }> {
      const token = randomBytes(32).toString('base64url')
      const at = clock()
      const customer: Actor = { kind: 'customer', id: input.customer?.id ?? null, name: input.name }
      const { chatId, message } = await db.transaction(async (trx) => {
        const chatId = await store.insertChat(trx, {
          status: ChatStatus.queued,
          group_id: input.groupId ?? null,
          agent_id: null,
          customer_user_id: input.customer?.id ?? null,
          customer_name: input.name,
          customer_email: input.email,
          customer_username: input.customer?.username ?? null,
          question: input.question,
          source: 'portal',
          customer_token_hash: hashToken(token),
          created_at: at,
          queued_at: at,
          assigned_at: null,
          ended_at: null,
          ended_by: null,
          last_agent_message_at: null,
          customer_ip: input.origin?.ip?.slice(0, 45) ?? null,
          customer_agent: describeAgent(input.origin?.userAgent ?? null)
        })
        const message = await append(trx, chatId, customer, 'text', input.question, null)
        await history(trx, chatId, customer, 'started', { source: 'portal', groupId: input.groupId ?? null })
        return { chatId, message: message! }
      })
      const chat = await load(chatId)
      await bus.publish({ type: 'chat.message', chatId, message })
      await bus.publish({ type: 'queue.changed', groupId: chat.groupId })
      await bus.publish({ type: 'agent.alert', reason: 'queued', chatId, groupId: chat.groupId, text: `New chat from ${chat.customerName}: ${chat.question.slice(0, 80)}` })
      await changed({ kind: 'queued', chat })
      return { chat: await load(chatId), token }
    },

    /** The chat, when `token` is its customer token or `user` is the signed-in customer who started it. */
    async chatForCustomer (chatId: number, token: string | undefined, user: HostUser | null): Promise<Chat> {
      const row = await store.getChatRow(db, chatId)
      const tokenOk = row !== undefined && token !== undefined && token.length < 200 &&
        timingSafeEqual(Buffer.from(hashToken(token)), Buffer.from(row.customer_token_hash))
      const userOk = row !== undefined && user !== null && row.customer_user_id === user.id
      if (!row || !(tokenOk || userOk)) throw new LC_ERR_CHAT_NOT_FOUND(String(chatId))
      return store.toChat(row)
    },

    /**
     * The chat, when the agent has it, it waits in a queue they work or for them, or
     * they supervise its group. Anything else is "not found": others' chats are not told apart from none.
     */
    async chatForAgent (chatId: number, scope: AgentScope): Promise<Chat> {
      const chat = await load(chatId)
      if (agentMaySee(chat, scope)) return chat
      throw new LC_ERR_CHAT_NOT_FOUND(String(chatId))
    },

    acceptChat,

    /**
     * Round robin's hand-out: gives a queued chat to an agent the distributor chose.
     * 'full' when the agent filled up meanwhile, 'gone' when the chat was taken or closed.
     */
    async assignChat (chatId: number, agentId: string): Promise<'assigned' | 'full' | 'gone'> {
      const before = await store.getChatRow(db, chatId)
      if (!before || before.status !== ChatStatus.queued) return 'gone'
      const agent = await host.getUser(agentId)
      let joined: Message | undefined
      try {
        joined = await give(store.toChat(before), { id: agentId, name: agent?.name ?? 'An agent' }, true)
      } catch (err) {
        if (isCoded(err) && err.code === 'LC_ERR_AGENT_AT_LIMIT') return 'full'
        throw err
      }
      if (!joined) return 'gone'
      const chat = await load(chatId)
      await publishGiven(chat, agentId, joined)
      await bus.publish({ type: 'agent.alert', reason: 'assigned', chatId, agentId, text: `Chat from ${chat.customerName} assigned to you` })
      return 'assigned'
    },

    /**
     * Transfers an active chat to another group, a named agent in it, or the group's
     * best available agent (`auto`). Idle time is not reset (seed 000); the customer is
     * told; the comment is for agents only. Bad targets are refused before anything changes.
     */
    async transferChat (chatId: number, scope: AgentScope, target: TransferTarget): Promise<Chat> {
      const at = clock()
      const before = await load(chatId)
      if (before.status !== ChatStatus.active) throw new LC_ERR_CHAT_STATE_CONFLICT(before.status, 'transferred')
      if (before.agentId !== scope.id && !(scope.supervise && sees(scope, before.groupId))) throw new LC_ERR_CHAT_NOT_FOUND(String(chatId))
      let group
      try {
        group = await routing.group(target.groupId)
      } catch {
        throw new LC_ERR_GROUP_NOT_FOUND(String(target.groupId))
      }
      if (!group.enabled) throw new LC_ERR_GROUP_NOT_FOUND(group.name)
      let toName = group.name
      if (target.agentId !== null) {
        const member = (await routing.members([group.id])).find((m) => m.agentId === target.agentId)
        const user = await host.getUser(target.agentId)
        if (!member || !user) throw new LC_ERR_TRANSFER_TARGET(`${user?.name ?? 'That agent'} is not a member of ${group.name}; pick someone from the list`)
        if (!member.active) throw new LC_ERR_TRANSFER_TARGET(`${user.name} is inactive in ${group.name} and cannot take chats there; pick an active member or the whole group`)
        if (target.agentId === before.agentId) throw new LC_ERR_TRANSFER_TARGET('The chat is already yours; pick another agent or the whole group')
        toName = user.name
      }
      const actor: Actor = { kind: 'agent', id: scope.id, name: scope.name }
      const comment = target.comment.trim().slice(0, 2000)
      const from = before.agentId!
      const event = await transact(db, async (trx) => {
        const n = await store.transition(trx, chatId, [ChatStatus.active], {
          status: ChatStatus.queued,
          agent_id: null,
          group_id: group.id,
          transferred_to: target.agentId,
          transferred_by: scope.id,
          transferred_at: at,
          transfer_comment: comment || null,
          queued_at: at,
          auto_assigned: false,
          agent_read_seq: 0
        }, { agent_id: from })
        if (n === 0) return undefined
        const event = await append(trx, chatId, { kind: 'system', id: null, name: 'Live chat' }, 'event', events.transferred(toName), null, [ChatStatus.queued])
        await history(trx, chatId, actor, 'transferred', { from, toGroup: group.id, toAgent: target.agentId, auto: target.auto, comment })
        return event!
      }, freshReads(db))
      if (!event) return await lostRace(chatId, 'transferred')
      const chat = await load(chatId)
      await bus.publish({ type: 'chat.message', chatId, message: event })
      await bus.publish({ type: 'chat.updated', chat })
      await bus.publish({ type: 'agent.chats', agentId: from, chatId })
      await bus.publish({ type: 'queue.changed', groupId: chat.groupId })
      if (!target.auto) {
        const text = `${scope.name} transferred a chat from ${chat.customerName} to ${target.agentId ? 'you' : group.name}`
        await bus.publish(target.agentId
          ? { type: 'agent.alert', reason: 'transferred', chatId, agentId: target.agentId, text }
          : { type: 'agent.alert', reason: 'transferred', chatId, groupId: group.id, text })
      }
      await routing.chatEnded(from)
      await changed({ kind: 'freed', agentId: from, chat })
      await changed({ kind: 'queued', chat, auto: target.auto, notTo: from })
      return await load(chatId)
    },

    /** A supervisor takes an active chat from another agent (seed 000, Take); a queued one is simply accepted. */
    async takeChat (chatId: number, scope: AgentScope): Promise<{ chat: Chat, joinedSeq: number }> {
      const before = await load(chatId)
      if (!scope.supervise || !sees(scope, before.groupId)) throw new LC_ERR_CHAT_NOT_FOUND(String(chatId))
      if (before.status === ChatStatus.queued) return await acceptChat(chatId, scope)
      if (before.status !== ChatStatus.active) throw new LC_ERR_CHAT_STATE_CONFLICT(before.status, 'taken')
      if (before.agentId === scope.id) return { chat: before, joinedSeq: before.lastSeq }
      const at = clock()
      const from = before.agentId!
      const actor: Actor = { kind: 'agent', id: scope.id, name: scope.name }
      await routing.ensurePresence(scope.id)
      const event = await transact(db, async (trx) => {
        await routing.claimCapacity(trx, scope.id, before.groupId, false)
        const n = await store.transition(trx, chatId, [ChatStatus.active], { agent_id: scope.id, assigned_at: at, auto_assigned: false, agent_read_seq: before.lastSeq }, { agent_id: from })
        if (n === 0) return undefined
        const event = await append(trx, chatId, actor, 'event', events.taken(scope.name), null)
        await history(trx, chatId, actor, 'taken', { from })
        return event!
      }, freshReads(db))
      if (!event) return await lostRace(chatId, 'taken')
      const chat = await load(chatId)
      await bus.publish({ type: 'chat.message', chatId, message: event })
      await bus.publish({ type: 'chat.updated', chat })
      await bus.publish({ type: 'agent.chats', agentId: from, chatId })
      await bus.publish({ type: 'agent.chats', agentId: scope.id, chatId, fromSeq: event.seq })
      await bus.publish({ type: 'agent.notice', agentId: from, level: 'info', text: `${scope.name} took over the chat with ${chat.customerName}` })
      await routing.chatEnded(from)
      await changed({ kind: 'freed', agentId: from, chat })
      return { chat, joinedSeq: event.seq }
    },

    /**
     * Stores a message and only then publishes it. A message with a client id already
     * stored for this chat is returned as it was, not stored twice. An agent writes only
     * to a chat assigned to them, and a customer only until they leave: both are part of
     * the UPDATE that takes the seq, so no transfer can slip in between a check and the write.
     */
    async postMessage (chatId: number, author: Actor, text: string, clientMsgId: string | null): Promise<{ message: Message, duplicate: boolean }> {
      const body = text.replace(/\r\n/g, '\n').trim()
      if (body.length === 0) throw new LC_ERR_MESSAGE_EMPTY()
      const length = [...body].length
      if (length > maxMessageLength) throw new LC_ERR_MESSAGE_TOO_LONG(String(maxMessageLength), String(length))
      // Customers may add to their question while they wait; agents write only once they have the chat.
      const open = author.kind === 'customer' ? openStatuses : [ChatStatus.active]
      const guard: store.Guard = author.kind === 'agent' ? { agent_id: author.id ?? '' } : { customerPresent: true }
      let message: Message | undefined
      try {
        // A deadlock victim on MySQL (a purge batch or another writer beside it) is run again, not lost.
        message = await transact(db, async (trx) => await append(trx, chatId, author, 'text', body, clientMsgId, open, guard))
      } catch (err) {
        // A resend: the unique (chat_id, client_msg_id) index refused the copy and the
        // transaction, seq bump included, rolled back. Answer with the stored original.
        if (clientMsgId && isUniqueViolation(err)) {
          const existing = await store.messageByClientId(db, chatId, clientMsgId)
          if (existing) return { message: store.toMessage(existing), duplicate: true }
        }
        throw err
      }
      if (!message) {
        const chat = await load(chatId)
        if (author.kind === 'agent' && chat.agentId !== author.id) {
          if (chat.status === ChatStatus.queued) throw new LC_ERR_CHAT_STATE_CONFLICT(chat.status, 'written to before it is accepted')
          throw new LC_ERR_CHAT_NOT_FOUND(String(chatId))
        }
        throw new LC_ERR_CHAT_CLOSED()
      }
      await bus.publish({ type: 'chat.message', chatId, message })
      return { message, duplicate: false }
    },

    /**
     * A file sent in the chat (plugin/files), by the same rules as postMessage: the
     * customer while the chat is open and they have not left, the agent once it is theirs.
     * `attach` records the file in the same transaction, before its message takes the next
     * seq, so the file and its message commit together or not at all.
     */
    async postFile (chatId: number, author: Actor, attach: (trx: Knex.Transaction) => Promise<FileRef>): Promise<Message> {
      const open = author.kind === 'customer' ? openStatuses : [ChatStatus.active]
      const guard: store.Guard = author.kind === 'agent' ? { agent_id: author.id ?? '' } : { customerPresent: true }
      const refused = new Error('chat not open for the sender')
      let message: Message | undefined
      try {
        message = await db.transaction(async (trx) => {
          const file = await attach(trx)
          const appended = await append(trx, chatId, author, 'file', JSON.stringify(file), null, open, guard)
          // Nothing of the file may stay behind without its message.
          if (!appended) throw refused
          return appended
        })
      } catch (err) {
        if (err !== refused) throw err
      }
      if (!message) {
        const chat = await load(chatId)
        if (author.kind === 'agent' && chat.agentId !== author.id) {
          if (chat.status === ChatStatus.queued) throw new LC_ERR_CHAT_STATE_CONFLICT(chat.status, 'written to before it is accepted')
          throw new LC_ERR_CHAT_NOT_FOUND(String(chatId))
        }
        throw new LC_ERR_CHAT_CLOSED()
      }
      await bus.publish({ type: 'chat.message', chatId, message })
      return message
    },

    /**
     * A manual event (plugin/events, seed 000 Actions → Manual Event) written into an active
     * chat: an event both sides see, or with `agentsOnly` a note customers never get. It
     * takes the next seq like any message, so delivery stays ordered and exactly once, and
     * `record` goes into History in the same transaction. The caller checks who may do it.
     */
    async postManualEvent (chatId: number, author: Actor, body: string, agentsOnly: boolean, record: { action: string, data?: object }): Promise<Message> {
      const message = await db.transaction(async (trx) => {
        const appended = await append(trx, chatId, author, agentsOnly ? 'note' : 'event', body, null, [ChatStatus.active])
        if (appended) await history(trx, chatId, author, record.action, record.data)
        return appended
      })
      if (!message) throw new LC_ERR_CHAT_STATE_CONFLICT((await load(chatId)).status, 'given a manual event')
      await bus.publish({ type: 'chat.message', chatId, message })
      return message
    },

    /**
     * A knowledge article shared in the chat (plugin/resources, seed 003): a 'kb_share'
     * message both sides see as a card. Only the chat's own agent shares, while it is
     * active, by the same guard as postMessage, so no transfer slips in between the
     * caller's checks and the write. The message takes the next seq and its History row
     * commits with it; the bus is told after the commit.
     */
    async shareArticle (chatId: number, author: Actor, article: SharedArticle): Promise<Message> {
      const message = await db.transaction(async (trx) => {
        const appended = await append(trx, chatId, author, 'kb_share', JSON.stringify(article), null, [ChatStatus.active], { agent_id: author.id ?? '' })
        if (appended) await history(trx, chatId, author, 'article_shared', { articleId: article.id, title: article.title, url: article.url })
        return appended
      })
      if (!message) {
        const chat = await load(chatId)
        if (chat.status !== ChatStatus.active) throw new LC_ERR_CHAT_STATE_CONFLICT(chat.status, 'given an article')
        // Taken over or transferred since the caller looked: say who has it now.
        throw new LC_ERR_CHAT_TAKEN((chat.agentId ? (await host.getUser(chat.agentId))?.name : null) ?? 'another agent')
      }
      await bus.publish({ type: 'chat.message', chatId, message })
      return message
    },

    /**
     * Ends a chat (seed 003, "To close a chat session"). The customer cancelling a queued
     * chat closes it as cancelled; cancelling one an agent has leaves it with the agent,
     * who sees "End user has cancelled chat" and ends it. The agent ends an active chat.
     * Ending an already closed chat is a 409 naming its state.
     */
    async endChat (chatId: number, actor: Actor): Promise<Chat> {
      const at = clock()
      const before = await load(chatId)
      if (!openStatuses.includes(before.status)) throw new LC_ERR_CHAT_STATE_CONFLICT(before.status, 'ended')
      const fromQueue = before.status === ChatStatus.queued
      if (fromQueue && actor.kind !== 'customer') throw new LC_ERR_CHAT_STATE_CONFLICT(before.status, 'ended by an agent who has not accepted it')
      const customerLeaves = actor.kind === 'customer' && !fromQueue
      if (customerLeaves && before.customerLeftAt !== null) throw new LC_ERR_CHAT_STATE_CONFLICT('left by you already', 'left again')
      const ended = await db.transaction(async (trx) => {
        if (customerLeaves) {
          const event = await append(trx, chatId, { kind: 'system', id: null, name: 'Live chat' }, 'event', events.customerLeft, null, [ChatStatus.active], { customerPresent: true })
          if (!event) return undefined
          await trx('lc_chats').where({ id: chatId }).update({ customer_left_at: at })
          await history(trx, chatId, actor, 'customer_left')
          return event
        }
        const event = await append(trx, chatId, actor, 'event', fromQueue ? events.cancelled(actor.name) : events.endedBy(actor.name), null, [before.status])
        if (!event) return undefined
        const status = fromQueue ? ChatStatus.cancelled : ChatStatus.ended
        const n = await store.transition(trx, chatId, [before.status], { status, ended_at: at, ended_by: actor.kind })
        if (n === 0) return undefined
        await history(trx, chatId, actor, fromQueue ? 'cancelled' : 'ended')
        return event
      })
      if (!ended) {
        const now = await load(chatId)
        throw new LC_ERR_CHAT_STATE_CONFLICT(now.status, 'ended')
      }
      const chat = await load(chatId)
      await bus.publish({ type: 'chat.message', chatId, message: ended })
      await bus.publish({ type: 'chat.updated', chat })
      if (fromQueue) await bus.publish({ type: 'queue.changed', groupId: chat.groupId })
      if (chat.agentId) await bus.publish({ type: 'agent.chats', agentId: chat.agentId, chatId })
      if (chat.agentId && chat.status === ChatStatus.ended) {
        await routing.chatEnded(chat.agentId)
        await changed({ kind: 'freed', agentId: chat.agentId, chat })
      }
      return chat
    },

    /**
     * Abandon (seed 003, "To close a chat session"): the agent closes an active chat whose
     * customer has gone, as End Chat does, but the chat is marked abandoned. Tickets made
     * from it are the caller's to cancel first (plugin/tickets); `data` goes into History.
     * Anything but an active chat, or losing the race to another change, is a 409 naming its state.
     */
    async abandonChat (chatId: number, actor: Actor, data?: object): Promise<Chat> {
      const at = clock()
      const lost = new Error('no longer active')
      const event = await db.transaction(async (trx) => {
        const appended = await append(trx, chatId, actor, 'event', events.abandoned(actor.name), null, [ChatStatus.active])
        if (!appended) return undefined
        // The seq was taken under the same condition, so this holds; if not, nothing of it may stay.
        if (await store.transition(trx, chatId, [ChatStatus.active], { status: ChatStatus.abandoned, ended_at: at, ended_by: actor.kind }) === 0) throw lost
        await history(trx, chatId, actor, 'abandoned', data)
        return appended
      }).catch((err: unknown) => { if (err === lost) return undefined; throw err })
      if (!event) throw new LC_ERR_CHAT_STATE_CONFLICT((await load(chatId)).status, 'abandoned')
      return await closed(chatId, event)
    },

    /**
     * Re-offer (DESIGN §5): chats round robin gave to an agent who has not written in them
     * within `afterMs` go back to the queue at their old place. Transfers to a named
     * agent who did not accept within the same time go to the whole group. Returns the
     * re-offered chats and the agents who let them go unanswered; the caller routes them.
     */
    async reofferUnanswered (afterMs: number): Promise<Array<{ agentId: string, chat: Chat }>> {
      const before = clock() - afterMs
      const out: Array<{ agentId: string, chat: Chat }> = []
      for (const row of await store.unansweredAssignments(db, before)) {
        const agentId = row.agent_id!
        const event = await transact(db, async (trx) => {
          // Presence first (the lock order everywhere), so no drain can hand the chat straight back.
          await routing.markUnavailable(trx, agentId)
          const n = await store.transition(trx, row.id, [ChatStatus.active], { status: ChatStatus.queued, agent_id: null, auto_assigned: false, assigned_at: null, agent_read_seq: 0 },
            { agent_id: agentId, assigned_at: row.assigned_at ?? undefined, unanswered: true })
          // Answered meanwhile: undo the presence change with the rest.
          if (n === 0) throw answeredMeanwhile
          const event = await append(trx, row.id, { kind: 'system', id: null, name: 'Live chat' }, 'event', events.reoffered, null, [ChatStatus.queued])
          await history(trx, row.id, { kind: 'system', id: null, name: 'Live chat' }, 'reoffered', { agent: agentId, afterMs })
          return event!
        }).catch((err: unknown) => { if (err === answeredMeanwhile) return undefined; throw err })
        if (!event) continue
        await bus.publish({ type: 'presence.changed', agentId })
        const chat = await load(row.id)
        await bus.publish({ type: 'chat.message', chatId: chat.id, message: event })
        await bus.publish({ type: 'chat.updated', chat })
        await bus.publish({ type: 'agent.chats', agentId, chatId: chat.id })
        await bus.publish({ type: 'queue.changed', groupId: chat.groupId })
        out.push({ agentId, chat })
      }
      for (const row of await store.staleTransfers(db, before)) {
        const n = await store.transition(db, row.id, [ChatStatus.queued], { transferred_to: null }, { transferableTo: row.transferred_to! })
        if (n === 0) continue
        const chat = await load(row.id)
        await bus.publish({ type: 'chat.updated', chat })
        await bus.publish({ type: 'queue.changed', groupId: chat.groupId })
        await bus.publish({ type: 'agent.notice', agentId: row.transferred_to!, level: 'warning', text: `A chat transferred to you from ${chat.customerName} was not accepted in time and went to the whole group` })
        await changed({ kind: 'queued', chat })
      }
      // The re-offered chats are the caller's to route: their agents must be marked unavailable first.
      return out
    },

    /**
     * Windows of these chats' customers are open now (a socket opened, answered the
     * heartbeat, or is closing: `leaving`). Refreshes customer_seen_at, only where it is
     * older than `staleAfterMs` when given, so an open window writes now and then, not on
     * every beat. A chat marked gone gets its customer back: the mark is cleared with an
     * agents-only "Customer is back" and a History row, and the agent's header loses the
     * pill. The refresh comes first: once it is committed the customer-gone job can no
     * longer mark the chat, so a mark it made just before is seen and cleared here.
     */
    async customerSeen (chatIds: number[], opts: { staleAfterMs?: number, leaving?: boolean } = {}): Promise<void> {
      const at = clock()
      await store.touchCustomerSeen(db, chatIds, at, { staleBefore: opts.staleAfterMs === undefined ? undefined : at - opts.staleAfterMs, keepGone: opts.leaving })
      if (opts.leaving) return
      for (const chatId of await store.goneChatIds(db, chatIds)) {
        const back = await db.transaction(async (trx) => {
          if (await store.clearCustomerGone(trx, chatId, at) === 0) return undefined
          const chat = await load(chatId, trx)
          const note = await append(trx, chatId, system, 'note', events.customerBack, null, [ChatStatus.active])
          await history(trx, chatId, customerOf(chat), 'customer_back')
          return note
        })
        if (!back) continue
        await bus.publish({ type: 'chat.message', chatId, message: back })
        await bus.publish({ type: 'chat.updated', chat: await load(chatId) })
      }
    },

    /**
     * The customer-gone job (DESIGN §4, §7): active chats no window of whose customer has
     * been open for `afterMs` (counted from the start for one never opened) are marked
     * gone, with an agents-only "Customer left the chat window" and a History row; the
     * chat stays active with its agent. Each mark is a conditional UPDATE, so of
     * instances running the job at once one marks each chat. Returns how many it marked.
     */
    async markCustomersGone (afterMs: number): Promise<number> {
      const at = clock()
      const before = at - afterMs
      let marked = 0
      for (const row of await store.goneCustomers(db, before)) {
        const chatId = Number(row.id)
        const note = await db.transaction(async (trx) => {
          if (await store.markCustomerGone(trx, chatId, before, at) === 0) return undefined
          const appended = await append(trx, chatId, system, 'note', events.customerGone, null, [ChatStatus.active])
          await history(trx, chatId, customerOf(store.toChat(row)), 'customer_gone', { afterSeconds: Math.round(afterMs / 1000) })
          return appended
        })
        if (!note) continue
        marked++
        await bus.publish({ type: 'chat.message', chatId, message: note })
        await bus.publish({ type: 'chat.updated', chat: await load(chatId) })
      }
      return marked
    },

    /**
     * The idle-end job (DESIGN §7): active chats whose customer was marked gone (the
     * customer-gone job) more than `afterMs` ago are ended by the system with an event saying
     * how long ago the customer left, and a History row; the agent's capacity is freed as by
     * End Chat. Each end is a conditional UPDATE that a customer coming back (the mark
     * cleared) or the agent ending it first makes a no-op. `stillOurs` stops the run when
     * the job's lease was lost. Returns how many chats it ended.
     */
    async endIdleChats (afterMs: number, stillOurs?: () => Promise<boolean>): Promise<number> {
      const at = clock()
      const goneBefore = at - afterMs
      let ended = 0
      for (const row of await store.idleChats(db, goneBefore)) {
        if (stillOurs && !await stillOurs()) break
        const chatId = Number(row.id)
        // When the customer's window was last known open: they left then.
        const leftMinutes = Math.max(1, Math.round((at - Number(row.customer_seen_at ?? row.created_at)) / 60_000))
        const event = await db.transaction(async (trx) => {
          if (await store.endIdle(trx, chatId, goneBefore, { status: ChatStatus.ended, ended_at: at, ended_by: 'system' }) === 0) return undefined
          const appended = await append(trx, chatId, system, 'event', events.idleEnded(leftMinutes), null, [ChatStatus.ended])
          await history(trx, chatId, system, 'idle_ended', { leftMinutes, afterMinutes: Math.round(afterMs / 60_000) })
          return appended
        })
        if (!event) continue
        ended++
        await closed(chatId, event)
      }
      return ended
    },

    /**
     * The queue-timeout job (DESIGN §7): chats queued more than `afterMs` ago are offered
     * leave-a-message on the customer's behalf. For each, `offer.ticketFor` first makes the
     * host ticket from everything the customer wrote (so nothing is lost, even when they
     * closed the window); then one transaction closes the chat as cancelled by the system,
     * if it still waits where it waited, with an event naming the ticket and a History
     * row. A chat taken, left or transferred between the two gets its ticket withdrawn. A
     * ticket the help desk could not make leaves the chat queued for the next run.
     */
    async timeOutQueuedChats (afterMs: number, offer: QueueTimeoutOffer, stillOurs?: () => Promise<boolean>): Promise<QueueTimeoutResult> {
      const at = clock()
      const out: QueueTimeoutResult = { closed: 0, withdrawn: 0, failed: [] }
      for (const row of await store.queuedSince(db, at - afterMs)) {
        if (stillOurs && !await stillOurs()) break
        const chat = store.toChat(row)
        const text = (await store.messagesBetween(db, chat.id, 0)).filter((m) => m.author_kind === 'customer' && m.kind === 'text').map((m) => m.body).join('\n\n')
        let ticket: { ref: string }
        try {
          ticket = await offer.ticketFor(chat, text || chat.question)
        } catch (err) {
          out.failed.push({ chatId: chat.id, error: (err as Error).message, cause: err })
          continue
        }
        const waitedMinutes = Math.round((at - (chat.queuedAt ?? chat.createdAt)) / 60_000)
        const event = await db.transaction(async (trx) => {
          if (await store.timeOutQueued(trx, chat.id, row.queued_at!, { status: ChatStatus.cancelled, ended_at: at, ended_by: 'system' }) === 0) return undefined
          const appended = await append(trx, chat.id, system, 'event', events.timedOut(ticket.ref, chat.customerEmail), null, [ChatStatus.cancelled])
          await history(trx, chat.id, system, 'queue_timed_out', { waitedMinutes, afterMinutes: Math.round(afterMs / 60_000), ticket: ticket.ref })
          return appended
        })
        if (!event) {
          try {
            await offer.withdraw(chat, ticket.ref)
            out.withdrawn++
          } catch (err) {
            out.failed.push({ chatId: chat.id, error: `${ticket.ref} could not be withdrawn: ${(err as Error).message}`, cause: err })
          }
          continue
        }
        out.closed++
        const closed = await load(chat.id)
        await bus.publish({ type: 'chat.message', chatId: chat.id, message: event })
        await bus.publish({ type: 'chat.updated', chat: closed })
        await bus.publish({ type: 'queue.changed', groupId: closed.groupId })
      }
      return out
    },

    /** The ticket a chat the queue-timeout job closed became (its History row); null for any other chat. */
    async timeoutTicket (chat: Chat): Promise<string | null> {
      if (chat.status !== ChatStatus.cancelled || chat.endedBy !== 'system') return null
      const row = (await store.historyOf(db, chat.id)).find((h) => h.action === 'queue_timed_out')
      const data = row?.data ? JSON.parse(row.data) as { ticket?: unknown } : {}
      return typeof data.ticket === 'string' ? data.ticket : null
    },

    /** The agent has read the chat up to `seq` (their unread badge clears). */
    async markRead (chatId: number, agentId: string, seq: number): Promise<void> {
      await store.markRead(db, chatId, agentId, seq)
    },

    /** Messages after `afterSeq` (and up to `upToSeq`), in seq order. */
    async messages (chatId: number, afterSeq = 0, upToSeq?: number): Promise<Message[]> {
      return (await store.messagesBetween(db, chatId, afterSeq, upToSeq)).map(store.toMessage)
    },

    /** Someone is typing in the chat: passed on to the other side, never stored. */
    async typing (chatId: number, side: 'agent' | 'customer', name: string): Promise<void> {
      await bus.publish({ type: 'chat.typing', chatId, side, name })
    },

    /** What the customer may read of a chat: everything but coaching. Their page and transcript use this. */
    async customerMessages (chatId: number): Promise<Message[]> {
      return (await store.messagesBetween(db, chatId, 0)).map(store.toMessage).filter((m) => !agentOnlyKinds.has(m.kind))
    },

    /**
     * Coaching (seed 001): a supervisor watching an active chat, or its agent answering
     * them, writes inline for agents only. Stored in the chat's seq like any message, so
     * agents get it in order; customers' sockets and pages skip it.
     */
    async postCoaching (chatId: number, scope: AgentScope, text: string, clientMsgId: string | null): Promise<{ message: Message, duplicate: boolean }> {
      const body = text.replace(/\r\n/g, '\n').trim()
      if (body.length === 0) throw new LC_ERR_MESSAGE_EMPTY()
      const length = [...body].length
      if (length > maxMessageLength) throw new LC_ERR_MESSAGE_TOO_LONG(String(maxMessageLength), String(length))
      const chat = await load(chatId)
      const coach = chat.agentId === scope.id || (scope.supervise && sees(scope, chat.groupId))
      if (!coach) throw new LC_ERR_CHAT_NOT_FOUND(String(chatId))
      if (chat.status !== ChatStatus.active) throw new LC_ERR_CHAT_CLOSED()
      const author: Actor = { kind: 'agent', id: scope.id, name: scope.name }
      let message: Message | undefined
      try {
        message = await transact(db, async (trx) => await append(trx, chatId, author, 'coaching', body, clientMsgId, [ChatStatus.active]))
      } catch (err) {
        if (clientMsgId && isUniqueViolation(err)) {
          const existing = await store.messageByClientId(db, chatId, clientMsgId)
          if (existing) return { message: store.toMessage(existing), duplicate: true }
        }
        throw err
      }
      if (!message) throw new LC_ERR_CHAT_CLOSED()
      await bus.publish({ type: 'chat.message', chatId, message })
      return { message, duplicate: false }
    },

    /** The agent's Queue tab: unassigned chats of the groups they work, oldest first. */
    async queue (scope: AgentScope): Promise<Chat[]> {
      return (await store.queuedChats(db, { groups: queueGroups(scope), which: 'queue' })).map(store.toChat)
    },

    /** The agent's Transferred tab: transfers waiting for them or for a group of theirs (seed 003). */
    async transferred (scope: AgentScope): Promise<Chat[]> {
      const groups = queueGroups(scope)
      return (await store.queuedChats(db, { groups, which: 'transferred', forAgent: scope.supervise ? undefined : scope.id })).map(store.toChat)
    },

    async counts (scope: AgentScope): Promise<{ queue: number, transferred: number }> {
      const groups = queueGroups(scope)
      const [queue, transferred] = await Promise.all([
        store.countQueued(db, groups, 'queue'),
        store.countQueued(db, groups, 'transferred', scope.supervise ? undefined : scope.id)
      ])
      return { queue, transferred }
    },

    /** The oldest chats of a group that distribution may hand out. */
    async nextQueued (groupId: number, limit = 50): Promise<Chat[]> {
      return (await store.nextQueued(db, groupId, limit)).map(store.toChat)
    },

    /** How many chats are ahead of this one in its group's line; undefined when it is not waiting in line. */
    async queuePosition (chat: Chat): Promise<number | undefined> {
      if (chat.status !== ChatStatus.queued || chat.queuedAt === null || chat.transferredTo !== null) return undefined
      return await store.countAhead(db, { id: chat.id, queuedAt: chat.queuedAt, groupId: chat.groupId })
    },

    /** For every chat waiting in line: how many are ahead of it in its group (one read for every waiting customer). */
    async queuePositions (): Promise<Map<number, number>> {
      const rows = await store.queuedChats(db, { which: 'waiting', limit: 10000 })
      const seen = new Map<number | null, number>()
      const out = new Map<number, number>()
      for (const r of rows) {
        const group = r.group_id === null ? null : Number(r.group_id)
        const ahead = seen.get(group) ?? 0
        out.set(Number(r.id), ahead)
        seen.set(group, ahead + 1)
      }
      return out
    },

    /** Average wait of the group's recent chats (the last 20 taken in the past day), or null without any. */
    async recentQueueTime (groupId: number | null): Promise<number | null> {
      return await store.recentQueueTime(db, groupId, clock() - 24 * 3600_000)
    },

    /**
     * A chat list with its filters and sort (seed 000: My and Global Live Chats). The
     * caller decides which groups the viewer may see; `now` defaults to the clock.
     */
    async list (query: Omit<store.ListQuery, 'now'> & { now?: number }): Promise<Chat[]> {
      return (await store.listChats(db, { ...query, now: query.now ?? clock() })).map(store.toChat)
    },

    async agentChats (agentId: string, which: 'active' | 'completed'): Promise<Chat[]> {
      const statuses = which === 'active' ? [ChatStatus.active] : [ChatStatus.ended, ChatStatus.abandoned]
      return (await store.agentChats(db, agentId, statuses)).map(store.toChat)
    },

    async history (chatId: number) {
      return await store.historyOf(db, chatId)
    },

    /**
     * Delete (seed 000, "Deleting Live Chats"): each chat goes to Deleted Items on its own,
     * by mayDelete's rule (closed chats only; one's own, or any one may see with
     * livechat.delete), and leaves every list, count and search but Deleted Items (and
     * search's "deleted only"). Per chat, in the order given: done, or why not.
     */
    async deleteChats (ids: number[], scope: AgentScope): Promise<DeletionOutcome[]> {
      const out: DeletionOutcome[] = []
      for (const id of new Set(ids)) out.push(await changeDeletion(id, scope, 'delete'))
      return out
    },

    /**
     * What deleteChats would do, changing nothing: each chat 'allowed' or why not. The
     * confirmation of Delete selected names the chats from it.
     */
    async checkDeleteChats (ids: number[], scope: AgentScope): Promise<DeletionOutcome[]> {
      const out: DeletionOutcome[] = []
      for (const id of new Set(ids)) out.push(await checkDeletion(id, scope, 'delete'))
      return out
    },

    /** Undelete (seed 000, "Undeleting"): chats come back from Deleted Items, by the same rule, until they are purged. */
    async undeleteChats (ids: number[], scope: AgentScope): Promise<DeletionOutcome[]> {
      const out: DeletionOutcome[] = []
      for (const id of new Set(ids)) out.push(await changeDeletion(id, scope, 'undelete'))
      return out
    },

    /**
     * A chat of the viewer's Deleted Items, with who deleted it: what its read-only view
     * shows. Anything else (not deleted, not theirs to undelete, purged) is "not found".
     */
    async deletedChatForAgent (chatId: number, scope: AgentScope): Promise<{ chat: Chat, deletedBy: string }> {
      const row = await store.chatRowWithDeleted(db, chatId)
      const chat = row ? store.toChat(row) : undefined
      if (!chat || chat.deletedAt == null || !mayDelete(chat, scope)) throw new LC_ERR_CHAT_NOT_FOUND(String(chatId))
      return { chat, deletedBy: await lastActor(chatId, 'deleted') ?? 'someone' }
    },

    /** Who deleted each of these chats (Deleted Items' column), from their History. */
    async deletedBy (chatIds: number[]): Promise<Map<number, string>> {
      const rows = await store.latestHistory(db, chatIds, 'deleted')
      return new Map([...rows].map(([id, r]) => [id, r.actorName]))
    },

    /**
     * One row of the chat's history for another capability's change (a comment, say).
     * Pass the transaction of that change, so the change and its record commit together.
     */
    async recordHistory (chatId: number, actor: Actor, action: string, data?: object, trx?: Knex.Transaction): Promise<void> {
      if (trx) await history(trx, chatId, actor, action, data)
      else await db.transaction(async (t) => { await history(t, chatId, actor, action, data) })
    },

    /**
     * A customer's chats, newest first (only those before chat `before`, when given): by
     * host user id when they were signed in, else by the email they gave. Counts cover
     * every chat, not only the `limit` returned: the periods of seed 001's Statistics tab.
     */
    async customerChats (customer: { userId: string | null, email: string }, opts: { limit?: number, before?: number } = {}) {
      const now = clock()
      const { rows, total, since } = await store.customerChats(db, customer, {
        limit: opts.limit ?? 50, beforeId: opts.before, since: [7, 30, 90].map((d) => now - d * dayMs)
      })
      return { chats: rows.map(store.toChat), counts: { last7: since[0]!, last30: since[1]!, last90: since[2]!, all: total } }
    },

    /** Every chat id of a customer (for totals other capabilities keep per chat). */
    async customerChatIds (customer: { userId: string | null, email: string }): Promise<number[]> {
      return await store.customerChatIds(db, customer)
    },

    /** How many chats were started since each of the given times (the deflection report's periods). */
    async startedSince (since: number[]): Promise<number[]> {
      return await store.countStartedSince(db, since)
    },

    get: load
  }
}
