import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement. One table for the four kinds of item an agent adds
// to a chat from the Add menu: each kind uses the columns it needs and leaves the rest null.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_chat_items', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.integer('chat_id').unsigned().notNullable().references('id').inTable('lc_chats').onDelete('CASCADE')
    table.string('kind', 16).notNullable().comment('task | time_log | call_log | ticket')
    table.string('title', 255).nullable().comment('a task\'s title; a linked ticket\'s summary as it was when linked')
    table.text('note').nullable()
    table.integer('minutes').unsigned().nullable().comment('time logs and call logs')
    table.string('direction', 3).nullable().comment('call logs: in | out')
    table.string('due_on', 10).nullable().comment('tasks: YYYY-MM-DD, a calendar day rather than an instant')
    table.string('ticket_ref', 64).nullable()
    table.string('ticket_url', 500).nullable()
    table.string('created_by', 64).notNullable().comment('host user id of the agent who added it')
    table.string('created_by_name', 120).notNullable().comment('the name as it was when added')
    table.bigInteger('created_at').notNullable()
    table.bigInteger('done_at').nullable().comment('tasks: when marked done')
    table.index(['chat_id'], 'lc_chat_items_chat')
    // NULL refs (every kind but ticket) never collide, on SQLite and MariaDB alike.
    table.unique(['chat_id', 'ticket_ref'], { indexName: 'lc_chat_items_ticket' })
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('lc_chat_items')
}
