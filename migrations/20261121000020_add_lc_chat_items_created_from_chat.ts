import type { Knex } from 'knex'

// Transaction mode: one DDL statement. A ticket the agent made from the chat's transcript
// (Create Incident / Work Order) rather than an existing one linked by its reference: Abandon
// cancels only the former (docs/features.md#abandon).
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chat_items', (table) => {
    table.boolean('created_from_chat').notNullable().defaultTo(false).comment('tickets: made from this chat, so abandoning the chat cancels it')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chat_items', (table) => {
    table.dropColumn('created_from_chat')
  })
}
