import { resolve } from 'node:path'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { Knex } from 'knex'
import { apiRoutes } from './api/routes.ts'
import { createGuard } from './api/guard.ts'
import { createTokenService } from './api/tokens-service.ts'
import { tokenRoutes } from './admin/tokens-routes.ts'
import { createTokenViews } from './admin/tokens-view-models.ts'
import { hoursRoutes } from './admin/hours-routes.ts'
import { importRoutes } from './admin/import-routes.ts'
import { createImportViews } from './admin/import-view-models.ts'
import { createHoursViews } from './admin/hours-view-models.ts'
import { adminRoutes } from './admin/routes.ts'
import { auditRoutes } from './admin/audit-routes.ts'
import { createAuditService } from './audit/service.ts'
import { blocklistRoutes } from './blocklist/routes.ts'
import { createWebhookOutbox } from './webhooks/outbox.ts'
import type { Lookup } from './webhooks/address.ts'
import { webhookRoutes } from './webhooks/routes.ts'
import { createWebhookService } from './webhooks/service.ts'
import { createWebhookViews } from './webhooks/view-models.ts'
import { createBlocklistService } from './blocklist/service.ts'
import { createBlocklistViews } from './blocklist/view-models.ts'
import { settingsRoutes } from './admin/settings-routes.ts'
import { createSettingsService } from './admin/settings-service.ts'
import { createAdminViews } from './admin/view-models.ts'
import { notice } from './web/answers.ts'
import { envelope } from './realtime/fragments.ts'
import { LC_ERR_TURNED_OFF } from './errors.ts'
import { cannedRoutes } from './canned/routes.ts'
import { createCannedService } from './canned/service.ts'
import { createCannedViews } from './canned/view-models.ts'
import { customerSees } from './chats/rules.ts'
import { createChatService } from './chats/service.ts'
import { createFactService } from './facts/service.ts'
import type { AgentScope, Message } from './chats/types.ts'
import { registerCommentProjections } from './comments/projections.ts'
import { commentRoutes } from './comments/routes.ts'
import { createCommentService } from './comments/service.ts'
import { createCommentViews } from './comments/view-models.ts'
import { itemRoutes } from './items/routes.ts'
import { createItemService } from './items/service.ts'
import { createItemViews } from './items/view-models.ts'
import { registerConsoleProjections } from './console/projections.ts'
import { consoleRoutes } from './console/routes.ts'
import { consoleSocket } from './console/socket.ts'
import { listRoutes } from './console/list-routes.ts'
import { deleteRoutes } from './console/delete-routes.ts'
import { registerListProjections } from './console/list-projections.ts'
import { createListViews } from './console/list-view-models.ts'
import { createConsoleViews } from './console/view-models.ts'
import { registerCustomerProjections } from './customer/projections.ts'
import { customerRoutes } from './customer/routes.ts'
import { widgetRoutes } from './customer/widget-routes.ts'
import { customerSocket } from './customer/socket.ts'
import { createCustomerService } from './customer/service.ts'
import { createIdentityService } from './customer/identity.ts'
import { createCustomerViews } from './customer/view-models.ts'
import { deflectionRoutes } from './deflections/routes.ts'
import { createDeflectionService } from './deflections/service.ts'
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
import { createImListViews } from './im/list-view-models.ts'
import { roomRoutes } from './im/room-routes.ts'
import { createRoomViews } from './im/room-view-models.ts'
import { createFileService } from './files/service.ts'
import { createFileViews } from './files/view-models.ts'
import type { HostAdapter } from './host/adapter.ts'
import { jobRoutes } from './jobs/routes.ts'
import { opsRoutes } from './ops/routes.ts'
import { createOpsService } from './ops/service.ts'
import { createMetrics } from './ops/metrics.ts'
import { metricsRoutes } from './ops/metrics-routes.ts'
import { createSwitch } from './ops/switch.ts'
import { resolveSchedules, schedulesProblem } from './jobs/schedules.ts'
import { createJobService } from './jobs/service.ts'
import { loadManifest, type Manifest, projectRoot } from './manifest.ts'
import { liveSettings, permissionsFor, resolveSettings, type Settings } from './settings.ts'
import type { Bus } from './realtime/bus-events.ts'
import { createHub } from './realtime/hub.ts'
import { openBus } from './realtime/bus.ts'
import { createSocketServer } from './realtime/socket-server.ts'
import { createDistributor } from './routing/distributor.ts'
import { createHoursService } from './routing/hours-service.ts'
import { createImportService } from './routing/import.ts'
import { reportRoutes } from './reports/routes.ts'
import { registerWallboardProjections } from './reports/projections.ts'
import { createReportService } from './reports/service.ts'
import { createWallboardService } from './reports/wallboard.ts'
import { createRoutingService } from './routing/service.ts'
import { createPreferenceService } from './preferences/service.ts'
import { resourceRoutes } from './resources/routes.ts'
import { createResourceService } from './resources/service.ts'
import { createResourceViews } from './resources/view-models.ts'
import { searchRoutes } from './search/routes.ts'
import { createSearchService } from './search/service.ts'
import { createSearchViews } from './search/view-models.ts'
import { type Access, createAccess } from './security/access.ts'
import { registerSurveyProjections } from './surveys/projections.ts'
import { surveyRoutes } from './surveys/routes.ts'
import { createSurveyService } from './surveys/service.ts'
import { createSurveyViews } from './surveys/view-models.ts'
import { ticketRoutes } from './tickets/routes.ts'
import { createTicketService } from './tickets/service.ts'
import { createTicketViews } from './tickets/view-models.ts'
import { transcriptRoutes } from './transcripts/routes.ts'
import { createTranscriptService } from './transcripts/service.ts'
import { installWeb } from './web/install.ts'
import { pluginViews, render } from './web/views.ts'

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
  /**
   * Whether the host has live chat turned on, asked once a second (cache it if asking costs):
   * turned off, open sockets are closed and jobs skip their ticks until it is on again.
   * Without it live chat is always on.
   */
  enabled?: () => boolean | Promise<boolean>
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
  /** How webhook deliveries resolve host names (tests give their own answers); the system's resolver by default. */
  webhookLookup?: Lookup
}

/**
 * The live chat plugin. Encapsulated on purpose (not fastify-plugin): our validator,
 * error handler, hooks and decorators stay inside our prefix and never touch the host.
 * What it builds and registers, in order: docs/design.md §1.
 */
const liveChat: FastifyPluginAsync<LiveChatOptions> = async (fastify: FastifyInstance, opts) => {
  const manifest = opts.manifest ?? loadManifest()
  // What the host passes in code is checked here and is fixed: the settings screen shows it and never changes it.
  const fromCode = resolveSettings(manifest, opts.settings ?? {})
  const fixed = Object.fromEntries(Object.keys(opts.settings ?? {}).map((n) => [n, fromCode[n as keyof Settings]]))
  // The one settings object every part holds; the settings screen changes its values in place.
  const live = liveSettings(fromCode)
  const settings = live.settings
  // A bad cron expression or an unknown job id stops the plugin here, before anything is opened.
  resolveSchedules(manifest, settings.jobSchedules)
  // So does an adapter that cannot reach what it needs (sqlHost: a mapping that does not fit
  // the host's tables, LC_ERR_HOST_MAPPING): the plugin never starts half-working.
  await opts.host.check?.()
  const { redisUrl } = opts
  await installWeb(fastify, { uploadLimits: uploadLimits(settings.maxFileBytes), redisUrl, log: fastify.log })
  const clock = opts.clock ?? Date.now
  // Wraps the bus before any service holds it: what is published is counted and timed there.
  const metrics = createMetrics({ clock })
  const bus = metrics.watch(opts.bus ?? await openBus(opts.redisUrl, fastify.log))
  const { knex: db, host } = opts
  const base = fastify.prefix
  const log = fastify.log
  const views = pluginViews()
  const onSettingsChange = live.onChange
  const core = { db, host, bus, clock, settings, onSettingsChange, base, log, views }

  // Defaults ← what administrators stored on the settings screen ← the host's code; read again on
  // every change, on every instance.
  const jobSchedules = (value: unknown): string | null => schedulesProblem(manifest, value as Record<string, string>)
  // The audit log first: every service whose actions it records holds it (docs/features.md#audit-log).
  const audit = createAuditService(core)
  const settingsAdmin = createSettingsService({
    db, bus, log, manifest, live, fixed, clock, audit, checks: { jobSchedules }
  })
  await settingsAdmin.reload()

  // The domain: routing, chats, who may do what, and the hub that carries changes to sockets.
  // Every change that is a webhook event records it in its own transaction (docs/webhooks.md).
  const outbox = createWebhookOutbox(core)
  const routing = createRoutingService({ ...core, webhooks: outbox, audit })
  const hours = createHoursService(core)
  const imports = createImportService({ ...core, audit })
  const facts = createFactService(core)
  const chats = createChatService({ ...core, routing, webhooks: outbox, facts, audit })
  const distributor = createDistributor({ ...core, chats, routing })
  const access = createAccess({ ...core, routing })
  const hub = createHub({ ...core, messagesBetween: chats.messages, renderMessages, customerSees })
  const turnedOff = async (): Promise<void> => { await hub.closeAll(turnedOffNotice(), 'Live chat is turned off') }
  const liveSwitch = createSwitch({ enabled: opts.enabled, turnedOff, log: fastify.log })
  const off = (): boolean | Promise<boolean> => liveSwitch.on() ? false : liveSwitch.stillOff()
  const sockets = createSocketServer({ ...core, hub, notice, off })
  const preferences = createPreferenceService(core)
  const blocklist = createBlocklistService({ ...core, audit })
  const { instanceName, webhookLookup } = opts
  const { version } = manifest
  const webhooks = createWebhookService({ ...core, outbox, instanceName, webhookLookup, version, audit })

  // What agents work with around a chat.
  const canned = createCannedService({ ...core, routing })
  const cannedViews = createCannedViews({ ...core, routing })
  const items = createItemService({ ...core, chats })
  const fields = createFieldService({ ...core, chats })
  const fieldViews = createFieldViews({ ...core, fields })
  const manualEvents = createManualEventService({ ...core, chats })
  const manualEventViews = createManualEventViews({ ...core, manualEvents })
  const comments = createCommentService({ ...core, chats })
  const commentViews = createCommentViews({ ...core, comments })
  const resources = createResourceService({ ...core, chats, comments, items })
  const resourceViews = createResourceViews({ ...core, resources })
  const itemViews = createItemViews({ ...core, items, pinned: resourceViews.relatedPins })
  const surveys = createSurveyService({ ...core, chats, webhooks: outbox, facts })
  const surveyViews = createSurveyViews({ ...core, surveys })
  const transcripts = createTranscriptService({ ...core, chats, routing })
  const tickets = createTicketService({ ...core, chats, items, transcripts, webhooks: outbox })
  const ticketViews = createTicketViews({ ...core, tickets })
  const dir = opts.uploadDir ?? resolve(projectRoot, 'data/uploads')
  const files = createFileService({ ...core, chats, dir })
  const fileViews = createFileViews({ ...core, files })
  const search = createSearchService({ ...core, chats, routing, fields })
  const searchViews = createSearchViews({ ...core, search })
  const deflections = createDeflectionService({ ...core, chats })
  const reports = createReportService({ ...core, facts, surveys, deflections, routing })
  const wallboard = createWallboardService({ ...core, facts, routing })

  // The screens: the customer's window, the agent console and its lists, instant messages.
  const customer = createCustomerService({ ...core, chats, routing, fields, hours })
  const customerViews = createCustomerViews({ ...core, chats, routing, customer })
  const identity = createIdentityService(core)
  const paneExtras = { fieldValues: fieldViews.valuesLine, actions: manualEventViews.menu, tickets: ticketViews.menu }
  const consoleViews = createConsoleViews({ ...core, chats, routing, paneExtras, minutesLogged: items.minutesFor })
  const adminViews = createAdminViews({ ...core, routing, chats })
  const hoursViews = createHoursViews({ ...core, routing, hours })
  const importViews = createImportViews({ ...core, routing, imports })
  const blocklistViews = createBlocklistViews({ ...core, blocklist })
  const webhookViews = createWebhookViews({ ...core, webhooks })
  const listViews = createListViews({ ...core, chats, routing, preferences, search })
  const im = createImService({ ...core, chats, routing })
  const imViews = createImViews({ ...core, im, chats })
  const imListViews = createImListViews({ ...core, im, preferences })
  const roomViews = createRoomViews({ ...core, im })
  const tokens = createTokenService({ ...core, audit })
  const tokenViews = createTokenViews({ ...core, tokens })
  const guard = createGuard({ ...core, tokens, access })
  const work = { manifest, routing, distributor, chats, customer, files, im, webhooks, tokens, audit }
  const jobs = createJobService({ ...core, ...work, instanceName, on: liveSwitch.on, observe: metrics.jobRun })
  metrics.readFrom({ db, chats, sockets })

  // What each change on the bus re-renders, for every socket it concerns.
  const scopeOf = scopeOfAgent(host, access, settings)
  registerConsoleProjections(hub, { ...core, chats, consoleViews, routing, scopeOf })
  registerCustomerProjections(hub, { ...core, chats, customerViews })
  registerListProjections(hub, { ...core, chats })
  registerWallboardProjections(hub, { wallboard })
  registerCommentProjections(hub, { commentViews })
  registerSurveyProjections(hub, { surveys, surveyViews })
  registerImProjections(hub, { ...core, im, imViews, roomViews })

  // Every state change must come from our own pages (the CSRF token is checked per route too).
  fastify.addHook('onRequest', sameOriginChanges(access))

  const parts = {
    ...core,
    manifest,
    access,
    hub,
    sockets,
    routing,
    hours,
    chats,
    preferences,
    canned,
    cannedViews,
    comments,
    commentViews,
    listViews,
    items,
    itemViews,
    resources,
    resourceViews,
    surveys,
    surveyViews,
    fields,
    fieldViews,
    manualEvents,
    manualEventViews,
    tickets,
    ticketViews,
    transcripts,
    files,
    fileViews,
    search,
    searchViews,
    deflections,
    reports,
    wallboard,
    customer,
    customerViews,
    identity,
    consoleViews,
    im,
    imViews,
    imListViews,
    roomViews,
    adminViews,
    hoursViews,
    imports,
    importViews,
    blocklist,
    blocklistViews,
    webhooks,
    webhookViews,
    settingsAdmin,
    audit,
    tokens,
    tokenViews,
    guard,
    jobs
  }
  await fastify.register(customerRoutes, parts)
  await fastify.register(widgetRoutes, parts)
  await fastify.register(consoleRoutes, parts)
  await fastify.register(listRoutes, parts)
  await fastify.register(searchRoutes, parts)
  await fastify.register(deleteRoutes, parts)
  await fastify.register(commentRoutes, parts)
  await fastify.register(itemRoutes, parts)
  await fastify.register(resourceRoutes, parts)
  await fastify.register(surveyRoutes, parts)
  await fastify.register(ticketRoutes, parts)
  await fastify.register(transcriptRoutes, parts)
  await fastify.register(fileRoutes, parts)
  await fastify.register(fieldRoutes, parts)
  await fastify.register(manualEventRoutes, parts)
  await fastify.register(cannedRoutes, parts)
  await fastify.register(adminRoutes, parts)
  await fastify.register(hoursRoutes, parts)
  await fastify.register(importRoutes, parts)
  await fastify.register(blocklistRoutes, parts)
  await fastify.register(webhookRoutes, parts)
  await fastify.register(settingsRoutes, parts)
  await fastify.register(auditRoutes, parts)
  await fastify.register(tokenRoutes, parts)
  await fastify.register(apiRoutes, parts)
  await fastify.register(deflectionRoutes, parts)
  await fastify.register(reportRoutes, parts)
  await fastify.register(jobRoutes, parts)
  await fastify.register(imRoutes, parts)
  await fastify.register(roomRoutes, parts)
  await fastify.register(consoleSocket, parts)
  await fastify.register(customerSocket, parts)
  const ops = createOpsService({ ...core, bus, jobs, jobsWanted: opts.jobs !== false })
  await fastify.register(opsRoutes, { ops })
  await fastify.register(metricsRoutes, { settings, metrics })

  // Scheduled in every instance unless turned off; the jobs page and Run now work either way.
  if (opts.jobs !== false) jobs.start()
  liveSwitch.start()
  // Before the socket server goes: 1012 tells htmx to reconnect (to this instance when it is
  // back, or to another) and resume.
  fastify.addHook('preClose', async () => { await hub.close() })
  fastify.addHook('onClose', async () => {
    liveSwitch.stop()
    await jobs.stop()
    // The words of the last messages: a clean stop leaves none due (chats/due-words.ts).
    await chats.close()
    if (!opts.bus) await bus.close()
  })
  fastify.addHook('onClose', async () => { metrics.close(); blocklist.close() })
}

/** What every open console and chat window is told as live chat is turned off. */
function turnedOffNotice (): string {
  const err = new LC_ERR_TURNED_OFF()
  return envelope([notice('error', err.message, err.code)])
}

/** Requests that change something must come from our own pages (or an allowed origin). */
function sameOriginChanges (access: Pick<Access, 'checkOrigin'>) {
  return async (request: FastifyRequest): Promise<void> => {
    if (request.method === 'GET' || request.method === 'HEAD') return
    access.checkOrigin(request.headers, request.protocol, false)
  }
}

/** Chat messages as the hub sends them: the one message partial, for chats and instant messages alike. */
function renderMessages (messages: Message[]): string {
  return messages.map((m) => render('chats/message', m)).join('')
}

/** An agent's scope, read afresh (group changes): the console's projections re-render lists with it. */
function scopeOfAgent (host: HostAdapter, access: Access, settings: Settings) {
  return async (agentId: string): Promise<AgentScope | null> => {
    const user = await host.getUser(agentId)
    return user ? await access.scopeOf(user, permissionsFor(settings, user.roles)) : null
  }
}

export default liveChat
export { sqlHost } from './host/sql-host.ts'
export type { HostAdapter } from './host/adapter.ts'
