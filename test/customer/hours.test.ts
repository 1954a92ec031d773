import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import t from 'tap'
import { createHoursService } from '../../plugin/routing/hours-service.ts'
import type { Schedule } from '../../plugin/routing/hours.ts'
import { agentSession, build, csrf, sameOrigin, standBy, startChat } from '../helpers/build.ts'

// The customer's side of business hours (docs/features.md#business-hours): the portal link
// and the forms say when chat opens, and the server refuses a chat started outside them,
// while chats already waiting at closing time are still served. The plugin's clock is set
// by the test; agents' heartbeats are a year ahead of real time, so they stay fresh.

const at = (iso: string): number => Date.parse(iso)
const count = async (knex: Knex, table: string): Promise<number> => Number((await knex(table).count({ n: '*' }).first())?.n)
const departmentId = async (knex: Knex, name: string): Promise<number> => Number((await knex('lc_departments').where({ name }).first('id')).id)

/** Monday to Friday 09:00–12:00 and 13:00–17:00 in Berlin; closed on Christmas Eve. */
const supportHours: Schedule = {
  timeZone: 'Europe/Berlin',
  periods: [1, 2, 3, 4, 5].flatMap((day) => [{ day, opens: 540, closes: 720 }, { day, opens: 780, closes: 1020 }]) as Schedule['periods'],
  holidays: [{ date: '2026-12-24', name: 'Christmas Eve' }],
  closedMessage: 'For outages call <0800 123 456>'
}

// Berlin is UTC+1 in December.
const mondayMorning = at('2026-12-07T10:00:00Z')
const mondayBeforeClosing = at('2026-12-07T15:59:00Z')
const mondayEvening = at('2026-12-07T17:30:00Z')
const christmasEve = at('2026-12-24T10:00:00Z')

async function post (app: FastifyInstance, path: string, cookie: string, payload: object) {
  return await app.inject({ method: 'POST', url: `/livechat${path}`, headers: { cookie, ...sameOrigin }, payload })
}

t.test('business hours on the customer side', async (t) => {
  let now = mondayMorning
  const clock = (): number => now
  const { app, knex } = await build(t, { pluginOptions: { clock } })
  const support = await departmentId(knex, 'Support')
  const sales = await departmentId(knex, 'Sales')
  const hours = createHoursService({ db: knex, clock })

  t.test('no schedule: always open, as before', async (t) => {
    now = at('2026-12-06T03:00:00Z')
    const res = await app.inject({ url: `/livechat/portal/link?department=${support}` })
    t.match(res.body, /lc-portal-link--online/)
    t.match(res.body, new RegExp(`href="/livechat/start\\?department=${support}">Chat with us`))
  })

  await hours.setSchedule(support, supportHours, null)

  t.test('open: the portal link offers a chat, the form takes one', async (t) => {
    now = mondayMorning
    const res = await app.inject({ url: '/livechat/portal/link' })
    t.match(res.body, /lc-portal-link--online/)
    t.notMatch(res.body, /LC_ERR_DEPARTMENT_CLOSED/)
    const form = await app.inject({ url: `/livechat/start?department=${support}` })
    t.match(form.body, /Start chat/)
    t.match(form.body, new RegExp(`<option value="${support}" selected>Support</option>`))
    const { chatId } = await startChat(app, { question: 'Printer jams on the third floor' })
    t.match(await knex('lc_chats').where({ id: chatId }).first(), { status: 'queued' })
  })

  t.test('closed: the portal link says when chat opens, in the department\'s zone, and offers to leave a message', async (t) => {
    now = mondayEvening
    const one = await app.inject({ url: `/livechat/portal/link?department=${support}` })
    t.match(one.body, /lc-portal-link--offline/)
    t.match(one.body, new RegExp(`<a href="/livechat/message\\?department=${support}">Leave a message</a>`))
    t.match(one.body, /data-code="LC_ERR_DEPARTMENT_CLOSED">Chat opens tomorrow at 09:00 \(Europe\/Berlin\)\. For outages call &lt;0800 123 456&gt;<\/small>/, 'the message escaped')
    t.notMatch(one.body, /Chat is unavailable right now/, 'Support is closed, not unstaffed')

    // Without a department: Sales has no hours but nobody available, so both lines show, Support's by name.
    const all = await app.inject({ url: '/livechat/portal/link' })
    t.match(all.body, /lc-portal-link--offline/)
    t.match(all.body, /<strong>Support<\/strong>: Chat opens tomorrow at 09:00 \(Europe\/Berlin\)\./)
    t.match(all.body, /Chat is unavailable right now/)

    const form = await app.inject({ url: `/livechat/start?department=${support}` })
    t.match(form.body, /<h1>Leave a message<\/h1>/)
    t.match(form.body, /data-code="LC_ERR_DEPARTMENT_CLOSED">Support is closed for chat now; chat opens tomorrow at 09:00 \(Europe\/Berlin\); leave a message and we will reply by email\.<\/p>/)
    t.match(form.body, /class="lc-hint lc-closed-message">For outages call &lt;0800 123 456&gt;<\/p>/)
    t.match(form.body, /<form id="lc-leave-message"/)

    now = at('2026-12-05T12:00:00Z')
    t.match((await app.inject({ url: `/livechat/portal/link?department=${support}` })).body, /Chat opens Monday at 09:00 \(Europe\/Berlin\)/, 'Saturday')
  })

  t.test('a holiday closes the day and is named', async (t) => {
    now = christmasEve
    const res = await app.inject({ url: `/livechat/portal/link?department=${support}` })
    t.match(res.body, /lc-portal-link--offline/)
    t.match(res.body, /Closed for Christmas Eve\. Chat opens tomorrow at 09:00 \(Europe\/Berlin\)\./)
    const form = await app.inject({ url: `/livechat/start?department=${support}` })
    t.match(form.body, /LC_ERR_DEPARTMENT_CLOSED/)
  })

  t.test('a department open but unstaffed still reads as before', async (t) => {
    now = mondayMorning
    const res = await app.inject({ url: `/livechat/portal/link?department=${sales}` })
    t.match(res.body, /lc-portal-link--offline/)
    t.match(res.body, /Chat is unavailable right now/)
    t.notMatch(res.body, /LC_ERR_DEPARTMENT_CLOSED/)
  })

  t.test('the server refuses a chat started after closing, even from a form opened before', async (t) => {
    now = mondayBeforeClosing
    const c = await csrf(app, '', `/livechat/start?department=${support}`)
    t.ok(c.token, 'the form was open at 16:59')
    now = mondayEvening
    const before = await count(knex, 'lc_chats')
    const payload = { name: 'Dana Doyle', email: 'dana@customer.example', department: String(support), question: 'Is my <b>VPN</b> down?', _csrf: c.token }
    for (const path of ['/start', '/start/continue']) {
      const res = await post(app, path, c.cookie, payload)
      t.equal(res.statusCode, 422, path)
      t.match(res.body, /data-code="LC_ERR_DEPARTMENT_CLOSED">Support is closed for chat now; chat opens tomorrow at 09:00 \(Europe\/Berlin\); leave a message and we will reply by email\. Everything you typed is kept below\./)
      t.match(res.body, /<textarea id="lc-message" name="message"[^>]*>Is my &lt;b&gt;VPN&lt;\/b&gt; down\?<\/textarea>/)
    }
    t.equal(await count(knex, 'lc_chats'), before, 'no chat stored')

    // The pre-chat form marks it closed where the customer has a choice.
    await standBy(knex, 'carol')
    const form = await app.inject({ url: `/livechat/start?department=${sales}` })
    t.match(form.body, new RegExp(`<option value="${support}">Support \\(closed\\)</option>`))
  })

  t.test('a chat queued before closing is still served after it', async (t) => {
    now = mondayBeforeClosing
    const { chatId, cookie } = await startChat(app, { question: 'Outlook keeps asking for my password' })
    now = mondayEvening
    const window = await app.inject({ url: `/livechat/chat/${chatId}`, headers: { cookie } })
    t.equal(window.statusCode, 200)
    t.notMatch(window.body, /LC_ERR_DEPARTMENT_CLOSED|closed for chat/, 'the waiting customer is not told it closed')
    t.match(await knex('lc_chats').where({ id: chatId }).first(), { status: 'queued' }, 'still waiting, not ended or refused')
    const bob = await agentSession(app, 'bob')
    const accepted = await bob.post(`/livechat/console/chats/${chatId}/accept`)
    t.equal(accepted.statusCode, 200)
    t.match(await knex('lc_chats').where({ id: chatId }).first(), { status: 'active' })
  })

  t.test('removing the schedule opens it at any hour again', async (t) => {
    now = mondayEvening
    await hours.setSchedule(support, null, null)
    const res = await app.inject({ url: `/livechat/portal/link?department=${support}` })
    t.match(res.body, /lc-portal-link--online/)
  })
})
