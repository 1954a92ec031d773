import type { Knex } from 'knex'
import { getDialect } from '../plugin/db/index.ts'

// Transaction mode: the default (one CREATE). The messages whose words are still to be
// written to lc_message_words (docs/design.md §9, "What one message costs"): on SQLite a
// text message's transaction stores only its id here, and its words go in a moment later
// with those of every message written since, in one sorted INSERT; a search first writes
// what is due, so it finds every message stored. Written per message, so it holds nothing
// but the id: an append at the end of one B-tree. Kept on MySQL/MariaDB too, where it stays
// empty, so both databases have the same tables.

export async function up (knex: Knex): Promise<void> {
  if (await knex.schema.hasTable('lc_message_words_due')) return
  if (getDialect(knex) === 'mysql') {
    await knex.raw(`CREATE TABLE lc_message_words_due (
      message_id INT UNSIGNED NOT NULL PRIMARY KEY COMMENT 'lc_messages.id of a message whose words are not written yet'
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`)
  } else {
    // INTEGER PRIMARY KEY: the id is the rowid, so a row is one entry of one B-tree.
    await knex.raw('CREATE TABLE lc_message_words_due (message_id INTEGER PRIMARY KEY)')
  }
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('lc_message_words_due')
}
