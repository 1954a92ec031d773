import { performance } from 'node:perf_hooks'
import type { Knex } from 'knex'

/**
 * Everything that differs between MySQL/MariaDB and SQLite lives here (docs/design.md §3),
 * so stores and services stay dialect-free.
 */
export type Dialect = 'mysql' | 'sqlite'

export function getDialect (knex: Knex): Dialect {
  const client = String(knex.client.config.client)
  return client.startsWith('mysql') ? 'mysql' : 'sqlite'
}

const returningInserts = new WeakMap<Knex, Promise<boolean>>()

/**
 * Whether INSERT … RETURNING hands back the rows a multi-row INSERT made: SQLite (3.35+) and
 * MariaDB from 10.5 do, MySQL does not. Asked of the server once per knex instance (one
 * statement), and false when it cannot be asked.
 */
export async function insertReturns (knex: Knex): Promise<boolean> {
  if (getDialect(knex) === 'sqlite') return true
  let answer = returningInserts.get(knex)
  if (!answer) {
    answer = knex.raw('select version() as v').then(([rows]: [Array<{ v: string }>]) => {
      const m = /^(\d+)\.(\d+)\..*mariadb/i.exec(String(rows[0]?.v))
      return m !== null && (Number(m[1]) > 10 || (Number(m[1]) === 10 && Number(m[2]) >= 5))
    }, () => false)
    returningInserts.set(knex, answer)
  }
  return await answer
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

/**
 * A join the database must make in the order written, the left side read first: MySQL's
 * STRAIGHT_JOIN, SQLite's CROSS JOIN (both take an ON). For a short list of ids found
 * elsewhere (a search) that the optimiser would otherwise probe row by row of a whole table.
 */
export function joinInOrder (knex: Knex | Knex.Transaction): string {
  return getDialect(knex as Knex) === 'mysql' ? 'STRAIGHT_JOIN' : 'CROSS JOIN'
}

/**
 * A table to read through one index of its own (MySQL's `FORCE INDEX`, SQLite's `INDEXED BY`),
 * for a read whose shape the planner costs wrong: an ORDER BY … LIMIT that an index serves in
 * order, where MariaDB walks another index and reads far past the limit.
 */
export function tableByIndex (knex: Knex | Knex.Transaction, table: string, index: string): Knex.Raw {
  return knex.raw(getDialect(knex as Knex) === 'mysql' ? '?? FORCE INDEX (??)' : '?? INDEXED BY ??', [table, index])
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

/**
 * Runs `q` as an UPDATE that sets `changes` and adds one to `column`, and answers the
 * column's new value from that same statement, or undefined when no row matched: one round
 * trip instead of an UPDATE and a SELECT while the row is locked (docs/design.md §9).
 * SQLite (3.35+) says it with RETURNING. MySQL and MariaDB have no UPDATE … RETURNING, so
 * the column is set through LAST_INSERT_ID(expr), whose value the server hands back in the
 * UPDATE's own OK packet (insertId). `q` must match at most one row.
 */
export async function incrementReturning (db: Knex | Knex.Transaction, q: Knex.QueryBuilder, column: string, changes: Record<string, unknown>): Promise<number | undefined> {
  if (getDialect(db as Knex) === 'mysql') {
    const { sql, bindings } = mysqlIncrement(db, q, column, changes).toSQL()
    const [header] = await db.raw(sql, bindings) as unknown as [{ affectedRows: number, insertId: number | string }]
    return header.affectedRows === 0 ? undefined : Number(header.insertId)
  }
  const rows = await sqliteIncrement(db, q, column, changes) as unknown as Array<Record<string, unknown>>
  return rows.length === 0 ? undefined : Number(rows[0]![column])
}

/** incrementReturning's statement on MySQL/MariaDB (the new value in the OK packet's insertId), for writes that run it themselves. */
export function mysqlIncrement (db: Knex | Knex.Transaction, q: Knex.QueryBuilder, column: string, changes: Record<string, unknown>): Knex.QueryBuilder {
  return q.update({ ...changes, [column]: db.raw('LAST_INSERT_ID(?? + 1)', [column]) }) as unknown as Knex.QueryBuilder
}

/** incrementReturning's statement on SQLite (`UPDATE … RETURNING column`), for grouped writes that run it themselves. */
export function sqliteIncrement (db: Knex | Knex.Transaction, q: Knex.QueryBuilder, column: string, changes: Record<string, unknown>): Knex.QueryBuilder {
  return q.update({ ...changes, [column]: db.raw('?? + 1', [column]) }, [column]) as unknown as Knex.QueryBuilder
}

/**
 * A value per row in a multi-row UPDATE: `CASE key WHEN k1 THEN v1 … END`, so rows that get
 * different values (each chat its own agent) still change in one statement. Every row the
 * UPDATE matches must have its key in `values`, unless `orElse` names the column whose
 * value the other rows keep.
 */
export function caseOf (db: Knex | Knex.Transaction, key: string, values: ReadonlyArray<readonly [string | number, string | number | null]>, orElse?: string): Knex.Raw {
  const otherwise = orElse === undefined ? [] : [orElse]
  return db.raw(`CASE ?? ${values.map(() => 'WHEN ? THEN ?').join(' ')}${orElse === undefined ? '' : ' ELSE ??'} END`, [key, ...values.flat(), ...otherwise])
}

/**
 * Options for transactions that count rows another transaction may just have changed
 * (an agent's chats while claiming capacity): READ COMMITTED on MySQL, so every read
 * sees the latest commit rather than the snapshot of the transaction's first read.
 * SQLite has one writer at a time and needs nothing.
 */
export function freshReads (knex: Knex): Knex.TransactionConfig | undefined {
  return getDialect(knex) === 'mysql' ? { isolationLevel: 'read committed' } : undefined
}

/** Error codes of a database that cannot be reached or went away mid-query (mysql2 and Node's sockets). */
const unreachable = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'SQLITE_BUSY', 'SQLITE_CANTOPEN'])

/**
 * True when a query failed because the database is away (refused, cut off, its pool closed
 * or exhausted), not because of what was asked: the request may simply be made again later.
 */
export function isUnavailable (err: unknown): boolean {
  for (let e = err as { code?: unknown, name?: unknown, message?: unknown, cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && unreachable.has(e.code)) return true
    if (e.name === 'KnexTimeoutError') return true
    if (typeof e.message === 'string' && /^Unable to acquire a connection|Connection lost|connection is in closed state|Can't add new command when connection is in closed state/i.test(e.message)) return true
  }
  return false
}

/** True for a MySQL deadlock or lock wait timeout: the transaction was rolled back and may simply be run again. */
export function isRetryable (err: unknown): boolean {
  const e = err as { code?: string }
  return e.code === 'ER_LOCK_DEADLOCK' || e.code === 'ER_LOCK_WAIT_TIMEOUT'
}

/** Runs a transaction, again (up to `attempts` times) when MySQL chose it as a deadlock victim. */
export async function transact<T> (knex: Knex, fn: (trx: Knex.Transaction) => Promise<T>, config?: Knex.TransactionConfig, attempts = 4): Promise<T> {
  return await retried(async () => await knex.transaction(fn, config), attempts)
}

/** Runs `attempt` (a whole transaction), again after a short random pause while it fails `isRetryable`, up to `attempts` times. */
export async function retried<T> (attempt: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt()
    } catch (err) {
      if (i >= attempts || !isRetryable(err)) throw err
      await new Promise((resolve) => setTimeout(resolve, 5 * i + Math.random() * 10))
    }
  }
}

/**
 * True while statements are waiting for one of `knex`'s connections (tarn's pending
 * acquires): live work is queued behind what holds them. Background jobs back off on it.
 */
export function poolBusy (knex: Knex): boolean {
  const pool = (knex.client as { pool?: { numPendingAcquires?: () => number } }).pool
  return (pool?.numPendingAcquires?.() ?? 0) > 0
}

/**
 * How long a tiny statement takes right now through `knex`'s pool, in ms: it waits behind
 * the statements already queued for a connection and runs at the server's present speed,
 * as a live chat's next statement would. Background jobs pace themselves by it.
 */
export async function probeLatency (knex: Knex): Promise<number> {
  const started = performance.now()
  await knex.raw('select 1')
  return performance.now() - started
}
