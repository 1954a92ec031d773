import type { Knex } from 'knex'
import { getDialect } from '../plugin/db/index.ts'

// Transaction mode: one DDL statement (MySQL DDL commits implicitly anyway).
// The customer panel finds a signed-out customer's earlier chats by email. MySQL's
// collation already compares emails case-insensitively; on SQLite the index is NOCASE so
// the store's `collate nocase` lookup can use it.
export async function up (knex: Knex): Promise<void> {
  if (getDialect(knex) === 'sqlite') {
    await knex.raw('create index lc_chats_customer_email on lc_chats (customer_email collate nocase)')
    return
  }
  await knex.schema.alterTable('lc_chats', (table) => {
    table.index(['customer_email'], 'lc_chats_customer_email')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chats', (table) => {
    table.dropIndex(['customer_email'], 'lc_chats_customer_email')
  })
}
