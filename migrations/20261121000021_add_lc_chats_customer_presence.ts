import type { Knex } from 'knex'

// Whether the customer still has the chat window open (DESIGN §4, "Customer left"): their
// sockets, on whichever instance, refresh customer_seen_at; the customer-gone job sets
// customer_gone_at once it is older than the grace period. Distinct from customer_left_at,
// which is the customer pressing End chat.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chats', (table) => {
    table.bigInteger('customer_seen_at').nullable().comment('last time a socket of the customer\'s chat window was known open; null: never (counts from created_at)')
    table.bigInteger('customer_gone_at').nullable().comment('set by the customer-gone job when no window was open for the grace period; cleared when one opens again')
  })
  // Chats open at upgrade time get the full grace period: their customers' windows
  // reconnect to the new version and refresh it, and must not be shown as gone meanwhile.
  await knex('lc_chats').whereIn('status', ['queued', 'active']).update({ customer_seen_at: Date.now() })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chats', (table) => {
    table.dropColumn('customer_seen_at')
    table.dropColumn('customer_gone_at')
  })
}
