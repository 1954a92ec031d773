import type { Knex } from 'knex'
import { createFullTextIndex, dropFullTextIndex } from '../../plugin/db/fulltext.ts'
import { ticketSearchIndex } from '../search.ts'

// How a ticket was solved, and a full-text index over it with the summary and description,
// so solved tickets can be suggested for a new question. MySQL commits each DDL statement on
// its own: the column is only added when missing, so a run that failed at the index can be
// run again.
export async function up (knex: Knex): Promise<void> {
  if (!await knex.schema.hasColumn('tickets', 'resolution')) {
    await knex.schema.alterTable('tickets', (table) => {
      table.text('resolution').nullable().comment('How the ticket was solved; searched for similar questions')
    })
  }
  await createFullTextIndex(knex, ticketSearchIndex)
}

export async function down (knex: Knex): Promise<void> {
  await dropFullTextIndex(knex, ticketSearchIndex)
  await knex.schema.alterTable('tickets', (table) => {
    table.dropColumn('resolution')
  })
}
