import type { Knex } from 'knex'

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
}

export async function insertFact (db: Db, row: Pick<LcChatFactRow, 'chat_id' | 'group_id' | 'created_at'>): Promise<void> {
  await db('lc_chat_facts').insert({ ...row, transfers: 0 })
}

/** Who has the chat and where it is now; the first assignment is kept once set. */
export async function assigned (db: Db, chatId: number, groupId: number | null, agentId: string | null, at: number): Promise<void> {
  await db('lc_chat_facts').where({ chat_id: chatId }).update({
    group_id: groupId,
    agent_id: agentId,
    first_assigned_at: db.raw('COALESCE(first_assigned_at, ?)', [at])
  })
}

export async function moved (db: Db, chatId: number, groupId: number | null, agentId: string | null, transfer: boolean): Promise<void> {
  await db('lc_chat_facts').where({ chat_id: chatId }).update({
    group_id: groupId,
    agent_id: agentId,
    ...(transfer ? { transfers: db.raw('transfers + 1') } : {})
  })
}

/** The first agent reply; a later one leaves the row as it is (the WHERE makes it a no-op). */
export async function answered (db: Db, chatId: number, agentId: string | null, at: number): Promise<void> {
  await db('lc_chat_facts').where({ chat_id: chatId }).whereNull('first_response_at').update({ first_response_at: at, first_agent_id: agentId })
}

export async function closed (db: Db, chatId: number, agentId: string | null, outcome: string, at: number): Promise<void> {
  await db('lc_chat_facts').where({ chat_id: chatId }).update({ agent_id: agentId, outcome, ended_at: at })
}

export async function rated (db: Db, chatId: number, rating: number): Promise<void> {
  await db('lc_chat_facts').where({ chat_id: chatId }).update({ rating })
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
export type FactColumns = Omit<LcChatFactRow, 'chat_id' | 'group_id'> & { group_id: number | null }

export async function factsIn (db: Db, filter: FactFilter): Promise<FactColumns[]> {
  const q = db<LcChatFactRow>('lc_chat_facts')
    .select('group_id', 'agent_id', 'first_agent_id', 'created_at', 'first_assigned_at', 'first_response_at', 'ended_at', 'outcome', 'transfers', 'rating')
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
    rating: r.rating === null ? null : Number(r.rating)
  }))
}

/** A chat open now: waiting (no agent) or with an agent. */
export interface OpenFact { group_id: number | null, agent_id: string | null, created_at: number }

/** Every chat not closed yet, in these groups (null: all), by the open index. */
export async function openFacts (db: Db, groupIds: number[] | null): Promise<OpenFact[]> {
  const q = db<LcChatFactRow>('lc_chat_facts').select('group_id', 'agent_id', 'created_at').whereNull('outcome')
  if (groupIds !== null) q.whereIn('group_id', groupIds)
  return (await q).map((r) => ({ group_id: r.group_id, agent_id: r.agent_id, created_at: Number(r.created_at) }))
}
