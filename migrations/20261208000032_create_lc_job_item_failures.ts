import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement. An item a scheduled job could not handle
// (docs/features.md#failing-items): the job skips it until next_attempt_at, whose wait doubles
// with each attempt, and goes on with the rest. The row goes once the item succeeds, or is no
// longer the job's to handle.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_job_item_failures', (table) => {
    tableDefaults(knex, table)
    table.string('job', 64).notNullable()
    table.string('item', 64).notNullable().comment('the item\'s id in the job\'s own terms: a chat id for the chat sweeps')
    table.string('error', 500).notNullable().comment('the last failure\'s message, as an operator reads it')
    table.integer('attempts').notNullable().comment('failed attempts in a row')
    table.bigInteger('first_failed_at').notNullable()
    table.bigInteger('last_failed_at').notNullable()
    table.bigInteger('next_attempt_at').notNullable().comment('epoch ms before which the job skips the item')
    table.primary(['job', 'item'])
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('lc_job_item_failures')
}
