import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement. One row per chat with the moments the reports measure
// (docs/reports.md): written in the transaction of each change that moves one of them, so the
// figures are indexed range reads over this table and never a scan of messages or History.
// No foreign key to lc_chats on purpose: a purged chat was still started, answered or missed,
// and the row holds no customer data (docs/reports.md#what-is-kept).
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_chat_facts', (table) => {
    tableDefaults(knex, table)
    table.integer('chat_id').unsigned().notNullable().primary()
    table.integer('group_id').nullable().comment('the group the chat is in now (after its last transfer)')
    table.string('agent_id', 64).nullable().comment('host user id of the agent who has (or last had) the chat')
    table.string('first_agent_id', 64).nullable().comment('host user id of the agent whose reply was the first response')
    table.bigInteger('created_at').notNullable().comment('when the customer queued the chat; a chat counts in the period this falls in')
    table.bigInteger('first_assigned_at').nullable().comment('when an agent first got the chat (accepted, assigned or taken): the wait stops')
    table.bigInteger('first_response_at').nullable().comment('the first text, file or article an agent sent: the chat is answered')
    table.bigInteger('ended_at').nullable()
    table.string('outcome', 24).nullable().comment('the History action that closed the chat: ended, idle_ended, abandoned, cancelled or queue_timed_out')
    table.integer('transfers').notNullable().defaultTo(0).comment('how many times the chat was transferred')
    table.integer('rating').nullable().comment('the post-chat survey rating, 1 to 5')
    table.index(['created_at'], 'lc_chat_facts_created')
    table.index(['group_id', 'created_at'], 'lc_chat_facts_group')
    table.index(['agent_id', 'created_at'], 'lc_chat_facts_agent')
    // The wallboard's chats open now (outcome still null), whenever they started.
    table.index(['outcome', 'group_id'], 'lc_chat_facts_open')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('lc_chat_facts')
}
