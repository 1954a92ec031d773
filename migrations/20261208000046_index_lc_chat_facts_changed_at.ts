import type { Knex } from 'knex'

// Transaction mode: one DDL statement. The rollups' fold reads the rows changed since it last
// ran (docs/reports.md#speed) by this index, never the whole table.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chat_facts', (table) => {
    table.index(['changed_at'], 'lc_chat_facts_changed')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chat_facts', (table) => {
    table.dropIndex(['changed_at'], 'lc_chat_facts_changed')
  })
}
