import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_messages', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.integer('chat_id').unsigned().notNullable().references('id').inTable('lc_chats').onDelete('CASCADE')
    table.integer('seq').notNullable().comment('gapless per chat, assigned with lc_chats.last_seq in one transaction')
    table.string('kind', 16).notNullable().comment('text, event, file, kb_share or coaching')
    table.string('author_kind', 16).notNullable().comment('customer, agent or system')
    table.string('author_id', 64).nullable()
    table.string('author_name', 120).notNullable().comment('the name as it was when the message was sent')
    table.text('body').notNullable()
    table.string('client_msg_id', 64).nullable().comment('the sender\'s id for the message, so a resend is stored once')
    table.bigInteger('created_at').notNullable()
    table.unique(['chat_id', 'seq'], { indexName: 'lc_messages_chat_seq' })
    table.unique(['chat_id', 'client_msg_id'], { indexName: 'lc_messages_chat_client' })
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('lc_messages')
}
