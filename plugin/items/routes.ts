import type { FastifyPluginAsync } from 'fastify'
import type { ChatService } from '../chats/service.ts'
import { chatParams } from '../chats/schemas.ts'
import { isCoded } from '../errors.ts'
import type { Access } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { answer, clearNotice, closeTools, ok } from '../web/answers.ts'
import { type DoneBody, doneBody, type ItemBody, itemBody, itemKindParams, type ItemKindParams, itemParams, type ItemParams } from './schemas.ts'
import type { ItemService } from './service.ts'
import type { ItemFormError, ItemViews } from './view-models.ts'

/** What the Add menu's forms and the Time Logs and Related Items tabs use. */
export interface ItemRoutesDeps {
  access: Pick<Access, 'agent'>
  chats: Pick<ChatService, 'chatForAgent'>
  items: Pick<ItemService, 'add' | 'setDone' | 'remove'>
  itemViews: ItemViews
}

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
      if (field && isCoded(err)) return await answer(reply, [itemViews.form(chatId, kind, input, { field, message: err.message })], err.statusCode ?? 422)
      throw err
    }
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
