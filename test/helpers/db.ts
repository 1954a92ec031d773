import { join } from 'node:path'
import knexFactory, { type Knex } from 'knex'
import { knexConfig } from '../../knexfile.ts'

let counter = 0

/**
 * A private database for one test file: SQLite in memory, or, with DATABASE_URL, a fresh
 * MariaDB/MySQL database of its own, so test files run side by side without sharing rows.
 */
export async function testDatabase (): Promise<{ knex: Knex, dialect: 'mysql' | 'sqlite', drop: () => Promise<void> }> {
  const url = process.env.DATABASE_URL
  if (!url) {
    const knex = knexFactory(knexConfig({}, ':memory:'))
    return { knex, dialect: 'sqlite', drop: async () => { await knex.destroy() } }
  }
  const parsed = new URL(url)
  const name = `${parsed.pathname.slice(1) || 'livechat_test'}_${process.pid}_${++counter}`
  const server = new URL(url)
  server.pathname = '/'
  const admin = knexFactory(knexConfig({ DATABASE_URL: server.href }))
  await admin.raw('CREATE DATABASE ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [name])
  await admin.destroy()
  parsed.pathname = `/${name}`
  const knex = knexFactory(knexConfig({ DATABASE_URL: parsed.href }))
  return {
    knex,
    dialect: 'mysql',
    drop: async () => {
      await knex.raw('DROP DATABASE IF EXISTS ??', [name])
      await knex.destroy()
    }
  }
}

/**
 * One database for several app instances, each with a knex pool of its own: a fresh
 * MariaDB/MySQL database with DATABASE_URL, else an SQLite file in `dir` (an in-memory
 * SQLite database cannot be shared between pools: a file can). `first` is the first pool;
 * `another()` opens the next. Pass cleanups to `onCleanup`; pools from `another()` are
 * the caller's to close.
 */
export async function sharedDatabase (dir: string, onCleanup: (fn: () => Promise<void>) => void): Promise<{ first: Knex, another: () => Knex }> {
  if (process.env.DATABASE_URL) {
    const { knex, drop } = await testDatabase()
    onCleanup(drop)
    return { first: knex, another: () => knexFactory(knex.client.config as Knex.Config) }
  }
  const file = join(dir, 'shared.sqlite3')
  const another = (): Knex => knexFactory(knexConfig({}, file))
  const first = another()
  onCleanup(async () => { await first.destroy() })
  return { first, another }
}
