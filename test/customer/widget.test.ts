import t from 'tap'
import { createHoursService } from '../../plugin/routing/hours-service.ts'
import type { Schedule } from '../../plugin/routing/hours.ts'
import { statusPerMinute } from '../../plugin/customer/widget-routes.ts'
import { build, cookiesOf, csrf, sameOrigin } from '../helpers/build.ts'

// docs/features.md#embeddable-widget: the widget's files, its availability line for the
// widget sites only, and the customer's pages framed by those sites with cookies that a
// third-party frame keeps.

const site = 'https://shop.example.com'

t.test('embeddable widget', async (t) => {
  const { app } = await build(t, { pluginOptions: { settings: { chatStartsPerMinute: 1000, widgetOrigins: [site, 'https://www.example.org'] } } })

  t.test('widget.js and widget.css load on other sites', async (t) => {
    for (const [path, type] of [['/livechat/widget.js', 'text/javascript'], ['/livechat/widget.css', 'text/css']] as const) {
      const res = await app.inject({ url: path })
      t.equal(res.statusCode, 200, path)
      t.match(String(res.headers['content-type']), type)
      t.equal(res.headers['cross-origin-resource-policy'], 'cross-origin', `${path} may be loaded cross-origin`)
    }
    t.equal((await app.inject({ url: '/livechat/widget.js?v=2' })).statusCode, 200, 'a version may be added')
    t.equal((await app.inject({ url: '/livechat/widget.js?callback=x' })).statusCode, 400, 'nothing else')
  })

  t.test('the status answers a widget site by CORS', async (t) => {
    const res = await app.inject({ url: '/livechat/widget/status', headers: { origin: site } })
    t.equal(res.statusCode, 200)
    t.equal(res.headers['access-control-allow-origin'], site)
    t.match(String(res.headers.vary), /Origin/)
    t.strictSame(res.json(), { available: true, label: 'Chat with us', detail: null })
    const slash = await app.inject({ url: '/livechat/widget/status?department=1', headers: { origin: 'https://www.example.org' } })
    t.equal(slash.statusCode, 200, 'each site is answered')
  })

  t.test('the status refuses any other site, and a bad query', async (t) => {
    for (const origin of ['https://evil.example.com', 'http://shop.example.com', 'https://shop.example.com:8443', undefined]) {
      const res = await app.inject({ url: '/livechat/widget/status', headers: origin ? { origin, accept: 'application/json' } : { accept: 'application/json' } })
      t.equal(res.statusCode, 403, `${origin ?? 'no Origin'} is refused`)
      t.equal(res.json().code, 'LC_ERR_WIDGET_ORIGIN')
      t.notOk(res.headers['access-control-allow-origin'], 'and not told by CORS')
    }
    const bad = await app.inject({ url: '/livechat/widget/status?department=x', headers: { origin: site } })
    t.equal(bad.statusCode, 400)
  })

  t.test('the status is rate limited per address', async (t) => {
    const ask = async () => await app.inject({ url: '/livechat/widget/status', headers: { origin: site, accept: 'application/json' }, remoteAddress: '198.51.100.9' })
    for (let i = 0; i < statusPerMinute; i++) await ask()
    const res = await ask()
    t.equal(res.statusCode, 429)
    t.equal(res.json().code, 'LC_ERR_RATE_LIMITED')
    t.equal((await app.inject({ url: '/livechat/widget/status', headers: { origin: site } })).statusCode, 200, 'another address is still answered')
  })

  t.test('the customer\'s pages may be framed by the widget sites, and name them', async (t) => {
    const res = await app.inject({ url: '/livechat/start' })
    t.match(String(res.headers['content-security-policy']), `frame-ancestors 'self' ${site} https://www.example.org;`)
    t.notOk(res.headers['x-frame-options'], 'no contradicting X-Frame-Options')
    t.match(res.body, `<meta name="lc-frame-origins" content="${site} https://www.example.org">`)
  })

  t.test('a chat the desk no longer opens says so inside the frame, so the widget can start afresh', async (t) => {
    const res = await app.inject({ url: '/livechat/chat/999999' })
    t.equal(res.statusCode, 404)
    t.match(res.body, 'class="lc-page lc-error-page"')
    t.match(res.body, `<meta name="lc-frame-origins" content="${site} https://www.example.org">`)
    t.match(String(res.headers['content-security-policy']), `frame-ancestors 'self' ${site}`)
  })

  t.test('the console may not be framed by them', async (t) => {
    const res = await app.inject({ url: '/livechat/console' })
    t.match(String(res.headers['content-security-policy']), /frame-ancestors 'self';/)
    t.notMatch(res.body, /lc-frame-origins/)
  })

  t.test('inside a frame, cookies are SameSite=None, Secure and Partitioned', async (t) => {
    const framed = { 'sec-fetch-dest': 'iframe' }
    const page = await app.inject({ url: '/livechat/start', headers: framed })
    const csrfCookie = String(page.headers['set-cookie'])
    t.match(csrfCookie, /^lc_csrf=/)
    t.match(csrfCookie, /SameSite=None/)
    t.match(csrfCookie, /Secure/)
    t.match(csrfCookie, /Partitioned/)
    const token = /name="lc-csrf" content="([^"]+)"/.exec(page.body)![1]!
    const res = await app.inject({
      method: 'POST',
      url: '/livechat/start/continue',
      headers: { ...framed, ...sameOrigin, cookie: cookiesOf(page) },
      payload: { name: 'Dana Doyle', email: 'dana@customer.example', question: 'Where is my parcel', _csrf: token }
    })
    t.equal(res.statusCode, 303)
    const chatCookie = String(res.headers['set-cookie'])
    t.match(chatCookie, /^lc_chat_\d+=/)
    t.match(chatCookie, /HttpOnly/)
    t.match(chatCookie, /SameSite=None; Secure|Secure.*SameSite=None/)
    t.match(chatCookie, /Partitioned/)
  })

  t.test('outside a frame, and in a frame over plain HTTP on a named host, cookies stay as they were', async (t) => {
    const top = await app.inject({ url: '/livechat/start' })
    t.match(String(top.headers['set-cookie']), /SameSite=Strict/)
    t.notMatch(String(top.headers['set-cookie']), /Partitioned/)
    // A browser drops a Secure cookie sent over http:// by anything but a loopback host.
    const plain = await app.inject({ url: '/livechat/start', headers: { 'sec-fetch-dest': 'iframe', host: 'helpdesk.example' } })
    t.match(String(plain.headers['set-cookie']), /SameSite=Strict/)
    t.notMatch(String(plain.headers['set-cookie']), /Partitioned/)
  })

  t.test('a CSRF token is still required inside a frame', async (t) => {
    const { cookie } = await csrf(app, '')
    const res = await app.inject({
      method: 'POST',
      url: '/livechat/start',
      headers: { 'sec-fetch-dest': 'iframe', ...sameOrigin, cookie },
      payload: { name: 'Dana Doyle', email: 'dana@customer.example', question: 'Where is my parcel' }
    })
    t.equal(res.statusCode, 403)
    t.match(res.body, 'LC_ERR_CSRF')
  })
})

t.test('embeddable widget, offline and with no sites', async (t) => {
  const { app } = await build(t, { online: false, pluginOptions: { settings: { widgetOrigins: [site] } } })
  const res = await app.inject({ url: '/livechat/widget/status', headers: { origin: site } })
  t.equal(res.json().available, false)
  t.equal(res.json().label, 'Leave a message')
  t.match(res.json().detail, /Nobody is available|Chat opens|Chat is closed/)

  const none = await build(t)
  const page = await none.app.inject({ url: '/livechat/start' })
  t.match(String(page.headers['content-security-policy']), /frame-ancestors 'self';/, 'no sites: framed by the desk alone')
  t.notMatch(page.body, /lc-frame-origins/)
  const refused = await none.app.inject({ url: '/livechat/widget/status', headers: { origin: site, accept: 'application/json' } })
  t.equal(refused.statusCode, 403, 'no sites: the widget works nowhere')
})

t.test('embeddable widget outside business hours', async (t) => {
  // Monday 18:30 in Berlin (UTC+1 in December), after a 09:00–17:00 day.
  const now = Date.parse('2026-12-07T17:30:00Z')
  const clock = (): number => now
  const { app, knex } = await build(t, { pluginOptions: { clock, settings: { widgetOrigins: [site] } } })
  const support = Number((await knex('lc_departments').where({ name: 'Support' }).first('id')).id)
  const periods = [1, 2, 3, 4, 5].map((day) => ({ day, opens: 540, closes: 1020 })) as Schedule['periods']
  await createHoursService({ db: knex, clock }).setSchedule(support, { timeZone: 'Europe/Berlin', periods, holidays: [], closedMessage: null }, null)
  const res = await app.inject({ url: `/livechat/widget/status?department=${support}`, headers: { origin: site } })
  t.strictSame(res.json(), { available: false, label: 'Leave a message', detail: 'Chat opens tomorrow at 09:00 (Europe/Berlin).' })
})
