import type { Knex } from 'knex'
import { rebuildRollups } from '../plugin/facts/rollups.ts'

// Transaction mode: none (config below): one DDL statement, then one transaction, the rebuild's
// own (inside the migration's, MySQL's DDL would have committed it and left the rebuild without
// one). The concurrent load of the rollup's chats (migration 051's agent_load), summed so that a
// period's average and peak per agent come from the rollups (docs/reports.md#speed). Then every
// day that has chat facts gets its rollups by the code that folds new days (the backfill that
// was 049's): that code writes this table as it is now, so a later migration that changes the
// table moves the rebuild after it again. A rebuild that fails leaves the columns, so a second
// run adds them only where they are missing.
export const config = { transaction: false }

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
