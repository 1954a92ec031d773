import type { Knex } from 'knex'
import { writeGroups } from '../db/grouped.ts'
import { getDialect } from '../db/index.ts'
import { LC_ERR_CHAT_NOT_FOUND, LC_ERR_CHAT_STATE_CONFLICT, LC_ERR_CHAT_TAKEN } from '../errors.ts'
import type { HostAdapter } from '../host/adapter.ts'
import { createFactService } from '../facts/service.ts'
import type { Bus } from '../realtime/bus-events.ts'
import type { RoutingService } from '../routing/service.ts'
import type { ChatChange, ChatServiceDeps } from './service.ts'
import { dueWords } from './due-words.ts'
import { groupedMessageStore } from './grouped-store.ts'
import { messageGroups } from './message-groups.ts'
import * as store from './store.ts'
import { type Actor, type AgentScope, type Chat, ChatStatus, type Message, openStatuses } from './types.ts'
import { chatEvent, isWebhookAction, messageEvent } from './webhook-events.ts'

/**
 * What every part of the chat service shares (service.ts composes the parts): appending
 * a message with its seq, writing History, the 409 of a lost race, and telling the bus
 * and routing after a commit. Every change is one conditional UPDATE plus its History
 * row in one transaction (docs/design.md §4); the bus hears of it only after the commit.
 */

/** The words of the events the service writes into chats. */
export const eventTexts = {
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

/** The author of what the service itself writes into a chat (transfers, jobs). */
export const system: Actor = { kind: 'system', id: null, name: 'Live chat' }
export const customerOf = (chat: Chat): Actor => ({ kind: 'customer', id: chat.customerUserId, name: chat.customerName })
export const agentActor = (agent: { id: string, name: string }): Actor => ({ kind: 'agent', id: agent.id, name: agent.name })

export interface ChatCore {
  db: Knex
  bus: Bus
  host: HostAdapter
  routing: RoutingService
  clock: () => number
  maxMessageLength: number
  /**
   * Appends a message inside `trx`, taking the chat's next seq in the same UPDATE that
   * checks the chat is still in `open` (and meets `guard`); undefined when it is not.
   */
  append: (trx: Knex.Transaction, chatId: number, author: Actor, kind: Message['kind'], body: string, clientMsgId: string | null,
    open?: readonly ChatStatus[], guard?: store.Guard) => Promise<Message | undefined>
  /**
   * A text message (docs/design.md §9, "What one message costs"), written with others that
   * arrive together in one transaction (SQLite: plugin/db/grouped.ts; MySQL/MariaDB:
   * message-groups.ts), with the read of whether it answers a round-robin offer (`offer`,
   * for an agent) in it too; `message` is undefined when the chat is not in `open` (or
   * fails `guard`). Null when the message needs more than those statements in its
   * transaction (a webhook endpoint wants it, it may be the chat's first answer, a SQLite
   * pool of several connections): the caller then appends it as any other.
   */
  appendGrouped: (chatId: number, author: Actor, body: string, clientMsgId: string | null,
    open: readonly ChatStatus[], guard: store.Guard) => Promise<{ message: Message | undefined, offer: boolean }> | null
  /** Writes the words of messages appendGrouped left due (chats/due-words.ts): a search then finds every message stored. */
  wordsWritten: () => Promise<void>
  /** Writes what words are due, and times no more writes of them: the plugin is closing. */
  close: () => Promise<void>
  /**
   * One History row, inside the transaction of the change it records. An action that is a webhook event reads the chat
   * as the change leaves it, unless the caller has it (`asLeft`: a chat just inserted).
   */
  history: (trx: Knex.Transaction, chatId: number, actor: Actor, action: string, data?: object, asLeft?: Chat) => Promise<void>
  /**
   * append for a batch of chats whose seqs the caller's own UPDATE took (round robin's batch):
   * the messages in one INSERT, and their webhook events.
   */
  appendMany: (trx: Knex.Transaction, messages: ReadonlyArray<{ chatId: number, seq: number, author: Actor, kind: Message['kind'], body: string }>) => Promise<Message[]>
  /**
   * history for a batch of chats of one group given to agents (action 'assigned'): the rows in one INSERT, the
   * facts in one UPDATE, and the webhook events, from each chat as the change leaves it (`chat`, read in `trx`).
   */
  assignedMany: (trx: Knex.Transaction, entries: ReadonlyArray<{ chat: Chat, actor: Actor, data?: object }>) => Promise<void>
  /** history for chats started together (action 'started'): the rows in one INSERT, the facts in another, and the webhook events. */
  startedMany: (trx: Knex.Transaction, entries: ReadonlyArray<{ chat: Chat, actor: Actor, data: object }>) => Promise<void>
  /** The chat (not deleted); throws LC_ERR_CHAT_NOT_FOUND. */
  load: (chatId: number, trx?: Knex | Knex.Transaction) => Promise<Chat>
  /** The name of the agent who has the chat now, for a message that names them. */
  holderName: (chat: Chat) => Promise<string>
  /** The 409 for a chat someone else got to first: LC_ERR_CHAT_TAKEN naming who has it, else LC_ERR_CHAT_STATE_CONFLICT with its state. */
  lostRace: (chatId: number, action: string) => Promise<never>
  onChange: (fn: (change: ChatChange) => Promise<void>) => void
  /** Tells this instance's change listeners (the distributor), after commit. */
  changed: (change: ChatChange) => Promise<void>
  /** After commit: the new message and the chat's new state go out on the bus; returns the chat as it is now. */
  announce: (chatId: number, message: Message) => Promise<Chat>
  /** An agent has one chat fewer: round robin's "last chat ended" moves and the distributor may give them another. */
  freed: (agentId: string, chat: Chat) => Promise<void>
  /**
   * After a chat an agent had was closed (abandoned, ended idle): its closing event and
   * state go out, the agent's lists follow and their capacity is freed for the queue.
   */
  closed: (chatId: number, event: Message) => Promise<Chat>
  /**
   * The department of a chat's group (null: none), read before a change's transaction: the
   * audit entry written inside it names the department whose supervisors see it.
   */
  departmentOf: (groupId: number | null) => Promise<number | null>
  /** An agent's or supervisor's action on a chat, in the audit log inside the change's transaction (docs/features.md#audit-log). */
  audit: (trx: Knex.Transaction, scope: AgentScope, action: 'chat.taken' | 'chat.transferred' | 'chat.deleted' | 'chat.undeleted',
    chat: Chat, departmentId: number | null, before: object, after: object | null) => Promise<void>
  /**
   * A supervisor looked into or coached an active chat someone else has: recorded as
   * chat.monitored the first time only, per supervisor and chat (docs/features.md#audit-log).
   */
  monitored: (chat: Chat, scope: AgentScope) => Promise<void>
}

export function createChatCore ({ db, bus, host, routing, clock = Date.now, settings, webhooks, audit, log, facts = createFactService({ db }) }: ChatServiceDeps): ChatCore {
  const listeners: Array<(change: ChatChange) => Promise<void>> = []

  async function append (trx: Knex.Transaction, chatId: number, author: Actor, kind: Message['kind'], body: string, clientMsgId: string | null,
    open: readonly ChatStatus[] = openStatuses, guard: store.Guard = {}): Promise<Message | undefined> {
    const at = clock()
    // A file or an article the agent sends is an answer too: idle time and re-offer go by it.
    const answer = author.kind === 'agent' && (kind === 'text' || kind === 'file' || kind === 'kb_share')
    const seq = await store.reserveSeq(trx, chatId, open, answer ? { agentAnswerAt: at } : {}, guard)
    if (seq === undefined) return undefined
    const row = store.messageRow(chatId, seq, kind, author, body, clientMsgId, at)
    const id = await store.insertMessage(trx, row)
    const message = store.toMessage({ id, ...row })
    // The first answer stops the clock of time to first response (docs/reports.md#time-to-first-response).
    if (answer) await facts.answered(trx, chatId, author.id, at)
    const event = webhooks ? messageEvent(message) : null
    if (event) await webhooks!.record(trx, event)
    return message
  }

  const groups = writeGroups(db)
  const grouped = groups && groupedMessageStore(db)
  // A timed flush that failed leaves its messages due: the next flush or search writes them.
  const words = groups && grouped
    ? dueWords({ groups, grouped, onError: (err) => { log?.warn({ err }, 'live chat: writing the words of new messages failed; they stay due') } })
    : undefined
  // MySQL/MariaDB: groups of their own, whose statements are round trips rather than calls.
  const sideBySide = getDialect(db) === 'mysql' ? messageGroups({ db, clock, append }) : undefined

  function appendGrouped (chatId: number, author: Actor, body: string, clientMsgId: string | null,
    open: readonly ChatStatus[], guard: store.Guard): Promise<{ message: Message | undefined, offer: boolean }> | null {
    if (webhooks?.wants('message.created') !== false) return null
    if (author.kind === 'agent' && !facts.answeredAlready(chatId)) return null
    if (sideBySide) return sideBySide.add({ chatId, author, body, clientMsgId, open, guard })
    if (!groups || !grouped) return null
    return groups.run((sql) => {
      const offer = author.kind === 'agent' && author.id !== null && grouped.awaitsAnswer(sql, chatId, author.id)
      const at = clock()
      const seq = grouped.reserveSeq(sql, chatId, open, author.kind === 'agent' ? at : undefined, guard)
      if (seq === undefined) return { message: undefined, offer }
      const row = store.messageRow(chatId, seq, 'text', author, body, clientMsgId, at)
      const id = grouped.insertMessage(sql, row)
      words!.marked()
      return { message: store.toMessage({ id, ...row }), offer }
    })
  }

  async function history (trx: Knex.Transaction, chatId: number, actor: Actor, action: string, data?: object, asLeft?: Chat): Promise<void> {
    const at = clock()
    await store.insertHistory(trx, {
      chat_id: chatId, actor_kind: actor.kind, actor_id: actor.id, actor_name: actor.name, action, data: data ? JSON.stringify(data) : null, created_at: at
    })
    // The chat as this change leaves it: every change writes its History row last, after its UPDATE.
    // The actions that are webhook events are exactly those that move a chat's facts (docs/reports.md).
    if (!isWebhookAction(action)) return
    const chat = asLeft ?? await load(chatId, trx)
    await facts.record(trx, { chatId, action, at, groupId: chat.groupId, agentId: chat.agentId, createdAt: chat.createdAt })
    if (webhooks) {
      const event = chatEvent(chat, actor, action, data)
      if (event) await webhooks.record(trx, event)
    }
  }

  async function appendMany (trx: Knex.Transaction, messages: ReadonlyArray<{ chatId: number, seq: number, author: Actor, kind: Message['kind'], body: string }>): Promise<Message[]> {
    const at = clock()
    const rows = await store.insertMessages(trx, messages.map((m) => store.messageRow(m.chatId, m.seq, m.kind, m.author, m.body, null, at)))
    const stored = rows.map(store.toMessage)
    if (webhooks) {
      for (const message of stored) {
        const event = messageEvent(message)
        if (event) await webhooks.record(trx, event)
      }
    }
    return stored
  }

  async function assignedMany (trx: Knex.Transaction, entries: ReadonlyArray<{ chat: Chat, actor: Actor, data?: object }>): Promise<void> {
    if (entries.length === 0) return
    const at = clock()
    await store.insertHistories(trx, entries.map(({ chat, actor, data }) => ({
      chat_id: chat.id, actor_kind: actor.kind, actor_id: actor.id, actor_name: actor.name, action: 'assigned', data: data ? JSON.stringify(data) : null, created_at: at
    })))
    const byGroup = new Map<number | null, Array<readonly [number, string]>>()
    for (const { chat } of entries) byGroup.set(chat.groupId, [...byGroup.get(chat.groupId) ?? [], [chat.id, chat.agentId!]])
    for (const [groupId, byChat] of byGroup) await facts.assignedMany(trx, groupId, byChat, at)
    if (webhooks) {
      for (const { chat, actor, data } of entries) {
        const event = chatEvent(chat, actor, 'assigned', data)
        if (event) await webhooks.record(trx, event)
      }
    }
  }

  async function startedMany (trx: Knex.Transaction, entries: ReadonlyArray<{ chat: Chat, actor: Actor, data: object }>): Promise<void> {
    if (entries.length === 0) return
    const at = clock()
    await store.insertHistories(trx, entries.map(({ chat, actor, data }) => ({
      chat_id: chat.id, actor_kind: actor.kind, actor_id: actor.id, actor_name: actor.name, action: 'started', data: JSON.stringify(data), created_at: at
    })))
    await facts.startedMany(trx, entries.map(({ chat }) => ({ chatId: chat.id, groupId: chat.groupId, createdAt: chat.createdAt })))
    if (webhooks) {
      for (const { chat, actor, data } of entries) {
        const event = chatEvent(chat, actor, 'started', data)
        if (event) await webhooks.record(trx, event)
      }
    }
  }

  async function load (chatId: number, trx: Knex | Knex.Transaction = db): Promise<Chat> {
    const row = await store.getChatRow(trx, chatId)
    if (!row) throw new LC_ERR_CHAT_NOT_FOUND(String(chatId))
    return store.toChat(row)
  }

  async function holderName (chat: Chat): Promise<string> {
    return (chat.agentId ? (await host.getUser(chat.agentId))?.name : null) ?? 'another agent'
  }

  async function changed (change: ChatChange): Promise<void> {
    for (const fn of listeners) await fn(change)
  }

  async function departmentOf (groupId: number | null): Promise<number | null> {
    if (groupId === null || !audit) return null
    return await routing.group(groupId).then((g) => g.departmentId, () => null)
  }

  async function announce (chatId: number, message: Message): Promise<Chat> {
    const chat = await load(chatId)
    await bus.publish({ type: 'chat.message', chatId, message })
    await bus.publish({ type: 'chat.updated', chat })
    return chat
  }

  async function freed (agentId: string, chat: Chat): Promise<void> {
    await routing.chatEnded(agentId)
    await changed({ kind: 'freed', agentId, chat })
  }

  return {
    db,
    bus,
    host,
    routing,
    clock,
    departmentOf,
    wordsWritten: async () => { await words?.written() },
    async close () {
      words?.stop()
      // What cannot be written now stays due, for the first flush after the next start.
      await words?.written().catch((err: unknown) => { log?.warn({ err }, 'live chat: the words of new messages stay due until the next start') })
    },
    async audit (trx, scope, action, chat, departmentId, before, after) {
      await audit?.record(trx, { id: scope.id, name: scope.name, ip: scope.ip ?? null }, {
        action, subject: `Chat #${chat.id} with ${chat.customerName}`, subjectId: chat.id, departmentId, before, after
      })
    },
    async monitored (chat, scope) {
      if (!audit || !scope.supervise || chat.status !== ChatStatus.active || chat.agentId === scope.id) return
      const departmentId = await departmentOf(chat.groupId)
      await db.transaction(async (trx) => {
        await audit.recordFirst(trx, { id: scope.id, name: scope.name, ip: scope.ip ?? null }, {
          action: 'chat.monitored', subject: `Chat #${chat.id} with ${chat.customerName}`, subjectId: chat.id, departmentId, after: { agentId: chat.agentId }
        })
      })
    },
    // A getter: the settings screen may change the limit while the plugin runs.
    get maxMessageLength () { return settings.maxMessageLength },
    append,
    appendGrouped,
    history,
    appendMany,
    assignedMany,
    startedMany,
    load,
    holderName,
    async lostRace (chatId, action) {
      const chat = await load(chatId)
      if (chat.agentId) throw new LC_ERR_CHAT_TAKEN(await holderName(chat))
      throw new LC_ERR_CHAT_STATE_CONFLICT(chat.status, action)
    },
    onChange (fn) { listeners.push(fn) },
    changed,
    announce,
    freed,
    async closed (chatId, event) {
      const chat = await announce(chatId, event)
      if (chat.agentId) {
        await bus.publish({ type: 'agent.chats', agentId: chat.agentId, chatId })
        await freed(chat.agentId, chat)
      }
      return chat
    }
  }
}
