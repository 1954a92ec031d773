import type { Knex } from 'knex'
import { getDialect } from './index.ts'

/**
 * Writes grouped into one SQLite transaction (docs/design.md §9, "What one message costs").
 *
 * SQLite has one writer, and each COMMIT waits for the disk (the WAL's fsync) while the
 * event loop waits with it. Writes that arrive together (the frames of many sockets read in
 * one turn of the loop) therefore share one transaction and one COMMIT, each inside its own
 * SAVEPOINT, so one that fails (a resent message's unique client id) is undone alone. A job
 * runs synchronously on the connection knex's pool hands out, so it never interleaves with
 * a knex transaction, and its statements are prepared once and only bound after.
 */

/** A statement with `?` placeholders and its values, as knex's toSQL() gives them. */
export interface Statement { sql: string, bindings: readonly unknown[] }

/** What a grouped job may do: run statements, synchronously, inside the shared transaction. */
export interface SyncDb {
  /** The first row the statement answers (a SELECT, or an UPDATE … RETURNING), or undefined. */
  get: (statement: Statement) => Record<string, unknown> | undefined
  /** Every row a SELECT answers. */
  all: (statement: Statement) => Array<Record<string, unknown>>
  /** Runs a write: how many rows it changed and the rowid it inserted last. */
  run: (statement: Statement) => { changes: number, lastInsertRowid: number }
}

export interface WriteGroups {
  /** Runs `job` in the next group's transaction; settles once that transaction has committed. */
  run: <T>(job: (db: SyncDb) => T) => Promise<T>
}

interface RawStatement {
  reader: boolean
  get: (bindings: unknown[]) => Record<string, unknown> | undefined
  all: (bindings: unknown[]) => Array<Record<string, unknown>>
  run: (bindings: unknown[]) => { changes: number, lastInsertRowid: number | bigint }
}
interface RawConnection { prepare: (sql: string) => RawStatement, inTransaction: boolean }

interface Queued { job: (db: SyncDb) => unknown, resolve: (value: unknown) => void, reject: (err: unknown) => void }

/**
 * How many prepared statements a connection keeps for grouped jobs: a handful per shape of
 * a message, and the due words' INSERTs, one for each power of two rows up to 256
 * (chats/grouped-store.ts).
 */
const statementsKept = 100

/** better-sqlite3 binds no booleans: knex turns them into 1 and 0 on this dialect, and so do we. */
const bindable = (bindings: readonly unknown[]): unknown[] => bindings.map((b) => typeof b === 'boolean' ? Number(b) : b)

/**
 * Grouped writes on SQLite; undefined on MySQL/MariaDB, whose connections run side by side,
 * and on a SQLite pool of more than one connection: a group waiting synchronously for the
 * write lock another connection's transaction holds would stop the event loop that
 * transaction needs to finish.
 */
export function writeGroups (knex: Knex): WriteGroups | undefined {
  if (getDialect(knex) !== 'sqlite') return undefined
  if ((knex.client as { pool?: { max?: number } }).pool?.max !== 1) return undefined
  const client = knex.client as Knex.Client & {
    acquireConnection: () => Promise<RawConnection>
    releaseConnection: (conn: RawConnection) => unknown
  }
  const prepared = new WeakMap<RawConnection, Map<string, RawStatement>>()
  let queue: Queued[] = []
  let scheduled = false

  function statementOn (conn: RawConnection, sql: string): RawStatement {
    let kept = prepared.get(conn)
    if (!kept) prepared.set(conn, kept = new Map())
    let statement = kept.get(sql)
    if (!statement) {
      statement = conn.prepare(sql)
      if (kept.size >= statementsKept) kept.delete(kept.keys().next().value!)
      kept.set(sql, statement)
    }
    return statement
  }

  /** A statement as knex would run it: its 'query' event first, for whoever counts or logs them. */
  function exec (conn: RawConnection, sql: string, bindings: readonly unknown[] = []): RawStatement {
    client.emit('query', { sql, bindings, method: 'raw' })
    return statementOn(conn, sql)
  }

  function syncDb (conn: RawConnection): SyncDb {
    return {
      get: ({ sql, bindings }) => exec(conn, sql, bindings).get(bindable(bindings)),
      all: ({ sql, bindings }) => exec(conn, sql, bindings).all(bindable(bindings)),
      run: ({ sql, bindings }) => {
        const result = exec(conn, sql, bindings).run(bindable(bindings))
        return { changes: result.changes, lastInsertRowid: Number(result.lastInsertRowid) }
      }
    }
  }

  /** Runs one group: every job, then one COMMIT; each job settles after it. */
  function runGroup (conn: RawConnection, group: Queued[]): void {
    const db = syncDb(conn)
    // A group of one needs no savepoint: its failure rolls the whole transaction back.
    const alone = group.length === 1
    const outcomes: Array<{ ok: boolean, value: unknown }> = []
    try {
      // IMMEDIATE: the write lock is taken at once, so the group never waits half-way for it.
      exec(conn, 'BEGIN IMMEDIATE').run([])
      for (const { job } of group) {
        if (!alone) exec(conn, 'SAVEPOINT lc_grouped').run([])
        try {
          outcomes.push({ ok: true, value: job(db) })
          if (!alone) exec(conn, 'RELEASE lc_grouped').run([])
        } catch (err) {
          outcomes.push({ ok: false, value: err })
          if (alone) throw err
          exec(conn, 'ROLLBACK TO lc_grouped').run([])
          exec(conn, 'RELEASE lc_grouped').run([])
        }
      }
      exec(conn, 'COMMIT').run([])
    } catch (err) {
      if (conn.inTransaction) exec(conn, 'ROLLBACK').run([])
      for (const { reject } of group) reject(err)
      return
    }
    group.forEach(({ resolve, reject }, i) => { const o = outcomes[i]!; if (o.ok) resolve(o.value); else reject(o.value) })
  }

  async function drain (): Promise<void> {
    try {
      while (queue.length > 0) {
        let conn: RawConnection
        try {
          conn = await client.acquireConnection()
        } catch (err) {
          const failed = queue
          queue = []
          for (const { reject } of failed) reject(err)
          return
        }
        // Whatever was queued while the connection was busy joins this group.
        const group = queue
        queue = []
        try {
          runGroup(conn, group)
        } finally {
          client.releaseConnection(conn)
        }
      }
    } finally {
      // In the same step as the last check of the queue: a job queued after it schedules a new drain.
      scheduled = false
    }
  }

  return {
    run<T> (job: (db: SyncDb) => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ job, resolve: resolve as (value: unknown) => void, reject })
        if (scheduled) return
        scheduled = true
        // After the I/O of this turn of the loop: every frame read in it joins the group.
        setImmediate(() => { void drain() })
      })
    }
  }
}

/** What knex builds: anything with toSQL(). */
interface Buildable { toSQL: () => { sql: string, bindings: readonly unknown[] } }

/**
 * A statement knex builds once: `build` is given a stand-in for each named value, and every
 * later call only puts the values in their places. Building a statement cost a message more
 * CPU than running it (docs/design.md §9). The stand-ins must reach knex as bindings (not
 * as identifiers or raw SQL); values the SQL's shape depends on (a list's length) are not
 * stand-ins but part of what `build` is, so a caller keeps one template per shape.
 */
export function statementTemplate<K extends string> (build: (value: (name: K) => unknown) => Buildable): (values: Record<K, unknown>) => Statement {
  const standIn = (name: K): string => `\u0000lc:${name}\u0000`
  const { sql, bindings } = build(standIn).toSQL()
  const slots = bindings.map((b) => typeof b === 'string' && b.startsWith('\u0000lc:') ? b.slice(4, -1) as K : undefined)
  return (values) => ({ sql, bindings: bindings.map((b, i) => slots[i] === undefined ? b : values[slots[i]]) })
}
