import { resolve } from 'node:path'
import cookie from '@fastify/cookie'
import csrf from '@fastify/csrf-protection'
import formbody from '@fastify/formbody'
import multipart from '@fastify/multipart'
import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import fastifyStatic from '@fastify/static'
import view from '@fastify/view'
import websocket from '@fastify/websocket'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { Knex } from 'knex'
import { adminRoutes } from './admin/routes.ts'
import { createAnswers } from './web/answers.ts'
import { cannedRoutes } from './canned/routes.ts'
import { createCannedService } from './canned/service.ts'
import { createChatService } from './chats/service.ts'
import { registerCommentProjections } from './comments/projections.ts'
import { commentRoutes } from './comments/routes.ts'
import { createCommentService } from './comments/service.ts'
import { createCommentViews } from './comments/view-models.ts'
import { itemRoutes } from './items/routes.ts'
import { createItemService } from './items/service.ts'
import { createItemViews } from './items/view-models.ts'
import { registerConsoleProjections } from './console/projections.ts'
import { consoleRoutes } from './console/routes.ts'
import { listRoutes } from './console/list-routes.ts'
import { deleteRoutes } from './console/delete-routes.ts'
import { createListViews, registerListProjections } from './console/lists.ts'
import { createConsoleViews } from './console/view-models.ts'
import { registerCustomerProjections } from './customer/projections.ts'
import { customerRoutes } from './customer/routes.ts'
import { createCustomerService } from './customer/service.ts'
import { createCustomerViews } from './customer/view-models.ts'
import { deflectionRoutes } from './deflections/routes.ts'
import { createDeflectionService } from './deflections/service.ts'
import type { RouteDeps } from './deps.ts'
import { installErrorHandler } from './web/error-handler.ts'
import { manualEventRoutes } from './manual-events/routes.ts'
import { createManualEventService } from './manual-events/service.ts'
import { createManualEventViews } from './manual-events/view-models.ts'
import { fieldRoutes } from './fields/routes.ts'
import { createFieldService } from './fields/service.ts'
import { createFieldViews } from './fields/view-models.ts'
import { fileRoutes } from './files/routes.ts'
import { uploadLimits } from './files/schemas.ts'
import { createImService } from './im/service.ts'
import { registerImProjections } from './im/projections.ts'
import { imRoutes } from './im/routes.ts'
import { createImViews } from './im/view-models.ts'
import { roomRoutes } from './im/room-routes.ts'
import { createFileService } from './files/service.ts'
import type { HostAdapter } from './host/adapter.ts'
import { jobRoutes } from './jobs/routes.ts'
import { resolveSchedules } from './jobs/schedules.ts'
import { createJobService } from './jobs/service.ts'
import { loadManifest, type Manifest, projectRoot } from './manifest.ts'
import { permissionsFor, resolveSettings } from './settings.ts'
import { memoryBus } from './realtime/bus.ts'
import type { Bus } from './realtime/bus-events.ts'
import { createHub } from './realtime/hub.ts'
import { redisBus } from './realtime/redis-bus.ts'
import { socketRoutes } from './realtime/routes.ts'
import { createDistributor } from './routing/distributor.ts'
import { createRoutingService } from './routing/service.ts'
import { createPreferenceService } from './preferences/service.ts'
import { resourceRoutes } from './resources/routes.ts'
import { createResourceService } from './resources/service.ts'
import { createResourceViews } from './resources/view-models.ts'
import { searchRoutes } from './search/routes.ts'
import { createSearchService } from './search/service.ts'
import { createSearchViews } from './search/view-models.ts'
import { createAccess } from './security/access.ts'
import { registerSurveyProjections } from './surveys/projections.ts'
import { surveyRoutes } from './surveys/routes.ts'
import { createSurveyService } from './surveys/service.ts'
import { createSurveyViews } from './surveys/view-models.ts'
import { ticketRoutes } from './tickets/routes.ts'
import { createTicketService } from './tickets/service.ts'
import { createTicketViews } from './tickets/view-models.ts'
import { transcriptRoutes } from './transcripts/routes.ts'
import { createTranscriptService } from './transcripts/service.ts'
import { createAjv } from './validation.ts'
import { pluginViews, viewsRoot } from './web/views.ts'

export interface LiveChatOptions {
  knex: Knex
  host: HostAdapter
  settings?: Record<string, unknown>
  /** Defaults to the manifest.json beside the plugin. */
  manifest?: Manifest
  /** Defaults to a Redis bus when `redisUrl` is set, else the in-process bus; several instances share a Redis bus. */
  bus?: Bus
  /**
   * redis://host:port of the pub/sub server that carries live updates between instances
   * (the host passes REDIS_URL). Used when no `bus` is given; unset means the in-process bus.
   */
  redisUrl?: string
  /** Run scheduled jobs in this instance (default true; tests turn it off). */
  jobs?: boolean
  /** Clock for services, in epoch ms (tests may pin time). */
  clock?: () => number
  /**
   * Where files sent in chats are kept (default data/uploads under the project root,
   * gitignored). Several instances must share it. Nothing here is ever served statically.
   */
  uploadDir?: string
  /**
   * This instance's name in job leases and run records (the Scheduled jobs page shows it,
   * and a Run now refused because another instance runs the job names it). Default: host
   * name, process id and a random suffix.
   */
  instanceName?: string
}

/**
 * The live chat plugin. Encapsulated on purpose (not fastify-plugin): our validator,
 * error handler, hooks and decorators stay inside our prefix and never touch the host.
 */
const liveChat: FastifyPluginAsync<LiveChatOptions> = async (fastify: FastifyInstance, opts) => {
  const manifest = opts.manifest ?? loadManifest()
  const settings = resolveSettings(manifest, opts.settings ?? {})
  // A bad cron expression or an unknown job id stops the plugin here, before anything is opened.
  resolveSchedules(manifest, settings.jobSchedules)
  const { knex: db, host } = opts
  const clock = opts.clock ?? Date.now

  const ajv = createAjv()
  const ajvCoerce = createAjv({ coerceTypes: true })
  fastify.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'querystring' || httpPart === 'params' ? ajvCoerce : ajv).compile(schema))

  const views = pluginViews()
  installErrorHandler(fastify, fastify.prefix)

  // Host-provided plugins are reused when present: registering them twice would clash.
  if (!fastify.hasRequestDecorator('cookies')) await fastify.register(cookie)
  if (!fastify.hasContentTypeParser('application/x-www-form-urlencoded')) await fastify.register(formbody)
  // Send file's uploads; the limits are passed again on each request.file() call, so a
  // host's own registration (reused, as above) cannot loosen them.
  if (!fastify.hasContentTypeParser('multipart/form-data')) {
    await fastify.register(multipart, { limits: uploadLimits(settings.maxFileBytes) })
  }
  if (!fastify.hasDecorator('websocketServer')) {
    await fastify.register(websocket, {
      options: { maxPayload: 256 * 1024 },
      // Close with 1012 (not the default, no code): htmx reconnects after it and resumes by seq.
      preClose (this: FastifyInstance, done: () => void) {
        for (const client of this.websocketServer.clients) client.close(1012, 'Server restarting')
        this.websocketServer.close()
        done()
      }
    })
  }
  await fastify.register(helmet, {
    // Not helmet's `no-referrer`: with it Chromium sends `Origin: null` on form POSTs,
    // and the Origin check below refuses the pre-chat form.
    referrerPolicy: { policy: 'same-origin' },
    contentSecurityPolicy: {
      directives: {
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
  await fastify.register(csrf, {
    cookieKey: 'lc_csrf',
    cookieOpts: { path: fastify.prefix || '/', sameSite: 'strict', httpOnly: true },
    getToken: (req) => (req.headers['x-csrf-token'] as string | undefined) ?? (req.body as { _csrf?: string } | undefined)?._csrf
  })
  await fastify.register(rateLimit, { global: false })
  await fastify.register(view, { engine: { handlebars: views.hb }, root: viewsRoot, propertyName: 'lcView', viewExt: 'hbs' })
  await fastify.register(fastifyStatic, { root: resolve(projectRoot, 'public'), prefix: '/assets/', decorateReply: false, maxAge: '1h' })
  await fastify.register(fastifyStatic, { root: resolve(projectRoot, 'node_modules/htmx.org/dist'), prefix: '/assets/vendor/', decorateReply: false, maxAge: '1d', allowedPath: (path) => /^\/(htmx(\.min)?\.js|ext\/hx-ws(\.min)?\.js)$/.test(path) })

  let bus: Bus
  if (opts.bus) {
    bus = opts.bus
  } else if (opts.redisUrl) {
    // Subscribed before the plugin is ready, so no instance misses what another publishes.
    const redis = redisBus(opts.redisUrl, { log: fastify.log })
    try {
      await redis.ready()
    } catch (err) {
      await redis.close()
      throw err
    }
    bus = redis
  } else {
    bus = memoryBus()
  }
  const routing = createRoutingService({ db, bus, clock, heartbeatTimeoutSeconds: settings.heartbeatTimeoutSeconds })
  const chats = createChatService({ db, bus, host, routing, clock, maxMessageLength: settings.maxMessageLength })
  const canned = createCannedService({ db, routing, clock })
  const distributor = createDistributor({ chats, routing, bus, log: fastify.log, reofferSeconds: settings.reofferSeconds, clock })
  const access = createAccess({ host, settings, routing })
  const hub = createHub({
    bus,
    messagesBetween: chats.messages,
    renderMessages: (messages) => messages.map((m) => views.render('chats/message', m)).join(''),
    log: fastify.log
  })
  const base = fastify.prefix
  // Internal messaging between agents: instant message threads and chat rooms (plugin/im).
  const im = createImService({ db, bus, host, chats, routing, clock, maxMessageLength: settings.maxMessageLength, settings, base })
  // Custom fields, manual events and related items come before the console's views: a pane
  // shows the first two, and the Customer tab totals the time logs.
  const items = createItemService({ db, chats, host, clock })
  const fields = createFieldService({ db, chats, clock })
  const fieldViews = createFieldViews({ base, fields, views })
  const manualEvents = createManualEventService({ db, chats, clock })
  const manualEventViews = createManualEventViews({ base, events: manualEvents, views })
  const consoleViews = createConsoleViews({ base, chats, routing, host, views, clock, paneExtras: { fieldValues: fieldViews.valuesLine, actions: manualEventViews.menu, tickets: (chat, viewer) => ticketViews.menu(chat, viewer) }, minutesLogged: items.minutesFor, purgeAfterDays: settings.purgeAfterDays })
  const customer = createCustomerService({ host, chats, routing, fields })
  const customerViews = createCustomerViews({ settings, host, chats, routing, customer })
  const deflections = createDeflectionService({ db, host, chats, clock, log: fastify.log })
  registerConsoleProjections(hub, {
    chats,
    consoleViews,
    routing,
    views,
    scopeOf: async (agentId) => {
      const user = await host.getUser(agentId)
      return user ? await access.scopeOf(user, permissionsFor(settings, user.roles)) : null
    }
  })
  registerCustomerProjections(hub, { base, chats, customerViews, views })
  const preferences = createPreferenceService({ db, clock })
  // Advanced Search, and the search box of every list.
  const search = createSearchService({ db, routing, fields, host })
  const searchViews = createSearchViews({ base, search })
  const lists = createListViews({ base, chats, routing, host, preferences, search, views, clock, idleWarningSeconds: settings.idleWarningSeconds, idleHighSeconds: settings.idleHighSeconds })
  registerListProjections(hub, { chats, listViews: lists })
  const comments = createCommentService({ db, bus, chats, clock })
  const commentViews = createCommentViews({ base, comments })
  registerCommentProjections(hub, { commentViews })
  // The Resources panel suggests past resolutions (comments) and notes shares on the chat's tickets (items); Related Items lists its pins.
  const resources = createResourceService({ db, chats, comments, items, host, clock })
  const resourceViews = createResourceViews({ base, resources, views })
  const itemViews = createItemViews({ base, items, views, pinned: resourceViews.relatedPins })
  const surveys = createSurveyService({ db, chats, clock })
  const surveyViews = createSurveyViews({ base, surveys, views })
  registerSurveyProjections(hub, { surveys, surveyViews })
  const transcripts = createTranscriptService({ chats, routing, host, views, clock })
  const tickets = createTicketService({ db, chats, items, transcripts, host })
  const ticketViews = createTicketViews({ base, tickets, views })
  const files = createFileService({
    db, chats, base, clock, dir: opts.uploadDir ?? resolve(projectRoot, 'data/uploads'), maxFileBytes: settings.maxFileBytes, allowedTypes: settings.allowedFileTypes
  })
  // Scheduled in every instance when `jobs` is not false; the admin page and Run now work either way.
  const jobs = createJobService({ db, manifest, settings, routing, distributor, chats, customer, files, im, host, log: fastify.log, clock, instanceName: opts.instanceName })

  // Instant messages' list, pages and pop-ups; the hub streams threads' and rooms' messages with the message partial.
  const imViews = createImViews({ base, im, views, host, chats, preferences, clock, maxMessageLength: settings.maxMessageLength })
  registerImProjections(hub, { im, views, base, maxMessageLength: settings.maxMessageLength })

  // Every state change must come from our own pages (the CSRF token is checked per route too).
  fastify.addHook('onRequest', async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') access.checkOrigin(request.headers, request.protocol, false)
  })

  const deps: RouteDeps = { base, answers: createAnswers(views), chats, preferences, canned, items: { service: items, views: itemViews }, resources: { service: resources, views: resourceViews }, surveys: { service: surveys, views: surveyViews }, fields: { service: fields, views: fieldViews }, manualEvents: { service: manualEvents, views: manualEventViews }, tickets: { service: tickets, views: ticketViews }, transcripts, files, im, routing, access, hub, views, consoleViews, customerViews, customer, deflections, settings, manifest }
  await fastify.register(customerRoutes, deps)
  await fastify.register(consoleRoutes, deps)
  await fastify.register(listRoutes, { ...deps, lists })
  await fastify.register(searchRoutes, { ...deps, searchViews })
  await fastify.register(deleteRoutes, { ...deps, lists })
  await fastify.register(commentRoutes, { access, comments, commentViews })
  await fastify.register(itemRoutes, deps)
  await fastify.register(resourceRoutes, deps)
  await fastify.register(surveyRoutes, deps)
  await fastify.register(ticketRoutes, deps)
  await fastify.register(transcriptRoutes, deps)
  await fastify.register(fileRoutes, deps)
  await fastify.register(fieldRoutes, deps)
  await fastify.register(manualEventRoutes, deps)
  await fastify.register(cannedRoutes, deps)
  await fastify.register(adminRoutes, { ...deps, host })
  await fastify.register(deflectionRoutes, deps)
  await fastify.register(jobRoutes, { ...deps, jobs, clock })
  await fastify.register(imRoutes, { ...deps, imViews })
  await fastify.register(roomRoutes, deps)
  await fastify.register(socketRoutes, deps)

  if (opts.jobs !== false) jobs.start()

  // Before the socket server goes: 1012 tells htmx to reconnect (to this instance when it
  // is back, or to another) and resume.
  fastify.addHook('preClose', async () => { await hub.close() })
  fastify.addHook('onClose', async () => {
    await jobs.stop()
    if (!opts.bus) await bus.close()
  })
}

export default liveChat
export { sqlHost } from './host/sql-host.ts'
export type { HostAdapter } from './host/adapter.ts'
