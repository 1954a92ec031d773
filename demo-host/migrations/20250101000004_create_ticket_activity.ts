import type { Knex } from 'knex'
import { utf8mb4 } from '../db.ts'

// One table per migration: MySQL commits DDL implicitly, so a failed step must not leave
// half a migration applied.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('ticket_activity', (table) => {
    utf8mb4(knex, table)
    table.increments('id')
    table.integer('ticket_id').notNullable().index()
    table.text('text').notNullable()
    table.integer('author_id').nullable()
    table.bigInteger('created_at').notNullable()
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('ticket_activity')
}
