import type { Knex } from 'knex'
import { utf8mb4 } from '../db.ts'

// One table per migration: MySQL commits DDL implicitly, so a failed step must not leave
// half a migration applied.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('sessions', (table) => {
    utf8mb4(knex, table)
    table.string('token_hash', 64).primary().comment('sha256 hex of the hd_session cookie; the raw token is never stored')
    table.integer('user_id').notNullable().index()
    table.bigInteger('expires_at').notNullable().comment('Epoch milliseconds')
    table.bigInteger('created_at').notNullable()
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('sessions')
}
