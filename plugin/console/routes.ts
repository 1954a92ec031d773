import type { FastifyPluginAsync } from 'fastify'
import { chatParams } from '../chats/schemas.ts'
import type { ChatService } from '../chats/service.ts'
import { isCoded, LC_ERR_CHAT_NOT_FOUND } from '../errors.ts'
import type { PreferenceService } from '../preferences/service.ts'
import type { RoutingService } from '../routing/service.ts'
import type { Access } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { answer, clearNotice, closeTools, notice } from '../web/answers.ts'
import { availabilityBody, type AvailabilityBody, notificationsBody, type NotificationsBody, overlaysQuery, transferBody, type TransferBody } from './schemas.ts'
import {
  alertKinds, alertPrefsFragment, chatPaneFragment, type ConsoleViews, customerTabFragment, historyTabFragment, newPaneFragment,
  notificationsKey, overlaysFragment, readAlertChoices, transferFormFragment
} from './view-models.ts'

/** What the console page and its chat actions use. */
export interface ConsoleRoutesDeps {
  base: string
  access: Pick<Access, 'agent'>
  chats: Pick<ChatService, 'messages' | 'acceptChat' | 'takeChat' | 'chatForAgent' | 'monitorChat' | 'transferChat' | 'endChat'>
  routing: Pick<RoutingService, 'presence' | 'setAvailable'>
  /** The agent's own alert choices. */
  preferences: Pick<PreferenceService, 'get' | 'set'>
  consoleViews: Pick<ConsoleViews, 'pageWithPanes' | 'pane' | 'availability' | 'availabilityFragment' | 'alerts' | 'queueFragments' | 'listFragments' |
    'paneStateFragments' | 'transferForm' | 'customerPanel' | 'history'>
}

type IdParams = { Params: { id: number } }

/** The agent console: the page and its overlays, availability, Accept, Transfer, Take, End Chat and a chat's own view. */
export const consoleRoutes: FastifyPluginAsync<ConsoleRoutesDeps> = async (fastify, deps) => {
  const { base, chats, routing, access, consoleViews, preferences } = deps

  fastify.get('/console', async (request, reply) => {
    const agent = await access.agent(request)
    const scope = agent.scope()
    const [{ panes, ...lists }, presence, alertChoices, { limit }] = await Promise.all([
      consoleViews.pageWithPanes(agent.user.id, scope), routing.presence(agent.user.id), preferences.get(agent.user.id, notificationsKey), scope
    ])
    const since = panes.map((p) => p.pane ? `${p.pane.chat.id}.${p.pane.messages.at(-1)?.seq ?? 0}` : `${p.slot.chat.id}.${p.slot.chat.lastSeq}`).join(',')
    return reply.lcView('console/console.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      agent: agent.user,
      links: { supervise: agent.can('livechat.supervise'), admin: agent.can('livechat.admin') },
      availability: await consoleViews.availability(presence, limit),
      alerts: consoleViews.alerts(readAlertChoices(alertChoices)),
      ...lists,
      panes,
      wsBase: `${base}/ws/console`,
      wsUrl: `${base}/ws/console${since ? `?since=${since}` : ''}`
    })
  })

  // The shortcut list, the palette, the emoji set and the End confirmation: fetched the first
  // time one is wanted rather than drawn on every page (docs/design.md §9). Any agent's.
  fastify.get('/console/overlays', { schema: { querystring: overlaysQuery } }, async (request, reply) => {
    await access.agent(request)
    return await answer(reply, [overlaysFragment({ base })])
  })

  fastify.post<{ Body: AvailabilityBody }>('/console/availability', {
    schema: { body: availabilityBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const n = request.body?.max_chats === undefined ? undefined : Number(request.body.max_chats)
    if (n === 0) {
      // Available for none is simply not available.
      return await answer(reply, [await consoleViews.availabilityFragment(await routing.setAvailable(agent.user.id, false))])
    }
    const presence = await routing.setAvailable(agent.user.id, request.body?.available === 'on', n)
    return await answer(reply, [await consoleViews.availabilityFragment(presence), clearNotice()])
  })

  fastify.post<{ Body: NotificationsBody }>('/console/preferences/alerts', {
    schema: { body: notificationsBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const body = request.body ?? {}
    const choices = readAlertChoices(Object.fromEntries(alertKinds.map((k) => [k.id, body[k.id] === 'on'])))
    await preferences.set(agent.user.id, notificationsKey, choices)
    return await answer(reply, [alertPrefsFragment(consoleViews.alerts(choices, true))])
  })

  fastify.post<IdParams>('/console/chats/:id/accept', {
    schema: { params: chatParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const { chat, joinedSeq } = await chats.acceptChat(request.params.id, scope)
    // The pane shows the transcript up to the join event; the socket sends what follows it.
    const pane = await consoleViews.pane(chat, scope, await chats.messages(chat.id, 0, joinedSeq), true)
    return await answer(reply, [
      newPaneFragment(pane),
      ...await consoleViews.queueFragments(scope),
      ...await consoleViews.listFragments(scope),
      clearNotice()
    ])
  })

  fastify.post<IdParams>('/console/chats/:id/take', {
    schema: { params: chatParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request, 'livechat.supervise')
    const scope = await agent.scope()
    const { chat } = await chats.takeChat(request.params.id, scope)
    return await answer(reply, [
      ...await consoleViews.paneStateFragments(chat, scope, true),
      ...await consoleViews.listFragments(scope),
      notice('info', `You took over the chat with ${chat.customerName}`)
    ])
  })

  fastify.get<IdParams>('/console/chats/:id/transfer', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request, 'livechat.transfer')
    const chat = await chats.chatForAgent(request.params.id, await agent.scope())
    return await answer(reply, [transferFormFragment(await consoleViews.transferForm(chat))])
  })

  fastify.post<IdParams & { Body: TransferBody }>('/console/chats/:id/transfer', {
    schema: { params: chatParams, body: transferBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request, 'livechat.transfer')
    const scope = await agent.scope()
    const before = await chats.chatForAgent(request.params.id, scope)
    const { group_id: groupId, agent: to = '', comment = '' } = request.body
    let chat
    try {
      chat = await chats.transferChat(before.id, scope, { groupId: Number(groupId), agentId: to === '' || to === 'auto' ? null : to, auto: to === 'auto', comment })
    } catch (err) {
      // A target the form offered but the rules refuse: the form again, with the reason and what was chosen.
      if (isCoded(err) && (err.code === 'LC_ERR_TRANSFER_TARGET' || err.code === 'LC_ERR_GROUP_NOT_FOUND')) {
        const form = await consoleViews.transferForm(before, { groupId, agent: to, comment }, err.message)
        return await answer(reply, [transferFormFragment(form)], err.statusCode ?? 422)
      }
      throw err
    }
    return await answer(reply, [
      closeTools(chat.id),
      ...await consoleViews.paneStateFragments(chat, scope),
      ...await consoleViews.listFragments(scope),
      notice('info', `Chat with ${chat.customerName} transferred`)
    ])
  })

  fastify.post<IdParams>('/console/chats/:id/end', {
    schema: { params: chatParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const chat = await chats.chatForAgent(request.params.id, scope)
    if (chat.agentId !== agent.user.id && !scope.supervise) throw new LC_ERR_CHAT_NOT_FOUND(String(chat.id))
    const ended = await chats.endChat(chat.id, { kind: 'agent', id: agent.user.id, name: agent.user.name })
    return await answer(reply, [
      ...await consoleViews.paneStateFragments(ended, scope),
      ...await consoleViews.listFragments(scope),
      clearNotice()
    ])
  })

  // A chat's pane, asked for by its slot on the console page when first shown (docs/features.md#chat-pane):
  // drawn from the chat as it is now, so whatever was pushed for it meanwhile is in it.
  fastify.get<IdParams>('/console/chats/:id/pane', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const chat = await chats.chatForAgent(request.params.id, scope)
    return await answer(reply, [chatPaneFragment(await consoleViews.pane(chat, scope))])
  })

  fastify.get<IdParams>('/console/chats/:id/tabs/customer', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const chat = await chats.chatForAgent(request.params.id, scope)
    const panel = await consoleViews.customerPanel(chat, scope, (err) => { request.log.warn({ err, chatId: chat.id }, 'the help desk failed to answer for the customer panel') })
    return await answer(reply, [customerTabFragment(panel)])
  })

  fastify.get<IdParams>('/console/chats/:id/tabs/history', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const chat = await chats.chatForAgent(request.params.id, await agent.scope())
    return await answer(reply, [historyTabFragment(await consoleViews.history(chat.id))])
  })

  fastify.get<IdParams>('/console/chats/:id', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const chat = await chats.chatForAgent(request.params.id, scope)
    await chats.monitorChat(chat, scope)
    const pane = await consoleViews.pane(chat, scope)
    const live = pane.composer.open || pane.canTake
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
