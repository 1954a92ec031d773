import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement. The desk's audit log (docs/features.md#audit-log): one
// row per administrative or supervisory action, written in the action's own transaction, read
// by the audit pages and removed by the purge job after auditRetentionDays.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_audit', (table) => {
    tableDefaults(knex, table)
    table.bigIncrements('id')
    table.bigInteger('at').notNullable()
    table.string('actor_id', 64).nullable().comment('host user id of who acted; null for the desk itself (an API token names itself in actor_name)')
    table.string('actor_name', 120).notNullable()
    table.string('ip', 45).nullable().comment('the address the action came from, as the host trusts it (request.ip); null when it came from no request')
    table.string('action', 40).notNullable().comment('what was done, e.g. group.updated (plugin/audit/service.ts auditActions)')
    table.string('subject', 200).notNullable().comment('what it was done to, as a person reads it: "Group Sales / Tier 1", "Chat #42"')
    table.string('subject_id', 64).nullable()
    table.integer('department_id').unsigned().nullable().comment('the department it concerns: supervisors of it see the row; null rows only administrators see')
    table.text('before').nullable().comment('JSON of what it was before; null when it did not exist')
    table.text('after').nullable().comment('JSON of what it became; null when it was removed')
    table.index(['at'], 'lc_audit_at')
    table.index(['department_id', 'id'], 'lc_audit_department')
    table.index(['actor_id', 'id'], 'lc_audit_actor')
    table.index(['action', 'id'], 'lc_audit_action')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('lc_audit')
}
