import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { ChatService } from '../chats/service.ts'
import { chatParams } from '../chats/schemas.ts'
import type { Access } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { answer, clearNotice, ok } from '../web/answers.ts'
import type { Fragment } from '../web/fragments.ts'
import { newReplyBody, type NewReplyBody, replyBody, type ReplyBody, replyParams, suggestQuery, type SuggestQuery } from './schemas.ts'
import type { CannedManager, CannedService } from './service.ts'
import {
  cannedFormFragment, cannedMenuFragment, cannedOptionsFragment, cannedPickerFragment, cannedScopeFragment, type CannedViews
} from './view-models.ts'

/** What the canned replies' endpoints use. */
export interface CannedRoutesDeps {
  base: string
  access: Pick<Access, 'agent'>
  chats: Pick<ChatService, 'chatForAgent'>
  canned: Pick<CannedService, 'manageable' | 'forManager' | 'create' | 'update' | 'remove' | 'usable'>
  cannedViews: CannedViews
}

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
export const cannedRoutes: FastifyPluginAsync<CannedRoutesDeps> = async (fastify, { base, access, chats, canned, cannedViews }) => {
  const post = { preValidation: fastify.csrfProtection }

  async function managerOf (request: FastifyRequest): Promise<{ manager: CannedManager, user: { name: string } }> {
    const agent = await access.agent(request, 'livechat.supervise')
    return { manager: { admin: agent.can('livechat.admin'), scope: await agent.scope() }, user: agent.user }
  }

  async function scopeFragment (manager: CannedManager, groupId: number | null): Promise<Fragment> {
    return cannedScopeFragment(await cannedViews.scope(manager, groupId, await canned.manageable(manager)))
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

  // The service reads and checks the fields (every problem at once, a taken shortcut too); a
  // refused form comes back with what was typed.
  fastify.post<{ Body: NewReplyBody }>('/console/canned', { schema: { body: newReplyBody }, ...post }, async (request, reply) => {
    const { manager } = await managerOf(request)
    const { scope, title, shortcut, body } = request.body
    const groupId = scope === 'global' ? null : Number(scope)
    const saved = await canned.create(manager, groupId, { title, shortcut, body })
    if (!saved.reply) {
      const form = await cannedViews.newForm(manager, { values: { scope, title, shortcut, body }, errors: saved.errors })
      return await answer(reply, [cannedFormFragment(form), clearNotice()], 422)
    }
    return await answer(reply, [
      await scopeFragment(manager, groupId),
      cannedFormFragment(await cannedViews.newForm(manager, { values: { scope }, errors: {} })),
      ok(notices.created(saved.reply.shortcut))
    ])
  })

  fastify.post<Id & { Body: ReplyBody }>('/console/canned/:id', { schema: { params: replyParams, body: replyBody }, ...post }, async (request, reply) => {
    const { manager } = await managerOf(request)
    const { title, shortcut, body } = request.body
    const saved = await canned.update(manager, request.params.id, { title, shortcut, body })
    if (!saved.reply) {
      const before = await canned.forManager(manager, request.params.id)
      return await answer(reply, [cannedFormFragment(cannedViews.editForm(before, { values: { title, shortcut, body }, errors: saved.errors })), clearNotice()], 422)
    }
    return await answer(reply, [await scopeFragment(manager, saved.reply.groupId), ok(notices.saved(saved.reply.shortcut))])
  })

  fastify.post<Id>('/console/canned/:id/delete', { schema: { params: replyParams, body: csrfOnlyBody }, ...post }, async (request, reply) => {
    const { manager } = await managerOf(request)
    const removed = await canned.remove(manager, request.params.id)
    return await answer(reply, [await scopeFragment(manager, removed.groupId), ok(notices.deleted(removed.shortcut))])
  })

  fastify.get<Id & { Querystring: SuggestQuery }>('/console/chats/:id/canned', { schema: { params: chatParams, querystring: suggestQuery } }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const chat = await chats.chatForAgent(request.params.id, scope)
    const { q = '', view = 'menu' } = request.query
    const replies = await canned.usable(scope, q, view === 'menu' ? 8 : 50)
    const model = await cannedViews.options(chat, agent.user.name, replies, q, view === 'menu' ? 'menu' : 'picker')
    const part = view === 'picker' ? cannedPickerFragment(model) : view === 'menu' ? cannedMenuFragment(model) : cannedOptionsFragment(model)
    return await answer(reply, [part])
  })
}
