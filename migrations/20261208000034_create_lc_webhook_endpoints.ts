import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement. Webhook endpoints (docs/webhooks.md): where events
// are POSTed, which events each wants, and the secret that signs them. The secret is kept as
// it was made, not hashed: an HMAC is computed with the secret itself, so a hash could not
// sign; the screen shows it once, and no page, log or history shows it again.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_webhook_endpoints', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.string('url', 500).notNullable()
    table.string('description', 200).notNullable()
    table.string('events', 500).notNullable().comment('the event types it wants, comma separated')
    table.string('secret', 100).notNullable().comment('signs each request (HMAC-SHA256); never shown after creation')
    table.boolean('enabled').notNullable()
    table.integer('failures_in_row').notNullable().defaultTo(0).comment('failed attempts since the last success; reaching webhookDisableAfterFailures turns it off')
    table.bigInteger('disabled_at').nullable()
    table.string('disabled_reason', 500).nullable().comment('why it was turned off automatically; null when an administrator turned it off, or it is on')
    table.string('created_by', 64).notNullable().comment('host user id of the administrator')
    table.string('created_by_name', 120).notNullable()
    table.bigInteger('created_at').notNullable()
    table.bigInteger('deleted_at').nullable().comment('removed endpoints keep their row, so their delivery log still names them')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('lc_webhook_endpoints')
}
