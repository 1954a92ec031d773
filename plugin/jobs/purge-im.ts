import type { Knex } from 'knex'
import { freshReads, getDialect, transact } from '../db/index.ts'
import { dayMs, inPacedBatches } from './purge.ts'
import type { JobContext, JobOutcome } from './scheduler.ts'

/**
 * Every plugin table with a conversation_id column: what an instant message conversation
 * leaves behind. Removed before the conversation itself, as the chat purge does, so nothing
 * depends on foreign keys cascading. A test lists the tables with a conversation_id column
 * on both databases and fails when one is missing here.
 */
export const conversationTables = [
  'lc_im_messages',
  'lc_im_participants',
  'lc_im_room_access'
] as const

export interface ImPurgeDeps {
  db: Knex
  clock: () => number
  /** Deleted conversations are removed this many days after deletion (setting purgeAfterDays, as for chats). */
  afterDays: number
  /** Conversations per transaction at most (setting purgeBatchSize). */
  batchSize: number
  /** How long one batch's transaction should take, in ms; as in the chat purge (plugin/jobs/purge.ts). */
  targetMs?: number
  restRatio?: number
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
 * is left alone), resting between batches so live conversations are not held up.
 */
export function createImPurge ({ db, clock, afterDays, batchSize, targetMs = 10, restRatio = 3 }: ImPurgeDeps) {
  return async function purgeIm (ctx?: JobContext): Promise<ImPurgeResult> {
    const deletedBefore = clock() - afterDays * dayMs
    const byTable: Record<string, number> = {}
    let conversations = 0
    const batches = await inPacedBatches(ctx, { batchSize, targetMs, restRatio }, async (size) => {
      const candidates = (await db('lc_im_conversations').select('id').whereNotNull('deleted_at').andWhere('deleted_at', '<', deletedBefore).orderBy('id').limit(size))
        .map((r: { id: number }) => Number(r.id))
      if (candidates.length === 0) return false
      const rows = await transact(db, async (trx) => {
        const q = trx('lc_im_conversations').select('id').whereIn('id', candidates).whereNotNull('deleted_at').andWhere('deleted_at', '<', deletedBefore)
        if (getDialect(trx) === 'mysql') q.forUpdate()
        const ids = (await q).map((r: { id: number }) => Number(r.id))
        const out: Record<string, number> = {}
        if (ids.length === 0) return out
        for (const table of conversationTables) out[table] = Number(await trx(table).whereIn('conversation_id', ids).delete())
        out.lc_im_conversations = Number(await trx('lc_im_conversations').whereIn('id', ids).delete())
        return out
      }, freshReads(db))
      conversations += rows.lc_im_conversations ?? 0
      for (const [table, n] of Object.entries(rows)) byTable[table] = (byTable[table] ?? 0) + n
      return true
    })
    const rows = Object.values(byTable).reduce((a, b) => a + b, 0)
    const summary = conversations === 0
      ? `No deleted instant message conversations older than ${afterDays} days`
      : `Purged ${conversations} instant message conversation${conversations === 1 ? '' : 's'} deleted more than ${afterDays} days ago: ${byTable.lc_im_messages ?? 0} messages, ${rows} rows in all`
    return { rows, summary, conversations, batches, byTable }
  }
}
