import { randomBytes, timingSafeEqual } from 'node:crypto'
import { LC_ERR_CHAT_NOT_FOUND, LC_ERR_CHAT_STATE_CONFLICT } from '../errors.ts'
import { type ChatCore, eventTexts, system } from './core.ts'
import { agentMaySee, describeAgent, hashToken } from './rules.ts'
import type { ChatService } from './service.ts'
import * as store from './store.ts'
import { type Actor, ChatStatus, openStatuses } from './types.ts'

/**
 * A chat's start and close (docs/design.md §4): the pre-chat form queues it, the customer or the
 * agent ends it, the agent abandons it; and who may open it. Handing a chat to an agent
 * is handover.ts.
 */
export function createLifecycle (core: ChatCore): Pick<ChatService, 'startChat' | 'chatForCustomer' | 'chatForAgent' | 'monitorChat' | 'endChat' | 'abandonChat'> {
  const { db, bus, clock, append, history, load } = core

  return {
    async startChat (input) {
      const token = randomBytes(32).toString('base64url')
      const at = clock()
      const customer: Actor = { kind: 'customer', id: input.customer?.id ?? null, name: input.name }
      const { chatId, chat, message } = await db.transaction(async (trx) => {
        // The question is the chat's first message: its seq is taken here, not by a second UPDATE of the new row.
        const row = {
          status: ChatStatus.queued,
          group_id: input.groupId ?? null,
          agent_id: null,
          customer_user_id: input.customer?.id ?? null,
          customer_name: input.name,
          customer_email: input.email,
          customer_username: input.customer?.username ?? null,
          customer_verified_id: input.verifiedId ?? null,
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
          customer_agent: describeAgent(input.origin?.userAgent ?? null),
          last_seq: 1,
          message_count: 1
        }
        const chatId = await store.insertChat(trx, row)
        // As stored: nothing else can have changed a chat not yet committed, so it is not read back.
        const chat = store.newChat(chatId, row)
        const [message] = await core.appendMany(trx, [{ chatId, seq: 1, author: customer, kind: 'text', body: input.question }])
        await history(trx, chatId, customer, 'started', { source: 'portal', groupId: input.groupId ?? null }, chat)
        return { chatId, chat, message: message! }
      })
      // Issued together, they still go out in this order (and on Redis in one write).
      await Promise.all([
        bus.publish({ type: 'chat.message', chatId, message }),
        bus.publish({ type: 'queue.changed', groupId: chat.groupId, chatId }),
        bus.publish({ type: 'agent.alert', reason: 'queued', chatId, groupId: chat.groupId, text: `New chat from ${chat.customerName}: ${chat.question.slice(0, 80)}` })
      ])
      await core.changed({ kind: 'queued', chat })
      return { chat: await load(chatId), token }
    },

    async chatForCustomer (chatId, token, user) {
      const row = await store.getChatRow(db, chatId)
      const tokenOk = row !== undefined && token !== undefined && token.length < 200 &&
        timingSafeEqual(Buffer.from(hashToken(token)), Buffer.from(row.customer_token_hash))
      const userOk = row !== undefined && user !== null && row.customer_user_id === user.id
      if (!row || !(tokenOk || userOk)) throw new LC_ERR_CHAT_NOT_FOUND(String(chatId))
      return store.toChat(row)
    },

    async chatForAgent (chatId, scope) {
      const chat = await load(chatId)
      if (agentMaySee(chat, scope)) return chat
      // Others' chats are not told apart from none.
      throw new LC_ERR_CHAT_NOT_FOUND(String(chatId))
    },

    async monitorChat (chat, scope) {
      await core.monitored(chat, scope)
    },

    async endChat (chatId, actor) {
      const at = clock()
      const before = await load(chatId)
      if (!openStatuses.includes(before.status)) throw new LC_ERR_CHAT_STATE_CONFLICT(before.status, 'ended')
      const fromQueue = before.status === ChatStatus.queued
      if (fromQueue && actor.kind !== 'customer') throw new LC_ERR_CHAT_STATE_CONFLICT(before.status, 'ended by an agent who has not accepted it')
      // The customer leaving a chat an agent has leaves it with the agent, who ends it.
      const customerLeaves = actor.kind === 'customer' && !fromQueue
      if (customerLeaves && before.customerLeftAt !== null) throw new LC_ERR_CHAT_STATE_CONFLICT('left by you already', 'left again')
      const ended = await db.transaction(async (trx) => {
        if (customerLeaves) {
          const event = await append(trx, chatId, system, 'event', eventTexts.customerLeft, null, [ChatStatus.active], { customerPresent: true })
          if (!event) return undefined
          await store.markCustomerLeft(trx, chatId, at)
          await history(trx, chatId, actor, 'customer_left')
          return event
        }
        const event = await append(trx, chatId, actor, 'event', fromQueue ? eventTexts.cancelled(actor.name) : eventTexts.endedBy(actor.name), null, [before.status])
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
      const chat = await core.announce(chatId, ended)
      if (fromQueue) await bus.publish({ type: 'queue.changed', groupId: chat.groupId, chatId })
      if (chat.agentId) await bus.publish({ type: 'agent.chats', agentId: chat.agentId, chatId })
      if (chat.agentId && chat.status === ChatStatus.ended) await core.freed(chat.agentId, chat)
      return chat
    },

    async abandonChat (chatId, actor, data) {
      const at = clock()
      const lost = new Error('no longer active')
      const event = await db.transaction(async (trx) => {
        const appended = await append(trx, chatId, actor, 'event', eventTexts.abandoned(actor.name), null, [ChatStatus.active])
        if (!appended) return undefined
        // The seq was taken under the same condition, so this holds; if not, nothing of it may stay.
        if (await store.transition(trx, chatId, [ChatStatus.active], { status: ChatStatus.abandoned, ended_at: at, ended_by: actor.kind }) === 0) throw lost
        await history(trx, chatId, actor, 'abandoned', data)
        return appended
      }).catch((err: unknown) => { if (err === lost) return undefined; throw err })
      if (!event) throw new LC_ERR_CHAT_STATE_CONFLICT((await load(chatId)).status, 'abandoned')
      return await core.closed(chatId, event)
    }
  }
}
