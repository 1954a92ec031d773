import type { Knex } from 'knex'

/**
 * Everything that differs between MySQL/MariaDB and SQLite lives here (DESIGN §3),
 * so stores and services stay dialect-free.
 */
export type Dialect = 'mysql' | 'sqlite'

export function getDialect (knex: Knex): Dialect {
  const client = String(knex.client.config.client)
  return client.startsWith('mysql') ? 'mysql' : 'sqlite'
}

/** Table options every plugin table gets: utf8mb4 on MySQL, so any user text is stored whole. */
export function tableDefaults (knex: Knex, table: Knex.CreateTableBuilder): void {
  if (getDialect(knex) === 'mysql') {
    table.engine('InnoDB')
    table.charset('utf8mb4')
    table.collate('utf8mb4_unicode_ci')
  }
}

/**
 * Times are epoch milliseconds in BIGINT columns on both databases: one representation,
 * UTC by construction, millisecond precision. mysql2 may hand BIGINTs back as strings.
 */
export function toMs (value: unknown): number | null {
  if (value === null || value === undefined) return null
  return Number(value)
}

/** True when an insert failed on a unique index (a resent message, a duplicate key). */
export function isUniqueViolation (err: unknown): boolean {
  const e = err as { code?: string, errno?: number }
  return e.code === 'ER_DUP_ENTRY' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

/** The affected-row count of an UPDATE, as a number on both drivers. */
export function affected (result: unknown): number {
  return typeof result === 'number' ? result : Number(result ?? 0)
}
