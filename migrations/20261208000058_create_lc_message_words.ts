import type { Knex } from 'knex'
import { getDialect } from '../plugin/db/index.ts'
import { indexWords } from '../plugin/db/words.ts'

// Transaction mode: none (config below). The word index search reads messages' words from
// (docs/design.md §9 Scale): one row per distinct word of a message, under a primary key of
// (word, chat, message), so a search for a word reads one contiguous range of it, not a row
// per message found. The words are binary-compared (folded to lower case without accents
// when written), so both databases find the same. One DDL statement on MySQL; then the
// words of the messages already there, a batch of chats per transaction, so a large desk
// never holds one long transaction and a run cut short resumes after the last chat done.
// The words are cut by plugin/db/words.ts, as each new message's are.
export const config = { transaction: false }

/** A file or a shared article's body is JSON: its keys would match nearly every one, so they are never searched. */
const jsonKinds = ['file', 'kb_share']
const chatsPerBatch = 500
const rowsPerInsert = 1000

export async function up (knex: Knex): Promise<void> {
  if (!await knex.schema.hasTable('lc_message_words')) {
    if (getDialect(knex) === 'mysql') {
      await knex.raw(`CREATE TABLE lc_message_words (
        word VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL COMMENT 'a word of the message, lower case without accents (plugin/db/words.ts)',
        chat_id INT UNSIGNED NOT NULL,
        message_id INT UNSIGNED NOT NULL COMMENT 'lc_messages.id; files and shared articles have no words here',
        PRIMARY KEY (word, chat_id, message_id),
        KEY lc_message_words_chat (chat_id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`)
    } else {
      // WITHOUT ROWID: the primary key is the table, as InnoDB's is, so a word's range holds all a search reads.
      await knex.raw('CREATE TABLE lc_message_words (word TEXT NOT NULL, chat_id INTEGER NOT NULL, message_id INTEGER NOT NULL, PRIMARY KEY (word, chat_id, message_id)) WITHOUT ROWID')
      await knex.raw('CREATE INDEX lc_message_words_chat ON lc_message_words (chat_id)')
    }
  }
  // Each batch commits whole, so the last chat with words is done; its messages are not read again.
  const done = await knex('lc_message_words').max({ id: 'chat_id' }).first() as { id: number | string | null } | undefined
  const last = await knex('lc_messages').max({ id: 'chat_id' }).first() as { id: number | string | null } | undefined
  for (let from = Number(done?.id ?? 0), end = Number(last?.id ?? 0); from < end; from += chatsPerBatch) {
    const messages = await knex('lc_messages').select('id', 'chat_id', 'body')
      .where('chat_id', '>', from).andWhere('chat_id', '<=', from + chatsPerBatch).whereNotIn('kind', jsonKinds) as Array<{ id: number, chat_id: number, body: string }>
    // In key order, so each statement writes into neighbouring pages rather than all over the index.
    const rows = messages.flatMap((m) => indexWords(m.body).map((word): [string, number, number] => [word, m.chat_id, m.id]))
      .sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1] || a[2] - b[2])
    // A VALUES list: knex's multi-row insert on SQLite is a compound SELECT, capped at 500 terms.
    await knex.transaction(async (trx) => {
      for (let i = 0; i < rows.length; i += rowsPerInsert) {
        const slice = rows.slice(i, i + rowsPerInsert)
        await trx.raw(`INSERT INTO lc_message_words (word, chat_id, message_id) VALUES ${slice.map(() => '(?, ?, ?)').join(', ')}`, slice.flat())
      }
    })
  }
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('lc_message_words')
}
