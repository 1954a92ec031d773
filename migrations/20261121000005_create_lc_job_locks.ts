import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_job_locks', (table) => {
    tableDefaults(knex, table)
    table.string('name', 64).primary()
    table.string('owner', 64).nullable().comment('instance holding the lease')
    table.bigInteger('locked_until').notNullable().defaultTo(0)
    table.bigInteger('last_started_at').nullable()
    table.bigInteger('last_finished_at').nullable()
    table.integer('last_rows').nullable().comment('rows the last run touched')
    table.text('last_error').nullable()
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('lc_job_locks')
}
