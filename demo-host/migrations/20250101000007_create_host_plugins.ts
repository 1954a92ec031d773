import type { Knex } from 'knex'
import { utf8mb4 } from '../db.ts'

// One table per migration: MySQL commits DDL implicitly, so a failed step must not leave
// half a migration applied.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('host_plugins', (table) => {
    utf8mb4(knex, table)
    table.string('id', 64).primary().comment('The plugin manifest id')
    table.boolean('enabled').notNullable().defaultTo(true)
    table.string('installed_version', 32).notNullable()
    table.bigInteger('updated_at').notNullable()
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('host_plugins')
}
