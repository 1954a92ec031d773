import type { Knex } from 'knex'
import { getDialect } from '../plugin/db/index.ts'

// Transaction mode: none; each step is one statement or a batch of its own, and a run cut
// short starts again where it stopped. The purge keeps the words of each chat it removes,
// taken from its messages as it removes them, so the chat's word rows are found by the
// primary key (word, chat, message) alone (docs/design.md §7). The index on chat_id
// of lc_message_words goes: every word row written or removed paid for a second B-tree,
// and the words phase rewrote each chat's pages of it in nearly every transaction. Before
// it goes, the word rows of chats the purge had removed but not yet their words are
// removed through it, since their messages are gone and their words cannot be taken again.
export const config = { transaction: false }

const chatsPerDelete = 100

export async function up (knex: Knex): Promise<void> {
  if (!await knex.schema.hasColumn('lc_purged_chat_words', 'words')) {
    for (;;) {
      const ids = (await knex('lc_purged_chat_words').select('chat_id').orderBy('chat_id').limit(chatsPerDelete)).map((r: { chat_id: number }) => Number(r.chat_id))
      if (ids.length === 0) break
      await knex.transaction(async (trx) => {
        await trx('lc_message_words').whereIn('chat_id', ids).delete()
        await trx('lc_purged_chat_words').whereIn('chat_id', ids).delete()
      })
    }
    await knex.schema.dropTable('lc_purged_chat_words')
    await createWords(knex)
  }
  if (await hasChatIndex(knex)) {
    if (getDialect(knex) === 'mysql') await knex.raw('ALTER TABLE lc_message_words DROP INDEX lc_message_words_chat')
    else await knex.raw('DROP INDEX lc_message_words_chat')
  }
}

export async function down (knex: Knex): Promise<void> {
  // The chats go back as the chats whose word rows are still to go, found again by chat_id.
  const chats = (await knex('lc_purged_chat_words').select('chat_id')).map((r: { chat_id: number }) => Number(r.chat_id))
  await knex.schema.dropTable('lc_purged_chat_words')
  await knex.schema.createTable('lc_purged_chat_words', (table) => { table.integer('chat_id').unsigned().notNullable().primary() })
  for (let i = 0; i < chats.length; i += chatsPerDelete) await knex('lc_purged_chat_words').insert(chats.slice(i, i + chatsPerDelete).map((id) => ({ chat_id: id })))
  if (!await hasChatIndex(knex)) {
    if (getDialect(knex) === 'mysql') await knex.raw('ALTER TABLE lc_message_words ADD INDEX lc_message_words_chat (chat_id)')
    else await knex.raw('CREATE INDEX lc_message_words_chat ON lc_message_words (chat_id)')
  }
}

/** A chat's words in one row: a purge batch writes one row a chat, and the words phase reads a group of chats' rows as one range. */
async function createWords (knex: Knex): Promise<void> {
  if (getDialect(knex) === 'mysql') {
    await knex.raw(`CREATE TABLE lc_purged_chat_words (
      chat_id INT UNSIGNED NOT NULL PRIMARY KEY COMMENT 'a chat the purge removed; no foreign key, its row is gone',
      words MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL COMMENT 'the words of its messages as lc_message_words keeps them, space-separated'
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`)
  } else {
    await knex.raw('CREATE TABLE lc_purged_chat_words (chat_id INTEGER PRIMARY KEY, words TEXT NOT NULL)')
  }
}

async function hasChatIndex (knex: Knex): Promise<boolean> {
  if (getDialect(knex) === 'mysql') {
    const [rows] = await knex.raw("SHOW INDEX FROM lc_message_words WHERE Key_name = 'lc_message_words_chat'") as [unknown[]]
    return rows.length > 0
  }
  return (await knex.raw("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'lc_message_words_chat'") as unknown[]).length > 0
}
