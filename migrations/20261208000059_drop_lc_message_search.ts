import type { Knex } from 'knex'
import { getDialect } from '../plugin/db/index.ts'
import * as createMessageSearch from './20261208000039_create_lc_message_search.ts'
import * as moveMessagesBodyIndex from './20261208000040_move_lc_messages_body_index.ts'

// Transaction mode: none; one DDL statement on MySQL. Search reads messages' words from
// lc_message_words now (migration 058, docs/design.md §9 Scale), so the copy of every
// message's text that full-text search read goes, and a message is written once less.
// Down builds it again as 039 and 040 did: the copy from lc_messages, then its index.
export const config = { transaction: false }

const ftsName = 'lc_message_search_body_ft'

export async function up (knex: Knex): Promise<void> {
  if (getDialect(knex) !== 'mysql') {
    for (const suffix of ['ai', 'ad', 'au']) await knex.raw(`DROP TRIGGER IF EXISTS "${ftsName}_${suffix}"`)
    await knex.raw(`DROP TABLE IF EXISTS "${ftsName}"`)
  }
  await knex.schema.dropTableIfExists('lc_message_search')
}

export async function down (knex: Knex): Promise<void> {
  await createMessageSearch.up(knex)
  await moveMessagesBodyIndex.up(knex)
}
