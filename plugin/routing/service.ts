import type { Knex } from 'knex'
import { LC_ERR_AGENT_AT_LIMIT, LC_ERR_AVAILABLE_OVER_LIMIT, LC_ERR_GROUP_NOT_FOUND } from '../errors.ts'
import type { Bus } from '../realtime/bus-events.ts'
import * as store from './store.ts'

export type { Candidate, Department, Distribution, Group, Membership, Presence } from './store.ts'

/** The limit of an agent who belongs to no group yet (a fresh install, a supervisor). */
export const defaultChatLimit = 4

export interface RoutingServiceDeps {
  db: Knex
  bus: Bus
  clock?: () => number
  heartbeatTimeoutSeconds: number
}

/** Which groups an agent works in, and which they may look after as a supervisor. */
export interface AgentGroups {
  /** Every group the agent belongs to, active or not. */
  memberOf: number[]
  /** Groups in which the agent is active: they take chats from these. */
  activeIn: number[]
  /** The agent's limit: the highest of their groups' limits. */
  limit: number
}

export type PresenceListener = (change: { agentId: string, available: boolean, raised: boolean }) => Promise<void>

export type RoutingService = ReturnType<typeof createRoutingService>

/**
 * Round robin's order (seed 001, Distribution Methods): lowest share of capacity in use
 * (compared without floating point), then fewest active chats, then the earliest "last
 * chat ended", then the earliest last assignment, then agent id so the order is total.
 */
export function byLoad (a: store.Candidate, b: store.Candidate): number {
  return (a.active * b.capacity - b.active * a.capacity) ||
    (a.active - b.active) ||
    ((a.lastChatEndedAt ?? 0) - (b.lastChatEndedAt ?? 0)) ||
    ((a.lastAssignedAt ?? 0) - (b.lastAssignedAt ?? 0)) ||
    (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0)
}

/**
 * Groups, membership, availability and capacity (DESIGN §5). An agent counts as
 * available only while they chose to be and an open console keeps their heartbeat fresh.
 */
export function createRoutingService ({ db, bus, clock = Date.now, heartbeatTimeoutSeconds }: RoutingServiceDeps) {
  const freshSince = (): number => clock() - heartbeatTimeoutSeconds * 1000
  const listeners: PresenceListener[] = []
  const groupCache = new Map<number, { group: store.Group, at: number }>()
  const groupCacheMs = 5000

  async function presence (agentId: string): Promise<store.Presence> {
    const row = await store.getPresence(db, agentId)
    return row ? store.toPresence(row) : { agentId, status: 'unavailable', maxChats: 0, heartbeatAt: null, lastChatEndedAt: null, lastAssignedAt: null }
  }

  async function agentGroups (agentId: string): Promise<AgentGroups> {
    const [memberships, groups] = await Promise.all([store.membershipsOf(db, agentId), store.groups(db)])
    const byId = new Map(groups.map((g) => [g.id, g]))
    const live = memberships.filter((m) => byId.get(m.groupId)?.enabled)
    const limits = live.map((m) => m.maxChats ?? byId.get(m.groupId)!.defaultMaxChats)
    return {
      memberOf: live.map((m) => m.groupId),
      activeIn: live.filter((m) => m.active).map((m) => m.groupId),
      limit: limits.length > 0 ? Math.max(...limits) : defaultChatLimit
    }
  }

  async function notify (change: Parameters<PresenceListener>[0]): Promise<void> {
    for (const fn of listeners) await fn(change)
  }

  return {
    presence,
    agentGroups,

    /** Called (in this instance) after an agent's availability changed; the distributor drains queues on it. */
    onPresence (fn: PresenceListener): void { listeners.push(fn) },

    /**
     * The Available switch and "Available for N". Turning it on also counts as a
     * heartbeat: the agent is plainly here. N defaults to the agent's limit and may
     * not exceed it.
     */
    async setAvailable (agentId: string, available: boolean, maxChats?: number): Promise<store.Presence> {
      const at = clock()
      const before = await presence(agentId)
      const { limit } = await agentGroups(agentId)
      if (maxChats !== undefined && maxChats > limit) throw new LC_ERR_AVAILABLE_OVER_LIMIT(String(limit), String(limit))
      const n = maxChats ?? (before.maxChats > 0 ? Math.min(before.maxChats, limit) : limit)
      await store.upsertPresence(db, agentId, available ? { status: 'available', heartbeat_at: at, max_chats: n } : { status: 'unavailable', max_chats: n }, at)
      await bus.publish({ type: 'presence.changed', agentId })
      const raised = available && (before.status !== 'available' || n > before.maxChats)
      await notify({ agentId, available, raised })
      return await presence(agentId)
    },

    /** Called for every agent with an open console socket on this instance. */
    async heartbeat (agentIds: string[]): Promise<void> {
      await store.touchHeartbeats(db, agentIds, clock())
    },

    /** Whether anyone could answer a chat now, in one of `groupIds` (any group when not given): the portal link says so. */
    async anyoneAvailable (groupIds?: number[]): Promise<boolean> {
      return await store.countAvailable(db, freshSince(), groupIds) > 0
    },

    /** How many agents could answer a chat of this group now (for the customer's estimated wait). */
    async availableIn (groupId: number): Promise<number> {
      return await store.countAvailable(db, freshSince(), [groupId])
    },

    /** The presence-sweep job: agents whose consoles all closed become unavailable. */
    async sweepStale (): Promise<number> {
      const ids = await store.markStaleUnavailable(db, freshSince(), clock())
      for (const agentId of ids) await bus.publish({ type: 'presence.changed', agentId })
      return ids.length
    },

    /** Round robin's choice among agents who can take a chat of `groupId` now, best first (`byLoad`). */
    async rank (groupId: number): Promise<store.Candidate[]> {
      return (await store.candidates(db, groupId, freshSince())).sort(byLoad)
    },

    /**
     * Inside the re-offer's transaction, before the chat moves: the agent who let it go
     * unanswered is no longer available, so no drain anywhere can hand it straight back.
     */
    async markUnavailable (trx: Knex.Transaction, agentId: string): Promise<void> {
      await trx('lc_agent_presence').where({ agent_id: agentId }).update({ status: 'unavailable', updated_at: clock() })
    },

    /** Before a transaction that will claim this agent's capacity. */
    async ensurePresence (agentId: string): Promise<void> {
      await store.ensurePresence(db, agentId, clock())
    },

    /**
     * Inside the transaction that gives `agentId` a chat of `groupId`: locks the agent's
     * presence row, counts their active chats and refuses when the chat would take them
     * over their limit (`auto`: over min(Available for N, limit), and only while they are
     * available and fresh). Throws LC_ERR_AGENT_AT_LIMIT.
     */
    async claimCapacity (trx: Knex.Transaction, agentId: string, groupId: number | null, auto: boolean): Promise<void> {
      const at = clock()
      const row = await store.lockPresence(trx, agentId)
      if (!row) throw new LC_ERR_AGENT_AT_LIMIT('0')
      let limit = defaultChatLimit
      if (groupId !== null) {
        const group = await store.getGroup(trx, groupId)
        const member = (await store.membershipsOf(trx, agentId)).find((m) => m.groupId === groupId)
        if (member) limit = member.maxChats ?? group?.defaultMaxChats ?? defaultChatLimit
        else limit = (await agentGroupsIn(trx, agentId)).limit
      }
      if (auto) {
        const fresh = row.status === 'available' && (store.toPresence(row).heartbeatAt ?? 0) > freshSince()
        limit = fresh ? Math.min(limit, Number(row.max_chats)) : 0
      }
      const active = await store.countActiveChats(trx, agentId)
      if (active >= limit) throw new LC_ERR_AGENT_AT_LIMIT(String(limit))
      await trx('lc_agent_presence').where({ agent_id: agentId }).update({ last_assigned_at: at })
    },

    /** Recorded after a chat of the agent's ended or left them: round robin's third tie-break. */
    async chatEnded (agentId: string): Promise<void> {
      await store.upsertPresence(db, agentId, { last_chat_ended_at: clock() }, clock())
    },

    // ------------------------------------------------------------ departments and groups

    departments: async () => await store.departments(db),
    department: async (id: number) => await store.getDepartment(db, id),
    groups: async () => await store.groups(db),

    /**
     * One group. Read through a cache of a few seconds: a console page names the group of
     * every open chat, and drains look their group up on every run. This instance's own
     * changes clear it; another instance's show within `groupCacheMs`.
     */
    async group (id: number): Promise<store.Group> {
      const hit = groupCache.get(id)
      if (hit && clock() - hit.at < groupCacheMs) return hit.group
      const group = await store.getGroup(db, id)
      if (!group) throw new LC_ERR_GROUP_NOT_FOUND(String(id))
      groupCache.set(id, { group, at: clock() })
      return group
    },

    /** Members of the given groups (every group when not given). */
    async members (groupIds?: number[]): Promise<store.Membership[]> {
      return groupIds ? await store.membersOf(db, groupIds) : await store.allMemberships(db)
    },

    /** The group a new chat for this department starts in: its default group, else its first enabled one. */
    async entryGroup (departmentId: number): Promise<store.Group | undefined> {
      const [dept, groups] = await Promise.all([store.getDepartment(db, departmentId), store.groups(db)])
      if (!dept) return undefined
      const own = groups.filter((g) => g.departmentId === departmentId && g.enabled)
      return own.find((g) => g.id === dept.defaultGroupId) ?? own[0]
    },

    async createDepartment (input: { name: string, queuePositionMessage?: string | null, queuePositionMessageOne?: string | null, queueNextMessage?: string | null, sortOrder?: number }): Promise<number> {
      return await store.insertDepartment(db, {
        name: input.name,
        sort_order: input.sortOrder ?? 0,
        queue_position_message: input.queuePositionMessage ?? null,
        queue_position_message_one: input.queuePositionMessageOne ?? null,
        queue_next_message: input.queueNextMessage ?? null
      }, clock())
    },

    async updateDepartment (id: number, input: { name?: string, defaultGroupId?: number | null, queuePositionMessage?: string | null, queuePositionMessageOne?: string | null, queueNextMessage?: string | null }): Promise<void> {
      const changes: Record<string, unknown> = {}
      if (input.name !== undefined) changes.name = input.name
      if (input.defaultGroupId !== undefined) changes.default_group_id = input.defaultGroupId
      if (input.queuePositionMessage !== undefined) changes.queue_position_message = input.queuePositionMessage
      if (input.queuePositionMessageOne !== undefined) changes.queue_position_message_one = input.queuePositionMessageOne
      if (input.queueNextMessage !== undefined) changes.queue_next_message = input.queueNextMessage
      if (Object.keys(changes).length > 0) await store.updateDepartment(db, id, changes)
      groupCache.clear()
    },

    async createGroup (input: { departmentId: number, name: string, distribution?: store.Distribution, defaultMaxChats?: number }): Promise<number> {
      return await store.insertGroup(db, {
        department_id: input.departmentId, name: input.name, distribution: input.distribution ?? 'cherry_pick', default_max_chats: input.defaultMaxChats ?? defaultChatLimit
      }, clock())
    },

    async updateGroup (id: number, input: { name?: string, distribution?: store.Distribution, defaultMaxChats?: number, enabled?: boolean }): Promise<void> {
      const changes: Record<string, unknown> = {}
      if (input.name !== undefined) changes.name = input.name
      if (input.distribution !== undefined) changes.distribution = input.distribution
      if (input.defaultMaxChats !== undefined) changes.default_max_chats = input.defaultMaxChats
      if (input.enabled !== undefined) changes.enabled = input.enabled
      if (Object.keys(changes).length > 0) await store.updateGroup(db, id, changes)
      groupCache.clear()
    },

    /** Adds an agent to a group, or changes their active flag or limit in it. */
    async setMember (groupId: number, agentId: string, input: { active?: boolean, maxChats?: number | null } = {}): Promise<void> {
      const changes: { active?: boolean, max_chats?: number | null } = {}
      if (input.active !== undefined) changes.active = input.active
      if (input.maxChats !== undefined) changes.max_chats = input.maxChats
      await store.upsertMember(db, groupId, agentId, changes, clock())
      await bus.publish({ type: 'agent.groups', agentId })
      if (input.active !== false) await notify({ agentId, available: true, raised: true })
    },

    async removeMember (groupId: number, agentId: string): Promise<boolean> {
      const removed = await store.deleteMember(db, groupId, agentId) > 0
      if (removed) await bus.publish({ type: 'agent.groups', agentId })
      return removed
    }
  }

  async function agentGroupsIn (trx: Knex.Transaction, agentId: string): Promise<{ limit: number }> {
    const [memberships, groups] = await Promise.all([store.membershipsOf(trx, agentId), store.groups(trx)])
    const byId = new Map(groups.map((g) => [g.id, g]))
    const limits = memberships.filter((m) => byId.get(m.groupId)?.enabled).map((m) => m.maxChats ?? byId.get(m.groupId)!.defaultMaxChats)
    return { limit: limits.length > 0 ? Math.max(...limits) : defaultChatLimit }
  }
}
