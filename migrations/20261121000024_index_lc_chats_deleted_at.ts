import type { Knex } from 'knex'

// Transaction mode: one DDL statement (MySQL DDL commits implicitly anyway).
// Deleted Items reads the few deleted chats among many (`deleted_at IS NOT NULL`), and
// the purge job those deleted before its retention cutoff (`deleted_at < ?`): both by
// range on this index instead of a scan of every chat.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chats', (table) => {
    table.index(['deleted_at'], 'lc_chats_deleted_at')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('lc_chats', (table) => {
    table.dropIndex(['deleted_at'], 'lc_chats_deleted_at')
  })
}
