import type { Knex } from 'knex'
import { createFullTextIndex, dropFullTextIndex, type FullTextIndex } from '../plugin/db/fulltext.ts'

// Transaction mode: one DDL statement on MySQL (ALTER TABLE … ADD FULLTEXT, which rebuilds
// the table once to add InnoDB's FTS_DOC_ID); on SQLite an FTS5 table and its three
// triggers, created and filled together. Advanced Search and the lists' search box find
// chats by the words of their messages (plugin/search).
// Written out here, not imported from the store: a migration stays as it ran.
const index: FullTextIndex = { table: 'lc_messages', key: 'id', columns: ['body'], name: 'lc_messages_body_ft' }

export async function up (knex: Knex): Promise<void> {
  await createFullTextIndex(knex, index)
}

export async function down (knex: Knex): Promise<void> {
  await dropFullTextIndex(knex, index)
}
