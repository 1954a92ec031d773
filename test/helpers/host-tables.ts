import type { Knex } from 'knex'

/**
 * The columns of a tickets table shaped like the demo desk's, for tests that build a desk
 * table of their own (another ref length, character set or extra column) and map it with
 * the demo mapping.
 */
export function demoTicketColumns (table: Knex.CreateTableBuilder, refLength = 20): void {
  table.increments('id')
  table.string('ref', refLength).unique()
  table.string('kind', 20).notNullable()
  table.string('summary', 255).notNullable()
  table.text('description').notNullable()
  table.string('status', 40).notNullable()
  table.string('status_reason', 120).nullable()
  table.integer('requester_id').nullable()
  table.integer('assignee_id').nullable()
  table.integer('chat_id').nullable()
  table.integer('template_id').nullable()
  table.text('details').nullable()
  table.text('resolution').nullable()
  table.string('requester_name', 255).nullable()
  table.string('requester_email', 255).nullable()
  table.string('channel', 20).nullable()
  table.bigInteger('created_at').notNullable()
  table.bigInteger('updated_at').notNullable()
}
