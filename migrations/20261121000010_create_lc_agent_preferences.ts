import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_agent_preferences', (table) => {
    tableDefaults(knex, table)
    table.string('agent_id', 64).notNullable().comment('host user id of the agent')
    table.string('key', 64).notNullable().comment('what is remembered, e.g. list.fields (the chat lists\' visible columns)')
    table.text('value').notNullable().comment('JSON')
    table.bigInteger('updated_at').notNullable()
    table.primary(['agent_id', 'key'])
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('lc_agent_preferences')
}
