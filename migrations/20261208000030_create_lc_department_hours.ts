import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Business hours per department (docs/features.md#business-hours). One row per department
// with a schedule; none is always open. The week's periods and the holidays are JSON text in
// the row, not tables of their own: a schedule is always read and saved whole (the form
// replaces it), nothing queries one period, and one CREATE is one DDL step on MySQL, where
// DDL commits implicitly. plugin/routing/hours.ts checks their shape before they are stored.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_department_hours', (table) => {
    tableDefaults(knex, table)
    table.integer('department_id').unsigned().notNullable().primary().references('id').inTable('lc_departments').onDelete('CASCADE')
    table.string('time_zone', 64).notNullable().comment('IANA name; periods and holidays are wall-clock time there')
    table.text('periods').notNullable().comment('JSON [{day 1=Monday..7, opens, closes}] in minutes after local midnight; [] is open all day')
    table.text('holidays').notNullable().comment('JSON [{date YYYY-MM-DD, name}]: closed all day, whatever the week says')
    table.string('closed_message', 500).nullable().comment('what a customer reads while closed, beside when chat opens')
    table.bigInteger('updated_at').notNullable()
    table.string('updated_by', 64).nullable().comment('host user id of the administrator who saved it last')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('lc_department_hours')
}
