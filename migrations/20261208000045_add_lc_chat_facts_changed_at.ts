import type { Knex } from 'knex'

// Transaction mode: one DDL statement. When a chat's fact row last changed, so the rollups
// (migration 047) can tell which days to fold again (docs/reports.md#speed). Rows written
// before this column are folded by the backfill (migration 049).
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chat_facts', (table) => {
    table.bigInteger('changed_at').nullable().comment('when this row last changed (epoch ms): the rollups fold again the day the chat started in')
  })
}

export async function down (knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn('lc_chat_facts', 'changed_at')) {
    await knex.schema.alterTable('lc_chat_facts', (table) => { table.dropColumn('changed_at') })
  }
}
