import type { FastifyPluginAsync } from 'fastify'
import type { ChatService } from '../chats/service.ts'
import { chatParams } from '../chats/schemas.ts'
import type { Access } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { answer, clearNotice, closeTools, ok } from '../web/answers.ts'
import { attempt } from '../web/forms.ts'
import { type DoneBody, doneBody, itemBody, itemForm, itemKindParams, type ItemKindParams, itemParams, type ItemParams, itemRefusals } from './schemas.ts'
import type { ItemService } from './service.ts'
import type { ItemViews } from './view-models.ts'

/** What the Add menu's forms and the Time Logs and Related Items tabs use. */
export interface ItemRoutesDeps {
  access: Pick<Access, 'agent'>
  chats: Pick<ChatService, 'chatForAgent'>
  items: Pick<ItemService, 'add' | 'setDone' | 'remove'>
  itemViews: ItemViews
}

type ChatRoute = { Params: { id: number } }
const added: Record<ItemKindParams['kind'], string> = { task: 'Task added', time_log: 'Time logged', call_log: 'Call logged', ticket: 'Ticket linked' }

/** The chat header's Add menu and the Time Logs and Related Items tabs (docs/features.md#related-items). */
export const itemRoutes: FastifyPluginAsync<ItemRoutesDeps> = async (fastify, { access, chats, items, itemViews }) => {
  fastify.get<ChatRoute>('/console/chats/:id/tabs/timelogs', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    return await answer(reply, [await itemViews.timeLogsTab(request.params.id, await agent.scope())])
  })

  fastify.get<ChatRoute>('/console/chats/:id/tabs/related', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    return await answer(reply, [await itemViews.relatedTab(request.params.id, await agent.scope())])
  })

  fastify.get<{ Params: ItemKindParams }>('/console/chats/:id/items/new/:kind', { schema: { params: itemKindParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const chat = await chats.chatForAgent(request.params.id, await agent.scope())
    return await answer(reply, [itemViews.form(chat.id, request.params.kind), clearNotice()])
  })

  fastify.post<{ Params: ItemKindParams }>('/console/chats/:id/items/:kind', {
    schema: { params: itemKindParams, body: itemBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const { id: chatId, kind } = request.params
    const form = itemForm.read(request.body)
    // A refused form keeps its refusal's own status: a ticket already linked is a 409, not a 422.
    let status = 422
    const item = await attempt(form, async (input) => await items.add(chatId, scope, kind, input), (err) => {
      const field = itemRefusals[err.code]
      if (field !== undefined) status = err.statusCode ?? 422
      return field
    })
    if (!item) return await answer(reply, [itemViews.form(chatId, kind, form)], status)
    return await answer(reply, [closeTools(chatId), ...await itemViews.tabs(chatId, scope), ok(added[kind])])
  })

  fastify.post<{ Params: ItemParams, Body: DoneBody }>('/console/chats/:id/items/:itemId/done', {
    schema: { params: itemParams, body: doneBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    await items.setDone(request.params.id, request.params.itemId, scope, request.body.done === 'on')
    return await answer(reply, [...await itemViews.tabs(request.params.id, scope), clearNotice()])
  })

  fastify.post<{ Params: ItemParams }>('/console/chats/:id/items/:itemId/delete', {
    schema: { params: itemParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    await items.remove(request.params.id, request.params.itemId, scope)
    return await answer(reply, [...await itemViews.tabs(request.params.id, scope), ok('Deleted')])
  })
}
