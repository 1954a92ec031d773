import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement. The settings an administrator changed on the settings
// screen (DESIGN §1, settings), one row per change: who changed which setting from what to
// what, and when. A setting's latest row is its stored value; a setting with no row, or whose
// latest row has a null value (set back to its default), has its schema default. Changes are
// rare, so the rows are kept for good: they are the screen's history.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_settings', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.string('name', 64).notNullable().comment('the setting, a property of manifest.json\'s settingsSchema')
    table.text('old_value').nullable().comment('JSON of the value in effect before the change; null: its default')
    table.text('value').nullable().comment('JSON of the value stored by the change; null: back to its default')
    table.string('changed_by', 255).notNullable().comment('the host user id of the administrator')
    table.string('changed_by_name', 120).notNullable().comment('their name as it was, for the history')
    table.bigInteger('changed_at').notNullable()
    table.index(['name', 'id'], 'lc_settings_name')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('lc_settings')
}
