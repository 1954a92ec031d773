import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// The webhook outbox (docs/webhooks.md, docs/design.md §7): an event is written here in the
// transaction of the change it tells of, with one delivery row per endpoint that wants it,
// and the job runner delivers it; every attempt is kept for the delivery log. Not one
// transaction on MySQL (DDL commits implicitly); `down` drops whatever exists, so a rerun
// after a half-done `up` is clean.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_webhook_events', (table) => {
    tableDefaults(knex, table)
    table.bigIncrements('id').comment('the order events were written in, which is the order they are delivered in per order_key')
    table.string('uid', 36).notNullable().unique().comment('the event id receivers de-duplicate by (a UUID)')
    table.string('type', 40).notNullable()
    table.text('data', 'mediumtext').notNullable().comment('the payload\'s data object, as JSON')
    table.bigInteger('created_at').notNullable()
  })
  await knex.schema.createTable('lc_webhook_deliveries', (table) => {
    tableDefaults(knex, table)
    table.bigIncrements('id')
    table.bigInteger('event_id').notNullable()
    table.integer('endpoint_id').notNullable()
    table.string('order_key', 40).nullable().comment('chat:<id> or agent:<id>: a later event of the same key waits for this one; null: no order')
    table.string('state', 12).notNullable().comment('pending, delivered, or failed (given up after webhookRetryHours)')
    table.integer('attempts').notNullable().defaultTo(0)
    table.bigInteger('next_attempt_at').notNullable()
    table.bigInteger('retry_from').notNullable().comment('retries stop webhookRetryHours after this (creation, or a Redeliver)')
    table.string('claimed_by', 64).nullable().comment('the instance sending it now')
    table.bigInteger('claimed_until').nullable().comment('a claim past this time is abandoned (a crashed instance) and may be taken')
    table.bigInteger('delivered_at').nullable()
    table.bigInteger('created_at').notNullable()
    table.unique(['event_id', 'endpoint_id'], { indexName: 'lc_webhook_deliveries_event_endpoint' })
    table.index(['state', 'event_id'], 'lc_webhook_deliveries_pending')
  })
  await knex.schema.createTable('lc_webhook_attempts', (table) => {
    tableDefaults(knex, table)
    table.bigIncrements('id')
    table.bigInteger('delivery_id').notNullable()
    table.integer('endpoint_id').notNullable()
    table.boolean('ok').notNullable().comment('the receiver answered 2xx')
    table.integer('status').nullable().comment('the HTTP status; null when no answer came (refused, timed out, connection failed)')
    table.integer('duration_ms').notNullable()
    table.string('excerpt', 500).nullable().comment('the start of the response body, as text')
    table.string('error', 500).nullable().comment('why no answer came, or why the address was refused')
    table.string('instance', 64).notNullable()
    table.string('trigger', 12).notNullable().comment('job, redeliver or test')
    table.bigInteger('at').notNullable()
    table.index(['delivery_id', 'id'], 'lc_webhook_attempts_delivery')
    table.index(['endpoint_id', 'id'], 'lc_webhook_attempts_endpoint')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('lc_webhook_attempts')
  await knex.schema.dropTableIfExists('lc_webhook_deliveries')
  await knex.schema.dropTableIfExists('lc_webhook_events')
}
