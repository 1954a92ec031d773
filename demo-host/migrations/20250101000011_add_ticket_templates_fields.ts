import type { Knex } from 'knex'

// The desk's own fields a template sets or leaves for the agent (impact, asset tag…), as a
// JSON array of { name, label, required, value, options? }. One DDL statement: MySQL commits it
// on its own.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('ticket_templates', (table) => {
    table.text('fields').nullable().comment('JSON array of the fields the template sets; a required one left blank is asked for before saving')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('ticket_templates', (table) => {
    table.dropColumn('fields')
  })
}
