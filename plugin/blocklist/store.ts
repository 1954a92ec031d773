import type { Knex } from 'knex'
import { affected, toMs } from '../db/index.ts'

type Db = Knex | Knex.Transaction

const table = 'lc_blocked_addresses'

export interface LcBlockedAddressRow {
  id: number
  range: string
  reason: string
  expires_at: number | string | null
  added_by: string
  added_by_name: string
  added_at: number | string
  removed_by: string | null
  removed_by_name: string | null
  removed_at: number | string | null
}

/** One entry of the block list, on it or removed: its row is its history too. */
export interface BlockEntry {
  id: number
  range: string
  reason: string
  expiresAt: number | null
  addedBy: { id: string, name: string }
  addedAt: number
  removedBy: { id: string, name: string } | null
  removedAt: number | null
}

function toEntry (row: LcBlockedAddressRow): BlockEntry {
  return {
    id: Number(row.id),
    range: row.range,
    reason: row.reason,
    expiresAt: toMs(row.expires_at),
    addedBy: { id: row.added_by, name: row.added_by_name },
    addedAt: toMs(row.added_at)!,
    removedBy: row.removed_by === null ? null : { id: row.removed_by, name: row.removed_by_name ?? row.removed_by },
    removedAt: toMs(row.removed_at)
  }
}

/** Entries not removed and not expired at `now`, oldest first. */
export async function current (db: Db, now: number): Promise<BlockEntry[]> {
  const rows = await db<LcBlockedAddressRow>(table)
    .whereNull('removed_at')
    .andWhere((q) => { void q.whereNull('expires_at').orWhere('expires_at', '>', now) })
    .orderBy('id')
  return rows.map(toEntry)
}

/** The entry on the list now for a canonical range, if any. */
export async function currentFor (db: Db, range: string, now: number): Promise<BlockEntry | undefined> {
  const row = await db<LcBlockedAddressRow>(table)
    .where({ range })
    .whereNull('removed_at')
    .andWhere((q) => { void q.whereNull('expires_at').orWhere('expires_at', '>', now) })
    .first()
  return row ? toEntry(row) : undefined
}

/** The latest entries, newest first, removed and expired ones included: what the history is made of. */
export async function latest (db: Db, limit: number): Promise<BlockEntry[]> {
  const rows = await db<LcBlockedAddressRow>(table).orderBy('id', 'desc').limit(limit)
  return rows.map(toEntry)
}

export async function get (db: Db, id: number): Promise<BlockEntry | undefined> {
  const row = await db<LcBlockedAddressRow>(table).where({ id }).first()
  return row ? toEntry(row) : undefined
}

export async function insert (db: Db, entry: { range: string, reason: string, expires_at: number | null, added_by: string, added_by_name: string, added_at: number }): Promise<number> {
  const [id] = await db(table).insert(entry)
  return Number(id)
}

/** Takes an entry off the list, if it is still on it; how many rows changed (0 or 1). */
export async function remove (db: Db, id: number, by: { id: string, name: string }, at: number): Promise<number> {
  return affected(await db(table).where({ id }).whereNull('removed_at').update({ removed_by: by.id, removed_by_name: by.name, removed_at: at }))
}
