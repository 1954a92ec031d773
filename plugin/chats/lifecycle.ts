import { timingSafeEqual } from 'node:crypto'
import { LC_ERR_CHAT_NOT_FOUND, LC_ERR_CHAT_STATE_CONFLICT } from '../errors.ts'
import { type ChatCore, eventTexts, system } from './core.ts'
import { agentMaySee, hashToken } from './rules.ts'
import type { ChatService } from './service.ts'
import * as store from './store.ts'
import { ChatStatus, openStatuses } from './types.ts'

/**
 * A chat's close (docs/design.md §4): the customer or the agent ends it, the agent abandons it;
 * and who may open it. The pre-chat form's start is starts.ts, handing a chat to an agent
 * handover.ts.
 */
export function createLifecycle (core: ChatCore): Pick<ChatService, 'chatForCustomer' | 'chatForAgent' | 'monitorChat' | 'endChat' | 'abandonChat'> {
  const { db, bus, clock, append, history, load } = core

  return {
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
