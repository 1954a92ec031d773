import type { Knex } from 'knex'
import { affected } from '../db/index.ts'

type Db = Knex | Knex.Transaction

export interface LcManualEventRow {
  id: number
  name: string
  body: string
  agents_only: boolean | number
  sort_order: number
  created_at: number | string
}

/** A manual event as the administrator defined it. */
export interface ManualEvent {
  id: number
  name: string
  body: string
  agentsOnly: boolean
}

export function toEvent (row: LcManualEventRow): ManualEvent {
  // SQLite and MySQL both hand booleans back as 0/1.
  return { id: Number(row.id), name: row.name, body: row.body, agentsOnly: Boolean(Number(row.agents_only)) }
}

export type EventColumns = Pick<LcManualEventRow, 'name' | 'body' | 'agents_only'>

/** Every event in the administrator's order; the id breaks ties. */
export async function events (db: Db): Promise<LcManualEventRow[]> {
  return await db<LcManualEventRow>('lc_manual_events').orderBy([{ column: 'sort_order' }, { column: 'id' }])
}

export async function event (db: Db, id: number): Promise<LcManualEventRow | undefined> {
  return await db<LcManualEventRow>('lc_manual_events').where({ id }).first()
}

/** A new event goes last. */
export async function insertEvent (db: Db, row: EventColumns & { created_at: number }): Promise<number> {
  const last = await db('lc_manual_events').max({ n: 'sort_order' }).first() as { n: number | string | null } | undefined
  const [id] = await db('lc_manual_events').insert({ ...row, sort_order: Number(last?.n ?? 0) + 1 })
  return Number(id)
}

export async function updateEvent (db: Db, id: number, row: Partial<EventColumns & { sort_order: number }>): Promise<number> {
  return affected(await db('lc_manual_events').where({ id }).update(row))
}

export async function deleteEvent (db: Db, id: number): Promise<number> {
  return affected(await db('lc_manual_events').where({ id }).delete())
}
