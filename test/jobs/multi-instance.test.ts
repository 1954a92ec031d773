import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import type { Knex } from 'knex'
import t from 'tap'
import { buildDemoHost } from '../../demo-host/app.ts'
import { prepareDatabase } from '../../demo-host/setup.ts'
import type { HostAdapter } from '../../plugin/host/adapter.ts'
import liveChat from '../../plugin/index.ts'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { memoryBus } from '../../plugin/realtime/bus.ts'
import type { Bus } from '../../plugin/realtime/bus-events.ts'
import { redisBus } from '../../plugin/realtime/redis-bus.ts'
import { cookiesOf, joinCookies, login, sameOrigin, standBy, startChat } from '../helpers/build.ts'
import { sharedDatabase } from '../helpers/db.ts'

/**
 * Several instances on one database (docs/design.md §7, §9): every instance schedules every job and
 * the lease in lc_job_locks makes one of them do each run. With REDIS_URL the instances share
 * a Redis bus as in production; without it each has its own in-process bus (the lease needs
 * only the database).
 */

const redisUrl = process.env.REDIS_URL
const minute = 60_000
const settle = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

t.test('jobs on two instances', async (t) => {
  const stack: Array<() => Promise<void>> = []
  t.teardown(async () => { for (const fn of stack.reverse()) await fn() })
  const channel = `livechat:test:${randomUUID()}`

  // One database, a knex pool per instance.
  const { first, another } = await sharedDatabase(t.testdir(), (fn) => { stack.push(fn) })
  await prepareDatabase(first)
  await standBy(first, 'bob')
  const manifest = loadManifest()

  async function bus (): Promise<Bus> {
    if (!redisUrl) return memoryBus()
    const b = redisBus(redisUrl, { channel })
    stack.push(async () => { await b.close() })
    await b.ready()
    return b
  }
  function pool (): Knex {
    const knex = another()
    stack.push(async () => { await knex.destroy() })
    return knex
  }

  /** The plugin alone on a Fastify server, with the help desk's adapter wrapped as the test needs. */
  async function pluginInstance (name: string, wrap: (real: HostAdapter) => HostAdapter, options: Record<string, unknown>): Promise<FastifyInstance> {
    const knex = pool()
    const app = Fastify({ logger: false })
    await app.register(liveChat, { prefix: '/livechat', knex, host: wrap(sqlHost(knex, manifest.host)), bus: await bus(), instanceName: name, ...options })
    stack.push(async () => { await app.close() })
    await app.ready()
    return app
  }

  /** An administrator's Run now on `app`: the session is the help desk's, valid on every instance. */
  async function runNow (app: FastifyInstance, session: string, job: string): Promise<LightMyRequestResponse> {
    const page = await app.inject({ url: '/livechat/admin/jobs', headers: { cookie: session } })
    const token = /name="lc-csrf" content="([^"]+)"/.exec(page.body)?.[1]
    if (!token) throw new Error(`no CSRF token on the jobs page (${page.statusCode})`)
    return await app.inject({ method: 'POST', url: `/livechat/admin/jobs/${job}/run`, payload: {}, headers: { cookie: joinCookies(session, cookiesOf(page)), 'x-csrf-token': token, 'hx-request': 'true', ...sameOrigin } })
  }

  const tickets = async (chatId: number): Promise<number> => Number((await first('tickets').where('chat_id', chatId).count({ n: '*' }).first())?.n ?? 0)

  t.test('Run now on two instances at the same moment: one runs the job, the other gets a 409 naming it', async (t) => {
    // Instance A's help desk is slow to make tickets: its run holds the lease while B's Run now comes in.
    let entered!: () => void
    let release!: () => void
    const reached = new Promise<void>((resolve) => { entered = resolve })
    const gate = new Promise<void>((resolve) => { release = resolve })
    const A = await pluginInstance('instance-a', (real) => ({ ...real, createTicket: async (ticket, write) => { entered(); await gate; return await real.createTicket(ticket, write) } }), { jobs: false })
    const B = await buildDemoHost({ knex: pool(), logger: false, pluginOptions: { jobs: false, bus: await bus(), instanceName: 'instance-b', settings: { chatStartsPerMinute: 1000 } } })
    stack.push(async () => { await B.close() })
    await B.ready()
    const session = await login(B, 'admin')

    const { chatId } = await startChat(B, { name: 'Raced Customer' })
    await first('lc_chats').where('id', chatId).update({ queued_at: Date.now() - 20 * minute })

    const onA = runNow(A, session, 'queue-timeout')
    await reached
    const onB = await runNow(B, session, 'queue-timeout')
    t.equal(onB.statusCode, 409)
    t.match(onB.body, 'data-code="LC_ERR_JOB_RUNNING"')
    t.match(onB.body, /The queue-timeout job is already running on instance instance-a \(since /)
    release()
    const a = await onA
    t.equal(a.statusCode, 200)
    t.match(a.body, /queue-timeout ran in [\d.]+ s: Closed 1 chat queued over 15 minutes into tickets/)

    t.equal(await tickets(chatId), 1, 'one ticket')
    t.equal((await first('lc_chats').where('id', chatId).first()).status, 'cancelled')
    t.equal((await first('lc_messages').where({ chat_id: chatId }).andWhere('body', 'like', 'No agent could answer%')).length, 1, 'one event')
    const runs = await first('lc_job_runs').where({ job: 'queue-timeout' })
    t.same(runs.map((r: { owner: string, trigger: string }) => [r.owner, r.trigger]), [['instance-a', 'manual']], 'one run, on A')
  })

  t.test('both instances\' schedules firing every second: each chat is timed out once and runs never overlap', async (t) => {
    // Each ticket takes a moment, so a run holds the lease while the other instance's schedule fires.
    const slow = (real: HostAdapter): HostAdapter => ({ ...real, createTicket: async (ticket, write) => { await settle(150); return await real.createTicket(ticket, write) } })
    const every = { jobs: true, settings: { jobSchedules: { 'queue-timeout': '* * * * * *' } } }
    const before = (await first('lc_job_runs').where({ job: 'queue-timeout' })).length
    const chatIds: number[] = []
    const portal = await buildDemoHost({ knex: pool(), logger: false, pluginOptions: { jobs: false, bus: await bus(), settings: { chatStartsPerMinute: 1000 } } })
    stack.push(async () => { await portal.close() })
    await portal.ready()
    for (let i = 0; i < 4; i++) chatIds.push((await startChat(portal, { name: `Waiting ${i}` })).chatId)
    await first('lc_chats').whereIn('id', chatIds).update({ queued_at: Date.now() - 20 * minute })

    const C = await pluginInstance('instance-c', slow, every)
    const D = await pluginInstance('instance-d', slow, every)
    for (let i = 0; i < 200; i++) {
      const open = await first('lc_chats').whereIn('id', chatIds).andWhere('status', 'queued')
      if (open.length === 0) break
      await settle(50)
    }
    // Two more seconds of both schedules firing on nothing left to do.
    await settle(2100)
    await C.close()
    await D.close()

    for (const id of chatIds) {
      t.equal((await first('lc_chats').where('id', id).first()).status, 'cancelled', `chat ${id} timed out`)
      t.equal(await tickets(id), 1, `chat ${id} has one ticket`)
    }
    const runs = (await first('lc_job_runs').where({ job: 'queue-timeout' }).orderBy('started_at').orderBy('id')).slice(before) as Array<{ owner: string, started_at: number, finished_at: number, rows: number, trigger: string }>
    t.ok(runs.length >= 2, `${runs.length} runs recorded`)
    const ticks = runs.map((r) => Number((r as { tick?: number | string }).tick))
    t.ok(ticks.every((tick) => Number.isFinite(tick) && tick % 1000 === 0), 'each scheduled run names its tick, to the second')
    t.equal(new Set(ticks).size, ticks.length, 'no tick was run twice, though both instances fired at each')
    t.equal(runs.reduce((n, r) => n + Number(r.rows), 0), chatIds.length, 'the chats were closed once in all')
    for (const r of runs) {
      t.ok(['instance-c', 'instance-d'].includes(r.owner))
      t.equal(r.trigger, 'schedule')
      t.ok(r.finished_at !== null)
    }
    for (let i = 1; i < runs.length; i++) {
      t.ok(Number(runs[i]!.started_at) >= Number(runs[i - 1]!.finished_at), `run ${i} started after run ${i - 1} finished`)
    }
  })
})
