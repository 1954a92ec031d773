import { toMs } from '../db/index.ts'
import type { ChatCore } from './core.ts'
import * as lists from './list-store.ts'
import type { ChatService } from './service.ts'
import * as store from './store.ts'
import { ChatStatus, openStatuses, queueCounts, queueGroups } from './types.ts'

const dayMs = 86_400_000

/**
 * What the console's tabs and lists, the customer's waiting screen and the customer panel
 * read of chats. Nothing here changes a chat; who may see which groups is the caller's
 * (or queueGroups') to decide.
 */
export function createQueries ({ db, clock }: ChatCore): Pick<ChatService, 'queue' | 'transferred' | 'counts' | 'queueTally' | 'nextQueued' |
'queuePosition' | 'queuePositions' | 'recentQueueTime' | 'list' | 'waiting' | 'agentChats' | 'completedRows' | 'history' | 'customerChats' | 'earlierChats' | 'customerChatIds' | 'openChatOf' |
'startedSince' |
'statusCounts' | 'queueStats'> {
  return {
    async queue (scope) {
      return (await lists.queuedChats(db, { groups: queueGroups(scope), which: 'queue' })).map(store.toChat)
    },

    async transferred (scope) {
      // A supervisor sees every transfer in their groups, not only those waiting for them.
      return (await lists.queuedChats(db, { groups: queueGroups(scope), which: 'transferred', forAgent: scope.supervise ? undefined : scope.id })).map(store.toChat)
    },

    async waiting (scope, limit = lists.queueListLimit) {
      const { queue, transferred } = await lists.queueAndTransferred(db, { groups: queueGroups(scope), forAgent: scope.supervise ? undefined : scope.id, limit })
      // Under their limit the two lists are the whole tabs, so they are their own counts, by
      // the same rule as queueCounts; only a tab cut at its limit needs the tally read.
      const counts = queue.length < limit && transferred.length < limit
        ? { queue: queue.length, transferred: transferred.length }
        : queueCounts(await lists.queuedTally(db), scope)
      return { queue: queue.map(store.toChat), transferred: transferred.map(store.toChat), counts }
    },

    async counts (scope) {
      return queueCounts(await lists.queuedTally(db), scope)
    },

    async queueTally () {
      return await lists.queuedTally(db)
    },

    async nextQueued (groupId, limit = 50) {
      return (await lists.nextQueued(db, groupId, limit)).map(store.toChat)
    },

    async queuePosition (chat) {
      if (chat.status !== ChatStatus.queued || chat.queuedAt === null || chat.transferredTo !== null) return undefined
      return await lists.countAhead(db, { id: chat.id, queuedAt: chat.queuedAt, groupId: chat.groupId })
    },

    async queuePositions () {
      const rows = await lists.queuedChats(db, { which: 'waiting', limit: 10000 })
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

    async recentQueueTime (groupId) {
      return await lists.recentQueueTime(db, groupId, clock() - dayMs)
    },

    async list (query) {
      return (await lists.listChats(db, { ...query, now: query.now ?? clock() })).map(store.toChat)
    },

    async agentChats (agentId, which) {
      const statuses = which === 'active' ? [ChatStatus.active] : [ChatStatus.ended, ChatStatus.abandoned]
      return (await lists.agentChats(db, agentId, statuses)).map(store.toChat)
    },

    async completedRows (agentId) {
      return (await lists.agentChats(db, agentId, [ChatStatus.ended, ChatStatus.abandoned], 50, ['id', 'customer_name', 'status', 'ended_at']))
        .map((r) => ({ id: Number(r.id), customerName: r.customer_name, status: r.status as ChatStatus, endedAt: toMs(r.ended_at) }))
    },

    async history (chatId) {
      return await store.historyOf(db, chatId)
    },

    async customerChats (customer, opts = {}) {
      const now = clock()
      const { rows, total, since } = await lists.customerChats(db, customer, {
        limit: opts.limit ?? 50, beforeId: opts.before, since: [7, 30, 90].map((d) => now - d * dayMs)
      })
      return { chats: rows.map(store.toChat), counts: { last7: since[0]!, last30: since[1]!, last90: since[2]!, all: total } }
    },

    async earlierChats (customer, before) {
      return await lists.earlierChats(db, customer, before)
    },

    async openChatOf (userId) {
      const row = await lists.openChatOfUser(db, userId, openStatuses)
      return row ? store.toChat(row) : undefined
    },

    async customerChatIds (customer) {
      return await lists.customerChatIds(db, customer)
    },

    async startedSince (since) {
      return await lists.countStartedSince(db, since)
    },

    async statusCounts () {
      return (await lists.countByStatus(db)).map((r) => ({ status: r.status as ChatStatus, n: r.n }))
    },

    async queueStats () {
      return (await lists.queueByGroup(db)).map((r) => ({ groupId: r.groupId, n: r.n, oldestQueuedAt: r.oldest }))
    }
  }
}
