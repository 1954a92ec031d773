import type { ChatService } from '../chats/service.ts'
import { type AgentScope, sees } from '../chats/types.ts'
import type { HostAdapter } from '../host/adapter.ts'
import type { Settings } from '../settings.ts'
import { targets } from '../realtime/targets.ts'
import { isFresh } from '../routing/rules.ts'
import type { Department, Group, Membership, Presence, RoutingService } from '../routing/service.ts'
import { bind } from '../web/fragments.ts'
import type { FieldError } from '../web/forms.ts'
import { type AddMemberFormState, chatLimit, type DepartmentFormState, type GroupFormState, type MemberFormState } from './schemas.ts'

export type AdminViews = ReturnType<typeof createAdminViews>

export const distributionLabels = {
  cherry_pick: 'Cherry picking (agents pick from the queue)',
  round_robin: 'Round robin (assigned automatically)'
} as const

const shortDistribution = { cherry_pick: 'Cherry picking', round_robin: 'Round robin' } as const

const statusLabels = { available: 'Available', unavailable: 'Unavailable', offline: 'Offline' } as const
export type AgentStatus = keyof typeof statusLabels

/** A member row's own form state: the limit field as typed and its error, after a refused change. */
export interface MemberRowState { agentId: string, state: MemberFormState }

type Names = Map<string, { name: string, username: string }>

/** views/admin/department-form.hbs: the new department form, or one department's edit form. */
export interface DepartmentFormModel extends DepartmentFormState {
  base: string
  formId: string
  action: string
  isNew: boolean
  department?: Department
  defaults: { position: string, one: string, next: string }
  groupOptions?: Array<{ id: number, name: string, enabled: boolean, selected: boolean }>
}

/** views/admin/group-form.hbs: a department's new group form, or one group's edit form. */
export interface GroupFormModel extends GroupFormState {
  base: string
  formId: string
  action: string
  isNew: boolean
  department?: Department
  group?: Group
  limits: typeof chatLimit
  distributions: Array<{ value: string, label: string, selected: boolean }>
}

/** views/admin/members.hbs: a group's members, each row with its own forms, and the add form. */
export interface MembersModel {
  base: string
  group: Group
  limits: typeof chatLimit
  members: Array<Membership & {
    name: string
    username: string
    url: string
    removeUrl: string
    fieldId: string
    limitValue: string
    limitError: FieldError | undefined
  }>
  activeCount: number
  addUrl: string
  add: AddMemberFormState
}

/** views/admin/group.hbs */
export interface GroupModel {
  base: string
  group: Group
  distributionLabel: string
  memberCount: number
  activeCount: number
  form: GroupFormModel
  members: MembersModel
}

/** views/admin/department.hbs: a department with its groups and their forms. */
export interface DepartmentModel {
  base: string
  department: Department
  defaultGroup: string | null
  groups: GroupModel[]
  form: DepartmentFormModel
  newGroup: GroupFormModel
}

/** views/admin/departments.hbs: the administration page's main list. */
export interface DepartmentsModel {
  base: string
  departments: DepartmentModel[]
}

/** views/admin/agent-groups.hbs: the Active Live Chat Groups list. */
export interface AgentGroupsModel {
  base: string
  groupCount: number
  agents: Array<{
    agentId: string
    name: string
    username: string
    status: AgentStatus
    statusLabel: string
    /** Offers they let go unanswered in a row, or that these made them unavailable; null with none. */
    missedOffers: string | null
    availableFor: number
    activeChats: number
    chats: Array<{ id: number, customerName: string, url: string }>
    activeGroups: number
    totalGroups: number
    groups: Array<{
      id: number
      name: string
      departmentName: string
      active: boolean
      url: string
      next: 'on' | 'off'
      limit: number | ''
      defaultLimit: number
      limitId: string
    }>
  }>
}

export const departmentsFragment = bind('admin/departments', 'outerHTML', (_m: DepartmentsModel) => targets.adminDepartments())
export const departmentFragment = bind('admin/department', 'outerHTML', (m: DepartmentModel) => targets.adminDepartment(m.department.id))
export const departmentFormFragment = bind('admin/department-form', 'outerHTML', (m: DepartmentFormModel) => m.formId)
export const groupFormFragment = bind('admin/group-form', 'outerHTML', (m: GroupFormModel) => m.formId)
export const membersFragment = bind('admin/members', 'outerHTML', (m: MembersModel) => targets.adminMembers(m.group.id))
export const agentGroupsFragment = bind('admin/agent-groups', 'outerHTML', (_m: AgentGroupsModel) => targets.agentGroups())

export interface AdminViewsDeps {
  base: string
  routing: Pick<RoutingService, 'departments' | 'groups' | 'members' | 'presence'>
  chats: Pick<ChatService, 'agentChats'>
  host: Pick<HostAdapter, 'getUser'>
  settings: Pick<Settings, 'queuePositionMessage' | 'queuePositionMessageOne' | 'queueNextMessage' | 'heartbeatTimeoutSeconds' | 'reofferMissesBeforeUnavailable'>
  clock?: () => number
}

/**
 * Data for the administration partials (views/admin/) and the Active Live Chat Groups
 * page, shared by the pages and the htmx answers that replace one part of them.
 */
export function createAdminViews ({ base, routing, chats, host, settings, clock = Date.now }: AdminViewsDeps) {
  /** Display names of host users, read once per answer. */
  async function namesOf (ids: string[]): Promise<Names> {
    const unique = [...new Set(ids)]
    const users = await Promise.all(unique.map(async (id) => await host.getUser(id)))
    return new Map(unique.map((id, i) => [id, users[i] ? { name: users[i].name, username: users[i].username } : { name: `Unknown user ${id}`, username: '' }]))
  }

  const distributions = (selected: string | undefined) => Object.entries(distributionLabels).map(([value, label]) => ({ value, label, selected: value === selected }))

  function newDepartmentForm (state: DepartmentFormState = { values: {}, errors: {} }): DepartmentFormModel {
    return { base, formId: targets.adminNewDepartment(), action: `${base}/admin/departments`, isNew: true, values: state.values, errors: state.errors, defaults: queueDefaults() }
  }

  function queueDefaults () {
    return { position: settings.queuePositionMessage, one: settings.queuePositionMessageOne, next: settings.queueNextMessage }
  }

  function departmentForm (dept: Department, groups: Group[], state?: DepartmentFormState): DepartmentFormModel {
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

  function newGroupForm (dept: Department, state?: GroupFormState): GroupFormModel {
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

  function groupForm (group: Group, state?: GroupFormState): GroupFormModel {
    const values = state?.values ?? {
      name: group.name, distribution: group.distribution, default_max_chats: String(group.defaultMaxChats), enabled: group.enabled
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

  function membersModel (group: Group, memberships: Membership[], names: Names, add?: AddMemberFormState, row?: MemberRowState): MembersModel {
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

  function groupModel (group: Group, memberships: Membership[], names: Names): GroupModel {
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

  function departmentModel (dept: Department, groups: Group[], memberships: Membership[], names: Names): DepartmentModel {
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

  /**
   * Beside an agent's status on Active Live Chat Groups (docs/features.md#re-offer): the chats
   * round robin gave them that went unanswered in a row, or that they were made unavailable
   * for it. Misses count only while the agent is available and the limit switches them off,
   * so one unavailable at the limit was switched off by it.
   */
  function missedOffersText (p: Presence): string | null {
    const n = p.missedOffers
    const limit = settings.reofferMissesBeforeUnavailable
    if (n === 0) return null
    const offers = `${n} offer${n === 1 ? '' : 's'} in a row`
    return p.status === 'unavailable' && limit > 0 && n >= limit ? `Made unavailable after missing ${offers}` : `Missed ${offers}`
  }

  return {
    newDepartmentForm,
    departmentForm,
    newGroupForm,
    groupForm,
    statusOf,

    /** Every department with its groups and their members: the administration page's main list. */
    async departments (): Promise<DepartmentsModel> {
      const s = await snapshot()
      return { base, departments: s.departments.map((d) => departmentModel(d, s.groups, s.memberships, s.names)) }
    },

    async department (dept: Department): Promise<DepartmentModel> {
      const s = await snapshot()
      return departmentModel(dept, s.groups, s.memberships, s.names)
    },

    /** A group's members list, with the add form or one member's row showing what was refused. */
    async members (group: Group, add?: AddMemberFormState, row?: MemberRowState): Promise<MembersModel> {
      const memberships = await routing.members([group.id])
      return membersModel(group, memberships, await namesOf(memberships.map((m) => m.agentId)), add, row)
    },

    /**
     * The Active Live Chat Groups page (docs/features.md#active-groups): every agent in
     * the enabled groups the viewer may see, with their status, "Available for N", active
     * chats, and their state in each of those groups. Counts are over the same groups the
     * page lists.
     */
    async agentGroups (scope: AgentScope): Promise<AgentGroupsModel> {
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
          missedOffers: missedOffersText(presences[i]!),
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
              next: active ? 'off' as const : 'on' as const,
              limit: member.maxChats ?? '' as const,
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
