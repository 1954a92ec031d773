import type { Knex } from 'knex'

// Transaction mode: one DDL statement. Read marks both ways (docs/features.md#read-marks): how far
// the customer's window has shown the chat, so the agent's transcript marks their messages Read;
// the agent's side is agent_read_seq.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chats', (table) => {
    table.integer('customer_read_seq').notNullable().defaultTo(0).comment('the customer has seen the chat up to here (their window visible, at its end): the agent\'s messages up to it show Read')
  })
}

export async function down (knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn('lc_chats', 'customer_read_seq')) {
    await knex.schema.alterTable('lc_chats', (table) => { table.dropColumn('customer_read_seq') })
  }
}
