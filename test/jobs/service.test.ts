import t from 'tap'
import type { HostAdapter } from '../../plugin/host/adapter.ts'
import { runJob } from '../../plugin/jobs/scheduler.ts'
import { jobModel } from '../../plugin/jobs/view-models.ts'
import { given } from '../helpers/given.ts'
import { jobServices } from '../helpers/jobs.ts'

const minute = 60_000

/** A door the help desk's ticket creation waits at, so a run can be caught half way. */
function door () {
  let open!: () => void
  let entered!: () => void
  const opened = new Promise<void>((resolve) => { open = resolve })
  const reached = new Promise<void>((resolve) => { entered = resolve })
  return { open, reached, async pass () { entered(); await opened } }
}

t.test('jobs service', async (t) => {
  let now = Date.UTC(2026, 10, 21, 12, 0, 0)
  const clock = (): number => now
  let hold: ReturnType<typeof door> | undefined
  const s = await jobServices(t, {
    clock,
    instanceName: 'instance-a',
    wrapHost: (real: HostAdapter): HostAdapter => ({ ...real, createTicket: async (ticket, write) => { await hold?.pass(); return await real.createTicket(ticket, write) } })
  })
  const overview = async (id: string) => (await s.jobs.overview()).find((j) => j.id === id)!

  t.test('Run now answers "still running" after its wait; meanwhile the job cannot start again in this instance; the run is recorded when it ends', async (t) => {
    await given.queuedChat(s, { name: 'Slow Desk' })
    now += 16 * minute
    hold = door()
    const first = await s.jobs.runNow('queue-timeout', 'Ada Admin', 50)
    t.same(first, { finished: false, job: 'queue-timeout', startedAt: now })
    await hold.reached
    await t.rejects(s.jobs.runNow('queue-timeout', 'Ada Admin'), { code: 'LC_ERR_JOB_RUNNING', statusCode: 409, message: /^The queue-timeout job is already running on this instance \(instance-a\) \(since 2026-11-21 12:16:00 UTC\)/ })
    t.equal(await s.jobs.run('queue-timeout'), null, 'its schedule firing meanwhile does nothing')
    const during = await overview('queue-timeout')
    t.same(during.running, { owner: 'instance-a', since: now })
    t.equal(jobModel('/livechat', during, now).last?.outcome, 'running')

    hold.open()
    hold = undefined
    // The run record is finished before the lease is released, so wait for both: the overview reads the lease.
    let after = await overview('queue-timeout')
    for (let i = 0; i < 200 && (after.running !== null || after.runs[0]?.finishedAt == null); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      after = await overview('queue-timeout')
    }
    t.equal(after.running, null)
    const last = jobModel('/livechat', after, now).last!
    t.equal(last.outcome, 'ok')
    t.equal(last.rows, 1)
    t.equal(last.trigger, 'Run now by Ada Admin')
    t.equal(last.owner, 'instance-a')
    t.equal(after.runs.length, 1, 'the refused attempts left no record')
  })

  t.test('a lease another instance holds: Run now is a 409 naming it, a scheduled run does nothing; once it expires the job runs', async (t) => {
    await s.knex('lc_job_locks').insert({ name: 'purge', owner: 'instance-b', locked_until: now + minute, last_started_at: now - 5000 })
    await t.rejects(s.jobs.runNow('purge', 'Ada Admin'), { code: 'LC_ERR_JOB_RUNNING', message: 'The purge job is already running on instance instance-b (since 2026-11-21 12:15:55 UTC); its outcome will show on this page when it finishes' })
    t.equal(await s.jobs.run('purge'), null)
    t.same((await overview('purge')).running, { owner: 'instance-b', since: null })
    now += minute + 1
    const done = await s.jobs.runNow('purge', 'Ada Admin')
    t.equal(done.finished, true)
    t.equal(done.finished && done.run.summary, 'No deleted chats older than 90 days')
  })

  t.test('a run its instance never finished shows as not finished once its lease is gone', async (t) => {
    await s.knex('lc_job_runs').insert({ job: 'reoffer', owner: 'crashed-instance', trigger: 'schedule', started_at: now - 10 * minute })
    const last = jobModel('/livechat', await overview('reoffer'), now).last!
    t.equal(last.outcome, 'interrupted')
    t.match(last.error, /^crashed-instance stopped before the run finished/)
  })

  t.test('keeps the latest runs of each job only', async (t) => {
    for (let i = 1; i <= 5; i++) await runJob(s.knex, 'prune-check', 'instance-a', async () => i, clock, undefined, { keepRuns: 3 })
    t.same((await s.knex('lc_job_runs').where({ job: 'prune-check' }).orderBy('id')).map((r: { rows: number }) => Number(r.rows)), [3, 4, 5])
  })

  t.test('a long run renews its lease, and learns when another instance has taken it', async (t) => {
    const result = await runJob(s.knex, 'long', 'instance-a', async (ctx) => {
      now += minute
      t.equal(await ctx.stillOurs(), true, 'a minute in: not renewed yet')
      now += minute
      t.equal(await ctx.stillOurs(), true)
      t.equal(Number((await s.knex('lc_job_locks').where({ name: 'long' }).first()).locked_until), now + 5 * minute, 'renewed')
      now += 6 * minute
      await s.knex('lc_job_locks').where({ name: 'long' }).update({ owner: 'instance-b', locked_until: now + minute })
      t.equal(await ctx.stillOurs(), false, 'expired and taken')
      return 0
    }, clock)
    t.equal(result, 0)
  })

  t.test('a job that throws is recorded with its error, and the lease is let go', async (t) => {
    await t.rejects(runJob(s.knex, 'throwing', 'instance-a', async () => { throw new Error('disk full') }, clock), { message: 'disk full' })
    const [run] = await s.knex('lc_job_runs').where({ job: 'throwing' })
    t.equal(run.error, 'disk full')
    t.equal(run.rows, null)
    t.ok(run.finished_at !== null)
  })

  t.test('unknown jobs are refused', async (t) => {
    await t.rejects(s.jobs.run('nightly'), { code: 'LC_ERR_JOB_UNKNOWN', statusCode: 404 })
    await t.rejects(s.jobs.runNow('nightly', 'Ada Admin'), { code: 'LC_ERR_JOB_UNKNOWN' })
  })

  t.test('every job of the manifest is listed with its schedule and next run', async (t) => {
    const jobs = await s.jobs.overview()
    t.same(jobs.map((j) => j.id), ['presence-sweep', 'customer-gone', 'reoffer', 'purge', 'idle-end', 'queue-timeout', 'api-calls', 'im-idle', 'webhooks'])
    for (const j of jobs) {
      t.ok(j.implemented, j.id)
      t.equal(typeof j.nextRun, 'number', `${j.id} has a next run`)
    }
    s.jobs.start()
    await s.jobs.stop()
    t.equal((await s.jobs.overview())[0]!.nextRun, null, 'stopped for good: no next run')
  })
})
