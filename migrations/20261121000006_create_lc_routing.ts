import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Departments hold groups; agents belong to groups (DESIGN §5). Not one transaction on
// MySQL (DDL commits implicitly); `down` undoes every step, so a rerun is clean.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_departments', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.string('name', 120).notNullable().unique('lc_departments_name')
    table.integer('default_group_id').nullable().comment('the group a customer\'s chat for this department starts in')
    table.string('queue_position_message', 300).nullable().comment('overrides the setting; {ahead} is the number ahead')
    table.string('queue_position_message_one', 300).nullable()
    table.string('queue_next_message', 300).nullable()
    table.integer('sort_order').notNullable().defaultTo(0)
    table.bigInteger('created_at').notNullable()
  })
  await knex.schema.createTable('lc_groups', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.integer('department_id').unsigned().notNullable().references('id').inTable('lc_departments').onDelete('CASCADE')
    table.string('name', 120).notNullable()
    table.string('distribution', 16).notNullable().defaultTo('cherry_pick').comment('cherry_pick or round_robin')
    table.integer('default_max_chats').notNullable().defaultTo(4).comment('per-agent chat limit unless the membership sets its own')
    table.boolean('enabled').notNullable().defaultTo(true).comment('a disabled group takes no chats and is no transfer target')
    table.bigInteger('created_at').notNullable()
    table.unique(['department_id', 'name'], { indexName: 'lc_groups_department_name' })
  })
  await knex.schema.createTable('lc_group_members', (table) => {
    tableDefaults(knex, table)
    table.integer('group_id').unsigned().notNullable().references('id').inTable('lc_groups').onDelete('CASCADE')
    table.string('agent_id', 64).notNullable()
    table.boolean('active').notNullable().defaultTo(true).comment('an inactive member gets no chats from the group')
    table.integer('max_chats').nullable().comment('this agent\'s limit in the group; null means the group default')
    table.bigInteger('created_at').notNullable()
    table.primary(['group_id', 'agent_id'])
    table.index(['agent_id'], 'lc_group_members_agent')
  })
  await knex.schema.alterTable('lc_chats', (table) => {
    table.string('transferred_to', 64).nullable().comment('agent a transfer is waiting for; null with transferred_by set means the whole group')
    table.string('transferred_by', 64).nullable()
    table.bigInteger('transferred_at').nullable().comment('set while a transfer waits in the Transferred tab, kept after')
    table.text('transfer_comment').nullable().comment('the transferring agent\'s note; agents only')
    table.boolean('auto_assigned').notNullable().defaultTo(false).comment('given by round robin: re-offered if not answered in time')
    table.bigInteger('customer_left_at').nullable().comment('the customer cancelled an assigned chat; it stays with the agent')
    table.integer('agent_read_seq').notNullable().defaultTo(0).comment('the assigned agent has read up to here: unread badge')
    table.index(['group_id', 'status', 'queued_at'], 'lc_chats_group_queue')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chats', (table) => {
    table.dropIndex(['group_id', 'status', 'queued_at'], 'lc_chats_group_queue')
    for (const c of ['transferred_to', 'transferred_by', 'transferred_at', 'transfer_comment', 'auto_assigned', 'customer_left_at', 'agent_read_seq']) table.dropColumn(c)
  })
  await knex.schema.dropTableIfExists('lc_group_members')
  await knex.schema.dropTableIfExists('lc_groups')
  await knex.schema.dropTableIfExists('lc_departments')
}
