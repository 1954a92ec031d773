import type { Knex } from 'knex'

// Transaction mode: one DDL statement. The customer id a signed identity token vouched for
// when the chat started (docs/features.md#verified-customer-identity); null for a visitor
// whose identity nobody signed. The agent sees "verified" from it.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chats', (table) => {
    table.string('customer_verified_id', 64).nullable()
      .comment('the customer id (sub) of the signed identity token the chat started with; null when unverified')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chats', (table) => {
    table.dropColumn('customer_verified_id')
  })
}
