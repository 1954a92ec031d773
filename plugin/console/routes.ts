import type { FastifyPluginAsync } from 'fastify'
import { chatParams } from '../chats/schemas.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import type { RouteDeps } from '../deps.ts'
import { LC_ERR_CHAT_NOT_FOUND } from '../errors.ts'
import { envelope, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import { availabilityBody, type AvailabilityBody } from './schemas.ts'

type IdParams = { Params: { id: number } }
const html = 'text/html; charset=utf-8'

/** The agent console: the page, the Available switch, Accept, End Chat and a chat's own view. */
export const consoleRoutes: FastifyPluginAsync<RouteDeps> = async (fastify, deps) => {
  const { base, chats, routing, access, views, consoleViews } = deps

  fastify.get('/console', async (request, reply) => {
    const agent = await access.agent(request)
    const [queue, lists, presence, active] = await Promise.all([
      chats.queue(), consoleViews.lists(agent.user.id), routing.presence(agent.user.id), chats.agentChats(agent.user.id, 'active')
    ])
    const panes = await Promise.all(active.map((c) => consoleViews.pane(c, agent.user.id)))
    const since = panes.map((p) => `${p.chat.id}.${p.messages.at(-1)?.seq ?? 0}`).join(',')
    return reply.lcView('console/console.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      agent: agent.user,
      availability: consoleViews.availability(presence),
      queue: consoleViews.queue(queue),
      ...lists,
      panes,
      wsBase: `${base}/ws/console`,
      wsUrl: `${base}/ws/console${since ? `?since=${since}` : ''}`
    })
  })

  fastify.post<{ Body: AvailabilityBody }>('/console/availability', {
    schema: { body: availabilityBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const presence = await routing.setAvailable(agent.user.id, request.body?.available === 'on')
    return reply.type(html).send(envelope([
      fragment(targets.availability(), 'outerHTML', views.render('console/availability', consoleViews.availability(presence)))
    ]))
  })

  fastify.post<IdParams>('/console/chats/:id/accept', {
    schema: { params: chatParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const { chat, joinedSeq } = await chats.acceptChat(request.params.id, agent.user)
    // The pane shows the transcript up to the join event; the socket sends what follows it.
    const pane = await consoleViews.pane(chat, agent.user.id, await chats.messages(chat.id, 0, joinedSeq), true)
    return reply.type(html).send(envelope([
      fragment(targets.panes(), 'beforeend', views.render('console/chat-pane', pane)),
      await consoleViews.queueFragment(),
      ...await consoleViews.listFragments(agent.user.id),
      fragment(targets.notice(), 'innerHTML', '')
    ]))
  })

  fastify.post<IdParams>('/console/chats/:id/end', {
    schema: { params: chatParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const chat = await chats.chatForAgent(request.params.id, agent.user, agent.can('livechat.supervise'))
    if (chat.agentId !== agent.user.id && !agent.can('livechat.supervise')) throw new LC_ERR_CHAT_NOT_FOUND(String(chat.id))
    const ended = await chats.endChat(chat.id, { kind: 'agent', id: agent.user.id, name: agent.user.name })
    return reply.type(html).send(envelope([
      ...await consoleViews.paneStateFragments(ended, agent.user.id),
      ...await consoleViews.listFragments(agent.user.id),
      fragment(targets.notice(), 'innerHTML', '')
    ]))
  })

  fastify.get<IdParams>('/console/chats/:id', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const chat = await chats.chatForAgent(request.params.id, agent.user, agent.can('livechat.supervise'))
    const pane = await consoleViews.pane(chat, agent.user.id)
    const live = pane.composer.open
    return reply.lcView('console/transcript.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      title: `Chat #${chat.id}`,
      pane,
      wsBase: live ? `${base}/ws/console` : null,
      wsUrl: live ? `${base}/ws/console?since=${chat.id}.${pane.messages.at(-1)?.seq ?? 0}` : null
    })
  })
}
