import type { FastifyPluginAsync } from 'fastify'
import type { RouteDeps } from '../deps.ts'
import { type ReportQuery, reportQuery } from './schemas.ts'
import { reportModel } from './view-models.ts'

/**
 * What suggested solutions achieved (`livechat.admin`): the questions a knowledge article
 * answered before a chat was queued, newest first, and per period how many there were next
 * to the chats started.
 */
export const deflectionRoutes: FastifyPluginAsync<RouteDeps> = async (fastify, deps) => {
  const { base, access, deflections } = deps

  fastify.get<{ Querystring: ReportQuery }>('/admin/deflections', { schema: { querystring: reportQuery } }, async (request, reply) => {
    const admin = await access.agent(request, 'livechat.admin')
    return reply.lcView('deflections/report.page.hbs', { base, user: admin.user, report: await reportModel(deflections) })
  })
}
