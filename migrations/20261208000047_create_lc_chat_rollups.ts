import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement. The reports' rollups (docs/reports.md#speed): one row
// per UTC day, group and agent, summing the facts of the chats started that day, so a month's
// report reads a few hundred rows instead of every chat. Rebuilt from lc_chat_facts a day at a
// time, never edited in place; like the facts, no customer data.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_chat_rollups', (table) => {
    tableDefaults(knex, table)
    table.increments('id').primary()
    table.bigInteger('day_at').notNullable().comment('the UTC midnight (epoch ms) of the day the chats started')
    table.integer('group_id').nullable().comment('the group the chats are in now, as lc_chat_facts.group_id')
    table.string('agent_id', 64).nullable().comment('the agent who has or last had the chats, as lc_chat_facts.agent_id')
    table.integer('started').notNullable()
    table.integer('answered').notNullable()
    table.integer('missed').notNullable()
    table.integer('abandoned').notNullable()
    table.integer('transfers').notNullable()
    table.integer('transferred').notNullable().comment('chats transferred at least once')
    table.string('ratings', 64).notNullable().comment('how many rated 1, 2, 3, 4 and 5: a JSON array of five numbers')
    table.string('started_hours', 255).notNullable().comment('chats started in each UTC hour 0-23 of the day: a JSON array of 24 numbers')
    table.string('answered_hours', 255).notNullable().comment('of those, answered: a JSON array of 24 numbers')
    table.text('first_response').notNullable().comment('time to first response in 5% buckets: a JSON array of bucket, count, smallest, largest (ms) for each bucket in turn')
    table.text('wait').notNullable().comment('wait time in buckets, as first_response')
    table.text('handle').notNullable().comment('handle time in buckets, as first_response')
    table.index(['day_at'], 'lc_chat_rollups_day')
    table.index(['group_id', 'day_at'], 'lc_chat_rollups_group')
    table.index(['agent_id', 'day_at'], 'lc_chat_rollups_agent')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('lc_chat_rollups')
}
