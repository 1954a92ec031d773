import type { Knex } from 'knex'
import { createFullTextIndex, type FullTextIndex } from '../plugin/db/fulltext.ts'
import { getDialect } from '../plugin/db/index.ts'

// Transaction mode: none (config below). A narrow copy of what search reads of each message
// (docs/design.md §9 Scale): its id, its chat and its words, so that a full-text search on a
// desk of millions of messages reads small rows, not lc_messages' wide ones. One DDL
// statement on MySQL (the FULLTEXT index follows in migration 040, once the rows are in:
// building it once is far quicker than keeping it up row by row); then the copy, in batches
// of message ids, each its own statement, so a large desk never holds one long transaction
// and a copy cut short resumes after the last message it copied. On SQLite the FTS5 table
// and its triggers are created after the copy and filled from it.
// Written out here, not imported from the stores: a migration stays as it ran.
export const config = { transaction: false }

const sqliteIndex: FullTextIndex = { table: 'lc_message_search', key: 'id', columns: ['body'], name: 'lc_message_search_body_ft' }
/** A file or a shared article's body is JSON: its keys would match nearly every one, so they are never searched. */
const jsonKinds = ['file', 'kb_share']
const batch = 10_000

export async function up (knex: Knex): Promise<void> {
  if (!await knex.schema.hasTable('lc_message_search')) {
    await knex.schema.createTable('lc_message_search', (table) => {
      if (getDialect(knex) === 'mysql') {
        table.engine('InnoDB')
        table.charset('utf8mb4')
        table.collate('utf8mb4_unicode_ci')
      }
      table.integer('id').unsigned().primary().comment('lc_messages.id of the message whose words these are')
      table.integer('chat_id').unsigned().notNullable()
      table.text('body').notNullable().comment('the message\'s text as sent; messages whose body is JSON (files, shared articles) have no row')
      table.index(['chat_id'], 'lc_message_search_chat')
    })
  }
  const done = await knex('lc_message_search').max({ id: 'id' }).first() as { id: number | string | null } | undefined
  const last = await knex('lc_messages').max({ id: 'id' }).first() as { id: number | string | null } | undefined
  for (let from = Number(done?.id ?? 0), end = Number(last?.id ?? 0); from < end; from += batch) {
    await knex.raw('INSERT INTO ?? (??, ??, ??) SELECT ??, ??, ?? FROM ?? WHERE ?? > ? AND ?? <= ? AND ?? NOT IN (?, ?)', [
      'lc_message_search', 'id', 'chat_id', 'body', 'id', 'chat_id', 'body', 'lc_messages', 'id', from, 'id', from + batch, 'kind', ...jsonKinds
    ])
  }
  if (getDialect(knex) !== 'mysql') await createFullTextIndex(knex, sqliteIndex)
}

export async function down (knex: Knex): Promise<void> {
  if (getDialect(knex) !== 'mysql') {
    for (const suffix of ['ai', 'ad', 'au']) await knex.raw(`DROP TRIGGER IF EXISTS "${sqliteIndex.name}_${suffix}"`)
    await knex.raw(`DROP TABLE IF EXISTS "${sqliteIndex.name}"`)
  }
  await knex.schema.dropTableIfExists('lc_message_search')
}
