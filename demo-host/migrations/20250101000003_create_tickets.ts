import type { Knex } from 'knex'
import { utf8mb4 } from '../db.ts'

// One table per migration: MySQL commits DDL implicitly, so a failed step must not leave
// half a migration applied.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('tickets', (table) => {
    utf8mb4(knex, table)
    table.increments('id')
    table.string('ref', 32).unique().comment('Kind prefix + zero-padded id, set right after the insert')
    table.string('kind', 20).notNullable().comment('incident | work_order | ticket')
    table.string('summary', 255).notNullable()
    table.text('description').notNullable()
    table.string('status', 40).notNullable()
    table.string('status_reason', 120).nullable()
    table.integer('requester_id').nullable().index()
    table.integer('assignee_id').nullable()
    table.integer('chat_id').nullable().comment('The live chat this ticket came from')
    table.integer('template_id').nullable()
    table.bigInteger('created_at').notNullable()
    table.bigInteger('updated_at').notNullable()
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('tickets')
}
