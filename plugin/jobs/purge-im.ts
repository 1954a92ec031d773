import type { ItemGuard } from '../chats/service.ts'
import type { ImService } from '../im/service.ts'
import { dayMs, inPacedBatches } from './purge.ts'
import type { JobContext, JobOutcome } from './scheduler.ts'

export interface ImPurgeDeps {
  /** The instant message service removes each batch; this job paces them. */
  im: Pick<ImService, 'purgeDeleted'>
  clock: () => number
  /** Deleted conversations are removed this many days after deletion (setting purgeAfterDays, as for chats). */
  afterDays: number
  /** Conversations per transaction at most (setting purgeBatchSize). */
  batchSize: number
  /** How long one batch's transaction should take, in ms; as in the chat purge (plugin/jobs/purge.ts). */
  targetMs?: number
  restRatio?: number
  /** True while the database's connection pool has statements waiting (Pacing.busy). */
  busy?: () => boolean
}

export interface ImPurgeResult extends JobOutcome {
  conversations: number
  batches: number
  byTable: Record<string, number>
}

/**
 * Deleted threads (Deleted Items) whose deletion is older than `afterDays` go for good with
 * their participants and messages: batch after batch, each its own short transaction that
 * locks only the candidates still deleted and past retention (one undeleted since the scan
 * is left alone), resting between batches so live conversations are not held up. As the
 * chat purge, each batch starts after the last thread the one before met, and a thread that
 * cannot be removed is recorded through `items` and passed over.
 */
export function createImPurge ({ im, clock, afterDays, batchSize, targetMs = 10, restRatio = 3, busy }: ImPurgeDeps) {
  return async function purgeIm (ctx?: JobContext, items?: ItemGuard): Promise<ImPurgeResult> {
    const deletedBefore = clock() - afterDays * dayMs
    const byTable: Record<string, number> = {}
    let conversations = 0
    let after = 0
    const batches = await inPacedBatches(ctx, { batchSize, targetMs, restRatio, busy }, async (size) => {
      const batch = await im.purgeDeleted(deletedBefore, size, after, items)
      if (batch === null) return false
      after = batch.last
      conversations += batch.rows.lc_im_conversations ?? 0
      for (const [table, n] of Object.entries(batch.rows)) byTable[table] = (byTable[table] ?? 0) + n
      return true
    })
    const rows = Object.values(byTable).reduce((a, b) => a + b, 0)
    const summary = conversations === 0
      ? `No deleted instant message conversations older than ${afterDays} days`
      : `Purged ${conversations} instant message conversation${conversations === 1 ? '' : 's'} deleted more than ${afterDays} days ago: ${byTable.lc_im_messages ?? 0} messages, ${rows} rows in all`
    return { rows, summary, conversations, batches, byTable }
  }
}
