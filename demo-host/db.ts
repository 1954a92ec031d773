import type { Knex } from 'knex'

/** True when the connection is MySQL or MariaDB (through mysql2). */
export function isMysql (knex: Knex): boolean {
  const client = knex.client.config.client
  return client === 'mysql2' || client === 'mysql'
}

/**
 * Applies utf8mb4 to a table being created on MySQL; a server whose default is latin1 or
 * 3-byte utf8 would otherwise reject emoji and many names. The collation is the plugin's
 * (plugin/db), so that comparing a host column with a plugin column is not an "illegal mix
 * of collations". SQLite has no table charsets.
 */
export function utf8mb4 (knex: Knex, table: Knex.CreateTableBuilder): void {
  if (!isMysql(knex)) return
  table.charset('utf8mb4')
  table.collate('utf8mb4_unicode_ci')
}

/** Epoch milliseconds from a BIGINT column: mysql2 may hand bigints back as strings. */
export function toMs (value: unknown): number {
  return Number(value)
}

/** Epoch milliseconds, or null, for nullable time columns. */
export function toMsOrNull (value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value)
}

/** The id of a row just inserted: both drivers answer `[id]` to a plain insert. */
export function insertedId (result: unknown[]): number {
  const id = Number(result[0])
  if (!Number.isInteger(id) || id <= 0) throw new Error('insert did not return an id')
  return id
}

/**
 * A LIKE pattern that matches `text` literally anywhere, with `\` as the escape character
 * (pass it as ESCAPE): a search for "100%" must not match every row.
 */
export function containsPattern (text: string): string {
  return '%' + text.replace(/[\\%_]/g, (c) => '\\' + c) + '%'
}
