import type { FastifyPluginAsync } from 'fastify'
import { chatParams } from '../chats/schemas.ts'
import type { RouteDeps } from '../deps.ts'
import { isCoded } from '../errors.ts'
import { fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { fieldPrefix, type TicketBody, ticketBody } from './schemas.ts'
import type { RetryValue } from './view-models.ts'

type ChatRoute = { Params: { id: number } }
/** Failures where nothing was written, so the same request may simply be sent again. */
const retryable = new Set(['LC_ERR_TICKET_HOST', 'LC_ERR_TICKET_NOT_SAVED', 'LC_ERR_ABANDON_HOST'])

/** Create Ticket (with or without a template, and Confirm + Save) and Abandon, from a chat's header. */
export const ticketRoutes: FastifyPluginAsync<RouteDeps> = async (fastify, deps) => {
  const { access, answers, views, consoleViews } = deps
  const { service: tickets, views: ticketViews } = deps.tickets
  const { views: itemViews } = deps.items

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
        return await answers.send(reply, err.statusCode ?? 502, [ticketViews.retryNotice(err, request.url, values)])
      }
      if (err.code === 'LC_ERR_TICKET_NOT_LINKED') {
        // The ticket exists: sending the request again would make a second one.
        request.log.error({ err: (err as { cause?: unknown }).cause ?? err, chatId }, 'a ticket made from a chat could not be listed in it')
        return await answers.send(reply, err.statusCode ?? 502, [fragment(targets.notice(), 'innerHTML', views.render('common/notice', { level: 'error', code: err.code, message: err.message }))])
      }
      throw err
    }
    if (outcome.draft) {
      return await answers.send(reply, outcome.refused ? 422 : 200, [ticketViews.formFragment(outcome.draft, next), answers.clearNotice()])
    }
    const { ticket, kind: made } = outcome.created
    // Opened from the Abandon prompt: back to it, now naming the ticket. From the form: the form closes.
    const tools = next === 'abandon'
      ? [ticketViews.abandonFragment(await tickets.abandonPrompt(chatId, scope))]
      : summary !== undefined ? [fragment(targets.chatTools(chatId), 'innerHTML', '')] : []
    return await answers.send(reply, 200, [...tools, ...await itemViews.tabFragments(chatId, scope), ticketViews.createdNotice(ticket, made)])
  })

  fastify.get<ChatRoute>('/console/chats/:id/abandon', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const prompt = await tickets.abandonPrompt(request.params.id, await agent.scope())
    return await answers.send(reply, 200, [ticketViews.abandonFragment(prompt), answers.clearNotice()])
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
      return await answers.send(reply, err.statusCode ?? 502, [ticketViews.retryNotice(err, ticketViews.abandonUrl(request.params.id), [])])
    }
    const { chat, cancelled } = result
    const status = tickets.cancelled().status
    return await answers.send(reply, 200, [
      fragment(targets.chatTools(chat.id), 'innerHTML', ''),
      ...await consoleViews.paneStateFragments(chat, scope),
      ...await consoleViews.listFragments(scope),
      answers.ok(`Chat #${chat.id} abandoned${cancelled.length > 0 ? `; ${cancelled.join(', ')} set to ${status}` : ''}`)
    ])
  })
}
