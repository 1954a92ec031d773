import type { FastifyPluginAsync } from 'fastify'
import type { AgentScope } from '../chats/types.ts'
import type { Presence, RoutingService } from '../routing/service.ts'
import type { Access } from '../security/access.ts'
import { searchQuery, type SearchQuery } from './schemas.ts'
import type { SearchViews } from './view-models.ts'

/**
 * The console around Advanced Search: its lists and counters, and the agent's availability,
 * as on every console page. The console (a screen, above this module) provides it; named
 * here so this module needs nothing from there but the shape.
 */
export interface ConsoleFrame {
  page (scope: AgentScope): Promise<object>
  availability (presence: Presence): Promise<object>
}

/** What the Advanced Search page uses. */
export interface SearchRoutesDeps {
  base: string
  access: Pick<Access, 'agent'>
  routing: Pick<RoutingService, 'presence'>
  consoleViews: ConsoleFrame
  searchViews: SearchViews
}

/**
 * Advanced Search (docs/features.md#advanced-search): a console page whose form is a GET,
 * so a search is a link one can keep and share. A mistake in a field comes back (422)
 * beside that field with everything typed kept, and nothing is searched.
 */
export const searchRoutes: FastifyPluginAsync<SearchRoutesDeps> = async (fastify, { base, access, routing, consoleViews, searchViews }) => {
  fastify.get<{ Querystring: SearchQuery }>('/console/search', { schema: { querystring: searchQuery } }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const { status, form, results } = await searchViews.page(request.query, scope)
    const [page, presence] = await Promise.all([consoleViews.page(scope), routing.presence(agent.user.id)])
    return reply.code(status).lcView('search/search.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      title: 'Advanced Search',
      current: 'search',
      agent: agent.user,
      links: { supervise: agent.can('livechat.supervise'), admin: agent.can('livechat.admin') },
      availability: await consoleViews.availability(presence),
      ...page,
      form,
      results,
      wsBase: `${base}/ws/console`,
      wsUrl: `${base}/ws/console`
    })
  })
}
