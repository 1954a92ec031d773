import type { Knex } from 'knex'
import { utf8mb4 } from '../db.ts'

// The demo desk's outgoing mail: stored, not sent, and listed under Admin › Sent mail, so
// mail a plugin sends (chat transcripts) can be read and tested without a mail server.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('mail_outbox', (table) => {
    utf8mb4(knex, table)
    table.increments('id')
    table.string('to_address', 320).notNullable().index()
    table.string('subject', 255).notNullable()
    table.text('body_text').notNullable()
    table.text('body_html').nullable()
    table.bigInteger('created_at').notNullable()
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('mail_outbox')
}
