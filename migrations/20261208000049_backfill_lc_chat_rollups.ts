import type { Knex } from 'knex'
import { rebuildRollups } from '../plugin/facts/rollups.ts'

// Transaction mode: one transaction (the rebuild's own). Every day that already has chat
// facts gets its rollups, by the same code that folds new days (docs/reports.md#speed).
export async function up (knex: Knex): Promise<void> {
  await rebuildRollups(knex, Date.now())
}

export async function down (knex: Knex): Promise<void> {
  await knex('lc_chat_rollups').del()
  await knex('lc_chat_rollup_state').update({ folded_to: null, folded_at: null })
}
