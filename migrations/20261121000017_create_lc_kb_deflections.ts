import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement. A question a knowledge article answered before any
// chat was queued (docs/features.md#suggested-solutions), kept for the
// administrators' deflection report. Names and titles are copied as they were, so the
// report still reads after an article or department is renamed or removed.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_kb_deflections', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.text('question').notNullable()
    table.string('article_id', 64).notNullable().comment('the host\'s knowledge article id')
    table.string('article_title', 200).notNullable().comment('the title as it was when chosen')
    table.string('article_url', 500).notNullable()
    table.integer('department_id').unsigned().nullable().comment('null where no departments are set up; no foreign key, so deleting a department keeps the record')
    table.string('department_name', 120).nullable().comment('the name as it was')
    table.string('customer_user_id', 64).nullable().comment('host user id of a signed-in customer')
    table.string('customer_email', 200).notNullable()
    table.bigInteger('created_at').notNullable()
    table.index(['created_at'], 'lc_kb_deflections_created')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('lc_kb_deflections')
}
