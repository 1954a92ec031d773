import type { FastifyPluginAsync } from 'fastify'
import { chatParams } from '../chats/schemas.ts'
import type { AgentScope, Chat } from '../chats/types.ts'
import { isCoded } from '../errors.ts'
import type { ItemViews } from '../items/view-models.ts'
import type { Access } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { answer, clearNotice, closeTools, notice, ok } from '../web/answers.ts'
import type { Fragment } from '../web/fragments.ts'
import { fieldPrefix, type TicketBody, ticketBody } from './schemas.ts'
import type { TicketService } from './service.ts'
import type { RetryValue, TicketViews } from './view-models.ts'

/**
 * What the console shows again once a chat is abandoned: its pane's header and composer,
 * and the agent's own lists. The console (a screen, above this module) provides it; named
 * here so this module needs nothing from there but the shape.
 */
export interface AbandonedChatViews {
  paneStateFragments (chat: Chat, viewer: AgentScope): Promise<Fragment[]>
  listFragments (scope: AgentScope): Promise<Fragment[]>
}

/** What Create Ticket and Abandon use; a ticket made is listed in Related Items, which is refreshed. */
export interface TicketRoutesDeps {
  access: Pick<Access, 'agent'>
  tickets: Pick<TicketService, 'create' | 'abandonPrompt' | 'abandon' | 'cancelled'>
  ticketViews: TicketViews
  itemViews: Pick<ItemViews, 'tabs'>
  consoleViews: AbandonedChatViews
}

type ChatRoute = { Params: { id: number } }
/** Failures where nothing was written, so the same request may simply be sent again. */
const retryable = new Set(['LC_ERR_TICKET_HOST', 'LC_ERR_TICKET_NOT_SAVED', 'LC_ERR_ABANDON_HOST'])

/** Create Ticket (with or without a template, and Confirm + Save) and Abandon, from a chat's header. */
export const ticketRoutes: FastifyPluginAsync<TicketRoutesDeps> = async (fastify, { access, tickets, ticketViews, itemViews, consoleViews }) => {
  fastify.post<ChatRoute & { Body: TicketBody }>('/console/chats/:id/tickets', {
    schema: { params: chatParams, body: ticketBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const chatId = request.params.id
    const { kind, templateId, summary, next } = request.body
    const fields: Record<string, string> = {}
    for (const [name, value] of Object.entries(request.body)) {
      if (name.startsWith(fieldPrefix)) fields[name.slice(fieldPrefix.length)] = String(value)
    }
    let outcome
    try {
      outcome = await tickets.create(chatId, scope, { kind, templateId, summary, fields })
    } catch (err) {
      if (!isCoded(err)) throw err
      if (retryable.has(err.code)) {
        request.log.error({ err: (err as { cause?: unknown }).cause ?? err, chatId }, 'a ticket from a chat could not be made')
        const values: RetryValue[] = Object.entries(request.body).filter(([name]) => name !== '_csrf').map(([name, value]) => ({ name, value: String(value) }))
        return await answer(reply, [ticketViews.retry(err, request.url, values)], err.statusCode ?? 502)
      }
      if (err.code === 'LC_ERR_TICKET_NOT_LINKED') {
        // The ticket exists: sending the request again would make a second one.
        request.log.error({ err: (err as { cause?: unknown }).cause ?? err, chatId }, 'a ticket made from a chat could not be listed in it')
        return await answer(reply, [notice('error', err.message, err.code)], err.statusCode ?? 502)
      }
      throw err
    }
    if (outcome.draft) {
      return await answer(reply, [ticketViews.form(outcome.draft, next), clearNotice()], outcome.refused ? 422 : 200)
    }
    const { ticket, kind: made } = outcome.created
    // Opened from the Abandon prompt: back to it, now naming the ticket. From the form: the form closes.
    const tools = next === 'abandon'
      ? [ticketViews.abandon(await tickets.abandonPrompt(chatId, scope))]
      : summary !== undefined ? [closeTools(chatId)] : []
    return await answer(reply, [...tools, ...await itemViews.tabs(chatId, scope), ticketViews.created(ticket, made)])
  })

  fastify.get<ChatRoute>('/console/chats/:id/abandon', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const prompt = await tickets.abandonPrompt(request.params.id, await agent.scope())
    return await answer(reply, [ticketViews.abandon(prompt), clearNotice()])
  })

  fastify.post<ChatRoute>('/console/chats/:id/abandon', {
    schema: { params: chatParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    let result
    try {
      result = await tickets.abandon(request.params.id, scope)
    } catch (err) {
      if (!isCoded(err) || !retryable.has(err.code)) throw err
      request.log.error({ err: (err as { cause?: unknown }).cause ?? err, chatId: request.params.id }, 'the help desk failed while a chat was abandoned')
      return await answer(reply, [ticketViews.retry(err, ticketViews.abandonUrl(request.params.id), [])], err.statusCode ?? 502)
    }
    const { chat, cancelled } = result
    const status = tickets.cancelled().status
    return await answer(reply, [
      closeTools(chat.id),
      ...await consoleViews.paneStateFragments(chat, scope),
      ...await consoleViews.listFragments(scope),
      ok(`Chat #${chat.id} abandoned${cancelled.length > 0 ? `; ${cancelled.join(', ')} set to ${status}` : ''}`)
    ])
  })
}
