import { dueItems, wholeOrOneByOne } from '../chats/item-batches.ts'
import { freshReads, transact } from '../db/index.ts'
import type { ImCommon } from './common.ts'
import type { ImService } from './service.ts'
import * as store from './store.ts'

/** Threads the im-idle job looks at per query. */
const idleBatch = 200

/**
 * What the scheduled jobs do to conversations (docs/design.md §7). im-idle: threads without
 * a message for imInactiveHours become inactive, each by its own conditional UPDATE, so a
 * message written meanwhile keeps it active. purge: deleted threads past retention go for
 * good, a batch at a time; the job paces the batches.
 */
export function createSweeps (c: ImCommon): Pick<ImService, 'makeIdleInactive' | 'purgeDeleted'> {
  const { db, clock, publish } = c
  return {
    async makeIdleInactive (afterMs) {
      const before = clock() - afterMs
      let n = 0
      for (;;) {
        const ids = await store.idleThreads(db, before, idleBatch)
        for (const id of ids) {
          if (await store.markIdle(db, id, before, clock()) === 0) continue
          n++
          await publish(id, 'thread', [], true, null)
        }
        if (ids.length < idleBatch) break
      }
      return n
    },

    async purgeDeleted (before, limit, after = 0, items) {
      const candidates = await store.deletedBefore(db, before, limit, after)
      if (candidates.length === 0) return null
      const step = { rows: {} as Record<string, number>, last: candidates[candidates.length - 1]! }
      const due = await dueItems(candidates, items)
      // READ COMMITTED on MySQL, as the chat purge: no gap locks held against live conversations' rows.
      await wholeOrOneByOne(due, async (ids) => {
        const rows = await transact(db, async (trx) => await store.deleteConversations(trx, await store.lockDeletedBefore(trx, ids, before)), freshReads(db))
        for (const [table, n] of Object.entries(rows)) step.rows[table] = (step.rows[table] ?? 0) + n
      }, items)
      return step
    }
  }
}
