import type { Knex } from 'knex'
import type { JobService } from '../jobs/service.ts'
import type { Bus } from '../realtime/bus-events.ts'
import * as store from './store.ts'

export interface OpsServiceDeps {
  db: Knex
  bus: Pick<Bus, 'check'>
  jobs: Pick<JobService, 'scheduler'>
  /** Whether this instance was told to run the scheduled jobs (the plugin's `jobs` option). */
  jobsWanted: boolean
}

/** Each part serving chats needs: 'ok', or why not, in a line an operator reads. */
export interface Readiness {
  ready: boolean
  checks: { database: string, bus: string, jobs: string }
  failing: string[]
}

export interface OpsService {
  /** Asks the database, the bus and the scheduler, each within 2 s, at the same time. */
  readiness (): Promise<Readiness>
}

/** How long one check may take before it counts as failed: a probe must answer before its own timeout. */
const checkTimeoutMs = 2_000

/** The result of one check: 'ok', or why not. */
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

/** Whether this instance can serve chats now (docs/features.md#health-and-readiness). */
export function createOpsService ({ db, bus, jobs, jobsWanted }: OpsServiceDeps): OpsService {
  return {
    async readiness () {
      const [database, busCheck] = await Promise.all([
        probe(async () => { await store.ping(db) }),
        bus.check ? probe(async () => { await bus.check!() }) : Promise.resolve('ok')
      ])
      const scheduler = jobs.scheduler()
      const checks = {
        database,
        bus: busCheck,
        jobs: scheduler === 'running' || (!jobsWanted && scheduler === 'off') ? 'ok' : `scheduler ${scheduler}`
      }
      const failing = Object.entries(checks).filter(([, v]) => v !== 'ok').map(([k]) => k)
      return { ready: failing.length === 0, checks, failing }
    }
  }
}
