import t from 'tap'
import { createSurveyService } from '../../plugin/surveys/service.ts'
import { reportHistory } from '../helpers/given.ts'
import { build, login } from '../helpers/build.ts'

/** The value of the summary's "This period" cell for a figure, from the page. */
function figure (body: string, name: string): number | null {
  const m = new RegExp(`<th scope="row">${name}</th><td data-value="(-?[\\d.]+)">`).exec(body)
  return m ? Number(m[1]) : null
}

t.test('reports: the page, its exports and who sees what', async (t) => {
  const { app, knex } = await build(t)
  // One chat in Support L1 that alice takes and answers, one waiting in Sales.
  const { routing, chats, group, alice, bob, sam, customer, l1, aliceScope } = await reportHistory(knex)

  const as = async (username: string) => {
    const cookie = await login(app, username)
    return async (query = '', path = '/livechat/console/reports') => await app.inject({ method: 'GET', url: `${path}${query}`, headers: { cookie } })
  }
  const admin = await as('admin')

  t.test('an administrator sees every group', async (t) => {
    const res = await admin('?period=today')
    t.equal(res.statusCode, 200)
    t.equal(figure(res.body, 'Chats started'), 2)
    t.equal(figure(res.body, 'Answered'), 1)
    t.match(res.body, /<svg class="lc-chart" id="lc-chart-hours"[^>]*role="img"/, 'charts are images with their title and description')
    t.match(res.body, /<title id="lc-chart-hours-title">Chats started by hour of the day<\/title>/)
    t.match(res.body, /href="\/livechat\/console\/reports\/agents\.csv\?period(=|&#x3D;)today"/, 'each table exports with the same filters')
    const support = (await routing.departments()).find((d) => d.name === 'Support')!.id
    t.equal(figure((await admin(`?period=today&department=${support}`)).body, 'Chats started'), 1, 'filtered to Support')
    t.equal(figure((await admin(`?period=today&agent=${alice}`)).body, 'Chats started'), 1, 'filtered to alice')
  })

  t.test('deflection: beside the period before, by department, none for an agent', async (t) => {
    const support = (await routing.departments()).find((d) => d.name === 'Support')!.id
    await knex('lc_kb_deflections').insert({
      question: 'How do I reset my password?',
      article_id: 'kb-1',
      article_title: 'Passwords',
      article_url: 'https://help.example/kb-1',
      department_id: support,
      department_name: 'Support',
      customer_user_id: null,
      customer_email: 'erin@customer.example',
      created_at: Date.now()
    })
    const all = (await admin('?period=today')).body
    t.equal(figure(all, 'Questions a suggested solution answered'), 1)
    // 1 deflected out of 1 + 2 chats started.
    t.equal(figure(all, 'Deflection rate, percent'), 33.3)
    t.match(all, /<th scope="row">Deflection rate, percent<\/th><td data-value="33.3">33.3%<\/td><td>—<\/td>/, 'the period before asked nothing')
    t.equal(figure((await admin(`?period=today&department=${support}`)).body, 'Deflection rate, percent'), 50, '1 of 1 + 1 in Support')
    t.equal(figure((await admin(`?period=today&agent=${alice}`)).body, 'Deflection rate, percent'), null, 'an agent\'s figures have none')
    await knex('lc_kb_deflections').delete()
  })

  t.test('tickets created from chats: in the summary and per group', async (t) => {
    await knex('lc_chat_items').insert({
      chat_id: l1.chat.id,
      kind: 'ticket',
      ticket_ref: 'INC-7',
      ticket_url: 'https://desk.example/tickets/INC-7',
      created_by: alice,
      created_by_name: 'Alice Adams',
      created_at: Date.now(),
      created_from_chat: true
    })
    const page = (await admin('?period=today')).body
    t.equal(figure(page, 'Tickets created from chats'), 1)
    t.match(page, /<th scope="row">Support › Support L1<\/th>(<td data-value="\d+">\d+<\/td>){4}<td data-value="1">1<\/td>/, 'in its group\'s row')
    const csv = (await admin('?period=today', '/livechat/console/reports/groups.csv')).body.split('\r\n')
    t.equal(csv[0], '"Group","Chats started","Answered","Missed","Abandoned","Tickets created"')
    await knex('lc_chat_items').where({ ticket_ref: 'INC-7' }).delete()
  })

  t.test('each agent\'s concurrent load, in the table and its CSV', async (t) => {
    const csv = (await admin('?period=today', '/livechat/console/reports/agents.csv')).body.split('\r\n')
    t.equal(csv[0], '"Agent","Chats","Answered","Time to first response, median","Handle time, median","Concurrent load, average","Concurrent load, peak"')
    t.match(csv[1], /^"Alice Adams",.*,"1","1"$/, 'alice had one chat open as she got it')
  })

  t.test('a supervisor of Sales sees nothing of Support', async (t) => {
    await routing.removeMember(group('Support L1'), sam)
    await routing.removeMember(group('Support L2'), sam)
    const supervisor = await as('sam')
    const res = await supervisor('?period=today')
    t.equal(res.statusCode, 200)
    t.equal(figure(res.body, 'Chats started'), 1, 'the Sales chat only')
    t.equal(figure(res.body, 'Answered'), 0)
    t.notMatch(res.body, /Support/, 'no Support group, department or figure named')
    const support = (await routing.departments()).find((d) => d.name === 'Support')!.id
    for (const q of [`?department=${support}`, `?group=${group('Support L1')}`]) {
      const refused = await supervisor(q)
      t.equal(refused.statusCode, 403, q)
      t.match(refused.body, /data-code="LC_ERR_REPORT_OUT_OF_SCOPE"/)
    }
    const csv = await supervisor(`?group=${group('Support L1')}`, '/livechat/console/reports/summary.csv')
    t.equal(csv.statusCode, 403, 'the export is refused the same way')
  })

  t.test('an agent sees their own figures only', async (t) => {
    const res = await (await as('alice'))('?period=today')
    t.equal(figure(res.body, 'Chats started'), 1)
    t.equal(figure(res.body, 'Answered'), 1)
    t.match(res.body, /Your own chats only/)
    t.notMatch(res.body, /name="agent"/, 'no filters beyond the period')
    t.equal(figure((await (await as('bob'))('?period=today')).body, 'Chats started'), 0, 'bob had no chat')
    const other = await (await as('alice'))(`?agent=${bob}`)
    t.equal(other.statusCode, 403)
    t.match(other.body, /data-code="LC_ERR_REPORT_OUT_OF_SCOPE"/)
  })

  t.test('CSV export: the table\'s rows, numbers raw', async (t) => {
    const res = await admin('?period=today', '/livechat/console/reports/summary.csv')
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^text\/csv/)
    t.match(res.headers['content-disposition'], /^attachment; filename="live-chat-summary-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv"$/)
    const lines = res.body.split('\r\n')
    t.equal(lines[0], '"Figure","This period","Period before","Change"')
    t.equal(lines[1], '"Chats started","2","0","2"')
    t.equal((await admin('', '/livechat/console/reports/nothing.csv')).statusCode, 400, 'an unknown table is refused')
  })

  t.test('bad input is refused with a clear 4xx', async (t) => {
    const cases: Array<[string, number, string | null]> = [
      ['?period=custom', 400, 'LC_ERR_REPORT_PERIOD'],
      ['?period=custom&from=2026-03-10&to=2026-03-01', 400, 'LC_ERR_REPORT_PERIOD'],
      ['?period=custom&from=2024-01-01&to=2026-01-01', 400, 'LC_ERR_REPORT_PERIOD'],
      ['?period=custom&from=2026-02-30&to=2026-03-01', 400, null],
      ['?period=365', 400, null],
      ['?colour=red', 400, null],
      ['?group=abc', 400, null]
    ]
    for (const [q, status, code] of cases) {
      const res = await admin(q)
      t.equal(res.statusCode, status, q)
      if (code) t.match(res.body, new RegExp(`data-code="${code}"`), q)
    }
    const custom = await admin('?period=custom&from=2026-03-01&to=2026-03-31')
    t.equal(custom.statusCode, 200)
    t.match(custom.body, /data-from="2026-03-01" data-to="2026-03-31"/)
    t.match(custom.body, /compared with 2026-01-29 to 2026-02-28/, 'the 31 days before')
    const anonymous = await app.inject({ method: 'GET', url: '/livechat/console/reports' })
    t.equal(anonymous.statusCode, 401)
  })

  t.test('satisfaction comments: the latest, escaped, with the chat, within scope', async (t) => {
    const surveys = createSurveyService({ db: knex, chats })
    const rated = await chats.startChat({ ...customer, question: 'Printer', groupId: group('Support L1') })
    await chats.acceptChat(rated.chat.id, aliceScope)
    await chats.postMessage(rated.chat.id, { kind: 'agent', id: alice, name: 'Alice Adams' }, 'Fixed', null)
    await chats.endChat(rated.chat.id, { kind: 'agent', id: alice, name: 'Alice Adams' })
    await surveys.submit(rated.chat.id, rated.token, null, { rating: '4', comment: '<b>Quick</b> & kind' })
    const res = await admin('?period=today')
    t.match(res.body, new RegExp(`<li class="lc-report-comment" data-chat="${rated.chat.id}" data-rating="4">`))
    t.match(res.body, new RegExp(`href="/livechat/console/chats/${rated.chat.id}">Chat #${rated.chat.id}</a>, rated 4 \\(good\\)`))
    t.match(res.body, /&lt;b&gt;Quick&lt;\/b&gt; &amp; kind/, 'the customer\'s words escaped')
    t.match((await (await as('alice'))('?period=today')).body, /data-chat="\d+" data-rating="4"/, 'alice sees the comment on her chat')
    const sales = (await (await as('sam'))('?period=today')).body
    t.notMatch(sales, /lc-report-comment"/, 'the Sales supervisor sees no Support comment')
    t.match(sales, /No comments on this period's chats\./)
  })
})
