import type { Knex } from 'knex'
import { insertReturns, isUniqueViolation, transact } from '../db/index.ts'
import { lanes, type Outcome } from '../db/lanes.ts'
import { pooled } from '../db/pooled.ts'
import type { ChatCore } from './core.ts'
import { messageStatements } from './grouped-store.ts'
import * as store from './store.ts'
import * as sweepStore from './sweep-store.ts'
import type { Actor, ChatStatus, Message } from './types.ts'

/**
 * Text messages written in groups on MySQL/MariaDB (docs/design.md §9, "What one message
 * costs"): what SQLite's grouped writes do (plugin/db/grouped.ts), for a database whose
 * every statement is a round trip while the chat's row is locked. Messages that arrive in
 * one turn of the event loop, or while the groups before them write, go together in one
 * transaction (plugin/db/lanes.ts): the group's chats locked in id order, each message's
 * guard, offer and seq decided in arrival order from those rows, then one UPDATE of the
 * chats, one INSERT of the messages (handing their ids back on MariaDB 10.5+; MySQL reads
 * them in one more statement) and one INSERT of their words. Six statements for the group
 * (seven on MySQL), where each message alone is five or six.
 */

/** A text message waiting for its group. */
export interface PendingMessage {
  chatId: number
  author: Actor
  body: string
  clientMsgId: string | null
  open: readonly ChatStatus[]
  guard: store.Guard
}

/** What became of it: the message (undefined when the chat refused it) and whether it answered an offer. */
export interface WrittenMessage { message: Message | undefined, offer: boolean }

export interface MessageGroups { add: (pending: PendingMessage) => Promise<WrittenMessage> }

/**
 * At most this many groups write at once, each on a connection of the pool (which keeps the
 * rest for everything else). A chat's messages never go in two of them at once: a message
 * waits while an earlier one of its chat is still being written, so seqs follow arrival.
 */
const concurrency = 4
/** At most this many messages in one group: its statements stay a few dozen kilobytes. */
const groupMax = 100

const clientKey = (m: PendingMessage): string | null => m.clientMsgId === null ? null : `${m.chatId}:${m.clientMsgId}`

export function messageGroups ({ db, clock, append }: { db: Knex, clock: () => number, append: ChatCore['append'] }): MessageGroups {
  // Asked once, before the first group: MariaDB 10.5+ hands the INSERT's ids back itself.
  const returning = insertReturns(db)

  const pool = pooled(db)
  const statements = messageStatements(db)

  /**
   * One message on its own: the offer read, then append's transaction of five statements,
   * run on a pooled connection with statements built once (plugin/db/pooled.ts) rather than
   * through knex's transaction: what append does for a message that comes here (not an
   * agent's first answer, no webhook wanting it), and nothing more.
   */
  async function alone (m: PendingMessage): Promise<WrittenMessage> {
    const agent = m.author.kind === 'agent' ? m.author.id : null
    if (!pool) {
      const offer = agent !== null && await sweepStore.awaitsAnswer(db, m.chatId, agent)
      const message = await transact(db, async (trx) => await append(trx, m.chatId, m.author, 'text', m.body, m.clientMsgId, m.open, m.guard))
      return { message, offer }
    }
    const offer = agent !== null && (await pool.query(statements.awaits(m.chatId, agent))).length > 0
    const message = await pool.transaction(async (tx) => {
      const at = clock()
      // The new seq comes back in the UPDATE's own answer (LAST_INSERT_ID), as store.reserveSeq's does.
      const taken = await tx.query(statements.seq(m.chatId, m.open, m.author.kind === 'agent' ? at : undefined, m.guard))
      if (taken.affectedRows === 0) return undefined
      const row = store.messageRow(m.chatId, Number(taken.insertId), 'text', m.author, m.body, m.clientMsgId, at)
      const id = Number((await tx.query(statements.insert(row))).insertId)
      const words = statements.words(row, id)
      if (words) await tx.query(words)
      return store.toMessage({ id, ...row })
    })
    return { message, offer }
  }

  async function settled (m: PendingMessage): Promise<Outcome<WrittenMessage>> {
    try {
      return { ok: true, value: await alone(m) }
    } catch (err) {
      return { ok: false, error: err }
    }
  }

  /** The group's transaction; undefined for a message its chat refused. */
  async function together (trx: Knex.Transaction, group: readonly PendingMessage[]): Promise<WrittenMessage[]> {
    const rows = new Map((await store.lockChats(trx, [...new Set(group.map((m) => m.chatId))].sort((a, b) => a - b))).map((r) => [Number(r.id), r]))
    const touched = new Map<number, { id: number, last_seq: number, message_count: number, answeredAt?: number, agentReadSeq?: number }>()
    const at = clock()
    const decided = group.map((m) => {
      const row = rows.get(m.chatId)
      const agent = m.author.kind === 'agent' ? m.author.id : null
      // Read before this message changes the row, as the single path reads it before its UPDATE.
      const offer = row !== undefined && agent !== null && sweepStore.awaitsAnswerIn(row, agent)
      if (!row || !store.meetsGuard(row, m.open, m.guard)) return { offer, row: undefined }
      const chat = touched.get(m.chatId) ?? { id: m.chatId, last_seq: Number(row.last_seq), message_count: Number(row.message_count) }
      chat.last_seq++
      chat.message_count++
      if (m.author.kind === 'agent') {
        // An agent's message is their answer: idle time and re-offer go by it, and they have read what they answer.
        chat.answeredAt = at
        chat.agentReadSeq = chat.last_seq
        row.last_agent_message_at = at
      }
      touched.set(m.chatId, chat)
      return { offer, row: store.messageRow(m.chatId, chat.last_seq, 'text', m.author, m.body, m.clientMsgId, at) }
    })
    await store.advanceSeqs(trx, [...touched.values()])
    const inserted = await store.insertMessages(trx, decided.flatMap((d) => d.row ? [d.row] : []), await returning)
    let next = 0
    return decided.map((d) => ({ offer: d.offer, message: d.row ? store.toMessage(inserted[next++]!) : undefined }))
  }

  async function run (items: PendingMessage[]): Promise<Array<Outcome<WrittenMessage>>> {
    // A resend in the same group as its original waits for the next group, where the
    // original is stored and the copy fails on the unique client id, answered as before.
    const seen = new Set<string>()
    const later = items.map((m) => {
      const key = clientKey(m)
      if (key === null) return false
      if (seen.has(key)) return true
      seen.add(key)
      return false
    })
    const group = items.filter((_, i) => !later[i])
    let outcomes: Array<Outcome<WrittenMessage>>
    if (group.length === 1) {
      outcomes = [await settled(group[0]!)]
    } else {
      try {
        // A deadlock victim (a purge or another writer beside it) is run again, not lost.
        outcomes = (await transact(db, async (trx) => await together(trx, group))).map((value) => ({ ok: true, value }))
      } catch (err) {
        if (!isUniqueViolation(err)) throw err
        // A resent message (its original stored earlier) failed the whole INSERT, which rolled
        // back: each message of the group goes alone, in order, so only the resend fails.
        outcomes = []
        for (const m of group) outcomes.push(await settled(m))
      }
    }
    let next = 0
    return items.map((_, i) => later[i] ? { again: true } : outcomes[next++]!)
  }

  return lanes<PendingMessage, WrittenMessage>({ concurrency, keyOf: (m) => m.chatId, max: groupMax }, run)
}
