import {
  type CodedError, LC_ERR_CHAT_ALREADY_DELETED, LC_ERR_CHAT_NOT_DELETED, LC_ERR_CHAT_NOT_FOUND, LC_ERR_DELETE_NOT_YOURS, LC_ERR_DELETE_OPEN_CHAT
} from '../errors.ts'
import { agentActor, type ChatCore } from './core.ts'
import { agentMaySee } from './rules.ts'
import type { ChatService, DeletionOutcome } from './service.ts'
import * as store from './store.ts'
import { type AgentScope, type ChatStatus, closedStatuses, mayDelete } from './types.ts'

/** "Chat #5 is still …": the open states in words. */
const stillOpen: Partial<Record<ChatStatus, string>> = { queued: 'waiting in the queue', active: 'active' }

/**
 * Delete and Undelete (docs/features.md, deleting chats): each chat goes to Deleted Items,
 * or comes back, on its own, by mayDelete's rule (plugin/chats/types.ts). The change is one
 * conditional UPDATE with its History row in one transaction, and open consoles are told
 * after the commit. Deleted chats leave every list, count and search but Deleted Items.
 */
export function createDeletion (core: ChatCore): Pick<ChatService, 'deleteChats' | 'checkDeleteChats' | 'undeleteChats' | 'deletedChatForAgent' | 'deletedBy'> {
  const { db, bus, clock, history } = core

  /** Who did `action` to the chat last (from its History), for a message that names them. */
  async function lastActor (chatId: number, action: 'deleted' | 'undeleted'): Promise<string | undefined> {
    return (await store.latestHistory(db, [chatId], action)).get(chatId)?.actorName
  }

  /** "Not in Deleted Items", naming who restored it when someone did (a list read before they did). */
  async function notDeleted (id: number): Promise<CodedError> {
    const by = await lastActor(id, 'undeleted')
    return new LC_ERR_CHAT_NOT_DELETED(String(id), by ? ` (${by} restored it)` : '')
  }

  /** Whether the viewer may delete (or undelete) the chat now; 'allowed' with the chat, or why not. */
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

  /** Why a Delete or Undelete changed nothing although the chat qualified a moment before: who got there first. */
  async function lostDeletion (id: number, op: 'delete' | 'undelete'): Promise<CodedError> {
    const row = await store.chatRowWithDeleted(db, id)
    if (!row) return new LC_ERR_CHAT_NOT_FOUND(String(id))
    const chat = store.toChat(row)
    if (op === 'undelete') return await notDeleted(id)
    if (chat.deletedAt != null) return new LC_ERR_CHAT_ALREADY_DELETED(String(id), await lastActor(id, 'deleted') ?? 'someone')
    return new LC_ERR_DELETE_OPEN_CHAT(String(id), stillOpen[chat.status] ?? chat.status)
  }

  /** One chat of a Delete or Undelete. */
  async function changeDeletion (id: number, scope: AgentScope, op: 'delete' | 'undelete'): Promise<DeletionOutcome> {
    const checked = await checkDeletion(id, scope, op)
    if (checked.outcome !== 'allowed') return checked
    const before = checked.chat!
    const name = before.customerName
    const departmentId = await core.departmentOf(before.groupId)
    const done = await db.transaction(async (trx) => {
      const n = op === 'delete' ? await store.markDeleted(trx, id, closedStatuses, clock()) : await store.markRestored(trx, id)
      if (n === 0) return false
      await history(trx, id, agentActor(scope), op === 'delete' ? 'deleted' : 'undeleted')
      await core.audit(trx, scope, op === 'delete' ? 'chat.deleted' : 'chat.undeleted', before, departmentId, { deleted: op !== 'delete' }, { deleted: op === 'delete' })
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

  /** Each distinct chat in the order given. */
  async function each (ids: number[], fn: (id: number) => Promise<DeletionOutcome>): Promise<DeletionOutcome[]> {
    const out: DeletionOutcome[] = []
    for (const id of new Set(ids)) out.push(await fn(id))
    return out
  }

  return {
    async deleteChats (ids, scope) {
      return await each(ids, async (id) => await changeDeletion(id, scope, 'delete'))
    },

    async checkDeleteChats (ids, scope) {
      return await each(ids, async (id) => await checkDeletion(id, scope, 'delete'))
    },

    async undeleteChats (ids, scope) {
      return await each(ids, async (id) => await changeDeletion(id, scope, 'undelete'))
    },

    async deletedChatForAgent (chatId, scope) {
      const row = await store.chatRowWithDeleted(db, chatId)
      const chat = row ? store.toChat(row) : undefined
      if (!chat || chat.deletedAt == null || !mayDelete(chat, scope)) throw new LC_ERR_CHAT_NOT_FOUND(String(chatId))
      return { chat, deletedBy: await lastActor(chatId, 'deleted') ?? 'someone' }
    },

    async deletedBy (chatIds) {
      const rows = await store.latestHistory(db, chatIds, 'deleted')
      return new Map([...rows].map(([id, r]) => [id, r.actorName]))
    }
  }
}
