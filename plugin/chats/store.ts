import type { Knex } from 'knex'
import { affected, toMs } from '../db/index.ts'
import type { Chat, ChatStatus, Message } from './types.ts'

type Db = Knex | Knex.Transaction

export interface LcChatRow {
  id: number
  status: string
  group_id: number | null
  agent_id: string | null
  customer_user_id: string | null
  customer_name: string
  customer_email: string
  customer_username: string | null
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
    question: row.question,
    source: row.source,
    createdAt: toMs(row.created_at)!,
    queuedAt: toMs(row.queued_at),
    assignedAt: toMs(row.assigned_at),
    endedAt: toMs(row.ended_at),
    endedBy: row.ended_by,
    lastAgentMessageAt: toMs(row.last_agent_message_at),
    lastSeq: Number(row.last_seq),
    messageCount: Number(row.message_count)
  }
}

export function toMessage (row: LcMessageRow): Message {
  return {
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

export async function insertChat (db: Db, row: Omit<LcChatRow, 'id' | 'deleted_at' | 'last_seq' | 'message_count'>): Promise<number> {
  const [id] = await db('lc_chats').insert(row)
  return Number(id)
}

export async function getChatRow (db: Db, id: number): Promise<LcChatRow | undefined> {
  return await db<LcChatRow>('lc_chats').where({ id }).whereNull('deleted_at').first()
}

/** Moves a chat from one status to another if, and only if, it is still in `from`. */
export async function transition (db: Db, id: number, from: readonly ChatStatus[], changes: Partial<LcChatRow>): Promise<number> {
  return affected(await db('lc_chats').where({ id }).whereIn('status', from).whereNull('deleted_at').update(changes))
}

/**
 * Reserves the next seq of an open chat (assigned to `agentId`, when given): bumps
 * last_seq under the row lock the UPDATE takes, so concurrent senders are serialised
 * and seq stays gapless.
 */
export async function reserveSeq (db: Db, id: number, open: readonly ChatStatus[], changes: Partial<LcChatRow> = {}, agentId?: string): Promise<number | undefined> {
  const q = db('lc_chats').where({ id }).whereIn('status', open).whereNull('deleted_at')
  if (agentId !== undefined) q.andWhere('agent_id', agentId)
  const n = affected(await q.update({ ...changes, last_seq: db.raw('last_seq + 1'), message_count: db.raw('message_count + 1') }))
  if (n === 0) return undefined
  const row = await db('lc_chats').select('last_seq').where({ id }).first()
  return Number(row.last_seq)
}

export async function insertMessage (db: Db, row: Omit<LcMessageRow, 'id'>): Promise<number> {
  const [id] = await db('lc_messages').insert(row)
  return Number(id)
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

export async function insertHistory (db: Db, row: { chat_id: number, actor_kind: string, actor_id: string | null, actor_name: string, action: string, data: string | null, created_at: number }): Promise<void> {
  await db('lc_chat_history').insert(row)
}

export async function historyOf (db: Db, chatId: number): Promise<Array<{ actor_name: string, action: string, data: string | null, created_at: number }>> {
  const rows = await db('lc_chat_history').where('chat_id', chatId).orderBy('id', 'asc')
  return rows.map((r: Record<string, unknown>) => ({ actor_name: String(r.actor_name), action: String(r.action), data: r.data as string | null, created_at: toMs(r.created_at)! }))
}

/** Queued chats, oldest first: the order agents take them and customers wait in. */
export async function queuedChats (db: Db, limit = 500): Promise<LcChatRow[]> {
  return await db<LcChatRow>('lc_chats').where('status', 'queued').whereNull('deleted_at')
    .orderBy([{ column: 'queued_at', order: 'asc' }, { column: 'id', order: 'asc' }]).limit(limit)
}

/** How many queued chats are ahead of this one (queued earlier, or at the same ms with a lower id). */
export async function countAhead (db: Db, chat: { id: number, queuedAt: number }): Promise<number> {
  const row = await db('lc_chats').where('status', 'queued').whereNull('deleted_at')
    .andWhere((q) => { q.where('queued_at', '<', chat.queuedAt).orWhere((q2) => { q2.where('queued_at', chat.queuedAt).andWhere('id', '<', chat.id) }) })
    .count({ n: '*' }).first()
  return Number(row?.n ?? 0)
}

export async function agentChats (db: Db, agentId: string, statuses: readonly ChatStatus[], limit = 50): Promise<LcChatRow[]> {
  return await db<LcChatRow>('lc_chats').where('agent_id', agentId).whereIn('status', statuses).whereNull('deleted_at')
    .orderBy('id', 'desc').limit(limit)
}
