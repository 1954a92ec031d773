import Fastify from 'fastify'
import t from 'tap'
import { prepareDatabase } from '../../demo-host/setup.ts'
import liveChat from '../../plugin/index.ts'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { cronProblem, resolveSchedules } from '../../plugin/jobs/schedules.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { testDatabase } from '../helpers/db.ts'

const manifest = loadManifest()

t.test('job schedules', async (t) => {
  t.test('come from the manifest, each job overridable in settings', async (t) => {
    const schedules = resolveSchedules(manifest, { purge: '0 3 * * *' })
    t.same(schedules.map((s) => s.id), manifest.jobs.map((j) => j.id))
    for (const id of ['presence-sweep', 'customer-gone', 'reoffer', 'purge', 'idle-end', 'queue-timeout']) t.ok(schedules.some((s) => s.id === id), id)
    const purge = schedules.find((s) => s.id === 'purge')!
    t.equal(purge.cron, '0 3 * * *')
    t.equal(purge.source, 'settings')
    const sweep = schedules.find((s) => s.id === 'presence-sweep')!
    t.equal(sweep.cron, manifest.jobs.find((j) => j.id === 'presence-sweep')!.schedule)
    t.equal(sweep.source, 'manifest')
  })

  t.test('a bad cron expression in settings is refused, naming the job, the expression and what is wrong', async (t) => {
    t.throws(() => resolveSchedules(manifest, { purge: '*/10 * * *' }), {
      code: 'LC_ERR_JOB_SCHEDULE_INVALID',
      message: 'The purge job cannot be scheduled: "*/10 * * *" (the jobSchedules setting) is not a cron expression node-cron accepts (expected 5 or 6 fields but got 4); write five or six fields, like */10 * * * * for every ten minutes'
    })
    t.throws(() => resolveSchedules(manifest, { 'idle-end': '61 * * * *' }), { code: 'LC_ERR_JOB_SCHEDULE_INVALID', message: /The idle-end job cannot be scheduled: "61 \* \* \* \*" .*\(minute: 61 is a invalid expression for minute\)/ })
    t.throws(() => resolveSchedules(manifest, { reoffer: 'every ten seconds' }), { code: 'LC_ERR_JOB_SCHEDULE_INVALID', message: /"every ten seconds"/ })
  })

  t.test('a bad cron expression in the manifest is refused the same way', async (t) => {
    const broken = { ...manifest, jobs: manifest.jobs.map((j) => j.id === 'queue-timeout' ? { ...j, schedule: '* * 31 2 *' } : j) }
    t.throws(() => resolveSchedules(broken, {}), { code: 'LC_ERR_JOB_SCHEDULE_INVALID', message: /The queue-timeout job cannot be scheduled: "\* \* 31 2 \*" \(manifest\.json's jobs section\)/ })
  })

  t.test('a job id in settings that does not exist is refused, listing the jobs', async (t) => {
    t.throws(() => resolveSchedules(manifest, { purgeDeleted: '0 3 * * *' }), {
      code: 'LC_ERR_JOB_UNKNOWN',
      message: `There is no scheduled job "purgeDeleted"; the jobs are ${manifest.jobs.map((j) => j.id).join(', ')}`
    })
  })

  t.test('cronProblem: null for what node-cron accepts', async (t) => {
    for (const ok of ['*/10 * * * *', '15 * * * * *', '0 3 * * 1-5', '@daily']) t.equal(cronProblem(ok), null, ok)
    t.match(cronProblem(''), /.+/)
  })
})

t.test('plugin registration with bad job schedules', async (t) => {
  const { knex, drop } = await testDatabase()
  t.teardown(drop)
  await prepareDatabase(knex)
  const host = sqlHost(knex, manifest.host)

  t.test('the plugin refuses to load with a bad cron expression, naming the job and the expression', async (t) => {
    const app = Fastify()
    app.register(liveChat, { prefix: '/livechat', knex, host, settings: { jobSchedules: { purge: '0 25 * * *' } } })
    await t.rejects(async () => { await app.ready() }, { code: 'LC_ERR_JOB_SCHEDULE_INVALID', message: /^The purge job cannot be scheduled: "0 25 \* \* \*"/ })
    await app.close()
  })

  t.test('the plugin refuses to load with a schedule for a job that does not exist', async (t) => {
    const app = Fastify()
    app.register(liveChat, { prefix: '/livechat', knex, host, settings: { jobSchedules: { nightly: '0 3 * * *' } } })
    await t.rejects(async () => { await app.ready() }, { code: 'LC_ERR_JOB_UNKNOWN', message: /There is no scheduled job "nightly"/ })
    await app.close()
  })

  t.test('a schedule that is not a string is refused by the settings schema', async (t) => {
    const app = Fastify()
    app.register(liveChat, { prefix: '/livechat', knex, host, settings: { jobSchedules: { purge: 5 } }, jobs: false })
    await t.rejects(async () => { await app.ready() }, { code: 'LC_ERR_SETTINGS_INVALID', message: /jobSchedules/ })
    await app.close()
  })
})
