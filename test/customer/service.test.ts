import t from 'tap'
import { composerModel } from '../../plugin/chats/view-models.ts'
import type { HostAdapter } from '../../plugin/host/adapter.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { resolveSettings } from '../../plugin/settings.ts'
import { createCustomerService, waitFrom } from '../../plugin/customer/service.ts'
import { createCustomerViews, departmentOptions, describeWait } from '../../plugin/customer/view-models.ts'
import { given, services } from '../helpers/given.ts'

const minute = 60_000

t.test('customer service and status lines', async (t) => {
  let now = Date.UTC(2026, 10, 20, 9, 0, 0)
  const s = await services(t, { clock: () => now })
  const settings = resolveSettings(loadManifest(), {})
  const customer = createCustomerService({ host: s.host, chats: s.chats, routing: s.routing })
  const views = createCustomerViews({ settings, host: s.host, chats: s.chats, routing: s.routing, customer })
  const l1 = await s.groupId('Support L1')
  const l2 = await s.groupId('Support L2')
  const salesGroup = await s.groupId('Sales')
  const department = async (name: string) => (await s.routing.departments()).find((d) => d.name === name)!.id

  t.test('departments: each with its entry group, online only while someone is available there', async (t) => {
    t.match(await customer.departments(), [{ name: 'Support', groupId: l1, online: false }, { name: 'Sales', groupId: salesGroup, online: false }])
    t.equal(await customer.online(), false)
    await given.available(s, 'bob')
    t.match(await customer.departments(), [{ name: 'Support', online: true }, { name: 'Sales', online: false }])
    t.equal(await customer.online(), true)
  })

  t.test('place: a known id, the first department online when none is posted, unknown for anything else', async (t) => {
    const sales = await department('Sales')
    t.match(await customer.place(String(sales)), { unknown: false, department: { name: 'Sales' }, online: false })
    t.match(await customer.place(''), { unknown: false, department: { name: 'Support' }, online: true })
    t.same(await customer.place('99999'), { unknown: true })
    t.match(await customer.preferred(99999), { department: { name: 'Support' } }, 'an unknown id in a link falls back')
  })

  t.test('startChat: starts in the department\'s entry group; an offline department refuses with LC_ERR_DEPARTMENT_OFFLINE', async (t) => {
    const support = await customer.place('')
    if (support.unknown) throw new Error('unreachable')
    const { chat } = await customer.startChat({ name: 'Dana Doyle', email: 'dana@customer.example', question: 'VPN', customer: null, place: support })
    t.equal(chat.groupId, l1)
    const sales = await customer.place(String(await department('Sales')))
    if (sales.unknown) throw new Error('unreachable')
    await t.rejects(customer.startChat({ name: 'Dana Doyle', email: 'dana@customer.example', question: 'Prices', customer: null, place: sales }),
      { code: 'LC_ERR_DEPARTMENT_OFFLINE', message: /^Sales has nobody available right now/ })
    await s.chats.endChat(chat.id, { kind: 'customer', id: null, name: 'Dana Doyle' })
  })

  t.test('status: the department\'s own queue lines, else the settings\'; no estimate without history', async (t) => {
    const sales = []
    for (let i = 0; i < 3; i++) sales.push((await given.queuedChat(s, { group: 'Sales' })).chat)
    const lines = await Promise.all(sales.map(async (c) => await views.status(c)))
    t.same(lines.map((l) => l.text), [
      'Thanks for your interest! You are next',
      'Thanks for your interest! One customer is ahead of you',
      'Thanks for your interest! 2 customers are ahead of you'
    ])
    t.same(lines.map((l) => l.wait), [null, null, null], 'Sales has no recent chats to estimate from')
    const { chat } = await given.queuedChat(s)
    t.match(await views.status(chat), { status: 'queued', text: 'You are next; an agent will be with you shortly', detail: null })
    t.equal((await views.status(chat, 2)).text, '2 people are ahead of you', 'a position the caller counted is used as is')
    for (const c of [...sales, chat]) await s.chats.endChat(c.id, { kind: 'customer', id: null, name: 'Dana Doyle' })
  })

  t.test('status: the estimate is the recent wait per place in line, shared by the agents available', async (t) => {
    // One Support L1 chat that waited 6 minutes today.
    const { chat: earlier } = await given.queuedChat(s)
    now += 6 * minute
    await s.chats.acceptChat(earlier.id, await s.scope('alice'))
    await given.available(s, 'bob')
    const first = (await given.queuedChat(s)).chat
    const second = (await given.queuedChat(s)).chat
    t.equal((await views.status(first)).wait, 'Estimated wait: about 6 minutes')
    t.equal((await views.status(second)).wait, 'Estimated wait: about 12 minutes', '6 minutes × 2 places / 1 agent')
    await given.available(s, 'alice')
    t.equal((await views.status(second)).wait, 'Estimated wait: about 6 minutes', 'two agents available halve it')
    t.equal(waitFrom({ recentMs: 30_000, available: 0 }, 0), 30_000, 'nobody available counts as one')
    t.equal(describeWait(59_999), 'Estimated wait: less than a minute')
    t.equal(describeWait(89_000), 'Estimated wait: about 1 minute')
    t.equal(describeWait(null), null)
    for (const c of [first, second]) await s.chats.endChat(c.id, { kind: 'customer', id: null, name: 'Dana Doyle' })
    await s.chats.endChat(earlier.id, { kind: 'agent', id: (await s.user('alice')).id, name: 'Alice Adams' })
  })

  t.test('status: a transfer waits for its group ("Connecting you to …") or for the named agent', async (t) => {
    const alice = await s.scope('alice')
    const toGroup = await given.activeChat(s, 'alice')
    const moved = await s.chats.transferChat(toGroup.chat.id, alice, { groupId: l2, agentId: null, auto: false, comment: 'needs L2' })
    t.match(await views.status(moved), { status: 'queued', text: 'Connecting you to Support L2…', detail: 'You are next; an agent will be with you shortly' })
    const carol = await s.user('carol')
    const toAgent = await given.activeChat(s, 'alice')
    const held = await s.chats.transferChat(toAgent.chat.id, alice, { groupId: l2, agentId: carol.id, auto: false, comment: '' })
    t.match(await views.status(held), { text: `Waiting for ${carol.name} to join`, detail: null, wait: null })
  })

  t.test('status and composer: a customer who leaves an assigned chat can no longer write; the agent keeps it', async (t) => {
    const { chat, agent } = await given.activeChat(s, 'alice')
    t.match(await views.status(chat), { status: 'active', text: 'You are chatting with Alice Adams' })
    const left = await s.chats.endChat(chat.id, { kind: 'customer', id: null, name: chat.customerName })
    t.equal(left.status, 'active')
    t.match(await views.status(left), { status: 'left', text: 'You left the chat' })
    t.match(composerModel('/livechat', left, 'customer', null), { open: false, closedText: /^You left the chat/, restartUrl: '/livechat/start' })
    t.equal(composerModel('/livechat', left, 'agent', agent.id).open, true, 'the agent still writes in it')
    const queued = (await given.queuedChat(s)).chat
    const cancelled = await s.chats.endChat(queued.id, { kind: 'customer', id: null, name: queued.customerName })
    t.equal((await views.status(cancelled)).text, 'You left the queue')
    const ended = await s.chats.endChat(chat.id, { kind: 'agent', id: agent.id, name: agent.name })
    t.equal((await views.status(ended)).text, 'This chat has ended')
  })

  t.test('leaveMessage: a host ticket with everything the customer wrote, no chat, their account as requester', async (t) => {
    const dana = await s.user('dana')
    const sales = (await customer.departments()).find((d) => d.name === 'Sales')!
    const ticket = await customer.leaveMessage({ name: dana.name, email: dana.email, message: 'Do you sell licences in bulk?\nWe need 40.', department: sales, customer: dana })
    t.match(ticket, { ref: /^TKT\d{6}$/, status: 'New' })
    const row = await s.knex('tickets').where('ref', ticket.ref).first()
    t.equal(row.kind, 'ticket')
    t.equal(String(row.requester_id), dana.id)
    t.equal(row.chat_id, null)
    t.equal(row.assignee_id, null)
    t.equal(row.summary, 'Message from Dana Doyle: Do you sell licences in bulk?')
    for (const part of ['Name: Dana Doyle', 'Email: dana@customer.example', 'Department: Sales', 'Do you sell licences in bulk?\nWe need 40.']) t.match(row.description, part)
    const anonymous = await customer.leaveMessage({ name: 'Pat', email: 'pat@example.com', message: 'x'.repeat(300), department: null, customer: null })
    const anon = await s.knex('tickets').where('ref', anonymous.ref).first()
    t.equal(anon.requester_id, null)
    t.equal(anon.summary, `Message from Pat: ${'x'.repeat(119)}…`, 'a long first line is cut in the summary, kept whole in the description')
    t.match(anon.description, 'Department: —')
  })

  t.test('leaveMessage: a failing host adapter is LC_ERR_MESSAGE_NOT_SAVED, with the adapter\'s error as its cause', async (t) => {
    const down = new Error('connection refused')
    const host: HostAdapter = { ...s.host, createTicket: async () => { throw down } }
    const broken = createCustomerService({ host, chats: s.chats, routing: s.routing })
    const err = await broken.leaveMessage({ name: 'Pat', email: 'pat@example.com', message: 'Hello', department: null, customer: null }).catch((e: unknown) => e) as Error & { code: string, statusCode: number }
    t.equal(err.code, 'LC_ERR_MESSAGE_NOT_SAVED')
    t.equal(err.statusCode, 503)
    t.equal(err.cause, down)
  })

  t.test('departmentOptions: a select only when there is a choice; offline ones marked for the pre-chat form', async (t) => {
    const list = [{ id: 1, name: 'Support', groupId: 1, online: true }, { id: 2, name: 'Sales', groupId: 2, online: false }]
    t.same(departmentOptions(list, '2', true), [{ id: 1, name: 'Support', selected: false }, { id: 2, name: 'Sales (offline)', selected: true }])
    t.same(departmentOptions(list, 1, false).map((o) => o.name), ['Support', 'Sales'])
    t.same(departmentOptions(list.slice(0, 1), 1, true), [])
  })
})
