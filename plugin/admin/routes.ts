import type { FastifyError, FastifyPluginAsync, FastifyRequest } from 'fastify'
import { type AgentScope, sees } from '../chats/types.ts'
import { isUniqueViolation } from '../db/index.ts'
import type { RouteDeps } from '../deps.ts'
import {
  type CodedError, LC_ERR_ALREADY_MEMBER, LC_ERR_DEFAULT_GROUP_INVALID, LC_ERR_DEPARTMENT_NAME_TAKEN, LC_ERR_DEPARTMENT_NOT_FOUND,
  LC_ERR_GROUP_NAME_TAKEN, LC_ERR_GROUP_NOT_VISIBLE, LC_ERR_GROUP_UNKNOWN, LC_ERR_MEMBER_NOT_FOUND, LC_ERR_NOT_AN_AGENT, LC_ERR_USER_NOT_FOUND
} from '../errors.ts'
import type { HostAdapter } from '../host/adapter.ts'
import { type Permission, permissionsFor } from '../settings.ts'
import { type Fragment, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import type { Department, Group } from '../routing/service.ts'
import {
  addMemberBody, departmentBody, type FormState, groupBody, idParams, memberActiveBody, type MemberActiveBody, memberBody, memberParams,
  newDepartmentBody, newGroupBody, readAddMember, readDepartment, readGroup, readMember
} from './schemas.ts'
import { createAdminViews } from './view-models.ts'

/** The route deps plus the host seam: members are looked up among the host's users. */
export type AdminDeps = RouteDeps & { host: HostAdapter }

type Id = { Params: { id: number } }
type Member = { Params: { id: number, agentId: string } }

const notices = {
  departmentCreated: (name: string) => `Department ${name} created`,
  departmentSaved: (name: string) => `Department ${name} saved`,
  groupCreated: (name: string, dept: string) => `Group ${name} created in ${dept}`,
  groupSaved: (name: string) => `Group ${name} saved`,
  memberAdded: (name: string, group: string) => `${name} added to ${group}`,
  memberSaved: (group: string) => `Membership in ${group} saved`,
  memberRemoved: (group: string) => `Removed from ${group}`
}

/**
 * Live chat administration (`livechat.admin`): departments, groups and their members; and the
 * supervisors' Active Live Chat Groups page (`livechat.supervise`). Every change
 * answers with the re-rendered part of the page; a refused one re-renders its form with 422
 * and the reasons beside the fields, having changed nothing.
 */
export const adminRoutes: FastifyPluginAsync<AdminDeps> = async (fastify, deps) => {
  const { base, routing, chats, access, views, settings, host } = deps
  const adminViews = createAdminViews({ base, routing, chats, host, settings })
  const post = { preValidation: fastify.csrfProtection, attachValidation: true }

  /**
   * The signed-in holder of `permission`. Forms attach their validation errors so they can
   * come back with messages beside the fields; a bad id in the path is still a 400.
   */
  async function actor (request: FastifyRequest, permission: Permission) {
    const agent = await access.agent(request, permission)
    const invalid = request.validationError as FastifyError | undefined
    if (invalid && invalid.validationContext !== 'body') throw invalid
    return agent
  }

  // ------------------------------------------------------------ rules the routing service leaves to its callers

  async function departmentOr404 (id: number): Promise<Department> {
    const dept = await routing.department(id)
    if (!dept) throw new LC_ERR_DEPARTMENT_NOT_FOUND(String(id))
    return dept
  }

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

  async function checkDepartmentName (form: FormState, exceptId?: number): Promise<void> {
    const name = form.values.name ?? ''
    if (form.errors.name || !(await routing.departments()).some((d) => d.id !== exceptId && same(d.name, name))) return
    refuse(form, 'name', new LC_ERR_DEPARTMENT_NAME_TAKEN(name))
  }

  async function checkGroupName (form: FormState, dept: { id: number, name: string }, exceptId?: number): Promise<void> {
    const name = form.values.name ?? ''
    if (form.errors.name || !(await routing.groups()).some((g) => g.departmentId === dept.id && g.id !== exceptId && same(g.name, name))) return
    refuse(form, 'name', new LC_ERR_GROUP_NAME_TAKEN(name, dept.name))
  }

  /** Puts a refusal beside the field it is about (the first one found stays). */
  function refuse (form: FormState, field: string, err: CodedError): void {
    form.errors[field] ??= { code: err.code, message: err.message }
  }
  const valid = (form: FormState): boolean => Object.keys(form.errors).length === 0

  /** A write the unique index may still refuse, when another request took the name meanwhile: false, with the name's message set. */
  async function written (form: FormState, refusal: () => CodedError, write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write()
      return true
    } catch (err) {
      if (!isUniqueViolation(err)) throw err
      refuse(form, 'name', refusal())
      return false
    }
  }

  // ------------------------------------------------------------ answers

  const { ok, clearNotice, send } = deps.answers

  async function departmentFragment (id: number): Promise<Fragment> {
    const dept = await departmentOr404(id)
    return fragment(targets.adminDepartment(id), 'outerHTML', views.render('admin/department', await adminViews.department(dept)))
  }

  async function agentGroupsFragment (scope: AgentScope): Promise<Fragment> {
    return fragment(targets.agentGroups(), 'outerHTML', views.render('admin/agent-groups', await adminViews.agentGroups(scope)))
  }

  // ------------------------------------------------------------ pages

  fastify.get('/admin/groups', async (request, reply) => {
    const admin = await actor(request, 'livechat.admin')
    return reply.lcView('admin/groups.page.hbs', {
      csrf: reply.generateCsrf(),
      user: admin.user,
      newDepartment: adminViews.newDepartmentForm(),
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
    await actor(request, 'livechat.admin')
    const form = readDepartment(request.body, false)
    await checkDepartmentName(form)
    const input = form.input
    if (input && valid(form) && await written(form, () => new LC_ERR_DEPARTMENT_NAME_TAKEN(input.name), async () => await routing.createDepartment(input))) {
      return await send(reply, 200, [
        fragment(targets.adminDepartments(), 'outerHTML', views.render('admin/departments', await adminViews.departments())),
        fragment(targets.adminNewDepartment(), 'outerHTML', views.render('admin/department-form', adminViews.newDepartmentForm())),
        ok(notices.departmentCreated(input.name))
      ])
    }
    return await send(reply, 422, [
      fragment(targets.adminNewDepartment(), 'outerHTML', views.render('admin/department-form', adminViews.newDepartmentForm(form))), clearNotice()
    ])
  })

  fastify.post<Id>('/admin/departments/:id', { schema: { params: idParams, body: departmentBody }, ...post }, async (request, reply) => {
    await actor(request, 'livechat.admin')
    const dept = await departmentOr404(request.params.id)
    const groups = await routing.groups()
    const form = readDepartment(request.body, true)
    await checkDepartmentName(form, dept.id)
    const input = form.input
    if (input?.defaultGroupId != null && !groups.some((g) => g.departmentId === dept.id && g.id === input.defaultGroupId)) {
      refuse(form, 'default_group_id', new LC_ERR_DEFAULT_GROUP_INVALID(dept.name))
    }
    if (input && valid(form) && await written(form, () => new LC_ERR_DEPARTMENT_NAME_TAKEN(input.name), async () => { await routing.updateDepartment(dept.id, input) })) {
      return await send(reply, 200, [await departmentFragment(dept.id), ok(notices.departmentSaved(input.name))])
    }
    return await send(reply, 422, [
      fragment(targets.adminDepartmentForm(dept.id), 'outerHTML', views.render('admin/department-form', adminViews.departmentForm(dept, groups, form))), clearNotice()
    ])
  })

  // ------------------------------------------------------------ groups

  fastify.post<Id>('/admin/departments/:id/groups', { schema: { params: idParams, body: newGroupBody }, ...post }, async (request, reply) => {
    await actor(request, 'livechat.admin')
    const dept = await departmentOr404(request.params.id)
    const form = readGroup(request.body, false)
    await checkGroupName(form, dept)
    const input = form.input
    if (input && valid(form) && await written(form, () => new LC_ERR_GROUP_NAME_TAKEN(input.name, dept.name), async () => await routing.createGroup({ departmentId: dept.id, ...input }))) {
      return await send(reply, 200, [await departmentFragment(dept.id), ok(notices.groupCreated(input.name, dept.name))])
    }
    return await send(reply, 422, [
      fragment(targets.adminNewGroup(dept.id), 'outerHTML', views.render('admin/group-form', adminViews.newGroupForm(dept, form))), clearNotice()
    ])
  })

  fastify.post<Id>('/admin/groups/:id', { schema: { params: idParams, body: groupBody }, ...post }, async (request, reply) => {
    await actor(request, 'livechat.admin')
    const group = await groupOr404(request.params.id)
    const form = readGroup(request.body, true)
    await checkGroupName(form, { id: group.departmentId, name: group.departmentName }, group.id)
    const input = form.input
    if (input && valid(form) && await written(form, () => new LC_ERR_GROUP_NAME_TAKEN(input.name, group.departmentName), async () => { await routing.updateGroup(group.id, input) })) {
      return await send(reply, 200, [await departmentFragment(group.departmentId), ok(notices.groupSaved(input.name))])
    }
    return await send(reply, 422, [
      fragment(targets.adminGroupForm(group.id), 'outerHTML', views.render('admin/group-form', adminViews.groupForm(group, form))), clearNotice()
    ])
  })

  // ------------------------------------------------------------ members

  fastify.post<Id>('/admin/groups/:id/members', { schema: { params: idParams, body: addMemberBody }, ...post }, async (request, reply) => {
    await actor(request, 'livechat.admin')
    const group = await groupOr404(request.params.id)
    const form = readAddMember(request.body)
    const username = form.username
    if (username) {
      // Usernames are matched whole: findUsers also matches parts of names and emails.
      const user = (await host.findUsers(username, 50)).find((u) => same(u.username, username))
      if (!user) refuse(form, 'username', new LC_ERR_USER_NOT_FOUND(username))
      else if (!permissionsFor(settings, user.roles).has('livechat.agent')) refuse(form, 'username', new LC_ERR_NOT_AN_AGENT(user.name))
      else if ((await routing.members([group.id])).some((m) => m.agentId === user.id)) refuse(form, 'username', new LC_ERR_ALREADY_MEMBER(user.name, group.name))
      else {
        await routing.setMember(group.id, user.id, { active: true })
        return await send(reply, 200, [await departmentFragment(group.departmentId), ok(notices.memberAdded(user.name, group.name))])
      }
    }
    return await send(reply, 422, [
      fragment(targets.adminMembers(group.id), 'outerHTML', views.render('admin/members', await adminViews.members(group, form))), clearNotice()
    ])
  })

  fastify.post<Member>('/admin/groups/:id/members/:agentId', { schema: { params: memberParams, body: memberBody }, ...post }, async (request, reply) => {
    await actor(request, 'livechat.admin')
    const group = await groupOr404(request.params.id)
    const { agentId } = request.params
    await memberOr404(group, agentId)
    const form = readMember(request.body)
    if (form.input) {
      await routing.setMember(group.id, agentId, form.input)
      return await send(reply, 200, [await departmentFragment(group.departmentId), ok(notices.memberSaved(group.name))])
    }
    return await send(reply, 422, [
      fragment(targets.adminMembers(group.id), 'outerHTML', views.render('admin/members', await adminViews.members(group, undefined, { agentId, state: form }))), clearNotice()
    ])
  })

  fastify.post<Member>('/admin/groups/:id/members/:agentId/remove', { schema: { params: memberParams, body: csrfOnlyBody }, preValidation: fastify.csrfProtection }, async (request, reply) => {
    await actor(request, 'livechat.admin')
    const group = await groupOr404(request.params.id)
    if (!await routing.removeMember(group.id, request.params.agentId)) throw new LC_ERR_MEMBER_NOT_FOUND(group.name)
    return await send(reply, 200, [await departmentFragment(group.departmentId), ok(notices.memberRemoved(group.name))])
  })

  // ------------------------------------------------------------ Active Live Chat Groups: a supervisor's Edit

  fastify.post<Member & { Body: MemberActiveBody }>('/console/groups/:id/members/:agentId', {
    schema: { params: memberParams, body: memberActiveBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const supervisor = await access.agent(request, 'livechat.supervise')
    const scope = await supervisor.scope()
    const group = await groupOr404(request.params.id)
    if (!sees(scope, group.id)) throw new LC_ERR_GROUP_NOT_VISIBLE(group.name)
    await memberOr404(group, request.params.agentId)
    const form = readMember(request.body)
    if (!form.input || Object.keys(form.input).length === 0) {
      // The limit field keeps what was typed (nothing is swapped); the notice says what to enter.
      const problem = Object.values(form.errors)[0] ?? { code: 'LC_ERR_FORM_INVALID', message: 'Nothing to change' }
      return await send(reply, 422, [fragment(targets.notice(), 'innerHTML', views.render('common/notice', { level: 'error', code: problem.code, message: problem.message }))])
    }
    await routing.setMember(group.id, request.params.agentId, form.input)
    return await send(reply, 200, [await agentGroupsFragment(scope), ok(notices.memberSaved(group.name))])
  })
}
