import type { Knex } from 'knex'

// The values of a ticket's template fields (impact, asset tag…), as a JSON object by field
// name; the ticket page labels them from the template. One DDL statement: MySQL commits it on
// its own.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('tickets', (table) => {
    table.text('details').nullable().comment('JSON object of template field values by field name')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('tickets', (table) => {
    table.dropColumn('details')
  })
}
