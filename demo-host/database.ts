import knexFactory from 'knex'
import type { Knex } from 'knex'
import { defaultSqliteFile, knexConfig } from '../knexfile.ts'

/** Where the data lives, for messages: the DATABASE_URL without its password, or the SQLite file. */
export function describeDatabase (env: NodeJS.ProcessEnv = process.env): string {
  const url = env.DATABASE_URL
  if (!url) return `SQLite file ${defaultSqliteFile}`
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return `DATABASE_URL=${u.href}`
  } catch {
    return 'DATABASE_URL (not a valid URL)'
  }
}

/**
 * Opens the configured database and checks it answers. On failure prints one line naming
 * the database and the error and exits 1: a stack trace would hide the cause.
 */
export async function connectOrExit (env: NodeJS.ProcessEnv = process.env): Promise<Knex> {
  let knex: Knex | undefined
  // knex prints its own stack trace for a failed pool connection; during the check the
  // one-line message below says it all.
  let checking = true
  const log = {
    warn (message: unknown) { if (!checking) console.warn('knex:', message) },
    error (message: unknown) { if (!checking) console.error('knex:', message) },
    deprecate (message: unknown) { console.warn('knex:', message) },
    debug () {}
  }
  try {
    knex = knexFactory({ ...knexConfig(env), log })
    await knex.raw('select 1')
    checking = false
    return knex
  } catch (err) {
    console.error(`Cannot connect to the database (${describeDatabase(env)}): ${err instanceof Error ? err.message : String(err)}`)
    await knex?.destroy().catch(() => {})
    process.exit(1)
  }
}
