import type { Knex } from 'knex'

// Transaction mode: one ALTER. The wallboard sums today's facts on every push
// (docs/reports.md#speed): with the columns its counts and its median read in the index, a
// day is one range of the index and none of the rows it points to; the old index on
// created_at alone is the new one's prefix, so every range read it served this one serves.
const covering = ['created_at', 'group_id', 'agent_id', 'first_response_at', 'outcome', 'rating']

export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chat_facts', (table) => {
    table.dropIndex(['created_at'], 'lc_chat_facts_created')
    table.index(covering, 'lc_chat_facts_created')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chat_facts', (table) => {
    table.dropIndex(covering, 'lc_chat_facts_created')
    table.index(['created_at'], 'lc_chat_facts_created')
  })
}
