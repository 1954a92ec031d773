import type { Knex } from 'knex'

// Transaction mode: one CREATE TABLE. The chats the purge removed whose rows in
// lc_message_words are still to go (docs/design.md §7): a chat's word rows lie one on each
// word's page, hundreds of pages a chat, so the chat batches leave them and record the chat
// here in their own transaction; the purge's words phase then removes the rows of many such
// chats word by word, in the index's own order, and the chats' entries with the last of them.
// No foreign key: the chat row is gone by the time its entry is written.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_purged_chat_words', (table) => {
    table.integer('chat_id').unsigned().notNullable().primary()
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('lc_purged_chat_words')
}
