import type { Knex } from 'knex'
import { caseOf } from '../db/index.ts'
import type { Rollup } from './figures.ts'

type Db = Knex | Knex.Transaction

/** One row of lc_chat_facts (migration 041): the moments docs/reports.md measures for one chat. */
export interface LcChatFactRow {
  chat_id: number
  group_id: number | null
  agent_id: string | null
  first_agent_id: string | null
  created_at: number
  first_assigned_at: number | null
  first_response_at: number | null
  ended_at: number | null
  outcome: string | null
  transfers: number
  rating: number | null
  /** How many chats the agent had open, this one included, when it was given to them (migration 051). */
  agent_load: number | null
  /** When the row last changed (epoch ms, the server's clock): the rollups fold its day again. */
  changed_at: number | null
}

export async function insertFact (db: Db, row: Pick<LcChatFactRow, 'chat_id' | 'group_id' | 'created_at' | 'changed_at'>): Promise<void> {
  await db('lc_chat_facts').insert({ ...row, transfers: 0 })
}

/** insertFact for many chats at once (a group of chats started together). */
export async function insertFacts (db: Db, rows: ReadonlyArray<Pick<LcChatFactRow, 'chat_id' | 'group_id' | 'created_at' | 'changed_at'>>): Promise<void> {
  if (rows.length > 0) await db('lc_chat_facts').insert(rows.map((row) => ({ ...row, transfers: 0 })))
}

/** How many chats other than `chatId` the agent has open now, by the open index (few rows: the chats not closed). */
export async function openWith (db: Db, agentId: string, chatId: number): Promise<number> {
  const row = await db('lc_chat_facts').whereNull('outcome').andWhere('agent_id', agentId).andWhereNot('chat_id', chatId).count({ n: '*' }).first()
  return Number(row?.n ?? 0)
}

/** Who has the chat, where it is now and the agent's load as they got it; the first assignment is kept once set. */
export async function assigned (db: Db, chatId: number, groupId: number | null, agentId: string | null, load: number | null, at: number, changedAt: number): Promise<void> {
  await db('lc_chat_facts').where({ chat_id: chatId }).update({
    changed_at: changedAt,
    group_id: groupId,
    agent_id: agentId,
    agent_load: load,
    first_assigned_at: db.raw('COALESCE(first_assigned_at, ?)', [at])
  })
}

/** openWith for many agents at once: how many chats other than `chatIds` each has open now, in one grouped read. */
export async function openWithMany (db: Db, agentIds: readonly string[], chatIds: readonly number[]): Promise<Map<string, number>> {
  if (agentIds.length === 0) return new Map()
  const rows: Array<{ agent_id: string, n: number | string }> = await db('lc_chat_facts').select('agent_id').count({ n: '*' })
    .whereNull('outcome').whereIn('agent_id', agentIds).whereNotIn('chat_id', chatIds).groupBy('agent_id')
  return new Map(rows.map((r) => [r.agent_id, Number(r.n)]))
}

/** assigned for many chats of one group at once, each to its own agent with its load: one statement (round robin's batch). */
export async function assignedMany (db: Db, groupId: number | null, byChat: ReadonlyArray<readonly [number, string | null]>,
  loads: ReadonlyArray<readonly [number, number | null]>, at: number, changedAt: number): Promise<void> {
  if (byChat.length === 0) return
  await db('lc_chat_facts').whereIn('chat_id', byChat.map(([chatId]) => chatId)).update({
    changed_at: changedAt,
    group_id: groupId,
    agent_id: caseOf(db, 'chat_id', byChat),
    agent_load: caseOf(db, 'chat_id', loads),
    first_assigned_at: db.raw('COALESCE(first_assigned_at, ?)', [at])
  })
}

export async function moved (db: Db, chatId: number, groupId: number | null, agentId: string | null, transfer: boolean, changedAt: number): Promise<void> {
  await db('lc_chat_facts').where({ chat_id: chatId }).update({
    changed_at: changedAt,
    group_id: groupId,
    agent_id: agentId,
    ...(transfer ? { transfers: db.raw('transfers + 1') } : {})
  })
}

/** The first agent reply; a later one leaves the row as it is (the WHERE makes it a no-op). */
export async function answered (db: Db, chatId: number, agentId: string | null, at: number, changedAt: number): Promise<void> {
  await db('lc_chat_facts').where({ chat_id: chatId }).whereNull('first_response_at').update({ first_response_at: at, first_agent_id: agentId, changed_at: changedAt })
}

export async function closed (db: Db, chatId: number, agentId: string | null, outcome: string, at: number, changedAt: number): Promise<void> {
  await db('lc_chat_facts').where({ chat_id: chatId }).update({ agent_id: agentId, outcome, ended_at: at, changed_at: changedAt })
}

export async function rated (db: Db, chatId: number, rating: number, changedAt: number): Promise<void> {
  await db('lc_chat_facts').where({ chat_id: chatId }).update({ rating, changed_at: changedAt })
}

/** What a period's rows are narrowed by: all three optional, combined with AND. */
export interface FactFilter {
  from: number
  to: number
  /** Chats in these groups only; null: every group (and chats in none). */
  groupIds: number[] | null
  agentId: string | null
}

/** The columns the figures are computed from, for the chats started in [from, to): one indexed range read. */
export type FactColumns = Omit<LcChatFactRow, 'chat_id' | 'group_id' | 'changed_at'> & { group_id: number | null }

export async function factsIn (db: Db, filter: FactFilter): Promise<FactColumns[]> {
  const q = db<LcChatFactRow>('lc_chat_facts')
    .select('group_id', 'agent_id', 'first_agent_id', 'created_at', 'first_assigned_at', 'first_response_at', 'ended_at', 'outcome', 'transfers', 'rating', 'agent_load')
    .where('created_at', '>=', filter.from).andWhere('created_at', '<', filter.to)
  if (filter.groupIds !== null) q.whereIn('group_id', filter.groupIds)
  if (filter.agentId !== null) q.where('agent_id', filter.agentId)
  return (await q).map((r) => ({
    ...r,
    created_at: Number(r.created_at),
    first_assigned_at: r.first_assigned_at === null ? null : Number(r.first_assigned_at),
    first_response_at: r.first_response_at === null ? null : Number(r.first_response_at),
    ended_at: r.ended_at === null ? null : Number(r.ended_at),
    transfers: Number(r.transfers),
    rating: r.rating === null ? null : Number(r.rating),
    agent_load: r.agent_load === null ? null : Number(r.agent_load)
  }))
}

/**
 * Tickets made from the transcripts of the chats started in [from, to) that pass the filter,
 * per group: the facts' range read joined to each chat's items by their chat_id index.
 */
export async function ticketsIn (db: Db, filter: FactFilter): Promise<Array<{ groupId: number | null, tickets: number }>> {
  const q = db('lc_chat_facts as f').join('lc_chat_items as i', 'i.chat_id', 'f.chat_id')
    .where('f.created_at', '>=', filter.from).andWhere('f.created_at', '<', filter.to)
    .andWhere('i.kind', 'ticket').andWhere('i.created_from_chat', true)
  if (filter.groupIds !== null) q.whereIn('f.group_id', filter.groupIds)
  if (filter.agentId !== null) q.where('f.agent_id', filter.agentId)
  const rows: Array<{ group_id: number | null, n: number | string }> = await q.select('f.group_id').count({ n: '*' }).groupBy('f.group_id')
  return rows.map((r) => ({ groupId: r.group_id === null ? null : Number(r.group_id), tickets: Number(r.n) }))
}

/*
 * The definitions of answered, abandoned and missed (plugin/facts/figures.ts isAnswered,
 * isAbandoned, isMissed) as SQL, for counts the database sums instead of sending rows: the
 * wallboard's tiles. test/facts/figures.test.ts checks both give the same counts.
 */
const answeredSql = 'first_response_at IS NOT NULL'
const abandonedSql = "first_response_at IS NULL AND outcome = 'cancelled'"
const missedSql = "first_response_at IS NULL AND outcome IS NOT NULL AND outcome <> 'cancelled'"
const ratedSql = 'rating BETWEEN 1 AND 5'

/** The counts of the chats started in [from, to) that pass the filter, per group, and their ratings' count and sum. */
export interface GroupCounts { groupId: number | null, started: number, answered: number, missed: number, abandoned: number, rated: number, ratingSum: number }

export async function countsIn (db: Db, filter: FactFilter): Promise<GroupCounts[]> {
  const q = db('lc_chat_facts').select('group_id')
    .count({ started: '*' })
    .select(db.raw(`SUM(CASE WHEN ${answeredSql} THEN 1 ELSE 0 END) AS answered`))
    .select(db.raw(`SUM(CASE WHEN ${missedSql} THEN 1 ELSE 0 END) AS missed`))
    .select(db.raw(`SUM(CASE WHEN ${abandonedSql} THEN 1 ELSE 0 END) AS abandoned`))
    .select(db.raw(`SUM(CASE WHEN ${ratedSql} THEN 1 ELSE 0 END) AS rated`))
    .select(db.raw(`SUM(CASE WHEN ${ratedSql} THEN rating ELSE 0 END) AS rating_sum`))
    .where('created_at', '>=', filter.from).andWhere('created_at', '<', filter.to)
    .groupBy('group_id')
  if (filter.groupIds !== null) q.whereIn('group_id', filter.groupIds)
  if (filter.agentId !== null) q.where('agent_id', filter.agentId)
  const rows: Array<Record<string, unknown>> = await q
  return rows.map((r) => ({
    groupId: r.group_id === null ? null : Number(r.group_id),
    started: Number(r.started),
    answered: Number(r.answered),
    missed: Number(r.missed),
    abandoned: Number(r.abandoned),
    rated: Number(r.rated),
    ratingSum: Number(r.rating_sum)
  }))
}

/** The times to first response of the answered chats started in [from, to) that pass the filter, of ranks offset+1 to offset+limit, shortest first. */
export async function firstResponsesRanked (db: Db, filter: FactFilter, offset: number, limit: number): Promise<number[]> {
  const q = db('lc_chat_facts').select(db.raw('first_response_at - created_at AS d'))
    .where('created_at', '>=', filter.from).andWhere('created_at', '<', filter.to).whereRaw(answeredSql)
    .orderBy('d').limit(limit).offset(offset)
  if (filter.groupIds !== null) q.whereIn('group_id', filter.groupIds)
  if (filter.agentId !== null) q.where('agent_id', filter.agentId)
  return (await q).map((r: { d: unknown }) => Number(r.d))
}

/** A chat open now: waiting (no agent) or with an agent. */
export interface OpenFact { group_id: number | null, agent_id: string | null, created_at: number }

/** Every chat not closed yet, in these groups (null: all), by the open index. */
export async function openFacts (db: Db, groupIds: number[] | null): Promise<OpenFact[]> {
  const q = db<LcChatFactRow>('lc_chat_facts').select('group_id', 'agent_id', 'created_at').whereNull('outcome')
  if (groupIds !== null) q.whereIn('group_id', groupIds)
  return (await q).map((r) => ({ group_id: r.group_id, agent_id: r.agent_id, created_at: Number(r.created_at) }))
}

/** One row of lc_chat_rollups (migration 047): the chats started on one UTC day in one group with one agent. */
export interface LcChatRollupRow {
  day_at: number
  group_id: number | null
  agent_id: string | null
  started: number
  answered: number
  missed: number
  abandoned: number
  transfers: number
  transferred: number
  ratings: string
  started_hours: string
  answered_hours: string
  first_response: string
  wait: string
  handle: string
  load_count: number
  load_sum: number
  load_peak: number
}

// Number lists are kept as JSON arrays: the engine's own parser reads a month's buckets several times faster than a split.
const numbers = (s: string): number[] => JSON.parse(s) as number[]
const text = (ns: readonly number[]): string => JSON.stringify(ns)

/** One UTC day's rollups instead of what it had. */
export async function replaceRollups (db: Db, dayAt: number, rollups: readonly Rollup[]): Promise<void> {
  await db('lc_chat_rollups').where({ day_at: dayAt }).delete()
  const rows: LcChatRollupRow[] = rollups.map((r) => ({
    day_at: r.dayAt,
    group_id: r.groupId,
    agent_id: r.agentId,
    started: r.started,
    answered: r.answered,
    missed: r.missed,
    abandoned: r.abandoned,
    transfers: r.transfers,
    transferred: r.transferred,
    ratings: text(r.ratings),
    started_hours: text(r.startedHours),
    answered_hours: text(r.answeredHours),
    first_response: text(r.firstResponse),
    wait: text(r.wait),
    handle: text(r.handle),
    load_count: r.loadCount,
    load_sum: r.loadSum,
    load_peak: r.loadPeak
  }))
  for (let i = 0; i < rows.length; i += 200) await db('lc_chat_rollups').insert(rows.slice(i, i + 200))
}

/** The rollups of the UTC days in [from, to) that pass the filter, as FactFilter narrows facts. */
export async function rollupsIn (db: Db, filter: FactFilter): Promise<Rollup[]> {
  const q = db<LcChatRollupRow>('lc_chat_rollups').select('*').where('day_at', '>=', filter.from).andWhere('day_at', '<', filter.to)
  if (filter.groupIds !== null) q.whereIn('group_id', filter.groupIds)
  if (filter.agentId !== null) q.where('agent_id', filter.agentId)
  return (await q).map((r) => ({
    dayAt: Number(r.day_at),
    groupId: r.group_id,
    agentId: r.agent_id,
    started: Number(r.started),
    answered: Number(r.answered),
    missed: Number(r.missed),
    abandoned: Number(r.abandoned),
    transfers: Number(r.transfers),
    transferred: Number(r.transferred),
    ratings: numbers(r.ratings),
    startedHours: numbers(r.started_hours),
    answeredHours: numbers(r.answered_hours),
    firstResponse: numbers(r.first_response),
    wait: numbers(r.wait),
    handle: numbers(r.handle),
    loadCount: Number(r.load_count),
    loadSum: Number(r.load_sum),
    loadPeak: Number(r.load_peak)
  }))
}

/** How far the rollups are folded (migration 048's one row). */
export interface RollupState { foldedTo: number | null, foldedAt: number | null }

export async function rollupState (db: Db): Promise<RollupState> {
  const row = await db('lc_chat_rollup_state').where({ id: 1 }).first()
  return { foldedTo: row?.folded_to == null ? null : Number(row.folded_to), foldedAt: row?.folded_at == null ? null : Number(row.folded_at) }
}

/** Takes the state row's lock (MySQL's row lock, SQLite's write lock) until `trx` ends, then reads it. */
export async function lockRollupState (trx: Knex.Transaction): Promise<RollupState> {
  await trx('lc_chat_rollup_state').where({ id: 1 }).update({ folded_at: trx.raw('folded_at') })
  return await rollupState(trx)
}

export async function setRollupState (db: Db, state: RollupState): Promise<void> {
  await db('lc_chat_rollup_state').where({ id: 1 }).update({ folded_to: state.foldedTo, folded_at: state.foldedAt })
}

/** The UTC days (their midnights) before `before` with a fact row changed at or after `since`; `one` stops at the first. */
export async function changedDays (db: Db, since: number, before: number, one = false): Promise<number[]> {
  const q = db('lc_chat_facts').distinct(db.raw('created_at - created_at % 86400000 as day'))
    .where('changed_at', '>=', since).andWhere('created_at', '<', before)
  if (one) q.limit(1)
  return (await q).map((r: { day: unknown }) => Number(r.day))
}

/** The UTC days (their midnights) in [from, to) on which some chat started. */
export async function daysWithFacts (db: Db, from: number, to: number): Promise<number[]> {
  const rows = await db('lc_chat_facts').distinct(db.raw('created_at - created_at % 86400000 as day'))
    .where('created_at', '>=', from).andWhere('created_at', '<', to)
  return rows.map((r: { day: unknown }) => Number(r.day))
}
