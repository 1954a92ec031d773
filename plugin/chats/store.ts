import type { Knex } from 'knex'
import { affected, getDialect, toMs } from '../db/index.ts'
import type { Chat, ChatStatus, FileRef, Message, SharedArticle } from './types.ts'

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
  transferred_to: string | null
  transferred_by: string | null
  transferred_at: number | string | null
  transfer_comment: string | null
  auto_assigned: boolean | number
  customer_left_at: number | string | null
  customer_seen_at: number | string | null
  customer_gone_at: number | string | null
  agent_read_seq: number
  customer_ip: string | null
  customer_agent: string | null
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
    messageCount: Number(row.message_count),
    transferredTo: row.transferred_to,
    transferredBy: row.transferred_by,
    transferredAt: toMs(row.transferred_at),
    transferComment: row.transfer_comment,
    autoAssigned: row.auto_assigned === true || Number(row.auto_assigned) === 1,
    customerLeftAt: toMs(row.customer_left_at),
    customerGoneAt: toMs(row.customer_gone_at),
    agentReadSeq: Number(row.agent_read_seq),
    customerIp: row.customer_ip ?? null,
    customerAgent: row.customer_agent ?? null,
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

type NewChatRow = Omit<LcChatRow, 'id' | 'deleted_at' | 'last_seq' | 'message_count' | 'transferred_to' | 'transferred_by' | 'transferred_at' | 'transfer_comment' | 'auto_assigned' | 'customer_left_at' | 'customer_seen_at' | 'customer_gone_at' | 'agent_read_seq' | 'customer_ip' | 'customer_agent'> & Partial<Pick<LcChatRow, 'customer_ip' | 'customer_agent'>>

export async function insertChat (db: Db, row: NewChatRow): Promise<number> {
  const [id] = await db('lc_chats').insert(row)
  return Number(id)
}

export async function getChatRow (db: Db, id: number): Promise<LcChatRow | undefined> {
  return await db<LcChatRow>('lc_chats').where({ id }).whereNull('deleted_at').first()
}

// ---------------------------------------------------------------- deleting (seed 000, "Deleting Live Chats")

/** The chat's row, deleted or not: for Delete, Undelete and Deleted Items only; every other read leaves deleted chats out. */
export async function chatRowWithDeleted (db: Db, id: number): Promise<LcChatRow | undefined> {
  return await db<LcChatRow>('lc_chats').where({ id }).first()
}

/** Moves a closed chat to Deleted Items if, and only if, it is still closed and not deleted: of racing deletes one wins. */
export async function markDeleted (db: Db, id: number, closed: readonly ChatStatus[], at: number): Promise<number> {
  return affected(await db('lc_chats').where({ id }).whereIn('status', [...closed]).whereNull('deleted_at').update({ deleted_at: at }))
}

/** Takes a chat out of Deleted Items if, and only if, it is still there (not restored meanwhile, nor purged). */
export async function markRestored (db: Db, id: number): Promise<number> {
  return affected(await db('lc_chats').where({ id }).whereNotNull('deleted_at').update({ deleted_at: null }))
}

/** Per chat, the latest History row of `action` (who deleted it, say), in one read. */
export async function latestHistory (db: Db, chatIds: number[], action: string): Promise<Map<number, { actorName: string, at: number }>> {
  if (chatIds.length === 0) return new Map()
  const latest = db('lc_chat_history').max({ id: 'id' }).whereIn('chat_id', chatIds).andWhere('action', action).groupBy('chat_id')
  const rows = await db('lc_chat_history').select('chat_id', 'actor_name', 'created_at').whereIn('id', latest)
  return new Map(rows.map((r: Record<string, unknown>) => [Number(r.chat_id), { actorName: String(r.actor_name), at: toMs(r.created_at as number)! }]))
}

/** Moves a chat from one status to another if, and only if, it is still in `from`. */
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

/** Moves a chat from one status to another if, and only if, it is still in `from` (and meets `guard`). */
export async function transition (db: Db, id: number, from: readonly ChatStatus[], changes: Partial<LcChatRow>, guard: Guard = {}): Promise<number> {
  return affected(await guarded(db('lc_chats').where({ id }).whereIn('status', from).whereNull('deleted_at'), guard).update(changes))
}

/**
 * Reserves the next seq of an open chat (assigned to `agentId`, when given): bumps
 * last_seq under the row lock the UPDATE takes, so concurrent senders are serialised
 * and seq stays gapless.
 */
export async function reserveSeq (db: Db, id: number, open: readonly ChatStatus[], changes: Partial<LcChatRow> = {}, guard: Guard = {}): Promise<number | undefined> {
  const q = guarded(db('lc_chats').where({ id }).whereIn('status', open).whereNull('deleted_at'), guard)
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

const oldestFirst = [{ column: 'queued_at', order: 'asc' }, { column: 'id', order: 'asc' }] as const

function inGroups (q: Knex.QueryBuilder, groups: number[] | 'all'): Knex.QueryBuilder {
  if (groups === 'all') return q
  return q.andWhere((w) => { w.whereNull('group_id'); if (groups.length > 0) w.orWhereIn('group_id', groups) })
}

/** Queued chats, oldest first: the order agents take them and customers wait in. `which` picks the Queue or the Transferred tab. */
export async function queuedChats (db: Db, opts: { groups?: number[] | 'all', which?: 'queue' | 'transferred' | 'waiting', forAgent?: string, limit?: number } = {}): Promise<LcChatRow[]> {
  const q = inGroups(db<LcChatRow>('lc_chats').where('status', 'queued').whereNull('deleted_at'), opts.groups ?? 'all')
  if (opts.which === 'queue') q.whereNull('transferred_at')
  if (opts.which === 'transferred') {
    q.whereNotNull('transferred_at')
    if (opts.forAgent !== undefined) {
      const me = opts.forAgent
      // Waiting for me, or for anyone in a group of mine (the group filter above).
      q.andWhere((w) => { w.whereNull('transferred_to').orWhere('transferred_to', me) })
    }
  }
  // Customers wait in line with everyone not held for one named agent.
  if (opts.which === 'waiting') q.whereNull('transferred_to')
  return await q.orderBy([...oldestFirst]).limit(opts.limit ?? 500)
}

/** The oldest queued chats of a group that distribution may hand out (not held for a named agent). */
export async function nextQueued (db: Db, groupId: number, limit: number): Promise<LcChatRow[]> {
  return await db<LcChatRow>('lc_chats').where({ status: 'queued', group_id: groupId }).whereNull('deleted_at').whereNull('transferred_to')
    .orderBy([...oldestFirst]).limit(limit)
}

/** A transfer to an agent never answered: hand it back to the group's queue. */
export async function staleTransfers (db: Db, before: number, limit = 200): Promise<LcChatRow[]> {
  return await db<LcChatRow>('lc_chats').where('status', 'queued').whereNotNull('transferred_to').andWhere('transferred_at', '<', before).whereNull('deleted_at').limit(limit)
}

/** How many customers wait ahead of this one in its group (queued earlier, or at the same ms with a lower id). */
export async function countAhead (db: Db, chat: { id: number, queuedAt: number, groupId: number | null }): Promise<number> {
  const q = db('lc_chats').where('status', 'queued').whereNull('deleted_at').whereNull('transferred_to')
  if (chat.groupId === null) q.whereNull('group_id')
  else q.andWhere('group_id', chat.groupId)
  const row = await q.andWhere((w) => { w.where('queued_at', '<', chat.queuedAt).orWhere((w2) => { w2.where('queued_at', chat.queuedAt).andWhere('id', '<', chat.id) }) })
    .count({ n: '*' }).first()
  return Number(row?.n ?? 0)
}

export async function countQueued (db: Db, groups: number[] | 'all', which: 'queue' | 'transferred', forAgent?: string): Promise<number> {
  const q = inGroups(db('lc_chats').where('status', 'queued').whereNull('deleted_at'), groups)
  if (which === 'queue') q.whereNull('transferred_at')
  else {
    q.whereNotNull('transferred_at')
    if (forAgent !== undefined) q.andWhere((w) => { w.whereNull('transferred_to').orWhere('transferred_to', forAgent) })
  }
  const row = await q.count({ n: '*' }).first()
  return Number(row?.n ?? 0)
}

/** Average time (ms) the group's recent chats waited before an agent took them; null without history. */
export async function recentQueueTime (db: Db, groupId: number | null, since: number, sample = 20): Promise<number | null> {
  const q = db('lc_chats').select('queued_at', 'assigned_at').whereNotNull('assigned_at').andWhere('assigned_at', '>', since).whereNull('transferred_at')
  if (groupId === null) q.whereNull('group_id')
  else q.andWhere('group_id', groupId)
  const rows = await q.orderBy('assigned_at', 'desc').limit(sample)
  if (rows.length === 0) return null
  const waits = rows.map((r: Record<string, unknown>) => Math.max(0, toMs(r.assigned_at)! - toMs(r.queued_at)!))
  return waits.reduce((a: number, b: number) => a + b, 0) / waits.length
}

/** Auto-assigned chats their agent has not written to since they were given them. */
export async function unansweredAssignments (db: Db, assignedBefore: number, limit = 200): Promise<LcChatRow[]> {
  return await db<LcChatRow>('lc_chats').where({ status: 'active', auto_assigned: true }).andWhere('assigned_at', '<', assignedBefore).whereNull('deleted_at')
    .andWhere((w) => { w.whereNull('last_agent_message_at').orWhereRaw('last_agent_message_at < assigned_at') })
    .limit(limit)
}

// ---------------------------------------------------------------- customer presence (DESIGN §4, "Customer left")

/** An open chat of the customer: what their window keeps present. */
const presentIn = ['queued', 'active']

/**
 * A window of the customer's is open now: customer_seen_at moves to `at` on open chats
 * whose mark is older than `staleBefore` (every one when it is not given). `keepGone`
 * leaves a chat already marked gone alone (a window closing must not clear the mark).
 */
export async function touchCustomerSeen (db: Db, ids: number[], at: number, opts: { staleBefore?: number, keepGone?: boolean } = {}): Promise<number> {
  if (ids.length === 0) return 0
  const q = db('lc_chats').whereIn('id', ids).whereIn('status', presentIn).whereNull('deleted_at')
  if (opts.staleBefore !== undefined) {
    const before = opts.staleBefore
    q.andWhere((w) => { w.whereNull('customer_seen_at').orWhere('customer_seen_at', '<=', before) })
  }
  if (opts.keepGone) q.whereNull('customer_gone_at')
  return affected(await q.update({ customer_seen_at: at }))
}

/** Of `ids`, the active chats marked as left by their customer. */
export async function goneChatIds (db: Db, ids: number[]): Promise<number[]> {
  if (ids.length === 0) return []
  const rows = await db('lc_chats').select('id').whereIn('id', ids).where('status', 'active').whereNotNull('customer_gone_at').whereNull('deleted_at')
  return rows.map((r: { id: number }) => Number(r.id))
}

/**
 * Active chats no window of the customer's has kept since `seenBefore` (a customer who
 * never opened one counts from the chat's start), not yet marked. A customer who pressed
 * End chat (customer_left_at) has already said they left.
 */
function goneSince (q: Knex.QueryBuilder, seenBefore: number): Knex.QueryBuilder {
  return q.where('status', 'active').whereNull('deleted_at').whereNull('customer_gone_at').whereNull('customer_left_at')
    .andWhereRaw('COALESCE(customer_seen_at, created_at) < ?', [seenBefore])
}

export async function goneCustomers (db: Db, seenBefore: number, limit = 200): Promise<LcChatRow[]> {
  return await goneSince(db<LcChatRow>('lc_chats'), seenBefore).orderBy('id', 'asc').limit(limit)
}

/** Marks one chat's customer gone if, and only if, it still meets goneCustomers' rule: of racing jobs one wins. */
export async function markCustomerGone (db: Db, id: number, seenBefore: number, at: number): Promise<number> {
  return affected(await goneSince(db('lc_chats').where({ id }), seenBefore).update({ customer_gone_at: at }))
}

/** Clears the mark when a window is open again; one of racing sockets wins. */
export async function clearCustomerGone (db: Db, id: number, at: number): Promise<number> {
  return affected(await db('lc_chats').where({ id, status: 'active' }).whereNull('deleted_at').whereNotNull('customer_gone_at')
    .update({ customer_gone_at: null, customer_seen_at: at }))
}

// ---------------------------------------------------------------- idle end and queue timeout (DESIGN §7, plugin/jobs)

/** Active chats whose customer was marked gone (customer_gone_at) before `goneBefore`. */
function idleSince (q: Knex.QueryBuilder, goneBefore: number): Knex.QueryBuilder {
  return q.where('status', 'active').whereNull('deleted_at').whereNotNull('customer_gone_at').andWhere('customer_gone_at', '<', goneBefore)
}

export async function idleChats (db: Db, goneBefore: number, limit = 200): Promise<LcChatRow[]> {
  return await idleSince(db<LcChatRow>('lc_chats'), goneBefore).orderBy('id', 'asc').limit(limit)
}

/** Ends one such chat if, and only if, it still is one: a customer back meanwhile (the mark cleared) or an agent's End wins. */
export async function endIdle (db: Db, id: number, goneBefore: number, changes: Partial<LcChatRow>): Promise<number> {
  return affected(await idleSince(db('lc_chats').where({ id }), goneBefore).update(changes))
}

/** Chats waiting in a queue since before `queuedBefore`, longest waiting first. */
export async function queuedSince (db: Db, queuedBefore: number, limit = 100): Promise<LcChatRow[]> {
  return await db<LcChatRow>('lc_chats').where('status', 'queued').whereNull('deleted_at').andWhere('queued_at', '<', queuedBefore)
    .orderBy([...oldestFirst]).limit(limit)
}

/** Closes one such chat if, and only if, it still waits where it waited when read (`queuedAt`): not taken, left, transferred or re-queued meanwhile. */
export async function timeOutQueued (db: Db, id: number, queuedAt: number | string, changes: Partial<LcChatRow>): Promise<number> {
  return affected(await db('lc_chats').where({ id, status: 'queued', queued_at: queuedAt }).whereNull('deleted_at').update(changes))
}

export async function markRead (db: Db, chatId: number, agentId: string, seq: number): Promise<number> {
  return affected(await db('lc_chats').where({ id: chatId, agent_id: agentId }).andWhere('agent_read_seq', '<', seq).update({ agent_read_seq: seq }))
}

export async function agentChats (db: Db, agentId: string, statuses: readonly ChatStatus[], limit = 50): Promise<LcChatRow[]> {
  return await db<LcChatRow>('lc_chats').where('agent_id', agentId).whereIn('status', statuses).whereNull('deleted_at')
    .orderBy('id', 'desc').limit(limit)
}

/**
 * One customer's chats, newest first (ids below `beforeId` only, when given), with how many
 * there are in all and how many were created at or after each of `since`. A signed-in
 * customer is known by host user id, anyone else by email: case-insensitively, as MySQL's
 * collation compares it, so SQLite compares (and indexes) it NOCASE.
 */
/** A customer's chats: by host user when signed in, else by email, case-insensitively on both databases. */
function ofCustomer (db: Db, q: Knex.QueryBuilder, who: { userId: string | null, email: string }): Knex.QueryBuilder {
  q.whereNull('deleted_at')
  if (who.userId !== null) q.andWhere('customer_user_id', who.userId)
  else q.andWhereRaw(getDialect(db) === 'sqlite' ? 'customer_email = ? collate nocase' : 'customer_email = ?', [who.email])
  return q
}

/** Chats created since each of the given times, deleted ones included: they were started all the same. */
export async function countStartedSince (db: Db, since: number[]): Promise<number[]> {
  if (since.length === 0) return []
  const sums = since.map((at, i) => db.raw(`sum(case when created_at >= ? then 1 else 0 end) as s${i}`, [at]))
  const row: Record<string, unknown> | undefined = await db('lc_chats').select(...sums).where('created_at', '>=', Math.min(...since)).first()
  return since.map((_, i) => Number(row?.[`s${i}`] ?? 0))
}

export async function customerChatIds (db: Db, who: { userId: string | null, email: string }): Promise<number[]> {
  return (await ofCustomer(db, db('lc_chats').select('id'), who)).map((r: { id: number }) => Number(r.id))
}

export async function customerChats (db: Db, who: { userId: string | null, email: string }, opts: { limit: number, beforeId?: number, since: number[] }): Promise<{ rows: LcChatRow[], total: number, since: number[] }> {
  const match = (q: Knex.QueryBuilder): Knex.QueryBuilder => {
    ofCustomer(db, q, who)
    if (opts.beforeId !== undefined) q.andWhere('id', '<', opts.beforeId)
    return q
  }
  const rows = await match(db<LcChatRow>('lc_chats').select('*')).orderBy('id', 'desc').limit(opts.limit)
  const sums = opts.since.map((at, i) => db.raw(`sum(case when created_at >= ? then 1 else 0 end) as s${i}`, [at]))
  const counts: Record<string, unknown> = await match(db('lc_chats').select(db.raw('count(*) as n'), ...sums)).first()
  return { rows, total: Number(counts?.n ?? 0), since: opts.since.map((_, i) => Number(counts?.[`s${i}`] ?? 0)) }
}

// ---------------------------------------------------------------- chat lists (seed 000, "My Live Chats vs. Global Live Chats")

export type ListSortColumn = 'status' | 'user' | 'group' | 'started' | 'queue' | 'idle' | 'messages' | 'agent' | 'deleted'

export interface ListQuery {
  statuses: readonly ChatStatus[]
  groups: number[] | 'all'
  /** Chats of no group (one shared queue) too; false once the list is narrowed to groups. */
  ungrouped?: boolean
  agentId?: string
  /** With `groups` narrowed: this agent's own chats too, whatever their group (Deleted Items). */
  orAgentId?: string
  /** Deleted Items: deleted chats only, instead of leaving them out. */
  deleted?: boolean
  /** The search box (plugin/search): only chats whose ids this subquery selects. */
  matching?: Knex.QueryBuilder
  /** Queued chats only: true for transfers (the Transferred tab), false for the Queue tab. */
  transferred?: boolean
  /** With `transferred`: held for this agent or for anyone in the group. */
  forAgent?: string
  sort: ListSortColumn
  dir: 'asc' | 'desc'
  /** Group or agent ids in the order of their names, for those sorts: the names are not in lc_chats. */
  rank?: Array<number | string>
  /** The time idle and queue time are measured at. */
  now: number
  limit: number
}

const statusOrder = "CASE status WHEN 'queued' THEN 0 WHEN 'active' THEN 1 WHEN 'ended' THEN 2 WHEN 'abandoned' THEN 3 ELSE 4 END"
// Idle counts from the agent's last message, or from assignment when they have not written.
const idleFrom = 'COALESCE(last_agent_message_at, assigned_at)'

/**
 * One page of a chat list, sorted in SQL. Every sort ends on idle time in the same
 * direction (seed 000 "Sorting": least idle first ascending), then on id, so the order
 * is total and stable. Chats without idle time (never assigned) count as least idle.
 */
export async function listChats (db: Db, query: ListQuery): Promise<LcChatRow[]> {
  const q = db<LcChatRow>('lc_chats').whereIn('status', [...query.statuses])
  if (query.deleted === true) q.whereNotNull('deleted_at')
  else q.whereNull('deleted_at')
  const { groups, ungrouped = true, orAgentId } = query
  if (groups !== 'all' || !ungrouped) {
    q.andWhere((w) => {
      w.whereRaw('1 = 0')
      if (ungrouped) w.orWhereNull('group_id')
      if (groups === 'all') w.orWhereNotNull('group_id')
      else if (groups.length > 0) w.orWhereIn('group_id', groups)
      if (orAgentId !== undefined) w.orWhere('agent_id', orAgentId)
    })
  }
  if (query.agentId !== undefined) q.andWhere('agent_id', query.agentId)
  if (query.matching !== undefined) q.whereIn('id', query.matching)
  if (query.transferred === true) {
    q.whereNotNull('transferred_at')
    if (query.forAgent !== undefined) {
      const me = query.forAgent
      q.andWhere((w) => { w.whereNull('transferred_to').orWhere('transferred_to', me) })
    }
  }
  if (query.transferred === false) q.whereNull('transferred_at')
  const dir = query.dir === 'desc' ? 'desc' : 'asc'
  const back = dir === 'asc' ? 'desc' : 'asc'
  const byIdle = (d: 'asc' | 'desc', r: 'asc' | 'desc'): void => {
    q.orderByRaw(`CASE WHEN ${idleFrom} IS NULL THEN 0 ELSE 1 END ${d}`)
    q.orderByRaw(`${idleFrom} ${r}`)
  }
  const ranked = (column: 'group_id' | 'agent_id'): void => {
    const rank = query.rank ?? []
    if (rank.length === 0) { q.orderBy(column, dir); return }
    q.orderByRaw(`CASE ${column} ${rank.map(() => 'WHEN ? THEN ?').join(' ')} ELSE ? END ${dir}`, [...rank.flatMap((id, i) => [id, i]), rank.length])
  }
  switch (query.sort) {
    case 'status': q.orderByRaw(`${statusOrder} ${dir}`); break
    case 'user': q.orderByRaw(`LOWER(customer_name) ${dir}`).orderByRaw(`LOWER(customer_email) ${dir}`); break
    case 'group': ranked('group_id'); break
    case 'agent': ranked('agent_id'); break
    case 'started': q.orderBy('created_at', dir); break
    case 'queue': q.orderByRaw(`COALESCE(assigned_at, ?) - COALESCE(queued_at, created_at) ${dir}`, [query.now]); break
    case 'messages': q.orderBy('message_count', dir); break
    case 'deleted': q.orderBy('deleted_at', dir); break
    case 'idle': break
  }
  byIdle(dir, back)
  return await q.orderBy('id', dir).limit(query.limit)
}
