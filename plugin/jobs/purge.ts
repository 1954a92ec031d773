import { performance } from 'node:perf_hooks'
import { setImmediate as yieldToOthers, setTimeout as sleep } from 'node:timers/promises'
import type { Knex } from 'knex'
import { freshReads, getDialect, transact } from '../db/index.ts'
import type { JobContext, JobOutcome } from './scheduler.ts'

type Db = Knex | Knex.Transaction

/**
 * Every plugin table with a chat_id column: what a chat leaves behind. The purge removes a
 * chat's rows from each of them before the chat itself, so nothing depends on foreign keys
 * cascading. A test lists the tables with a chat_id column on both databases and fails when
 * one is missing here: a new table of chat data must be added to this list.
 */
export const chatTables = [
  'lc_messages',
  'lc_chat_history',
  'lc_chat_comments',
  'lc_chat_items',
  'lc_chat_pins',
  'lc_chat_surveys',
  'lc_chat_field_values',
  'lc_chat_files'
] as const

/** Deleted chats past retention, oldest id first; read without locks, so live chats are never held up by the scan. */
export async function purgeCandidates (db: Db, deletedBefore: number, limit: number): Promise<number[]> {
  const rows = await db('lc_chats').select('id').whereNotNull('deleted_at').andWhere('deleted_at', '<', deletedBefore).orderBy('id', 'asc').limit(limit)
  return rows.map((r: { id: number }) => Number(r.id))
}

export interface PurgedBatch {
  chats: number
  /** Rows removed per table, lc_chats included. */
  rows: Record<string, number>
  /** Storage names of the batch's files, to remove from disk once the rows are committed. */
  storageNames: string[]
}

/**
 * Inside one short transaction: locks the candidates that are still deleted and past
 * retention (by primary key, so no other row is locked; a chat undeleted since the scan
 * is left alone), then removes their rows from every chat table and the chats themselves.
 */
export async function purgeBatch (trx: Knex.Transaction, candidates: number[], deletedBefore: number): Promise<PurgedBatch> {
  const rows: Record<string, number> = {}
  const q = trx('lc_chats').select('id').whereIn('id', candidates).whereNotNull('deleted_at').andWhere('deleted_at', '<', deletedBefore)
  if (getDialect(trx) === 'mysql') q.forUpdate()
  const ids = (await q).map((r: { id: number }) => Number(r.id))
  if (ids.length === 0) return { chats: 0, rows, storageNames: [] }
  const files = await trx('lc_chat_files').select('storage_name').whereIn('chat_id', ids)
  for (const table of chatTables) rows[table] = Number(await trx(table).whereIn('chat_id', ids).delete())
  rows.lc_chats = Number(await trx('lc_chats').whereIn('id', ids).delete())
  return { chats: rows.lc_chats, rows, storageNames: files.map((f: { storage_name: string }) => f.storage_name) }
}

/** What removing files from disk came to; failures other than "already gone" are named. */
export interface Discarded { removed: number, missing: number, failed: string[] }

export interface PurgeDeps {
  db: Knex
  /** Removes file contents from the upload directory (plugin/files). */
  files: { discard: (storageNames: string[]) => Promise<Discarded> }
  clock: () => number
  /** Deleted chats are removed this many days after deletion (setting purgeAfterDays). */
  afterDays: number
  /** Chats per transaction at most (setting purgeBatchSize). */
  batchSize: number
  /**
   * How long one batch's transaction should take, in ms (default 10): batches shrink or grow
   * towards it (up to batchSize), whatever the chats hold. On SQLite a live chat's statement
   * that arrives during a batch waits for all of it (one connection, one writer).
   */
  targetMs?: number
  /**
   * After each batch the purge rests this many times as long as the batch took (default 3:
   * it has the database about a quarter of the time at most), so live chats' statements are
   * not kept waiting behind batch after batch.
   */
  restRatio?: number
}

/** What one purge run removed, for the run record and the benchmark. */
export interface PurgeResult extends JobOutcome {
  chats: number
  batches: number
  byTable: Record<string, number>
  files: Discarded
}

export const dayMs = 86_400_000

/** How a purge paces its batches (PurgeDeps: batchSize, targetMs, restRatio). */
export interface Pacing { batchSize: number, targetMs: number, restRatio: number }

/**
 * Runs `batch` until it finds nothing left to remove (it returns false) or the job's lease
 * is lost. Batches shrink or grow towards `targetMs` (up to `batchSize`), and after each the
 * purge rests `restRatio` times as long as it took, so live statements get their turn.
 * Returns how many batches removed something.
 */
export async function inPacedBatches (ctx: JobContext | undefined, { batchSize, targetMs, restRatio }: Pacing, batch: (size: number) => Promise<boolean>): Promise<number> {
  let batches = 0
  let size = batchSize
  for (;;) {
    if (ctx && !await ctx.stillOurs()) break
    const started = performance.now()
    if (!await batch(size)) break
    batches++
    const took = performance.now() - started
    if (took > targetMs * 1.5 && size > 1) size = Math.max(1, Math.floor(size * targetMs / took))
    else if (took < targetMs / 2 && size < batchSize) size = Math.min(batchSize, size * 2)
    const rest = took * restRatio
    if (rest >= 1) await sleep(rest)
    else await yieldToOthers()
  }
  return batches
}

/**
 * The purge job (DESIGN §7): chats deleted more than `afterDays` ago go for good, with every
 * row of theirs and their files on disk. Batch after batch, each its own short transaction,
 * yielding between batches so live chats' statements get their turn; files are removed only
 * after their rows' transaction committed (a rollback must not leave rows without content).
 */
export function createPurge ({ db, files, clock, afterDays, batchSize, targetMs = 10, restRatio = 3 }: PurgeDeps) {
  return async function purge (ctx?: JobContext): Promise<PurgeResult> {
    const deletedBefore = clock() - afterDays * dayMs
    const byTable: Record<string, number> = {}
    const discarded: Discarded = { removed: 0, missing: 0, failed: [] }
    let chats = 0
    const batches = await inPacedBatches(ctx, { batchSize, targetMs, restRatio }, async (size) => {
      const candidates = await purgeCandidates(db, deletedBefore, size)
      if (candidates.length === 0) return false
      // READ COMMITTED on MySQL: no gap locks, so a batch never holds up (or deadlocks with) a
      // live chat's message landing next to a purged chat's rows in an index.
      const batch = await transact(db, async (trx) => await purgeBatch(trx, candidates, deletedBefore), freshReads(db))
      chats += batch.chats
      for (const [table, n] of Object.entries(batch.rows)) byTable[table] = (byTable[table] ?? 0) + n
      if (batch.storageNames.length > 0) {
        const d = await files.discard(batch.storageNames)
        discarded.removed += d.removed
        discarded.missing += d.missing
        discarded.failed.push(...d.failed)
      }
      return true
    })
    const rows = Object.values(byTable).reduce((a, b) => a + b, 0)
    const summary = chats === 0
      ? `No deleted chats older than ${afterDays} days`
      : `Purged ${chats} chat${chats === 1 ? '' : 's'} deleted more than ${afterDays} days ago in ${batches} batch${batches === 1 ? '' : 'es'}: ${byTable.lc_messages ?? 0} messages, ${rows} rows in all, ${discarded.removed} file${discarded.removed === 1 ? '' : 's'} removed${discarded.missing > 0 ? ` (${discarded.missing} already gone)` : ''}`
    const error = discarded.failed.length > 0
      ? `${discarded.failed.length} file${discarded.failed.length === 1 ? '' : 's'} could not be removed from the upload directory: ${discarded.failed.slice(0, 5).join('; ')}`
      : undefined
    return { rows, summary, error, chats, batches, byTable, files: discarded }
  }
}
