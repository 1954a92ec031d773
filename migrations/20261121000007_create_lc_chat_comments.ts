import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_chat_comments', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.integer('chat_id').unsigned().notNullable().references('id').inTable('lc_chats').onDelete('CASCADE')
    table.string('author_id', 64).notNullable().comment('host user id of the agent who wrote it')
    table.string('author_name', 120).notNullable().comment('the name as it was when written')
    table.text('body').notNullable()
    table.boolean('is_resolution').notNullable().defaultTo(false).comment('at most one per chat: the comment that resolved it')
    table.bigInteger('created_at').notNullable()
    table.bigInteger('updated_at').notNullable()
    table.index(['chat_id'], 'lc_chat_comments_chat')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('lc_chat_comments')
}
