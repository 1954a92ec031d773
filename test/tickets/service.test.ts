import t from 'tap'
import type { ChatChange } from '../../plugin/chats/service.ts'
import { type HostAdapter, type NewTicket, TicketRefused, type TicketTemplate } from '../../plugin/host/adapter.ts'
import { createItemService } from '../../plugin/items/service.ts'
import { createTicketService, findRequester } from '../../plugin/tickets/service.ts'
import { createTicketViews } from '../../plugin/tickets/view-models.ts'
import { createTranscriptService } from '../../plugin/transcripts/service.ts'
import { given, type Services, services } from '../helpers/given.ts'

/** What can go wrong in the help desk, switched on per test; everything else is the real adapter. */
interface Faults { create?: boolean, status?: boolean, templates?: boolean, shared?: boolean, refuseGuests?: boolean }

function serviceFor (s: Services, faults: Faults = {}, sent: NewTicket[] = []) {
  const real = s.host
  const host: HostAdapter = {
    ...real,
    async createTicket (ticket, write) {
      sent.push(ticket)
      if (faults.create) throw new Error('tickets table is locked')
      if (faults.refuseGuests && ticket.requesterId === null) throw new TicketRefused(`${ticket.requester?.email ?? 'the customer'} is not a user of this desk; add them, then create the ticket again`)
      return await real.createTicket(ticket, write)
    },
    async setTicketStatus (ref, status, reason) {
      if (faults.status) throw new Error('help desk is read-only for maintenance')
      await real.setTicketStatus(ref, status, reason)
    },
    async ticketTemplates (kind) {
      if (faults.templates) throw new Error('templates unavailable')
      return await real.ticketTemplates(kind)
    },
    sharesDatabase: (db) => faults.shared !== false && real.sharesDatabase!(db)
  }
  const items = createItemService({ db: s.knex, chats: s.chats, host })
  const transcripts = createTranscriptService({ chats: s.chats, routing: s.routing, host })
  return { items, tickets: createTicketService({ db: s.knex, chats: s.chats, items, transcripts, host }), deps: () => ({ db: s.knex, chats: s.chats, items, transcripts }) }
}

t.test('ticket service', async (t) => {
  const s = await services(t)
  const faults: Faults = {}
  /** Every ticket handed to the help desk, as it was handed. */
  const sent: NewTicket[] = []
  const { items, tickets, deps } = serviceFor(s, faults, sent)
  t.beforeEach(() => { for (const k of Object.keys(faults) as Array<keyof Faults>) delete faults[k] })
  const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => await p.then(() => undefined, (err: { code?: string }) => err.code)
  const ticketRow = async (ref: string) => await s.knex('tickets').where({ ref }).first()
  const ticketCount = async (): Promise<number> => Number((await s.knex('tickets').count({ n: '*' }).first())?.n)
  const actions = async (chatId: number): Promise<string[]> => (await s.knex('lc_chat_history').where({ chat_id: chatId }).orderBy('id')).map((r) => r.action as string)
  const template = async (kind: 'incident' | 'work_order', name: string): Promise<TicketTemplate> => {
    const found = (await s.host.ticketTemplates(kind)).find((x) => x.name === name)
    if (!found) throw new Error(`no seeded template ${name}`)
    return found
  }
  const [alice, bob, sam, dana] = [await s.scope('alice'), await s.scope('bob'), await s.scope('sam'), await s.user('dana')]

  /** Ends alice's chats so far: she takes four at most. */
  async function freeAlice (): Promise<void> {
    for (const c of await s.chats.agentChats(alice.id, 'active')) await s.chats.endChat(c.id, { kind: 'agent', id: alice.id, name: alice.name })
  }

  /** An active chat with alice, a reply and coaching in it. */
  async function talking () {
    await freeAlice()
    const { chat } = await given.activeChat(s, 'alice')
    await s.chats.postMessage(chat.id, { kind: 'agent', id: alice.id, name: alice.name }, 'Which VPN client do you use?', null)
    await s.chats.postCoaching(chat.id, sam, 'Ask for the exact error text', null)
    return chat
  }

  t.test('the kinds and the cancelled status come from the host mapping', async (t) => {
    t.same(tickets.kinds(), ['incident', 'work_order'])
    t.same(tickets.cancelled(), { status: 'Cancelled', reason: 'Abandoned chat' })
  })

  t.test('a desk with one kind offers a plain Ticket; a desk that names none offers every kind', async (t) => {
    const one = createTicketService({ ...deps(), host: { ...s.host, ticketKinds: ['ticket'] } })
    const every = createTicketService({ ...deps(), host: { ...s.host, ticketKinds: undefined, cancelledStatus: undefined } })
    t.same(one.kinds(), ['ticket'])
    t.same(every.kinds(), ['incident', 'work_order', 'ticket'])
    t.same(every.cancelled(), { status: 'Cancelled', reason: 'Abandoned chat' }, 'Cancelled / Abandoned chat by default')
    const chat = await talking()
    const menu = createTicketViews({ base: '/livechat', tickets: one }).menu(chat, alice)
    t.same(menu, { chatId: chat.id, action: `/livechat/console/chats/${chat.id}/tickets`, kinds: [{ kind: 'ticket', label: 'Create Ticket' }] })
    t.equal(createTicketViews({ base: '/livechat', tickets: one }).menu(chat, bob), null, 'not for bob')
    const { created } = await one.create(chat.id, alice, { kind: 'ticket', fields: {} })
    t.match(created!.ticket.ref, /^TKT\d{6}$/)
    t.equal(await codeOf(one.create(chat.id, alice, { kind: 'incident', fields: {} })), 'LC_ERR_TICKET_KIND')
  })

  t.test('without a template: the transcript is the description, the question the summary, the customer the requester', async (t) => {
    const chat = await talking()
    const { created } = await tickets.create(chat.id, alice, { kind: 'incident', fields: {} })
    t.ok(created)
    t.match(created!.ticket, { ref: /^INC\d{6}$/, status: 'New' })
    const row = await ticketRow(created!.ticket.ref)
    t.equal(row.summary, 'My VPN will not connect')
    t.equal(String(row.requester_id), dana.id, 'found by the email the customer gave')
    t.equal(String(row.assignee_id), alice.id)
    t.equal(Number(row.chat_id), chat.id)
    t.match(row.description, new RegExp(`^Transcript of chat #${chat.id}\\nDana Doyle with Alice Adams \\(Support / Support L1\\)`))
    t.match(row.description, /\n\d\d:\d\d {2}Dana Doyle: My VPN will not connect\n/)
    t.match(row.description, /\n\d\d:\d\d {2}\* Alice Adams joined the chat\n/)
    t.match(row.description, /\n\d\d:\d\d {2}Alice Adams: Which VPN client do you use\?\n/)
    t.notMatch(row.description, 'exact error text', 'coaching is for agents only')
    t.equal(row.details, null)
    const [item] = await items.createdTickets(chat.id)
    t.match(item, { kind: 'ticket', ticketRef: created!.ticket.ref, ticketUrl: created!.ticket.url, title: 'My VPN will not connect', createdFromChat: true, createdBy: alice.id })
    t.equal(item!.id, created!.itemId)
    t.same((await actions(chat.id)).slice(-1), ['ticket_created'])
    const history = await s.knex('lc_chat_history').where({ chat_id: chat.id, action: 'ticket_created' }).first()
    t.same(JSON.parse(history.data), { itemId: item!.id, ref: created!.ticket.ref, kind: 'incident', template: null })
    const activity = await s.knex('ticket_activity').where({ ticket_id: row.id })
    t.same(activity.map((a) => a.text), [`Created from live chat #${chat.id}`])
  })

  t.test('a signed-in customer is the requester; an email nobody has leaves none', async (t) => {
    const erin = await s.user('erin')
    await freeAlice()
    const signedIn = await s.chats.startChat({ name: 'Erin', email: 'someone-else@example.org', question: 'Printer jams', customer: erin, groupId: await s.groupId('Support L1') })
    await s.chats.acceptChat(signedIn.chat.id, alice)
    const a = await tickets.create(signedIn.chat.id, alice, { kind: 'work_order', fields: {} })
    t.match(a.created!.ticket.ref, /^WO\d{6}$/)
    t.equal(String((await ticketRow(a.created!.ticket.ref)).requester_id), erin.id)
    const { chat } = await given.queuedChat(s, { email: 'stranger@example.org' })
    await s.chats.acceptChat(chat.id, alice)
    const b = await tickets.create(chat.id, alice, { kind: 'incident', fields: {} })
    t.equal((await ticketRow(b.created!.ticket.ref)).requester_id, null)
  })

  t.test('the help desk is handed the requester, department, channel and the transcript as entries', async (t) => {
    const chat = await talking()
    sent.length = 0
    const { created } = await tickets.create(chat.id, alice, { kind: 'incident', fields: {} })
    t.equal(sent.length, 1)
    const ticket = sent[0]!
    t.match(ticket, { requesterId: dana.id, requester: { name: 'Dana Doyle', email: 'dana@customer.example' }, department: 'Support', channel: 'livechat', chatId: chat.id })
    const entries = ticket.transcript!
    t.same(entries.map((e) => [e.author, e.authorName, e.body]), [
      ['customer', 'Dana Doyle', 'My VPN will not connect'],
      ['system', 'Alice Adams', 'Alice Adams joined the chat'],
      ['agent', 'Alice Adams', 'Which VPN client do you use?']
    ], 'one entry per message the customer saw, coaching left out')
    t.ok(entries.every((e, i) => Number.isInteger(e.at) && (i === 0 || e.at >= entries[i - 1]!.at)), 'times in epoch ms, in order')
    t.match((await ticketRow(created!.ticket.ref)), { requester_name: 'Dana Doyle', requester_email: 'dana@customer.example', channel: 'livechat' })
  })

  t.test('a guest is handed over with the name and email they gave, and stored as the ticket\'s contact', async (t) => {
    await freeAlice()
    const { chat } = await given.queuedChat(s, { name: 'Gail Guest', email: 'Gail@Nowhere.example' })
    await s.chats.acceptChat(chat.id, alice)
    sent.length = 0
    const { created } = await tickets.create(chat.id, alice, { kind: 'incident', fields: {} })
    t.match(sent[0], { requesterId: null, requester: { name: 'Gail Guest', email: 'Gail@Nowhere.example' } })
    t.match(await ticketRow(created!.ticket.ref), { requester_id: null, requester_name: 'Gail Guest', requester_email: 'Gail@Nowhere.example' })
  })

  t.test('findRequester: signed in, else the one user with the email (trimmed, any case), else a guest', async (t) => {
    const erin = await s.user('erin')
    t.same(await findRequester(s.host, { user: erin, name: 'Typed', email: 'dana@customer.example' }), { id: erin.id, name: erin.name, email: erin.email }, 'signed in wins over the email typed')
    t.same(await findRequester(s.host, { userId: erin.id, name: 'Typed', email: '' }), { id: erin.id, name: erin.name, email: erin.email }, 'by id')
    t.same(await findRequester(s.host, { name: 'D', email: '  DANA@customer.EXAMPLE ' }), { id: dana.id, name: 'Dana Doyle', email: 'dana@customer.example' })
    t.same(await findRequester(s.host, { userId: '999999', name: 'Dana', email: 'dana@customer.example' }), { id: dana.id, name: 'Dana Doyle', email: 'dana@customer.example' }, 'a user gone since: by the email')
    t.same(await findRequester(s.host, { name: ' Gail ', email: ' gail@nowhere.example ' }), { id: null, name: 'Gail', email: 'gail@nowhere.example' })
    t.same(await findRequester(s.host, { name: '', email: 'gail@nowhere.example' }), { id: null, name: 'gail@nowhere.example', email: 'gail@nowhere.example' }, 'no name: the email stands in')
    t.same(await findRequester(s.host, { name: 'Nobody', email: ' ' }), { id: null, name: 'Nobody', email: '' }, 'no email: nothing is looked up')
    const twice = { ...s.host, findUsers: async () => [{ ...dana, id: 'a' }, { ...dana, id: 'b', email: 'Dana@Customer.example' }] }
    t.match(await findRequester(twice, { name: 'Dana', email: 'dana@customer.example' }), { id: null }, 'two users with the email: a guest, never a guess')
    const partial = { ...s.host, findUsers: async () => [{ ...dana, email: 'xdana@customer.example' }] }
    t.match(await findRequester(partial, { name: 'Dana', email: 'dana@customer.example' }), { id: null }, 'only an exact match counts')
  })

  t.test('a desk that will not take a guest\'s ticket says why, and nothing is made or linked', async (t) => {
    await freeAlice()
    const { chat } = await given.queuedChat(s, { email: 'stranger@example.org' })
    await s.chats.acceptChat(chat.id, alice)
    const before = await ticketCount()
    faults.refuseGuests = true
    const err = await tickets.create(chat.id, alice, { kind: 'incident', fields: {} }).then(() => null, (e: Error & { code?: string, statusCode?: number }) => e)
    t.equal(err?.code, 'LC_ERR_TICKET_REFUSED')
    t.equal(err?.statusCode, 422)
    t.equal(err?.message, 'The help desk would not take the incident: stranger@example.org is not a user of this desk; add them, then create the ticket again. Nothing was created or linked to the chat')
    t.equal(await ticketCount(), before)
    t.same(await items.createdTickets(chat.id), [])
    // A known customer's ticket is taken all the same.
    await freeAlice()
    const known = await talking()
    t.ok((await tickets.create(known.id, alice, { kind: 'incident', fields: {} })).created)
  })

  t.test('a template with every required field set is made at once, with its fields and text', async (t) => {
    const chat = await talking()
    const vpn = await template('incident', 'Network or VPN problem')
    const { created } = await tickets.create(chat.id, alice, { kind: 'incident', templateId: vpn.id, fields: {} })
    const row = await ticketRow(created!.ticket.ref)
    t.equal(row.summary, 'Cannot connect to the network or VPN')
    t.equal(String(row.template_id), vpn.id)
    t.same(JSON.parse(row.details), { impact: '3-Moderate/Limited', urgency: '3-Medium', service: 'Network and VPN', location: '' })
    t.match(row.description, new RegExp(`^Location \\(office floor / home / travelling\\):[\\s\\S]*Other users affected \\(yes/no\\):\\n\\nTranscript of chat #${chat.id}\\n`))
    const history = await s.knex('lc_chat_history').where({ chat_id: chat.id, action: 'ticket_created' }).first()
    t.equal(JSON.parse(history.data).template, 'Network or VPN problem')
  })

  t.test('a required field left blank comes back as a draft; Confirm + Save with it filled makes the ticket', async (t) => {
    const chat = await talking()
    const printer = await template('incident', 'Printer problem')
    const before = await ticketCount()
    const first = await tickets.create(chat.id, alice, { kind: 'incident', templateId: printer.id, fields: {} })
    t.ok(first.draft)
    t.equal(first.refused, false, 'the first arrival is not a refusal')
    t.equal(first.draft!.summary, 'Printing does not work')
    t.equal(first.draft!.summaryError, null)
    t.same(first.draft!.fields.map((f) => [f.name, f.required, f.value, f.error]), [
      ['impact', true, '3-Moderate/Limited', null], ['urgency', true, '3-Medium', null], ['service', false, 'Printing', null], ['asset_tag', true, '', null]
    ])
    t.match(first.draft!.description, /^Printer name or location:[\s\S]*\n\nTranscript of chat #/)
    t.equal(await ticketCount(), before, 'nothing made yet')

    const still = await tickets.create(chat.id, alice, { kind: 'incident', templateId: printer.id, summary: ' Floor 3 printer ', fields: { impact: '2-Significant/Large', urgency: 'Whenever', asset_tag: '  ' } })
    t.equal(still.refused, true)
    t.equal(still.draft!.summary, 'Floor 3 printer', 'what was typed is kept')
    t.same(still.draft!.fields.map((f) => [f.name, f.value, f.error]), [
      ['impact', '2-Significant/Large', null],
      ['urgency', 'Whenever', 'Choose Urgency from the list'],
      ['service', 'Printing', null],
      ['asset_tag', '', 'Asset tag is required; fill it in before saving']
    ])
    const noSummary = await tickets.create(chat.id, alice, { kind: 'incident', templateId: printer.id, summary: '  ', fields: { asset_tag: 'LT-0042' } })
    t.equal(noSummary.draft!.summaryError, 'Give the ticket a summary of at most 255 characters')
    t.equal(await ticketCount(), before, 'still nothing made')
    t.notOk((await actions(chat.id)).includes('ticket_created'))

    const saved = await tickets.create(chat.id, alice, { kind: 'incident', templateId: printer.id, summary: 'Floor 3 printer', fields: { impact: '2-Significant/Large', asset_tag: 'PRN-0042' } })
    const row = await ticketRow(saved.created!.ticket.ref)
    t.equal(row.summary, 'Floor 3 printer')
    t.same(JSON.parse(row.details), { impact: '2-Significant/Large', urgency: '3-Medium', service: 'Printing', asset_tag: 'PRN-0042' })
  })

  t.test('a work-order template asks for its asset tag the same way', async (t) => {
    const chat = await talking()
    const install = await template('work_order', 'Software installation request')
    const first = await tickets.create(chat.id, alice, { kind: 'work_order', templateId: install.id, fields: {} })
    t.same(first.draft!.fields.filter((f) => f.required && f.value === '').map((f) => f.label), ['Asset tag'])
    const saved = await tickets.create(chat.id, alice, { kind: 'work_order', templateId: install.id, summary: 'Install Visio', fields: { asset_tag: 'LT-7' } })
    t.match(saved.created!.ticket.ref, /^WO\d{6}$/)
  })

  t.test('refusals make nothing and link nothing', async (t) => {
    const chat = await talking()
    const printer = await template('incident', 'Printer problem')
    const install = await template('work_order', 'Software installation request')
    const before = await ticketCount()
    t.equal(await codeOf(tickets.create(chat.id, bob, { kind: 'incident', fields: {} })), 'LC_ERR_TICKET_NOT_YOURS', 'not his chat, and he does not supervise')
    t.equal(await codeOf(tickets.create(chat.id, alice, { kind: 'incident', templateId: '999999', fields: {} })), 'LC_ERR_TICKET_TEMPLATE_UNKNOWN')
    t.equal(await codeOf(tickets.create(chat.id, alice, { kind: 'incident', templateId: install.id, fields: {} })), 'LC_ERR_TICKET_TEMPLATE_UNKNOWN', 'a work-order template is no incident template')
    t.equal(await codeOf(tickets.create(chat.id, alice, { kind: 'incident', templateId: printer.id, summary: 'x', fields: { colour: 'red' } })), 'LC_ERR_TICKET_FIELD_UNKNOWN')
    t.equal(await codeOf(tickets.create(chat.id, alice, { kind: 'incident', summary: 'x', fields: {} })), 'LC_ERR_TICKET_FIELD_UNKNOWN', 'values without a template')
    t.equal(await codeOf(tickets.create(chat.id, alice, { kind: 'ticket', fields: {} })), 'LC_ERR_TICKET_KIND', 'this desk takes incidents and work orders')
    t.equal(await codeOf(tickets.create(999999, alice, { kind: 'incident', fields: {} })), 'LC_ERR_CHAT_NOT_FOUND')
    const { chat: queued } = await given.queuedChat(s)
    t.equal(await codeOf(tickets.create(queued.id, sam, { kind: 'incident', fields: {} })), 'LC_ERR_TICKET_CHAT_STATE', 'nobody has talked to the customer yet')
    await s.chats.endChat(queued.id, { kind: 'customer', id: null, name: 'Dana Doyle' })
    t.equal(await codeOf(tickets.create(queued.id, sam, { kind: 'incident', fields: {} })), 'LC_ERR_TICKET_CHAT_STATE', 'cancelled before an agent joined')
    t.equal(await ticketCount(), before)
    t.same(await items.createdTickets(chat.id), [])
    t.notOk((await actions(chat.id)).includes('ticket_created'))
  })

  t.test('a supervisor of the group may make one for the agent; an ended chat still may get one', async (t) => {
    const chat = await talking()
    const bySam = await tickets.create(chat.id, sam, { kind: 'incident', fields: {} })
    const row = await ticketRow(bySam.created!.ticket.ref)
    t.equal(String(row.assignee_id), alice.id, 'the chat\'s agent is the assignee')
    t.equal((await items.createdTickets(chat.id))[0]!.createdByName, 'Sam Supervisor')
    await s.chats.endChat(chat.id, { kind: 'agent', id: alice.id, name: alice.name })
    const after = await tickets.create(chat.id, alice, { kind: 'work_order', fields: {} })
    t.match(after.created!.ticket.ref, /^WO/)
    t.equal((await items.createdTickets(chat.id)).length, 2)
  })

  t.test('a help desk failure leaves no ticket and no link; the same request then succeeds', async (t) => {
    const chat = await talking()
    const before = await ticketCount()
    faults.create = true
    t.equal(await codeOf(tickets.create(chat.id, alice, { kind: 'incident', fields: {} })), 'LC_ERR_TICKET_HOST')
    faults.shared = false
    t.equal(await codeOf(tickets.create(chat.id, alice, { kind: 'incident', fields: {} })), 'LC_ERR_TICKET_HOST', 'on a desk of its own too')
    delete faults.create
    faults.templates = true
    const printer = await template('incident', 'Printer problem')
    t.equal(await codeOf(tickets.create(chat.id, alice, { kind: 'incident', templateId: printer.id, fields: {} })), 'LC_ERR_TICKET_HOST')
    t.equal(await ticketCount(), before)
    t.same(await items.createdTickets(chat.id), [])
    t.notOk((await actions(chat.id)).includes('ticket_created'))
    delete faults.templates
    const retried = await tickets.create(chat.id, alice, { kind: 'incident', fields: {} })
    t.ok(retried.created)
    t.equal(await ticketCount(), before + 1)
  })

  t.test('sharing the database, a failing related-item row takes the host ticket with it', async (t) => {
    const chat = await talking()
    // The next ticket's reference is already listed on this chat, so the related-item
    // insert hits the unique (chat, ref) index inside the transaction that made the ticket.
    const probe = await tickets.create(chat.id, alice, { kind: 'incident', fields: {} })
    const nextRef = `INC${String(Number((await ticketRow(probe.created!.ticket.ref)).id) + 1).padStart(6, '0')}`
    await s.knex('lc_chat_items').insert({ chat_id: chat.id, kind: 'ticket', ticket_ref: nextRef, ticket_url: `/tickets/${nextRef}`, title: 'listed by hand', created_by: alice.id, created_by_name: alice.name, created_at: Date.now() })
    const before = await ticketCount()
    const activity = Number((await s.knex('ticket_activity').count({ n: '*' }).first())?.n)
    const history = (await actions(chat.id)).length
    t.equal(await codeOf(tickets.create(chat.id, alice, { kind: 'incident', fields: {} })), 'LC_ERR_TICKET_NOT_SAVED')
    t.equal(await ticketCount(), before, 'the host ticket was rolled back')
    t.equal(await ticketRow(nextRef), undefined)
    t.equal(Number((await s.knex('ticket_activity').count({ n: '*' }).first())?.n), activity, 'and its activity line')
    t.equal((await actions(chat.id)).length, history, 'no History row')
    t.same((await items.createdTickets(chat.id)).map((i) => i.ticketRef), [probe.created!.ticket.ref])
  })

  t.test('on a desk of its own, the ticket is made first and then listed; a failed listing names the ticket', async (t) => {
    faults.shared = false
    const chat = await talking()
    const made = await tickets.create(chat.id, alice, { kind: 'incident', fields: {} })
    t.same((await items.createdTickets(chat.id)).map((i) => i.ticketRef), [made.created!.ticket.ref])
    const nextRef = `INC${String(Number((await ticketRow(made.created!.ticket.ref)).id) + 1).padStart(6, '0')}`
    await s.knex('lc_chat_items').insert({ chat_id: chat.id, kind: 'ticket', ticket_ref: nextRef, ticket_url: `/tickets/${nextRef}`, title: 'listed by hand', created_by: alice.id, created_by_name: alice.name, created_at: Date.now() })
    const err = await tickets.create(chat.id, alice, { kind: 'incident', fields: {} }).catch((e: Error & { code: string }) => e)
    t.match(err, { code: 'LC_ERR_TICKET_NOT_LINKED', message: `${nextRef} was created in the help desk but could not be listed in this chat's Related Items; link it with Add → Related Item` })
    t.ok(await ticketRow(nextRef), 'the help desk kept it')
  })

  t.test('abandon with tickets: each becomes Cancelled / Abandoned chat with an activity line, then the chat is abandoned', async (t) => {
    const chat = await talking()
    const changes: ChatChange[] = []
    s.chats.onChange(async (c) => { changes.push(c) })
    const a = await tickets.create(chat.id, alice, { kind: 'incident', fields: {} })
    const b = await tickets.create(chat.id, alice, { kind: 'work_order', fields: {} })
    const prompt = await tickets.abandonPrompt(chat.id, alice)
    t.same(prompt.tickets.map((i) => i.ticketRef), [a.created!.ticket.ref, b.created!.ticket.ref])
    t.equal(prompt.firstKind, 'incident')
    await new Promise((resolve) => setImmediate(resolve))
    const from = s.events.length
    const { chat: done, cancelled } = await tickets.abandon(chat.id, alice)
    t.same(cancelled, [a.created!.ticket.ref, b.created!.ticket.ref])
    t.equal(done.status, 'abandoned')
    t.ok(done.endedAt)
    t.equal(done.endedBy, 'agent')
    for (const ref of cancelled) {
      const row = await ticketRow(ref)
      t.match(row, { status: 'Cancelled', status_reason: 'Abandoned chat' }, ref)
      const lines = (await s.knex('ticket_activity').where({ ticket_id: row.id }).orderBy('id')).map((x) => x.text)
      t.equal(lines.at(-1), `Cancelled (Abandoned chat): live chat #${chat.id} was abandoned by Alice Adams`)
    }
    const event = (await s.chats.customerMessages(chat.id)).at(-1)
    t.match(event, { kind: 'event', body: 'Alice Adams closed the chat as abandoned' }, 'the customer sees it too')
    const history = await s.knex('lc_chat_history').where({ chat_id: chat.id, action: 'abandoned' }).first()
    t.same(JSON.parse(history.data), { tickets: cancelled, status: 'Cancelled', reason: 'Abandoned chat' })
    await new Promise((resolve) => setImmediate(resolve))
    const ofChat = s.events.slice(from).filter((e) => ('chatId' in e && e.chatId === chat.id) || ('chat' in e && e.chat.id === chat.id))
    t.same(ofChat.map((e) => e.type), ['chat.message', 'chat.updated', 'agent.chats'], 'told after the commit, to both sides')
    t.match(changes, [{ kind: 'freed', agentId: alice.id }], 'capacity freed, so the queue drains')
    t.notOk((await s.chats.agentChats(alice.id, 'active')).some((c) => c.id === chat.id))
    t.ok((await s.chats.agentChats(alice.id, 'completed')).some((c) => c.id === chat.id))
  })

  t.test('abandon without a ticket; a linked (not created) ticket is left alone', async (t) => {
    const chat = await talking()
    const other = await s.host.createTicket({ kind: 'incident', summary: 'Older', description: 'x', requesterId: null, assigneeId: null, chatId: null })
    await items.add(chat.id, alice, 'ticket', { ref: other.ref })
    t.same((await tickets.abandonPrompt(chat.id, alice)).tickets, [])
    const { chat: done, cancelled } = await tickets.abandon(chat.id, alice)
    t.equal(done.status, 'abandoned')
    t.same(cancelled, [])
    t.equal((await ticketRow(other.ref)).status, 'New')
    t.equal((await s.knex('lc_chat_history').where({ chat_id: chat.id, action: 'abandoned' }).first()).data, null)
  })

  t.test('abandon refuses a chat that is not active, and one that is not yours', async (t) => {
    const chat = await talking()
    t.equal(await codeOf(tickets.abandonPrompt(chat.id, bob)), 'LC_ERR_TICKET_NOT_YOURS')
    t.equal(await codeOf(tickets.abandon(chat.id, bob)), 'LC_ERR_TICKET_NOT_YOURS')
    await s.chats.endChat(chat.id, { kind: 'agent', id: alice.id, name: alice.name })
    const err = await tickets.abandon(chat.id, alice).catch((e: Error & { code: string }) => e)
    t.match(err, { code: 'LC_ERR_CHAT_STATE_CONFLICT', message: 'This chat is ended now, so it cannot be abandoned; refresh to see where it stands' })
    t.equal(await codeOf(tickets.abandonPrompt(chat.id, alice)), 'LC_ERR_CHAT_STATE_CONFLICT')
    const { chat: queued } = await given.queuedChat(s)
    t.equal(await codeOf(tickets.abandon(queued.id, sam)), 'LC_ERR_CHAT_STATE_CONFLICT')
    t.equal((await s.chats.get(chat.id)).status, 'ended')
  })

  t.test('abandonChat is a conditional update: losing the race to End Chat is a 409 naming the state', async (t) => {
    const chat = await talking()
    await s.chats.endChat(chat.id, { kind: 'agent', id: alice.id, name: alice.name })
    const before = (await s.chats.messages(chat.id)).length
    const err = await s.chats.abandonChat(chat.id, { kind: 'agent', id: alice.id, name: alice.name }).catch((e: Error & { code: string }) => e)
    t.match(err, { code: 'LC_ERR_CHAT_STATE_CONFLICT', message: /is ended now, so it cannot be abandoned/ })
    t.equal((await s.chats.messages(chat.id)).length, before, 'no event written')
    t.notOk((await actions(chat.id)).includes('abandoned'))
  })

  t.test('a help desk failure while cancelling leaves the chat active; the retry cancels once', async (t) => {
    const chat = await talking()
    const made = await tickets.create(chat.id, alice, { kind: 'incident', fields: {} })
    faults.status = true
    const err = await tickets.abandon(chat.id, alice).catch((e: Error & { code: string }) => e)
    t.match(err, { code: 'LC_ERR_ABANDON_HOST', message: `The help desk could not set ${made.created!.ticket.ref} to Cancelled just now, so the chat was not abandoned; try again` })
    t.equal((await s.chats.get(chat.id)).status, 'active')
    t.equal((await ticketRow(made.created!.ticket.ref)).status, 'New')
    delete faults.status
    await tickets.abandon(chat.id, alice)
    t.equal((await s.chats.get(chat.id)).status, 'abandoned')
    const row = await ticketRow(made.created!.ticket.ref)
    t.equal(row.status, 'Cancelled')
    const cancelLines = (await s.knex('ticket_activity').where({ ticket_id: row.id })).filter((x) => /was abandoned/.test(x.text))
    t.equal(cancelLines.length, 1)
  })
})
