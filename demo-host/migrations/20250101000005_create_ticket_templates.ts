import type { Knex } from 'knex'
import { utf8mb4 } from '../db.ts'

// One table per migration: MySQL commits DDL implicitly, so a failed step must not leave
// half a migration applied.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('ticket_templates', (table) => {
    utf8mb4(knex, table)
    table.increments('id')
    table.string('kind', 20).notNullable()
    table.string('name', 120).notNullable()
    table.string('summary', 255).notNullable()
    table.text('description').notNullable()
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('ticket_templates')
}
