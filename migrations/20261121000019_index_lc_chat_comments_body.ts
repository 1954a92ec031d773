import type { Knex } from 'knex'
import { createFullTextIndex, dropFullTextIndex, type FullTextIndex } from '../plugin/db/fulltext.ts'

// Transaction mode: one DDL statement on MySQL (ALTER TABLE … ADD FULLTEXT); on SQLite an
// FTS5 table and its three triggers, created and filled together. Past resolutions are
// suggested for a new chat's question by searching this index (plugin/comments).
// Written out here, not imported from the store: a migration stays as it ran.
const index: FullTextIndex = { table: 'lc_chat_comments', key: 'id', columns: ['body'], name: 'lc_chat_comments_body_ft' }

export async function up (knex: Knex): Promise<void> {
  await createFullTextIndex(knex, index)
}

export async function down (knex: Knex): Promise<void> {
  await dropFullTextIndex(knex, index)
}
