import { resolve } from 'node:path'
import cookie from '@fastify/cookie'
import csrf from '@fastify/csrf-protection'
import formbody from '@fastify/formbody'
import helmet from '@fastify/helmet'
import multipart from '@fastify/multipart'
import rateLimit from '@fastify/rate-limit'
import fastifyStatic from '@fastify/static'
import view from '@fastify/view'
import websocket from '@fastify/websocket'
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { projectRoot } from '../manifest.ts'
import type { ValidateFunction } from 'ajv'
import { compiledOnUse, createAjv } from '../validation.ts'
import { serveBuiltAssets } from './assets.ts'
import { installErrorHandler } from './error-handler.ts'
import { pluginViews, viewsRoot } from './views.ts'

// One Ajv of each kind per process, and each route schema compiled once, on its route's first
// request: every instance of the plugin in a process (several in tests, one per worker in
// production) has the same schemas, and compiling them is most of what installing costs.
const ajvs = { plain: createAjv(), coercing: createAjv({ coerceTypes: true }) }
const validators = new Map<string, ValidateFunction>()

/** The validator of a route schema; query strings and params are coerced from text, bodies are not. */
function validatorOf (schema: object, coerce: boolean): ValidateFunction {
  const key = `${coerce ? 'coerce' : 'plain'} ${JSON.stringify(schema)}`
  let validate = validators.get(key)
  if (!validate) {
    validate = compiledOnUse((coerce ? ajvs.coercing : ajvs.plain), schema)
    validators.set(key, validate)
  }
  return validate
}

export interface WebOptions {
  /** The upload limits of Send file, passed again on each request.file() call. */
  uploadLimits: object
  /** With several instances, their rate limits count together in this Redis; else each counts in its own memory. */
  redisUrl?: string | undefined
  log: Pick<FastifyBaseLogger, 'warn'>
}

/**
 * Everything the plugin's pages and sockets stand on, in our own scope: the validator, the
 * error handler, cookies, forms, uploads, WebSockets, security headers, CSRF, rate limits,
 * views and static assets. Host-provided parsers and servers are reused when present:
 * registering them twice would clash (two `upgrade` listeners on one server, say).
 */
export async function installWeb (fastify: FastifyInstance, { uploadLimits, redisUrl, log }: WebOptions): Promise<void> {
  fastify.setValidatorCompiler(({ schema, httpPart }) => validatorOf(schema, httpPart === 'querystring' || httpPart === 'params'))
  installErrorHandler(fastify, fastify.prefix)

  if (!fastify.hasRequestDecorator('cookies')) await fastify.register(cookie)
  if (!fastify.hasContentTypeParser('application/x-www-form-urlencoded')) await fastify.register(formbody)
  // A host's own multipart registration is reused; the limits passed on each request.file()
  // call keep it from loosening them.
  if (!fastify.hasContentTypeParser('multipart/form-data')) await fastify.register(multipart, { limits: uploadLimits })
  if (!fastify.hasDecorator('websocketServer')) {
    let stopUpgrades = (): void => {}
    await fastify.register(websocket, {
      options: { maxPayload: 256 * 1024 },
      // Close with 1012 (not the default, no code): htmx reconnects after it and resumes by seq.
      preClose (this: FastifyInstance, done: () => void) {
        stopUpgrades()
        for (const client of this.websocketServer.clients) client.close(1012, 'Server restarting')
        this.websocketServer.close()
        done()
      }
    })
    stopUpgrades = onlyUpgradesUnder(fastify.server, fastify.prefix)
  }
  await fastify.register(helmet, {
    // Not helmet's `no-referrer`: with it Chromium sends `Origin: null` on form POSTs,
    // and the Origin check refuses the pre-chat form.
    referrerPolicy: { policy: 'same-origin' },
    // HSTS and upgrade-insecure-requests only over HTTPS (httpsOnlyHeaders below): an intranet
    // desk served as http://helpdesk.corp would otherwise have every asset rewritten to https.
    strictTransportSecurity: false,
    contentSecurityPolicy: {
      directives: {
        upgradeInsecureRequests: null,
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"]
      }
    }
  })
  fastify.addHook('onSend', httpsOnlyHeaders)
  await fastify.register(csrf, {
    cookieKey: 'lc_csrf',
    cookieOpts: { path: fastify.prefix || '/', sameSite: 'strict', httpOnly: true },
    getToken: (req) => (req.headers['x-csrf-token'] as string | undefined) ?? (req.body as { _csrf?: string } | undefined)?._csrf
  })
  await fastify.register(rateLimit, { global: false, ...await sharedCounts(fastify, redisUrl, log) })
  // Pages are compiled once and as the partials are (views.ts): otherwise, unless NODE_ENV
  // says production, @fastify/view reads and compiles the page's file on every request; and
  // without preventIndent every line of a partial is indented to its call site, whitespace
  // that was a tenth of the console page (docs/design.md §9).
  await fastify.register(view, {
    engine: { handlebars: pluginViews().hb },
    root: viewsRoot,
    propertyName: 'lcView',
    viewExt: 'hbs',
    production: true,
    options: { compileOptions: { preventIndent: true } }
  })
  await fastify.register(fastifyStatic, { root: resolve(projectRoot, 'public'), prefix: '/assets/', decorateReply: false, maxAge: '1h' })
  await fastify.register(fastifyStatic, {
    root: resolve(projectRoot, 'node_modules/htmx.org/dist'),
    prefix: '/assets/vendor/',
    decorateReply: false,
    maxAge: '1d',
    allowedPath: (path) => /^\/(htmx(\.min)?\.js|ext\/hx-ws(\.min)?\.js)$/.test(path)
  })
  await serveBuiltAssets(fastify)
}

/**
 * What helmet sends only to a page that came over HTTPS (directly, or through a proxy the host
 * trusts: `request.protocol` follows X-Forwarded-Proto then): a browser that saw HSTS or
 * upgrade-insecure-requests on plain HTTP would ask for every asset over https and get none.
 */
async function httpsOnlyHeaders (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if (request.protocol !== 'https') return payload
  reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains')
  const csp = reply.getHeader('content-security-policy')
  if (typeof csp === 'string' && csp !== '') reply.header('content-security-policy', `${csp};upgrade-insecure-requests`)
  return payload
}

type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

/**
 * The WebSocket server we registered listens to every upgrade of the host's server, and
 * would route one to a host page too, leaving its socket open for good (and the host's
 * close waiting on it). It is given only upgrades under our prefix; anything else, which no
 * one here serves, is answered 404 and closed, unless the host listens for upgrades itself.
 * Returns what stops taking upgrades at all, for closing.
 */
function onlyUpgradesUnder (server: Server, prefix: string): () => void {
  const ours = server.listeners('upgrade').at(-1) as UpgradeListener | undefined
  if (!ours) return () => {}
  server.removeListener('upgrade', ours)
  const under = (url: string | undefined): boolean => {
    const path = (url ?? '/').split('?')[0]!
    return prefix === '' || path === prefix || path.startsWith(`${prefix}/`)
  }
  const filter: UpgradeListener = (request, socket, head) => {
    if (under(request.url)) { ours.call(server, request, socket, head); return }
    if (server.listenerCount('upgrade') > 1) return
    socket.on('error', () => { socket.destroy() })
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () => { socket.destroy() })
  }
  server.on('upgrade', filter)
  return () => { server.removeListener('upgrade', filter) }
}

/**
 * Rate limits counted in Redis, so a visitor's limit is one limit however many instances
 * answer them. Redis away never refuses a customer: the request goes on uncounted
 * (skipOnError), and the connection's errors are warnings.
 */
async function sharedCounts (fastify: FastifyInstance, redisUrl: string | undefined, log: Pick<FastifyBaseLogger, 'warn'>): Promise<object> {
  if (!redisUrl) return {}
  // Loaded only here: an instance without Redis never loads its client.
  const { Redis } = await import('ioredis')
  // lazyConnect: nothing is opened until the first limited request, so a plugin that fails to
  // start (its bus's Redis unreachable, say) leaves no connection retrying behind it.
  const redis = new Redis(redisUrl, { connectTimeout: 2_000, maxRetriesPerRequest: 1, lazyConnect: true })
  redis.on('error', (err: unknown) => { log.warn({ err }, 'live chat rate-limit Redis error') })
  fastify.addHook('onClose', async () => {
    // Never connected (no limited request came): nothing to say goodbye to.
    if (redis.status !== 'ready') { redis.disconnect(); return }
    await redis.quit().catch(() => { redis.disconnect() })
  })
  return { redis, nameSpace: 'livechat:rate-limit:', skipOnError: true }
}
