import type { Knex } from 'knex'

// Transaction mode: none (nothing left to do here). This step rebuilt the rollups of every day
// that already had chat facts; the rebuild is the current code's, which writes columns that
// later migrations add (051, 052), so it runs at the end of 052 instead, where they exist. A
// database that ran this step before gets the rollups rebuilt once more there.
export async function up (_knex: Knex): Promise<void> {}

export async function down (knex: Knex): Promise<void> {
  await knex('lc_chat_rollups').del()
  await knex('lc_chat_rollup_state').update({ folded_to: null, folded_at: null })
}
