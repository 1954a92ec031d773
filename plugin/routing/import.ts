import type { Auditor, AuditService } from '../audit/service.ts'
import type { Knex } from 'knex'
import { isUniqueViolation } from '../db/index.ts'
import {
  LC_ERR_IMPORT_CONFLICT, LC_ERR_IMPORT_DEPARTMENT_UNKNOWN, LC_ERR_IMPORT_GROUP_DEPARTMENT, LC_ERR_IMPORT_NOTHING_CHOSEN,
  LC_ERR_IMPORT_UNAVAILABLE, LC_ERR_IMPORT_UNKNOWN
} from '../errors.ts'
import type { HostAdapter, HostDirectory } from '../host/adapter.ts'
import type { Bus } from '../realtime/bus-events.ts'
import { permissionsFor, type Settings } from '../settings.ts'
import { defaultChatLimit } from './rules.ts'
import * as store from './store.ts'
import type { Department, Group } from './store.ts'

/**
 * How a desk's department or group stands here (docs/features.md#import-from-the-help-desk):
 * `new`, nothing here is it; `here`, one here is it, by the desk's id remembered at an earlier
 * import, else by name ignoring case (and is linked when imported); `renamed`, the one here
 * with the desk's id has another name than the desk's now.
 */
export type ImportStatus = 'new' | 'here' | 'renamed'

/** One department or group the desk has, as the import screen lists it. */
export interface ImportCandidate {
  hostId: string
  /** Its name in the desk. */
  name: string
  status: ImportStatus
  /** The one here that it is (status here or renamed). */
  hereId: number | null
  hereName: string | null
  /** Here already, but not yet linked by the desk's id: importing links it. */
  linked: boolean
  /** Groups: the desk's department, by its desk id; null for a group outside departments. */
  hostDepartmentId: string | null
  /** Groups: the name of the department here it would go in, when the desk's department is here. */
  departmentName: string | null
  /** The desk's members (HostUser ids). */
  members: string[]
}

export interface ImportPreview {
  departments: ImportCandidate[]
  groups: ImportCandidate[]
}

/** What the administrator ticked. */
export interface ImportChoice {
  /** Desk ids of the departments to import. */
  departments: string[]
  /** Desk ids of the groups to import. */
  groups: string[]
  /** Add the desk's members of each to it here (a department's: to its entry group). */
  members: boolean
  /** The department here for ticked groups whose desk department is neither here nor ticked. */
  groupDepartmentId: number | null
}

/** What an import did, by name; every ticked department and group is in created, linked, renamed, joined or skipped. */
export interface ImportResult {
  created: string[]
  linked: string[]
  /** "Old name → new name": renamed here to the desk's name. */
  renamed: string[]
  /** Those that got members (created, linked and renamed ones may be here too). */
  joined: string[]
  /** Already here and linked, and nothing to add. */
  skipped: string[]
  /** Memberships added (agents only). */
  membersAdded: number
  /** Desk members left out: not users of the desk any more, or without the livechat.agent permission. */
  notAgents: string[]
}

export interface ImportServiceDeps {
  db: Knex
  bus: Bus
  host: Pick<HostAdapter, 'directory' | 'getUser'>
  settings: Pick<Settings, 'rolePermissions'>
  clock?: () => number
  /** The audit log: one entry per import, written in its transaction (docs/features.md#audit-log). */
  audit?: Pick<AuditService, 'record'>
}

/**
 * Import from the help desk: the desk's departments and groups (HostAdapter.directory) made or
 * linked here once, so nobody types them again. The desk's id is remembered on the row
 * (lc_departments.host_id, lc_groups.host_id, migration 033), so a second import never makes
 * another.
 */
export interface ImportService {
  /** Whether the desk shares departments or groups at all (the adapter has `directory`). */
  readonly available: boolean
  /** The desk's departments and groups with how each stands here; null when the desk has none to share. */
  preview (): Promise<ImportPreview | null>
  /**
   * Imports what was ticked, in one transaction: creates the new (a new department with one
   * group of its own name, its default group, since chats start in a group), links those
   * here by name, renames those renamed in the desk, and adds the desk's members when asked.
   * Throws LC_ERR_IMPORT_NOTHING_CHOSEN, LC_ERR_IMPORT_UNKNOWN, LC_ERR_IMPORT_GROUP_DEPARTMENT,
   * LC_ERR_IMPORT_DEPARTMENT_UNKNOWN (422) before anything is written, and LC_ERR_IMPORT_CONFLICT
   * (409) when another change saved the same first. Publishes agent.groups for every member added.
   */
  run (choice: ImportChoice, by?: Auditor): Promise<ImportResult>
}

const same = (a: string, b: string): boolean => a.toLocaleLowerCase() === b.toLocaleLowerCase()

/** How the desk's departments and groups stand against what is here. */
export function matchDirectory (desk: HostDirectory, departments: Department[], groups: Group[]): ImportPreview {
  const takenDept = new Set<number>()
  const outDepartments = desk.departments.map((d): ImportCandidate => {
    const byId = departments.find((x) => x.hostId === d.id)
    // By name only among those not linked to another of the desk's departments.
    const byName = byId ? undefined : departments.find((x) => x.hostId === null && !takenDept.has(x.id) && same(x.name, d.name))
    const here = byId ?? byName
    if (here) takenDept.add(here.id)
    return {
      hostId: d.id,
      name: d.name,
      status: !here ? 'new' : byId && !same(byId.name, d.name) ? 'renamed' : 'here',
      hereId: here?.id ?? null,
      hereName: here?.name ?? null,
      linked: byId !== undefined,
      hostDepartmentId: null,
      departmentName: null,
      members: d.members
    }
  })
  const deptByHost = new Map(outDepartments.map((c) => [c.hostId, c]))
  const takenGroup = new Set<number>()
  const outGroups = desk.groups.map((g): ImportCandidate => {
    const dept = g.departmentId === null ? undefined : deptByHost.get(g.departmentId)
    const byId = groups.find((x) => x.hostId === g.id)
    // By name within its department where that is here; else only a name no other department's group shares.
    const unlinked = groups.filter((x) => x.hostId === null && !takenGroup.has(x.id) && same(x.name, g.name))
    const inDept = dept?.hereId != null ? unlinked.filter((x) => x.departmentId === dept.hereId) : unlinked
    const byName = byId ? undefined : inDept.length === 1 ? inDept[0] : undefined
    const here = byId ?? byName
    if (here) takenGroup.add(here.id)
    return {
      hostId: g.id,
      name: g.name,
      status: !here ? 'new' : byId && !same(byId.name, g.name) ? 'renamed' : 'here',
      hereId: here?.id ?? null,
      hereName: here?.name ?? null,
      linked: byId !== undefined,
      hostDepartmentId: g.departmentId,
      departmentName: here?.departmentName ?? (dept?.hereId != null ? dept.hereName : null),
      members: g.members
    }
  })
  return { departments: outDepartments, groups: outGroups }
}

export function createImportService ({ db, bus, host, settings, clock = Date.now, audit }: ImportServiceDeps): ImportService {
  async function read (q: Knex | Knex.Transaction, desk: HostDirectory): Promise<ImportPreview> {
    const [departments, groups] = await Promise.all([store.departments(q), store.groups(q)])
    return matchDirectory(desk, departments, groups)
  }

  async function directory (): Promise<HostDirectory> {
    if (!host.directory) throw new LC_ERR_IMPORT_UNAVAILABLE()
    return await host.directory()
  }

  /** The members who may take chats: desk users holding livechat.agent; the others, by id, for the result. */
  async function agentsAmong (ids: string[]): Promise<{ agents: Set<string>, others: string[] }> {
    const unique = [...new Set(ids)]
    const users = await Promise.all(unique.map(async (id) => await host.getUser(id)))
    const agents = new Set<string>()
    const others: string[] = []
    unique.forEach((id, i) => {
      const user = users[i]
      if (user && permissionsFor(settings, user.roles).has('livechat.agent')) agents.add(id)
      else others.push(user?.name ?? id)
    })
    return { agents, others }
  }

  return {
    available: host.directory !== undefined,

    async preview () {
      if (!host.directory) return null
      const desk = await host.directory()
      if (desk.departments.length === 0 && desk.groups.length === 0) return null
      return await read(db, desk)
    },

    async run (choice, by) {
      if (choice.departments.length === 0 && choice.groups.length === 0) throw new LC_ERR_IMPORT_NOTHING_CHOSEN()
      const desk = await directory()
      const deskDept = new Map(desk.departments.map((d) => [d.id, d]))
      const deskGroup = new Map(desk.groups.map((g) => [g.id, g]))
      const unknownDept = choice.departments.find((id) => !deskDept.has(id))
      if (unknownDept !== undefined) throw new LC_ERR_IMPORT_UNKNOWN('department', unknownDept)
      const unknownGroup = choice.groups.find((id) => !deskGroup.has(id))
      if (unknownGroup !== undefined) throw new LC_ERR_IMPORT_UNKNOWN('group', unknownGroup)
      const ticked = {
        departments: desk.departments.filter((d) => choice.departments.includes(d.id)),
        groups: desk.groups.filter((g) => choice.groups.includes(g.id))
      }
      const before = await read(db, desk)
      // A group goes in its desk department's department here (here already, or ticked now), else the one chosen.
      const homeless = ticked.groups.filter((g) => {
        const c = before.groups.find((x) => x.hostId === g.id)!
        if (c.hereId !== null) return false
        const dept = g.departmentId === null ? undefined : before.departments.find((x) => x.hostId === g.departmentId)
        return !dept || (dept.hereId === null && !choice.departments.includes(dept.hostId))
      })
      if (homeless.length > 0) {
        if (choice.groupDepartmentId === null) throw new LC_ERR_IMPORT_GROUP_DEPARTMENT(homeless.map((g) => g.name).join(', '))
        if (!(await store.getDepartment(db, choice.groupDepartmentId))) throw new LC_ERR_IMPORT_DEPARTMENT_UNKNOWN(String(choice.groupDepartmentId))
      }
      const { agents, others } = choice.members
        ? await agentsAmong([...ticked.departments, ...ticked.groups].flatMap((x) => x.members))
        : { agents: new Set<string>(), others: [] }

      const result: ImportResult = { created: [], linked: [], renamed: [], joined: [], skipped: [], membersAdded: 0, notAgents: others.sort() }
      const joined = new Set<string>()
      const at = clock()
      try {
        await db.transaction(async (trx) => {
          // Read again inside: an import that committed meanwhile is seen, and this one then adds nothing twice.
          const now = await read(trx, desk)
          const deptHere = new Map<string, number>()
          const groups = await store.groups(trx)

          async function addMembers (groupId: number, members: string[]): Promise<boolean> {
            const have = new Set((await store.membersOf(trx, [groupId])).map((m) => m.agentId))
            const fresh = members.filter((id) => agents.has(id) && !have.has(id))
            for (const agentId of fresh) {
              await store.upsertMember(trx, groupId, agentId, {}, at)
              joined.add(agentId)
            }
            result.membersAdded += fresh.length
            return fresh.length > 0
          }

          for (const d of ticked.departments) {
            const c = now.departments.find((x) => x.hostId === d.id)!
            let id = c.hereId
            let changed = false
            if (id === null) {
              id = await store.insertDepartment(trx, { name: d.name, host_id: d.id }, at)
              const own = await store.insertGroup(trx, { department_id: id, name: d.name, distribution: 'cherry_pick', default_max_chats: defaultChatLimit }, at)
              await store.updateDepartment(trx, id, { default_group_id: own })
              groups.push({ id: own, departmentId: id, departmentName: d.name, name: d.name, distribution: 'cherry_pick', defaultMaxChats: defaultChatLimit, enabled: true, hostId: null })
              result.created.push(d.name)
              changed = true
            } else if (c.status === 'renamed') {
              await store.updateDepartment(trx, id, { name: d.name })
              result.renamed.push(`${c.hereName!} → ${d.name}`)
              changed = true
            } else if (!c.linked) {
              await store.updateDepartment(trx, id, { host_id: d.id })
              result.linked.push(d.name)
              changed = true
            }
            deptHere.set(d.id, id)
            if (choice.members) {
              const dept = await store.getDepartment(trx, id)
              const own = groups.filter((g) => g.departmentId === id && g.enabled)
              const entry = own.find((g) => g.id === dept?.defaultGroupId) ?? own[0]
              const added = entry !== undefined && await addMembers(entry.id, d.members)
              if (added) result.joined.push(d.name)
              else if (!changed) result.skipped.push(d.name)
            } else if (!changed) result.skipped.push(d.name)
          }

          for (const g of ticked.groups) {
            const c = now.groups.find((x) => x.hostId === g.id)!
            let id = c.hereId
            let changed = false
            if (id === null) {
              const deptId = (g.departmentId === null ? undefined : deptHere.get(g.departmentId) ?? now.departments.find((x) => x.hostId === g.departmentId)?.hereId) ??
                choice.groupDepartmentId!
              // A group of the name in that department, not yet linked, is the desk's group: linked, not made twice.
              const named = groups.find((x) => x.departmentId === deptId && x.hostId === null && same(x.name, g.name))
              if (named) {
                id = named.id
                await store.updateGroup(trx, id, { host_id: g.id })
                result.linked.push(g.name)
              } else {
                id = await store.insertGroup(trx, { department_id: deptId, name: g.name, distribution: 'cherry_pick', default_max_chats: defaultChatLimit, host_id: g.id }, at)
                result.created.push(g.name)
              }
              changed = true
            } else if (c.status === 'renamed') {
              await store.updateGroup(trx, id, { name: g.name })
              result.renamed.push(`${c.hereName!} → ${g.name}`)
              changed = true
            } else if (!c.linked) {
              await store.updateGroup(trx, id, { host_id: g.id })
              result.linked.push(g.name)
              changed = true
            }
            const added = choice.members && await addMembers(id, g.members)
            if (added) result.joined.push(g.name)
            else if (!changed) result.skipped.push(g.name)
          }
          const { created, linked, renamed, joined: gotMembers, membersAdded } = result
          await audit?.record(trx, by ?? null, {
            action: 'departments.imported',
            subject: `Import of ${ticked.departments.length + ticked.groups.length} from the help desk`,
            after: { created, linked, renamed, joined: gotMembers, membersAdded }
          })
        })
      } catch (err) {
        if (!isUniqueViolation(err)) throw err
        // Another import or edit saved one of these first (a desk id or a name is unique): name what it saved.
        const after = await read(db, desk)
        const taken = [...after.departments, ...after.groups].find((c) =>
          c.hereId !== null && [...choice.departments, ...choice.groups].includes(c.hostId) &&
          [...before.departments, ...before.groups].some((b) => b.hostId === c.hostId && b.hereId === null))
        throw new LC_ERR_IMPORT_CONFLICT(taken?.name ?? 'A department or group')
      }
      for (const agentId of joined) await bus.publish({ type: 'agent.groups', agentId })
      return result
    }
  }
}
