import type { Knex } from 'knex'
import { affected, caseOf, getDialect, incrementReturning, toMs } from '../db/index.ts'
import { indexWords } from '../db/words.ts'
import type { Actor, Chat, ChatStatus, FileRef, Message, SharedArticle } from './types.ts'

/**
 * lc_chats, lc_messages and lc_chat_history: a chat's row, its seq and messages, its
 * History, and the conditional UPDATEs every change of state is made of (docs/design.md §4).
 * The reads behind lists and queues are in list-store.ts, the scheduled jobs' in
 * sweep-store.ts.
 */
export type Db = Knex | Knex.Transaction

export interface LcChatRow {
  id: number
  status: string
  group_id: number | null
  agent_id: string | null
  customer_user_id: string | null
  customer_name: string
  customer_email: string
  customer_username: string | null
  /** The customer id a signed identity token vouched for (docs/features.md#verified-customer-identity). */
  customer_verified_id?: string | null
  question: string
  source: string
  customer_token_hash: string
  created_at: number | string
  queued_at: number | string | null
  assigned_at: number | string | null
  ended_at: number | string | null
  ended_by: string | null
  last_agent_message_at: number | string | null
  last_seq: number
  message_count: number
  deleted_at: number | string | null
  transferred_to: string | null
  transferred_by: string | null
  transferred_at: number | string | null
  transfer_comment: string | null
  auto_assigned: boolean | number
  customer_left_at: number | string | null
  customer_seen_at: number | string | null
  customer_gone_at: number | string | null
  agent_read_seq: number
  customer_read_seq: number
  customer_ip: string | null
  customer_agent: string | null
  reoffered_from: string | null
}

export interface LcMessageRow {
  id: number
  chat_id: number
  seq: number
  kind: string
  author_kind: string
  author_id: string | null
  author_name: string
  body: string
  client_msg_id: string | null
  created_at: number | string
}

export function toChat (row: LcChatRow): Chat {
  return {
    id: Number(row.id),
    status: row.status as ChatStatus,
    groupId: row.group_id === null ? null : Number(row.group_id),
    agentId: row.agent_id,
    customerUserId: row.customer_user_id,
    customerName: row.customer_name,
    customerEmail: row.customer_email,
    customerUsername: row.customer_username,
    customerVerifiedId: row.customer_verified_id ?? null,
    question: row.question,
    source: row.source,
    createdAt: toMs(row.created_at)!,
    queuedAt: toMs(row.queued_at),
    assignedAt: toMs(row.assigned_at),
    endedAt: toMs(row.ended_at),
    endedBy: row.ended_by,
    lastAgentMessageAt: toMs(row.last_agent_message_at),
    lastSeq: Number(row.last_seq),
    messageCount: Number(row.message_count),
    transferredTo: row.transferred_to,
    transferredBy: row.transferred_by,
    transferredAt: toMs(row.transferred_at),
    transferComment: row.transfer_comment,
    autoAssigned: row.auto_assigned === true || Number(row.auto_assigned) === 1,
    customerLeftAt: toMs(row.customer_left_at),
    customerGoneAt: toMs(row.customer_gone_at),
    agentReadSeq: Number(row.agent_read_seq),
    customerReadSeq: Number(row.customer_read_seq),
    customerIp: row.customer_ip ?? null,
    customerAgent: row.customer_agent ?? null,
    reofferedFrom: row.reoffered_from ?? null,
    deletedAt: toMs(row.deleted_at)
  }
}

/** A shared article's card, or nothing when its body cannot be read: the message then shows as text, never breaks the chat. */
function articleOf (body: string): { article?: SharedArticle } {
  try {
    const a = JSON.parse(body) as Partial<SharedArticle>
    if (typeof a.id === 'string' && typeof a.title === 'string' && typeof a.url === 'string') {
      return { article: { id: a.id, title: a.title, excerpt: typeof a.excerpt === 'string' ? a.excerpt : '', url: a.url } }
    }
  } catch {
    return {}
  }
  return {}
}

/** A new message's row, without its id: the one shape every path that writes messages stores. */
export function messageRow (chatId: number, seq: number, kind: string, author: Actor, body: string, clientMsgId: string | null, at: number): Omit<LcMessageRow, 'id'> {
  return { chat_id: chatId, seq, kind, author_kind: author.kind, author_id: author.id, author_name: author.name, body, client_msg_id: clientMsgId, created_at: at }
}

export function toMessage (row: LcMessageRow): Message {
  const file = row.kind === 'file' ? { file: JSON.parse(row.body) as FileRef } : row.kind === 'kb_share' ? articleOf(row.body) : {}
  return {
    ...file,
    id: Number(row.id),
    chatId: Number(row.chat_id),
    seq: Number(row.seq),
    kind: row.kind as Message['kind'],
    authorKind: row.author_kind as Message['authorKind'],
    authorId: row.author_id,
    authorName: row.author_name,
    body: row.body,
    clientMsgId: row.client_msg_id,
    createdAt: toMs(row.created_at)!
  }
}

export type NewChatRow = Omit<LcChatRow, 'id' | 'deleted_at' | 'last_seq' | 'message_count' | 'transferred_to' | 'transferred_by' | 'transferred_at' | 'transfer_comment' | 'auto_assigned' | 'customer_left_at' | 'customer_seen_at' | 'customer_gone_at' | 'agent_read_seq' | 'customer_read_seq' | 'customer_ip' | 'customer_agent' | 'reoffered_from'> & Partial<Pick<LcChatRow, 'customer_ip' | 'customer_agent' | 'last_seq' | 'message_count'>>

export async function insertChat (db: Db, row: NewChatRow): Promise<number> {
  const [id] = await db('lc_chats').insert(row)
  return Number(id)
}

/**
 * insertChat for many chats at once: one INSERT, and the ids matched to the rows by their
 * token hashes (random, so never alike). SQLite hands them back itself (RETURNING); MySQL
 * answers only the first id, and its ids are consecutive only under some
 * innodb_autoinc_lock_mode settings, so they are read back from that id on.
 */
export async function insertChats (trx: Knex.Transaction, rows: readonly NewChatRow[]): Promise<number[]> {
  if (rows.length === 0) return []
  if (rows.length === 1) return [await insertChat(trx, rows[0]!)]
  const hashes = rows.map((r) => r.customer_token_hash)
  let stored: Array<{ id: number | string, customer_token_hash: string }>
  if (getDialect(trx) === 'sqlite') {
    stored = await trx('lc_chats').insert(rows).returning(['id', 'customer_token_hash'])
  } else {
    const [first] = await trx('lc_chats').insert(rows)
    stored = await trx('lc_chats').select('id', 'customer_token_hash').where('id', '>=', Number(first)).whereIn('customer_token_hash', hashes)
  }
  const idOf = new Map(stored.map((r) => [r.customer_token_hash, Number(r.id)]))
  return hashes.map((h) => idOf.get(h)!)
}

/** The chat insertChat stored as `id`, without reading it back: what it was given, and the table's defaults for the rest. */
export function newChat (id: number, row: NewChatRow): Chat {
  return toChat({
    deleted_at: null,
    last_seq: 0,
    message_count: 0,
    transferred_to: null,
    transferred_by: null,
    transferred_at: null,
    transfer_comment: null,
    auto_assigned: false,
    customer_left_at: null,
    customer_seen_at: null,
    customer_gone_at: null,
    agent_read_seq: 0,
    customer_read_seq: 0,
    customer_ip: null,
    customer_agent: null,
    reoffered_from: null,
    ...row,
    id
  })
}

export async function getChatRow (db: Db, id: number): Promise<LcChatRow | undefined> {
  return await db<LcChatRow>('lc_chats').where({ id }).whereNull('deleted_at').first()
}

/** getChatRow for many chats in one read (those not deleted; in no particular order). */
export async function getChatRows (db: Db, ids: readonly number[]): Promise<LcChatRow[]> {
  if (ids.length === 0) return []
  return await db<LcChatRow>('lc_chats').whereIn('id', ids).whereNull('deleted_at')
}

/** The chat's row, deleted or not: for Delete, Undelete and Deleted Items only; every other read leaves deleted chats out. */
export async function chatRowWithDeleted (db: Db, id: number): Promise<LcChatRow | undefined> {
  return await db<LcChatRow>('lc_chats').where({ id }).first()
}

/** The order agents take queued chats and customers wait in: oldest first, then by id, so it is total. */
export const oldestFirst = [{ column: 'queued_at', order: 'asc' }, { column: 'id', order: 'asc' }] as const

// ---------------------------------------------------------------- changes of state

/** Extra conditions a transition or seq reservation holds to: whose chat it is, what it still looks like. */
export type Guard = Partial<Pick<LcChatRow, 'agent_id' | 'assigned_at'>> & { customerPresent?: boolean, transferableTo?: string, unanswered?: boolean }

function guarded (q: Knex.QueryBuilder, guard: Guard): Knex.QueryBuilder {
  if (guard.agent_id !== undefined) q.andWhere('agent_id', guard.agent_id)
  if (guard.assigned_at !== undefined) q.andWhere('assigned_at', guard.assigned_at)
  if (guard.customerPresent) q.whereNull('customer_left_at')
  // The agent has not written since the chat was given to them (re-offer must not race an answer).
  if (guard.unanswered) q.andWhere((w) => { w.whereNull('last_agent_message_at').orWhereRaw('last_agent_message_at < assigned_at') })
  if (guard.transferableTo !== undefined) {
    const to = guard.transferableTo
    q.andWhere((w) => { w.whereNull('transferred_to').orWhere('transferred_to', to) })
  }
  return q
}

/**
 * guarded's condition read off a chat's row (`open` included): for grouped writes on
 * MySQL/MariaDB, which lock the rows first and then decide for each message of the group
 * in turn (chats/message-groups.ts). Keep the two in step; test/chats/message-groups.test.ts
 * holds them to the same answers.
 */
export function meetsGuard (row: GuardedRow, open: readonly ChatStatus[], guard: Guard): boolean {
  if (!open.includes(row.status as ChatStatus) || row.deleted_at !== null) return false
  if (guard.agent_id !== undefined && row.agent_id !== guard.agent_id) return false
  if (guard.assigned_at !== undefined && toMs(row.assigned_at) !== toMs(guard.assigned_at)) return false
  if (guard.customerPresent === true && row.customer_left_at !== null) return false
  if (guard.unanswered === true && !unanswered(row)) return false
  if (guard.transferableTo !== undefined && row.transferred_to !== null && row.transferred_to !== guard.transferableTo) return false
  return true
}

/** The agent has not written since the chat was given to them (SQL's NULL comparison is false, as here). */
export function unanswered (row: Pick<LcChatRow, 'last_agent_message_at' | 'assigned_at'>): boolean {
  const last = toMs(row.last_agent_message_at)
  const assigned = toMs(row.assigned_at)
  return last === null || (assigned !== null && last < assigned)
}

/** The columns of a chat that guards, the offer read and a message's seq depend on. */
export type GuardedRow = Pick<LcChatRow, 'id' | 'status' | 'deleted_at' | 'agent_id' | 'assigned_at' | 'customer_left_at' | 'last_agent_message_at' |
'transferred_to' | 'auto_assigned' | 'last_seq' | 'message_count' | 'agent_read_seq'>
const guardedColumns: ReadonlyArray<keyof GuardedRow> = ['id', 'status', 'deleted_at', 'agent_id', 'assigned_at', 'customer_left_at', 'last_agent_message_at',
  'transferred_to', 'auto_assigned', 'last_seq', 'message_count', 'agent_read_seq']

/**
 * Locks the chats `ids` (MySQL/MariaDB: `FOR UPDATE`), in id order, so groups that lock
 * several never wait on each other in a circle; answers what guards and seqs read of them.
 */
export async function lockChats (trx: Knex.Transaction, ids: readonly number[]): Promise<GuardedRow[]> {
  if (ids.length === 0) return []
  const q = trx<GuardedRow>('lc_chats').select(...guardedColumns).whereIn('id', [...ids]).orderBy('id')
  if (getDialect(trx) === 'mysql') q.forUpdate()
  return await q
}

/**
 * Writes what a group of messages took of chats it locked (lockChats): each chat's new
 * last_seq and message_count, and for chats an agent answered in, the answer's time and
 * read mark, in one UPDATE.
 */
export async function advanceSeqs (trx: Knex.Transaction, chats: ReadonlyArray<Pick<LcChatRow, 'id' | 'last_seq' | 'message_count'> & { answeredAt?: number, agentReadSeq?: number }>): Promise<void> {
  if (chats.length === 0) return
  const answered = chats.filter((c) => c.answeredAt !== undefined)
  const answer = answered.length === 0
    ? {}
    : {
        last_agent_message_at: caseOf(trx, 'id', answered.map((c) => [c.id, c.answeredAt!] as const), 'last_agent_message_at'),
        agent_read_seq: caseOf(trx, 'id', answered.map((c) => [c.id, c.agentReadSeq!] as const), 'agent_read_seq')
      }
  await trx('lc_chats').whereIn('id', chats.map((c) => c.id)).update({
    ...answer,
    message_count: caseOf(trx, 'id', chats.map((c) => [c.id, c.message_count] as const)),
    last_seq: caseOf(trx, 'id', chats.map((c) => [c.id, c.last_seq] as const))
  })
}

/** Moves a chat from one status to another if, and only if, it is still in `from` (and meets `guard`). */
export async function transition (db: Db, id: number, from: readonly ChatStatus[], changes: Partial<LcChatRow>, guard: Guard = {}): Promise<number> {
  return affected(await guarded(db('lc_chats').where({ id }).whereIn('status', from).whereNull('deleted_at'), guard).update(changes))
}

/**
 * Round robin's batch: gives each still-queued chat of `plan` (none held for a named agent)
 * to its agent in one UPDATE that also takes the next seq for its "joined" event; answers the
 * rows as they are now, read in the same transaction. A chat of the plan that changed
 * meanwhile is left alone, and shows so (not active with its agent, given at `at`).
 */
export async function assignMany (trx: Knex.Transaction, plan: ReadonlyArray<{ chatId: number, agentId: string }>, at: number): Promise<LcChatRow[]> {
  if (plan.length === 0) return []
  const ids = plan.map((p) => p.chatId)
  await trx('lc_chats').whereIn('id', ids).andWhere('status', 'queued').whereNull('deleted_at').whereNull('transferred_to').update({
    status: 'active',
    agent_id: caseOf(trx, 'id', plan.map((p) => [p.chatId, p.agentId] as const)),
    assigned_at: at,
    auto_assigned: true,
    reoffered_from: null,
    message_count: trx.raw('message_count + 1'),
    last_seq: trx.raw('last_seq + 1')
  })
  return await trx<LcChatRow>('lc_chats').whereIn('id', ids)
}

/** The customer pressed End chat while an agent has the chat: it stays with the agent, who ends it. */
export async function markCustomerLeft (db: Db, id: number, at: number): Promise<number> {
  return affected(await db('lc_chats').where({ id }).update({ customer_left_at: at }))
}

/** Moves a closed chat to Deleted Items if, and only if, it is still closed and not deleted: of racing deletes one wins. */
export async function markDeleted (db: Db, id: number, closed: readonly ChatStatus[], at: number): Promise<number> {
  return affected(await db('lc_chats').where({ id }).whereIn('status', [...closed]).whereNull('deleted_at').update({ deleted_at: at }))
}

/** Takes a chat out of Deleted Items if, and only if, it is still there (not restored meanwhile, nor purged). */
export async function markRestored (db: Db, id: number): Promise<number> {
  return affected(await db('lc_chats').where({ id }).whereNotNull('deleted_at').update({ deleted_at: null }))
}

/** The agent has read up to `seq`: only forwards, and only while the chat is theirs. */
export async function markRead (db: Db, chatId: number, agentId: string, seq: number): Promise<number> {
  return affected(await db('lc_chats').where({ id: chatId, agent_id: agentId }).andWhere('agent_read_seq', '<', seq).update({ agent_read_seq: seq }))
}

/** The customer's window has shown the chat up to `seq`: only forwards, and never past its last message. */
export async function markCustomerRead (db: Db, chatId: number, seq: number): Promise<number> {
  return affected(await db('lc_chats').where({ id: chatId }).andWhere('customer_read_seq', '<', seq).andWhere('last_seq', '>=', seq).update({ customer_read_seq: seq }))
}

// ---------------------------------------------------------------- messages

/**
 * Reserves the next seq of an open chat (meeting `guard`): bumps last_seq under the row
 * lock the UPDATE takes, so concurrent senders are serialised and seq stays gapless.
 * `agentAnswerAt`: the message is the agent's answer, so idle time and re-offer count
 * from it, and the agent has read what they answer.
 */
export async function reserveSeq (db: Db, id: number, open: readonly ChatStatus[], opts: { agentAnswerAt?: number } = {}, guard: Guard = {}): Promise<number | undefined> {
  const { q, changes } = seqUpdate(db, id, open, opts.agentAnswerAt, guard)
  // The new seq comes back from the UPDATE itself: the row stays locked one round trip, not two.
  return await incrementReturning(db, q, 'last_seq', changes)
}

/**
 * reserveSeq's UPDATE: the chat's row while it is in `open` (and meets `guard`), and what
 * it sets besides last_seq's bump. Grouped writes build the same statement from it.
 */
export function seqUpdate (db: Db, id: unknown, open: readonly ChatStatus[], agentAnswerAt: unknown, guard: Guard): { q: Knex.QueryBuilder, changes: Record<string, unknown> } {
  const q = guarded(db('lc_chats').where({ id }).whereIn('status', open).whereNull('deleted_at'), guard)
  // agent_read_seq is listed before last_seq's bump, so MySQL (which assigns left to
  // right) and SQLite (which reads the old values) both store the new seq.
  const answer = agentAnswerAt === undefined ? {} : { last_agent_message_at: agentAnswerAt, agent_read_seq: db.raw('last_seq + 1') }
  return { q, changes: { ...answer, message_count: db.raw('message_count + 1') } }
}

/**
 * Kinds whose body is JSON (a file, a shared article): their keys ("name", "size") would
 * match nearly every such message, so their words are never indexed.
 */
export const unsearchedKinds: readonly string[] = ['file', 'kb_share']

/**
 * Stores a message, and its words in lc_message_words in the same transaction, one
 * multi-row INSERT (none for a message without a word worth searching for): the index a
 * search reads by word, a range per word however large the desk (docs/design.md §9 Scale).
 */
export async function insertMessage (db: Db, row: Omit<LcMessageRow, 'id'>): Promise<number> {
  const [inserted] = await db('lc_messages').insert(row)
  const id = Number(inserted)
  const words = unsearchedKinds.includes(row.kind) ? [] : indexWords(row.body)
  if (words.length > 0) await insertWords(db, words.map((word) => [word, row.chat_id, id]))
  return id
}

/**
 * insertMessage for many messages at once (each of its own chat and seq), with their words:
 * two statements on MySQL/MariaDB where the INSERT hands its rows back (`returning`:
 * MariaDB 10.5+, see db.insertReturns), else three, the ids read back by chat and seq; either way matched by
 * chat and seq rather than trusted to come in a run (one alone is insertMessage).
 */
export async function insertMessages (trx: Knex.Transaction, rows: ReadonlyArray<Omit<LcMessageRow, 'id'>>, returning = false): Promise<LcMessageRow[]> {
  if (rows.length === 0) return []
  if (rows.length === 1) return [{ ...rows[0]!, id: await insertMessage(trx, rows[0]!) }]
  let ids: Array<{ id: number, chat_id: number, seq: number }>
  if (returning && getDialect(trx) === 'mysql') {
    const { sql, bindings } = trx('lc_messages').insert(rows).toSQL()
    ;[ids] = await trx.raw(`${sql} returning \`id\`, \`chat_id\`, \`seq\``, bindings) as [typeof ids]
  } else {
    await trx('lc_messages').insert(rows)
    ids = await trx('lc_messages').select('id', 'chat_id', 'seq').whereIn(['chat_id', 'seq'], rows.map((r) => [r.chat_id, r.seq])) as typeof ids
  }
  const idOf = new Map(ids.map((r) => [`${Number(r.chat_id)}:${Number(r.seq)}`, Number(r.id)]))
  const stored = rows.map((r) => ({ ...r, id: idOf.get(`${r.chat_id}:${r.seq}`)! }))
  const words = stored.filter((r) => !unsearchedKinds.includes(r.kind))
    .flatMap((r) => indexWords(r.body).map((word): [string, number, number] => [word, r.chat_id, r.id]))
  if (words.length > 0) await insertWords(trx, words)
  return stored
}

/**
 * Rows of lc_message_words as (word, chat_id, message_id), in one statement. Written as a
 * VALUES list: knex writes a multi-row insert on SQLite as a compound SELECT, which SQLite
 * caps at 500 terms, and a long message has more words than that.
 */
export async function insertWords (db: Db, rows: Array<[string, number, number]>): Promise<void> {
  await db.raw(`INSERT INTO lc_message_words (word, chat_id, message_id) VALUES ${rows.map(() => '(?, ?, ?)').join(', ')}`, rows.flat())
}

export async function messageByClientId (db: Db, chatId: number, clientMsgId: string): Promise<LcMessageRow | undefined> {
  return await db<LcMessageRow>('lc_messages').where({ chat_id: chatId, client_msg_id: clientMsgId }).first()
}

/** Messages with afterSeq < seq <= upToSeq, in order. */
export async function messagesBetween (db: Db, chatId: number, afterSeq: number, upToSeq?: number, limit = 1000): Promise<LcMessageRow[]> {
  const q = db<LcMessageRow>('lc_messages').where('chat_id', chatId).andWhere('seq', '>', afterSeq)
  if (upToSeq !== undefined) q.andWhere('seq', '<=', upToSeq)
  return await q.orderBy('seq', 'asc').limit(limit)
}

// ---------------------------------------------------------------- History

/** One row of a chat's History, as the History tab and the jobs read it. */
export interface HistoryEntry {
  actor_name: string
  action: string
  data: string | null
  created_at: number
}

export async function insertHistory (db: Db, row: { chat_id: number, actor_kind: string, actor_id: string | null, actor_name: string, action: string, data: string | null, created_at: number }): Promise<void> {
  await db('lc_chat_history').insert(row)
}

/** insertHistory for many rows at once. */
export async function insertHistories (db: Db, rows: ReadonlyArray<Parameters<typeof insertHistory>[1]>): Promise<void> {
  if (rows.length > 0) await db('lc_chat_history').insert(rows)
}

export async function historyOf (db: Db, chatId: number): Promise<HistoryEntry[]> {
  const rows = await db('lc_chat_history').where('chat_id', chatId).orderBy('id', 'asc')
  return rows.map((r: Record<string, unknown>) => ({ actor_name: String(r.actor_name), action: String(r.action), data: r.data as string | null, created_at: toMs(r.created_at)! }))
}

/** Per chat, the latest History row of `action` (who deleted it, say), in one read. */
export async function latestHistory (db: Db, chatIds: number[], action: string): Promise<Map<number, { actorName: string, at: number }>> {
  if (chatIds.length === 0) return new Map()
  const latest = db('lc_chat_history').max({ id: 'id' }).whereIn('chat_id', chatIds).andWhere('action', action).groupBy('chat_id')
  const rows = await db('lc_chat_history').select('chat_id', 'actor_name', 'created_at').whereIn('id', latest)
  return new Map(rows.map((r: Record<string, unknown>) => [Number(r.chat_id), { actorName: String(r.actor_name), at: toMs(r.created_at as number)! }]))
}
