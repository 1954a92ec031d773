import type { FastifyPluginAsync } from 'fastify'
import { chatParams } from '../chats/schemas.ts'
import { isCoded } from '../errors.ts'
import type { ItemViews } from '../items/view-models.ts'
import type { Access } from '../security/access.ts'
import { answer, clearNotice, notice, ok } from '../web/answers.ts'
import type { ResourceResults, ResourceService } from './service.ts'
import { type ArticleBody, articleBody, type ResourceSearchQuery, resourceSearchQuery } from './schemas.ts'
import type { ResourceViews } from './view-models.ts'

/** What the Resources panel's endpoints use; a pin also refreshes the Related Items tab, which lists pins. */
export interface ResourceRoutesDeps {
  access: Pick<Access, 'agent'>
  resources: Pick<ResourceService, 'search' | 'share' | 'pin' | 'unpin'>
  resourceViews: ResourceViews
  itemViews: Pick<ItemViews, 'tabs'>
}

type ChatRoute = { Params: { id: number } }
/** Refusals of a search that a person fixes in the search box itself. */
const queryErrors = new Set(['LC_ERR_RESOURCES_QUERY_EMPTY', 'LC_ERR_RESOURCES_QUERY_TOO_LONG'])

const list = (refs: string[]): string => refs.length === 1 ? refs[0]! : `${refs.slice(0, -1).join(', ')} and ${refs.at(-1)!}`

/** A chat's Resources panel in the console (docs/features.md#resources). */
export const resourceRoutes: FastifyPluginAsync<ResourceRoutesDeps> = async (fastify, { access, resources, resourceViews, itemViews }) => {
  /** A source that failed is said in the panel; why goes to the log. */
  function logFailures (log: typeof fastify.log, found: ResourceResults): void {
    for (const f of found.failed) log.error({ err: f.err, chatId: found.chat.id, source: f.source }, 'a Resources source failed to search')
  }

  fastify.get<ChatRoute>('/console/chats/:id/resources', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const { fragment: panel, found } = await resourceViews.panel(request.params.id, await agent.scope())
    logFailures(request.log, found)
    return await answer(reply, [panel, clearNotice()])
  })

  fastify.get<ChatRoute & { Querystring: ResourceSearchQuery }>('/console/chats/:id/resources/search', {
    schema: { params: chatParams, querystring: resourceSearchQuery }
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    let found: ResourceResults
    try {
      found = await resources.search(request.params.id, scope, request.query.q)
    } catch (err) {
      if (isCoded(err) && queryErrors.has(err.code)) return await answer(reply, [resourceViews.searchForm(request.params.id, request.query.q, err.message)], err.statusCode ?? 422)
      throw err
    }
    logFailures(request.log, found)
    return await answer(reply, [...await resourceViews.results(found, scope), clearNotice()])
  })

  fastify.post<ChatRoute & { Body: ArticleBody }>('/console/chats/:id/resources/share', {
    schema: { params: chatParams, body: articleBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const { article, activity, chat } = await resources.share(request.params.id, await agent.scope(), request.body.articleId)
    // The card reaches both sides over their sockets, like any message; this answer is the notice.
    const shared = `Shared “${article.title}” with the customer`
    if (activity.failed.length > 0) {
      for (const f of activity.failed) request.log.error({ err: f.err, chatId: chat.id, ticket: f.ref }, 'the help desk failed to note a shared article on a ticket\'s activity')
      const message = `${shared}, but the help desk did not note it on the Activity of ${list(activity.failed.map((f) => f.ref))}; add the link there yourself`
      return await answer(reply, [notice('warning', message, 'LC_WARN_TICKET_ACTIVITY')])
    }
    return await answer(reply, [ok(activity.written.length > 0 ? `${shared} and noted it on the Activity of ${list(activity.written)}` : shared)])
  })

  fastify.post<ChatRoute & { Body: ArticleBody }>('/console/chats/:id/resources/pins', {
    schema: { params: chatParams, body: articleBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const pin = await resources.pin(request.params.id, scope, request.body.articleId)
    return await answer(reply, [...await resourceViews.pinChanged(pin.chatId, pin.articleId), ...await itemViews.tabs(pin.chatId, scope), ok(`Pinned “${pin.title}” to the chat`)])
  })

  fastify.post<ChatRoute & { Body: ArticleBody }>('/console/chats/:id/resources/unpin', {
    schema: { params: chatParams, body: articleBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const pin = await resources.unpin(request.params.id, scope, request.body.articleId)
    return await answer(reply, [...await resourceViews.pinChanged(pin.chatId, pin.articleId), ...await itemViews.tabs(pin.chatId, scope), ok(`Unpinned “${pin.title}”`)])
  })
}
