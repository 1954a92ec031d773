import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement. Manual events (docs/features.md#manual-events).
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_manual_events', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.string('name', 80).notNullable().unique('lc_manual_events_name').comment('shown in the chat\'s Actions menu')
    table.string('body', 500).notNullable().comment('the text written into the chat when an agent performs it')
    table.boolean('agents_only').notNullable().defaultTo(false).comment('written as an agent-only note; otherwise an event the customer sees too')
    table.integer('sort_order').notNullable().defaultTo(0)
    table.bigInteger('created_at').notNullable()
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('lc_manual_events')
}
