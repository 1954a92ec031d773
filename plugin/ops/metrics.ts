import type { Knex } from 'knex'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { ChatService } from '../chats/service.ts'
import type { Chat, Message } from '../chats/types.ts'
import type { JobRunOutcome } from '../jobs/service.ts'
import type { Bus, BusEvent } from '../realtime/bus-events.ts'
import type { SocketServer } from '../realtime/socket-server.ts'

/** What the gauges read at scrape time; given once the services exist (the bus is wrapped before them). */
export interface MetricSources {
  db: Knex
  chats: Pick<ChatService, 'statusCounts' | 'queueStats'>
  sockets: Pick<SocketServer, 'open'>
}

export interface Metrics {
  /** This plugin instance's own registry: several instances may share a process (tests), so never the global one. */
  registry: Registry
  /** The bus services publish on: counts what is published and observes the chat timings of this instance's own events. */
  watch: (bus: Bus) => Bus
  /** The jobs' `observe` (plugin/jobs): each finished run. */
  jobRun: (job: string, outcome: JobRunOutcome, seconds: number | null) => void
  /** Registers what the gauges read at scrape time. */
  readFrom: (sources: MetricSources) => void
  /** The Prometheus text exposition of every metric, reading the gauges now. */
  text: () => Promise<string>
  contentType: string
  /** Stops listening to the bus. */
  close: () => void
}

/** Assignments older than this when their event is seen are not new: a restarted instance must not count an old wait again. */
const freshMs = 60_000
/** At most this many chats are remembered between their assignment and the agent's first message; the oldest go first. */
const rememberAtMost = 10_000
/** Message kinds that are the agent answering the customer (not the "joined" line, nor coaching or a note). */
const answers = new Set<Message['kind']>(['text', 'file', 'kb_share'])

function remember (map: Map<number, number>, key: number, value: number): void {
  map.delete(key)
  map.set(key, value)
  if (map.size > rememberAtMost) map.delete(map.keys().next().value!)
}

/**
 * The operator's Prometheus metrics (docs/features.md#metrics). The message path only
 * counts and observes in memory; everything that needs the database (chats by status, the
 * queues) or a pool is read when Prometheus scrapes, in one query each. Timings are observed
 * from the events this instance publishes, so with several instances on one Redis bus each
 * wait and first response is observed once, by the instance where it happened; what every
 * instance receives is only counted.
 */
export function createMetrics ({ clock }: { clock: () => number }): Metrics {
  const registry = new Registry()
  const register = [registry]
  let sources: MetricSources | undefined

  const busEvents = new Counter({
    name: 'livechat_bus_events_total',
    help: 'Events this instance published on the bus, and received from it (its own included), by type',
    labelNames: ['direction', 'type'] as const,
    registers: register
  })
  const waitSeconds = new Histogram({
    name: 'livechat_wait_seconds',
    help: 'How long a chat waited in the queue before an agent accepted it or was assigned it',
    buckets: [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
    registers: register
  })
  const firstResponseSeconds = new Histogram({
    name: 'livechat_first_response_seconds',
    help: 'From a chat being accepted or assigned to its agent\'s first message to the customer',
    buckets: [5, 10, 15, 30, 60, 120, 300, 600, 1200],
    registers: register
  })
  const jobRuns = new Counter({
    name: 'livechat_job_runs_total',
    help: 'Scheduled job runs started in this instance, by task (the job\'s id: Prometheus keeps `job` for the scrape job) and outcome (ok, error, failed, skipped)',
    labelNames: ['task', 'outcome'] as const,
    registers: register
  })
  const jobDuration = new Histogram({
    name: 'livechat_job_duration_seconds',
    help: 'How long each job run took in this instance',
    labelNames: ['task'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
    registers: register
  })

  // Read at scrape time: one grouped query each, nothing kept up to date on the message path.
  registry.registerMetric(new Gauge({
    // Not the default global registry: registered on this instance's own, below.
    registers: [],
    name: 'livechat_chats',
    help: 'Chats by status (deleted ones left out)',
    labelNames: ['status'] as const,
    async collect () {
      this.reset()
      if (!sources) return
      for (const { status, n } of await sources.chats.statusCounts()) this.set({ status }, n)
    }
  }))
  // Both queue gauges come from one query per scrape: the first gauge collected starts it, the second reuses it.
  type QueueStats = Awaited<ReturnType<MetricSources['chats']['queueStats']>>
  let queueRead: Promise<QueueStats> | undefined
  const groupOf = (groupId: number | null): string => groupId === null ? 'none' : String(groupId)
  registry.registerMetric(new Gauge({
    registers: [],
    name: 'livechat_queue_length',
    help: 'Chats waiting in line, by group id ("none" for chats without a group)',
    labelNames: ['group'] as const,
    async collect () {
      this.reset()
      if (!sources) return
      queueRead = sources.chats.queueStats()
      for (const q of await queueRead) this.set({ group: groupOf(q.groupId) }, q.n)
    }
  }))
  registry.registerMetric(new Gauge({
    registers: [],
    name: 'livechat_queue_longest_wait_seconds',
    help: 'How long the oldest chat waiting in line has waited, by group id',
    labelNames: ['group'] as const,
    async collect () {
      this.reset()
      if (!sources) return
      const read = queueRead ?? sources.chats.queueStats()
      queueRead = undefined
      const now = clock()
      for (const q of await read) {
        this.set({ group: groupOf(q.groupId) }, q.oldestQueuedAt === null ? 0 : Math.max(0, (now - q.oldestQueuedAt) / 1000))
      }
    }
  }))
  registry.registerMetric(new Gauge({
    // Not the default global registry: registered on this instance's own, below.
    registers: [],
    name: 'livechat_sockets',
    help: 'Sockets open on this instance, by audience (agent consoles, customer chat windows)',
    labelNames: ['audience'] as const,
    collect () {
      if (!sources) return
      const open = sources.sockets.open()
      this.set({ audience: 'agent' }, open.agent)
      this.set({ audience: 'customer' }, open.customer)
    }
  }))
  registry.registerMetric(new Gauge({
    // Not the default global registry: registered on this instance's own, below.
    registers: [],
    name: 'livechat_db_pool',
    help: 'Database connections of the plugin\'s knex pool: used, free, and acquires pending',
    labelNames: ['state'] as const,
    collect () {
      const pool = (sources?.db.client as { pool?: { numUsed: () => number, numFree: () => number, numPendingAcquires: () => number } } | undefined)?.pool
      if (!pool) return
      this.set({ state: 'used' }, pool.numUsed())
      this.set({ state: 'free' }, pool.numFree())
      this.set({ state: 'pending' }, pool.numPendingAcquires())
    }
  }))

  /** Chat id → when it was assigned, until its agent's first message (or it leaves 'active'). */
  const awaitingAnswer = new Map<number, number>()
  /** Chat id → the assignment whose wait was observed, so a later update of the same chat does not observe it again. */
  const waited = new Map<number, number>()

  /** An assignment of the chat that its agent has not answered yet, seen recently enough to be new. */
  function newAssignment (chat: Chat): number | undefined {
    if (chat.status !== 'active' || chat.assignedAt === null) return undefined
    if (chat.lastAgentMessageAt !== null && chat.lastAgentMessageAt >= chat.assignedAt) return undefined
    return clock() - chat.assignedAt < freshMs ? chat.assignedAt : undefined
  }

  /** Any instance's update: remembers an unanswered assignment, so whichever instance stores the answer observes it. */
  function track (chat: Chat): void {
    const assignedAt = newAssignment(chat)
    if (assignedAt !== undefined) remember(awaitingAnswer, chat.id, assignedAt)
    else if (chat.status !== 'active') awaitingAnswer.delete(chat.id)
  }

  /** This instance's own events: the timings happened here. */
  function observe (event: BusEvent): void {
    if (event.type === 'chat.updated') {
      track(event.chat)
      const assignedAt = newAssignment(event.chat)
      const queuedAt = event.chat.queuedAt
      if (assignedAt !== undefined && queuedAt !== null && waited.get(event.chat.id) !== assignedAt) {
        remember(waited, event.chat.id, assignedAt)
        waitSeconds.observe(Math.max(0, (assignedAt - queuedAt) / 1000))
      }
    } else if (event.type === 'chat.message' && event.message.authorKind === 'agent' && answers.has(event.message.kind)) {
      const assignedAt = awaitingAnswer.get(event.chatId)
      if (assignedAt === undefined) return
      awaitingAnswer.delete(event.chatId)
      firstResponseSeconds.observe(Math.max(0, (event.message.createdAt - assignedAt) / 1000))
    }
  }

  let unsubscribe = (): void => {}

  return {
    registry,
    watch (bus) {
      unsubscribe = bus.subscribe((event) => {
        busEvents.inc({ direction: 'received', type: event.type })
        if (event.type === 'chat.updated') track(event.chat)
      })
      return {
        async publish (event) {
          busEvents.inc({ direction: 'published', type: event.type })
          observe(event)
          await bus.publish(event)
        },
        subscribe: (handler) => bus.subscribe(handler),
        close: async () => { await bus.close() },
        ...(bus.check ? { check: async () => { await bus.check!() } } : {})
      }
    },
    jobRun (job, outcome, seconds) {
      jobRuns.inc({ task: job, outcome })
      if (seconds !== null) jobDuration.observe({ task: job }, seconds)
    },
    readFrom (s) { sources = s },
    text: async () => await registry.metrics(),
    contentType: registry.contentType,
    close () { unsubscribe() }
  }
}
