import type { Knex } from 'knex'
import { rebuildRollups } from '../plugin/facts/rollups.ts'

// Transaction mode: one DDL statement, then one transaction (the rebuild's own). The concurrent
// load of the rollup's chats (migration 051's agent_load), summed so that a period's average and
// peak per agent come from the rollups (docs/reports.md#speed). Then every day that has chat
// facts gets its rollups by the code that folds new days (the backfill that was 049's). MySQL's
// DDL commits by itself: a rebuild that fails leaves the columns, so a second run adds them only
// where they are missing.
export async function up (knex: Knex): Promise<void> {
  if (!await knex.schema.hasColumn('lc_chat_rollups', 'load_count')) {
    await knex.schema.alterTable('lc_chat_rollups', (table) => {
      table.integer('load_count').notNullable().defaultTo(0).comment('chats with an agent_load')
      table.integer('load_sum').notNullable().defaultTo(0).comment('the sum of their agent_load')
      table.integer('load_peak').notNullable().defaultTo(0).comment('the largest of their agent_load (0: none)')
    })
  }
  await rebuildRollups(knex, Date.now())
}

export async function down (knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn('lc_chat_rollups', 'load_count')) {
    await knex.schema.alterTable('lc_chat_rollups', (table) => {
      table.dropColumn('load_count')
      table.dropColumn('load_sum')
      table.dropColumn('load_peak')
    })
  }
}
