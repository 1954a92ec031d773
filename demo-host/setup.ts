import type { Knex } from 'knex'
import { hostMigrationSource, hostMigrationsTable } from './migrations/index.ts'
import { loadManifest, recordInstall, runPluginMigrations } from './plugins.ts'
import type { PluginManifest } from './plugins.ts'
import { seedDemo } from './seed.ts'

/**
 * Brings a database up to date: the host's tables, then the plugin's tables (as its
 * manifest says, in its own bookkeeping table), then the demo data. Safe to run again.
 */
export async function prepareDatabase (knex: Knex, manifest?: PluginManifest): Promise<void> {
  manifest ??= await loadManifest()
  await knex.migrate.latest({ migrationSource: hostMigrationSource, tableName: hostMigrationsTable })
  await runPluginMigrations(knex, manifest)
  await recordInstall(knex, manifest)
  await seedDemo(knex)
}
