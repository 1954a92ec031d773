import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Knex } from 'knex'
import { isUniqueViolation } from '../db/index.ts'
import {
  LC_ERR_CHAT_CLOSED, LC_ERR_CHAT_NOT_FOUND, LC_ERR_CHAT_STATE_CONFLICT, LC_ERR_CHAT_TAKEN,
  LC_ERR_MESSAGE_EMPTY, LC_ERR_MESSAGE_TOO_LONG
} from '../errors.ts'
import type { HostAdapter, HostUser } from '../host/adapter.ts'
import type { Bus } from '../realtime/events.ts'
import * as store from './store.ts'
import { type Actor, type Chat, ChatStatus, type Message, openStatuses } from './types.ts'

export interface ChatServiceDeps {
  db: Knex
  bus: Bus
  host: HostAdapter
  clock?: () => number
  maxMessageLength: number
}

export interface StartChat {
  name: string
  email: string
  question: string
  customer: HostUser | null
}

const events = {
  joined: (name: string) => `${name} joined the chat`,
  endedBy: (name: string) => `${name} ended the chat`,
  cancelled: (name: string) => `${name} left before an agent joined`
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

export type ChatService = ReturnType<typeof createChatService>

/** Chat lifecycle and messages (DESIGN §4): every change is one conditional UPDATE plus history, in one transaction. */
export function createChatService ({ db, bus, host, clock = Date.now, maxMessageLength }: ChatServiceDeps) {
  /** Appends a message inside `trx`, taking the next seq; undefined when the chat is no longer open. */
  async function append (trx: Knex.Transaction, chatId: number, author: Actor, kind: Message['kind'], body: string, clientMsgId: string | null, open: readonly ChatStatus[] = openStatuses, agentOnly = false): Promise<Message | undefined> {
    const at = clock()
    const agentText = author.kind === 'agent' && kind === 'text'
    const seq = await store.reserveSeq(trx, chatId, open, agentText ? { last_agent_message_at: at } : {}, agentOnly ? author.id ?? '' : undefined)
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

  return {
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
          group_id: null,
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
          last_agent_message_at: null
        })
        const message = await append(trx, chatId, customer, 'text', input.question, null)
        await history(trx, chatId, customer, 'started', { source: 'portal' })
        return { chatId, message: message! }
      })
      const chat = await load(chatId)
      await bus.publish({ type: 'chat.message', chatId, message })
      await bus.publish({ type: 'queue.changed' })
      return { chat, token }
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

    /** The chat, when the agent is assigned to it or may supervise; queued chats are visible to every agent. */
    async chatForAgent (chatId: number, agent: HostUser, canSupervise: boolean): Promise<Chat> {
      const chat = await load(chatId)
      if (chat.agentId === agent.id || canSupervise || chat.status === ChatStatus.queued) return chat
      throw new LC_ERR_CHAT_NOT_FOUND(String(chatId))
    },

    /**
     * Takes a queued chat. Exactly one of any number of concurrent callers wins; the
     * others get 409 "Already taken by <name>". Returns the chat and the seq of the
     * "joined" event, so the caller renders exactly the transcript up to it.
     */
    async acceptChat (chatId: number, agent: HostUser): Promise<{ chat: Chat, joinedSeq: number }> {
      const at = clock()
      const actor: Actor = { kind: 'agent', id: agent.id, name: agent.name }
      const won = await db.transaction(async (trx) => {
        const n = await store.transition(trx, chatId, [ChatStatus.queued], { status: ChatStatus.active, agent_id: agent.id, assigned_at: at })
        if (n === 0) return undefined
        const joined = await append(trx, chatId, actor, 'event', events.joined(agent.name), null)
        await history(trx, chatId, actor, 'accepted')
        return joined!
      })
      if (!won) {
        const chat = await load(chatId)
        if (chat.agentId === agent.id && chat.status === ChatStatus.active) return { chat, joinedSeq: chat.lastSeq }
        if (chat.agentId) {
          const winner = await host.getUser(chat.agentId)
          throw new LC_ERR_CHAT_TAKEN(winner?.name ?? 'another agent')
        }
        throw new LC_ERR_CHAT_STATE_CONFLICT(chat.status, 'accepted')
      }
      const chat = await load(chatId)
      await bus.publish({ type: 'chat.message', chatId, message: won })
      await bus.publish({ type: 'chat.updated', chat })
      await bus.publish({ type: 'agent.chats', agentId: agent.id, chatId, fromSeq: won.seq })
      await bus.publish({ type: 'queue.changed' })
      return { chat, joinedSeq: won.seq }
    },

    /**
     * Stores a message and only then publishes it. A message with a client id already
     * stored for this chat is returned as it was, not stored twice. An agent writes only
     * to a chat assigned to them: that is part of the UPDATE that takes the seq, so no
     * transfer can slip in between a check and the write.
     */
    async postMessage (chatId: number, author: Actor, text: string, clientMsgId: string | null): Promise<{ message: Message, duplicate: boolean }> {
      const body = text.replace(/\r\n/g, '\n').trim()
      if (body.length === 0) throw new LC_ERR_MESSAGE_EMPTY()
      const length = [...body].length
      if (length > maxMessageLength) throw new LC_ERR_MESSAGE_TOO_LONG(String(maxMessageLength), String(length))
      // Customers may add to their question while they wait; agents write only once they have the chat.
      const open = author.kind === 'customer' ? openStatuses : [ChatStatus.active]
      let message: Message | undefined
      try {
        message = await db.transaction(async (trx) => await append(trx, chatId, author, 'text', body, clientMsgId, open, author.kind === 'agent'))
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
     * Ends a chat. A queued chat the customer leaves is cancelled; an active one is ended
     * by either side. Ending an already closed chat is a 409 naming its state.
     */
    async endChat (chatId: number, actor: Actor): Promise<Chat> {
      const at = clock()
      const before = await load(chatId)
      if (!openStatuses.includes(before.status)) throw new LC_ERR_CHAT_STATE_CONFLICT(before.status, 'ended')
      const fromQueue = before.status === ChatStatus.queued
      if (fromQueue && actor.kind !== 'customer') throw new LC_ERR_CHAT_STATE_CONFLICT(before.status, 'ended by an agent who has not accepted it')
      const status = fromQueue ? ChatStatus.cancelled : ChatStatus.ended
      const ended = await db.transaction(async (trx) => {
        const event = await append(trx, chatId, actor, 'event', fromQueue ? events.cancelled(actor.name) : events.endedBy(actor.name), null, [before.status])
        if (!event) return undefined
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
      if (fromQueue) await bus.publish({ type: 'queue.changed' })
      if (chat.agentId) await bus.publish({ type: 'agent.chats', agentId: chat.agentId, chatId })
      return chat
    },

    /** Messages after `afterSeq` (and up to `upToSeq`), in seq order. */
    async messages (chatId: number, afterSeq = 0, upToSeq?: number): Promise<Message[]> {
      return (await store.messagesBetween(db, chatId, afterSeq, upToSeq)).map(store.toMessage)
    },

    async queue (): Promise<Chat[]> {
      return (await store.queuedChats(db)).map(store.toChat)
    },

    /** How many chats are ahead of this one in the queue; undefined when it is not queued. */
    async queuePosition (chat: Chat): Promise<number | undefined> {
      if (chat.status !== ChatStatus.queued || chat.queuedAt === null) return undefined
      return await store.countAhead(db, { id: chat.id, queuedAt: chat.queuedAt })
    },

    /** How many queued chats are ahead of each queued chat, by chat id (one read for every waiting customer). */
    async queuePositions (): Promise<Map<number, number>> {
      const rows = await store.queuedChats(db, 10000)
      return new Map(rows.map((r, i) => [Number(r.id), i]))
    },

    async agentChats (agentId: string, which: 'active' | 'completed'): Promise<Chat[]> {
      const statuses = which === 'active' ? [ChatStatus.active] : [ChatStatus.ended, ChatStatus.abandoned]
      return (await store.agentChats(db, agentId, statuses)).map(store.toChat)
    },

    async history (chatId: number) {
      return await store.historyOf(db, chatId)
    },

    get: load
  }
}
