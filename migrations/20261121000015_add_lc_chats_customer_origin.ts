import type { Knex } from 'knex'

// Where a customer chatted from, as the chat header shows it: the
// address the request came from and a short description of the browser.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chats', (table) => {
    table.string('customer_ip', 45).nullable().comment('the address the pre-chat form came from, as the host\'s trustProxy sees it')
    table.string('customer_agent', 120).nullable().comment('browser and system, summarised from the User-Agent')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chats', (table) => {
    table.dropColumn('customer_ip')
    table.dropColumn('customer_agent')
  })
}
