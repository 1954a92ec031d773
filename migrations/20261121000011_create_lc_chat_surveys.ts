import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_chat_surveys', (table) => {
    tableDefaults(knex, table)
    // The key is the chat: one survey per chat, so a second submission (or a double click) cannot store another.
    table.integer('chat_id').unsigned().notNullable().primary().references('id').inTable('lc_chats').onDelete('CASCADE')
    table.integer('rating').notNullable().comment('1 (very poor) to 5 (excellent), as the customer chose')
    table.text('comment').nullable().comment('the customer\'s optional words, up to 2,000 characters')
    table.bigInteger('created_at').notNullable()
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('lc_chat_surveys')
}
