import type { Knex } from 'knex'
import { affected } from '../db/index.ts'
import { type Db, type GuardedRow, type LcChatRow, oldestFirst, unanswered } from './store.ts'

/**
 * The reads and conditional UPDATEs of the scheduled jobs (docs/design.md §7) and of customer
 * presence (docs/design.md §4): each UPDATE repeats the read's condition, so of instances
 * running a job at once one changes each chat.
 */

// ---------------------------------------------------------------- re-offer (docs/design.md §5)

/** A transfer to an agent never answered: hand it back to the group's queue. */
export async function staleTransfers (db: Db, before: number, limit = 200): Promise<LcChatRow[]> {
  return await db<LcChatRow>('lc_chats').where('status', 'queued').whereNotNull('transferred_to').andWhere('transferred_at', '<', before).whereNull('deleted_at').limit(limit)
}

/**
 * An offer not answered yet: an active chat round robin gave its agent, who has not written
 * in it since (an answer moves last_agent_message_at past assigned_at).
 */
function unansweredOffers (q: Knex.QueryBuilder): Knex.QueryBuilder {
  return q.where({ status: 'active', auto_assigned: true }).whereNull('deleted_at')
    .andWhere((w) => { w.whereNull('last_agent_message_at').orWhereRaw('last_agent_message_at < assigned_at') })
}

/** Auto-assigned chats their agent has not written to since they were given them. */
export async function unansweredAssignments (db: Db, assignedBefore: number, limit = 200): Promise<LcChatRow[]> {
  return await unansweredOffers(db<LcChatRow>('lc_chats')).andWhere('assigned_at', '<', assignedBefore).limit(limit)
}

/** Whether the chat is an offer to `agentId` they have not answered yet: their next answer in it is the first. */
export async function awaitsAnswer (db: Db, chatId: number, agentId: string): Promise<boolean> {
  return await awaitsAnswerQuery(db, chatId, agentId) !== undefined
}

/** awaitsAnswer's SELECT, which grouped writes run themselves: a row when the offer awaits its answer. */
export function awaitsAnswerQuery (db: Db, chatId: unknown, agentId: unknown): Knex.QueryBuilder {
  return unansweredOffers(db('lc_chats').select('id').where({ id: chatId, agent_id: agentId })).first() as unknown as Knex.QueryBuilder
}

/**
 * awaitsAnswer read off a chat's row its caller has locked (chats/message-groups.ts):
 * unansweredOffers' condition, for the agent `agentId`. Keep the two in step.
 */
export function awaitsAnswerIn (row: GuardedRow, agentId: string): boolean {
  const auto = row.auto_assigned === true || Number(row.auto_assigned) === 1
  return row.status === 'active' && auto && row.deleted_at === null && row.agent_id === agentId && unanswered(row)
}

// ---------------------------------------------------------------- customer presence (docs/design.md §4, "Customer left")

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

// ---------------------------------------------------------------- idle end and queue timeout (docs/design.md §7, plugin/jobs)

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
