import type { Knex } from 'knex'
import { type Statement, statementTemplate, type SyncDb } from '../db/grouped.ts'
import { getDialect, mysqlIncrement, sqliteIncrement } from '../db/index.ts'
import { indexWords } from '../db/words.ts'
import { type Guard, type LcMessageRow, seqUpdate, unsearchedKinds } from './store.ts'
import { awaitsAnswerQuery } from './sweep-store.ts'
import type { ChatStatus } from './types.ts'

/**
 * A message's statements as grouped writes run them on SQLite (plugin/db/grouped.ts): the
 * same statements as store.reserveSeq, store.insertMessage and sweep-store.awaitsAnswer,
 * built by knex once per shape and then only bound, but for the message's words: they are
 * marked due and written a moment later, with those of every message written since
 * (chats/due-words.ts). A message's words each land on a page of their own in two B-trees,
 * and those pages, not the message, were most of what each COMMIT wrote.
 */
export interface GroupedMessageStore {
  awaitsAnswer: (db: SyncDb, chatId: number, agentId: string) => boolean
  reserveSeq: (db: SyncDb, id: number, open: readonly ChatStatus[], agentAnswerAt: number | undefined, guard: Guard) => number | undefined
  /** Stores the message and marks its words due (`indexDue` writes them); its id. */
  insertMessage: (db: SyncDb, row: Omit<LcMessageRow, 'id'>) => number
  /**
   * Writes the words of up to `limit` messages marked due, oldest first, and unmarks them;
   * how many it took (fewer than `limit`: none is left). A message gone meanwhile (a purge)
   * has no words written.
   */
  indexDue: (db: SyncDb, limit: number) => number
}

type GuardValue = 'agent_id' | 'assigned_at' | 'transferableTo'
type SeqValue = 'id' | 'agentAnswerAt' | GuardValue
const guardValues: readonly GuardValue[] = ['agent_id', 'assigned_at', 'transferableTo']
type MessageColumn = keyof Omit<LcMessageRow, 'id'>
const messageColumns: readonly MessageColumn[] = ['chat_id', 'seq', 'kind', 'author_kind', 'author_id', 'author_name', 'body', 'client_msg_id', 'created_at']

/** Rows of lc_message_words in one INSERT, as store.insertWords writes them. */
const wordsSql = (rows: number, or = ''): string => `INSERT ${or}INTO lc_message_words (word, chat_id, message_id) VALUES ${Array(rows).fill('(?, ?, ?)').join(', ')}`

/**
 * The due words of many messages go in INSERTs of a power of two rows, 256 at most, so that
 * a few statement shapes serve every count, each prepared once (plugin/db/grouped.ts).
 */
const wordRowsAtOnce = (left: number): number => Math.min(256, 2 ** Math.floor(Math.log2(left)))
const markDueSql = 'INSERT INTO lc_message_words_due (message_id) VALUES (?)'
// A message purged while its words were due has no row to join: it is unmarked with no words.
const dueSql = 'SELECT d.message_id AS id, m.chat_id, m.body FROM lc_message_words_due d LEFT JOIN lc_messages m ON m.id = d.message_id ORDER BY d.message_id LIMIT ?'
const unmarkDueSql = 'DELETE FROM lc_message_words_due WHERE message_id <= ?'

/**
 * A message's statements, each built by knex once per shape and then only bound: the same
 * as store.reserveSeq (in the dialect's form: RETURNING on SQLite, LAST_INSERT_ID on
 * MySQL/MariaDB), store.insertMessage with its words, and sweep-store.awaitsAnswer.
 */
export interface MessageStatements {
  awaits: (chatId: number, agentId: string) => Statement
  seq: (id: number, open: readonly ChatStatus[], agentAnswerAt: number | undefined, guard: Guard) => Statement
  insert: (row: Omit<LcMessageRow, 'id'>) => Statement
  /** Its words' INSERT (undefined for a message without a word worth indexing); MySQL/MariaDB's, whose words go with the message. */
  words: (row: Omit<LcMessageRow, 'id'>, id: number) => Statement | undefined
}

export function messageStatements (knex: Knex): MessageStatements {
  const mysql = getDialect(knex) === 'mysql'
  const increment = mysql ? mysqlIncrement : sqliteIncrement
  const awaits = statementTemplate<'chatId' | 'agentId'>((v) => awaitsAnswerQuery(knex, v('chatId'), v('agentId')))
  const insert = statementTemplate<MessageColumn>((v) => knex('lc_messages').insert(Object.fromEntries(messageColumns.map((c) => [c, v(c)]))))
  // One UPDATE per shape: which statuses, which guards, and whether it is an agent's answer.
  const updates = new Map<string, (values: Record<SeqValue, unknown>) => Statement>()

  function seqStatement (open: readonly ChatStatus[], answer: boolean, guard: Guard): (values: Record<SeqValue, unknown>) => Statement {
    const key = JSON.stringify([open, answer, guard.customerPresent === true, guard.unanswered === true, guardValues.map((g) => guard[g] !== undefined)])
    let template = updates.get(key)
    if (!template) {
      template = statementTemplate<SeqValue>((v) => {
        const shaped: Guard = { customerPresent: guard.customerPresent, unanswered: guard.unanswered }
        for (const g of guardValues) if (guard[g] !== undefined) Object.assign(shaped, { [g]: v(g) })
        const { q, changes } = seqUpdate(knex, v('id'), open, answer ? v('agentAnswerAt') : undefined, shaped)
        return increment(knex, q, 'last_seq', changes)
      })
      updates.set(key, template)
    }
    return template
  }

  return {
    awaits: (chatId, agentId) => awaits({ chatId, agentId }),
    seq: (id, open, agentAnswerAt, guard) => seqStatement(open, agentAnswerAt !== undefined, guard)({
      id, agentAnswerAt, agent_id: guard.agent_id, assigned_at: guard.assigned_at, transferableTo: guard.transferableTo
    }),
    insert: (row) => insert(row),
    words (row, id) {
      const words = unsearchedKinds.includes(row.kind) ? [] : indexWords(row.body)
      return words.length === 0 ? undefined : { sql: wordsSql(words.length), bindings: words.flatMap((word) => [word, row.chat_id, id]) }
    }
  }
}

export function groupedMessageStore (knex: Knex): GroupedMessageStore {
  const statements = messageStatements(knex)
  return {
    awaitsAnswer: (db, chatId, agentId) => db.get(statements.awaits(chatId, agentId)) !== undefined,

    reserveSeq (db, id, open, agentAnswerAt, guard) {
      const row = db.get(statements.seq(id, open, agentAnswerAt, guard))
      return row === undefined ? undefined : Number(row.last_seq)
    },

    insertMessage (db, row) {
      const id = db.run(statements.insert(row)).lastInsertRowid
      if (!unsearchedKinds.includes(row.kind)) db.run({ sql: markDueSql, bindings: [id] })
      return id
    },

    indexDue (db, limit) {
      const due = db.all({ sql: dueSql, bindings: [limit] }) as Array<{ id: number, chat_id: number | null, body: string | null }>
      if (due.length === 0) return 0
      const rows: Array<[string, number, number]> = []
      for (const m of due) if (m.body !== null) for (const word of indexWords(m.body)) rows.push([word, Number(m.chat_id), Number(m.id)])
      // In the index's own order: neighbouring rows land on the same pages, each page written once.
      rows.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1] || a[2] - b[2])
      for (let at = 0; at < rows.length;) {
        const size = wordRowsAtOnce(rows.length - at)
        db.run({ sql: wordsSql(size, 'OR IGNORE '), bindings: rows.slice(at, at + size).flat() })
        at += size
      }
      db.run({ sql: unmarkDueSql, bindings: [Number(due.at(-1)!.id)] })
      return due.length
    }
  }
}
