import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { LC_ERR_WIDGET_ORIGIN } from '../errors.ts'
import { projectRoot } from '../manifest.ts'
import { rateLimitError } from '../web/error-handler.ts'
import { isWidgetOrigin } from '../security/framing.ts'
import type { Settings } from '../settings.ts'
import { type DepartmentQuery, departmentQuery, widgetStatusReply } from './schemas.ts'
import type { CustomerService } from './service.ts'
import { portalLinkModel, widgetStatus } from './view-models.ts'

/** What the embeddable widget uses (docs/features.md#embeddable-widget): its files, and whether anyone is there. */
export interface WidgetRoutesDeps {
  base: string
  customer: Pick<CustomerService, 'departments' | 'online'>
  settings: Pick<Settings, 'widgetOrigins'>
}

// Read once: they change only with a new release, as the plugin's other assets do.
const files = {
  script: readFileSync(resolve(projectRoot, 'public/widget.js')),
  style: readFileSync(resolve(projectRoot, 'public/widget.css'))
}

/** Availability checks one address may make per minute: a visitor reading many pages, or a company behind one address. */
export const statusPerMinute = 300

/** Served to pages of other sites: helmet's same-origin resource policy would keep them from loading it. */
function sendAsset (reply: FastifyReply, type: string, body: Buffer) {
  return reply
    .header('cross-origin-resource-policy', 'cross-origin')
    .header('cache-control', 'public, max-age=3600')
    .type(type)
    .send(body)
}

/** The widget's script and style, and the availability its button shows. */
export const widgetRoutes: FastifyPluginAsync<WidgetRoutesDeps> = async (fastify, { base, customer, settings }) => {
  fastify.get('/widget.js', { schema: { querystring: emptyQuery('lc/customer/widget-js-query') } }, async (_request, reply) => sendAsset(reply, 'text/javascript; charset=utf-8', files.script))
  fastify.get('/widget.css', { schema: { querystring: emptyQuery('lc/customer/widget-css-query') } }, async (_request, reply) => sendAsset(reply, 'text/css; charset=utf-8', files.style))

  // The button's line (docs/features.md#embeddable-widget): asked by the widget's sites only, and answered to
  // them by CORS; it carries no cookie and says nothing a portal link does not.
  // Every page view of a widget site asks once; a client asking far more often is refused
  // before the departments and hours are read for it.
  fastify.get<{ Querystring: DepartmentQuery }>('/widget/status', {
    schema: { querystring: departmentQuery, response: { 200: widgetStatusReply } },
    config: { rateLimit: { max: statusPerMinute, timeWindow: '1 minute', errorResponseBuilder: rateLimitError('availability checks from this address') } }
  }, async (request, reply) => {
    const origin = typeof request.headers.origin === 'string' ? request.headers.origin : undefined
    if (!isWidgetOrigin(settings, origin)) throw new LC_ERR_WIDGET_ORIGIN((origin ?? 'a page that sent no Origin').slice(0, 100))
    const list = await customer.departments()
    const asked = request.query.department
    const department = asked === undefined ? null : list.find((d) => d.id === asked) ?? null
    const available = department ? department.online : await customer.online(list)
    return reply
      .header('access-control-allow-origin', origin)
      .header('vary', 'Origin')
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('cache-control', 'no-store')
      .send(widgetStatus(portalLinkModel(base, list, available, department)))
  })
}

/** An asset's query: only `v`, the version a page may add to load a new release at once. */
function emptyQuery ($id: string) {
  return { $id, type: 'object', additionalProperties: false, properties: { v: { type: 'string', maxLength: 40 } } } as const
}
