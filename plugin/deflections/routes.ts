import type { FastifyPluginAsync } from 'fastify'
import type { Access } from '../security/access.ts'
import { type ReportQuery, reportQuery } from './schemas.ts'
import type { DeflectionService } from './service.ts'
import { reportModel } from './view-models.ts'

/** What the deflection report uses. */
export interface DeflectionRoutesDeps {
  base: string
  access: Pick<Access, 'agent'>
  deflections: Pick<DeflectionService, 'report'>
}

/**
 * What suggested solutions achieved (docs/features.md#suggested-solutions-report, for
 * `livechat.admin`): the questions a knowledge article answered before a chat was queued,
 * newest first, and per period how many there were next to the chats started.
 */
export const deflectionRoutes: FastifyPluginAsync<DeflectionRoutesDeps> = async (fastify, { base, access, deflections }) => {
  fastify.get<{ Querystring: ReportQuery }>('/admin/deflections', { schema: { querystring: reportQuery } }, async (request, reply) => {
    const admin = await access.agent(request, 'livechat.admin')
    return reply.lcView('deflections/report.page.hbs', { base, user: admin.user, report: await reportModel(deflections) })
  })
}
