import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import type { FastifyInstance, FastifyPluginAsync, FastifyServerOptions } from 'fastify'
import cookie from '@fastify/cookie'
import formbody from '@fastify/formbody'
import fastifyStatic from '@fastify/static'
import view from '@fastify/view'
import Handlebars from 'handlebars'
import type { Knex } from 'knex'
import { sessionCookie, sessionUser } from './auth.ts'
import { ensureUser, messages, renderError } from './context.ts'
import type { HostContext } from './context.ts'
import { outboxMailer } from './mail.ts'
import { createPluginSwitch, installPlugin, loadManifest, repoRoot } from './plugins.ts'
import type { PluginManifest } from './plugins.ts'
import { adminRoutes } from './routes/admin.ts'
import { authRoutes } from './routes/auth.ts'
import { deskRoutes } from './routes/desk.ts'
import { kbRoutes } from './routes/kb.ts'

const here = dirname(fileURLToPath(import.meta.url))

export interface DemoHostOptions {
  knex: Knex
  logger?: boolean | object
  /** Defaults to the live chat plugin's manifest.json at the repository root. */
  manifest?: PluginManifest
  /** Passed to the plugin besides knex, host and settings (tests turn its jobs off with `{ jobs: false }`). */
  pluginOptions?: Record<string, unknown>
  /** Offer plugins the desk's mail outbox (default true); false installs them on a desk that sends no mail. */
  mail?: boolean
  /** Fastify's trustProxy: behind a proxy, the client's address and protocol come from its X-Forwarded-* headers. */
  trustProxy?: FastifyServerOptions['trustProxy']
}

// The host's helpers live on the global Handlebars instance; the plugin renders with its own.
Handlebars.registerHelper('time', (ms: unknown) => {
  const n = Number(ms)
  if (!Number.isFinite(n) || n <= 0) return ''
  const iso = new Date(n).toISOString()
  return new Handlebars.SafeString(`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`)
})
Handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b)

/** A form POST is accepted only from a page of this same site (Origin, else Referer). */
function sameOrigin (headers: Record<string, string | string[] | undefined>): boolean {
  const source = headers.origin ?? headers.referer
  const host = headers.host
  if (typeof source !== 'string' || typeof host !== 'string') return false
  try {
    const from = new URL(source)
    // Parsing the Host header with the same scheme drops a default port on both sides.
    return from.host === new URL(`${from.protocol}//${host}`).host
  } catch {
    return false
  }
}

/** The host's own pages, encapsulated so its body parser and static files stay out of the plugin. */
const hostPages: FastifyPluginAsync<{ ctx: HostContext }> = async (app, { ctx }) => {
  await app.register(formbody)
  await app.register(fastifyStatic, { root: resolve(here, 'public'), prefix: '/static/' })
  const htmxDir = resolve(repoRoot, 'node_modules/htmx.org/dist')
  app.get('/static/vendor/htmx.min.js', (_request, reply) => reply.sendFile('htmx.min.js', htmxDir, { maxAge: 3_600_000 }))

  // Only the host's own pages: the plugin sets its own security headers (helmet) in its scope.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff')
    reply.header('x-frame-options', 'DENY')
    reply.header('referrer-policy', 'same-origin')
  })
  app.addHook('onRequest', async (request) => {
    request.hdUser = await sessionUser(ctx.knex, request.cookies[sessionCookie])
  })
  // SameSite=Lax already keeps the cookie off cross-site POSTs in current browsers; this
  // check also covers older browsers and sibling subdomains.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return
    if (!sameOrigin(request.headers)) {
      request.log.warn({ origin: request.headers.origin, referer: request.headers.referer }, 'cross-site form refused')
      return renderError(ctx, request, reply, 403, messages.crossSite)
    }
  })

  await app.register(authRoutes, { ctx })
  await app.register(deskRoutes, { ctx })
  await app.register(kbRoutes, { ctx })
  await app.register(adminRoutes, { ctx })
}

/**
 * Builds the demo help desk with the live chat plugin installed from its manifest. The
 * database must already be prepared (see prepareDatabase); the server is not listening yet.
 */
export async function buildDemoHost (opts: DemoHostOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: (opts.logger ?? false) as FastifyServerOptions['logger'], trustProxy: opts.trustProxy ?? false })
  const manifest = opts.manifest ?? await loadManifest()
  const ctx: HostContext = {
    knex: opts.knex,
    plugins: [{ manifest, switch: createPluginSwitch(opts.knex, manifest.id) }]
  }

  app.decorateRequest('hdUser', null)
  // Cookies at the root: the plugin's host adapter reads the host's session cookie.
  await app.register(cookie)
  // No global layout: @fastify/view would apply it to fragments as well (TOOLCHAIN.md).
  await app.register(view, {
    engine: { handlebars: Handlebars },
    root: resolve(here, 'views'),
    options: { partials: { 'ticket-table': 'partials/ticket-table.hbs', 'chat-link': 'partials/chat-link.hbs' } }
  })

  app.setNotFoundHandler(async (request, reply) => {
    await ensureUser(ctx, request)
    return renderError(ctx, request, reply, 404, messages.notFound)
  })
  app.setErrorHandler(async (err: { statusCode?: number }, request, reply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
    if (status >= 500) request.log.error({ err, request: { method: request.method, url: request.url } }, 'host request failed')
    const message = status >= 500 ? messages.serverError : status === 404 ? messages.notFound : messages.badRequest
    try {
      await ensureUser(ctx, request)
      return await renderError(ctx, request, reply, status, message)
    } catch {
      // The page itself could not be rendered (the database may be down): plain text, no details.
      return reply.code(status).type('text/plain; charset=utf-8').send(message)
    }
  })

  await app.register(hostPages, { ctx })
  for (const p of ctx.plugins) {
    await installPlugin(app, opts.knex, p.manifest, p.switch, {
      pluginOptions: opts.pluginOptions,
      sendMail: opts.mail === false ? undefined : outboxMailer(opts.knex),
      whenDisabled: async (request, reply) => {
        await ensureUser(ctx, request)
        return renderError(ctx, request, reply, 404, messages.notFound)
      }
    })
  }
  return app
}
