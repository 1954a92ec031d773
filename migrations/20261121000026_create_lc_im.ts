import type { Knex } from 'knex'
import { tableDefaults } from '../plugin/db/index.ts'

// Internal messaging between agents: threads (instant messages) and chat rooms are one model,
// a conversation of kind 'thread' or 'room', since a room works as a thread does. Not one
// transaction on MySQL (DDL commits implicitly); `down` drops whatever exists, so a rerun
// after a half-done `up` is clean.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('lc_im_conversations', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.string('kind', 8).notNullable().comment('thread (instant messages) or room')
    table.string('name', 120).nullable().comment('rooms only; a thread is titled by its participants')
    table.string('status', 12).notNullable().comment('active or inactive')
    table.string('started_by', 64).notNullable()
    table.string('started_by_name', 200).notNullable()
    table.string('related_kind', 8).nullable().comment('chat or ticket the thread is about, if any')
    table.string('related_ref', 64).nullable().comment('chat id or ticket reference')
    table.string('related_label', 200).nullable().comment('as it read when the thread started, like "Chat #42 · Dana Doyle"')
    table.integer('last_seq').unsigned().notNullable().defaultTo(0).comment('seq of the latest message; bumped in the transaction that inserts it')
    table.bigInteger('last_message_at').nullable()
    table.bigInteger('created_at').notNullable()
    table.bigInteger('updated_at').notNullable()
    table.bigInteger('inactive_at').nullable()
    table.bigInteger('deleted_at').nullable().comment('threads in Deleted Items; purged after purgeAfterDays')
    table.string('deleted_by', 64).nullable()
    table.string('deleted_by_name', 200).nullable()
    table.string('start_msg_id', 64).nullable().comment('threads: the client id of the first message, so a New form sent twice starts one thread')
    table.index(['kind', 'status', 'last_message_at'], 'lc_im_conversations_list')
    table.unique(['started_by', 'start_msg_id'], { indexName: 'lc_im_conversations_start' })
    table.index(['deleted_at'], 'lc_im_conversations_deleted')
    table.index(['related_kind', 'related_ref'], 'lc_im_conversations_related')
  })
  await knex.schema.createTable('lc_im_participants', (table) => {
    tableDefaults(knex, table)
    table.integer('conversation_id').unsigned().notNullable().references('id').inTable('lc_im_conversations').onDelete('CASCADE')
    table.string('agent_id', 64).notNullable()
    table.string('agent_name', 200).notNullable()
    table.string('invited_by', 64).nullable().comment('null: started the thread, or joined a room by themselves')
    table.bigInteger('invited_at').notNullable()
    table.bigInteger('joined_at').nullable().comment('null: invited, never joined')
    table.bigInteger('left_at').nullable()
    table.integer('last_read_seq').unsigned().notNullable().defaultTo(0).comment('read up to here: the unread count is last_seq minus this')
    table.primary(['conversation_id', 'agent_id'])
    table.index(['agent_id'], 'lc_im_participants_agent')
  })
  await knex.schema.createTable('lc_im_messages', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.integer('conversation_id').unsigned().notNullable().references('id').inTable('lc_im_conversations').onDelete('CASCADE')
    table.integer('seq').unsigned().notNullable().comment('1, 2, 3… per conversation: sockets resume by it')
    table.string('author_id', 64).nullable().comment('null for event lines ("Carol joined")')
    table.string('author_name', 200).notNullable()
    table.string('kind', 8).notNullable().comment('text or event')
    table.text('body').notNullable()
    table.string('client_msg_id', 64).nullable().comment('the sender\'s id for the message: a resend stores nothing twice')
    table.bigInteger('created_at').notNullable()
    table.unique(['conversation_id', 'seq'], { indexName: 'lc_im_messages_seq' })
    table.unique(['conversation_id', 'author_id', 'client_msg_id'], { indexName: 'lc_im_messages_client' })
  })
  await knex.schema.createTable('lc_im_room_access', (table) => {
    tableDefaults(knex, table)
    table.increments('id')
    table.integer('conversation_id').unsigned().notNullable().references('id').inTable('lc_im_conversations').onDelete('CASCADE')
    table.string('kind', 12).notNullable().comment('department, group or role')
    table.string('ref', 64).notNullable().comment('department id, group id, or host role name')
    table.string('created_by', 64).notNullable()
    table.bigInteger('created_at').notNullable()
    table.unique(['conversation_id', 'kind', 'ref'], { indexName: 'lc_im_room_access_rule' })
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('lc_im_room_access')
  await knex.schema.dropTableIfExists('lc_im_messages')
  await knex.schema.dropTableIfExists('lc_im_participants')
  await knex.schema.dropTableIfExists('lc_im_conversations')
}
