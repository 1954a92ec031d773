import type { Knex } from 'knex'
import type { Settings } from '../settings.ts'
import { LC_ERR_AGENT_AT_LIMIT, LC_ERR_AVAILABLE_OVER_LIMIT, LC_ERR_GROUP_NOT_FOUND } from '../errors.ts'
import type { Bus } from '../realtime/bus-events.ts'
import { agentLimit, byLoad, defaultChatLimit, freshSince, isFresh, limitIn } from './rules.ts'
import * as store from './store.ts'
import type { WebhookOutbox } from '../webhooks/outbox.ts'
import type { NewWebhookEvent } from '../webhooks/events.ts'
import type { AuditEntry, Auditor, AuditService } from '../audit/service.ts'
import type { Candidate, Department, Distribution, Group, Membership, Presence } from './store.ts'

export type { Candidate, Department, Distribution, Group, Membership, Presence } from './store.ts'

export interface RoutingServiceDeps {
  db: Knex
  bus: Bus
  clock?: () => number
  /** heartbeatTimeoutSeconds: who counts as present. */
  settings: Pick<Settings, 'heartbeatTimeoutSeconds'>
  /** The webhook outbox: agent.availability is recorded in the transaction of the change. */
  webhooks?: Pick<WebhookOutbox, 'record'>
  /** The audit log: every change to departments, groups and members is recorded in its transaction (docs/features.md#audit-log). */
  audit?: Pick<AuditService, 'record'>
}

/** agent.availability as webhook receivers get it (docs/webhooks.md#events); `reason` says what made the change. */
function availabilityEvent (agentId: string, available: boolean, maxChats: number, reason: 'agent' | 'heartbeat-lost' | 'heartbeat-back' | 'missed-offers'): NewWebhookEvent {
  return { type: 'agent.availability', key: `agent:${agentId}`, data: { agent: { id: agentId }, available, maxChats, reason } }
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

/** What one unanswered offer came to for its agent (missedOffer; docs/features.md#re-offer). */
export interface MissedOffer {
  /** Whether it counted: only a miss while the agent is available does (one already away is not switched off again). */
  counted: boolean
  /** Offers missed in a row now, this one included when it counted. */
  missed: number
  /** This miss reached the limit and switched the agent off. */
  madeUnavailable: boolean
}

export interface NewDepartment {
  name: string
  queuePositionMessage?: string | null
  queuePositionMessageOne?: string | null
  queueNextMessage?: string | null
  sortOrder?: number
}

export interface DepartmentChanges {
  name?: string
  defaultGroupId?: number | null
  queuePositionMessage?: string | null
  queuePositionMessageOne?: string | null
  queueNextMessage?: string | null
}

export interface NewGroup { departmentId: number, name: string, distribution?: Distribution, defaultMaxChats?: number }
export interface GroupChanges { name?: string, distribution?: Distribution, defaultMaxChats?: number, enabled?: boolean }

/**
 * Groups, membership, availability and capacity (docs/design.md §5). An agent counts as
 * available only while they chose to be and an open console keeps their heartbeat fresh
 * (isFresh). Changes are published on the bus as presence.changed or agent.groups.
 */
export interface RoutingService {
  // ------------------------------------------------------------ presence and capacity
  /** The agent's presence row; unavailable with N = 0 for an agent who never had one. */
  presence (agentId: string): Promise<Presence>
  /** The presence of each of `agentIds` in one read (a wallboard or a group's list), keyed by agent. */
  presences (agentIds: string[]): Promise<Map<string, Presence>>
  /** The groups the agent belongs to and is active in, and their limit (agentLimit). */
  agentGroups (agentId: string): Promise<AgentGroups>
  /** Registers a listener told, in this instance, after an agent's availability changed (the distributor drains on it). */
  onPresence (fn: PresenceListener): void
  /**
   * The Available switch and "Available for N" (default and at most the agent's limit); turning it on counts as a
   * heartbeat. Throws LC_ERR_AVAILABLE_OVER_LIMIT. Publishes presence.changed.
   */
  setAvailable (agentId: string, available: boolean, maxChats?: number): Promise<Presence>
  /**
   * Keeps these agents here: called, in one statement, for every agent with an open console
   * socket on this instance. Those the presence sweep had taken are made available again;
   * returns how many. Publishes presence.changed for them.
   */
  heartbeat (agentIds: string[]): Promise<number>
  /** Whether anyone could answer a chat now, in one of `groupIds` (any group when not given): the portal link says so. */
  anyoneAvailable (groupIds?: number[]): Promise<boolean>
  /** How many agents could answer a chat of this group now (the customer's estimated wait). */
  availableIn (groupId: number): Promise<number>
  /** The presence-sweep job: available agents whose heartbeat went stale become unavailable; returns how many. Publishes presence.changed. */
  sweepStale (): Promise<number>
  /** Agents who can take a chat of `groupId` now (below min(N, their limit)), best first by byLoad: round robin's choice. */
  rank (groupId: number): Promise<Candidate[]>
  /**
   * Inside the re-offer's transaction, before the chat moves (presence first, the lock order of every assignment): the
   * agent let an offer go unanswered. It counts while they are available; the `limit`-th in a row (0: never) makes
   * them unavailable. Publishes nothing: the caller does, after the commit.
   */
  missedOffer (trx: Knex.Transaction, agentId: string, limit: number): Promise<MissedOffer>
  /** The agent answered a chat offered to them, writing at `at`: their run of missed offers ends. */
  offerAnswered (agentId: string, at: number): Promise<void>
  /** Creates the agent's presence row, outside the transaction that will claim their capacity. */
  ensurePresence (agentId: string): Promise<void>
  /**
   * Inside the transaction that gives `agentId` a chat of `groupId`: locks their presence row and refuses when the
   * chat would take them over their limit (`auto`: over min(N, limit), and only while available and fresh). Throws
   * LC_ERR_AGENT_AT_LIMIT.
   */
  claimCapacity (trx: Knex.Transaction, agentId: string, groupId: number | null, auto: boolean): Promise<void>
  /**
   * Round robin's batch, inside the transaction that gives the chats: locks the presence rows of `agentIds` (agent
   * order), then answers those who may be given a chat of `groupId` now, each with the room claimCapacity would allow
   * an auto-assignment (available, fresh, active in the enabled group, below min(N, their limit)), as counted under
   * those locks; best first by byLoad.
   */
  claimGroup (trx: Knex.Transaction, groupId: number, agentIds: string[]): Promise<Candidate[]>
  /** Inside the batch's transaction, under claimGroup's locks: these agents were given chats now (round robin's last tie-break). */
  markAssigned (trx: Knex.Transaction, agentIds: string[]): Promise<void>
  /** A chat of the agent's ended or left them: round robin's "last chat ended" tie-break moves. */
  chatEnded (agentId: string): Promise<void>

  // ------------------------------------------------------------ departments, groups, members
  departments (): Promise<Department[]>
  department (id: number): Promise<Department | undefined>
  groups (): Promise<Group[]>
  /** One group, through a cache of a few seconds (this instance's changes clear it); throws LC_ERR_GROUP_NOT_FOUND. */
  group (id: number): Promise<Group>
  /** Members of the given groups (every group when not given). */
  members (groupIds?: number[]): Promise<Membership[]>
  /** The group a new chat for this department starts in: its default group, else its first enabled one. */
  entryGroup (departmentId: number): Promise<Group | undefined>
  /** Creates a department; returns its id. */
  createDepartment (input: NewDepartment, by?: Auditor): Promise<number>
  /** Changes the given fields of a department. */
  updateDepartment (id: number, input: DepartmentChanges, by?: Auditor): Promise<void>
  /** Creates a group (cherry pick, the default limit, enabled unless told); returns its id. */
  createGroup (input: NewGroup, by?: Auditor): Promise<number>
  /** Changes the given fields of a group. */
  updateGroup (id: number, input: GroupChanges, by?: Auditor): Promise<void>
  /** Adds an agent to a group, or changes their active flag or limit in it. Publishes agent.groups. */
  setMember (groupId: number, agentId: string, input?: { active?: boolean, maxChats?: number | null }, by?: Auditor): Promise<void>
  /** Takes an agent out of a group; false when they were not in it. Publishes agent.groups. */
  removeMember (groupId: number, agentId: string, by?: Auditor): Promise<boolean>
}

export function createRoutingService ({ db, bus, clock = Date.now, settings, webhooks, audit }: RoutingServiceDeps): RoutingService {
  // Settings are read when used: the settings screen changes them while the plugin runs.
  const fresh = (): number => freshSince(clock(), settings.heartbeatTimeoutSeconds)
  const listeners: PresenceListener[] = []
  /** A console page names the group of every open chat, and drains look their group up on every run. */
  const groupCache = new Map<number, { group: Group, at: number }>()
  const groupCacheMs = 5000

  const noPresence = (agentId: string): Presence =>
    ({ agentId, status: 'unavailable', maxChats: 0, heartbeatAt: null, lastChatEndedAt: null, lastAssignedAt: null, missedOffers: 0 })

  async function presence (agentId: string): Promise<Presence> {
    const row = await store.getPresence(db, agentId)
    return row ? store.toPresence(row) : noPresence(agentId)
  }

  async function presences (agentIds: string[]): Promise<Map<string, Presence>> {
    const rows = new Map((await store.getPresences(db, agentIds)).map((r) => [r.agent_id, store.toPresence(r)]))
    return new Map(agentIds.map((id) => [id, rows.get(id) ?? noPresence(id)]))
  }

  /** The agent's groups, read through `q` (inside a claim's transaction, say). */
  async function groupsOf (q: Knex | Knex.Transaction, agentId: string): Promise<AgentGroups> {
    // One statement, memberships joined to their groups: every agent request reads its scope.
    const memberships = await store.membershipsWithGroups(q, agentId)
    const live = memberships.filter((m) => m.group.enabled)
    return {
      memberOf: live.map((m) => m.groupId),
      activeIn: live.filter((m) => m.active).map((m) => m.groupId),
      limit: agentLimit(live, new Map(live.map((m) => [m.groupId, m.group])))
    }
  }

  /** A change and its audit entry in one transaction: `write` returns the entry, or null when nothing changed. */
  async function audited<T> (by: Auditor | undefined, write: (trx: Knex.Transaction) => Promise<{ value: T, entry: AuditEntry | null }>): Promise<T> {
    return await db.transaction(async (trx) => {
      const { value, entry } = await write(trx)
      if (entry && audit) await audit.record(trx, by ?? null, entry)
      return value
    })
  }

  const groupLabel = (g: Group): string => `Group ${g.departmentName} / ${g.name}`
  const groupState = (g: Group) => ({ name: g.name, distribution: g.distribution, defaultMaxChats: g.defaultMaxChats, enabled: g.enabled })
  const departmentState = (d: Department) => ({
    name: d.name,
    defaultGroupId: d.defaultGroupId,
    queuePositionMessage: d.queuePositionMessage,
    queuePositionMessageOne: d.queuePositionMessageOne,
    queueNextMessage: d.queueNextMessage
  })

  async function notify (change: Parameters<PresenceListener>[0]): Promise<void> {
    for (const fn of listeners) await fn(change)
  }

  return {
    presence,
    presences,
    agentGroups: async (agentId) => await groupsOf(db, agentId),
    onPresence (fn) { listeners.push(fn) },

    async setAvailable (agentId, available, maxChats) {
      const at = clock()
      const before = await presence(agentId)
      const { limit } = await groupsOf(db, agentId)
      if (maxChats !== undefined && maxChats > limit) throw new LC_ERR_AVAILABLE_OVER_LIMIT(String(limit), String(limit))
      const n = maxChats ?? (before.maxChats > 0 ? Math.min(before.maxChats, limit) : limit)
      // Turning it on is a heartbeat too: the agent is plainly here, so their run of missed offers ends (docs/features.md#re-offer).
      // Either way it is their own choice now, which no heartbeat undoes (swept_at).
      const changes = available ? { status: 'available', heartbeat_at: at, max_chats: n, missed_offers: 0, swept_at: null } : { status: 'unavailable', max_chats: n, swept_at: null }
      if (webhooks && (before.status === 'available') !== available) {
        await db.transaction(async (trx) => {
          await store.upsertPresence(trx, agentId, changes, at)
          await webhooks.record(trx, availabilityEvent(agentId, available, n, 'agent'))
        })
      } else {
        await store.upsertPresence(db, agentId, changes, at)
      }
      await bus.publish({ type: 'presence.changed', agentId })
      const raised = available && (before.status !== 'available' || n > before.maxChats)
      await notify({ agentId, available, raised })
      return await presence(agentId)
    },

    async heartbeat (agentIds) {
      const at = clock()
      await store.touchHeartbeats(db, agentIds, at)
      // A sweep that ran while these consoles' beats were late took agents who are plainly
      // here: they are made available again, as they chose (docs/features.md#presence-sweep).
      const back = webhooks
        ? await db.transaction(async (trx) => {
          const restored = await store.restoreSwept(trx, agentIds, at)
          for (const p of restored) await webhooks.record(trx, availabilityEvent(p.agentId, true, p.maxChats, 'heartbeat-back'))
          return restored
        })
        : await store.restoreSwept(db, agentIds, at)
      for (const { agentId } of back) {
        await bus.publish({ type: 'presence.changed', agentId })
        await notify({ agentId, available: true, raised: true })
      }
      return back.length
    },

    async anyoneAvailable (groupIds) {
      return await store.countAvailable(db, fresh(), groupIds) > 0
    },

    async availableIn (groupId) {
      return await store.countAvailable(db, fresh(), [groupId])
    },

    async sweepStale () {
      const ids = webhooks
        ? await db.transaction(async (trx) => {
          const stale = await store.markStaleUnavailable(trx, fresh(), clock())
          for (const p of stale) await webhooks.record(trx, availabilityEvent(p.agentId, false, p.maxChats, 'heartbeat-lost'))
          return stale
        })
        : await store.markStaleUnavailable(db, fresh(), clock())
      for (const { agentId } of ids) await bus.publish({ type: 'presence.changed', agentId })
      return ids.length
    },

    async rank (groupId) {
      const out: Candidate[] = []
      for (const r of await store.candidateRows(db, groupId, fresh())) {
        const capacity = Math.min(r.availableFor, limitIn({ maxChats: r.memberMaxChats }, { defaultMaxChats: r.groupMaxChats }))
        if (r.active < capacity) out.push({ agentId: r.agentId, capacity, active: r.active, lastChatEndedAt: r.lastChatEndedAt, lastAssignedAt: r.lastAssignedAt })
      }
      return out.sort(byLoad)
    },

    async missedOffer (trx, agentId, limit) {
      const row = await store.lockPresence(trx, agentId)
      if (!row || row.status !== 'available') return { counted: false, missed: Number(row?.missed_offers ?? 0), madeUnavailable: false }
      const missed = Number(row.missed_offers) + 1
      const madeUnavailable = limit > 0 && missed >= limit
      await store.countMissedOffer(trx, agentId, missed, clock(), madeUnavailable)
      if (madeUnavailable) await webhooks?.record(trx, availabilityEvent(agentId, false, Number(row.max_chats), 'missed-offers'))
      return { counted: true, missed, madeUnavailable }
    },

    async offerAnswered (agentId, at) {
      await store.clearMissedOffers(db, agentId, at)
    },

    async ensurePresence (agentId) {
      await store.ensurePresence(db, agentId, clock())
    },

    async claimCapacity (trx, agentId, groupId, auto) {
      const at = clock()
      const row = await store.lockPresence(trx, agentId)
      if (!row) throw new LC_ERR_AGENT_AT_LIMIT('0')
      let limit = defaultChatLimit
      if (groupId !== null) {
        const group = await store.getGroup(trx, groupId)
        const member = (await store.membershipsOf(trx, agentId)).find((m) => m.groupId === groupId)
        // Not a member (a supervisor taking a chat): their limit over all their groups.
        if (member) limit = limitIn(member, group ?? { defaultMaxChats: defaultChatLimit })
        else limit = (await groupsOf(trx, agentId)).limit
      }
      if (auto) {
        const here = row.status === 'available' && isFresh(store.toPresence(row).heartbeatAt, at, settings.heartbeatTimeoutSeconds)
        limit = here ? Math.min(limit, Number(row.max_chats)) : 0
      }
      const active = await store.countActiveChats(trx, agentId)
      if (active >= limit) throw new LC_ERR_AGENT_AT_LIMIT(String(limit))
      await store.markAssigned(trx, agentId, at)
    },

    async claimGroup (trx, groupId, agentIds) {
      const at = clock()
      // First, before any other read: the locks order every claim on these agents.
      const rows = await store.lockPresences(trx, agentIds)
      const here = rows.filter((r) => r.status === 'available' && Number(r.max_chats) > 0 && isFresh(store.toPresence(r).heartbeatAt, at, settings.heartbeatTimeoutSeconds))
      const ids = here.map((r) => r.agent_id)
      const [limits, counts] = await Promise.all([store.activeLimitsIn(trx, groupId, ids), store.activeCounts(trx, ids)])
      const out: Candidate[] = []
      for (const r of here) {
        const limit = limits.get(r.agent_id)
        if (limit === undefined) continue
        const p = store.toPresence(r)
        const capacity = Math.min(p.maxChats, limit)
        const active = counts.get(r.agent_id) ?? 0
        if (active < capacity) out.push({ agentId: p.agentId, capacity, active, lastChatEndedAt: p.lastChatEndedAt, lastAssignedAt: p.lastAssignedAt })
      }
      return out.sort(byLoad)
    },

    async markAssigned (trx, agentIds) {
      await store.markAssignedMany(trx, agentIds, clock())
    },

    async chatEnded (agentId) {
      await store.upsertPresence(db, agentId, { last_chat_ended_at: clock() }, clock())
    },

    departments: async () => await store.departments(db),
    department: async (id) => await store.getDepartment(db, id),
    groups: async () => await store.groups(db),

    async group (id) {
      const hit = groupCache.get(id)
      // Another instance's changes show within groupCacheMs.
      if (hit && clock() - hit.at < groupCacheMs) return hit.group
      const group = await store.getGroup(db, id)
      if (!group) throw new LC_ERR_GROUP_NOT_FOUND(String(id))
      groupCache.set(id, { group, at: clock() })
      return group
    },

    async members (groupIds) {
      return groupIds ? await store.membersOf(db, groupIds) : await store.allMemberships(db)
    },

    async entryGroup (departmentId) {
      const [dept, groups] = await Promise.all([store.getDepartment(db, departmentId), store.groups(db)])
      if (!dept) return undefined
      const own = groups.filter((g) => g.departmentId === departmentId && g.enabled)
      return own.find((g) => g.id === dept.defaultGroupId) ?? own[0]
    },

    async createDepartment (input, by) {
      return await audited(by, async (trx) => {
        const id = await store.insertDepartment(trx, {
          name: input.name,
          sort_order: input.sortOrder ?? 0,
          queue_position_message: input.queuePositionMessage ?? null,
          queue_position_message_one: input.queuePositionMessageOne ?? null,
          queue_next_message: input.queueNextMessage ?? null
        }, clock())
        const after = departmentState((await store.getDepartment(trx, id))!)
        return { value: id, entry: { action: 'department.created', subject: `Department ${input.name}`, subjectId: id, departmentId: id, after } }
      })
    },

    async updateDepartment (id, input, by) {
      const changes: Record<string, unknown> = {}
      if (input.name !== undefined) changes.name = input.name
      if (input.defaultGroupId !== undefined) changes.default_group_id = input.defaultGroupId
      if (input.queuePositionMessage !== undefined) changes.queue_position_message = input.queuePositionMessage
      if (input.queuePositionMessageOne !== undefined) changes.queue_position_message_one = input.queuePositionMessageOne
      if (input.queueNextMessage !== undefined) changes.queue_next_message = input.queueNextMessage
      if (Object.keys(changes).length > 0) {
        await audited(by, async (trx) => {
          const before = await store.getDepartment(trx, id)
          await store.updateDepartment(trx, id, changes)
          const after = await store.getDepartment(trx, id)
          if (!before || !after) return { value: undefined, entry: null }
          return { value: undefined, entry: { action: 'department.updated', subject: `Department ${after.name}`, subjectId: id, departmentId: id, before: departmentState(before), after: departmentState(after) } }
        })
      }
      groupCache.clear()
    },

    async createGroup (input, by) {
      return await audited(by, async (trx) => {
        const id = await store.insertGroup(trx, {
          department_id: input.departmentId, name: input.name, distribution: input.distribution ?? 'cherry_pick', default_max_chats: input.defaultMaxChats ?? defaultChatLimit
        }, clock())
        const group = (await store.getGroup(trx, id))!
        return { value: id, entry: { action: 'group.created', subject: groupLabel(group), subjectId: id, departmentId: group.departmentId, after: groupState(group) } }
      })
    },

    async updateGroup (id, input, by) {
      const changes: Record<string, unknown> = {}
      if (input.name !== undefined) changes.name = input.name
      if (input.distribution !== undefined) changes.distribution = input.distribution
      if (input.defaultMaxChats !== undefined) changes.default_max_chats = input.defaultMaxChats
      if (input.enabled !== undefined) changes.enabled = input.enabled
      if (Object.keys(changes).length > 0) {
        await audited(by, async (trx) => {
          const before = await store.getGroup(trx, id)
          await store.updateGroup(trx, id, changes)
          const after = await store.getGroup(trx, id)
          if (!before || !after) return { value: undefined, entry: null }
          return { value: undefined, entry: { action: 'group.updated', subject: groupLabel(after), subjectId: id, departmentId: after.departmentId, before: groupState(before), after: groupState(after) } }
        })
      }
      groupCache.clear()
    },

    async setMember (groupId, agentId, input = {}, by) {
      const changes: { active?: boolean, max_chats?: number | null } = {}
      if (input.active !== undefined) changes.active = input.active
      if (input.maxChats !== undefined) changes.max_chats = input.maxChats
      await audited(by, async (trx) => {
        const group = await store.getGroup(trx, groupId)
        const was = (await store.membersOf(trx, [groupId])).find((m) => m.agentId === agentId)
        await store.upsertMember(trx, groupId, agentId, changes, clock())
        const now = (await store.membersOf(trx, [groupId])).find((m) => m.agentId === agentId)
        const state = (m: Membership | undefined) => m ? { agentId: m.agentId, active: m.active, maxChats: m.maxChats } : null
        if (!group || JSON.stringify(state(was)) === JSON.stringify(state(now))) return { value: undefined, entry: null }
        return {
          value: undefined,
          entry: { action: was ? 'member.updated' : 'member.added', subject: `${groupLabel(group)}: agent ${agentId}`, subjectId: groupId, departmentId: group.departmentId, before: state(was), after: state(now) }
        }
      })
      await bus.publish({ type: 'agent.groups', agentId })
      // Active in a group again: there may be chats for them now.
      if (input.active !== false) await notify({ agentId, available: true, raised: true })
    },

    async removeMember (groupId, agentId, by) {
      const removed = await audited(by, async (trx) => {
        const group = await store.getGroup(trx, groupId)
        const was = (await store.membersOf(trx, [groupId])).find((m) => m.agentId === agentId)
        const gone = await store.deleteMember(trx, groupId, agentId) > 0
        if (!gone || !group || !was) return { value: gone, entry: null }
        return {
          value: gone,
          entry: { action: 'member.removed', subject: `${groupLabel(group)}: agent ${agentId}`, subjectId: groupId, departmentId: group.departmentId, before: { agentId, active: was.active, maxChats: was.maxChats }, after: null }
        }
      })
      if (removed) await bus.publish({ type: 'agent.groups', agentId })
      return removed
    }
  }
}
