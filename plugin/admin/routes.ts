import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { type AgentScope, sees } from '../chats/types.ts'
import { isUniqueViolation } from '../db/index.ts'
import {
  type CodedError, LC_ERR_ALREADY_MEMBER, LC_ERR_DEFAULT_GROUP_INVALID, LC_ERR_DEPARTMENT_NAME_TAKEN,
  LC_ERR_GROUP_NAME_TAKEN, LC_ERR_GROUP_NOT_VISIBLE, LC_ERR_GROUP_UNKNOWN, LC_ERR_MEMBER_NOT_FOUND, LC_ERR_NOT_AN_AGENT, LC_ERR_USER_NOT_FOUND
} from '../errors.ts'
import type { HostAdapter } from '../host/adapter.ts'
import type { Department, Group, RoutingService } from '../routing/service.ts'
import type { Access } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { type Permission, permissionsFor, type Settings } from '../settings.ts'
import { answer, clearNotice, notice, ok } from '../web/answers.ts'
import { attempt, type FormState, refuse } from '../web/forms.ts'
import type { Fragment } from '../web/fragments.ts'
import { departmentOr404 as departmentOr404In, formActor } from './guards.ts'
import type { ImportViews } from './import-view-models.ts'
import {
  addMemberBody, addMemberForm, departmentBody, departmentForm, groupBody, groupForm, idParams, memberActiveBody, type MemberActiveBody,
  memberBody, memberForm, memberParams, newDepartmentBody, newDepartmentForm, newGroupBody, newGroupForm
} from './schemas.ts'
import {
  agentGroupsFragment, type AdminViews, departmentFormFragment, departmentFragment, departmentsFragment, groupFormFragment, membersFragment
} from './view-models.ts'

/** What the administration and the Active Live Chat Groups pages use; members are looked up among the host's users. */
export interface AdminRoutesDeps {
  base: string
  settings: Pick<Settings, 'rolePermissions' | 'heartbeatTimeoutSeconds'>
  host: Pick<HostAdapter, 'findUsers'>
  access: Pick<Access, 'agent'>
  routing: Pick<RoutingService, 'department' | 'departments' | 'groups' | 'members' | 'createDepartment' | 'updateDepartment' |
    'createGroup' | 'updateGroup' | 'setMember' | 'removeMember'>
  adminViews: Pick<AdminViews, 'departments' | 'department' | 'members' | 'agentGroups' | 'newDepartmentForm' | 'departmentForm' | 'newGroupForm' | 'groupForm'>
  importViews: Pick<ImportViews, 'section'>
}

type Id = { Params: { id: number } }
type Member = { Params: { id: number, agentId: string } }

const notices = {
  departmentCreated: (name: string) => `Department ${name} created`,
  departmentSaved: (name: string) => `Department ${name} saved`,
  groupCreated: (name: string, dept: string) => `Group ${name} created in ${dept}`,
  groupSaved: (name: string) => `Group ${name} saved`,
  memberAdded: (name: string, group: string) => `${name} added to ${group}`,
  memberSaved: (group: string) => `Membership in ${group} saved`,
  memberRemoved: (group: string) => `Removed from ${group}`,
  nothingToChange: 'Nothing to change'
}

/** A taken name belongs beside the Name field. */
const nameTaken = { LC_ERR_DEPARTMENT_NAME_TAKEN: 'name', LC_ERR_GROUP_NAME_TAKEN: 'name' } as const

/**
 * Live chat administration (`livechat.admin`): departments, groups and their members; and the
 * supervisors' Active Live Chat Groups page (`livechat.supervise`). Every change
 * answers with the re-rendered part of the page; a refused one re-renders its form with 422
 * and the reasons beside the fields, having changed nothing.
 */
export const adminRoutes: FastifyPluginAsync<AdminRoutesDeps> = async (fastify, { base, settings, host, access, routing, adminViews, importViews }) => {
  const post = { preValidation: fastify.csrfProtection, attachValidation: true }

  const actor = async (request: FastifyRequest, permission: Permission) => await formActor(access, request, permission)

  // ------------------------------------------------------------ rules the routing service leaves to its callers

  const departmentOr404 = async (id: number): Promise<Department> => await departmentOr404In(routing, id)

  async function groupOr404 (id: number): Promise<Group> {
    const group = (await routing.groups()).find((g) => g.id === id)
    if (!group) throw new LC_ERR_GROUP_UNKNOWN(String(id))
    return group
  }

  async function memberOr404 (group: Group, agentId: string): Promise<void> {
    if (!(await routing.members([group.id])).some((m) => m.agentId === agentId)) throw new LC_ERR_MEMBER_NOT_FOUND(group.name)
  }

  /**
   * Names are unique (departments) and unique per department (groups). Checked without regard
   * to case, so both databases refuse the same names (MySQL's collation ignores case, SQLite's
   * does not), and checked even when other fields are wrong, so the form shows every problem.
   */
  const same = (a: string, b: string): boolean => a.toLocaleLowerCase() === b.toLocaleLowerCase()

  async function checkDepartmentName (form: FormState<{ name: string }>, exceptId?: number): Promise<void> {
    const name = form.values.name ?? ''
    if (form.errors.name || !(await routing.departments()).some((d) => d.id !== exceptId && same(d.name, name))) return
    refuse(form, 'name', new LC_ERR_DEPARTMENT_NAME_TAKEN(name))
  }

  async function checkGroupName (form: FormState<{ name: string }>, dept: { id: number, name: string }, exceptId?: number): Promise<void> {
    const name = form.values.name ?? ''
    if (form.errors.name || !(await routing.groups()).some((g) => g.departmentId === dept.id && g.id !== exceptId && same(g.name, name))) return
    refuse(form, 'name', new LC_ERR_GROUP_NAME_TAKEN(name, dept.name))
  }

  /** A write the unique index may still refuse, when another request took the name meanwhile: the name's refusal then. */
  async function uniqueName<T> (refusal: () => CodedError, write: () => Promise<T>): Promise<T> {
    try {
      return await write()
    } catch (err) {
      throw isUniqueViolation(err) ? refusal() : err
    }
  }

  // ------------------------------------------------------------ answers

  async function departmentPart (id: number): Promise<Fragment> {
    return departmentFragment(await adminViews.department(await departmentOr404(id)))
  }

  // ------------------------------------------------------------ pages

  fastify.get('/admin/groups', async (request, reply) => {
    const admin = await actor(request, 'livechat.admin')
    return reply.lcView('admin/groups.page.hbs', {
      csrf: reply.generateCsrf(),
      user: admin.user,
      newDepartment: adminViews.newDepartmentForm(),
      importSection: await importViews.section(),
      ...await adminViews.departments()
    })
  })

  fastify.get('/console/groups', async (request, reply) => {
    const supervisor = await access.agent(request, 'livechat.supervise')
    return reply.lcView('admin/agent-groups.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      user: supervisor.user,
      isAdmin: supervisor.can('livechat.admin'),
      heartbeatTimeoutSeconds: settings.heartbeatTimeoutSeconds,
      list: await adminViews.agentGroups(await supervisor.scope())
    })
  })

  // ------------------------------------------------------------ departments

  fastify.post('/admin/departments', { schema: { body: newDepartmentBody }, ...post }, async (request, reply) => {
    const admin = await actor(request, 'livechat.admin')
    const form = newDepartmentForm.read(request.body)
    await checkDepartmentName(form)
    const created = await attempt(form, async (input) => {
      await uniqueName(() => new LC_ERR_DEPARTMENT_NAME_TAKEN(input.name), async () => await routing.createDepartment(input, admin.by))
      return input
    }, nameTaken)
    if (!created) return await answer(reply, [departmentFormFragment(adminViews.newDepartmentForm(form)), clearNotice()], 422)
    return await answer(reply, [
      departmentsFragment(await adminViews.departments()),
      departmentFormFragment(adminViews.newDepartmentForm()),
      ok(notices.departmentCreated(created.name))
    ])
  })

  fastify.post<Id>('/admin/departments/:id', { schema: { params: idParams, body: departmentBody }, ...post }, async (request, reply) => {
    const admin = await actor(request, 'livechat.admin')
    const dept = await departmentOr404(request.params.id)
    const groups = await routing.groups()
    const form = departmentForm.read(request.body)
    await checkDepartmentName(form, dept.id)
    const defaultGroupId = form.input?.defaultGroupId
    if (defaultGroupId != null && !groups.some((g) => g.departmentId === dept.id && g.id === defaultGroupId)) {
      refuse(form, 'default_group_id', new LC_ERR_DEFAULT_GROUP_INVALID(dept.name))
    }
    const saved = await attempt(form, async (input) => {
      await uniqueName(() => new LC_ERR_DEPARTMENT_NAME_TAKEN(input.name), async () => { await routing.updateDepartment(dept.id, input, admin.by) })
      return input
    }, nameTaken)
    if (!saved) return await answer(reply, [departmentFormFragment(adminViews.departmentForm(dept, groups, form)), clearNotice()], 422)
    return await answer(reply, [await departmentPart(dept.id), ok(notices.departmentSaved(saved.name))])
  })

  // ------------------------------------------------------------ groups

  fastify.post<Id>('/admin/departments/:id/groups', { schema: { params: idParams, body: newGroupBody }, ...post }, async (request, reply) => {
    const admin = await actor(request, 'livechat.admin')
    const dept = await departmentOr404(request.params.id)
    const form = newGroupForm.read(request.body)
    await checkGroupName(form, dept)
    const created = await attempt(form, async (input) => {
      await uniqueName(() => new LC_ERR_GROUP_NAME_TAKEN(input.name, dept.name), async () => await routing.createGroup({ departmentId: dept.id, ...input }, admin.by))
      return input
    }, nameTaken)
    if (!created) return await answer(reply, [groupFormFragment(adminViews.newGroupForm(dept, form)), clearNotice()], 422)
    return await answer(reply, [await departmentPart(dept.id), ok(notices.groupCreated(created.name, dept.name))])
  })

  fastify.post<Id>('/admin/groups/:id', { schema: { params: idParams, body: groupBody }, ...post }, async (request, reply) => {
    const admin = await actor(request, 'livechat.admin')
    const group = await groupOr404(request.params.id)
    const form = groupForm.read(request.body)
    await checkGroupName(form, { id: group.departmentId, name: group.departmentName }, group.id)
    const saved = await attempt(form, async (input) => {
      await uniqueName(() => new LC_ERR_GROUP_NAME_TAKEN(input.name, group.departmentName), async () => { await routing.updateGroup(group.id, input, admin.by) })
      return input
    }, nameTaken)
    if (!saved) return await answer(reply, [groupFormFragment(adminViews.groupForm(group, form)), clearNotice()], 422)
    return await answer(reply, [await departmentPart(group.departmentId), ok(notices.groupSaved(saved.name))])
  })

  // ------------------------------------------------------------ members

  fastify.post<Id>('/admin/groups/:id/members', { schema: { params: idParams, body: addMemberBody }, ...post }, async (request, reply) => {
    const admin = await actor(request, 'livechat.admin')
    const group = await groupOr404(request.params.id)
    const form = addMemberForm.read(request.body)
    const username = form.input
    if (username) {
      // Usernames are matched whole: findUsers also matches parts of names and emails.
      const user = (await host.findUsers(username, 50)).find((u) => same(u.username, username))
      if (!user) refuse(form, 'username', new LC_ERR_USER_NOT_FOUND(username))
      else if (!permissionsFor(settings, user.roles).has('livechat.agent')) refuse(form, 'username', new LC_ERR_NOT_AN_AGENT(user.name))
      else if ((await routing.members([group.id])).some((m) => m.agentId === user.id)) refuse(form, 'username', new LC_ERR_ALREADY_MEMBER(user.name, group.name))
      else {
        await routing.setMember(group.id, user.id, { active: true }, admin.by)
        return await answer(reply, [await departmentPart(group.departmentId), ok(notices.memberAdded(user.name, group.name))])
      }
    }
    return await answer(reply, [membersFragment(await adminViews.members(group, form)), clearNotice()], 422)
  })

  fastify.post<Member>('/admin/groups/:id/members/:agentId', { schema: { params: memberParams, body: memberBody }, ...post }, async (request, reply) => {
    const admin = await actor(request, 'livechat.admin')
    const group = await groupOr404(request.params.id)
    const { agentId } = request.params
    await memberOr404(group, agentId)
    const form = memberForm.read(request.body)
    if (!form.input) return await answer(reply, [membersFragment(await adminViews.members(group, undefined, { agentId, state: form })), clearNotice()], 422)
    await routing.setMember(group.id, agentId, form.input, admin.by)
    return await answer(reply, [await departmentPart(group.departmentId), ok(notices.memberSaved(group.name))])
  })

  fastify.post<Member>('/admin/groups/:id/members/:agentId/remove', { schema: { params: memberParams, body: csrfOnlyBody }, preValidation: fastify.csrfProtection }, async (request, reply) => {
    const admin = await actor(request, 'livechat.admin')
    const group = await groupOr404(request.params.id)
    if (!await routing.removeMember(group.id, request.params.agentId, admin.by)) throw new LC_ERR_MEMBER_NOT_FOUND(group.name)
    return await answer(reply, [await departmentPart(group.departmentId), ok(notices.memberRemoved(group.name))])
  })

  // ------------------------------------------------------------ Active Live Chat Groups: a supervisor's Edit

  fastify.post<Member & { Body: MemberActiveBody }>('/console/groups/:id/members/:agentId', {
    schema: { params: memberParams, body: memberActiveBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const supervisor = await access.agent(request, 'livechat.supervise')
    const scope: AgentScope = await supervisor.scope()
    const group = await groupOr404(request.params.id)
    if (!sees(scope, group.id)) throw new LC_ERR_GROUP_NOT_VISIBLE(group.name)
    await memberOr404(group, request.params.agentId)
    const form = memberForm.read(request.body)
    if (!form.input || Object.keys(form.input).length === 0) {
      // The limit field keeps what was typed (nothing is swapped); the notice says what to enter.
      const problem = Object.values(form.errors)[0] ?? { code: 'LC_ERR_FORM_INVALID', message: notices.nothingToChange }
      return await answer(reply, [notice('error', problem.message, problem.code)], 422)
    }
    await routing.setMember(group.id, request.params.agentId, form.input, supervisor.by)
    return await answer(reply, [agentGroupsFragment(await adminViews.agentGroups(scope)), ok(notices.memberSaved(group.name))])
  })
}
