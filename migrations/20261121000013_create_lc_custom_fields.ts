import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Chat custom fields (docs/features.md#custom-fields): what the administrator defines, and
// each chat's values. Two DDL steps, not one transaction on MySQL (DDL commits implicitly);
// `down` undoes both, so a rerun is clean.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_custom_fields', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.string('label', 80).notNullable()
    table.string('field_key', 40).notNullable().unique('lc_custom_fields_key').comment('letters, digits and underscores: how integrations name the field')
    table.string('type', 12).notNullable().comment('text, number, yesno or choice')
    table.text('options').nullable().comment('choice only: a JSON array of the options, in order')
    table.boolean('required').notNullable().defaultTo(false).comment('an agent may not save the chat\'s fields with it empty')
    table.boolean('on_prechat').notNullable().defaultTo(false).comment('asked of the customer on the pre-chat form')
    table.integer('sort_order').notNullable().defaultTo(0)
    table.bigInteger('created_at').notNullable()
  })
  await knex.schema.createTable('lc_chat_field_values', (table) => {
    tableDefaults(knex, table)
    table.integer('chat_id').unsigned().notNullable().references('id').inTable('lc_chats').onDelete('CASCADE')
    table.integer('field_id').unsigned().notNullable().references('id').inTable('lc_custom_fields').onDelete('CASCADE')
    table.text('value').notNullable().comment('normalised by type: a number as digits, yes/no as yes or no, a choice as its option')
    table.bigInteger('updated_at').notNullable()
    table.string('updated_by', 120).notNullable().comment('the name of who set it last: an agent, or the customer on the pre-chat form')
    table.primary(['chat_id', 'field_id'])
    table.index(['field_id'], 'lc_chat_field_values_field')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('lc_chat_field_values')
  await knex.schema.dropTableIfExists('lc_custom_fields')
}
