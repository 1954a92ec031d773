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
