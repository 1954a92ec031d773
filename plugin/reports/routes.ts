import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { Access } from '../security/access.ts'
import { type CsvParams, csvParams, type ReportQueryString, reportQuery, type WallboardQuery, wallboardQuery } from './schemas.ts'
import type { ReportService } from './service.ts'
import type { WallboardService } from './wallboard.ts'
import { reportPage, reportTables, tableCsv } from './view-models.ts'

/** What the Reports page uses. */
export interface ReportRoutesDeps {
  base: string
  access: Pick<Access, 'agent'>
  reports: Pick<ReportService, 'report'>
  wallboard: Pick<WallboardService, 'board'>
}

/** The address's query as given, for the CSV links to carry the same filters. */
const queryOf = (request: FastifyRequest): string => request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : ''

/**
 * Reports (docs/features.md#reports, docs/reports.md): every agent may open the page and sees
 * what their scope holds (their own chats; a supervisor their groups; an administrator all).
 */
export const reportRoutes: FastifyPluginAsync<ReportRoutesDeps> = async (fastify, { base, access, reports, wallboard }) => {
  // The wallboard (docs/features.md#wallboard): supervisors for their groups, administrators for all.
  fastify.get<{ Querystring: WallboardQuery }>('/console/wallboard', { schema: { querystring: wallboardQuery } }, async (request, reply) => {
    const agent = await access.agent(request, 'livechat.supervise')
    const tv = request.query.tv === '1'
    return reply.lcView('reports/wallboard.page.hbs', {
      base,
      user: agent.user,
      board: await wallboard.board(await agent.scope(), tv),
      bodyClass: `lc-admin-page lc-wallboard-page${tv ? ' lc-wallboard-page--tv' : ''}`,
      wsUrl: `${base}/ws/console?wallboard=1`
    })
  })

  fastify.get<{ Querystring: ReportQueryString }>('/console/reports', { schema: { querystring: reportQuery } }, async (request, reply) => {
    const agent = await access.agent(request)
    const report = await reports.report(await agent.scope(), request.query)
    return reply.lcView('reports/report.page.hbs', { base, user: agent.user, report: reportPage(report, queryOf(request)) })
  })

  fastify.get<{ Querystring: ReportQueryString, Params: CsvParams }>('/console/reports/:table.csv', {
    schema: { querystring: reportQuery, params: csvParams }
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const report = await reports.report(await agent.scope(), request.query)
    const table = reportTables(report).find((x) => x.id === request.params.table)!
    const name = `live-chat-${table.id}-${report.period.start}-to-${report.period.end}.csv`
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(tableCsv(table))
  })
}
