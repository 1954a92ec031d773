import type { Knex } from 'knex'

// Transaction mode: one DDL statement. How many chats the agent had open when this chat was
// given to them, so the reports' concurrent load per agent (docs/reports.md#definitions) is a
// sum over facts and rollups, never a replay of History. Rows of chats given to an agent before
// this column have none, and count in no one's load.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chat_facts', (table) => {
    table.integer('agent_load').nullable().comment('chats the agent (agent_id) had open, this one included, when it was given to them')
  })
}

export async function down (knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn('lc_chat_facts', 'agent_load')) {
    await knex.schema.alterTable('lc_chat_facts', (table) => { table.dropColumn('agent_load') })
  }
}
