import type { Knex } from 'knex'
import { type FullTextIndex, fullTextMatch, searchWords } from '../db/fulltext.ts'
import { joinInOrder, toMs } from '../db/index.ts'
import { wordRange } from '../db/words.ts'

type Db = Knex | Knex.Transaction

/*
 * Chat search (docs/features.md#advanced-search). The one store that reads other
 * capabilities' tables: a search across every section of a chat has to be one query to be
 * fast on a large desk, so it joins lc_chats, lc_message_words, lc_chat_comments and
 * lc_chat_field_values here, read-only. Nothing is written.
 */

/**
 * The full-text indexes searched (migrations 019 and 023). Messages' words are read from
 * lc_message_words instead (migration 058), the word index written with each message: a
 * full-text search reads a row for every message it finds, the word index a range per
 * word, which stays a few pages on a desk of millions of messages (docs/design.md §9).
 */
export const indexes = {
  comments: { table: 'lc_chat_comments', key: 'id', columns: ['body'], name: 'lc_chat_comments_body_ft' },
  customer: { table: 'lc_chats', key: 'id', columns: ['customer_name', 'customer_email', 'customer_username'], name: 'lc_chats_customer_ft' },
  // A two-column primary key: SQLite's FTS5 keys on the rowid.
  fieldValues: { table: 'lc_chat_field_values', key: 'rowid', columns: ['value'], name: 'lc_chat_field_values_ft' }
} as const satisfies Record<string, FullTextIndex>

/** Where a search string was found, as the `section` column of the hits. */
const Section = { messages: 1, comments: 2, customer: 3, fields: 4 } as const

/** Who may see which chats, in terms a query can use (the service derives it from the agent's scope). */
export interface Visibility {
  /** Their own chats, always. */
  agentId: string
  /** Chats of these groups (and of none), or of every group; null: none beyond their own. */
  groups: number[] | 'all' | null
  /** Chats waiting in these queues (not transferred to someone else); null: none. */
  queues: number[] | 'all' | null
}

export interface FieldCriterion {
  fieldId: number
  /** contains: the value holds what was typed (text fields); equals: the value is it. */
  match: 'contains' | 'equals'
  value: string
}

/** Every criterion of Advanced Search; all combine with AND. */
export interface SearchFilter {
  /** "Search In": deleted chats only, or every chat but deleted ones. */
  deleted: boolean
  chatId?: number
  /** The search string: every word in one message, comment, the customer's fields or one custom value. */
  text?: string
  /** A whole address or its start (prefix), or, without a local part, a piece of it (contains). */
  email?: string
  /** Every word typed is in the customer's name. */
  name?: string
  /** The customer's username starts with what was typed. */
  username?: string
  /** Started at or after (epoch ms). */
  from?: number
  /** Started before (epoch ms). */
  until?: number
  groupId?: number
  agentId?: string
  status?: string
  fields?: FieldCriterion[]
}

export interface SearchOrder {
  /** relevance needs `text`; without it the newest come first. */
  by: 'relevance' | 'newest' | 'oldest'
  limit: number
}

export interface LcSearchRow {
  id: number
  status: string
  group_id: number | null
  agent_id: string | null
  customer_name: string
  customer_email: string
  customer_username: string | null
  question: string
  created_at: number | string
  ended_at: number | string | null
  deleted_at: number | string | null
  message_count: number
  score: number | string | null
  in_messages: number | string | null
  in_comments: number | string | null
  in_customer: number | string | null
  in_fields: number | string | null
}

export interface SearchHit {
  id: number
  status: string
  groupId: number | null
  agentId: string | null
  customerName: string
  customerEmail: string
  customerUsername: string | null
  question: string
  createdAt: number
  endedAt: number | null
  deletedAt: number | null
  messageCount: number
  /** Relevance: higher is better; 0 without a search string. */
  score: number
  /** Where the search string was found: how many messages, and whether comments, customer fields, custom values. */
  found: { messages: number, comments: boolean, customer: boolean, fields: boolean }
}

export function toHit (row: LcSearchRow): SearchHit {
  return {
    id: Number(row.id),
    status: row.status,
    groupId: row.group_id === null ? null : Number(row.group_id),
    agentId: row.agent_id === null ? null : String(row.agent_id),
    customerName: row.customer_name,
    customerEmail: row.customer_email,
    customerUsername: row.customer_username,
    question: row.question,
    createdAt: toMs(row.created_at)!,
    endedAt: toMs(row.ended_at),
    deletedAt: toMs(row.deleted_at),
    messageCount: Number(row.message_count),
    score: Number(row.score ?? 0),
    found: {
      messages: Number(row.in_messages ?? 0),
      comments: Number(row.in_comments ?? 0) > 0,
      customer: Number(row.in_customer ?? 0) > 0,
      fields: Number(row.in_fields ?? 0) > 0
    }
  }
}

/**
 * LIKE with what a person typed taken literally: `%`, `_` and the escape character are
 * escaped. `!` rather than a backslash, which the two databases read differently in SQL.
 */
export function likeLiteral (typed: string): string {
  return typed.replace(/[!%_]/g, (c) => `!${c}`)
}
const like = "LIKE ? ESCAPE '!'"

/**
 * What a full-text search is given of `typed`. MySQL's parser keeps `real_name` as one
 * word, SQLite's makes it two (and so does searchWords): searched for as `real` and `name`,
 * MySQL would find nothing. Only the piece before the first underscore is searched for,
 * as a prefix, which both databases find; the result is the same on both, a little wider.
 */
export function fullTextInput (typed: string): string {
  return typed.replace(/[\p{L}\p{N}]*(?:_[\p{L}\p{N}_]*)+/gu, (run) => run.split('_')[0]!)
}

/**
 * The chats with a message holding every word of `words` (each word or a longer one it
 * starts), as (chat_id, section, ft_score, found): the messages found, which is also their
 * relevance. Reads each word's range of lc_message_words; one word is counted per chat as
 * read (a message holding two words of the prefix counted once), several are grouped per
 * message first to keep the messages holding them all. `within` (a subquery of chat ids)
 * leaves out the rows of other chats as they are read, before any grouping.
 */
function messageHits (db: Db, words: string[], within: Knex.QueryBuilder | null, counted = true): Knex.QueryBuilder {
  const ranges = words.map(wordRange)
  const inRange = 'mw.word >= ? AND mw.word < ?'
  const read = (q: Knex.QueryBuilder): Knex.QueryBuilder => {
    q.where((w) => { for (const r of ranges) w.orWhereRaw(inRange, r) })
    // A DISTINCT derived table is built once and probed by key, after the word's range: as a
    // plain IN, MariaDB reads the chat's row for every message found instead, and SQLite,
    // left to choose, seeks each chat of the range in the index on chat_id, which costs more
    // than the whole range of a rare word.
    if (within) q.joinRaw(`${joinInOrder(db)} (?) AS mw_in ON mw_in.id = mw.chat_id`, [within.clone() as unknown as Knex.Raw])
    return q
  }
  const section = db.raw(`${Section.messages} AS section`)
  // Uncounted (only which chats, for a list's box): a row per message found, grouped by no one.
  const uncounted = db.raw('0 AS ft_score, 1 AS found')
  if (ranges.length === 1) {
    if (!counted) return read(db('lc_message_words as mw').select('mw.chat_id', section, uncounted))
    // One level of grouping, not two: each level is a temporary table of every row found.
    const perChat = read(db('lc_message_words as mw').select('mw.chat_id', section, db.raw('COUNT(DISTINCT mw.message_id) AS ft_score')).groupBy('mw.chat_id'))
    return db.from(perChat.as('mm')).select('mm.chat_id', 'mm.section', 'mm.ft_score', 'mm.ft_score as found')
  }
  // A message is found when each word's range gave it a row.
  const messages = read(db('lc_message_words as mw').select('mw.chat_id', 'mw.message_id'))
    .groupBy('mw.chat_id', 'mw.message_id')
    .havingRaw(ranges.map(() => `MAX(CASE WHEN ${inRange} THEN 1 ELSE 0 END) = 1`).join(' AND '), ranges.flat())
  const found = db.from(messages.as('mm')).select('mm.chat_id as chat_id', section)
  if (!counted) return found.select(uncounted)
  return found.select(db.raw('COUNT(*) AS ft_score'), db.raw('COUNT(*) AS found')).groupBy('mm.chat_id')
}

/**
 * The rows of every section holding every word of `text`, as (chat_id, section, ft_score,
 * found): messages (counted per chat), comments and resolutions, the customer's name, email
 * and username, custom field values. Null when `text` holds no word worth searching for.
 */
function sectionHits (db: Db, text: string, within: Knex.QueryBuilder | null = null, counted = true): Knex.QueryBuilder | null {
  const all = { mode: 'all' } as const
  const input = fullTextInput(text)
  const words = searchWords(input)
  const comments = fullTextMatch(db as Knex, indexes.comments, input, { ...all, alias: 'cm' })
  const customer = fullTextMatch(db as Knex, indexes.customer, input, { ...all, alias: 'cu' })
  const values = fullTextMatch(db as Knex, indexes.fieldValues, input, { ...all, alias: 'fv' })
  if (words.length === 0 || !comments || !customer || !values) return null
  const section = (n: number): Knex.Raw => db.raw(`${n} AS section`)
  const one = db.raw('1 AS found')
  // Wrapped: a UNION's first member cannot keep a GROUP BY of its own in knex's SQL.
  return db.from(messageHits(db, words, within, counted).as('mh')).select('mh.chat_id', 'mh.section', 'mh.ft_score', 'mh.found')
    .unionAll([
      comments.apply(db('lc_chat_comments as cm').select('cm.chat_id as chat_id', section(Section.comments))).select(one),
      customer.apply(db('lc_chats as cu').select('cu.id as chat_id', section(Section.customer))).select(one),
      values.apply(db('lc_chat_field_values as fv').select('fv.chat_id as chat_id', section(Section.fields))).select(one)
    ])
}

/** The matching chats with their relevance (the sum over every section found) and where they matched. */
function chatHits (db: Db, text: string, within: Knex.QueryBuilder | null): Knex.QueryBuilder | null {
  const hits = sectionHits(db, text, within)
  if (!hits) return null
  const count = (s: number): string => `SUM(CASE WHEN u.section = ${s} THEN u.found ELSE 0 END)`
  const q = db.from(hits.as('u'))
  if (within) q.joinRaw(`${joinInOrder(db)} (?) AS u_in ON u_in.id = u.chat_id`, [within.clone() as unknown as Knex.Raw])
  return q.select('u.chat_id')
    .select(db.raw('SUM(u.ft_score) AS score'))
    .select(db.raw(`${count(Section.messages)} AS in_messages`))
    .select(db.raw(`${count(Section.comments)} AS in_comments`))
    .select(db.raw(`${count(Section.customer)} AS in_customer`))
    .select(db.raw(`${count(Section.fields)} AS in_fields`))
    .groupBy('u.chat_id')
}

/** Chat ids holding every word of `text` in some section, for `WHERE id IN (…)`; null without a word worth searching for. */
export function chatIdsMatching (db: Db, text: string, orId?: number): Knex.QueryBuilder | null {
  const hits = sectionHits(db, text, null, false)
  if (!hits) return orId === undefined ? null : db('lc_chats').select('id as chat_id').where('id', orId)
  const ids = db.from(hits.as('u')).select('u.chat_id')
  return orId === undefined ? ids : ids.union([db('lc_chats').select('id as chat_id').where('id', orId)])
}

function visibleTo (q: Knex.QueryBuilder, v: Visibility): void {
  const inGroups = (w: Knex.QueryBuilder, groups: number[] | 'all'): void => {
    if (groups === 'all') return
    w.andWhere((g) => {
      g.whereNull('c.group_id')
      if (groups.length > 0) g.orWhereIn('c.group_id', groups)
    })
  }
  q.andWhere((w) => {
    w.where('c.agent_id', v.agentId)
    if (v.groups !== null) {
      const groups = v.groups
      w.orWhere((g) => { g.whereRaw('1 = 1'); inGroups(g, groups) })
    }
    if (v.queues !== null) {
      const queues = v.queues
      w.orWhere((g) => {
        g.where('c.status', 'queued').andWhere((t) => { t.whereNull('c.transferred_to').orWhere('c.transferred_to', v.agentId) })
        inGroups(g, queues)
      })
    }
  })
}

/** Each word typed must be in the column (the full-text narrowing ahead makes it fast). */
function containsEvery (q: Knex.QueryBuilder, column: string, typed: string): void {
  for (const word of typed.split(/\s+/).filter(Boolean).slice(0, 12)) q.andWhereRaw(`?? ${like}`, [column, `%${likeLiteral(word)}%`])
}

/**
 * Narrows `q` (lc_chats as c) to chats whose customer fields hold every word of `typed`,
 * through the full-text index, when it has words worth indexing; the exact test follows.
 */
function narrowByCustomer (db: Db, q: Knex.QueryBuilder, typed: string, alias: string): void {
  const match = fullTextMatch(db as Knex, indexes.customer, fullTextInput(typed), { mode: 'all', alias: `${alias}_c` })
  if (match) q.join(match.apply(db(`lc_chats as ${alias}_c`).select(`${alias}_c.id`)).as(alias), `${alias}.id`, 'c.id')
}

/**
 * With a date range, the ids of the chats started in it (and the agent's, when one is
 * asked for), from an index alone (lc_chats_created; lc_chats_agent_created): the
 * messages found are narrowed to these before they are grouped and their chats read, so a
 * common word with a month of one agent's chats reads the chats of that month, not the
 * thousands the word is in. The query keeps these criteria too; this only reads less.
 */
function chatsStarted (db: Db, filter: SearchFilter): Knex.QueryBuilder | null {
  if (filter.from === undefined && filter.until === undefined) return null
  const q = db('lc_chats as cs').distinct('cs.id')
  if (filter.agentId !== undefined) q.where('cs.agent_id', filter.agentId)
  if (filter.from !== undefined) q.where('cs.created_at', '>=', filter.from)
  if (filter.until !== undefined) q.where('cs.created_at', '<', filter.until)
  return q
}

/**
 * One page of chats matching every criterion of `filter` that `visibility` lets the agent
 * see, best match first (or newest, or oldest); `limit` rows at most.
 */
export async function searchChats (db: Db, filter: SearchFilter, visibility: Visibility, order: SearchOrder): Promise<LcSearchRow[]> {
  const within = filter.text === undefined ? null : chatsStarted(db, filter)
  const hits = filter.text === undefined ? null : chatHits(db, filter.text, within)
  if (filter.text !== undefined && !hits) return []
  // Narrowed to the chats of a date range, the hits are read first and each one's chat by
  // key: left to itself, MariaDB reads every chat of the range (and its row) and probes the hits.
  const q: Knex.QueryBuilder = hits && within
    ? db.select().from(db.raw(`(?) AS h ${joinInOrder(db)} lc_chats AS c ON c.id = h.chat_id`, [hits]))
    : db('lc_chats as c')
  q.select(
    'c.id', 'c.status', 'c.group_id', 'c.agent_id', 'c.customer_name', 'c.customer_email', 'c.customer_username',
    'c.question', 'c.created_at', 'c.ended_at', 'c.deleted_at', 'c.message_count'
  )
  if (hits) {
    if (!within) q.join(hits.as('h'), 'h.chat_id', 'c.id')
    q.select('h.score', 'h.in_messages', 'h.in_comments', 'h.in_customer', 'h.in_fields')
  } else {
    q.select(db.raw('0 AS score'))
  }
  if (filter.deleted) q.whereNotNull('c.deleted_at')
  else q.whereNull('c.deleted_at')
  visibleTo(q, visibility)
  if (filter.chatId !== undefined) q.where('c.id', filter.chatId)
  if (filter.email !== undefined) {
    const email = filter.email
    // A local part ("dana@…"): the address starts with it, by the B-tree index on
    // customer_email. Otherwise ("@customer.example", "customer.example"): anywhere in it.
    if (/^[^@]+@/.test(email)) {
      q.whereRaw(`c.customer_email ${like}`, [`${likeLiteral(email)}%`])
    } else {
      narrowByCustomer(db, q, email, 'by_email')
      q.whereRaw(`c.customer_email ${like}`, [`%${likeLiteral(email)}%`])
    }
  }
  if (filter.name !== undefined) {
    narrowByCustomer(db, q, filter.name, 'by_name')
    containsEvery(q, 'c.customer_name', filter.name)
  }
  if (filter.username !== undefined) {
    narrowByCustomer(db, q, filter.username, 'by_username')
    q.whereRaw(`c.customer_username ${like}`, [`${likeLiteral(filter.username)}%`])
  }
  if (filter.from !== undefined) q.where('c.created_at', '>=', filter.from)
  if (filter.until !== undefined) q.where('c.created_at', '<', filter.until)
  if (filter.groupId !== undefined) q.where('c.group_id', filter.groupId)
  if (filter.agentId !== undefined) q.where('c.agent_id', filter.agentId)
  if (filter.status !== undefined) q.where('c.status', filter.status)
  for (const f of filter.fields ?? []) {
    q.whereExists(function () {
      this.select(db.raw('1')).from('lc_chat_field_values as v').whereRaw('v.chat_id = c.id').andWhere('v.field_id', f.fieldId)
      if (f.match === 'equals') this.andWhere('v.value', f.value)
      else this.andWhereRaw(`v.value ${like}`, [`%${likeLiteral(f.value)}%`])
    })
  }
  const by = order.by === 'relevance' && !hits ? 'newest' : order.by
  // Ties go newest first by chat number (it follows start time): ordered by the hits' columns
  // alone, the database sorts the hits first and reads chats only until the page is full.
  if (by === 'relevance') q.orderBy([{ column: 'h.score', order: 'desc' }, { column: 'h.chat_id', order: 'desc' }])
  else {
    const dir = by === 'oldest' ? 'asc' : 'desc'
    q.orderBy([{ column: 'c.created_at', order: dir }, { column: 'c.id', order: dir }])
  }
  return await q.limit(order.limit) as LcSearchRow[]
}
