import type { Auditor, AuditService } from '../audit/service.ts'
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Knex } from 'knex'
import { createTask, type ScheduledTask } from 'node-cron'
import type { TokenService } from '../api/tokens-service.ts'
import type { ChatService, ItemGuard } from '../chats/service.ts'
import type { Chat } from '../chats/types.ts'
import type { CustomerService } from '../customer/service.ts'
import { getDialect, poolBusy, probeLatency } from '../db/index.ts'
import { LC_ERR_JOB_RUNNING, LC_ERR_JOB_UNKNOWN } from '../errors.ts'
import type { FileService } from '../files/service.ts'
import type { HostAdapter } from '../host/adapter.ts'
import type { ImService } from '../im/service.ts'
import type { Manifest } from '../manifest.ts'
import type { Settings, SettingsWatch } from '../settings.ts'
import { ticketEntries } from '../transcripts/service.ts'
import type { Distributor } from '../routing/distributor.ts'
import type { RoutingService } from '../routing/service.ts'
import { itemCount, itemGuard, itemLabel, itemsLine, type RunGuard, threadGuard } from './item-failures.ts'
import { createPurge, purgePace } from './purge.ts'
import { createImPurge } from './purge-im.ts'
import { defaultLeaseMs, type JobContext, type JobFn, type JobOutcome, type JobTrigger, runJobRecorded, type RunResult } from './scheduler.ts'
import { type JobSchedule, resolveSchedules } from './schedules.ts'
import * as store from './store.ts'
import type { WebhookService } from '../webhooks/service.ts'

interface Log {
  info: (obj: object, msg: string) => void
  warn: (obj: object, msg: string) => void
  error: (obj: object, msg: string) => void
}

export interface JobServiceDeps {
  db: Knex
  /** The audit log: jobs run by hand and chats purged are recorded, and the purge job removes entries older than auditRetentionDays. */
  audit?: Pick<AuditService, 'record' | 'purge'>
  manifest: Manifest
  settings: Pick<Settings, 'jobSchedules' | 'purgeAfterDays' | 'purgeBatchSize' | 'customerGoneSeconds' | 'imInactiveHours' | 'idleEndMinutes' |
  'queueTimeoutMinutes' | 'apiCallRetentionDays' | 'auditRetentionDays'>
  routing: Pick<RoutingService, 'sweepStale' | 'group' | 'department'>
  distributor: Pick<Distributor, 'reoffer'>
  /** The chat sweeps the jobs run, and the purge's batches of deleted chats. */
  chats: Pick<ChatService, 'markCustomersGone' | 'endIdleChats' | 'timeOutQueuedChats' | 'purgeDeleted' | 'pendingWordChats' | 'wordPairs' | 'purgeWords'>
  /** Leave-a-message: the ticket a timed-out chat's question becomes. */
  customer: Pick<CustomerService, 'leaveMessage'>
  /** File contents of purged chats (plugin/files). */
  files: Pick<FileService, 'discard'>
  /** Instant messages: threads idle for imInactiveHours become inactive (the im-idle job); deleted threads are purged. */
  im: Pick<ImService, 'makeIdleInactive' | 'purgeDeleted'>
  /** The record of API calls, kept apiCallRetentionDays (the api-calls job). */
  tokens: Pick<TokenService, 'pruneCalls'>
  host: Pick<HostAdapter, 'cancelledStatus' | 'setTicketStatus' | 'addTicketActivity'>
  /** Webhook delivery (the webhooks job, docs/webhooks.md); without it the job has nothing to send. */
  webhooks?: Pick<WebhookService, 'deliver'>
  log: Log
  clock?: () => number
  /**
   * How this instance is named in leases and run records, and in the 409 another instance's
   * Run now gets; default host name, process id and a random suffix (several instances may
   * share a process or a host).
   */
  instanceName?: string
  /** Schedules are made again when the jobSchedules setting changes. */
  onSettingsChange?: SettingsWatch['onChange']
  /** How long a lease holds without being renewed; a crashed holder's lease expires after it. */
  leaseMs?: number
  /** Whether the host has live chat turned on: off, the schedules skip their ticks (nothing is run or recorded). */
  on?: () => boolean
  /** Told of every run as it finishes, whatever started it (the operator's metrics); `seconds` is null when no run took place. */
  observe?: (job: string, outcome: JobRunOutcome, seconds: number | null) => void
}

/**
 * How a run ended, as the metrics count it: 'ok'; 'error' (it ran but reported an error); 'failed' (it threw,
 * or its lease or record could not be written); 'skipped' (another run of it held the lease).
 */
export type JobRunOutcome = 'ok' | 'error' | 'failed' | 'skipped'

/** One job as the admin page shows it. */
export interface JobOverview extends JobSchedule {
  /** False for a job the manifest lists that this version does not have (it is never run). */
  implemented: boolean
  /** The next time the schedule fires (by the server's clock, in its time zone). */
  nextRun: number | null
  /** The instance holding the lease now and since when, while a run is going on. */
  running: { owner: string, since: number | null } | null
  runs: store.JobRun[]
  /** Items the job failed on and skips until their retry (docs/features.md#failing-items), the soonest retried first. */
  failures: store.ItemFailure[]
}

/** What Run now came to: the finished run, or a run still going when the answer was due. */
export type RunNowResult = { finished: true, run: RunResult, job: string } | { finished: false, job: string, startedAt: number }

/**
 * The scheduled jobs (docs/design.md §7, docs/features.md#scheduled-jobs): each runs under
 * a lease, so of the instances that schedule it one does each run, and every run is
 * recorded for the Scheduled jobs page.
 */
export interface JobService {
  /** This instance's name in leases and run records. */
  owner: string
  /** Starts every job's schedule in this instance. */
  start (): void
  /** Whether this instance runs the schedules: 'off' until start(), 'stopped' once stop() began (shutting down). */
  scheduler (): 'off' | 'running' | 'stopped'
  /** Stops every schedule and waits for the runs under way, so each is recorded and its lease let go before the database closes. */
  stop (): Promise<void>
  /** Runs a job as its schedule would (tests, and tools that drive the jobs themselves); null when its lease is held. */
  run (id: string, trigger?: JobTrigger): Promise<RunResult | null>
  /**
   * Run now (the admin page): runs the job under its lease at once and answers with the outcome, or after `waitMs` with
   * "still running" (the run goes on and is recorded). Throws LC_ERR_JOB_UNKNOWN, or LC_ERR_JOB_RUNNING naming the
   * instance that holds the lease; an error the job throws is part of the outcome.
   */
  runNow (id: string, startedBy: string | Auditor, waitMs?: number): Promise<RunNowResult>
  /** Every job with its schedule, next run, whether it is running and where, and its recent runs. */
  overview (): Promise<JobOverview[]>
}

const recentRunsShown = 10

/**
 * The jobs' schedules (manifest, overridden by the jobSchedules setting, checked at load),
 * the work each does, and runs under the lease in lc_job_locks with a record in
 * lc_job_runs, whether node-cron fired them or an administrator pressed Run now. Every
 * instance schedules every job; the lease makes one instance do each run.
 */
export function createJobService (deps: JobServiceDeps): JobService {
  const { db, manifest, settings, routing, distributor, chats, customer, files, im, tokens, host, log, clock = Date.now, on = () => true } = deps
  const observe = deps.observe ?? (() => {})
  const leaseMs = deps.leaseMs ?? defaultLeaseMs
  const owner = (deps.instanceName ?? `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(3).toString('hex')}`).slice(0, 64)
  // Refuses a bad cron expression or an unknown job id in settings before anything starts.
  let schedules = resolveSchedules(manifest, settings.jobSchedules)
  const minute = 60_000

  // Made at each run, with the settings of the moment (the settings screen may change them).
  const purge = (ctx: JobContext, items: ItemGuard) => createPurge({ chats, files, clock, afterDays: settings.purgeAfterDays, batchSize: settings.purgeBatchSize, ...purgePace(getDialect(db)), busy: () => poolBusy(db), probe: async () => await probeLatency(db) })(ctx, items)
  // Deleted instant message threads go with the same retention, in the same job, after the chats.
  const purgeIm = (ctx: JobContext, items: ItemGuard) => createImPurge({ im, clock, afterDays: settings.purgeAfterDays, batchSize: settings.purgeBatchSize, targetMs: purgePace(getDialect(db)).targetMs, busy: () => poolBusy(db) })(ctx, items)

  /** Audit log entries past auditRetentionDays, in short batches while the lease is ours; returns how many went. */
  async function purgeAudit (ctx: JobContext): Promise<number> {
    if (!deps.audit) return 0
    const before = clock() - settings.auditRetentionDays * 24 * 60 * minute
    let total = 0
    for (;;) {
      if (!await ctx.stillOurs()) return total
      const n = await deps.audit.purge(before, settings.purgeBatchSize)
      total += n
      if (n < settings.purgeBatchSize) return total
    }
  }

  /** The department a chat's group belongs to, as leave-a-message names it in the ticket. */
  async function departmentOf (chat: Chat) {
    if (chat.groupId === null) return null
    const group = await routing.group(chat.groupId).catch(() => undefined)
    const department = group ? await routing.department(group.departmentId) : undefined
    return department ? { id: department.id, name: department.name, groupId: chat.groupId, online: false } : null
  }

  /**
   * A sweep's outcome with its items (docs/features.md#failing-items): the chats (or IM
   * conversations) that failed in this run make its error, naming them, before any other
   * error of the run; those still waiting are in the summary. Failures of items the run no
   * longer met are dropped, unless it was cut short.
   */
  async function withItems (ctx: JobContext, items: RunGuard, outcome: JobOutcome, otherErrors: string[] = []): Promise<JobOutcome> {
    if (await ctx.stillOurs()) await items.prune()
    const line = itemsLine(items)
    const failed = items.failedNow.slice(0, 3).map((f) => `${/^\d+$/.test(f.item) ? '#' + f.item : itemLabel(f.item)}: ${f.error}`)
    const skipped = items.failedNow.length > 0 ? [`${itemCount(items.failedNow.map((f) => f.item))} skipped, retried later (${failed.join('; ')})`] : []
    const errors = [...skipped, ...otherErrors, ...(outcome.error ? [outcome.error] : [])]
    return {
      rows: outcome.rows,
      summary: [outcome.summary, line].filter(Boolean).join('; '),
      error: errors.length > 0 ? errors.join('; ') : outcome.error
    }
  }
  const guardFor = (job: string): RunGuard => itemGuard(db, job, clock, log)

  const work: Record<string, JobFn> = {
    'presence-sweep': async () => await routing.sweepStale(),
    reoffer: async () => await distributor.reoffer(),
    'customer-gone': async (ctx): Promise<JobOutcome> => {
      const items = guardFor('customer-gone')
      const n = await chats.markCustomersGone(settings.customerGoneSeconds * 1000, items)
      return await withItems(ctx, items, { rows: n, summary: `Marked ${n} chat${n === 1 ? '' : 's'} whose customer left the window` })
    },
    purge: async (ctx): Promise<JobOutcome> => {
      // One guard for the run: the threads' failures are named im:<id> beside the chats' (docs/features.md#failing-items).
      const items = guardFor('purge')
      const chatsDone = await purge(ctx, items)
      const imDone = await purgeIm(ctx, threadGuard(items))
      if (chatsDone.chats > 0) {
        await deps.audit?.record(db, null, { action: 'chats.purged', subject: `${chatsDone.chats} deleted chat${chatsDone.chats === 1 ? '' : 's'}`, after: { chats: chatsDone.chats, rows: chatsDone.rows } })
      }
      const audited = await purgeAudit(ctx)
      const outcome = imDone.conversations === 0 && audited === 0
        ? chatsDone
        : {
            rows: chatsDone.rows + imDone.rows + audited,
            summary: [chatsDone.summary, imDone.conversations === 0 ? null : imDone.summary, audited === 0 ? null : `${audited} audit log entr${audited === 1 ? 'y' : 'ies'} older than ${settings.auditRetentionDays} days removed`].filter((x) => x !== null).join('; '),
            error: chatsDone.error
          }
      return await withItems(ctx, items, outcome)
    },
    // Every few seconds, under the lease: one instance sends at a time, and each delivery is claimed besides (plugin/webhooks/delivery.ts).
    webhooks: async (ctx): Promise<JobOutcome> => deps.webhooks ? await deps.webhooks.deliver(ctx.stillOurs) : { rows: 0, summary: 'Webhooks are not set up in this instance' },
    'api-calls': async (): Promise<JobOutcome> => {
      const days = settings.apiCallRetentionDays
      const n = await tokens.pruneCalls(clock() - days * 24 * 60 * minute)
      return { rows: n, summary: `Removed ${n} API call record${n === 1 ? '' : 's'} older than ${days} days` }
    },
    'im-idle': async (): Promise<JobOutcome> => {
      const n = await im.makeIdleInactive(settings.imInactiveHours * 60 * minute)
      return { rows: n, summary: `Made ${n} instant message conversation${n === 1 ? '' : 's'} inactive after ${settings.imInactiveHours} hours without a message` }
    },
    'idle-end': async (ctx): Promise<JobOutcome> => {
      if (settings.idleEndMinutes === 0) return { rows: 0, summary: 'Off: idleEndMinutes is 0' }
      const items = guardFor('idle-end')
      const n = await chats.endIdleChats(settings.idleEndMinutes * minute, ctx.stillOurs, items)
      return await withItems(ctx, items, { rows: n, summary: `Ended ${n} chat${n === 1 ? '' : 's'} whose customer had been gone for ${settings.idleEndMinutes} minutes` })
    },
    'queue-timeout': async (ctx): Promise<JobOutcome> => {
      if (settings.queueTimeoutMinutes === 0) return { rows: 0, summary: 'Off: queueTimeoutMinutes is 0' }
      const cancelled = host.cancelledStatus?.status ?? 'Cancelled'
      const items = guardFor('queue-timeout')
      const result = await chats.timeOutQueuedChats(settings.queueTimeoutMinutes * minute, {
        ticketFor: async (chat, text, messages) => await customer.leaveMessage({
          name: chat.customerName,
          email: chat.customerEmail,
          message: text,
          department: await departmentOf(chat),
          // Who the ticket is for is leave-a-message's lookup (findRequester): signed in, else by email.
          customer: null,
          customerUserId: chat.customerUserId,
          transcript: ticketEntries(messages),
          fromChat: { id: chat.id, waitedMinutes: Math.round((clock() - (chat.queuedAt ?? chat.createdAt)) / minute) }
        }),
        withdraw: async (chat, ref) => {
          await host.setTicketStatus(ref, cancelled, 'Answered in live chat')
          await host.addTicketActivity(ref, `Live chat #${chat.id} was taken or left before it could be closed for waiting too long, so this ticket made from it was set to ${cancelled}.`)
        }
      }, ctx.stillOurs, items)
      for (const f of result.failed) log.warn({ err: f.cause, chatId: f.chatId }, 'queue timeout: the help desk could not take a ticket for a chat; it stays queued')
      const parts = [`Closed ${result.closed} chat${result.closed === 1 ? '' : 's'} queued over ${settings.queueTimeoutMinutes} minutes into tickets`]
      if (result.withdrawn > 0) parts.push(`withdrew ${result.withdrawn} ticket${result.withdrawn === 1 ? '' : 's'} of chats taken meanwhile`)
      // Chats left queued are the guard's failures; a ticket that could not be withdrawn is said besides.
      const skippedChats = new Set(items.failedNow.map((f) => f.item))
      const withdrawals = result.failed.filter((f) => !skippedChats.has(String(f.chatId))).map((f) => `#${f.chatId}: ${f.error}`)
      return await withItems(ctx, items, { rows: result.closed, summary: parts.join('; ') }, withdrawals)
    }
  }

  /** Jobs this instance is running now: the lease keeps others out, this keeps a Run now from joining its own scheduled run. */
  const running = new Map<string, { startedAt: number, done: Promise<unknown> }>()

  function find (id: string): JobSchedule {
    const job = schedules.find((s) => s.id === id && work[s.id])
    if (!job) throw new LC_ERR_JOB_UNKNOWN(id, schedules.filter((s) => work[s.id]).map((s) => s.id).join(', '))
    return job
  }

  /** One run under the lease; null when it is held (by another instance, or this one's run of the same job). */
  async function run (id: string, trigger: JobTrigger, startedBy: string | null = null, tick?: number): Promise<RunResult | null> {
    const fn = work[id]!
    if (running.has(id)) { observe(id, 'skipped', null); return null }
    const done = runJobRecorded(db, id, owner, fn, clock, leaseMs, { trigger, startedBy, tick })
    // Timed here with the process's own clock: a pinned test clock must not make runs look instant.
    const began = performance.now()
    running.set(id, { startedAt: clock(), done })
    try {
      const result = await done
      const seconds = result ? (performance.now() - began) / 1000 : null
      observe(id, result === null ? 'skipped' : result.thrown !== undefined ? 'failed' : result.error ? 'error' : 'ok', seconds)
      return result
    } catch (err) {
      observe(id, 'failed', (performance.now() - began) / 1000)
      throw err
    } finally {
      running.delete(id)
    }
  }

  // Created stopped: they give the admin page its next runs in every instance, and start() runs them.
  const tasks = new Map<string, ScheduledTask>()
  let state: 'off' | 'running' | 'stopped' = 'off'
  const logger = {
    info: (m: string) => { log.info({}, m) },
    warn: (m: string) => { log.warn({}, m) },
    error: (m: string | Error) => { log.error({ err: m }, 'live chat job scheduler') },
    debug: () => {}
  }
  function schedule (job: JobSchedule): void {
    tasks.set(job.id, createTask(job.cron, async (context) => {
      if (!on()) return
      try {
        // Every instance's schedule fires at the same tick; the tick (to the second) names the run, so one of them runs it.
        const result = await run(job.id, 'schedule', null, Math.floor(context.date.getTime() / 1000) * 1000)
        if (result?.thrown !== undefined) log.error({ err: result.thrown, job: job.id }, 'live chat job failed')
        else if (result?.error) log.warn({ job: job.id, rows: result.rows, error: result.error }, 'live chat job ran with errors')
        else if (result?.rows) log.info({ job: job.id, rows: result.rows }, 'live chat job ran')
      } catch (err) {
        // The lease or the run record could not be written (the database is away): the next run tries again.
        log.error({ err, job: job.id }, 'live chat job could not run')
      }
    }, { name: `livechat:${job.id}`, noOverlap: true, logger, unref: true }))
  }
  for (const job of schedules) {
    if (work[job.id]) schedule(job)
    else log.warn({ job: job.id }, 'manifest lists a job this version does not implement; skipped')
  }

  /**
   * The jobSchedules setting changed on the settings screen (it was checked there): the
   * tasks whose cron changed are made again, started when the scheduler runs. A run under
   * way finishes; the next starts on the new schedule.
   */
  function reschedule (): void {
    const next = resolveSchedules(manifest, settings.jobSchedules)
    for (const job of next) {
      const old = schedules.find((s) => s.id === job.id)
      if (!work[job.id] || (old?.cron === job.cron && old.source === job.source) || state === 'stopped') continue
      void tasks.get(job.id)?.destroy()
      schedule(job)
      if (state === 'running') void tasks.get(job.id)!.start()
    }
    schedules = next
  }
  const stopWatching = deps.onSettingsChange?.((changed) => {
    if (!changed.has('jobSchedules')) return
    try {
      reschedule()
    } catch (err) {
      log.error({ err }, 'live chat: the new job schedules could not be applied; the old ones go on')
    }
  })

  return {
    owner,

    start (): void {
      state = 'running'
      for (const task of tasks.values()) void task.start()
    },

    scheduler: () => state,

    async stop (): Promise<void> {
      state = 'stopped'
      stopWatching?.()
      for (const task of tasks.values()) void task.destroy()
      tasks.clear()
      await Promise.allSettled([...running.values()].map(async (r) => await r.done))
    },

    async run (id: string, trigger: JobTrigger = 'schedule'): Promise<RunResult | null> {
      find(id)
      return await run(id, trigger)
    },

    async runNow (id: string, startedBy: string | Auditor, waitMs = 10_000): Promise<RunNowResult> {
      find(id)
      const startedAt = clock()
      const by = typeof startedBy === 'string' ? null : startedBy
      const going = run(id, 'manual', by?.name ?? startedBy as string).then((result) => {
        if (result?.thrown !== undefined) log.error({ err: result.thrown, job: id }, 'live chat job failed (Run now)')
        return result
      })
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => { resolve('late') }, waitMs) })
      const result = await Promise.race([going, late])
      clearTimeout(timer)
      if (by && result !== null) {
        const after = result === 'late' ? { finished: false } : { finished: true, rows: result.rows, summary: result.summary, error: result.error }
        await deps.audit?.record(db, by, { action: 'job.run', subject: `Job ${id}`, subjectId: id, after })
      }
      if (result === 'late') {
        // The run goes on; what it comes to is recorded (and logged) all the same.
        going.catch((err: unknown) => { log.error({ err, job: id }, 'live chat job could not run (Run now)') })
        return { finished: false, job: id, startedAt }
      }
      if (result === null) {
        const here = running.get(id)
        const lease = (await store.leases(db)).find((l) => l.name === id)
        const state = await store.jobState(db, id)
        const since = here?.startedAt ?? (state?.last_started_at == null ? null : Number(state.last_started_at))
        throw new LC_ERR_JOB_RUNNING(id, here ? `this instance (${owner})` : `instance ${lease?.owner ?? 'another instance'}`, since === null ? 'a moment ago' : new Date(since).toISOString().replace('T', ' ').slice(0, 19) + ' UTC')
      }
      return { finished: true, job: id, run: result }
    },

    async overview (): Promise<JobOverview[]> {
      const now = clock()
      const leases = new Map((await store.leases(db)).map((l) => [l.name, l]))
      const runs = await store.recentRuns(db, schedules.map((s) => s.id), recentRunsShown)
      const failures = await store.itemFailures(db)
      return schedules.map((job): JobOverview => {
        const lease = leases.get(job.id)
        const jobRuns = runs.get(job.id) ?? []
        const open = jobRuns.find((r) => r.finishedAt === null)
        const held = lease && lease.owner !== null && lease.lockedUntil > now
        const next = tasks.get(job.id)?.getNextRuns(1)[0]
        return {
          ...job,
          implemented: work[job.id] !== undefined,
          nextRun: next ? next.getTime() : null,
          running: held ? { owner: lease.owner!, since: open?.owner === lease.owner ? open.startedAt : null } : null,
          runs: jobRuns,
          failures: failures.filter((f) => f.job === job.id)
        }
      })
    }
  }
}
