import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement. API tokens (docs/features.md#api-tokens): each is shown
// once when created and kept only as its SHA-256, with its scopes, the addresses it may be
// used from and whom it acts as. A revoked token keeps its row, so its calls stay readable.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_api_tokens', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.string('name', 120).notNullable().comment('what the administrator called it: the system that uses it')
    table.string('token_hash', 64).notNullable().unique('lc_api_tokens_hash').comment('hex SHA-256 of the token; the token itself is never kept')
    table.string('hint', 16).notNullable().comment('the token\'s first characters, so an administrator can tell tokens apart')
    table.string('scopes', 200).notNullable().comment('space-separated: chats:read messages:write routing:manage admin')
    table.string('ip_allow', 1000).notNullable().comment('space-separated canonical CIDR ranges it may be used from; empty: any address')
    table.string('agent_id', 64).nullable().comment('host user id of the agent it acts as; null: the integration itself')
    table.string('agent_name', 120).nullable()
    table.bigInteger('expires_at').nullable().comment('epoch ms after which it is refused; null: until revoked')
    table.string('created_by', 64).notNullable().comment('host user id of the administrator')
    table.string('created_by_name', 120).notNullable()
    table.bigInteger('created_at').notNullable()
    table.bigInteger('last_used_at').nullable()
    table.string('last_used_ip', 45).nullable()
    table.string('revoked_by', 64).nullable()
    table.string('revoked_by_name', 120).nullable()
    table.bigInteger('revoked_at').nullable().comment('null while the token works')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('lc_api_tokens')
}
