import type { ChatService } from '../chats/service.ts'
import { type AgentScope, sees } from '../chats/types.ts'
import type { HostAdapter } from '../host/adapter.ts'
import type { Settings } from '../settings.ts'
import { targets } from '../realtime/targets.ts'
import { isFresh } from '../routing/rules.ts'
import type { Department, Group, Membership, RoutingService } from '../routing/service.ts'
import { chatLimit, type FormState } from './schemas.ts'

export type AdminViews = ReturnType<typeof createAdminViews>

export const distributionLabels = {
  cherry_pick: 'Cherry picking (agents pick from the queue)',
  round_robin: 'Round robin (assigned automatically)'
} as const

const shortDistribution = { cherry_pick: 'Cherry picking', round_robin: 'Round robin' } as const

const statusLabels = { available: 'Available', unavailable: 'Unavailable', offline: 'Offline' } as const
export type AgentStatus = keyof typeof statusLabels

/** A member row's own form state: the limit field as typed and its error, after a refused change. */
export interface MemberFormState { agentId: string, state: FormState }

const empty = (): FormState => ({ values: {}, errors: {} })

/**
 * Data for the administration partials (views/admin/) and the Active Live Chat Groups
 * page, shared by the pages and the htmx answers that replace one part of them.
 */
export function createAdminViews ({ base, routing, chats, host, settings, clock = Date.now }: {
  base: string, routing: RoutingService, chats: ChatService, host: HostAdapter, settings: Settings, clock?: () => number
}) {
  /** Display names of host users, read once per answer. */
  async function namesOf (ids: string[]): Promise<Map<string, { name: string, username: string }>> {
    const unique = [...new Set(ids)]
    const users = await Promise.all(unique.map(async (id) => await host.getUser(id)))
    return new Map(unique.map((id, i) => [id, users[i] ? { name: users[i].name, username: users[i].username } : { name: `Unknown user ${id}`, username: '' }]))
  }

  const distributions = (selected: string | undefined) => Object.entries(distributionLabels).map(([value, label]) => ({ value, label, selected: value === selected }))

  function newDepartmentForm (state: FormState = empty()) {
    return { base, formId: targets.adminNewDepartment(), action: `${base}/admin/departments`, isNew: true, values: state.values, errors: state.errors, defaults: queueDefaults() }
  }

  function queueDefaults () {
    return { position: settings.queuePositionMessage, one: settings.queuePositionMessageOne, next: settings.queueNextMessage }
  }

  function departmentForm (dept: Department, groups: Group[], state?: FormState) {
    const values = state?.values ?? {
      name: dept.name,
      queue_position_message: dept.queuePositionMessage ?? '',
      queue_position_message_one: dept.queuePositionMessageOne ?? '',
      queue_next_message: dept.queueNextMessage ?? '',
      default_group_id: dept.defaultGroupId === null ? '' : String(dept.defaultGroupId)
    }
    return {
      base,
      formId: targets.adminDepartmentForm(dept.id),
      action: `${base}/admin/departments/${dept.id}`,
      isNew: false,
      department: dept,
      values,
      errors: state?.errors ?? {},
      defaults: queueDefaults(),
      groupOptions: groups.filter((g) => g.departmentId === dept.id)
        .map((g) => ({ id: g.id, name: g.name, enabled: g.enabled, selected: String(g.id) === values.default_group_id }))
    }
  }

  function newGroupForm (dept: Department, state?: FormState) {
    const values = state?.values ?? { distribution: 'cherry_pick', default_max_chats: '4' }
    return {
      base,
      formId: targets.adminNewGroup(dept.id),
      action: `${base}/admin/departments/${dept.id}/groups`,
      isNew: true,
      department: dept,
      values,
      errors: state?.errors ?? {},
      limits: chatLimit,
      distributions: distributions(values.distribution)
    }
  }

  function groupForm (group: Group, state?: FormState) {
    const values = state?.values ?? {
      name: group.name, distribution: group.distribution, default_max_chats: String(group.defaultMaxChats), enabled: group.enabled ? 'on' : ''
    }
    return {
      base,
      formId: targets.adminGroupForm(group.id),
      action: `${base}/admin/groups/${group.id}`,
      isNew: false,
      group,
      values,
      errors: state?.errors ?? {},
      limits: chatLimit,
      distributions: distributions(values.distribution)
    }
  }

  function membersModel (group: Group, memberships: Membership[], names: Map<string, { name: string, username: string }>, add?: FormState, row?: MemberFormState) {
    const members = memberships.filter((m) => m.groupId === group.id).map((m) => {
      const own = row?.agentId === m.agentId ? row.state : undefined
      const url = `${base}/admin/groups/${group.id}/members/${encodeURIComponent(m.agentId)}`
      return {
        ...m,
        ...names.get(m.agentId)!,
        url,
        removeUrl: `${url}/remove`,
        fieldId: `${targets.adminMembers(group.id)}-limit-${m.agentId.replace(/[^A-Za-z0-9_-]/g, '_')}`,
        limitValue: own?.values.max_chats ?? (m.maxChats === null ? '' : String(m.maxChats)),
        limitError: own?.errors.max_chats ?? own?.errors.form ?? own?.errors.active
      }
    }).sort((a, b) => a.name.localeCompare(b.name))
    return {
      base,
      group,
      limits: chatLimit,
      members,
      activeCount: members.filter((m) => m.active).length,
      addUrl: `${base}/admin/groups/${group.id}/members`,
      add: { values: add?.values ?? {}, errors: add?.errors ?? {} }
    }
  }

  function groupModel (group: Group, memberships: Membership[], names: Map<string, { name: string, username: string }>) {
    const own = memberships.filter((m) => m.groupId === group.id)
    return {
      base,
      group,
      distributionLabel: shortDistribution[group.distribution],
      memberCount: own.length,
      activeCount: own.filter((m) => m.active).length,
      form: groupForm(group),
      members: membersModel(group, memberships, names)
    }
  }

  function departmentModel (dept: Department, groups: Group[], memberships: Membership[], names: Map<string, { name: string, username: string }>) {
    const own = groups.filter((g) => g.departmentId === dept.id)
    return {
      base,
      department: dept,
      defaultGroup: own.find((g) => g.id === dept.defaultGroupId)?.name ?? null,
      groups: own.map((g) => groupModel(g, memberships, names)),
      form: departmentForm(dept, groups),
      newGroup: newGroupForm(dept)
    }
  }

  async function snapshot () {
    const [departments, groups, memberships] = await Promise.all([routing.departments(), routing.groups(), routing.members()])
    return { departments, groups, memberships, names: await namesOf(memberships.map((m) => m.agentId)) }
  }

  /** Whether an agent counts as here: a console heartbeat within the timeout, as routing judges it. */
  function statusOf (p: { status: string, heartbeatAt: number | null }): AgentStatus {
    if (!isFresh(p.heartbeatAt, clock(), settings.heartbeatTimeoutSeconds)) return 'offline'
    return p.status === 'available' ? 'available' : 'unavailable'
  }

  return {
    newDepartmentForm,
    departmentForm,
    newGroupForm,
    groupForm,
    statusOf,

    /** Every department with its groups and their members: the administration page's main list. */
    async departments () {
      const s = await snapshot()
      return { base, departments: s.departments.map((d) => departmentModel(d, s.groups, s.memberships, s.names)) }
    },

    async department (dept: Department) {
      const s = await snapshot()
      return departmentModel(dept, s.groups, s.memberships, s.names)
    },

    /** A group's members list, with the add form or one member's row showing what was refused. */
    async members (group: Group, add?: FormState, row?: MemberFormState) {
      const memberships = await routing.members([group.id])
      return membersModel(group, memberships, await namesOf(memberships.map((m) => m.agentId)), add, row)
    },

    /**
     * The Active Live Chat Groups page (docs/features.md#active-groups): every agent in
     * the enabled groups the viewer may see, with their status, "Available for N", active
     * chats, and their state in each of those groups. Counts are over the same groups the
     * page lists.
     */
    async agentGroups (scope: AgentScope) {
      const groups = (await routing.groups()).filter((g) => g.enabled && sees(scope, g.id))
      const memberships = await routing.members(groups.map((g) => g.id))
      const agentIds = [...new Set(memberships.map((m) => m.agentId))]
      const [names, presences, active] = await Promise.all([
        namesOf(agentIds),
        Promise.all(agentIds.map(async (id) => await routing.presence(id))),
        Promise.all(agentIds.map(async (id) => await chats.agentChats(id, 'active')))
      ])
      const agents = agentIds.map((agentId, i) => {
        const status = statusOf(presences[i]!)
        const own = memberships.filter((m) => m.agentId === agentId)
        const person = names.get(agentId)!
        return {
          agentId,
          ...person,
          status,
          statusLabel: statusLabels[status],
          availableFor: presences[i]!.maxChats,
          activeChats: active[i]!.length,
          // Other groups' chats are counted but not listed: their customers are not the viewer's to see.
          chats: active[i]!.filter((c) => sees(scope, c.groupId)).map((c) => ({ id: c.id, customerName: c.customerName, url: `${base}/console/chats/${c.id}` })),
          activeGroups: own.filter((m) => m.active).length,
          totalGroups: own.length,
          groups: groups.filter((g) => own.some((m) => m.groupId === g.id)).map((g) => {
            const member = own.find((m) => m.groupId === g.id)!
            const active = member.active
            return {
              id: g.id,
              name: g.name,
              departmentName: g.departmentName,
              active,
              url: `${base}/console/groups/${g.id}/members/${encodeURIComponent(agentId)}`,
              next: active ? 'off' : 'on',
              limit: member.maxChats ?? '',
              defaultLimit: g.defaultMaxChats,
              limitId: `lc-limit-${g.id}-${agentId.replace(/[^A-Za-z0-9_-]/g, '_')}`
            }
          })
        }
      }).sort((a, b) => a.name.localeCompare(b.name))
      return { base, agents, groupCount: groups.length }
    }
  }
}
