import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_chat_history', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.integer('chat_id').unsigned().notNullable().references('id').inTable('lc_chats').onDelete('CASCADE')
    table.string('actor_kind', 16).notNullable().comment('customer, agent or system')
    table.string('actor_id', 64).nullable()
    table.string('actor_name', 120).notNullable()
    table.string('action', 40).notNullable()
    table.text('data').nullable().comment('JSON details of the action')
    table.bigInteger('created_at').notNullable()
    table.index(['chat_id', 'id'], 'lc_chat_history_chat')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('lc_chat_history')
}
