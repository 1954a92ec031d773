import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { chatParams } from '../chats/schemas.ts'
import type { RouteDeps } from '../deps.ts'
import { type Fragment, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { newReplyBody, type NewReplyBody, replyBody, type ReplyBody, replyParams, suggestQuery, type SuggestQuery } from './schemas.ts'
import type { CannedManager } from './service.ts'
import { createCannedViews } from './view-models.ts'

type Id = { Params: { id: number } }

const notices = {
  created: (shortcut: string) => `Canned reply /${shortcut} created`,
  saved: (shortcut: string) => `Canned reply /${shortcut} saved`,
  deleted: (shortcut: string) => `Canned reply /${shortcut} deleted`
}

/**
 * Canned replies (docs/features.md#canned-replies): the management page for supervisors
 * and administrators, and the suggestions an agent's reply box asks for as they type a
 * /shortcut or open the Insert canned reply list.
 */
export const cannedRoutes: FastifyPluginAsync<RouteDeps> = async (fastify, deps) => {
  const { base, chats, access, views, routing, canned } = deps
  const cannedViews = createCannedViews({ base, routing })
  const post = { preValidation: fastify.csrfProtection }

  async function managerOf (request: FastifyRequest): Promise<{ manager: CannedManager, user: { name: string } }> {
    const agent = await access.agent(request, 'livechat.supervise')
    return { manager: { admin: agent.can('livechat.admin'), scope: await agent.scope() }, user: agent.user }
  }

  const { ok, clearNotice, send } = deps.answers

  async function scopeFragment (manager: CannedManager, groupId: number | null): Promise<Fragment> {
    const model = await cannedViews.scope(manager, groupId, await canned.manageable(manager))
    return fragment(model.id, 'outerHTML', views.render('canned/scope', model))
  }

  fastify.get('/console/canned', async (request, reply) => {
    const { manager, user } = await managerOf(request)
    return reply.lcView('canned/canned.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      user,
      isAdmin: manager.admin,
      ...await cannedViews.page(manager, await canned.manageable(manager))
    })
  })

  fastify.post<{ Body: NewReplyBody }>('/console/canned', { schema: { body: newReplyBody }, ...post }, async (request, reply) => {
    const { manager } = await managerOf(request)
    const { scope, title, shortcut, body } = request.body
    const groupId = scope === 'global' ? null : Number(scope)
    const saved = await canned.create(manager, groupId, { title, shortcut, body })
    if (saved.reply) {
      return await send(reply, 200, [
        await scopeFragment(manager, groupId),
        fragment(targets.cannedNew(), 'outerHTML', views.render('canned/form', await cannedViews.newForm(manager, { values: { scope }, errors: {} }))),
        ok(notices.created(saved.reply.shortcut))
      ])
    }
    return await send(reply, 422, [
      fragment(targets.cannedNew(), 'outerHTML', views.render('canned/form', await cannedViews.newForm(manager, { values: { scope, title, shortcut, body }, errors: saved.errors }))),
      clearNotice()
    ])
  })

  fastify.post<Id & { Body: ReplyBody }>('/console/canned/:id', { schema: { params: replyParams, body: replyBody }, ...post }, async (request, reply) => {
    const { manager } = await managerOf(request)
    const { title, shortcut, body } = request.body
    const saved = await canned.update(manager, request.params.id, { title, shortcut, body })
    if (saved.reply) {
      return await send(reply, 200, [await scopeFragment(manager, saved.reply.groupId), ok(notices.saved(saved.reply.shortcut))])
    }
    const before = await canned.forManager(manager, request.params.id)
    return await send(reply, 422, [
      fragment(targets.cannedForm(before.id), 'outerHTML', views.render('canned/form', cannedViews.editForm(before, { values: { title, shortcut, body }, errors: saved.errors }))),
      clearNotice()
    ])
  })

  fastify.post<Id>('/console/canned/:id/delete', { schema: { params: replyParams, body: csrfOnlyBody }, ...post }, async (request, reply) => {
    const { manager } = await managerOf(request)
    const removed = await canned.remove(manager, request.params.id)
    return await send(reply, 200, [await scopeFragment(manager, removed.groupId), ok(notices.deleted(removed.shortcut))])
  })

  fastify.get<Id & { Querystring: SuggestQuery }>('/console/chats/:id/canned', { schema: { params: chatParams, querystring: suggestQuery } }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const chat = await chats.chatForAgent(request.params.id, scope)
    const { q = '', view = 'menu' } = request.query
    const replies = await canned.usable(scope, q, view === 'menu' ? 8 : 50)
    const model = await cannedViews.options(chat, agent.user.name, replies, q, view === 'menu' ? 'menu' : 'picker')
    const part = view === 'picker'
      ? fragment(targets.canned(chat.id), 'innerHTML', views.render('canned/picker', model))
      : view === 'menu'
        ? fragment(targets.canned(chat.id), 'innerHTML', views.render('canned/options', model))
        : fragment(targets.cannedOptions(chat.id), 'outerHTML', views.render('canned/options', model))
    return await send(reply, 200, [part])
  })
}
