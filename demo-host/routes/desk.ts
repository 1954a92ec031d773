import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { homeFor, isStaff } from '../auth.ts'
import { guard, messages, pluginEntries, renderError, renderPage } from '../context.ts'
import { readableArticles } from '../search.ts'
import type { HostContext } from '../context.ts'
import { changeStatus, countOpenTickets, getTicket, isTicketKind, kindLabels, listTickets, maxReasonLength, reasonRequired, StatusChangeError, statusesFor, ticketActivity, ticketDetails, ticketKinds } from '../tickets.ts'
import type { TicketDetail } from '../tickets.ts'

const refPattern = /^[A-Z]{1,10}[0-9]{1,12}$/

export const deskRoutes: FastifyPluginAsync<{ ctx: HostContext }> = async (app, { ctx }) => {
  const staffOnly = guard(ctx, isStaff)
  const signedIn = guard(ctx, () => true)

  async function found (ref: string): Promise<TicketDetail | undefined> {
    return refPattern.test(ref) ? await getTicket(ctx.knex, ref) : undefined
  }

  /** The staff ticket page; after a refused status change, with what was chosen and why it was refused. */
  async function staffTicketPage (request: FastifyRequest, reply: FastifyReply, ticket: TicketDetail, change?: { status: string, reason: string, error: StatusChangeError }) {
    const [activity, details] = await Promise.all([ticketActivity(ctx.knex, ticket.id), ticketDetails(ctx.knex, ticket)])
    const chosen = change?.status ?? ticket.status
    const statusForm = {
      action: `/tickets/${encodeURIComponent(ticket.ref)}/status`,
      statuses: statusesFor(ticket.kind).map((s) => ({ value: s, selected: s === chosen })),
      reason: change ? change.reason : ticket.statusReason ?? '',
      reasonRequired: reasonRequired.join(', '),
      maxReason: maxReasonLength,
      error: change?.error ?? null
    }
    // Plugins' actions on a ticket (the "ticket" navigation area), with the ticket's ref filled in.
    const assistance = (await pluginEntries(ctx, 'ticket', request.hdUser)).map((e) => ({ label: e.label, href: e.href.replaceAll('{ref}', encodeURIComponent(ticket.ref)) }))
    return renderPage(ctx, request, reply, 'ticket', { title: `${ticket.ref} ${ticket.summary}`, ticket, activity, details, staff: true, statusForm, assistance }, change ? 422 : 200)
  }

  app.get('/', async (request, reply) => {
    return reply.redirect(request.hdUser ? homeFor(request.hdUser) : '/login', 303)
  })

  app.get('/desk', { preHandler: staffOnly }, async (request, reply) => {
    const tickets = await listTickets(ctx.knex, { limit: 10 })
    const open = await countOpenTickets(ctx.knex)
    const tools = await pluginEntries(ctx, 'agent', request.hdUser)
    return renderPage(ctx, request, reply, 'desk', { title: 'Desk', tickets, open, tools })
  })

  app.get<{ Querystring: { kind?: string } }>('/tickets', {
    preHandler: staffOnly,
    schema: { querystring: { type: 'object', properties: { kind: { type: 'string', maxLength: 20 } } } }
  }, async (request, reply) => {
    const kind = isTicketKind(request.query.kind) ? request.query.kind : undefined
    const tickets = await listTickets(ctx.knex, kind ? { kind } : {})
    const filters = [{ label: 'All', href: '/tickets', current: !kind }]
      .concat(ticketKinds.map((k) => ({ label: kindLabels[k], href: `/tickets?kind=${k}`, current: kind === k })))
    return renderPage(ctx, request, reply, 'tickets', { title: kind ? `Tickets: ${kindLabels[kind]}` : 'Tickets', tickets, filters })
  })

  app.get<{ Params: { ref: string } }>('/tickets/:ref', { preHandler: staffOnly }, async (request, reply) => {
    const ticket = await found(request.params.ref)
    if (!ticket) return renderError(ctx, request, reply, 404, messages.notFound)
    return await staffTicketPage(request, reply, ticket)
  })

  // Status and reason change together, and the activity log says who changed what and why.
  app.post<{ Params: { ref: string }, Body: { status?: string, reason?: string } }>('/tickets/:ref/status', {
    preHandler: staffOnly,
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        properties: { status: { type: 'string', maxLength: 40 }, reason: { type: 'string', maxLength: 1000 } }
      }
    }
  }, async (request, reply) => {
    const ticket = await found(request.params.ref)
    if (!ticket) return renderError(ctx, request, reply, 404, messages.notFound)
    const input = { status: request.body?.status ?? '', reason: request.body?.reason ?? '' }
    try {
      await changeStatus(ctx.knex, ticket, input, request.hdUser!.id)
    } catch (err) {
      if (err instanceof StatusChangeError) return await staffTicketPage(request, reply, ticket, { ...input, error: err })
      throw err
    }
    return reply.redirect(`/tickets/${encodeURIComponent(ticket.ref)}`, 303)
  })

  app.get('/portal', async (request, reply) => {
    const user = request.hdUser
    const articles = await readableArticles(ctx.knex('kb_articles'), isStaff(user)).orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(6).select('id', 'title', 'category')
    const tickets = user ? await listTickets(ctx.knex, { requesterId: user.id, limit: 20 }) : []
    const chat = await pluginEntries(ctx, 'portal', user)
    return renderPage(ctx, request, reply, 'portal', { title: 'Help and support', articles, tickets, chat, htmx: chat.length > 0 })
  })

  // Customers see only tickets they requested; someone else's answers 404 so refs cannot be probed.
  app.get<{ Params: { ref: string } }>('/portal/tickets/:ref', { preHandler: signedIn }, async (request, reply) => {
    const ticket = await found(request.params.ref)
    if (!ticket || ticket.requesterId !== request.hdUser?.id) return renderError(ctx, request, reply, 404, messages.notFound)
    const [activity, details] = await Promise.all([ticketActivity(ctx.knex, ticket.id), ticketDetails(ctx.knex, ticket)])
    return renderPage(ctx, request, reply, 'ticket', { title: `${ticket.ref} ${ticket.summary}`, ticket, activity, details, staff: false })
  })
}
