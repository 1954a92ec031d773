import type { Knex } from 'knex'
import { createFullTextIndex, dropFullTextIndex } from '../../plugin/db/fulltext.ts'
import { kbSearchIndex } from '../search.ts'

// Ranked search of the knowledge base: a FULLTEXT index on MySQL, an FTS5 table kept in step
// by triggers on SQLite (plugin/db/fulltext.ts). One DDL step on MySQL.
export async function up (knex: Knex): Promise<void> {
  await createFullTextIndex(knex, kbSearchIndex)
}

export async function down (knex: Knex): Promise<void> {
  await dropFullTextIndex(knex, kbSearchIndex)
}
