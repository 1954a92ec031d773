import type { ImCommon } from './common.ts'
import type { ImService } from './service.ts'
import * as store from './store.ts'

/** Threads the im-idle job looks at per query. */
const idleBatch = 200

/**
 * What the scheduled jobs do to conversations (docs/design.md §7): threads without a message
 * for imInactiveHours become inactive. Each thread changes by its own conditional UPDATE, so
 * a message written meanwhile keeps it active.
 */
export function createSweeps (c: ImCommon): Pick<ImService, 'makeIdleInactive'> {
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
    }
  }
}
