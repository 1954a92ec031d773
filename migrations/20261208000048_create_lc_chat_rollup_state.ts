import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement, then its one row. How far the rollups are folded
// (docs/reports.md#speed); a fold locks the row, so two instances never fold at once.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_chat_rollup_state', (table) => {
    tableDefaults(knex, table)
    table.integer('id').primary()
    table.bigInteger('folded_to').nullable().comment('UTC midnight (epoch ms): every day before it is in lc_chat_rollups')
    table.bigInteger('folded_at').nullable().comment('when the last fold began: fact rows changed since (less a margin) are folded again')
  })
  await knex('lc_chat_rollup_state').insert({ id: 1, folded_to: null, folded_at: null })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('lc_chat_rollup_state')
}
