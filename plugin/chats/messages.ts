import { isUniqueViolation, transact } from '../db/index.ts'
import { LC_ERR_CHAT_CLOSED, LC_ERR_CHAT_NOT_FOUND, LC_ERR_CHAT_STATE_CONFLICT, LC_ERR_CHAT_TAKEN } from '../errors.ts'
import { agentActor, type ChatCore } from './core.ts'
import { messageBody } from './rules.ts'
import type { ChatService } from './service.ts'
import * as store from './store.ts'
import * as sweepStore from './sweep-store.ts'
import { type Actor, agentOnlyKinds, ChatStatus, type Message, openStatuses, sees } from './types.ts'

/**
 * What is written in a chat and read of it (docs/design.md §4): messages, files, manual events,
 * shared articles and coaching each take the chat's next seq in the transaction that
 * stores them, so both sides get them in order and exactly once; the bus is told after
 * the commit. Read marks and typing too.
 */
export function createMessages (core: ChatCore): Pick<ChatService, 'postMessage' | 'postFile' | 'postManualEvent' | 'shareArticle' | 'postCoaching' |
'typing' | 'markRead' | 'markCustomerRead' | 'received' | 'messages' | 'customerMessages'> {
  const { db, bus, routing, append, history, load } = core

  /**
   * Whether what `author` is about to write is their first answer in a chat round robin
   * offered them: read before writing, as afterwards the chat no longer shows it.
   */
  async function answersOffer (chatId: number, author: Actor): Promise<boolean> {
    return author.kind === 'agent' && author.id !== null && await sweepStore.awaitsAnswer(db, chatId, author.id)
  }

  /**
   * After that answer is committed, the agent's run of missed offers ends (docs/features.md#re-offer).
   * Not in its transaction: that locks the chat, and presence is always locked before a chat.
   */
  async function offerAnswered (author: Actor, message: Message): Promise<void> {
    if (author.id !== null) await routing.offerAnswered(author.id, message.createdAt)
  }

  /**
   * Customers may add to their question while they wait and write until they leave;
   * agents write only once the chat is theirs. Both are part of the UPDATE that takes
   * the seq, so no transfer can slip in between a check and the write.
   */
  function writableBy (author: Actor): { open: readonly ChatStatus[], guard: store.Guard } {
    return author.kind === 'customer'
      ? { open: openStatuses, guard: { customerPresent: true } }
      : { open: [ChatStatus.active], guard: { agent_id: author.id ?? '' } }
  }

  /** Why a message or file could not be written: not the agent's chat (yet), or closed. */
  async function refused (chatId: number, author: Actor): Promise<never> {
    const chat = await load(chatId)
    if (author.kind === 'agent' && chat.agentId !== author.id) {
      if (chat.status === ChatStatus.queued) throw new LC_ERR_CHAT_STATE_CONFLICT(chat.status, 'written to before it is accepted')
      throw new LC_ERR_CHAT_NOT_FOUND(String(chatId))
    }
    throw new LC_ERR_CHAT_CLOSED()
  }

  /**
   * Appends a message that carries a client id, answering a resend with the stored
   * original: the unique (chat_id, client_msg_id) index refuses the copy, and its
   * transaction, seq bump included, rolls back. A text message goes with others in one
   * transaction where it can (core.appendGrouped), and reads there whether it answers an
   * offer (`checkOffer`); otherwise it is read first, outside the transaction.
   */
  async function appendOnce (chatId: number, author: Actor, kind: 'text' | 'coaching', body: string, clientMsgId: string | null,
    open: readonly ChatStatus[], guard: store.Guard = {}, checkOffer = false): Promise<{ message: Message | undefined, duplicate: boolean, offer: boolean }> {
    let offer = false
    try {
      const grouped = kind === 'text' ? core.appendGrouped(chatId, author, body, clientMsgId, open, guard) : null
      if (grouped) {
        const written = await grouped
        return { message: written.message, duplicate: false, offer: checkOffer && written.offer }
      }
      offer = checkOffer && await answersOffer(chatId, author)
      // A deadlock victim on MySQL (a purge batch or another writer beside it) is run again, not lost.
      return { message: await transact(db, async (trx) => await append(trx, chatId, author, kind, body, clientMsgId, open, guard)), duplicate: false, offer }
    } catch (err) {
      if (clientMsgId && isUniqueViolation(err)) {
        const existing = await store.messageByClientId(db, chatId, clientMsgId)
        if (existing) return { message: store.toMessage(existing), duplicate: true, offer: false }
      }
      throw err
    }
  }

  return {
    async postMessage (chatId, author, text, clientMsgId) {
      const body = messageBody(text, core.maxMessageLength)
      const { open, guard } = writableBy(author)
      const { message, duplicate, offer } = await appendOnce(chatId, author, 'text', body, clientMsgId, open, guard, true)
      if (!message) return await refused(chatId, author)
      if (!duplicate) await bus.publish({ type: 'chat.message', chatId, message })
      if (offer && !duplicate) await offerAnswered(author, message)
      return { message, duplicate }
    },

    async postFile (chatId, author, attach) {
      const { open, guard } = writableBy(author)
      const notOpen = new Error('chat not open for the sender')
      const offer = await answersOffer(chatId, author)
      let message: Message | undefined
      try {
        message = await db.transaction(async (trx) => {
          const file = await attach(trx)
          const appended = await append(trx, chatId, author, 'file', JSON.stringify(file), null, open, guard)
          // Nothing of the file may stay behind without its message.
          if (!appended) throw notOpen
          return appended
        })
      } catch (err) {
        if (err !== notOpen) throw err
      }
      if (!message) return await refused(chatId, author)
      await bus.publish({ type: 'chat.message', chatId, message })
      if (offer) await offerAnswered(author, message)
      return message
    },

    async postManualEvent (chatId, author, body, agentsOnly, record) {
      const message = await db.transaction(async (trx) => {
        const appended = await append(trx, chatId, author, agentsOnly ? 'note' : 'event', body, null, [ChatStatus.active])
        if (appended) await history(trx, chatId, author, record.action, record.data)
        return appended
      })
      if (!message) throw new LC_ERR_CHAT_STATE_CONFLICT((await load(chatId)).status, 'given a manual event')
      await bus.publish({ type: 'chat.message', chatId, message })
      return message
    },

    async shareArticle (chatId, author, article) {
      const offer = await answersOffer(chatId, author)
      const message = await db.transaction(async (trx) => {
        // Only the chat's own agent shares, by the same guard as postMessage.
        const appended = await append(trx, chatId, author, 'kb_share', JSON.stringify(article), null, [ChatStatus.active], { agent_id: author.id ?? '' })
        if (appended) await history(trx, chatId, author, 'article_shared', { articleId: article.id, title: article.title, url: article.url })
        return appended
      })
      if (!message) {
        const chat = await load(chatId)
        if (chat.status !== ChatStatus.active) throw new LC_ERR_CHAT_STATE_CONFLICT(chat.status, 'given an article')
        // Taken over or transferred since the caller looked: say who has it now.
        throw new LC_ERR_CHAT_TAKEN(await core.holderName(chat))
      }
      await bus.publish({ type: 'chat.message', chatId, message })
      if (offer) await offerAnswered(author, message)
      return message
    },

    async postCoaching (chatId, scope, text, clientMsgId) {
      const body = messageBody(text, core.maxMessageLength)
      const chat = await load(chatId)
      // The supervisor coaches, the chat's agent answers them.
      const coach = chat.agentId === scope.id || (scope.supervise && sees(scope, chat.groupId))
      if (!coach) throw new LC_ERR_CHAT_NOT_FOUND(String(chatId))
      if (chat.status !== ChatStatus.active) throw new LC_ERR_CHAT_CLOSED()
      const { message, duplicate } = await appendOnce(chatId, agentActor(scope), 'coaching', body, clientMsgId, [ChatStatus.active])
      if (!message) throw new LC_ERR_CHAT_CLOSED()
      await core.monitored(chat, scope)
      if (!duplicate) await bus.publish({ type: 'chat.message', chatId, message })
      return { message, duplicate }
    },

    async typing (chatId, side, name) {
      await bus.publish({ type: 'chat.typing', chatId, side, name })
    },

    async markRead (chatId, agentId, seq) {
      if (await store.markRead(db, chatId, agentId, seq) === 0) return
      await bus.publish({ type: 'chat.read', chatId, side: 'agent', seq })
    },

    async received (chatId, side, seq) {
      await bus.publish({ type: 'chat.received', chatId, side, seq })
    },

    async markCustomerRead (chatId, seq) {
      if (await store.markCustomerRead(db, chatId, seq) === 0) return
      await bus.publish({ type: 'chat.read', chatId, side: 'customer', seq })
    },

    async messages (chatId, afterSeq = 0, upToSeq) {
      return (await store.messagesBetween(db, chatId, afterSeq, upToSeq)).map(store.toMessage)
    },

    async customerMessages (chatId) {
      return (await store.messagesBetween(db, chatId, 0)).map(store.toMessage).filter((m) => !agentOnlyKinds.has(m.kind))
    }
  }
}
