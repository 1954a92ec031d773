import type { Knex } from 'knex'
import { affected, toMs } from '../db/index.ts'

type Db = Knex | Knex.Transaction

/**
 * Takes the job's lease when it is free or already ours: one conditional UPDATE, so of
 * any number of instances exactly one gets it. A scheduled run names its tick: a tick
 * already run (by an instance whose run has finished) is not run again.
 */
export async function takeLease (db: Db, name: string, owner: string, now: number, ttlMs: number, tick?: number): Promise<boolean> {
  await db('lc_job_locks').insert({ name, owner: null, locked_until: 0 }).onConflict('name').ignore()
  const n = affected(await db('lc_job_locks').where('name', name)
    .andWhere((q) => { q.where('locked_until', '<', now).orWhere('owner', owner) })
    .andWhere((q) => { if (tick !== undefined) q.whereNull('last_tick').orWhere('last_tick', '<', tick) })
    .update({ owner, locked_until: now + ttlMs, last_started_at: now, ...(tick !== undefined ? { last_tick: tick } : {}) }))
  return n === 1
}

/** Moves the lease's end on while a long run works; false when the lease is no longer ours (it expired and another instance took it). */
export async function renewLease (db: Db, name: string, owner: string, now: number, ttlMs: number): Promise<boolean> {
  return affected(await db('lc_job_locks').where({ name, owner }).andWhere('locked_until', '>', 0).update({ locked_until: now + ttlMs })) === 1
}

export async function finishRun (db: Db, name: string, owner: string, at: number, rows: number | null, error: string | null): Promise<void> {
  await db('lc_job_locks').where({ name, owner })
    .update({ locked_until: 0, last_finished_at: at, last_rows: rows, last_error: error })
}

export async function jobState (db: Db, name: string): Promise<Record<string, unknown> | undefined> {
  return await db('lc_job_locks').where('name', name).first()
}

export interface Lease {
  name: string
  owner: string | null
  lockedUntil: number
}

/** Every job's lease row (a job that never ran has none). */
export async function leases (db: Db): Promise<Lease[]> {
  const rows: Array<Record<string, unknown>> = await db('lc_job_locks').select('name', 'owner', 'locked_until')
  return rows.map((r) => ({ name: String(r.name), owner: r.owner === null ? null : String(r.owner), lockedUntil: toMs(r.locked_until) ?? 0 }))
}

// ---------------------------------------------------------------- run records (lc_job_runs)

export interface LcJobRunRow {
  id: number
  job: string
  owner: string
  trigger: string
  started_by: string | null
  started_at: number | string
  finished_at: number | string | null
  rows: number | null
  summary: string | null
  error: string | null
  /** The scheduled tick the run answered; null for Run now. */
  tick: number | string | null
}

/** A run as the admin page shows it. */
export interface JobRun {
  id: number
  job: string
  owner: string
  trigger: 'schedule' | 'manual'
  startedBy: string | null
  startedAt: number
  finishedAt: number | null
  rows: number | null
  summary: string | null
  error: string | null
}

export function toJobRun (row: LcJobRunRow): JobRun {
  return {
    id: Number(row.id),
    job: row.job,
    owner: row.owner,
    trigger: row.trigger === 'manual' ? 'manual' : 'schedule',
    startedBy: row.started_by,
    startedAt: toMs(row.started_at)!,
    finishedAt: toMs(row.finished_at),
    rows: row.rows === null ? null : Number(row.rows),
    summary: row.summary,
    error: row.error
  }
}

export async function insertRun (db: Db, row: Omit<LcJobRunRow, 'id' | 'finished_at' | 'rows' | 'summary' | 'error'>): Promise<number> {
  const [id] = await db('lc_job_runs').insert(row)
  return Number(id)
}

export async function finishRunRecord (db: Db, id: number, fields: { finished_at: number, rows: number | null, summary: string | null, error: string | null }): Promise<void> {
  await db('lc_job_runs').where({ id }).update(fields)
}

/**
 * Keeps the latest `keep` runs of the job and deletes the rest. Two statements, not a
 * DELETE with a subquery on the same table, which MySQL refuses.
 */
export async function pruneRuns (db: Db, job: string, keep: number): Promise<number> {
  const edge = await db('lc_job_runs').select('id').where({ job }).orderBy('id', 'desc').offset(keep).limit(1).first()
  if (!edge) return 0
  return affected(await db('lc_job_runs').where({ job }).andWhere('id', '<=', edge.id).delete())
}

/** The latest runs of each of `jobs`, newest first, at most `limit` per job. */
export async function recentRuns (db: Db, jobs: string[], limit: number): Promise<Map<string, JobRun[]>> {
  const out = new Map<string, JobRun[]>()
  for (const job of jobs) {
    const rows = await db<LcJobRunRow>('lc_job_runs').where({ job }).orderBy('id', 'desc').limit(limit)
    out.set(job, rows.map(toJobRun))
  }
  return out
}

// ---------------------------------------------------------------- items a job could not handle (lc_job_item_failures)

export interface ItemFailure {
  job: string
  item: string
  error: string
  attempts: number
  firstFailedAt: number
  lastFailedAt: number
  nextAttemptAt: number
}

function toFailure (r: Record<string, unknown>): ItemFailure {
  return {
    job: String(r.job),
    item: String(r.item),
    error: String(r.error),
    attempts: Number(r.attempts),
    firstFailedAt: toMs(r.first_failed_at)!,
    lastFailedAt: toMs(r.last_failed_at)!,
    nextAttemptAt: toMs(r.next_attempt_at)!
  }
}

/** A job's failing items, or every job's; the ones to retry soonest first. */
export async function itemFailures (db: Db, job?: string): Promise<ItemFailure[]> {
  const q = db('lc_job_item_failures').orderBy([{ column: 'next_attempt_at' }, { column: 'job' }, { column: 'item' }])
  if (job !== undefined) void q.where({ job })
  return (await q).map(toFailure)
}

/** Counts one more failure of an item, and when it may be tried again (`delay` gets the attempts so far). */
export async function recordItemFailure (db: Knex, job: string, item: string, error: string, now: number, delay: (attempts: number) => number): Promise<ItemFailure> {
  return await db.transaction(async (trx) => {
    const row = await trx('lc_job_item_failures').where({ job, item }).first()
    const attempts = row ? Number(row.attempts) + 1 : 1
    const values = { error: error.slice(0, 500), attempts, last_failed_at: now, next_attempt_at: now + delay(attempts) }
    if (row) await trx('lc_job_item_failures').where({ job, item }).update(values)
    else await trx('lc_job_item_failures').insert({ job, item, first_failed_at: now, ...values })
    return toFailure({ ...(row ?? { job, item, first_failed_at: now }), ...values })
  })
}

export async function clearItemFailure (db: Db, job: string, item: string): Promise<void> {
  await db('lc_job_item_failures').where({ job, item }).delete()
}
