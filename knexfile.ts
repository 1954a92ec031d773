import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Knex } from 'knex'

const root = dirname(fileURLToPath(import.meta.url))

/** The embedded database used when DATABASE_URL is not set. */
export const defaultSqliteFile = resolve(root, 'data/livechat.sqlite3')

/**
 * Connection settings: DATABASE_URL (mysql://user:pass@host:port/db) selects MySQL or
 * MariaDB; anything else falls back to the embedded SQLite file, created on first use.
 * `sqliteFile: ':memory:'` gives tests a private database.
 */
export function knexConfig (env: { DATABASE_URL?: string | undefined } = process.env, sqliteFile = defaultSqliteFile): Knex.Config {
  const url = env.DATABASE_URL
  if (url) {
    if (!/^mysql2?:\/\//.test(url)) {
      throw new Error(`DATABASE_URL must start with mysql:// (got "${url.split(':')[0]}:"); leave it unset for the embedded SQLite database`)
    }
    return {
      client: 'mysql2',
      // A database that went away must not hold requests for a minute: connecting gives up
      // after 5 s and waiting for a pooled connection after 10 s, and the request is told 503.
      connection: { uri: url.replace(/^mysql2:/, 'mysql:'), charset: 'utf8mb4', timezone: 'Z', dateStrings: false, connectTimeout: 5_000 } as Knex.MySql2ConnectionConfig,
      acquireConnectionTimeout: 10_000,
      pool: { min: 0, max: 10 }
    }
  }
  if (sqliteFile !== ':memory:') mkdirSync(dirname(sqliteFile), { recursive: true })
  return {
    client: 'better-sqlite3',
    connection: { filename: sqliteFile },
    useNullAsDefault: true,
    // One connection: SQLite has one writer, and a second connection would only wait on its lock.
    pool: {
      min: 1,
      max: 1,
      afterCreate (conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) {
        conn.pragma('journal_mode = WAL')
        conn.pragma('busy_timeout = 5000')
        conn.pragma('foreign_keys = ON')
        keepPrepared(conn)
        done(null, conn)
      }
    }
  }
}

interface SqliteConnection {
  pragma: (sql: string) => unknown
  prepare: (sql: string) => unknown
}

/** How many prepared statements a SQLite connection keeps: far more than the plugin's distinct statements. */
const preparedKept = 1000

/**
 * knex prepares every statement it runs on better-sqlite3 afresh, which cost a message more CPU
 * than running it (docs/design.md §9). The connection keeps what it prepared by SQL text, so the
 * same statement with new bindings is only bound and run. A statement is safe to reuse: knex
 * runs each to completion (all() or run()) before the next, on the one connection, and SQLite
 * prepares it again by itself after a schema change. knex would only change a kept statement
 * through its safeIntegers option, which nothing here uses. Past `preparedKept` the oldest go.
 */
function keepPrepared (conn: SqliteConnection): void {
  const prepare = conn.prepare.bind(conn)
  const kept = new Map<string, unknown>()
  conn.prepare = (sql) => {
    let statement = kept.get(sql)
    if (statement === undefined) {
      statement = prepare(sql)
      if (kept.size >= preparedKept) kept.delete(kept.keys().next().value!)
      kept.set(sql, statement)
    }
    return statement
  }
}
