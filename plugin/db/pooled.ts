import type { Knex } from 'knex'
import type { Statement } from './grouped.ts'
import { getDialect, retried } from './index.ts'

/**
 * Transactions on one of knex's pooled MySQL/MariaDB connections without knex's transaction
 * object (docs/design.md §9, "What one message costs"). For each transaction knex builds a
 * transactor with its own copies of the builder's properties, and builds each statement
 * anew: at 500 messages a second, most of them written alone, that was 43% of all the
 * process allocated, and the garbage collector's pauses were the fixed rate's slowest
 * deliveries. Here the statements come ready (knex builds them once per shape,
 * `statementTemplate`) and go to the connection as they are, each raising knex's `query`
 * event, so what counts or logs statements sees them.
 */

/** A statement's answer as mysql2 gives it: rows for a SELECT, a result header for a write. */
export type PooledResult = Array<Record<string, unknown>> & { affectedRows?: number, insertId?: number | string }

export interface PooledTx {
  query: (statement: Statement) => Promise<PooledResult>
}

export interface Pooled {
  /** One statement on a pooled connection, outside any transaction. */
  query: (statement: Statement) => Promise<PooledResult>
  /** `fn` inside BEGIN … COMMIT on one connection; rolled back when it throws, and run again (up to `attempts`) when chosen as a deadlock victim. */
  transaction: <T>(fn: (tx: PooledTx) => Promise<T>, attempts?: number) => Promise<T>
}

interface RawConnection {
  query: (sql: string, values: readonly unknown[], callback: (err: Error | null, result: unknown) => void) => unknown
}

/** Pooled transactions on MySQL/MariaDB; undefined on SQLite, whose grouped writes run their own (grouped.ts). */
export function pooled (knex: Knex): Pooled | undefined {
  if (getDialect(knex) !== 'mysql') return undefined
  const client = knex.client as Knex.Client & {
    acquireConnection: () => Promise<RawConnection>
    releaseConnection: (conn: RawConnection) => unknown
  }

  function run (conn: RawConnection, sql: string, bindings: readonly unknown[]): Promise<PooledResult> {
    client.emit('query', { sql, bindings, method: 'raw' })
    return new Promise((resolve, reject) => {
      conn.query(sql, bindings, (err, result) => { if (err) reject(err); else resolve(result as PooledResult) })
    })
  }

  async function once<T> (fn: (tx: PooledTx) => Promise<T>): Promise<T> {
    const conn = await client.acquireConnection()
    try {
      await run(conn, 'BEGIN', [])
      let value: T
      try {
        value = await fn({ query: async ({ sql, bindings }) => await run(conn, sql, bindings) })
        await run(conn, 'COMMIT', [])
      } catch (err) {
        // A connection that cannot roll back is gone: the pool finds it so and makes another.
        await run(conn, 'ROLLBACK', []).catch(() => {})
        throw err
      }
      return value
    } finally {
      client.releaseConnection(conn)
    }
  }

  return {
    async query ({ sql, bindings }) {
      const conn = await client.acquireConnection()
      try {
        return await run(conn, sql, bindings)
      } finally {
        client.releaseConnection(conn)
      }
    },
    async transaction (fn, attempts = 4) {
      return await retried(async () => await once(fn), attempts)
    }
  }
}
