import type { Knex } from 'knex'
import { affected, getDialect, toMs } from '../db/index.ts'

type Db = Knex | Knex.Transaction

export type Distribution = 'cherry_pick' | 'round_robin'

export interface LcAgentPresenceRow {
  agent_id: string
  status: string
  max_chats: number
  heartbeat_at: number | string | null
  last_chat_ended_at: number | string | null
  last_assigned_at: number | string | null
  missed_offers: number
  missed_offer_at: number | string | null
  /** Set by the presence sweep, cleared by any choice of the agent's (migration 044). */
  swept_at?: number | string | null
  updated_at: number | string
}

export interface Presence {
  agentId: string
  status: 'available' | 'unavailable'
  /** "Available for N": how many chats may be auto-assigned to the agent at once. */
  maxChats: number
  heartbeatAt: number | null
  lastChatEndedAt: number | null
  lastAssignedAt: number | null
  /** Chats offered to the agent by round robin that went unanswered in a row (docs/features.md#re-offer). */
  missedOffers: number
}

export interface Department {
  id: number
  name: string
  defaultGroupId: number | null
  queuePositionMessage: string | null
  queuePositionMessageOne: string | null
  queueNextMessage: string | null
  sortOrder: number
  /** The help desk's id of the department this was imported from or linked to (docs/features.md#import-from-the-help-desk). */
  hostId: string | null
}

export interface Group {
  id: number
  departmentId: number
  departmentName: string
  name: string
  distribution: Distribution
  defaultMaxChats: number
  enabled: boolean
  /** The help desk's id of the group this was imported from or linked to. */
  hostId: string | null
}

export interface Membership {
  groupId: number
  agentId: string
  active: boolean
  /** The agent's own limit in the group, or null for the group default. */
  maxChats: number | null
}

/** An agent who could take a chat of a group now, with the load round robin ranks by. */
export interface Candidate {
  agentId: string
  /** min(Available for N, the agent's limit in the group). */
  capacity: number
  active: number
  lastChatEndedAt: number | null
  lastAssignedAt: number | null
}

const bool = (v: unknown): boolean => v === true || v === 1 || v === '1'

export function toPresence (row: LcAgentPresenceRow): Presence {
  return {
    agentId: row.agent_id,
    status: row.status as Presence['status'],
    maxChats: Number(row.max_chats),
    heartbeatAt: toMs(row.heartbeat_at),
    lastChatEndedAt: toMs(row.last_chat_ended_at),
    lastAssignedAt: toMs(row.last_assigned_at),
    missedOffers: Number(row.missed_offers ?? 0)
  }
}

function toDepartment (r: Record<string, unknown>): Department {
  return {
    id: Number(r.id),
    name: String(r.name),
    defaultGroupId: r.default_group_id === null ? null : Number(r.default_group_id),
    queuePositionMessage: (r.queue_position_message as string | null) ?? null,
    queuePositionMessageOne: (r.queue_position_message_one as string | null) ?? null,
    queueNextMessage: (r.queue_next_message as string | null) ?? null,
    sortOrder: Number(r.sort_order),
    hostId: r.host_id === null || r.host_id === undefined ? null : String(r.host_id)
  }
}

function toGroup (r: Record<string, unknown>): Group {
  return {
    id: Number(r.id),
    departmentId: Number(r.department_id),
    departmentName: String(r.department_name),
    name: String(r.name),
    distribution: r.distribution as Distribution,
    defaultMaxChats: Number(r.default_max_chats),
    enabled: bool(r.enabled),
    hostId: r.host_id === null || r.host_id === undefined ? null : String(r.host_id)
  }
}

function toMembership (r: Record<string, unknown>): Membership {
  return { groupId: Number(r.group_id), agentId: String(r.agent_id), active: bool(r.active), maxChats: r.max_chats === null ? null : Number(r.max_chats) }
}

// ---------------------------------------------------------------- presence

export async function getPresence (db: Db, agentId: string): Promise<LcAgentPresenceRow | undefined> {
  return await db<LcAgentPresenceRow>('lc_agent_presence').where({ agent_id: agentId }).first()
}

/** The presence rows of `agentIds` in one read; an agent who never had one is missing. */
export async function getPresences (db: Db, agentIds: string[]): Promise<LcAgentPresenceRow[]> {
  if (agentIds.length === 0) return []
  return await db<LcAgentPresenceRow>('lc_agent_presence').whereIn('agent_id', agentIds)
}

/**
 * Locks the agent's presence row until the transaction ends (MySQL; SQLite runs one
 * writer at a time anyway). Everything that gives an agent a chat takes this lock
 * first, so counting their chats and adding one cannot interleave (docs/design.md §5).
 */
export async function lockPresence (trx: Knex.Transaction, agentId: string): Promise<LcAgentPresenceRow | undefined> {
  const q = trx<LcAgentPresenceRow>('lc_agent_presence').where({ agent_id: agentId })
  if (getDialect(trx) === 'mysql') q.forUpdate()
  return await q.first()
}

/**
 * Locks the presence rows of `agentIds` until the transaction ends, in agent order (MySQL;
 * SQLite runs one writer at a time anyway): round robin's batch claims many agents at once,
 * and every claimer taking its locks in the same order (one row is an order too) is what keeps
 * two batches, or a batch and a single claim, from deadlocking (docs/design.md §5).
 */
export async function lockPresences (trx: Knex.Transaction, agentIds: string[]): Promise<LcAgentPresenceRow[]> {
  if (agentIds.length === 0) return []
  const q = trx<LcAgentPresenceRow>('lc_agent_presence').whereIn('agent_id', agentIds).orderBy('agent_id')
  if (getDialect(trx) === 'mysql') q.forUpdate()
  return await q
}

/** Outside any transaction: an INSERT IGNORE then FOR UPDATE in one would deadlock two claimers (S lock, then X). */
export async function ensurePresence (db: Db, agentId: string, at: number): Promise<void> {
  await db('lc_agent_presence').insert({ agent_id: agentId, status: 'unavailable', max_chats: 0, updated_at: at }).onConflict('agent_id').ignore()
}

/** Creates the agent's presence row on first use; later calls change only the given fields. */
export async function upsertPresence (db: Db, agentId: string, changes: Partial<LcAgentPresenceRow>, at: number): Promise<void> {
  await db('lc_agent_presence')
    .insert({ agent_id: agentId, status: 'unavailable', max_chats: 0, updated_at: at, ...changes })
    .onConflict('agent_id').merge({ ...changes, updated_at: at })
}

export async function touchHeartbeats (db: Db, agentIds: string[], at: number): Promise<void> {
  if (agentIds.length === 0) return
  await db('lc_agent_presence').whereIn('agent_id', agentIds).update({ heartbeat_at: at })
}

/** An agent the sweep took, and who they were available for. */
export interface Swept { agentId: string, maxChats: number }

/**
 * Makes available again, among `agentIds` (agents whose consoles just beat), those the
 * presence sweep made unavailable and who chose nothing since; returns them.
 */
export async function restoreSwept (db: Db, agentIds: string[], at: number): Promise<Swept[]> {
  if (agentIds.length === 0) return []
  const swept = (q: Knex.QueryBuilder): Knex.QueryBuilder => q.whereIn('agent_id', agentIds).andWhere('status', 'unavailable').whereNotNull('swept_at')
  const rows = await swept(db('lc_agent_presence').select('agent_id', 'max_chats')) as Array<Pick<LcAgentPresenceRow, 'agent_id' | 'max_chats'>>
  if (rows.length === 0) return []
  const n = affected(await swept(db('lc_agent_presence').whereIn('agent_id', rows.map((r) => r.agent_id)))
    .update({ status: 'available', swept_at: null, heartbeat_at: at, updated_at: at }))
  return n > 0 ? rows.map((r) => ({ agentId: r.agent_id, maxChats: Number(r.max_chats) })) : []
}

/** Available agents with a fresh heartbeat; with `groupIds`, only active members of one of them. */
export async function countAvailable (db: Db, freshSince: number, groupIds?: number[]): Promise<number> {
  const q = db('lc_agent_presence as p').where('p.status', 'available').andWhere('p.heartbeat_at', '>', freshSince)
  if (groupIds) {
    q.whereExists((s) => {
      s.select(db.raw('1')).from('lc_group_members as m').whereRaw('m.agent_id = p.agent_id').whereIn('m.group_id', groupIds).andWhere('m.active', true)
    })
  }
  const row = await q.count({ n: '*' }).first()
  return Number(row?.n ?? 0)
}

/**
 * One more offer the agent missed, counted at `at` (the re-offer's transaction, under the lock
 * of their row, before it moves the chat); `unavailable` switches them off with it.
 */
export async function countMissedOffer (db: Db, agentId: string, missed: number, at: number, unavailable: boolean): Promise<void> {
  await db('lc_agent_presence').where({ agent_id: agentId })
    .update({ missed_offers: missed, missed_offer_at: at, updated_at: at, ...(unavailable ? { status: 'unavailable', swept_at: null } : {}) })
}

/**
 * The agent answered an offer at `answeredAt`: their run of missed offers ends, unless a miss
 * was counted after that answer was written (another chat of theirs re-offered meanwhile).
 */
export async function clearMissedOffers (db: Db, agentId: string, answeredAt: number): Promise<void> {
  await db('lc_agent_presence').where({ agent_id: agentId }).andWhere('missed_offers', '>', 0)
    .andWhere((q) => { q.whereNull('missed_offer_at').orWhere('missed_offer_at', '<=', answeredAt) })
    .update({ missed_offers: 0 })
}

/** The agent was given a chat now: round robin's last tie-break. */
export async function markAssigned (db: Db, agentId: string, at: number): Promise<void> {
  await db('lc_agent_presence').where({ agent_id: agentId }).update({ last_assigned_at: at })
}

/** These agents were given chats now, in one statement (round robin's batch). */
export async function markAssignedMany (db: Db, agentIds: string[], at: number): Promise<void> {
  if (agentIds.length === 0) return
  await db('lc_agent_presence').whereIn('agent_id', agentIds).update({ last_assigned_at: at })
}

/**
 * Marks available agents whose heartbeat stopped before `staleBefore` unavailable, and
 * remembers that the sweep did it (swept_at); returns them. One read of presence, one write.
 */
export async function markStaleUnavailable (db: Db, staleBefore: number, at: number): Promise<Swept[]> {
  const stale = (q: Knex.QueryBuilder): Knex.QueryBuilder => q.where('status', 'available')
    .andWhere((w) => { w.whereNull('heartbeat_at').orWhere('heartbeat_at', '<', staleBefore) })
  const rows = await stale(db('lc_agent_presence').select('agent_id', 'max_chats')) as Array<Pick<LcAgentPresenceRow, 'agent_id' | 'max_chats'>>
  if (rows.length === 0) return []
  const n = affected(await stale(db('lc_agent_presence').whereIn('agent_id', rows.map((r) => r.agent_id)))
    .update({ status: 'unavailable', swept_at: at, updated_at: at }))
  return n > 0 ? rows.map((r) => ({ agentId: r.agent_id, maxChats: Number(r.max_chats) })) : []
}

// ---------------------------------------------------------------- load (reads lc_chats: an agent's load is routing's business)

export async function countActiveChats (db: Db, agentId: string): Promise<number> {
  const row = await db('lc_chats').where({ agent_id: agentId, status: 'active' }).whereNull('deleted_at').count({ n: '*' }).first()
  return Number(row?.n ?? 0)
}

export async function activeCounts (db: Db, agentIds: string[]): Promise<Map<string, number>> {
  if (agentIds.length === 0) return new Map()
  const rows = await db('lc_chats').select('agent_id').count({ n: '*' })
    .where('status', 'active').whereIn('agent_id', agentIds).whereNull('deleted_at').groupBy('agent_id')
  return new Map(rows.map((r: Record<string, unknown>) => [String(r.agent_id), Number(r.n)]))
}

/** An agent who may take chats of a group now, with what routing computes their capacity and load from. */
export interface CandidateRow {
  agentId: string
  /** Available for N. */
  availableFor: number
  /** Their own limit in the group, or null for the group's default. */
  memberMaxChats: number | null
  groupMaxChats: number
  active: number
  lastChatEndedAt: number | null
  lastAssignedAt: number | null
}

/** Agents available with a fresh heartbeat, active in the enabled group `groupId`, with Available for N > 0. */
export async function candidateRows (db: Db, groupId: number, freshSince: number): Promise<CandidateRow[]> {
  const rows = await db('lc_agent_presence as p')
    .join('lc_group_members as m', 'm.agent_id', 'p.agent_id')
    .join('lc_groups as g', 'g.id', 'm.group_id')
    .select('p.agent_id', 'p.max_chats', 'p.last_chat_ended_at', 'p.last_assigned_at', 'm.max_chats as member_max', 'g.default_max_chats')
    .where('m.group_id', groupId).andWhere('m.active', true).andWhere('g.enabled', true)
    .andWhere('p.status', 'available').andWhere('p.heartbeat_at', '>', freshSince).andWhere('p.max_chats', '>', 0)
  const counts = await activeCounts(db, rows.map((r: Record<string, unknown>) => String(r.agent_id)))
  return rows.map((r: Record<string, unknown>) => ({
    agentId: String(r.agent_id),
    availableFor: Number(r.max_chats),
    memberMaxChats: r.member_max === null ? null : Number(r.member_max),
    groupMaxChats: Number(r.default_max_chats),
    active: counts.get(String(r.agent_id)) ?? 0,
    lastChatEndedAt: toMs(r.last_chat_ended_at),
    lastAssignedAt: toMs(r.last_assigned_at)
  }))
}

/** The limits of `agentIds` in the group: their own, or the group's default; only active members of an enabled group are listed. */
export async function activeLimitsIn (db: Db, groupId: number, agentIds: string[]): Promise<Map<string, number>> {
  if (agentIds.length === 0) return new Map()
  const rows = await db('lc_group_members as m').join('lc_groups as g', 'g.id', 'm.group_id')
    .select('m.agent_id', 'm.max_chats', 'g.default_max_chats')
    .where('m.group_id', groupId).whereIn('m.agent_id', agentIds).andWhere('m.active', true).andWhere('g.enabled', true)
  return new Map(rows.map((r: Record<string, unknown>) => [String(r.agent_id), r.max_chats === null ? Number(r.default_max_chats) : Number(r.max_chats)]))
}

// ---------------------------------------------------------------- departments, groups, members

const groupColumns = ['g.id', 'g.department_id', 'g.name', 'g.distribution', 'g.default_max_chats', 'g.enabled', 'g.host_id', 'd.name as department_name'] as const

export async function departments (db: Db): Promise<Department[]> {
  return (await db('lc_departments').orderBy([{ column: 'sort_order' }, { column: 'name' }])).map(toDepartment)
}

export async function getDepartment (db: Db, id: number): Promise<Department | undefined> {
  const row = await db('lc_departments').where({ id }).first()
  return row ? toDepartment(row) : undefined
}

export async function groups (db: Db): Promise<Group[]> {
  return (await db('lc_groups as g').join('lc_departments as d', 'd.id', 'g.department_id').select(...groupColumns)
    .orderBy([{ column: 'd.sort_order' }, { column: 'd.name' }, { column: 'g.name' }])).map(toGroup)
}

export async function getGroup (db: Db, id: number): Promise<Group | undefined> {
  const row = await db('lc_groups as g').join('lc_departments as d', 'd.id', 'g.department_id').select(...groupColumns).where('g.id', id).first()
  return row ? toGroup(row) : undefined
}

export async function membershipsOf (db: Db, agentId: string): Promise<Membership[]> {
  return (await db('lc_group_members').where({ agent_id: agentId })).map(toMembership)
}

/** An agent's memberships, each with what its group adds (enabled, the group's default limit), in one read. */
export async function membershipsWithGroups (db: Db, agentId: string): Promise<Array<Membership & { group: Pick<Group, 'enabled' | 'defaultMaxChats'> }>> {
  const rows = await db('lc_group_members as m').join('lc_groups as g', 'g.id', 'm.group_id').where('m.agent_id', agentId)
    .select('m.group_id', 'm.agent_id', 'm.active', 'm.max_chats', 'g.enabled', 'g.default_max_chats').orderBy('m.group_id') as Array<Record<string, unknown>>
  return rows.map((r) => ({ ...toMembership(r), group: { enabled: bool(r.enabled), defaultMaxChats: Number(r.default_max_chats) } }))
}

export async function membersOf (db: Db, groupIds: number[]): Promise<Membership[]> {
  if (groupIds.length === 0) return []
  return (await db('lc_group_members').whereIn('group_id', groupIds).orderBy('agent_id')).map(toMembership)
}

export async function allMemberships (db: Db): Promise<Membership[]> {
  return (await db('lc_group_members').orderBy(['group_id', 'agent_id'])).map(toMembership)
}

export async function insertDepartment (db: Db, row: { name: string, sort_order?: number, queue_position_message?: string | null, queue_position_message_one?: string | null, queue_next_message?: string | null, host_id?: string | null }, at: number): Promise<number> {
  const [id] = await db('lc_departments').insert({ ...row, created_at: at })
  return Number(id)
}

export async function updateDepartment (db: Db, id: number, changes: Record<string, unknown>): Promise<number> {
  return affected(await db('lc_departments').where({ id }).update(changes))
}

export async function insertGroup (db: Db, row: { department_id: number, name: string, distribution: Distribution, default_max_chats: number, host_id?: string | null }, at: number): Promise<number> {
  const [id] = await db('lc_groups').insert({ ...row, enabled: true, created_at: at })
  return Number(id)
}

export async function updateGroup (db: Db, id: number, changes: Record<string, unknown>): Promise<number> {
  return affected(await db('lc_groups').where({ id }).update(changes))
}

export async function upsertMember (db: Db, groupId: number, agentId: string, changes: { active?: boolean, max_chats?: number | null }, at: number): Promise<void> {
  const insert = db('lc_group_members').insert({ group_id: groupId, agent_id: agentId, active: true, max_chats: null, created_at: at, ...changes })
    .onConflict(['group_id', 'agent_id'])
  await (Object.keys(changes).length > 0 ? insert.merge(changes) : insert.ignore())
}

export async function deleteMember (db: Db, groupId: number, agentId: string): Promise<number> {
  return affected(await db('lc_group_members').where({ group_id: groupId, agent_id: agentId }).delete())
}
