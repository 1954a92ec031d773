import t from 'tap'
import { apiClient, tokenAdmin } from '../helpers/api.ts'
import { reportHistory } from '../helpers/given.ts'
import { build } from '../helpers/build.ts'

t.test('JSON API: reports, with the page\'s scope rules', async (t) => {
  const { app, knex } = await build(t)
  // One chat in Support L1 that alice takes and answers, one waiting in Sales.
  const { routing, group, alice, bob, sam, l1 } = await reportHistory(knex)
  const support = (await routing.departments()).find((d) => d.name === 'Support')!.id

  const { create } = await tokenAdmin(app)
  const token = async (form: Parameters<typeof create>[0]) => apiClient(app, (await create({ scopes: ['chats:read'], ...form })).secret)
  const desk = await token({ name: 'Desk' })

  t.test('an integration sees every group, and filters like the page', async (t) => {
    const res = await desk('GET', '/reports?period=today')
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.match(body, { period: { days: 1, timeZone: 'UTC' }, previous: { days: 1 }, filter: { department: null, group: null, agent: null } })
    t.match(body.current, { started: 2, answered: 1, missed: 0, abandoned: 0, firstResponse: { count: 1 }, wait: { count: 1 } })
    t.equal(body.current.byHour.length, 24)
    t.match(body.current.agents, [{ agentId: alice, name: 'Alice Adams', chats: 1, answered: 1, averageLoad: 1, peakLoad: 1 }], 'with her concurrent load')
    t.same(body.current.groups.map((g: { name: string, started: number }) => `${g.name}: ${g.started}`).sort(), ['Sales › Sales: 1', 'Support › Support L1: 1'], 'each group named')
    t.equal(body.before.started, 0, 'nothing the day before')
    t.equal((await desk('GET', `/reports?period=today&department=${support}`)).json().current.started, 1, 'filtered to Support')
    t.equal((await desk('GET', `/reports?period=today&agent=${alice}`)).json().current.started, 1, 'filtered to alice')
  })

  t.test('bad periods and filters are refused with the field to fix', async (t) => {
    const backwards = await desk('GET', '/reports?period=custom&from=2026-03-05&to=2026-03-01')
    t.equal(backwards.statusCode, 400)
    t.match(backwards.json(), { code: 'LC_ERR_REPORT_PERIOD', field: 'querystring/from' })
    const unknown = await desk('GET', '/reports?period=12')
    t.equal(unknown.statusCode, 400)
    t.match(unknown.json(), { code: 'LC_ERR_VALIDATION', field: 'querystring/period' })
    t.equal((await desk('GET', '/reports?colour=red')).statusCode, 400, 'an unknown filter is refused, not ignored')
    t.equal((await apiClient(app, null)('GET', '/reports')).statusCode, 401)
  })

  t.test('a supervisor of Sales sees nothing of Support', async (t) => {
    await routing.removeMember(group('Support L1'), sam)
    await routing.removeMember(group('Support L2'), sam)
    const supervisor = await token({ name: 'Sam', actsAs: 'agent', username: 'sam' })
    const res = await supervisor('GET', '/reports?period=today')
    t.equal(res.statusCode, 200)
    t.match(res.json().current, { started: 1, answered: 0 })
    t.notMatch(res.body, /Support/, 'no Support group or figure named')
    for (const q of [`department=${support}`, `group=${group('Support L1')}`]) {
      const refused = await supervisor('GET', `/reports?${q}`)
      t.equal(refused.statusCode, 403, q)
      t.equal(refused.json().code, 'LC_ERR_REPORT_OUT_OF_SCOPE')
    }
  })

  t.test('an agent\'s token sees their own figures only', async (t) => {
    const own = await token({ name: 'Alice', actsAs: 'agent', username: 'alice' })
    const res = await own('GET', '/reports?period=today')
    t.match(res.json(), { filter: { agent: alice }, current: { started: 1, answered: 1 } })
    const other = await own('GET', `/reports?agent=${bob}`)
    t.equal(other.statusCode, 403)
    t.equal(other.json().code, 'LC_ERR_REPORT_OUT_OF_SCOPE')
    t.equal(res.json().deflection, null, 'a deflected question is nobody\'s chat')
  })

  t.test('deflection: questions a suggested article answered, beside the chats started, by department', async (t) => {
    const sales = (await routing.departments()).find((d) => d.name === 'Sales')!.id
    const now = Date.now()
    const deflected = (departmentId: number, name: string, at: number) => ({
      question: 'How do I reset my password?',
      article_id: 'kb-1',
      article_title: 'Passwords',
      article_url: 'https://help.example/kb-1',
      department_id: departmentId,
      department_name: name,
      customer_user_id: null,
      customer_email: 'erin@customer.example',
      created_at: at
    })
    // Today: one in Support, one in Sales; yesterday, the day before "today": one in Support.
    await knex('lc_kb_deflections').insert([deflected(support, 'Support', now), deflected(sales, 'Sales', now), deflected(support, 'Support', now - 86_400_000)])
    // Today 2 chats started (Support L1, Sales) and 2 deflected: 2 / (2 + 2) = 50%; yesterday 1 deflected, no chat: 100%.
    t.same((await desk('GET', '/reports?period=today')).json().deflection,
      { current: { deflected: 2, rate: 50 }, before: { deflected: 1, rate: 100 } })
    // Support: 1 chat and 1 deflected today, 1 / 2 = 50%.
    t.same((await desk('GET', `/reports?period=today&department=${support}`)).json().deflection,
      { current: { deflected: 1, rate: 50 }, before: { deflected: 1, rate: 100 } })
    t.equal((await desk('GET', `/reports?period=today&group=${group('Sales')}`)).json().deflection, null, 'a group filter has no deflection: a question has no group')
    // Sam supervises Sales only now: its 1 chat and 1 deflected question, nothing of Support's.
    const supervisor = await token({ name: 'Sam again', actsAs: 'agent', username: 'sam' })
    t.same((await supervisor('GET', '/reports?period=today')).json().deflection,
      { current: { deflected: 1, rate: 50 }, before: { deflected: 0, rate: null } })
  })

  t.test('tickets created from chats: by the chat\'s start, per group, linked ones left out', async (t) => {
    const item = (ref: string, fromChat: boolean) => ({
      chat_id: l1.chat.id,
      kind: 'ticket',
      ticket_ref: ref,
      ticket_url: `https://desk.example/tickets/${ref}`,
      created_by: alice,
      created_by_name: 'Alice Adams',
      created_at: Date.now(),
      created_from_chat: fromChat
    })
    // Two made from the Support L1 chat's transcript, one existing ticket linked to it.
    await knex('lc_chat_items').insert([item('INC-1', true), item('INC-2', true), item('INC-3', false)])
    const all = (await desk('GET', '/reports?period=today')).json().tickets
    t.same(all, { current: { created: 2, groups: [{ groupId: group('Support L1'), name: 'Support › Support L1', tickets: 2 }] }, before: { created: 0, groups: [] } })
    t.equal((await desk('GET', `/reports?period=today&group=${group('Sales')}`)).json().tickets.current.created, 0, 'none in Sales')
    t.equal((await desk('GET', `/reports?period=today&agent=${alice}`)).json().tickets.current.created, 2, 'the chats that count for alice')
    t.equal((await desk('GET', `/reports?period=today&agent=${bob}`)).json().tickets.current.created, 0)
  })
})
