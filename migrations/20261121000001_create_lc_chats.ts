import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement (MySQL DDL commits implicitly anyway).
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_chats', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.string('status', 16).notNullable().comment('queued, active, ended, abandoned or cancelled')
    table.integer('group_id').nullable()
    table.string('agent_id', 64).nullable().comment('host user id of the assigned agent')
    table.string('customer_user_id', 64).nullable().comment('host user id when the customer was signed in to the portal')
    table.string('customer_name', 120).notNullable()
    table.string('customer_email', 200).notNullable()
    table.string('customer_username', 64).nullable()
    table.text('question').notNullable()
    table.string('source', 32).notNullable().defaultTo('portal')
    table.string('customer_token_hash', 64).notNullable().comment('sha256 hex of the customer token; the token itself is never stored')
    table.bigInteger('created_at').notNullable()
    table.bigInteger('queued_at').nullable()
    table.bigInteger('assigned_at').nullable()
    table.bigInteger('ended_at').nullable()
    table.string('ended_by', 16).nullable().comment('agent or customer')
    table.bigInteger('last_agent_message_at').nullable().comment('idle time counts from here; customer messages and transfers do not reset it')
    table.integer('last_seq').notNullable().defaultTo(0).comment('highest lc_messages.seq; bumped in the transaction that inserts the message')
    table.integer('message_count').notNullable().defaultTo(0)
    table.bigInteger('deleted_at').nullable()
    table.index(['status', 'queued_at'], 'lc_chats_status_queued')
    table.index(['agent_id', 'status'], 'lc_chats_agent_status')
    table.index(['customer_user_id'], 'lc_chats_customer')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('lc_chats')
}
