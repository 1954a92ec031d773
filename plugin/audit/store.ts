import type { Knex } from 'knex'
import { toMs } from '../db/index.ts'

type Db = Knex | Knex.Transaction

const table = 'lc_audit'

export interface LcAuditRow {
  id: number | string
  at: number | string
  actor_id: string | null
  actor_name: string
  ip: string | null
  action: string
  subject: string
  subject_id: string | null
  department_id: number | null
  before: string | null
  after: string | null
}

export type NewAuditRow = Omit<LcAuditRow, 'id'>

/** One entry of the audit log as the pages read it; before and after are parsed back from JSON. */
export interface AuditRecord {
  id: number
  at: number
  actorId: string | null
  actorName: string
  ip: string | null
  action: string
  subject: string
  subjectId: string | null
  departmentId: number | null
  before: unknown
  after: unknown
}

/** Which rows a page or an export reads: the scope first (null: every department and none). */
export interface AuditFilter {
  /** The departments the reader may see; null: all rows, those of no department too (administrators). */
  departments: number[] | null
  departmentId?: number
  actorId?: string
  action?: string
  /** From this instant (inclusive) to that one (exclusive), epoch ms. */
  from?: number
  to?: number
  /** Words the subject contains ("Chat #42", a group's name). */
  subject?: string
  /** Rows older than this id: the next page. */
  beforeId?: number
}

const parse = (text: string | null): unknown => text === null ? null : JSON.parse(text)

function toRecord (row: LcAuditRow): AuditRecord {
  return {
    id: Number(row.id),
    at: toMs(row.at)!,
    actorId: row.actor_id,
    actorName: row.actor_name,
    ip: row.ip,
    action: row.action,
    subject: row.subject,
    subjectId: row.subject_id,
    departmentId: row.department_id === null ? null : Number(row.department_id),
    before: parse(row.before),
    after: parse(row.after)
  }
}

export async function insert (db: Db, row: NewAuditRow): Promise<void> {
  await db(table).insert(row)
}

function filtered (db: Db, f: AuditFilter): Knex.QueryBuilder {
  const q = db(table)
  if (f.departments !== null) q.whereIn('department_id', f.departments)
  if (f.departmentId !== undefined) q.where('department_id', f.departmentId)
  if (f.actorId !== undefined) q.where('actor_id', f.actorId)
  if (f.action !== undefined) q.where('action', f.action)
  if (f.from !== undefined) q.where('at', '>=', f.from)
  if (f.to !== undefined) q.where('at', '<', f.to)
  if (f.beforeId !== undefined) q.where('id', '<', f.beforeId)
  // '!' escapes LIKE's wildcards the same way on both databases (a backslash would not).
  if (f.subject !== undefined) q.whereRaw('subject like ? escape \'!\'', [`%${f.subject.replace(/[!%_]/g, (c) => `!${c}`)}%`])
  return q
}

/** Whether `actorId` already has an entry of `action` on `subjectId`: by the actor's index, their own entries only. */
export async function has (db: Db, action: string, actorId: string, subjectId: string): Promise<boolean> {
  const row = await db(table).where({ actor_id: actorId, action, subject_id: subjectId }).first('id')
  return row !== undefined
}

/** Newest first, by id: ids grow with time and page without gaps while rows are added. */
export async function list (db: Db, f: AuditFilter, limit: number): Promise<AuditRecord[]> {
  const rows: LcAuditRow[] = await filtered(db, f).select('*').orderBy('id', 'desc').limit(limit)
  return rows.map(toRecord)
}

/** Who appears in the rows the reader may see, for the Who filter. */
export async function actors (db: Db, departments: number[] | null): Promise<Array<{ id: string, name: string }>> {
  const rows: Array<{ actor_id: string, actor_name: string }> = await filtered(db, { departments })
    .whereNotNull('actor_id').select('actor_id').max({ actor_name: 'actor_name' }).groupBy('actor_id').orderBy('actor_name')
  return rows.map((r) => ({ id: r.actor_id, name: r.actor_name }))
}

/** Removes up to `limit` of the oldest rows older than `before`; returns how many. */
export async function purge (db: Db, before: number, limit: number): Promise<number> {
  const ids = (await db(table).where('at', '<', before).orderBy('id').limit(limit).pluck('id')) as Array<number | string>
  if (ids.length === 0) return 0
  return await db(table).whereIn('id', ids).delete()
}
