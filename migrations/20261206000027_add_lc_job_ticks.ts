import type { Knex } from 'knex'

// The scheduled tick a run answers: every instance's schedule fires at each tick, and the
// lease names the tick so only one of them runs it (docs/design.md §7). Two statements on
// MySQL (DDL commits implicitly); `down` drops what exists, so a rerun is clean.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_job_locks', (table) => {
    table.bigInteger('last_tick').nullable().comment('the last scheduled tick run (epoch ms)')
  })
  await knex.schema.alterTable('lc_job_runs', (table) => {
    table.bigInteger('tick').nullable().comment('the scheduled tick this run answered; null for Run now')
  })
}

export async function down (knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn('lc_job_runs', 'tick')) await knex.schema.alterTable('lc_job_runs', (table) => { table.dropColumn('tick') })
  if (await knex.schema.hasColumn('lc_job_locks', 'last_tick')) await knex.schema.alterTable('lc_job_locks', (table) => { table.dropColumn('last_tick') })
}
