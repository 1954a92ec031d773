import type { Knex } from 'knex'
import { affected, getDialect } from '../db/index.ts'
import { wordsOfAll } from '../db/words.ts'
import { unsearchedKinds, type Db } from './store.ts'

/**
 * The purge of deleted chats past retention (docs/features.md#purge, docs/design.md §7):
 * its reads, the lock on the chats still to go, and the deletes from every table that
 * holds a chat's rows. The job (plugin/jobs/purge.ts) paces the batches.
 */

/**
 * Every plugin table with a chat_id column: what a chat leaves behind. The purge removes a
 * chat's rows from each of them before the chat itself, so nothing depends on foreign keys
 * cascading. A test lists the tables with a chat_id column on both databases and fails when
 * one is missing here or in `wordTables`: a new table of chat data must be added to this list.
 */
export const chatTables = [
  'lc_messages',
  'lc_chat_history',
  'lc_chat_comments',
  'lc_chat_items',
  'lc_chat_pins',
  'lc_chat_surveys',
  'lc_chat_field_values',
  'lc_chat_files'
] as const

/**
 * Tables the purge's words phase empties after the chat batches (docs/design.md §7): a
 * purged chat's word rows, and its words whose rows are still to go, taken from its
 * messages as the chat batch removed them. Search never sees the rows left between the phases: it
 * reads lc_message_words only joined to lc_chats, and a purged chat's id is never given to
 * another chat.
 */
export const wordTables = ['lc_message_words', 'lc_purged_chat_words'] as const

/**
 * Tables with a chat_id the purge leaves: the reports' facts hold no customer data (ids, times, outcome, rating),
 * so a purged chat still counts in the period it started (docs/reports.md, "What is kept").
 */
export const keptAfterPurge = ['lc_chat_facts'] as const

/** What one batch removed. */
export interface PurgedBatch {
  chats: number
  /** Rows removed per table, lc_chats included. */
  rows: Record<string, number>
  /** Storage names of the batch's files, to remove from disk once the rows are committed. */
  storageNames: string[]
}

/**
 * Deleted chats past retention with an id above `after`, oldest id first; read without
 * locks, so live chats are never held up by the scan.
 */
export async function purgeCandidates (db: Db, deletedBefore: number, limit: number, after = 0): Promise<number[]> {
  const rows = await db('lc_chats').select('id').whereNotNull('deleted_at').andWhere('deleted_at', '<', deletedBefore).andWhere('id', '>', after)
    .orderBy('id', 'asc').limit(limit)
  return rows.map((r: { id: number }) => Number(r.id))
}

/**
 * Inside one short transaction: locks the candidates that are still deleted and past
 * retention (by primary key, so no other row is locked; a chat undeleted since the scan
 * is left alone), then removes their rows from every chat table and the chats themselves.
 */
export async function purgeBatch (trx: Knex.Transaction, candidates: number[], deletedBefore: number): Promise<PurgedBatch> {
  const rows: Record<string, number> = {}
  const q = trx('lc_chats').select('id').whereIn('id', candidates).whereNotNull('deleted_at').andWhere('deleted_at', '<', deletedBefore)
  if (getDialect(trx) === 'mysql') q.forUpdate()
  const ids = (await q).map((r: { id: number }) => Number(r.id))
  if (ids.length === 0) return { chats: 0, rows, storageNames: [] }
  const files = await trx('lc_chat_files').select('storage_name').whereIn('chat_id', ids)
  // The words go in the words phase, many chats' rows of a word at a time (`purgeWords`),
  // found by the words kept here: lc_message_words has no index on chat_id.
  const words = await chatWords(trx, ids)
  for (let at = 0; at < words.length; at += keptWordsPerInsert) await trx('lc_purged_chat_words').insert(words.slice(at, at + keptWordsPerInsert))
  for (const table of chatTables) rows[table] = affected(await trx(table).whereIn('chat_id', ids).delete())
  rows.lc_chats = affected(await trx('lc_chats').whereIn('id', ids).delete())
  return { chats: rows.lc_chats, rows, storageNames: files.map((f: { storage_name: string }) => f.storage_name) }
}

/**
 * Chats' words per INSERT at most: knex writes SQLite's multi-row INSERT as a compound
 * SELECT, which SQLite caps at 500 terms, and a batch may be up to 5,000 chats (setting
 * purgeBatchSize), whose words in one statement could pass MySQL's largest packet.
 */
const keptWordsPerInsert = 100

/**
 * Each chat's words, as its word rows were written (`indexWords`, of the same kinds of
 * message), space-separated (a word is letters and digits only): one row per chat, so
 * the batch pays one insert a chat, not one a word. A message whose words were still due
 * (SQLite) gives words with no row yet; removing them is a no-op, and once its message is
 * gone its words are never written.
 */
async function chatWords (trx: Knex.Transaction, ids: number[]): Promise<Array<{ chat_id: number, words: string }>> {
  const messages = await trx('lc_messages').select('chat_id', 'body').whereIn('chat_id', ids).whereNotIn('kind', unsearchedKinds) as Array<{ chat_id: number, body: string }>
  const bodies = new Map<number, string[]>()
  for (const m of messages) {
    const chatId = Number(m.chat_id)
    const list = bodies.get(chatId)
    if (list === undefined) bodies.set(chatId, [m.body])
    else list.push(m.body)
  }
  return [...bodies].map(([chatId, list]) => ({ chat_id: chatId, words: wordsOfAll(list).join(' ') })).filter((r) => r.words !== '')
}

/**
 * Up to `limit` purged chats whose word rows are still there, lowest id first: chats purged
 * together have neighbouring ids, so their rows of a word lie side by side.
 */
export async function pendingWordChats (db: Db, limit: number): Promise<number[]> {
  const rows = await db('lc_purged_chat_words').select('chat_id').orderBy('chat_id', 'asc').limit(limit)
  return rows.map((r: { chat_id: number }) => Number(r.chat_id))
}

/** Every (word, chat) pair the purged chats' word rows may hold, from the words the chat batches kept; read without locks. */
export async function wordPairs (db: Db, chatIds: number[]): Promise<Array<[word: string, chatId: number]>> {
  const rows = await db('lc_purged_chat_words').select('chat_id', 'words').whereIn('chat_id', chatIds) as Array<{ chat_id: number, words: string }>
  return rows.flatMap((r) => r.words.split(' ').map((word): [string, number] => [word, Number(r.chat_id)]))
}

/**
 * Inside one short transaction: the word rows of the purged chats' `pairs` (word, chat), and
 * only those (a word IN … AND chat_id IN … looked up every combination, most of them empty):
 * on MySQL/MariaDB one range of the primary key per word, on SQLite one list of pairs. With
 * `last`, `chatIds` leave the pending list too: their word rows are gone.
 */
export async function purgeWords (trx: Knex.Transaction, chatIds: number[], pairs: Array<[string, number]>, last: boolean): Promise<number> {
  const n = pairs.length === 0 ? 0 : getDialect(trx) === 'sqlite' ? await deletePairsListed(trx, pairs) : await deletePairsByWord(trx, pairs)
  if (last) await trx('lc_purged_chat_words').whereIn('chat_id', chatIds).delete()
  return n
}

/**
 * On SQLite the pairs go as one list, `(word, chat_id) IN (VALUES …)`, its length rounded up
 * to a power of two (the last pair repeated), so a few statements of the same text serve
 * every batch and each is prepared once. The ranges below gave every batch a statement of
 * its own, and SQLite took longer to prepare and run its OR of ranges (256 pairs: 0.5 ms to
 * prepare, 2.7 to run) than the list's lookups, all of it on the event loop.
 */
async function deletePairsListed (trx: Knex.Transaction, pairs: Array<[string, number]>): Promise<number> {
  let size = 16
  while (size < pairs.length) size *= 2
  const bindings: Array<string | number> = []
  for (let i = 0; i < size; i++) bindings.push(...pairs[Math.min(i, pairs.length - 1)]!)
  return affected(await trx('lc_message_words').whereRaw(`(word, chat_id) IN (VALUES ${pairList(size)})`, bindings).delete())
}

const pairLists = new Map<number, string>()
function pairList (size: number): string {
  let list = pairLists.get(size)
  if (list === undefined) pairLists.set(size, list = Array.from({ length: size }, () => '(?, ?)').join(', '))
  return list
}

/** On MySQL/MariaDB, a range of the primary key per word: a word's rows of all the chats come off the same page or two. */
async function deletePairsByWord (trx: Knex.Transaction, pairs: Array<[string, number]>): Promise<number> {
  const byWord = new Map<string, number[]>()
  for (const [word, chatId] of pairs) {
    const ids = byWord.get(word)
    if (ids) ids.push(chatId)
    else byWord.set(word, [chatId])
  }
  return affected(await trx('lc_message_words').where((w) => { for (const [word, ids] of byWord) w.orWhere((p) => p.where('word', word).whereIn('chat_id', ids)) }).delete())
}
