import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_chat_files', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.integer('chat_id').unsigned().notNullable().references('id').inTable('lc_chats').onDelete('CASCADE')
    table.string('storage_name', 64).notNullable().unique('lc_chat_files_storage_name').comment('random name of the file in the upload directory; never derived from what the sender called it')
    table.string('name', 255).notNullable().comment('the name shown and offered on download, as sent (with the extension of the detected type)')
    table.string('type', 127).notNullable().comment('the MIME type detected from the content, never the one the browser claimed')
    table.bigInteger('size').notNullable().comment('bytes')
    table.string('sha256', 64).notNullable().comment('hex digest of the stored content')
    table.string('author_kind', 16).notNullable()
    table.string('author_id', 64).nullable().comment('host user id; null for a customer who was not signed in')
    table.string('author_name', 120).notNullable()
    table.bigInteger('created_at').notNullable()
    table.index(['chat_id'], 'lc_chat_files_chat')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('lc_chat_files')
}
