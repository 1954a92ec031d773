import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement. Every call made with an API token
// (docs/features.md#api-tokens): the token's page lists them, and a desk-wide audit log can
// read them. A write sent with an Idempotency-Key keeps the key, a hash of its request and the
// response here, so a repeat is answered with the same response and not done twice
// (docs/features.md#json-api); the unique index makes two racing repeats one.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_api_calls', (table) => {
    tableDefaults(knex, table)
    table.bigIncrements('id')
    table.integer('token_id').unsigned().notNullable()
    table.string('method', 8).notNullable()
    table.string('route', 200).notNullable().comment('the route as declared, e.g. /api/v1/chats/:id, not the address with its values')
    table.integer('status').nullable().comment('HTTP status answered; null while a call with an idempotency key is being done')
    table.bigInteger('at').notNullable()
    table.integer('duration_ms').nullable()
    table.string('ip', 45).notNullable()
    table.string('idempotency_key', 200).nullable()
    table.string('request_hash', 64).nullable().comment('hex SHA-256 of method, address and body, for a repeated key')
    table.text('response', 'mediumtext').nullable().comment('the JSON answered to a call with an idempotency key, replayed on repeats')
    table.boolean('replayed').notNullable().defaultTo(false).comment('answered from an earlier call with the same key')
    table.unique(['token_id', 'idempotency_key'], { indexName: 'lc_api_calls_key' })
    table.index(['token_id', 'id'], 'lc_api_calls_token')
    table.index(['at'], 'lc_api_calls_at')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('lc_api_calls')
}
