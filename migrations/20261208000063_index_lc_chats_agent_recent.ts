import type { Knex } from 'knex'

// Transaction mode: one DDL statement. My Active and My Completed read an agent's newest chats
// (docs/design.md §9): along (agent_id, id) newest first, stopping at the list's limit, rather
// than every chat of the agent's in those states by (agent_id, status), then sorted.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chats', (table) => {
    table.index(['agent_id', 'id'], 'lc_chats_agent_recent')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chats', (table) => {
    table.dropIndex(['agent_id', 'id'], 'lc_chats_agent_recent')
  })
}
