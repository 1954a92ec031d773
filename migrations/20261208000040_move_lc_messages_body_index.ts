import type { Knex } from 'knex'
import { createFullTextIndex, dropFullTextIndex, type FullTextIndex } from '../plugin/db/fulltext.ts'
import { getDialect } from '../plugin/db/index.ts'

// Transaction mode: none; on MySQL two DDL statements, each checked first, so a run cut
// short between them finishes when run again. Search reads messages' words from
// lc_message_search now (migration 039, docs/design.md §9 Scale): its FULLTEXT index is
// built here, over the rows copied, and the one on lc_messages goes, so a message's words
// are indexed once. On SQLite the FTS5 table of 039 already serves; only the old one goes.
// Written out here, not imported from the stores: a migration stays as it ran.
export const config = { transaction: false }

const searchIndex: FullTextIndex = { table: 'lc_message_search', key: 'id', columns: ['body'], name: 'lc_message_search_body_ft' }
const messagesIndex: FullTextIndex = { table: 'lc_messages', key: 'id', columns: ['body'], name: 'lc_messages_body_ft' }

async function hasMysqlIndex (knex: Knex, table: string, name: string): Promise<boolean> {
  const [rows] = await knex.raw('SELECT 1 FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ? LIMIT 1', [table, name]) as [unknown[]]
  return rows.length > 0
}

export async function up (knex: Knex): Promise<void> {
  if (getDialect(knex) === 'mysql') {
    if (!await hasMysqlIndex(knex, searchIndex.table, searchIndex.name)) await createFullTextIndex(knex, searchIndex)
    if (await hasMysqlIndex(knex, messagesIndex.table, messagesIndex.name)) await dropFullTextIndex(knex, messagesIndex)
    return
  }
  await dropFullTextIndex(knex, messagesIndex)
}

export async function down (knex: Knex): Promise<void> {
  if (getDialect(knex) === 'mysql') {
    if (!await hasMysqlIndex(knex, messagesIndex.table, messagesIndex.name)) await createFullTextIndex(knex, messagesIndex)
    if (await hasMysqlIndex(knex, searchIndex.table, searchIndex.name)) await dropFullTextIndex(knex, searchIndex)
    return
  }
  await createFullTextIndex(knex, messagesIndex)
}
