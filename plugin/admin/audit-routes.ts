import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import type { AuditService } from '../audit/service.ts'
import type { Department, RoutingService } from '../routing/service.ts'
import type { Agent, Access } from '../security/access.ts'
import { auditQuery, type AuditQuery } from './audit-schemas.ts'
import { auditCsvMax, auditFilter, auditPageModel, auditPageSize, csvHeader, csvCell, csvLine } from './audit-view-models.ts'

/** What the audit pages use. */
export interface AuditRoutesDeps {
  base: string
  clock: () => number
  access: Pick<Access, 'agent'>
  audit: Pick<AuditService, 'list' | 'actors'>
  routing: Pick<RoutingService, 'departments' | 'groups'>
}

type Query = { Querystring: AuditQuery }

/** Entries read per statement for a CSV export. */
const csvBatch = 1000

/**
 * The audit log (docs/features.md#audit-log): administrators read every entry at
 * /admin/audit; supervisors read those of their departments at /console/audit, beside the
 * Active Live Chat Groups page they already use, since the administration's top bar is not
 * theirs. Each page has filters, paging by older entries, and a CSV of what it shows.
 */
export const auditRoutes: FastifyPluginAsync<AuditRoutesDeps> = async (fastify, { base, clock, access, audit, routing }) => {
  /** Who reads which departments: administrators all (null, the entries of no department too); a supervisor those of the groups they belong to. */
  async function readerScope (agent: Agent): Promise<{ departments: Department[], ids: number[] | null }> {
    const all = await routing.departments()
    const scope = await agent.scope()
    if (scope.visible === 'all') return { departments: all, ids: null }
    const visible = new Set(scope.visible)
    const ids = new Set((await routing.groups()).filter((g) => visible.has(g.id)).map((g) => g.departmentId))
    const departments = all.filter((d) => ids.has(d.id))
    return { departments, ids: departments.map((d) => d.id) }
  }

  async function page (agent: Agent, path: string, query: AuditQuery, reply: FastifyReply, admin: boolean) {
    const { departments, ids } = await readerScope(agent)
    const found = await audit.list(auditFilter(query, ids, clock()), auditPageSize + 1)
    const model = auditPageModel({ path: `${base}${path}`, departments, actors: await audit.actors(ids) }, query, found)
    return reply.lcView('audit/audit.page.hbs', { base, user: agent.user, admin, scoped: ids !== null, ...model })
  }

  async function csv (agent: Agent, query: AuditQuery, reply: FastifyReply) {
    const { departments, ids } = await readerScope(agent)
    const deptName = new Map(departments.map((d) => [d.id, d.name]))
    const filter = auditFilter({ ...query, before: undefined }, ids, clock())
    const lines = [csvHeader.map(csvCell).join(',') + '\r\n']
    for (let n = 0; n < auditCsvMax;) {
      const rows = await audit.list(filter, Math.min(csvBatch, auditCsvMax - n))
      for (const r of rows) lines.push(csvLine(r, deptName))
      n += rows.length
      if (rows.length < csvBatch) break
      filter.beforeId = rows[rows.length - 1]!.id
    }
    const day = new Date(clock()).toISOString().slice(0, 10)
    return await reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="audit-log-${day}.csv"`)
      .header('cache-control', 'no-store').send('\ufeff' + lines.join(''))
  }

  fastify.get<Query>('/admin/audit', { schema: { querystring: auditQuery } }, async (request, reply) =>
    await page(await access.agent(request, 'livechat.admin'), '/admin/audit', request.query, reply, true))

  fastify.get<Query>('/admin/audit.csv', { schema: { querystring: auditQuery } }, async (request, reply) =>
    await csv(await access.agent(request, 'livechat.admin'), request.query, reply))

  fastify.get<Query>('/console/audit', { schema: { querystring: auditQuery } }, async (request, reply) =>
    await page(await access.agent(request, 'livechat.supervise'), '/console/audit', request.query, reply, false))

  fastify.get<Query>('/console/audit.csv', { schema: { querystring: auditQuery } }, async (request, reply) =>
    await csv(await access.agent(request, 'livechat.supervise'), request.query, reply))
}
