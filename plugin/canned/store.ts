import type { Knex } from 'knex'
import { getDialect, toMs } from '../db/index.ts'

export interface LcCannedReplyRow {
  id: number
  group_id: number | null
  title: string
  shortcut: string
  body: string
  created_by: string
  created_at: number | string
  updated_at: number | string
}

export interface CannedReply {
  id: number
  /** null: a global reply, offered to every agent. */
  groupId: number | null
  title: string
  /** Without its slash, lower case. */
  shortcut: string
  body: string
  createdBy: string
  createdAt: number
  updatedAt: number
}

type Db = Knex | Knex.Transaction

const table = 'lc_canned_replies'

function toReply (row: LcCannedReplyRow): CannedReply {
  return {
    id: Number(row.id),
    groupId: row.group_id === null ? null : Number(row.group_id),
    title: row.title,
    shortcut: row.shortcut,
    body: row.body,
    createdBy: row.created_by,
    createdAt: toMs(row.created_at)!,
    updatedAt: toMs(row.updated_at)!
  }
}

/** Global replies and those of `groupIds` ('all': every group's), by shortcut. */
export async function list (db: Db, groupIds: number[] | 'all'): Promise<CannedReply[]> {
  const q = db<LcCannedReplyRow>(table).select('*')
  if (groupIds !== 'all') q.where((w) => { void w.whereNull('group_id').orWhereIn('group_id', groupIds) })
  const rows = await q.orderBy('shortcut').orderBy('id')
  return rows.map(toReply)
}

export async function get (db: Db, id: number): Promise<CannedReply | undefined> {
  const row = await db<LcCannedReplyRow>(table).where({ id }).first()
  return row ? toReply(row) : undefined
}

/**
 * The reply of a scope with this shortcut. `lock` reads it FOR UPDATE on MySQL: finding none
 * locks the gap in the (group_id, shortcut) index, so a concurrent insert of the same shortcut
 * waits (or deadlocks and is retried) instead of slipping in beside it.
 */
export async function byShortcut (db: Db, groupId: number | null, shortcut: string, lock = false): Promise<CannedReply | undefined> {
  const q = db<LcCannedReplyRow>(table).where('shortcut', shortcut)
  if (groupId === null) q.whereNull('group_id')
  else q.where('group_id', groupId)
  // SQLite has one writer at a time: its transaction alone keeps a second insert out.
  if (lock && getDialect(db) === 'mysql') q.forUpdate()
  const row = await q.first()
  return row ? toReply(row) : undefined
}

export async function insert (db: Db, row: Omit<LcCannedReplyRow, 'id'>): Promise<number> {
  const [id] = await db(table).insert(row)
  return Number(id)
}

export async function update (db: Db, id: number, fields: Partial<Pick<LcCannedReplyRow, 'title' | 'shortcut' | 'body' | 'updated_at'>>): Promise<number> {
  return await db(table).where({ id }).update(fields)
}

export async function remove (db: Db, id: number): Promise<number> {
  return await db(table).where({ id }).delete()
}

export async function isEmpty (db: Db): Promise<boolean> {
  return (await db(table).first('id')) === undefined
}
