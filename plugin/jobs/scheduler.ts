import type { Knex } from 'knex'
import * as store from './store.ts'

/** What a run did: rows touched, a line for the admin page, and an error that did not stop it (a file that could not be removed). */
export interface JobOutcome {
  rows: number
  summary?: string
  error?: string
}

/** Given to a running job, so a long one keeps its lease and stops when it has lost it. */
export interface JobContext {
  /**
   * True while the lease is this run's; moves the lease's end on when a third of it has
   * passed. A job working through many batches asks before each one.
   */
  stillOurs: () => Promise<boolean>
}

export type JobFn = (ctx: JobContext) => Promise<number | JobOutcome>

export type JobTrigger = 'schedule' | 'manual'

export interface RunOptions {
  trigger?: JobTrigger
  /** Who pressed Run now. */
  startedBy?: string | null
  /** Runs of each job kept in lc_job_runs. */
  keepRuns?: number
  /** The scheduled tick (epoch ms) this run answers: of all the instances whose schedule fired at it, one runs it. */
  tick?: number
}

/** A finished run, as recorded. */
export interface RunResult {
  runId: number
  rows: number | null
  summary: string | null
  error: string | null
  startedAt: number
  finishedAt: number
  /** What the job threw, when it did (its message is `error`). */
  thrown?: unknown
}

export const defaultLeaseMs = 5 * 60_000
const keepRunsDefault = 50

/**
 * Runs one job under its lease (docs/design.md §7) and records the run: a row in lc_job_runs when it
 * starts, completed with rows, summary and error when it ends, and the lease row's last_*
 * columns. Null when another instance holds the lease (nothing is recorded then). An error
 * the job throws is recorded and returned as `thrown`.
 */
export async function runJobRecorded (db: Knex, name: string, owner: string, fn: JobFn, clock: () => number = Date.now, ttlMs = defaultLeaseMs, opts: RunOptions = {}): Promise<RunResult | null> {
  const startedAt = clock()
  if (!await store.takeLease(db, name, owner, startedAt, ttlMs, opts.tick)) return null
  const runId = await store.insertRun(db, {
    job: name, owner, trigger: opts.trigger ?? 'schedule', started_by: opts.startedBy?.slice(0, 120) ?? null, started_at: startedAt, tick: opts.tick ?? null
  })
  let renewedAt = startedAt
  const ctx: JobContext = {
    async stillOurs () {
      const now = clock()
      if (now - renewedAt < ttlMs / 3) return true
      renewedAt = now
      return await store.renewLease(db, name, owner, now, ttlMs)
    }
  }
  const finish = async (rows: number | null, summary: string | null, error: string | null): Promise<RunResult> => {
    const finishedAt = clock()
    await store.finishRunRecord(db, runId, { finished_at: finishedAt, rows, summary: summary?.slice(0, 300) ?? null, error: error?.slice(0, 2000) ?? null })
    await store.finishRun(db, name, owner, finishedAt, rows, error?.slice(0, 2000) ?? null)
    await store.pruneRuns(db, name, opts.keepRuns ?? keepRunsDefault)
    return { runId, rows, summary, error, startedAt, finishedAt }
  }
  let outcome: JobOutcome
  try {
    const done = await fn(ctx)
    outcome = typeof done === 'number' ? { rows: done } : done
  } catch (err) {
    return { ...await finish(null, null, String((err as Error).message)), thrown: err }
  }
  return await finish(outcome.rows, outcome.summary ?? null, outcome.error ?? null)
}

/**
 * runJobRecorded for callers that want the rows touched only: null when another instance
 * holds the lease. An error the job threw is thrown again, once recorded.
 */
export async function runJob (db: Knex, name: string, owner: string, fn: JobFn, clock: () => number = Date.now, ttlMs = defaultLeaseMs, opts: RunOptions = {}): Promise<number | null> {
  const result = await runJobRecorded(db, name, owner, fn, clock, ttlMs, opts)
  if (result?.thrown !== undefined) throw result.thrown
  return result === null ? null : result.rows
}
