import type { FastifyPluginAsync } from 'fastify'
import { chatParams } from '../chats/schemas.ts'
import type { RouteDeps } from '../deps.ts'
import { isCoded } from '../errors.ts'
import { fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { type DoneBody, doneBody, type ItemBody, itemBody, itemKindParams, type ItemKindParams, itemParams, type ItemParams } from './schemas.ts'
import type { ItemFormError } from './view-models.ts'

type ChatRoute = { Params: { id: number } }
/** Refusals a person fixes in the form itself, and the field each belongs beside. */
const formErrors: Record<string, ItemFormError['field']> = {
  LC_ERR_ITEM_TITLE: 'title',
  LC_ERR_ITEM_DUE: 'due',
  LC_ERR_ITEM_NOTE: 'note',
  LC_ERR_ITEM_MINUTES: 'minutes',
  LC_ERR_ITEM_TICKET_REF: 'ref',
  LC_ERR_ITEM_TICKET_UNKNOWN: 'ref',
  LC_ERR_ITEM_TICKET_LINKED: 'ref'
}
const added: Record<ItemKindParams['kind'], string> = { task: 'Task added', time_log: 'Time logged', call_log: 'Call logged', ticket: 'Ticket linked' }

/** The chat header's Add menu and the Time Logs and Related Items tabs (docs/features.md#related-items). */
export const itemRoutes: FastifyPluginAsync<RouteDeps> = async (fastify, deps) => {
  const { access, answers, views, chats } = deps
  const { service: items, views: itemViews } = deps.items

  fastify.get<ChatRoute>('/console/chats/:id/tabs/timelogs', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const model = await itemViews.timeLogs(request.params.id, await agent.scope())
    return await answers.send(reply, 200, [fragment(targets.tabPanel(request.params.id), 'innerHTML', views.render('items/time-logs', model))])
  })

  fastify.get<ChatRoute>('/console/chats/:id/tabs/related', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const model = await itemViews.related(request.params.id, await agent.scope())
    return await answers.send(reply, 200, [fragment(targets.tabPanel(request.params.id), 'innerHTML', views.render('items/related', model))])
  })

  fastify.get<{ Params: ItemKindParams }>('/console/chats/:id/items/new/:kind', { schema: { params: itemKindParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const chat = await chats.chatForAgent(request.params.id, await agent.scope())
    return await answers.send(reply, 200, [itemViews.formFragment(chat.id, request.params.kind), answers.clearNotice()])
  })

  fastify.post<{ Params: ItemKindParams, Body: ItemBody }>('/console/chats/:id/items/:kind', {
    schema: { params: itemKindParams, body: itemBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const { id: chatId, kind } = request.params
    const { _csrf: _, ...input } = request.body
    try {
      await items.add(chatId, scope, kind, input)
    } catch (err) {
      const field = isCoded(err) ? formErrors[err.code] : undefined
      if (field && isCoded(err)) {
        return await answers.send(reply, err.statusCode ?? 422, [itemViews.formFragment(chatId, kind, input, { field, message: err.message })])
      }
      throw err
    }
    return await answers.send(reply, 200, [
      fragment(targets.chatTools(chatId), 'innerHTML', ''),
      ...await itemViews.tabFragments(chatId, scope),
      answers.ok(added[kind])
    ])
  })

  fastify.post<{ Params: ItemParams, Body: DoneBody }>('/console/chats/:id/items/:itemId/done', {
    schema: { params: itemParams, body: doneBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    await items.setDone(request.params.id, request.params.itemId, scope, request.body.done === 'on')
    return await answers.send(reply, 200, [...await itemViews.tabFragments(request.params.id, scope), answers.clearNotice()])
  })

  fastify.post<{ Params: ItemParams }>('/console/chats/:id/items/:itemId/delete', {
    schema: { params: itemParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    await items.remove(request.params.id, request.params.itemId, scope)
    return await answers.send(reply, 200, [...await itemViews.tabFragments(request.params.id, scope), answers.ok('Deleted')])
  })
}
