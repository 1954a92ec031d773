import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement. Knowledge articles pinned to a chat from its
// Resources panel (docs/features.md#resources). Title and
// link are kept as they were when pinned, so the pin still reads when the help desk is down.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_chat_pins', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.integer('chat_id').unsigned().notNullable().references('id').inTable('lc_chats').onDelete('CASCADE')
    table.string('article_id', 64).notNullable().comment('the help desk\'s knowledge article id')
    table.string('title', 255).notNullable().comment('the article\'s title when pinned')
    table.string('url', 500).notNullable().comment('the help desk\'s link to the article when pinned')
    table.string('pinned_by', 64).notNullable().comment('host user id of the agent who pinned it')
    table.string('pinned_by_name', 120).notNullable().comment('the name as it was when pinned')
    table.bigInteger('pinned_at').notNullable()
    table.unique(['chat_id', 'article_id'], { indexName: 'lc_chat_pins_article' })
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('lc_chat_pins')
}
