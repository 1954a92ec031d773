import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { type AgentScope, sees } from '../chats/types.ts'
import { isUniqueViolation } from '../db/index.ts'
import type { RouteDeps } from '../deps.ts'
import {
  isCoded, LC_ERR_ALREADY_MEMBER, LC_ERR_DEFAULT_GROUP_INVALID, LC_ERR_DEPARTMENT_NAME_TAKEN, LC_ERR_DEPARTMENT_NOT_FOUND,
  LC_ERR_GROUP_NAME_TAKEN, LC_ERR_GROUP_NOT_VISIBLE, LC_ERR_GROUP_UNKNOWN, LC_ERR_MEMBER_NOT_FOUND, LC_ERR_NOT_AN_AGENT, LC_ERR_USER_NOT_FOUND
} from '../errors.ts'
import type { HostAdapter } from '../host/adapter.ts'
import { type Permission, permissionsFor } from '../manifest.ts'
import { envelope, type Fragment, fragment } from '../realtime/fragments.ts'
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
const html = 'text/html; charset=utf-8'

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
 * supervisors' Active Live Chat Groups page (`livechat.supervise`, seed 001). Every change
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
   * Names are unique (departments) and unique per department (groups). Checked first without
   * regard to case, so both databases refuse the same names (MySQL's collation ignores case,
   * SQLite's does not); the unique index still decides a race.
   */
  async function uniqueName<T> (taken: boolean, refusal: () => Error, write: () => Promise<T>): Promise<T> {
    if (taken) throw refusal()
    try {
      return await write()
    } catch (err) {
      if (isUniqueViolation(err)) throw refusal()
      throw err
    }
  }
  const same = (a: string, b: string): boolean => a.toLocaleLowerCase() === b.toLocaleLowerCase()

  async function departmentNameTaken (name: string, exceptId?: number): Promise<boolean> {
    return (await routing.departments()).some((d) => d.id !== exceptId && same(d.name, name))
  }

  async function groupNameTaken (departmentId: number, name: string, exceptId?: number): Promise<boolean> {
    return (await routing.groups()).some((g) => g.departmentId === departmentId && g.id !== exceptId && same(g.name, name))
  }

  /** Moves a 422 the rules above threw onto the form field it is about; anything else propagates. */
  function refusedField (err: unknown, form: FormState, field: string): boolean {
    if (!isCoded(err) || err.statusCode !== 422) return false
    form.errors[field] = { code: err.code, message: err.message }
    return true
  }

  // ------------------------------------------------------------ answers

  const ok = (message: string): Fragment => fragment(targets.notice(), 'innerHTML', views.render('common/notice', { level: 'ok', code: 'LC_OK', message }))
  const clearNotice = (): Fragment => fragment(targets.notice(), 'innerHTML', '')

  async function send (reply: FastifyReply, status: number, parts: Fragment[]): Promise<FastifyReply> {
    return await reply.code(status).type(html).send(envelope(parts))
  }

  async function departmentFragment (dept: Department): Promise<Fragment> {
    const fresh = (await routing.department(dept.id)) ?? dept
    return fragment(targets.adminDepartment(dept.id), 'outerHTML', views.render('admin/department', await adminViews.department(fresh)))
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
    const refuse = async () => await send(reply, 422, [
      fragment(targets.adminNewDepartment(), 'outerHTML', views.render('admin/department-form', adminViews.newDepartmentForm(form))), clearNotice()
    ])
    if (!form.input) return await refuse()
    const input = form.input
    try {
      await uniqueName(await departmentNameTaken(input.name), () => new LC_ERR_DEPARTMENT_NAME_TAKEN(input.name), async () => await routing.createDepartment(input))
    } catch (err) {
      if (refusedField(err, form, 'name')) return await refuse()
      throw err
    }
    return await send(reply, 200, [
      fragment(targets.adminDepartments(), 'outerHTML', views.render('admin/departments', await adminViews.departments())),
      fragment(targets.adminNewDepartment(), 'outerHTML', views.render('admin/department-form', adminViews.newDepartmentForm())),
      ok(notices.departmentCreated(input.name))
    ])
  })

  fastify.post<Id>('/admin/departments/:id', { schema: { params: idParams, body: departmentBody }, ...post }, async (request, reply) => {
    await actor(request, 'livechat.admin')
    const dept = await departmentOr404(request.params.id)
    const form = readDepartment(request.body, true)
    const refuse = async () => await send(reply, 422, [
      fragment(targets.adminDepartmentForm(dept.id), 'outerHTML', views.render('admin/department-form', adminViews.departmentForm(dept, await routing.groups(), form))), clearNotice()
    ])
    if (!form.input) return await refuse()
    const input = form.input
    try {
      const own = (await routing.groups()).filter((g) => g.departmentId === dept.id)
      if (input.defaultGroupId != null && !own.some((g) => g.id === input.defaultGroupId)) throw new LC_ERR_DEFAULT_GROUP_INVALID(dept.name)
    } catch (err) {
      if (refusedField(err, form, 'default_group_id')) return await refuse()
      throw err
    }
    try {
      await uniqueName(await departmentNameTaken(input.name, dept.id), () => new LC_ERR_DEPARTMENT_NAME_TAKEN(input.name), async () => { await routing.updateDepartment(dept.id, input) })
    } catch (err) {
      if (refusedField(err, form, 'name')) return await refuse()
      throw err
    }
    return await send(reply, 200, [await departmentFragment(dept), ok(notices.departmentSaved(input.name))])
  })

  // ------------------------------------------------------------ groups

  fastify.post<Id>('/admin/departments/:id/groups', { schema: { params: idParams, body: newGroupBody }, ...post }, async (request, reply) => {
    await actor(request, 'livechat.admin')
    const dept = await departmentOr404(request.params.id)
    const form = readGroup(request.body, false)
    const refuse = async () => await send(reply, 422, [
      fragment(targets.adminNewGroup(dept.id), 'outerHTML', views.render('admin/group-form', adminViews.newGroupForm(dept, form))), clearNotice()
    ])
    if (!form.input) return await refuse()
    const input = form.input
    try {
      await uniqueName(await groupNameTaken(dept.id, input.name), () => new LC_ERR_GROUP_NAME_TAKEN(input.name, dept.name),
        async () => await routing.createGroup({ departmentId: dept.id, ...input }))
    } catch (err) {
      if (refusedField(err, form, 'name')) return await refuse()
      throw err
    }
    return await send(reply, 200, [await departmentFragment(dept), ok(notices.groupCreated(input.name, dept.name))])
  })

  fastify.post<Id>('/admin/groups/:id', { schema: { params: idParams, body: groupBody }, ...post }, async (request, reply) => {
    await actor(request, 'livechat.admin')
    const group = await groupOr404(request.params.id)
    const form = readGroup(request.body, true)
    const refuse = async () => await send(reply, 422, [
      fragment(targets.adminGroupForm(group.id), 'outerHTML', views.render('admin/group-form', adminViews.groupForm(group, form))), clearNotice()
    ])
    if (!form.input) return await refuse()
    const input = form.input
    try {
      await uniqueName(await groupNameTaken(group.departmentId, input.name, group.id), () => new LC_ERR_GROUP_NAME_TAKEN(input.name, group.departmentName),
        async () => { await routing.updateGroup(group.id, input) })
    } catch (err) {
      if (refusedField(err, form, 'name')) return await refuse()
      throw err
    }
    const dept = await departmentOr404(group.departmentId)
    return await send(reply, 200, [await departmentFragment(dept), ok(notices.groupSaved(input.name))])
  })

  // ------------------------------------------------------------ members

  fastify.post<Id>('/admin/groups/:id/members', { schema: { params: idParams, body: addMemberBody }, ...post }, async (request, reply) => {
    await actor(request, 'livechat.admin')
    const group = await groupOr404(request.params.id)
    const form = readAddMember(request.body)
    const refuse = async () => await send(reply, 422, [
      fragment(targets.adminMembers(group.id), 'outerHTML', views.render('admin/members', await adminViews.members(group, form))), clearNotice()
    ])
    if (!form.username) return await refuse()
    const username = form.username
    let added
    try {
      const user = (await host.findUsers(username, 50)).find((u) => u.username.toLocaleLowerCase() === username.toLocaleLowerCase())
      if (!user) throw new LC_ERR_USER_NOT_FOUND(username)
      if (!permissionsFor(settings, user.roles).has('livechat.agent')) throw new LC_ERR_NOT_AN_AGENT(user.name)
      if ((await routing.members([group.id])).some((m) => m.agentId === user.id)) throw new LC_ERR_ALREADY_MEMBER(user.name, group.name)
      await routing.setMember(group.id, user.id, { active: true })
      added = user
    } catch (err) {
      if (refusedField(err, form, 'username')) return await refuse()
      throw err
    }
    return await send(reply, 200, [await departmentFragment(await departmentOr404(group.departmentId)), ok(notices.memberAdded(added.name, group.name))])
  })

  fastify.post<Member>('/admin/groups/:id/members/:agentId', { schema: { params: memberParams, body: memberBody }, ...post }, async (request, reply) => {
    await actor(request, 'livechat.admin')
    const group = await groupOr404(request.params.id)
    const { agentId } = request.params
    await memberOr404(group, agentId)
    const form = readMember(request.body)
    if (!form.input) {
      return await send(reply, 422, [
        fragment(targets.adminMembers(group.id), 'outerHTML', views.render('admin/members', await adminViews.members(group, undefined, { agentId, state: form }))), clearNotice()
      ])
    }
    await routing.setMember(group.id, agentId, form.input)
    return await send(reply, 200, [await departmentFragment(await departmentOr404(group.departmentId)), ok(notices.memberSaved(group.name))])
  })

  fastify.post<Member>('/admin/groups/:id/members/:agentId/remove', { schema: { params: memberParams, body: csrfOnlyBody }, preValidation: fastify.csrfProtection }, async (request, reply) => {
    await actor(request, 'livechat.admin')
    const group = await groupOr404(request.params.id)
    if (!await routing.removeMember(group.id, request.params.agentId)) throw new LC_ERR_MEMBER_NOT_FOUND(group.name)
    return await send(reply, 200, [await departmentFragment(await departmentOr404(group.departmentId)), ok(notices.memberRemoved(group.name))])
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
    await routing.setMember(group.id, request.params.agentId, { active: request.body.active === 'on' })
    return await send(reply, 200, [await agentGroupsFragment(scope), ok(notices.memberSaved(group.name))])
  })
}
