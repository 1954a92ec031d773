import type { FastifyPluginAsync } from 'fastify'
import { homeFor, isStaff } from '../auth.ts'
import { guard, messages, pluginEntries, renderError, renderPage } from '../context.ts'
import type { HostContext } from '../context.ts'
import { countOpenTickets, getTicket, isTicketKind, kindLabels, listTickets, ticketActivity, ticketKinds } from '../tickets.ts'

const refPattern = /^[A-Z]{1,10}[0-9]{1,12}$/

export const deskRoutes: FastifyPluginAsync<{ ctx: HostContext }> = async (app, { ctx }) => {
  const staffOnly = guard(ctx, isStaff)
  const signedIn = guard(ctx, () => true)

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
    const ticket = refPattern.test(request.params.ref) ? await getTicket(ctx.knex, request.params.ref) : undefined
    if (!ticket) return renderError(ctx, request, reply, 404, messages.notFound)
    const activity = await ticketActivity(ctx.knex, ticket.id)
    return renderPage(ctx, request, reply, 'ticket', { title: `${ticket.ref} ${ticket.summary}`, ticket, activity, staff: true })
  })

  app.get('/portal', async (request, reply) => {
    const user = request.hdUser
    const articles = await ctx.knex('kb_articles').orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(6).select('id', 'title', 'category')
    const tickets = user ? await listTickets(ctx.knex, { requesterId: user.id, limit: 20 }) : []
    const chat = await pluginEntries(ctx, 'portal', user)
    return renderPage(ctx, request, reply, 'portal', { title: 'Help and support', articles, tickets, chat, htmx: chat.length > 0 })
  })

  // Customers see only tickets they requested; someone else's answers 404 so refs cannot be probed.
  app.get<{ Params: { ref: string } }>('/portal/tickets/:ref', { preHandler: signedIn }, async (request, reply) => {
    const ticket = refPattern.test(request.params.ref) ? await getTicket(ctx.knex, request.params.ref) : undefined
    if (!ticket || ticket.requesterId !== request.hdUser?.id) return renderError(ctx, request, reply, 404, messages.notFound)
    const activity = await ticketActivity(ctx.knex, ticket.id)
    return renderPage(ctx, request, reply, 'ticket', { title: `${ticket.ref} ${ticket.summary}`, ticket, activity, staff: false })
  })
}
