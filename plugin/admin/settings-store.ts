import type { Knex } from 'knex'
import { toMs } from '../db/index.ts'

type Db = Knex | Knex.Transaction

/** One change of one setting, as lc_settings keeps it (values as JSON text, null for the default). */
export interface LcSettingRow {
  id: number
  name: string
  old_value: string | null
  value: string | null
  changed_by: string
  changed_by_name: string
  changed_at: number | string
}

export interface SettingChange {
  id: number
  name: string
  /** The value before and after; undefined means the setting's default. */
  from: unknown
  to: unknown
  byId: string
  byName: string
  at: number
}

const parse = (text: string | null): unknown => text === null ? undefined : JSON.parse(text) as unknown

function toChange (row: LcSettingRow): SettingChange {
  return { id: row.id, name: row.name, from: parse(row.old_value), to: parse(row.value), byId: row.changed_by, byName: row.changed_by_name, at: toMs(row.changed_at)! }
}

/** Every setting's stored value: its latest change's, left out when that put it back to its default. */
export async function storedValues (db: Db): Promise<Map<string, unknown>> {
  const latest = db('lc_settings').max({ id: 'id' }).groupBy('name')
  const rows: LcSettingRow[] = await db('lc_settings').whereIn('id', latest).select('*')
  const out = new Map<string, unknown>()
  for (const row of rows) if (row.value !== null) out.set(row.name, JSON.parse(row.value))
  return out
}

/** Records changes; `to` undefined stores the setting back to its default. */
export async function recordChanges (db: Db, changes: Array<Omit<SettingChange, 'id'>>): Promise<void> {
  if (changes.length === 0) return
  const text = (v: unknown): string | null => v === undefined ? null : JSON.stringify(v)
  await db('lc_settings').insert(changes.map((c) => ({
    name: c.name, old_value: text(c.from), value: text(c.to), changed_by: c.byId, changed_by_name: c.byName, changed_at: c.at
  })))
}

/** The latest changes, newest first. */
export async function history (db: Db, limit: number): Promise<SettingChange[]> {
  const rows: LcSettingRow[] = await db('lc_settings').orderBy('id', 'desc').limit(limit).select('*')
  return rows.map(toChange)
}
