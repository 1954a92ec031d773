import type { Knex } from 'knex'
import { affected, toMs } from '../db/index.ts'

type Db = Knex | Knex.Transaction

export interface LcAgentPresenceRow {
  agent_id: string
  status: string
  max_chats: number
  heartbeat_at: number | string | null
  last_chat_ended_at: number | string | null
  last_assigned_at: number | string | null
  updated_at: number | string
}

export interface Presence {
  agentId: string
  status: 'available' | 'unavailable'
  maxChats: number
  heartbeatAt: number | null
}

export function toPresence (row: LcAgentPresenceRow): Presence {
  return { agentId: row.agent_id, status: row.status as Presence['status'], maxChats: Number(row.max_chats), heartbeatAt: toMs(row.heartbeat_at) }
}

export async function getPresence (db: Db, agentId: string): Promise<LcAgentPresenceRow | undefined> {
  return await db<LcAgentPresenceRow>('lc_agent_presence').where({ agent_id: agentId }).first()
}

/** Creates the agent's presence row on first use; later calls change only the given fields. */
export async function upsertPresence (db: Db, agentId: string, changes: Partial<LcAgentPresenceRow>, at: number): Promise<void> {
  await db('lc_agent_presence')
    .insert({ agent_id: agentId, status: 'unavailable', max_chats: 4, updated_at: at, ...changes })
    .onConflict('agent_id').merge({ ...changes, updated_at: at })
}

export async function touchHeartbeats (db: Db, agentIds: string[], at: number): Promise<void> {
  if (agentIds.length === 0) return
  await db('lc_agent_presence').whereIn('agent_id', agentIds).update({ heartbeat_at: at })
}

export async function countAvailable (db: Db, freshSince: number): Promise<number> {
  const row = await db('lc_agent_presence').where('status', 'available').andWhere('heartbeat_at', '>', freshSince).count({ n: '*' }).first()
  return Number(row?.n ?? 0)
}

/** Marks available agents whose heartbeat stopped before `staleBefore` unavailable; returns their ids. */
export async function markStaleUnavailable (db: Db, staleBefore: number, at: number): Promise<string[]> {
  const stale = await db('lc_agent_presence').select('agent_id').where('status', 'available')
    .andWhere((q) => { q.whereNull('heartbeat_at').orWhere('heartbeat_at', '<', staleBefore) })
  const ids = stale.map((r: { agent_id: string }) => r.agent_id)
  if (ids.length === 0) return []
  const n = affected(await db('lc_agent_presence').whereIn('agent_id', ids).andWhere('status', 'available')
    .andWhere((q) => { q.whereNull('heartbeat_at').orWhere('heartbeat_at', '<', staleBefore) })
    .update({ status: 'unavailable', updated_at: at }))
  return n > 0 ? ids : []
}
