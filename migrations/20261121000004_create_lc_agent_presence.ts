import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_agent_presence', (table) => {
    tableDefaults(knex, table)
    table.string('agent_id', 64).primary()
    table.string('status', 16).notNullable().defaultTo('unavailable').comment('available or unavailable, as the agent chose')
    table.integer('max_chats').notNullable().defaultTo(4)
    table.bigInteger('heartbeat_at').nullable().comment('last sign of an open console; stale means offline')
    table.bigInteger('last_chat_ended_at').nullable()
    table.bigInteger('last_assigned_at').nullable()
    table.bigInteger('updated_at').notNullable()
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('lc_agent_presence')
}
