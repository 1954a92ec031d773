import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import { schedule, type ScheduledTask } from 'node-cron'
import type { Manifest } from '../manifest.ts'
import type { Distributor } from '../routing/distributor.ts'
import type { RoutingService } from '../routing/service.ts'
import * as store from './store.ts'

type JobFn = () => Promise<number>

export interface JobDeps {
  db: Knex
  manifest: Manifest
  routing: RoutingService
  distributor: Distributor
  log: { info: (obj: object, msg: string) => void, warn: (obj: object, msg: string) => void, error: (obj: object, msg: string) => void }
  clock?: () => number
}

/**
 * Runs one job under its lease (DESIGN §7) and records the outcome. Returns the rows
 * touched, or null when another instance holds the lease.
 */
export async function runJob (db: Knex, name: string, owner: string, fn: JobFn, clock: () => number = Date.now, ttlMs = 5 * 60_000): Promise<number | null> {
  if (!await store.takeLease(db, name, owner, clock(), ttlMs)) return null
  try {
    const rows = await fn()
    await store.finishRun(db, name, owner, clock(), rows, null)
    return rows
  } catch (err) {
    await store.finishRun(db, name, owner, clock(), null, String((err as Error).message).slice(0, 2000))
    throw err
  }
}

/**
 * Schedules every job the manifest lists, in every instance; the lease makes sure one
 * instance does each run.
 */
export function startJobs ({ db, manifest, routing, distributor, log, clock = Date.now }: JobDeps): { stop: () => void } {
  const owner = randomUUID()
  const work: Record<string, JobFn> = {
    'presence-sweep': async () => await routing.sweepStale(),
    reoffer: async () => await distributor.reoffer()
  }
  const tasks: ScheduledTask[] = []
  const logger = {
    info: (m: string) => { log.info({}, m) },
    warn: (m: string) => { log.warn({}, m) },
    error: (m: string | Error) => { log.error({ err: m }, 'live chat job scheduler') },
    debug: () => {}
  }
  for (const job of manifest.jobs) {
    const fn = work[job.id]
    if (!fn) {
      log.warn({ job: job.id }, 'manifest lists a job this version does not implement; skipped')
      continue
    }
    tasks.push(schedule(job.schedule, async () => {
      try {
        const rows = await runJob(db, job.id, owner, fn, clock)
        if (rows) log.info({ job: job.id, rows }, 'live chat job ran')
      } catch (err) {
        log.error({ err, job: job.id }, 'live chat job failed')
      }
    }, { name: `livechat:${job.id}`, noOverlap: true, logger, unref: true }))
  }
  return { stop: () => { for (const t of tasks) void t.destroy() } }
}
