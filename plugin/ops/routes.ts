import type { FastifyPluginAsync } from 'fastify'
import type { Knex } from 'knex'
import type { JobService } from '../jobs/service.ts'
import type { Bus } from '../realtime/bus-events.ts'
import { healthResponse, readyResponse } from './schemas.ts'

/** What the operator's probes read: the database, the bus between instances, the job scheduler. */
export interface OpsRoutesDeps {
  db: Knex
  bus: Pick<Bus, 'check'>
  jobs: Pick<JobService, 'scheduler'>
  /** Whether this instance was told to run the scheduled jobs (the plugin's `jobs` option). */
  jobsWanted: boolean
}

/** How long one check may take before it counts as failed: a probe must answer before its own timeout. */
const checkTimeoutMs = 2_000

/** The result of one check: 'ok', or why not, in a line an operator reads. */
async function probe (check: () => Promise<unknown>): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`no answer within ${checkTimeoutMs / 1000} s`)) }, checkTimeoutMs)
  })
  try {
    await Promise.race([check(), late])
    return 'ok'
  } catch (err) {
    return err instanceof Error ? err.message.split('\n')[0]!.slice(0, 200) : 'failed'
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Health (docs/features.md#health-and-readiness): `/health` says the process answers, for a
 * liveness probe that restarts it when it does not; `/ready` says whether this instance can
 * serve chats now, for a load balancer that sends it traffic only then. Neither needs a
 * session: probes have none. They name the failing part, never a secret. While the instance
 * closes, Fastify itself answers 503 to every request, these included, so it drains first.
 */
export const opsRoutes: FastifyPluginAsync<OpsRoutesDeps> = async (fastify, { db, bus, jobs, jobsWanted }) => {
  fastify.get('/health', { schema: { response: { 200: healthResponse } } }, async () => ({ status: 'ok' as const }))

  fastify.get('/ready', { schema: { response: { 200: readyResponse, 503: readyResponse } } }, async (_request, reply) => {
    const [database, busCheck] = await Promise.all([
      probe(async () => await db.raw('select 1')),
      bus.check ? probe(async () => { await bus.check!() }) : Promise.resolve('ok')
    ])
    const scheduler = jobs.scheduler()
    const checks = {
      database,
      bus: busCheck,
      jobs: scheduler === 'running' || (!jobsWanted && scheduler === 'off') ? 'ok' : `scheduler ${scheduler}`
    }
    const failing = Object.entries(checks).filter(([, v]) => v !== 'ok').map(([k]) => k)
    if (failing.length === 0) return { status: 'ready' as const, checks, failing }
    return await reply.code(503).header('retry-after', '5').send({ status: 'unavailable' as const, checks, failing })
  })
}
