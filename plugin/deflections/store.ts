import type { Knex } from 'knex'
import { toMs } from '../db/index.ts'

type Db = Knex | Knex.Transaction

export interface LcKbDeflectionRow {
  id: number
  question: string
  article_id: string
  article_title: string
  article_url: string
  department_id: number | null
  department_name: string | null
  customer_user_id: string | null
  customer_email: string
  created_at: number | string
}

/** A question a knowledge article answered before its chat was queued. */
export interface Deflection {
  id: number
  question: string
  articleId: string
  articleTitle: string
  articleUrl: string
  departmentId: number | null
  departmentName: string | null
  customerUserId: string | null
  customerEmail: string
  createdAt: number
}

export function toDeflection (row: LcKbDeflectionRow): Deflection {
  return {
    id: Number(row.id),
    question: row.question,
    articleId: row.article_id,
    articleTitle: row.article_title,
    articleUrl: row.article_url,
    departmentId: row.department_id === null ? null : Number(row.department_id),
    departmentName: row.department_name,
    customerUserId: row.customer_user_id,
    customerEmail: row.customer_email,
    createdAt: toMs(row.created_at)!
  }
}

export async function insertDeflection (db: Db, row: Omit<LcKbDeflectionRow, 'id'>): Promise<number> {
  const [id] = await db('lc_kb_deflections').insert(row)
  return Number(id)
}

export async function deflectionRow (db: Db, id: number): Promise<LcKbDeflectionRow | undefined> {
  return await db<LcKbDeflectionRow>('lc_kb_deflections').where({ id }).first()
}

/** Newest first; the id breaks ties within a millisecond. */
export async function recentDeflections (db: Db, limit: number): Promise<LcKbDeflectionRow[]> {
  return await db<LcKbDeflectionRow>('lc_kb_deflections').orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit)
}

/** Deflections since each of the given times. */
/** Questions deflected in [from, to), of `departments` (null: all, those of no department too), by the index on created_at. */
export async function countBetween (db: Db, from: number, to: number, departments: number[] | null): Promise<number> {
  const q = db('lc_kb_deflections').where('created_at', '>=', from).andWhere('created_at', '<', to)
  if (departments !== null) q.whereIn('department_id', departments)
  const row = await q.count({ n: '*' }).first()
  return Number(row?.n ?? 0)
}

export async function countSince (db: Db, since: number[]): Promise<number[]> {
  if (since.length === 0) return []
  const sums = since.map((at, i) => db.raw(`sum(case when created_at >= ? then 1 else 0 end) as s${i}`, [at]))
  const row: Record<string, unknown> | undefined = await db('lc_kb_deflections').select(...sums).where('created_at', '>=', Math.min(...since)).first()
  return since.map((_, i) => Number(row?.[`s${i}`] ?? 0))
}
