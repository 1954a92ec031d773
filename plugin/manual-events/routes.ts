import type { FastifyPluginAsync } from 'fastify'
import type { AgentScope, Chat } from '../chats/types.ts'
import type { Access } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { answer, clearNotice, ok } from '../web/answers.ts'
import { attempt } from '../web/forms.ts'
import type { Fragment } from '../web/fragments.ts'
import { eventBody, eventForm, eventParams, type MoveBody, moveBody, performParams } from './schemas.ts'
import type { ManualEventService } from './service.ts'
import type { ManualEventViews } from './view-models.ts'

/** What the manual events' endpoints use. */
export interface ManualEventRoutesDeps {
  access: Pick<Access, 'agent'>
  manualEvents: Pick<ManualEventService, 'create' | 'get' | 'update' | 'move' | 'remove' | 'perform'>
  manualEventViews: Pick<ManualEventViews, 'listFragment' | 'newFormFragment' | 'editFormFragment'>
  /** The console re-renders the chat's header (the menu closes) and what else performing changed. */
  consoleViews: { paneStateFragments (chat: Chat, viewer: AgentScope): Promise<Fragment[]> }
}

type Id = { Params: { id: number } }
type Perform = { Params: { id: number, eventId: number } }

const notices = {
  created: (name: string) => `Manual event ${name} created`,
  saved: (name: string) => `Manual event ${name} saved`,
  deleted: (name: string) => `Manual event ${name} deleted`,
  performed: (name: string, agentsOnly: boolean) => `${name}: written into the chat${agentsOnly ? ' for agents only' : ''}`
}

/** A taken name belongs beside the Name field. */
const nameTaken = { LC_ERR_EVENT_NAME_TAKEN: 'name' } as const

/**
 * Manual events (docs/features.md#manual-events): defined by administrators on the
 * custom fields page, performed from a chat header's Actions menu.
 */
export const manualEventRoutes: FastifyPluginAsync<ManualEventRoutesDeps> = async (fastify, { access, manualEvents, manualEventViews, consoleViews }) => {
  const post = { preValidation: fastify.csrfProtection }

  fastify.post('/admin/events', { schema: { body: eventBody }, ...post }, async (request, reply) => {
    await access.agent(request, 'livechat.admin')
    const form = eventForm.read(request.body)
    const event = await attempt(form, async (input) => await manualEvents.create(input), nameTaken)
    if (!event) return await answer(reply, [manualEventViews.newFormFragment(form), clearNotice()], 422)
    return await answer(reply, [await manualEventViews.listFragment(), manualEventViews.newFormFragment(), ok(notices.created(event.name))])
  })

  fastify.post<Id>('/admin/events/:id', { schema: { params: eventParams, body: eventBody }, ...post }, async (request, reply) => {
    await access.agent(request, 'livechat.admin')
    const event = await manualEvents.get(request.params.id)
    const form = eventForm.read(request.body)
    const saved = await attempt(form, async (input) => await manualEvents.update(event.id, input), nameTaken)
    if (!saved) return await answer(reply, [manualEventViews.editFormFragment(event, form), clearNotice()], 422)
    return await answer(reply, [await manualEventViews.listFragment(), ok(notices.saved(saved.name))])
  })

  fastify.post<Id & { Body: MoveBody }>('/admin/events/:id/move', { schema: { params: eventParams, body: moveBody }, ...post }, async (request, reply) => {
    await access.agent(request, 'livechat.admin')
    await manualEvents.move(request.params.id, request.body.direction)
    return await answer(reply, [await manualEventViews.listFragment(), clearNotice()])
  })

  fastify.post<Id>('/admin/events/:id/delete', { schema: { params: eventParams, body: csrfOnlyBody }, ...post }, async (request, reply) => {
    await access.agent(request, 'livechat.admin')
    const event = await manualEvents.remove(request.params.id)
    return await answer(reply, [await manualEventViews.listFragment(), ok(notices.deleted(event.name))])
  })

  // The event reaches both panes over the socket like any message; the answer closes the
  // menu (a fresh header) and says what was done.
  fastify.post<Perform>('/console/chats/:id/events/:eventId', { schema: { params: performParams, body: csrfOnlyBody }, ...post }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const { chat, event } = await manualEvents.perform(request.params.id, request.params.eventId, scope)
    return await answer(reply, [
      ...await consoleViews.paneStateFragments(chat, scope),
      ok(notices.performed(event.name, event.agentsOnly))
    ])
  })
}
