import t from 'tap'
import type { Chat } from '../../plugin/chats/types.ts'
import type { HostAdapter, NewTicket } from '../../plugin/host/adapter.ts'
import { given } from '../helpers/given.ts'
import { jobServices } from '../helpers/jobs.ts'

const minute = 60_000
// The in-process bus hands events over on a later tick.
const settled = async (): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, 20)) }

t.test('queue timeout', async (t) => {
  let now = Date.UTC(2026, 10, 21, 12, 0, 0)
  const clock = (): number => now
  // The help desk as the test needs it: down, or an agent taking the chat while the ticket is being made.
  let hostDown = false
  let duringTicket: (() => Promise<void>) | undefined
  /** Every ticket handed to the help desk, as it was handed. */
  const sent: NewTicket[] = []
  const s = await jobServices(t, {
    clock,
    wrapHost: (real: HostAdapter): HostAdapter => ({
      ...real,
      createTicket: async (ticket, write) => {
        sent.push(ticket)
        if (hostDown) throw new Error('tickets table is locked')
        const made = await real.createTicket(ticket, write)
        const hook = duringTicket
        duringTicket = undefined
        await hook?.()
        return made
      }
    })
  })
  const ticketOf = async (chatId: number) => await s.knex('tickets').where('chat_id', chatId).first()

  t.test('a chat queued queueTimeoutMinutes becomes a ticket from everything the customer wrote, and is closed', async (t) => {
    const { chat } = await given.queuedChat(s, { name: 'Quinn Queue', email: 'quinn@customer.example', question: 'My VPN will not connect' })
    now += minute
    await s.chats.postMessage(chat.id, { kind: 'customer', id: null, name: 'Quinn Queue' }, 'It says error 809', null)
    now += 13 * minute
    t.equal((await s.jobs.run('queue-timeout'))?.rows, 0, 'not yet: queued 14 minutes')
    t.equal((await s.chats.get(chat.id)).status, 'queued')

    now += minute + 1
    await settled()
    const events = s.events.length
    const run = await s.jobs.run('queue-timeout')
    t.equal(run?.rows, 1)
    t.equal(run?.summary, 'Closed 1 chat queued over 15 minutes into tickets')
    t.equal(run?.error, null)

    const ticket = await ticketOf(chat.id)
    t.equal(ticket.kind, 'ticket')
    t.equal(ticket.summary, 'Message from Quinn Queue: My VPN will not connect')
    t.match(ticket.description, `Live chat #${chat.id} waited 15 minutes in the queue without an agent`)
    t.match(ticket.description, 'Name: Quinn Queue\nEmail: quinn@customer.example\nDepartment: Support')
    t.match(ticket.description, 'My VPN will not connect\n\nIt says error 809')
    t.match(ticket, { requester_id: null, requester_name: 'Quinn Queue', requester_email: 'quinn@customer.example', channel: 'livechat' }, 'a guest, filed with a contact')
    const handed = sent.at(-1)!
    t.match(handed, { requesterId: null, requester: { name: 'Quinn Queue', email: 'quinn@customer.example' }, department: 'Support', channel: 'livechat', chatId: chat.id })
    t.same(handed.transcript!.filter((e) => e.author === 'customer').map((e) => [e.authorName, e.body]), [['Quinn Queue', 'My VPN will not connect'], ['Quinn Queue', 'It says error 809']], 'the chat\'s messages, one entry each')
    t.ok(handed.transcript!.every((e) => Number.isInteger(e.at)), 'times in epoch ms')

    const closed = await s.chats.get(chat.id)
    t.equal(closed.status, 'cancelled')
    t.equal(closed.endedBy, 'system')
    t.equal(closed.endedAt, now)
    const last = (await s.chats.customerMessages(chat.id)).at(-1)!
    t.equal(last.kind, 'event', 'the customer sees why')
    t.equal(last.body, `No agent could answer in time, so we have created ticket ${String(ticket.ref)} from your question; the team will reply to quinn@customer.example`)
    const history = (await s.chats.history(chat.id)).at(-1)!
    t.equal(history.action, 'queue_timed_out')
    t.same(JSON.parse(history.data!), { waitedMinutes: 15, afterMinutes: 15, ticket: ticket.ref })
    t.equal(await s.chats.timeoutTicket(closed), ticket.ref)
    await settled()
    t.same(s.events.slice(events).map((e) => e.type), ['chat.message', 'chat.updated', 'queue.changed'])
    t.equal((await s.jobs.run('queue-timeout'))?.rows, 0, 'closed once')
    t.equal(Number((await s.knex('tickets').where('chat_id', chat.id).count({ n: '*' }).first())?.n), 1, 'one ticket')
  })

  t.test('a signed-in customer is the ticket\'s requester', async (t) => {
    const dana = await s.user('dana')
    const { chat } = await s.chats.startChat({ name: dana.name, email: dana.email, question: 'Printer jams', customer: dana, groupId: await s.groupId('Support L1') })
    now += 16 * minute
    t.equal((await s.jobs.run('queue-timeout'))?.rows, 1)
    t.equal(String((await ticketOf(chat.id)).requester_id), dana.id)
  })

  t.test('a customer not signed in whose email is a help desk user\'s is the ticket\'s requester: the same lookup as Create Ticket', async (t) => {
    const dana = await s.user('dana')
    const { chat } = await given.queuedChat(s, { name: 'D. Doyle', email: 'DANA@customer.example', question: 'Printer jams again' })
    now += 16 * minute
    t.equal((await s.jobs.run('queue-timeout'))?.rows, 1)
    t.match(await ticketOf(chat.id), { requester_name: 'Dana Doyle', requester_email: 'dana@customer.example' })
    t.equal(String((await ticketOf(chat.id)).requester_id), dana.id)
  })

  t.test('the help desk failing leaves the chat queued, and the run says so; a run after its backoff makes the ticket', async (t) => {
    const { chat } = await given.queuedChat(s, { name: 'Held Up' })
    now += 16 * minute
    hostDown = true
    const failed = await s.jobs.run('queue-timeout')
    hostDown = false
    t.equal(failed?.rows, 0)
    t.equal(failed?.error, `1 chat skipped, retried later (#${chat.id}: tickets table is locked)`, 'the help desk\'s own error, not the customer\'s sentence')
    t.equal((await s.chats.get(chat.id)).status, 'queued')
    t.equal(await ticketOf(chat.id), undefined)
    t.ok(s.log.some((l) => l.level === 'warn' && /stays queued/.test(l.msg)))
    const [record] = await s.knex('lc_job_runs').where({ job: 'queue-timeout' }).orderBy('id', 'desc').limit(1)
    t.match(record.error, /skipped, retried later/)
    t.match(await s.knex('lc_job_item_failures').where({ job: 'queue-timeout', item: String(chat.id) }).first(), { attempts: 1, error: 'tickets table is locked' })

    const waiting = await s.jobs.run('queue-timeout')
    t.equal(waiting?.rows, 0, 'not before its backoff')
    t.match(waiting?.summary, /1 failed before and waits for its retry/)
    now += minute
    t.equal((await s.jobs.run('queue-timeout'))?.rows, 1)
    t.equal((await s.chats.get(chat.id)).status, 'cancelled')
    t.equal(await s.knex('lc_job_item_failures').where({ job: 'queue-timeout' }).first(), undefined, 'its failure is gone')
  })

  t.test('a customer who wrote more than the desk\'s ticket holds: the ticket is made, cut to fit with a note', async (t) => {
    const { chat } = await given.queuedChat(s, { name: 'Long Writer', question: 'Here is everything' })
    const paragraph = 'é'.repeat(9_000)
    for (let i = 0; i < 8; i++) await s.chats.postMessage(chat.id, { kind: 'customer', id: null, name: 'Long Writer' }, `${i} ${paragraph}`, null)
    now += 16 * minute
    const run = await s.jobs.run('queue-timeout')
    t.equal(run?.rows, 1, 'closed into a ticket')
    t.equal(run?.error, null)
    t.equal((await s.chats.get(chat.id)).status, 'cancelled')
    const ticket = await ticketOf(chat.id)
    if (s.knex.client.config.client === 'mysql2') {
      t.ok(Buffer.byteLength(ticket.description, 'utf8') <= 65_535, 'fits a TEXT column')
      t.match(ticket.description, new RegExp(`\\[Cut to fit this ticket: the last [\\d,]+ characters are left out; all of it is in live chat #${chat.id}\\]$`))
      t.match(ticket.description, 'Here is everything', 'the start is kept')
    } else {
      t.match(ticket.description, `7 ${paragraph}`, 'SQLite holds it all')
    }
  })

  t.test('a chat an agent takes while its ticket is being made stays with the agent; the ticket is withdrawn', async (t) => {
    const { chat } = await given.queuedChat(s, { name: 'Just In Time' })
    now += 16 * minute
    let taken: Chat | undefined
    duringTicket = async () => { taken = (await s.chats.acceptChat(chat.id, await s.scope('alice'))).chat }
    const run = await s.jobs.run('queue-timeout')
    t.equal(run?.rows, 0)
    t.equal(run?.summary, 'Closed 0 chats queued over 15 minutes into tickets; withdrew 1 ticket of chats taken meanwhile')
    t.equal(taken?.status, 'active')
    const now2 = await s.chats.get(chat.id)
    t.equal(now2.status, 'active')
    t.equal(now2.agentId, (await s.user('alice')).id)
    t.notOk((await s.chats.messages(chat.id)).some((m) => /No agent could answer/.test(m.body)), 'nothing written into the chat')
    const ticket = await ticketOf(chat.id)
    t.equal(ticket.status, 'Cancelled')
    t.equal(ticket.status_reason, 'Answered in live chat')
    const activity = await s.knex('ticket_activity').where('ticket_id', ticket.id)
    t.match(activity.map((a: { text: string }) => a.text).join('\n'), `Live chat #${chat.id} was taken or left before it could be closed`)
  })

  t.test('leaves alone chats taken, left or deleted before the timeout', async (t) => {
    const taken = (await given.queuedChat(s, { name: 'Taken' })).chat
    const left = (await given.queuedChat(s, { name: 'Left' })).chat
    const deleted = (await given.queuedChat(s, { name: 'Deleted' })).chat
    await s.chats.acceptChat(taken.id, await s.scope('alice'))
    await s.chats.endChat(left.id, { kind: 'customer', id: null, name: 'Left' })
    await s.knex('lc_chats').where('id', deleted.id).update({ deleted_at: now })
    now += 60 * minute
    t.equal((await s.jobs.run('queue-timeout'))?.rows, 0)
    t.equal((await s.chats.get(left.id)).endedBy, 'customer')
    for (const c of [taken, left, deleted]) t.equal(await ticketOf(c.id), undefined)
  })
})

t.test('queue timeout: queueTimeoutMinutes 0 lets chats wait', async (t) => {
  let now = Date.UTC(2026, 10, 21, 12, 0, 0)
  const s = await jobServices(t, { clock: () => now, settings: { queueTimeoutMinutes: 0 } })
  const { chat } = await given.queuedChat(s)
  now += 24 * 60 * minute
  t.equal((await s.jobs.run('queue-timeout'))?.summary, 'Off: queueTimeoutMinutes is 0')
  t.equal((await s.chats.get(chat.id)).status, 'queued')
})
