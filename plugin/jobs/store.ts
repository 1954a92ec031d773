import type { Knex } from 'knex'
import { affected } from '../db/index.ts'

type Db = Knex | Knex.Transaction

/**
 * Takes the job's lease when it is free or already ours: one conditional UPDATE, so of
 * any number of instances exactly one gets it.
 */
export async function takeLease (db: Db, name: string, owner: string, now: number, ttlMs: number): Promise<boolean> {
  await db('lc_job_locks').insert({ name, owner: null, locked_until: 0 }).onConflict('name').ignore()
  const n = affected(await db('lc_job_locks').where('name', name)
    .andWhere((q) => { q.where('locked_until', '<', now).orWhere('owner', owner) })
    .update({ owner, locked_until: now + ttlMs, last_started_at: now }))
  return n === 1
}

export async function finishRun (db: Db, name: string, owner: string, at: number, rows: number | null, error: string | null): Promise<void> {
  await db('lc_job_locks').where({ name, owner })
    .update({ locked_until: 0, last_finished_at: at, last_rows: rows, last_error: error })
}

export async function jobState (db: Db, name: string): Promise<Record<string, unknown> | undefined> {
  return await db('lc_job_locks').where('name', name).first()
}
