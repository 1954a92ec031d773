import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement. One row per run of a scheduled job (DESIGN §7), so the
// administrators' Scheduled jobs page can show recent runs and their outcome. Bounded: the
// scheduler keeps the latest runs of each job and deletes older ones as it writes new ones.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_job_runs', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.string('job', 64).notNullable().comment('the job id of manifest.json\'s jobs section')
    table.string('owner', 64).notNullable().comment('the instance that held the lease and did the work')
    table.string('trigger', 16).notNullable().comment('schedule or manual (Run now)')
    table.string('started_by', 120).nullable().comment('manual runs: the name of the administrator who pressed Run now')
    table.bigInteger('started_at').notNullable()
    table.bigInteger('finished_at').nullable().comment('null while running, or for ever when the instance stopped mid-run')
    table.integer('rows').nullable().comment('rows the run touched')
    table.string('summary', 300).nullable().comment('what the run did, in words (purge: chats, rows and files removed)')
    table.text('error').nullable()
    table.index(['job', 'id'], 'lc_job_runs_job')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('lc_job_runs')
}
