import type { Knex } from 'knex'
import { utf8mb4 } from '../db.ts'

// One table per migration: MySQL commits DDL implicitly, so a failed step must not leave
// half a migration applied.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('kb_articles', (table) => {
    utf8mb4(knex, table)
    table.increments('id')
    table.string('title', 200).notNullable()
    table.text('body').notNullable()
    table.string('category', 80).notNullable()
    table.bigInteger('created_at').notNullable()
    table.bigInteger('updated_at').notNullable()
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('kb_articles')
}
