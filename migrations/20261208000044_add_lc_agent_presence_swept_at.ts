import type { Knex } from 'knex'

// Transaction mode: one DDL statement. Presence that holds under load (docs/features.md#presence-sweep):
// an agent the sweep made unavailable because their heartbeat went stale, and not by their own
// choice, is made available again by the next heartbeat of an open console; this column tells
// the two apart.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_agent_presence', (table) => {
    table.bigInteger('swept_at').nullable().comment('when the presence sweep made this available agent unavailable for a stale heartbeat (epoch ms); a heartbeat while set makes them available again; null after any choice of their own')
  })
}

export async function down (knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn('lc_agent_presence', 'swept_at')) {
    await knex.schema.alterTable('lc_agent_presence', (table) => { table.dropColumn('swept_at') })
  }
}
