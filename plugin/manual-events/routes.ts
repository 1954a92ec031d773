import type { FastifyPluginAsync } from 'fastify'
import type { RouteDeps } from '../deps.ts'
import { isCoded } from '../errors.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { eventBody, eventParams, type MoveBody, moveBody, performParams } from './schemas.ts'
import { type FormState, readEvent } from './service.ts'

type Id = { Params: { id: number } }
type Perform = { Params: { id: number, eventId: number } }

const notices = {
  created: (name: string) => `Manual event ${name} created`,
  saved: (name: string) => `Manual event ${name} saved`,
  deleted: (name: string) => `Manual event ${name} deleted`,
  performed: (name: string, agentsOnly: boolean) => `${name}: written into the chat${agentsOnly ? ' for agents only' : ''}`
}

/**
 * Manual events (docs/features.md#manual-events): defined by administrators on the
 * custom fields page, performed from a chat header's Actions menu.
 */
export const manualEventRoutes: FastifyPluginAsync<RouteDeps> = async (fastify, deps) => {
  const { access, consoleViews } = deps
  const { service: events, views: manualEventViews } = deps.manualEvents
  const post = { preValidation: fastify.csrfProtection }

  const { ok, clearNotice, send } = deps.answers

  /** A taken name belongs beside the Name field; anything else is thrown on. */
  function refused (err: unknown, form: FormState): boolean {
    if (!isCoded(err) || err.code !== 'LC_ERR_EVENT_NAME_TAKEN') return false
    form.errors.name = { code: err.code, message: err.message }
    return true
  }

  fastify.post('/admin/events', { schema: { body: eventBody }, ...post }, async (request, reply) => {
    await access.agent(request, 'livechat.admin')
    const form = readEvent(request.body)
    if (form.input) {
      try {
        const event = await events.create(form.input)
        return await send(reply, 200, [await manualEventViews.listFragment(), manualEventViews.newFormFragment(), ok(notices.created(event.name))])
      } catch (err) {
        if (!refused(err, form)) throw err
      }
    }
    return await send(reply, 422, [manualEventViews.newFormFragment(form), clearNotice()])
  })

  fastify.post<Id>('/admin/events/:id', { schema: { params: eventParams, body: eventBody }, ...post }, async (request, reply) => {
    await access.agent(request, 'livechat.admin')
    const event = await events.get(request.params.id)
    const form = readEvent(request.body)
    if (form.input) {
      try {
        const saved = await events.update(event.id, form.input)
        return await send(reply, 200, [await manualEventViews.listFragment(), ok(notices.saved(saved.name))])
      } catch (err) {
        if (!refused(err, form)) throw err
      }
    }
    return await send(reply, 422, [manualEventViews.editFormFragment(event, form), clearNotice()])
  })

  fastify.post<Id & { Body: MoveBody }>('/admin/events/:id/move', { schema: { params: eventParams, body: moveBody }, ...post }, async (request, reply) => {
    await access.agent(request, 'livechat.admin')
    await events.move(request.params.id, request.body.direction)
    return await send(reply, 200, [await manualEventViews.listFragment(), clearNotice()])
  })

  fastify.post<Id>('/admin/events/:id/delete', { schema: { params: eventParams, body: csrfOnlyBody }, ...post }, async (request, reply) => {
    await access.agent(request, 'livechat.admin')
    const event = await events.remove(request.params.id)
    return await send(reply, 200, [await manualEventViews.listFragment(), ok(notices.deleted(event.name))])
  })

  // The event reaches both panes over the socket like any message; the answer closes the
  // menu (a fresh header) and says what was done.
  fastify.post<Perform>('/console/chats/:id/events/:eventId', { schema: { params: performParams, body: csrfOnlyBody }, ...post }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const { chat, event } = await events.perform(request.params.id, request.params.eventId, scope)
    return await send(reply, 200, [
      ...await consoleViews.paneStateFragments(chat, scope),
      ok(notices.performed(event.name, event.agentsOnly))
    ])
  })
}
