import type { Knex } from 'knex'
import { getDialect, joinInOrder, tableByIndex, toMs } from '../db/index.ts'
import { type Db, type LcChatRow, oldestFirst } from './store.ts'
import type { ChatStatus } from './types.ts'

/**
 * The reads behind the console's tabs and lists, the customer's place in line and the
 * customer panel: no rules, no writes. Deleted chats are left out of every one of them
 * but Deleted Items (`deleted: true`) and the started-chats count.
 */

// ---------------------------------------------------------------- the queue and the Transferred tab

function inGroups (q: Knex.QueryBuilder, groups: number[] | 'all'): Knex.QueryBuilder {
  if (groups === 'all') return q
  return q.andWhere((w) => { w.whereNull('group_id'); if (groups.length > 0) w.orWhereIn('group_id', groups) })
}

/** The most chats the Queue or the Transferred tab lists. */
export const queueListLimit = 500

/** Queued chats, oldest first: the order agents take them and customers wait in. `which` picks the Queue or the Transferred tab. */
export async function queuedChats (db: Db, opts: QueuedOptions = {}): Promise<LcChatRow[]> {
  return await queued(db, opts)
}

interface QueuedOptions { groups?: number[] | 'all', which?: 'queue' | 'transferred' | 'waiting', forAgent?: string, limit?: number }

/**
 * The Queue and the Transferred tab in one statement: each read as queuedChats reads it, with
 * its own limit, the two joined by UNION ALL (the console page asks for both every time).
 */
export async function queueAndTransferred (db: Db, opts: Omit<QueuedOptions, 'which'>): Promise<{ queue: LcChatRow[], transferred: LcChatRow[] }> {
  const rows = await db.select('*').from(queued(db, { ...opts, which: 'queue' }).as('lc_q'))
    .unionAll(db.select('*').from(queued(db, { ...opts, which: 'transferred' }).as('lc_t'))) as LcChatRow[]
  // A union keeps no order: oldest first again, each side on its own.
  const at = (r: LcChatRow): number => r.queued_at === null ? -Infinity : Number(r.queued_at)
  rows.sort((a, b) => at(a) - at(b) || Number(a.id) - Number(b.id))
  return { queue: rows.filter((r) => r.transferred_at === null), transferred: rows.filter((r) => r.transferred_at !== null) }
}

function queued (db: Db, opts: QueuedOptions): Knex.QueryBuilder<LcChatRow, LcChatRow[]> {
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
  return q.orderBy([...oldestFirst]).limit(opts.limit ?? queueListLimit)
}

/** The oldest queued chats of a group that distribution may hand out (not held for a named agent). */
export async function nextQueued (db: Db, groupId: number, limit: number): Promise<LcChatRow[]> {
  return await db<LcChatRow>('lc_chats').where({ status: 'queued', group_id: groupId }).whereNull('deleted_at').whereNull('transferred_to')
    .orderBy([...oldestFirst]).limit(limit)
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

/** Queued chats (not deleted) counted per group, per "came by a transfer" and per agent it is held for: the console's queue counts, in one grouped read. */
export async function queuedTally (db: Db): Promise<Array<{ groupId: number | null, transferred: boolean, transferredTo: string | null, n: number }>> {
  const transferred = 'CASE WHEN transferred_at IS NULL THEN 0 ELSE 1 END'
  const rows = await db('lc_chats').where('status', 'queued').whereNull('deleted_at')
    .select('group_id', 'transferred_to', db.raw(`${transferred} AS transferred`)).count({ n: '*' })
    .groupByRaw(`group_id, transferred_to, ${transferred}`) as Array<{ group_id: number | string | null, transferred_to: string | null, transferred: number | string, n: number | string }>
  return rows.map((r) => ({
    groupId: r.group_id === null ? null : Number(r.group_id),
    transferred: Number(r.transferred) === 1,
    transferredTo: r.transferred_to === null ? null : String(r.transferred_to),
    n: Number(r.n)
  }))
}

/** Chats (not deleted) by status, in one grouped COUNT: the metrics' chats gauge reads it at each scrape. */
export async function countByStatus (db: Db): Promise<Array<{ status: string, n: number }>> {
  const rows = await db('lc_chats').whereNull('deleted_at').groupBy('status').select('status').count({ n: '*' }) as Array<{ status: string, n: number | string }>
  return rows.map((r) => ({ status: r.status, n: Number(r.n) }))
}

/** Per group, how many chats wait in line (transfers included) and since when the oldest waits, in one grouped read. */
export async function queueByGroup (db: Db): Promise<Array<{ groupId: number | null, n: number, oldest: number | null }>> {
  const rows = await db('lc_chats').where('status', 'queued').whereNull('deleted_at').groupBy('group_id')
    .select('group_id').count({ n: '*' }).min({ oldest: 'queued_at' }) as Array<{ group_id: number | null, n: number | string, oldest: unknown }>
  return rows.map((r) => ({ groupId: r.group_id === null ? null : Number(r.group_id), n: Number(r.n), oldest: toMs(r.oldest) }))
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

// ---------------------------------------------------------------- an agent's and a customer's chats

/**
 * An agent's newest chats in the given states (My Active, My Completed). Several states are
 * read along (agent_id, id), newest first, stopping at the limit (migration 063): by
 * (agent_id, status) it would be every chat of the agent's in those states, then sorted, and
 * MariaDB left to itself walks the deleted_at index through every agent's chats. `columns`
 * reads only those (a list's rows; every column without).
 */
export async function agentChats (db: Db, agentId: string, statuses: readonly ChatStatus[], limit = 50, columns: Array<keyof LcChatRow> = []): Promise<LcChatRow[]> {
  const from = statuses.length > 1 ? tableByIndex(db, 'lc_chats', 'lc_chats_agent_recent') : 'lc_chats'
  const q = db<LcChatRow>(from).where('agent_id', agentId).whereIn('status', statuses).whereNull('deleted_at')
  if (columns.length > 0) q.select(columns)
  return await q.orderBy('id', 'desc').limit(limit)
}

/**
 * A customer's chats: by host user when signed in, else by email, case-insensitively as
 * MySQL's collation compares it, so SQLite compares (and indexes) it NOCASE.
 */
function ofCustomer (db: Db, q: Knex.QueryBuilder, who: { userId: string | null, email: string }): Knex.QueryBuilder {
  q.whereNull('deleted_at')
  if (who.userId !== null) q.andWhere('customer_user_id', who.userId)
  else q.andWhereRaw(getDialect(db) === 'sqlite' ? 'customer_email = ? collate nocase' : 'customer_email = ?', [who.email])
  return q
}

/** One column `s<i>` per time: how many of the rows read were created at or after it. */
function createdSince (db: Db, since: number[]): Knex.Raw[] {
  return since.map((at, i) => db.raw(`sum(case when created_at >= ? then 1 else 0 end) as s${i}`, [at]))
}

/** Chats created since each of the given times, deleted ones included: they were started all the same. */
export async function countStartedSince (db: Db, since: number[]): Promise<number[]> {
  if (since.length === 0) return []
  const sums = createdSince(db, since)
  const row: Record<string, unknown> | undefined = await db('lc_chats').select(...sums).where('created_at', '>=', Math.min(...since)).first()
  return since.map((_, i) => Number(row?.[`s${i}`] ?? 0))
}

/**
 * A signed-in customer's open chat, newest first: queued, or active with the customer still
 * in it (one they left stays with the agent). What a second start resumes.
 */
export async function openChatOfUser (db: Db, userId: string, open: readonly ChatStatus[]): Promise<LcChatRow | undefined> {
  return await db<LcChatRow>('lc_chats').where('customer_user_id', userId).whereIn('status', open)
    .whereNull('customer_left_at').whereNull('deleted_at').orderBy('id', 'desc').first()
}

export async function customerChatIds (db: Db, who: { userId: string | null, email: string }): Promise<number[]> {
  return (await ofCustomer(db, db('lc_chats').select('id'), who)).map((r: { id: number }) => Number(r.id))
}

/**
 * One customer's chats, newest first (ids below `beforeId` only, when given), with how many
 * there are in all and how many were created at or after each of `since`.
 */
export async function customerChats (db: Db, who: { userId: string | null, email: string }, opts: { limit: number, beforeId?: number, since: number[] }): Promise<{ rows: LcChatRow[], total: number, since: number[] }> {
  const match = (q: Knex.QueryBuilder): Knex.QueryBuilder => {
    ofCustomer(db, q, who)
    if (opts.beforeId !== undefined) q.andWhere('id', '<', opts.beforeId)
    return q
  }
  const rows = await match(db<LcChatRow>('lc_chats').select('*')).orderBy('id', 'desc').limit(opts.limit)
  const sums = createdSince(db, opts.since)
  const counts: Record<string, unknown> = await match(db('lc_chats').select(db.raw('count(*) as n'), ...sums)).first()
  return { rows, total: Number(counts?.n ?? 0), since: opts.since.map((_, i) => Number(counts?.[`s${i}`] ?? 0)) }
}

/** A customer's chats before `beforeId` (not deleted): how many, and when the newest of them started. */
export async function earlierChats (db: Db, who: { userId: string | null, email: string }, beforeId: number): Promise<{ count: number, lastAt: number | null }> {
  const row: Record<string, unknown> | undefined = await ofCustomer(db, db('lc_chats').select(db.raw('count(*) as n'), db.raw('max(created_at) as last_at')), who)
    .andWhere('id', '<', beforeId).first()
  return { count: Number(row?.n ?? 0), lastAt: toMs(row?.last_at) }
}

// ---------------------------------------------------------------- chat lists (My and Global Live Chats, Deleted Items)

export type ListSortColumn = 'status' | 'user' | 'group' | 'started' | 'queue' | 'idle' | 'messages' | 'agent' | 'deleted' | 'id'

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
  /** With sort 'id': only chats past this id in the sort's direction (the JSON API's cursor, docs/features.md#json-api). */
  afterId?: number
}

const statusOrder = "CASE status WHEN 'queued' THEN 0 WHEN 'active' THEN 1 WHEN 'ended' THEN 2 WHEN 'abandoned' THEN 3 ELSE 4 END"
// Idle counts from the agent's last message, or from assignment when they have not written.
const idleFrom = 'COALESCE(last_agent_message_at, assigned_at)'

/** The ids a search found, once each. */
const foundIds = (db: Db, matching: Knex.QueryBuilder): Knex.QueryBuilder => db.from(matching.as('lc_found')).distinct('lc_found.chat_id')

/**
 * lc_chats read by id from the chats a search found, those ids first: left to itself,
 * MariaDB reads every chat of the list in order and probes the ids, a whole table read
 * for a search finding a few chats (docs/design.md §11).
 */
function matchingChats (db: Db, matching: Knex.QueryBuilder): Knex.QueryBuilder {
  return db.select('lc_chats.*').from(db.raw(`(?) AS lc_matching ${joinInOrder(db)} lc_chats ON lc_chats.id = lc_matching.chat_id`, [foundIds(db, matching)]))
}

/**
 * A list's search box sorted by start: only the rows of the chats that can be on the page.
 * Each chat found is read from lc_chats_found (its status, group, agent and start, keyed by
 * id, a tenth of the rows' size) and ranked by start; the chats whose start ranks within
 * the limit (all of them on a tie, so the list's full order still decides) are read whole.
 * A common word is in thousands of chats: their rows were most of lc_chats, on a desk whose
 * buffer pool does not hold it a read from disk each (docs/design.md §9).
 */
function firstMatchingChats (db: Db, query: ListQuery & { matching: Knex.QueryBuilder }, dir: 'asc' | 'desc'): Knex.QueryBuilder {
  const ranked = db.select('lc_chats.id as chat_id', db.raw(`RANK() OVER (ORDER BY lc_chats.created_at ${dir}) AS lc_rank`))
    .from(db.raw(`(?) AS lc_matching ${joinInOrder(db)} ? ON lc_chats.id = lc_matching.chat_id`, [foundIds(db, query.matching), tableByIndex(db, 'lc_chats', 'lc_chats_found')]))
  listFilters(ranked, query)
  const first = db.from(ranked.as('lc_ranked')).select('lc_ranked.chat_id').where('lc_ranked.lc_rank', '<=', query.limit)
  return db.select('lc_chats.*').from(db.raw(`(?) AS lc_first ${joinInOrder(db)} lc_chats ON lc_chats.id = lc_first.chat_id`, [first]))
}

/** The list's statuses, groups and agent, on lc_chats' own column names. */
function listFilters (q: Knex.QueryBuilder, query: ListQuery): Knex.QueryBuilder {
  q.whereIn('status', [...query.statuses])
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
  return q
}

/**
 * One page of a chat list, sorted in SQL. Every sort ends on idle time in the same
 * direction (least idle first ascending, as the product's lists sort: docs/features.md), then on id, so the order
 * is total and stable. Chats without idle time (never assigned) count as least idle.
 */
export async function listChats (db: Db, query: ListQuery): Promise<LcChatRow[]> {
  const dir = query.dir === 'desc' ? 'desc' : 'asc'
  const { matching } = query
  // lc_chats_found holds every column the list's filters read but the transfer's.
  const q: Knex.QueryBuilder = matching === undefined
    ? db('lc_chats')
    : query.sort === 'started' && query.transferred === undefined ? firstMatchingChats(db, { ...query, matching }, dir) : matchingChats(db, matching)
  listFilters(q, query)
  if (query.transferred === true) {
    q.whereNotNull('transferred_at')
    if (query.forAgent !== undefined) {
      const me = query.forAgent
      q.andWhere((w) => { w.whereNull('transferred_to').orWhere('transferred_to', me) })
    }
  }
  if (query.transferred === false) q.whereNull('transferred_at')
  const back = dir === 'asc' ? 'desc' : 'asc'
  // By id alone the order is total and a page can start after the last id seen: a cursor
  // that stays right however chats change between pages.
  if (query.sort === 'id') {
    if (query.afterId !== undefined) q.andWhere('id', dir === 'desc' ? '<' : '>', query.afterId)
    return await q.orderBy('id', dir).limit(query.limit)
  }
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
    // The customer's wait, as the Queue Time column shows it (queueTime, plugin/console/list-view-models.ts).
    case 'queue': q.orderByRaw(`CASE WHEN status = 'queued' THEN ? ELSE COALESCE(assigned_at, ended_at, ?) END - created_at ${dir}`, [query.now, query.now]); break
    case 'messages': q.orderBy('message_count', dir); break
    case 'deleted': q.orderBy('deleted_at', dir); break
    case 'idle': break
  }
  byIdle(dir, back)
  return await q.orderBy('id', dir).limit(query.limit)
}
