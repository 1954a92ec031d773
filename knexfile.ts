import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Knex } from 'knex'

const root = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)

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
        if (sqliteFile !== ':memory:') checkpointAside(conn, sqliteFile)
        done(null, conn)
      }
    }
  }
}

interface SqliteConnection {
  pragma: (sql: string) => unknown
  prepare: (sql: string) => unknown
  close: () => unknown
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

/**
 * How often the checkpoint worker copies what the WAL holds into the database file. Often,
 * so each copy and its sync are small: every 50 ms, one run in three or four of
 * bench:messages had the event loop stall for 60 to 200 ms (most likely the main connection's
 * own sync of the WAL waiting behind the file system's journal, which the worker's larger
 * syncs had filled); every 10 ms, none in four. A checkpoint that finds nothing to copy costs
 * microseconds.
 */
const checkpointEveryMs = 10
/** The longest a closing connection waits for the checkpoint worker's connection to close. */
const closeWaitMs = 2_000

/**
 * The checkpoint worker: a connection of its own to the same file that checkpoints PASSIVE,
 * which neither waits for nor blocks the main connection's readers and writer, until told to
 * close. Plain JavaScript run with `eval`, so it needs no TypeScript loader.
 */
const checkpointer = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.file, { fileMustExist: true })
const timer = setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), workerData.everyMs)
parentPort.on('message', () => {
  clearInterval(timer)
  db.close()
  Atomics.store(workerData.closed, 0, 1)
  Atomics.notify(workerData.closed, 0)
  parentPort.close()
})
`

/**
 * SQLite copies the WAL back into the database file (the checkpoint) in whichever COMMIT
 * finds the WAL past 1,000 pages, and better-sqlite3 runs that COMMIT on the event loop: a
 * purge that writes a few MB of WAL a second made a live message wait for it now and then,
 * up to ~100 ms (docs/design.md §9). So a worker thread checkpoints beside the connection
 * every `checkpointEveryMs`, and when the connection's own checkpoint comes (it stays on: a worker cannot
 * finish a checkpoint while the connection keeps writing, so the WAL could only be started
 * over from the connection's side) it finds nearly every page copied already. Should the
 * worker fail, the connection's own checkpoints still keep the WAL bounded, as before.
 * Closing waits (a few ms at most) for the worker's connection to close first, so the
 * connection's close is the last one and leaves the whole database in its file, no WAL
 * beside it, as it did before: a file copied after a shutdown is a complete database.
 */
function checkpointAside (conn: SqliteConnection, file: string): void {
  const closed = new Int32Array(new SharedArrayBuffer(4))
  const worker = new Worker(checkpointer, { eval: true, workerData: { driver: require.resolve('better-sqlite3'), file, everyMs: checkpointEveryMs, closed } })
  let running = true
  // Never what keeps a process alive, and never a reason for it to fail.
  worker.unref()
  worker.on('error', (err) => {
    running = false
    process.emitWarning(`SQLite checkpoints are back on the main thread alone: the checkpoint worker failed (${err.message})`)
  })
  worker.on('exit', () => { running = false })
  const close = conn.close.bind(conn)
  conn.close = () => {
    if (running) {
      worker.postMessage('close')
      Atomics.wait(closed, 0, 0, closeWaitMs)
    }
    return close()
  }
}
