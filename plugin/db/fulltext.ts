import type { Knex } from 'knex'
import { getDialect } from './index.ts'

/**
 * Full-text search on both databases behind one helper (docs/design.md §3): a FULLTEXT index on
 * MySQL/MariaDB, an FTS5 table kept in step by triggers on SQLite. What a person typed
 * never reaches either query language as syntax: it is cut into words first, and only
 * words go in, each quoted or suffixed by us. Quotes, operators and brackets are dropped.
 */
export interface FullTextIndex {
  /** The table searched. */
  table: string
  /** Its integer primary key: the FTS5 rowid on SQLite. */
  key: string
  /** The text columns searched together. */
  columns: string[]
  /** The FULLTEXT index's name on MySQL; the FTS5 table's on SQLite. */
  name: string
  /** SQLite only: bm25 weight per column, in `columns` order (say, a title counting ten times its body). */
  weights?: number[]
  /**
   * MySQL/MariaDB only: a second FULLTEXT index, on the first column alone, whose relevance
   * is added `weight - 1` more times, so that column's words count as `weights` make them
   * count on SQLite. One FULLTEXT index weighs all its columns alike.
   */
  boost?: { name: string, weight: number }
}

/**
 * InnoDB's default stopword list, which MySQL and MariaDB never index, and the most common
 * English words besides, so both databases drop the same words and a question such as
 * "How do I reset my password?" searches for "reset" and "password" only.
 */
const stopwords = new Set([
  // InnoDB's INNODB_FT_DEFAULT_STOPWORD
  'a', 'about', 'an', 'are', 'as', 'at', 'be', 'by', 'com', 'de', 'en', 'for', 'from', 'how', 'i', 'in', 'is', 'it',
  'la', 'of', 'on', 'or', 'that', 'the', 'this', 'to', 'was', 'what', 'when', 'where', 'who', 'will', 'with', 'und', 'www',
  // Common English words that say nothing about a problem
  'and', 'any', 'but', 'can', 'cannot', 'could', 'did', 'does', 'doing', 'done', 'don', 'get', 'got', 'had', 'has', 'have',
  'having', 'her', 'here', 'him', 'his', 'its', 'just', 'let', 'like', 'may', 'might', 'mine', 'more', 'most', 'much', 'must',
  'need', 'not', 'now', 'off', 'our', 'ours', 'out', 'over', 'please', 'she', 'should', 'some', 'such', 'than', 'thank',
  'thanks', 'their', 'them', 'then', 'there', 'these', 'they', 'those', 'too', 'very', 'want', 'way', 'were', 'which',
  'while', 'why', 'would', 'yes', 'you', 'your', 'yours', 'hello', 'help', 'hey', 'still', 'also', 'all', 'again', 'one',
  'into', 'onto', 'able', 'been', 'being', 'each', 'ever', 'every', 'same', 'other', 'only', 'own', 'all', 'both', 'few',
  'after', 'before', 'because', 'until', 'use', 'using', 'used', 'try', 'tried', 'trying', 'keep', 'keeps', 'know', 'see'
])

/** Shorter words are not indexed by InnoDB (innodb_ft_min_token_size = 3), so neither side searches them. */
const minWordLength = 3
const maxWordLength = 40
/** More words than this add nothing to relevance and only slow the query. */
export const maxSearchWords = 12
/** Only this much of what was typed is looked at: a pasted page does not become a huge query. */
const maxInputLength = 1000

/**
 * The words of a search: letters and digits only, lower case, stopwords and short words
 * dropped, each once, at most `maxSearchWords`. Empty when nothing is worth searching for.
 */
export function searchWords (input: string): string[] {
  return textWords(input.slice(0, maxInputLength), maxSearchWords)
}

/** The words of `text` by the rules of `searchWords`, each once, in order, `limit` at most. */
export function textWords (text: string, limit = Infinity): string[] {
  const words = new Set<string>()
  for (const raw of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    const word = raw.slice(0, maxWordLength)
    if (word.length < minWordLength || stopwords.has(word)) continue
    words.add(word)
    if (words.size === limit) break
  }
  return [...words]
}

export interface FullTextMatch {
  /** The words searched for, for excerpts and highlighting. */
  words: string[]
  /**
   * Narrows `query` (which reads `index.table`, optionally under `alias`) to the rows
   * matching, and selects their relevance as `ft_score`: higher is better on both databases.
   */
  apply: (query: Knex.QueryBuilder) => Knex.QueryBuilder
}

/**
 * A full-text condition for `input` on `index`, or null when it holds no word worth
 * searching for (the caller then finds nothing, or leaves the condition out).
 * `all`: every word must be present (a search box); `any`: rows with any word, ranked
 * (suggestions for a question).
 */
export function fullTextMatch (knex: Knex, index: FullTextIndex, input: string, { mode = 'any', alias }: { mode?: 'any' | 'all', alias?: string } = {}): FullTextMatch | null {
  const words = searchWords(input)
  if (words.length === 0) return null
  const from = alias ?? index.table
  if (getDialect(knex) === 'mysql') {
    // Boolean mode: `word*` for prefixes, `+` when every word must be there; the words
    // hold only letters and digits, so nothing else in the string is an operator.
    const against = words.map((w) => `${mode === 'all' ? '+' : ''}${w}*`).join(' ')
    const columns = index.columns.map(() => '??.??').join(', ')
    const bindings = index.columns.flatMap((c) => [from, c])
    const match = `MATCH (${columns}) AGAINST (? IN BOOLEAN MODE)`
    const boost = index.boost && index.boost.weight > 1
      ? { sql: ' + ? * MATCH (??.??) AGAINST (? IN BOOLEAN MODE)', bindings: [index.boost.weight - 1, from, index.columns[0]!, against] }
      : { sql: '', bindings: [] }
    return {
      words,
      apply: (query) => query
        .whereRaw(match, [...bindings, against])
        .select(knex.raw(`${match}${boost.sql} AS ft_score`, [...bindings, against, ...boost.bindings]))
    }
  }
  // FTS5: each word a quoted string with a prefix star; quoting makes it a plain term
  // whatever it is (a column name, AND, NEAR). bm25 is better when lower, so negated.
  const expression = words.map((w) => `"${w}"*`).join(mode === 'all' ? ' AND ' : ' OR ')
  const weights = index.weights ? `, ${index.weights.map((w) => Number(w).toFixed(2)).join(', ')}` : ''
  const ranked = knex.raw(`(SELECT rowid AS ft_id, -bm25(??${weights}) AS ft_score FROM ?? WHERE ?? MATCH ?) AS ft`, [index.name, index.name, index.name, expression])
  return {
    words,
    apply: (query) => query.join(ranked, 'ft.ft_id', `${from}.${index.key}`).select('ft.ft_score')
  }
}

/** `text` as a LIKE pattern matching itself anywhere, its `%`, `_` and `!` escaped with `!` (the same on both databases). */
export function likeContaining (text: string): string {
  return `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`
}

/** Columns searched with LIKE, for a table that has no full-text index. */
export interface LikeColumns {
  /** The text columns searched, each with its weight: a hit in a column of weight 10 counts ten times one of weight 1. */
  columns: Array<{ name: string, weight: number, /** The table's alias in the query, where not the match's own (a joined side table). */ alias?: string }>
}

/**
 * The same condition as `fullTextMatch` where no full-text index exists: each word of `input`
 * (searchWords) is looked for anywhere in the columns with LIKE, escaped; `ft_score` adds
 * up the weights of the columns each word is in. Null for a question of no real words.
 * Slower than an index on a large table, and it finds a word inside a longer one.
 */
export function likeMatch (knex: Knex, like: LikeColumns, input: string, { mode = 'any', alias }: { mode?: 'any' | 'all', alias: string }): FullTextMatch | null {
  const words = searchWords(input)
  if (words.length === 0 || like.columns.length === 0) return null
  const hit = "??.?? LIKE ? ESCAPE '!'"
  const anyColumn = `(${like.columns.map(() => hit).join(' OR ')})`
  const condition = words.map(() => anyColumn).join(mode === 'all' ? ' AND ' : ' OR ')
  const conditionBindings = words.flatMap((w) => like.columns.flatMap((c) => [c.alias ?? alias, c.name, likeContaining(w)]))
  const score = words.flatMap(() => like.columns.map(() => `(CASE WHEN ${hit} THEN ? ELSE 0 END)`)).join(' + ')
  const scoreBindings = words.flatMap((w) => like.columns.flatMap((c) => [c.alias ?? alias, c.name, likeContaining(w), Number(c.weight)]))
  return {
    words,
    apply: (query) => query
      .whereRaw(`(${condition})`, conditionBindings)
      .select(knex.raw(`${score} AS ft_score`, scoreBindings))
  }
}

/**
 * Creates the index `fullTextMatch` searches, for a migration (ours or a host's, for the
 * tables `sqlHost` searches). On SQLite: an external-content FTS5 table over the
 * columns, filled from the rows already there and kept in step by triggers.
 */
export async function createFullTextIndex (knex: Knex, index: FullTextIndex): Promise<void> {
  if (getDialect(knex) === 'mysql') {
    await knex.raw(`ALTER TABLE ?? ADD FULLTEXT INDEX ?? (${index.columns.map(() => '??').join(', ')})`, [index.table, index.name, ...index.columns])
    if (index.boost) await knex.raw('ALTER TABLE ?? ADD FULLTEXT INDEX ?? (??)', [index.table, index.boost.name, index.columns[0]!])
    return
  }
  const cols = index.columns.map((c) => `"${c}"`).join(', ')
  const newCols = index.columns.map((c) => `new."${c}"`).join(', ')
  const oldCols = index.columns.map((c) => `old."${c}"`).join(', ')
  const fts = `"${index.name}"`
  const table = `"${index.table}"`
  const key = `"${index.key}"`
  await knex.raw(`CREATE VIRTUAL TABLE ${fts} USING fts5(${cols}, content=${table}, content_rowid=${key}, tokenize='porter unicode61')`)
  await knex.raw(`CREATE TRIGGER "${index.name}_ai" AFTER INSERT ON ${table} BEGIN INSERT INTO ${fts}(rowid, ${cols}) VALUES (new.${key}, ${newCols}); END`)
  await knex.raw(`CREATE TRIGGER "${index.name}_ad" AFTER DELETE ON ${table} BEGIN INSERT INTO ${fts}(${fts}, rowid, ${cols}) VALUES ('delete', old.${key}, ${oldCols}); END`)
  // Only when an indexed column changes: a table such as lc_chats is updated on every message.
  await knex.raw(`CREATE TRIGGER "${index.name}_au" AFTER UPDATE OF ${cols} ON ${table} BEGIN INSERT INTO ${fts}(${fts}, rowid, ${cols}) VALUES ('delete', old.${key}, ${oldCols}); INSERT INTO ${fts}(rowid, ${cols}) VALUES (new.${key}, ${newCols}); END`)
  await knex.raw(`INSERT INTO ${fts}(${fts}) VALUES ('rebuild')`)
}

export async function dropFullTextIndex (knex: Knex, index: FullTextIndex): Promise<void> {
  if (getDialect(knex) === 'mysql') {
    if (index.boost) await knex.raw('ALTER TABLE ?? DROP INDEX ??', [index.table, index.boost.name])
    await knex.raw('ALTER TABLE ?? DROP INDEX ??', [index.table, index.name])
    return
  }
  for (const suffix of ['ai', 'ad', 'au']) await knex.raw(`DROP TRIGGER IF EXISTS "${index.name}_${suffix}"`)
  await knex.raw(`DROP TABLE IF EXISTS "${index.name}"`)
}

/** A piece of `text` around the first of `words` it holds, about `length` characters, with … where cut. */
export function excerptAround (text: string, words: string[], length = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  const lower = flat.toLowerCase()
  const at = words.map((w) => lower.indexOf(w)).filter((i) => i >= 0).sort((a, b) => a - b)[0] ?? 0
  // Cut at spaces, so the excerpt starts and ends on whole words.
  let start = Math.max(0, at - Math.min(60, Math.floor(length / 3)))
  if (start > 0) start = flat.indexOf(' ', start - 1) + 1 || start
  let end = Math.min(flat.length, start + length)
  if (end < flat.length) end = flat.lastIndexOf(' ', end) > start ? flat.lastIndexOf(' ', end) : end
  return (start > 0 ? '…' : '') + flat.slice(start, end) + (end < flat.length ? '…' : '')
}
