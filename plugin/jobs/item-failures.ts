import type { Knex } from 'knex'
import type { ItemGuard } from '../chats/service.ts'
import * as store from './store.ts'

/** The first retry waits a minute; each failure after doubles it, up to a day. */
export const firstRetryMs = 60_000
export const longestRetryMs = 86_400_000

/** How long an item waits after its `attempts`-th failure in a row. */
export function retryDelay (attempts: number): number {
  return Math.min(firstRetryMs * 2 ** Math.max(0, attempts - 1), longestRetryMs)
}

interface Log { warn: (obj: object, msg: string) => void }

/**
 * What went wrong, as the jobs page says it. A database error from knex starts with the
 * statement and its values (a chat's text, a customer's name); the page shows the database's
 * own reason and code instead.
 */
export function describeFailure (err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const statement = /^\s*(insert|update|delete|select|with)\b/i.test(err.message) ? err.message.lastIndexOf(' - ') : -1
  const reason = statement >= 0 ? err.message.slice(statement + 3) : err.message
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' && statement >= 0 ? `${code}: ${reason}` : reason
}

/**
 * How a job names its items in lc_job_item_failures: a chat by its id, an instant message
 * thread (the purge's, after its chats) as `im:<id>`, so the jobs page tells them apart.
 */
const threadPrefix = 'im:'

/** The item as a person reads it: "Chat #12", "IM conversation #7". */
export function itemLabel (item: string): string {
  return item.startsWith(threadPrefix) ? `IM conversation #${item.slice(threadPrefix.length)}` : `Chat #${item}`
}

/** "1 chat", "2 chats and 1 IM conversation": how many of each kind the items are. */
export function itemCount (items: string[]): string {
  const threads = items.filter((i) => i.startsWith(threadPrefix)).length
  const chats = items.length - threads
  const parts: string[] = []
  if (chats > 0 || threads === 0) parts.push(`${chats} chat${chats === 1 ? '' : 's'}`)
  if (threads > 0) parts.push(`${threads} IM conversation${threads === 1 ? '' : 's'}`)
  return parts.join(' and ')
}

/** A run's guard, and what it met: for the run's summary and error. */
export interface RunGuard extends ItemGuard {
  due (item: number | string): Promise<boolean>
  failed (item: number | string, err: unknown): Promise<void>
  done (item: number | string): Promise<void>
  /** Items that failed in this run, with their error. */
  failedNow: Array<{ item: string, error: string, attempts: number }>
  /** Items passed over because they were still waiting out their backoff. */
  waiting: number
  /** Drops the failures of items the run did not meet although they were due: no longer the job's (a chat ended meanwhile). */
  prune (): Promise<void>
}

/**
 * The per-item failures of one job's run (docs/features.md#failing-items), kept in
 * lc_job_item_failures: read once when the run meets its first item, written as items fail
 * or succeed. The lease keeps two runs of one job apart, so nothing here races.
 */
export function itemGuard (db: Knex, job: string, clock: () => number, log: Log): RunGuard {
  let known: Promise<Map<string, store.ItemFailure>> | undefined
  const failures = async (): Promise<Map<string, store.ItemFailure>> => {
    known ??= store.itemFailures(db, job).then((list) => new Map(list.map((f) => [f.item, f])))
    return await known
  }
  const met = new Set<string>()
  const startedAt = clock()

  const guard: RunGuard = {
    failedNow: [],
    waiting: 0,

    async due (id) {
      const item = String(id)
      met.add(item)
      const failure = (await failures()).get(item)
      if (!failure || failure.nextAttemptAt <= clock()) return true
      guard.waiting++
      return false
    },

    async failed (id, err) {
      const item = String(id)
      const error = describeFailure(err)
      const failure = await store.recordItemFailure(db, job, item, error, clock(), retryDelay)
      ;(await failures()).set(item, failure)
      guard.failedNow.push({ item, error, attempts: failure.attempts })
      // Logged without a stack: a bad item may fail on every attempt for a day.
      log.warn({ job, item, attempts: failure.attempts, nextAttemptAt: failure.nextAttemptAt, error }, 'live chat job skipped an item it could not handle')
    },

    async done (id) {
      const item = String(id)
      const all = await failures()
      if (!all.has(item)) return
      await store.clearItemFailure(db, job, item)
      all.delete(item)
    },

    async prune () {
      if (known === undefined) known = failures()
      for (const [item, failure] of await failures()) {
        if (!met.has(item) && failure.nextAttemptAt <= startedAt) await store.clearItemFailure(db, job, item)
      }
    }
  }
  return guard
}

/** The same run's guard over instant message threads: their failures are recorded as `im:<id>` beside the chats'. */
export function threadGuard (guard: RunGuard): ItemGuard {
  return {
    due: async (id) => await guard.due(threadPrefix + id),
    failed: async (id, err) => { await guard.failed(threadPrefix + id, err) },
    done: async (id) => { await guard.done(threadPrefix + id) }
  }
}

/** The run's line about its items: how many failed now and how many wait for their retry. */
export function itemsLine (guard: RunGuard): string | undefined {
  const parts: string[] = []
  if (guard.failedNow.length > 0) parts.push(`${itemCount(guard.failedNow.map((f) => f.item))} failed and will be retried`)
  if (guard.waiting > 0) parts.push(`${guard.waiting} failed before and wait${guard.waiting === 1 ? 's' : ''} for ${guard.waiting === 1 ? 'its' : 'their'} retry`)
  return parts.length > 0 ? parts.join('; ') : undefined
}
